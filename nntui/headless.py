"""`nntui train`: a headless run for scripts, SSH and CI. Progress goes to the terminal (Rich
bars), to plain lines (not a terminal) or to JSON lines (--json); the run folder is written as
the run goes. Ctrl+C or SIGTERM stops after the current batch and saves everything (recorded
as interrupted), and so does SIGHUP, when an SSH connection drops; a second Ctrl+C quits at once, leaving the folder valid."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import engine
from engine.atomic import file_text, folder_name
from engine.reports.recorder import RunFolderError, RunRecorder
from engine.text import printable

from .exits import EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK  # noqa: F401
from .interrupts import StopSignals
from .lines import event_line, fitted_epoch_line
from .startup import settle


class PlainDisplay:
    """One line per epoch and per notable event, no control characters (CI logs, pipes)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.said: dict[str, int] = {}

    def __call__(self, e) -> None:
        if e.kind == "download":
            step = 4 * e.done // e.total if e.total else 0
            if step > self.said.get(e.file, -1) and not self.quiet:
                self.said[e.file] = step
                print(f"downloading {e.file}: {e.done / 2**20:.1f} of {e.total / 2**20:.1f} MiB", flush=True)
            return
        if self.quiet and e.kind != "finished":
            return
        line = event_line(e)
        if line:
            print(line, flush=True)

    def close(self) -> None:
        pass


class JsonDisplay:
    """Every event as one JSON object per line on stdout, for other programs."""

    def __call__(self, e) -> None:
        print(json.dumps(e.to_dict()), flush=True)

    def close(self) -> None:
        pass


class RichDisplay:
    """Epoch and batch bars with loss, accuracy, samples/s and ETA; epoch lines stay above them."""

    def __init__(self):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console()
        self.progress = Progress(TextColumn("{task.description:<5}"), BarColumn(bar_width=20), MofNCompleteColumn(),
                                 TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                 TimeRemainingColumn(), console=self.console, transient=True)
        self.epochs = self.batches = self.download = None
        self.patience = ""

    def __call__(self, e) -> None:
        p = self.progress
        if e.kind == "download":
            if self.download is None:
                p.start()
                self.download = p.add_task("data", total=e.total or None, info=e.file)
            p.update(self.download, completed=e.done, total=e.total or None, info=e.file)
            return
        if e.kind == "run_started":
            if self.download is not None:
                p.remove_task(self.download)
            p.start()
            self.console.print(event_line(e))
            self.epochs = p.add_task("epoch", total=e.epochs, info="")
            self.batches = p.add_task("batch", total=e.steps_per_epoch, info="")
            return
        if e.kind == "batch":
            acc = "" if e.accuracy is None else f" acc {e.accuracy:.4f}"
            p.update(self.batches, completed=e.batch,
                     info=f"loss {e.loss:.4f}{acc} {e.samples_per_second / 1000:.1f}k/s")
            return
        if e.kind == "epoch_end":
            p.update(self.epochs, completed=e.epoch, info=self.patience)
            p.reset(self.batches, info="")
        if e.kind == "no_improvement":
            self.patience = f"patience {e.wait}/{e.patience}"
            p.update(self.epochs, info=self.patience)
        elif e.kind == "improved":
            self.patience = f"best {e.monitor} {e.value:.4f}"
            p.update(self.epochs, info=self.patience)
        line = fitted_epoch_line(e, self.console.width) if e.kind == "epoch_end" else event_line(e)
        if line:
            self.console.print(line, highlight=False)

    def close(self) -> None:
        self.progress.stop()


def default_folder(exp) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / (f"{stamp}-{folder_name(exp.name)}" if exp.name else stamp)
    folder, n = base, 2
    while folder.exists():
        folder, n = Path(f"{base}-{n}"), n + 1
    return folder


def _err(msg) -> None:
    print(f"nntui: {printable(msg)}", file=sys.stderr)


def train_command(args) -> int:
    err = _err
    resume = getattr(args, "resume", None)
    if resume is not None:
        given = [("experiment file" if k == "experiment" else f"--{k.replace('_', '-')}")
                 for k in ("experiment", "preset", "report", "overwrite", "backend", "seed", "batch_size")
                 if getattr(args, k, None)]
        if given:
            err(f"--resume goes on with the saved run as it was; it takes no {', '.join(given)} "
                f"(only --epochs, --threads, --inspect, --quiet, --json)")
            return EXIT_BAD_INPUT
        try:
            exp, checkpoint = engine.checkpoint.resume_plan(Path(resume), args.epochs, getattr(args, "threads", None),
                                                            getattr(args, "inspect", None))
        except (engine.SpecError, engine.BackendUnavailable) as exc:
            err(exc)
            return EXIT_BAD_INPUT
        return _run(args, exp, Path(resume), checkpoint, source=file_text(Path(resume) / "experiment.toml"))
    try:
        if bool(args.experiment) == bool(args.preset):
            raise engine.SpecError("", "give an experiment file or --preset NAME (one of them)")
        exp = (engine.presets.load_preset(args.preset) if args.preset else engine.Experiment.from_toml(args.experiment))
        exp = engine.with_overrides(exp, epochs=args.epochs, seed=args.seed, backend=args.backend,
                                    batch_size=args.batch_size, inspect=getattr(args, "inspect", None),
                                    threads=getattr(args, "threads", None))
        engine.resolve_backend(exp.backend)
    except (engine.SpecError, engine.BackendUnavailable) as exc:
        err(exc)
        return EXIT_BAD_INPUT
    source = engine.presets.preset_text(args.preset) if args.preset else file_text(Path(args.experiment))
    return _run(args, exp, Path(args.report) if args.report else default_folder(exp), source=source)


def _run(args, exp, folder: Path, checkpoint=None, source: str | None = None) -> int:
    """Train ``exp`` into ``folder`` (going on from ``checkpoint``, a resumed run) with the display
    the arguments ask for; the exit status. ``source``: the experiment's file as the user wrote
    it, copied into the folder with their comments (the values that ran)."""
    err = _err
    display = JsonDisplay() if args.json else (RichDisplay() if sys.stdout.isatty() and not args.quiet
                                               else PlainDisplay(args.quiet))
    try:
        data = engine.load_data(exp.data, progress=lambda f, d, t: display(engine.events.DownloadProgress(f, d, t)))
        exp.check_data(data.n_classes, data.task)
        model = engine.build_model(exp, data.n_features, backend=checkpoint and checkpoint.state.get("backend"))
    except (engine.SpecError, engine.DataError, engine.BackendUnavailable) as exc:
        display.close()
        err(exc)
        return EXIT_BAD_INPUT
    try:
        recorder = RunRecorder(folder, exp, data, model, overwrite=getattr(args, "overwrite", False), resume=checkpoint,
                               source=source)
    except RunFolderError as exc:
        display.close()
        err(exc)
        return EXIT_BAD_INPUT

    control = engine.TrainingControl()

    noted: list[str] = []     # signals not yet written to events.jsonl

    def on_first(name: str) -> None:
        # a signal handler runs between two bytecodes of the main thread, maybe in the middle of
        # its write to events.jsonl: it only asks; the note is written by the main thread (below)
        noted.append(name)
        control.stop()

    def write_notes() -> None:
        while noted:
            recorder.note("interrupted", signal=noted.pop(0))

    signals = StopSignals(on_first, "stopping after this batch and saving the run (Ctrl+C again to quit at once)")
    interrupts = signals.stops

    shown = [display]

    def sink(e):
        write_notes()
        recorder(e)
        try:
            shown[0](e)
        except BrokenPipeError:   # `nntui train ... | head -1`: the reader left; the run goes on, saved
            silence_stdout()
            shown[0] = lambda e: None

    settle()
    with signals:
        try:
            result = engine.train(exp, on_event=sink, data=data, model=model, control=control,
                                  checkpoint=recorder.save_checkpoint, resume=checkpoint)
        except KeyboardInterrupt:
            display.close()
            write_notes()
            quick_save(recorder, "interrupted")
            err(f"interrupted; the run so far is in {folder}")
            return EXIT_INTERRUPTED
        except Exception as exc:  # a failure during training: say what, no traceback, keep the folder
            display.close()
            quick_save(recorder, "failed", error=f"{exc.__class__.__name__}: {exc}")
            err(f"training failed: {exc.__class__.__name__}: {exc} (the run so far is in {folder})")
            return EXIT_FAILED
        display.close()
        write_notes()
        try:
            recorder.finish(result.metrics, interrupted=bool(interrupts))
        except KeyboardInterrupt:
            err(f"interrupted while saving; the files in {folder} are complete as far as they go")
            return EXIT_INTERRUPTED
        except RunFolderError as exc:
            err(f"the run trained but was not saved in full: {exc}")
            return EXIT_FAILED
    if not args.json:
        print(f"run saved to {folder}", flush=True)
    if interrupts:
        return EXIT_INTERRUPTED
    return EXIT_DIVERGED if result.reason == "diverged" else EXIT_OK


def silence_stdout() -> None:
    """Point stdout at the null device, after its reader went away (a closed pipe)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def quick_save(recorder: RunRecorder, reason: str, **extra) -> None:
    """The run folder after a hard stop: what is known, no test evaluation."""
    try:
        recorder.finish({"reason": reason, "stopped_early": False, "test_loss": None, "test_accuracy": None,
                         "backend": recorder.model.choice.name, "device": recorder.model.choice.device, **extra},
                        interrupted=reason == "interrupted", evaluate=False)
    except KeyboardInterrupt:
        pass
    except RunFolderError as exc:
        print(f"nntui: {exc}", file=sys.stderr)
