"""`nntui lr-find`: the learning-rate finder (engine.lr_find) for an experiment, headless: the
smoothed loss against the rate on a log axis (one curve per batch size), the suggested rate
marked, and a line a script can read (or every point with --json)."""

from __future__ import annotations

import json
import math
import os
import shutil
import sys

from .exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from .startup import settle

COLOURS = ((95, 175, 255), (255, 175, 95), (135, 215, 95), (255, 95, 135))


def decade_ticks(rates: list[float]) -> tuple[list[float], list[str]]:
    """A log axis's ticks over ``rates``: each power of ten, labelled like 1e-05 or 0.1."""
    if not rates:
        return [], []
    decades = range(math.floor(math.log10(min(rates))), math.ceil(math.log10(max(rates))) + 1)
    return [10.0 ** d for d in decades], [f"{10.0 ** d:g}" for d in decades]


def plot(results, width: int, color: bool) -> str:
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, 16)
    plt.title("smoothed loss against the learning rate (log axis); | the suggestion")
    plt.xlabel("learning rate")
    plt.xscale("log")
    if not color:
        plt.theme("clear")
    plt.xticks(*decade_ticks([v for r in results for v in r.rates]))
    for i, r in enumerate(results):
        c = COLOURS[i % len(COLOURS)] if color else None
        plt.plot(r.rates, r.smoothed, marker="braille", label=f"batch {r.batch_size}", color=c)
        if r.suggestion:
            plt.vline(r.suggestion, color=c)
    text = plt.build()
    return text if color else plt.uncolorize(text)


def lr_find_command(args) -> int:
    import engine
    from engine.lr_find import lr_find
    from engine.text import printable

    def bad(message) -> int:
        print(f"nntui: lr-find: {printable(message)}", file=sys.stderr)
        return EXIT_BAD_INPUT

    try:
        if bool(args.experiment) == bool(args.preset):
            raise engine.SpecError("", "give an experiment file or --preset NAME (one of them)")
        exp = engine.presets.load_preset(args.preset) if args.preset else engine.Experiment.from_toml(args.experiment)
        sizes = [int(v) for v in args.batch_sizes.split(",")] if args.batch_sizes else [exp.train.batch_size]
        if not sizes or any(b < 1 for b in sizes):
            raise engine.SpecError("--batch-sizes", f"positive whole numbers, comma-separated, got {args.batch_sizes!r}")
        if not (0 < args.start_lr < args.end_lr and math.isfinite(args.end_lr)):
            raise engine.SpecError("--start-lr", f"0 < --start-lr < --end-lr, got {args.start_lr:g} and {args.end_lr:g}")
        if not 20 <= args.steps <= 100_000:
            raise engine.SpecError("--steps", f"20 to 100000, got {args.steps}")
        data = engine.load_data(exp.data)
        exp.check_data(data.n_classes, data.task)
    except ValueError as exc:       # SpecError and DataError; int() of a bad --batch-sizes
        return bad(exc if isinstance(exc, (engine.SpecError, engine.DataError)) else
                   f"--batch-sizes: positive whole numbers, comma-separated, got {args.batch_sizes!r}")
    settle()
    try:
        results = [lr_find(exp, data, batch_size=b, start=args.start_lr, end=args.end_lr, steps=args.steps)
                   for b in sizes]
    except (engine.SpecError, engine.BackendUnavailable) as exc:
        return bad(exc)
    except MemoryError:
        print("nntui: lr-find: out of memory", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps({"results": [r.to_dict() for r in results]}))
        return EXIT_OK
    width = min(100, shutil.get_terminal_size((100, 30)).columns)
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    print(plot(results, width, color))
    for r in results:
        end = "stopped where the loss exploded" if r.exploded else "the loss never exploded"
        if r.suggestion is None:
            print(f"batch {r.batch_size}: no suggestion (the sweep ended after {len(r.rates)} steps)")
        else:
            print(f"batch {r.batch_size}: suggested learning rate {r.suggestion:.3g} (steepest descent of the "
                  f"smoothed loss; {len(r.rates)} steps up to {r.rates[-1]:.3g}, {end})")
    print(f"the experiment trains at {exp.optimizer.learning_rate:g} ({exp.optimizer.name}); set "
          "optimizer.learning_rate to use a suggestion")
    return EXIT_OK
