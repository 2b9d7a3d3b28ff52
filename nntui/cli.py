"""The ``nntui`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__, startup
from .exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK

# Nothing heavy at the top: `--help`, `--version` and the listings answer at once, and each
# command imports what it uses (the engine and NumPy, the app and Textual) when it runs.


def _number_or_word(value: str) -> int | str:
    """--threads 2 as the number 2, auto as it is: the experiment's check says what is allowed."""
    try:
        return int(value)
    except ValueError:
        return value


def _args_train(t: argparse.ArgumentParser) -> None:
    t.add_argument("experiment", nargs="?", help="experiment TOML file")
    t.add_argument("--preset", help="a built-in experiment instead of a file (see: nntui presets)")
    t.add_argument("--report", metavar="DIR", help="the run folder (default: runs/<timestamp>-<name>); "
                                                   "an existing folder must be empty")
    t.add_argument("--resume", metavar="DIR",
                   help="go on with a stopped or killed run from its last complete epoch, in its folder "
                        "(with --epochs N: train a finished run on to N epochs)")
    t.add_argument("--overwrite", action="store_true",
                   help="replace the content of an existing --report folder (removed first, never mixed)")
    t.add_argument("--backend", choices=["auto", "numpy", "mlx"])
    t.add_argument("--epochs", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--threads", type=_number_or_word, metavar="N|auto",
                   help="the NumPy backend's threads: auto (default) chooses from what the step achieves, "
                        "a number holds it (runs that repeat bit for bit)")
    t.add_argument("--inspect", action="store_true", default=None,
                   help="per-layer statistics each epoch (gradient norms, dead and saturated units, histograms) "
                        "into the run's events and report")
    t.add_argument("--quiet", action="store_true", help="only the final line")
    t.add_argument("--json", action="store_true", help="every event as one JSON object per line on stdout")


def _args_report(r: argparse.ArgumentParser) -> None:
    r.add_argument("folders", nargs="+", metavar="DIR")


def _args_search(s: argparse.ArgumentParser) -> None:
    s.add_argument("experiment", help="experiment TOML file with a [search] table")
    s.add_argument("--trials", type=int, help="the study's number of trials (overrides search.trials)")
    s.add_argument("--workers", type=int, default=1, help="worker processes on this machine (default 1)")
    s.add_argument("--storage", help="Optuna storage URL shared by all workers, e.g. postgresql+psycopg://user@host/db "
                                     "(default: sqlite in the search folder)")
    s.add_argument("--study", help="the study's name in the storage (default: the experiment's name)")
    s.add_argument("--report", metavar="DIR", help="the search folder (default: searches/<name>); run the same "
                                                   "command again to resume")


def _args_optimizers(o: argparse.ArgumentParser) -> None:
    o.add_argument("--surface", default="quadratic",
                   help="quadratic (default), rosenbrock, beale, saddle or plateau")
    o.add_argument("--optimizers", help="comma-separated (default: all of them, momentum and nesterov included)")
    o.add_argument("--steps", type=int, default=200, help="steps each (default 200)")
    o.add_argument("--lr", type=float, help="one learning rate for all (default: the surface's, one for SGD and "
                                            "its momentum variants, one for the adaptive optimizers)")
    o.add_argument("--start", metavar="X,Y", help="the start point (default: the surface's)")
    o.add_argument("--schedule", help="a learning-rate schedule with its defaults, one step an epoch "
                                      "(exponential, inverse_time, step, cyclical, cosine_restarts)")
    o.add_argument("--out", metavar="DIR", help="write surface.svg and one CSV a path (step,x,y,loss,lr) there")


def _args_lr_find(f: argparse.ArgumentParser) -> None:
    f.add_argument("experiment", nargs="?", help="experiment TOML file")
    f.add_argument("--preset", help="a built-in experiment instead of a file")
    f.add_argument("--steps", type=int, default=200, help="steps of the sweep (default 200)")
    f.add_argument("--start-lr", type=float, default=1e-7, help="the first rate (default 1e-7)")
    f.add_argument("--end-lr", type=float, default=10.0, help="the last rate (default 10)")
    f.add_argument("--batch-sizes", metavar="B,B", help="sweep at each of these batch sizes, overlaid "
                                                        "(default: the experiment's)")
    f.add_argument("--json", action="store_true", help="every point and the suggestions as JSON")


def _args_backprop(b: argparse.ArgumentParser) -> None:
    b.add_argument("experiment", nargs="?", help="experiment TOML file (default: a 2-3-2 tanh network on moons)")
    b.add_argument("--layer", type=int, default=0, help="the dense layer (stack numbering, default 0)")
    b.add_argument("--unit", type=int, default=0, help="the unit of that layer (default 0)")
    b.add_argument("--weight", type=int, default=0, help="which of the unit's inputs (default 0)")
    b.add_argument("--sample", type=int, default=0, help="the training set's row (default 0)")


def _args_export(x: argparse.ArgumentParser) -> None:
    x.add_argument("experiment", nargs="?", help="experiment TOML file")
    x.add_argument("--preset", help="a built-in experiment instead of a file")
    x.add_argument("--to", required=True, choices=["pytorch", "keras", "mlx"], help="the framework")
    x.add_argument("-o", "--output", metavar="FILE.py", help="write the script there (default: print it)")
    x.add_argument("--standalone", action="store_true",
                   help="read the data inline (NPZ, CSV, IDX files) instead of through nntui's engine.load_data")


def _args_serve(w: argparse.ArgumentParser) -> None:
    w.add_argument("experiment", nargs="?", help="experiment TOML file to open")
    w.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: this machine only)")
    w.add_argument("--port", type=int, default=8000, help="the port (default 8000)")


def _args_datasets(d: argparse.ArgumentParser) -> None:
    d.add_argument("action", nargs="?", choices=["fetch"], help="fetch: download a dataset ahead of time")
    d.add_argument("name", nargs="?", help="the dataset to fetch (fashion-mnist or mnist)")
    d.add_argument("--mirror", help="a base URL to try before the built-in mirrors")


#: each command's one-line help and the function that adds its arguments
SUBCOMMANDS = {
    "train": ("train an experiment headless and save the run folder", _args_train),
    "report": ("show a saved run in the terminal, or compare several", _args_report),
    "search": ("hyperparameter search over the experiment's [search] table (Optuna)", _args_search),
    "optimizers": ("optimizers' paths on a 2D test surface (the engine's own optimizers), "
                   "as a table, or an SVG and CSVs with --out", _args_optimizers),
    "lr-find": ("the learning-rate finder: the loss over an exponential sweep of the rate "
                "from fresh weights, and the suggested rate", _args_lr_find),
    "backprop": ("backpropagation for one sample and one weight, written out: the "
                 "forward pass, the chain rule's factors, finite differences, the update", _args_backprop),
    "export": ("the experiment as a runnable PyTorch, Keras or MLX script", _args_export),
    "serve": ("the app in a browser (textual-serve), on 127.0.0.1 unless told otherwise", _args_serve),
    "presets": ("list the built-in experiments", None),
    "datasets": ("list the built-in datasets (and what is cached), or fetch one", _args_datasets),
}


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with `only`, just that command's (the one argv names): argparse
    sizes its help to the terminal for every argument it is given, 8 to 11 ms for all commands'."""
    p = argparse.ArgumentParser(prog="nntui", description="Build, train and understand MLPs in the terminal.")
    p.add_argument("--version", action="version", version=f"nntui {__version__}")
    sub = p.add_subparsers(dest="command")
    for name, (text, add_arguments) in SUBCOMMANDS.items():
        if only in (None, name):
            s = sub.add_parser(name, help=text)
            if add_arguments is not None:
                add_arguments(s)
    return p


def _datasets(args) -> int:
    import os

    import engine
    from engine.data.listing import list_datasets

    if args.action is None:
        rows = list_datasets()
        cols = ("name", "samples", "features", "classes", "task")
        widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
        print("  ".join(c.ljust(widths[c]) for c in cols) + "  source")
        for r in rows:
            print("  ".join(r[c].ljust(widths[c]) for c in cols) + "  " + r["source"])
        return EXIT_OK
    from engine.data.download import MIRRORS

    if args.name not in MIRRORS:
        print(f"nntui: datasets fetch: {args.name!r} is not downloadable; choose one of {', '.join(MIRRORS)}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.mirror:
        os.environ["NNTUI_MIRROR"] = args.mirror
    from engine.events import DownloadProgress

    from .headless import PlainDisplay, RichDisplay

    display = RichDisplay() if sys.stdout.isatty() else PlainDisplay()
    try:
        folder = engine.data.fetch(args.name, progress=lambda f, done, total: display(DownloadProgress(f, done, total)))
    except engine.DataError as exc:
        display.close()
        print(f"nntui: {exc}", file=sys.stderr)
        return EXIT_FAILED
    display.close()
    print(f"{args.name}: verified and cached in {folder}")
    return EXIT_OK


def _presets() -> int:
    import textwrap

    import engine.presets
    from engine.presets.figures import figure_line

    presets = engine.presets.list_presets()
    layers = {exp.name: "-".join(str(layer.units) for layer in exp.model.layers if layer.type == "dense")
              for exp in presets}
    # columns as wide as their longest entry, two spaces apart (names ran into the dataset before)
    w_name = max(len(exp.name) for exp in presets) + 2
    w_data = max(len(exp.data.name) for exp in presets) + 2
    w_layers = max(len(v) for v in layers.values()) + 2
    for exp in presets:
        print(f"{exp.name:<{w_name}}{exp.data.name:<{w_data}}{layers[exp.name]:<{w_layers}}{exp.optimizer.name}, "
              f"{exp.train.epochs} epochs, batch {exp.train.batch_size}")
        print(textwrap.indent(textwrap.fill(exp.description, 88), "    "))
        figures = figure_line(exp.name)
        if figures:
            print(textwrap.indent(textwrap.fill(figures, 88), "    > "))
    print("\nrun one with: nntui train --preset NAME")
    return EXIT_OK


COMMANDS = tuple(SUBCOMMANDS)
#: the commands that read, or write each file whole (atomically) before they return: their end
#: leaves what they made out of the interpreter's last collection (startup.leaving)
BRIEF = ("report", "presets", "datasets", "export", "backprop", "optimizers")


def _tui(path: str | None) -> int:
    import os

    import engine

    if os.environ.get("TERM") == "dumb":
        print("nntui: this terminal (TERM=dumb) cannot draw the app; use a terminal that can (xterm, tmux, "
              "any modern one), or train headless: nntui train EXPERIMENT.toml", file=sys.stderr)
        return EXIT_BAD_INPUT

    if path is not None and Path(path).exists():  # a new file name opens the default, saved there
        try:      # not readable or not TOML: said here; a wrong value opens in the builder, to be fixed
            engine.spec.read_toml_table(path)
        except engine.SpecError as exc:
            print(f"nntui: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    from .app import make_app

    make_app(path).run()
    return EXIT_OK


def _unknown(word: str) -> int:
    import difflib

    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.5)
    hint = f"; did you mean 'nntui {close[0]}'?" if close else ""
    print(f"nntui: unknown command {word!r}{hint} Commands: {', '.join(COMMANDS)}; or an experiment file "
          "(NAME.toml) to open in the app. See: nntui --help", file=sys.stderr)
    return EXIT_BAD_INPUT


def _dispatch(argv: list[str]) -> int:
    if not argv:
        return _tui(None)
    first = argv[0]
    if first not in COMMANDS and not first.startswith("-"):
        # An experiment file to open: one that exists, or a new NAME.toml. Anything else is a typo.
        if first.endswith(".toml") or Path(first).is_file():
            return _tui(first)
        return _unknown(first)
    args = _parser(first if first in COMMANDS else None).parse_args(argv)
    if args.command == "train":
        from .headless import train_command

        return train_command(args)
    if args.command == "datasets":
        return _datasets(args)
    if args.command == "search":
        from .search_command import search_command

        return search_command(args)
    if args.command == "presets":
        return _presets()
    if args.command == "backprop":
        from .backprop_command import backprop_command

        return backprop_command(args)
    if args.command == "serve":
        from .serve_command import serve_command

        return serve_command(args)
    if args.command == "export":
        from .export_command import export_command

        return export_command(args)
    if args.command == "lr-find":
        from .lr_find_command import lr_find_command

        return lr_find_command(args)
    if args.command == "optimizers":
        from .optimizers_command import optimizers_command

        return optimizers_command(args)
    if args.command == "report":
        from .report_view import show

        return show(args.folders)
    return _tui(None)


def main(argv: list[str] | None = None) -> int:
    """The command line; whatever happens, a message and an exit code, never a traceback
    (NNTUI_DEBUG=1 shows one for an unexpected error)."""
    as_program = argv is None          # the process is this command (not a call from Python)
    argv = sys.argv[1:] if argv is None else argv
    startup.hold()
    try:
        return _guarded(argv)
    finally:
        startup.release()
        if as_program and argv[:1] and argv[0] in BRIEF:
            startup.leaving()


def _guarded(argv: list[str]) -> int:
    """The command, with every way it can fail turned into a message and an exit code."""
    import os

    try:
        return _dispatch(argv)
    except BrokenPipeError:
        # `nntui presets | head -1`: the reader went away. Nothing more to say to it.
        from .headless import silence_stdout

        silence_stdout()
        return EXIT_OK
    except KeyboardInterrupt:
        print("\nnntui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except RecursionError:
        print("nntui: the input is nested too deeply to read", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print("nntui: out of memory (the data or the model is too large for this machine)", file=sys.stderr)
        return EXIT_FAILED
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001  the last line of defence: a message, not a traceback
        if os.environ.get("NNTUI_DEBUG"):
            raise
        print(f"nntui: unexpected error: {exc.__class__.__name__}: {exc} (this is a bug in nntui; "
              "NNTUI_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
