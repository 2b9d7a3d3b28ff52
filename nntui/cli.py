"""The ``nntui`` command line: headless training for scripts, SSH and CI."""

from __future__ import annotations

import argparse
import signal
import sys

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nntui", description="Build, train and understand MLPs in the terminal.")
    sub = p.add_subparsers(dest="command")
    t = sub.add_parser("train", help="train an experiment headless")
    t.add_argument("experiment", help="experiment TOML file")
    t.add_argument("--backend", choices=["auto", "numpy", "mlx"])
    t.add_argument("--epochs", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument("--batch-size", type=int)
    d = sub.add_parser("datasets", help="list the built-in datasets (and what is cached), or fetch one")
    d.add_argument("action", nargs="?", choices=["fetch"], help="fetch: download a dataset ahead of time")
    d.add_argument("name", nargs="?", help="the dataset to fetch (fashion-mnist or mnist)")
    d.add_argument("--mirror", help="a base URL to try before the built-in mirrors")
    return p


class DownloadDisplay:
    """Download progress: a Rich bar on a terminal, a plain line per quarter otherwise."""

    def __init__(self):
        self.tty = sys.stdout.isatty()
        self.bar = None
        self.tasks: dict[str, int] = {}
        self.said: dict[str, int] = {}

    def __call__(self, name: str, done: int, total: int) -> None:
        if self.tty:
            from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

            if self.bar is None:
                self.bar = Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                                    TransferSpeedColumn())
                self.bar.start()
            if name not in self.tasks:
                self.tasks[name] = self.bar.add_task(name, total=total or None)
            self.bar.update(self.tasks[name], completed=done, total=total or None)
            return
        quarter = 4 if total and done >= total else (4 * done // total if total else 0)
        if quarter > self.said.get(name, -1):
            self.said[name] = quarter
            print(f"downloading {name}: {done / 2**20:.1f} of {total / 2**20:.1f} MiB", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _datasets(args) -> int:
    import os

    import engine
    from engine.data import list_datasets
    from engine.data.download import MIRRORS

    if args.action is None:
        rows = list_datasets()
        cols = ("name", "samples", "features", "classes", "task", "source")
        widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols[:-1]}
        print("  ".join(c.ljust(widths[c]) for c in cols[:-1]) + "  source")
        for r in rows:
            print("  ".join(r[c].ljust(widths[c]) for c in cols[:-1]) + "  " + r["source"])
        return EXIT_OK
    if args.name not in MIRRORS:
        print(f"nntui: datasets fetch: {args.name!r} is not downloadable; choose one of {', '.join(MIRRORS)}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.mirror:
        os.environ["NNTUI_MIRROR"] = args.mirror
    display = DownloadDisplay()
    try:
        folder = engine.data.fetch(args.name, progress=display)
    except engine.DataError as exc:
        display.close()
        print(f"nntui: {exc}", file=sys.stderr)
        return EXIT_FAILED
    display.close()
    print(f"{args.name}: verified and cached in {folder}")
    return EXIT_OK


_downloads: DownloadDisplay | None = None


def _download_display(name, done, total):
    global _downloads
    if _downloads is None:
        _downloads = DownloadDisplay()
    _downloads(name, done, total)
    if total and done >= total and name.startswith("t10k-labels"):
        _downloads.close()


def _fmt(v, spec=".4f"):
    return "-" if v is None else format(v, spec)


def _print_event(event) -> None:
    kind = event.kind
    if kind == "run_started":
        print(f"backend {event.backend} on {event.device} ({event.reason}); {event.params:,} params; "
              f"{event.train_samples} train / {event.val_samples} val / {event.test_samples} test samples",
              flush=True)
    elif kind == "epoch_end":
        print(f"epoch {event.epoch:>3}  loss {_fmt(event.loss)}  accuracy {_fmt(event.accuracy)}  "
              f"val_loss {_fmt(event.val_loss)}  val_accuracy {_fmt(event.val_accuracy)}  "
              f"lr {event.lr:.3g}  {event.seconds:.1f}s  {event.samples_per_second:,.0f} samples/s", flush=True)
    elif kind in ("no_improvement", "early_stop", "weights_restored", "diverged"):
        msg = getattr(event, "reason", None) or getattr(event, "message", None)
        if kind == "no_improvement":
            msg = (f"{event.monitor} {event.value:.4f} did not improve on {event.best:.4f} "
                   f"(epoch {event.best_epoch}); patience {event.wait}/{event.patience}")
        elif kind == "weights_restored":
            msg = f"restored the best weights, from epoch {event.best_epoch} ({event.monitor} {event.best:.4f})"
        print(f"  {kind.replace('_', ' ')}: {msg}", flush=True)
    elif kind == "download":
        _download_display(event.file, event.done, event.total)
    elif kind == "finished":
        print(f"finished ({event.reason}) after {event.epochs_run} epochs in {event.seconds:.1f}s: "
              f"test_loss {_fmt(event.test_loss)}  test_accuracy {_fmt(event.test_accuracy)}", flush=True)


def _train(args) -> int:
    import engine

    try:
        exp = engine.Experiment.from_toml(args.experiment)
        exp = engine.with_overrides(exp, epochs=args.epochs, seed=args.seed, backend=args.backend,
                                    batch_size=args.batch_size)
        engine.resolve_backend(exp.backend)
    except (engine.SpecError, engine.BackendUnavailable) as exc:
        print(f"nntui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    control = engine.TrainingControl()
    interrupts = []

    def on_signal(signum, frame):
        interrupts.append(signum)
        if len(interrupts) > 1:
            raise KeyboardInterrupt
        print("\nstopping after this batch (again to quit at once)", file=sys.stderr, flush=True)
        control.stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = engine.train(exp, on_event=_print_event, control=control)
    except (engine.SpecError, engine.DataError, engine.BackendUnavailable) as exc:
        print(f"nntui: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:  # a failure during training: say what, no traceback
        print(f"nntui: training failed: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if interrupts:
        return EXIT_INTERRUPTED
    return EXIT_DIVERGED if result.reason == "diverged" else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        return _train(args)
    if args.command == "datasets":
        return _datasets(args)
    print("nntui: the interactive builder is not in this release yet; train headless with\n"
          "  nntui train EXPERIMENT.toml   (see README.md)", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    raise SystemExit(main())
