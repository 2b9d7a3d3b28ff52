"""`nntui report DIR [DIR ...]`: a saved run in the terminal (tables, the early-stopping story,
the curves as terminal plots), or several runs side by side."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import plotext as plt
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

import engine
from engine.columns import history_fields, is_regression
from engine.reports.history import RunFolderError, read_history
from engine.reports.run import ROW_FORMATS, TEST_COLUMNS, _calibration_text, fmt_seconds, fmt_value, story
from engine.text import printable

#: the curves' colours, drawn on the terminal's own ground: the 16 colours of its palette that read on
#: a dark ground and a light one alike (as the ANSI theme's: bright blue, then yellow, which plotext
#: calls orange; its bright yellow, "orange+", all but vanished on a light ground)
TRAIN, VALIDATION = "blue+", "orange"
PALETTE = ("blue+", "orange", "green", "red", "magenta", "cyan")


def safe(text) -> str:
    """Text from a run's files for the console: no markup, no control characters."""
    return escape(printable(text))


class RunFiles:
    """A saved run's files, read and checked; anything unreadable is a RunFolderError naming the file."""

    def __init__(self, folder: Path):
        self.folder = folder
        if not folder.is_dir():
            raise RunFolderError(f"{folder}: not a folder (nntui report takes run folders)")
        for name in ("metrics.json", "history.csv", "experiment.toml"):
            if not (folder / name).is_file():
                raise RunFolderError(f"{folder}: not a run folder (no {name})")
        self.metrics = _json_file(folder / "metrics.json")
        if not isinstance(self.metrics, dict):
            raise RunFolderError(f"{folder / 'metrics.json'}: expected a JSON object of metrics, "
                                 f"got a {type(self.metrics).__name__}")
        self.history = read_history(folder)
        self.experiment = engine.Experiment.from_toml(folder / "experiment.toml")
        events = folder / "events.jsonl"
        self.events = []
        if events.is_file():
            lines = _text(events).splitlines()
            for n, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    if n == len(lines):   # a run cut off mid-line: its last line
                        break
                    raise RunFolderError(f"{events}: line {n} is not a JSON object") from None
                if not isinstance(record, dict) or not isinstance(record.get("event"), str):
                    raise RunFolderError(f"{events}: line {n} is not an event (a JSON object with \"event\")")
                self.events.append(record)

    label_override: str | None = None

    @property
    def label(self) -> str:
        return self.label_override or self.experiment.name or self.folder.name


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RunFolderError(f"{path}: not UTF-8 text (byte {exc.start}): is it a run folder's file?") from None
    except OSError as exc:
        raise RunFolderError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _json_file(path: Path):
    try:
        return json.loads(_text(path))
    except ValueError as exc:
        raise RunFolderError(f"{path}: not valid JSON ({exc})") from None


#: the terminal's epoch table shows at most this many rows, its early-stopping story this many
#: lines: a spiral run of 2,000 epochs printed 2,000 of each (and took seconds to lay out), which
#: scrolled the curves and the confusion matrix away. report.md and history.csv keep every epoch.
TABLE_ROWS = 24
STORY_LINES = 16


def shown_epochs(history: list[dict], best_epoch=None, limit: int = TABLE_ROWS) -> tuple[list[int], int]:
    """The history rows the terminal's table shows, and the spacing: all of a run of up to
    ``limit`` epochs; of a longer one the first, every step-th after it, the best and the last."""
    n = len(history)
    if n <= limit:
        return list(range(n)), 1
    step = -(-(n - 1) // (limit - 3))      # room for the best and the last beside the spaced ones
    keep = set(range(0, n, step)) | {n - 1}
    keep |= {i for i, r in enumerate(history) if r.get("epoch") == best_epoch}
    return sorted(keep), step


def shown_story(lines: list[str], limit: int = STORY_LINES) -> list[str]:
    """The story's first and last lines where it is longer than ``limit`` (one line an epoch
    while early stopping watches), the count of those left out between them."""
    if len(lines) <= limit:
        return lines
    head, tail = limit // 2 - 1, limit // 2
    return lines[:head] + [f"... {len(lines) - head - tail} more lines (report.md has them all) ..."] + lines[-tail:]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


#: the marks of the second and later curves of a plot where colour is off (the first is a braille line)
PLAIN_MARKS = "•+*%#"


def _plot(title: str, series: list[tuple[str, list, str]], width: int, color: bool) -> str:
    plt.clear_figure()
    plt.plotsize(width, 14)
    plt.title(title)
    plt.xlabel("epoch")
    if color:     # the terminal's own ground and text: plotext's default is a white canvas, black text
        plt.canvas_color("default")
        plt.axes_color("default")
        plt.ticks_color("default")
    else:
        plt.theme("clear")
    n = max((len(ys) for _, ys, _ in series), default=1)
    step = max(1, -(-n // 8))
    plt.xticks(list(range(1, n + 1, step)))
    for k, (label, ys, c) in enumerate(series):
        pts = [(i + 1, v) for i, v in enumerate(ys) if v is not None]
        if pts:       # without colour the curves differ by their marks: a braille line, then symbols
            plt.plot([p[0] for p in pts], [p[1] for p in pts], label=label,
                     marker="braille" if color or k == 0 else PLAIN_MARKS[(k - 1) % len(PLAIN_MARKS)],
                     color=c if color else None)
    text = plt.build()
    return text if color else plt.uncolorize(text)  # plotext leaves reset codes even in its clear theme


#: where colour is off, a cell is its predicted class's symbol (upper case where the model is sure)
CLASS_SYMBOLS = "oxv+*#%@"
#: the map's size: engine.plane.TERMINAL_MAP (not imported: that module loads NumPy)
MAP_COLS, MAP_ROWS = 36, 14


def planar(run: RunFiles) -> bool:
    """A classifier of two features (from the dataset's spec: nothing is loaded to know it)."""
    from engine.data.catalog import static_info

    info = static_info(run.experiment.data)
    return (info is not None and info.plane and info.task == "classification"
            and (run.folder / "model.npz").is_file())


def _saved_map(run: RunFiles) -> dict | None:
    """The map the run saved (boundary.json, written with boundary.svg), if it is whole."""
    try:
        m = json.loads((run.folder / "boundary.json").read_text(encoding="utf-8"))
        rows, cols = MAP_ROWS, MAP_COLS
        ok = (len(m["colour"]) == 2 * rows and len(m["classes"]) == rows and len(m["sure"]) == rows
              and all(len(r) == cols and all(len(p) == 3 and all(isinstance(v, int) and 0 <= v < 256 for v in p)
                                            for p in r) for r in m["colour"])
              and all(len(r) == cols and all(isinstance(c, int) and c >= 0 for c in r) for r in m["classes"])
              and all(len(r) == cols for r in m["sure"]))
        return m if ok else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def boundary_text(run: RunFiles, color: bool):
    """The run's decision boundary as terminal text: the plane in half blocks of class colours
    (two pixels a cell), or in class symbols where colour is off. From the run's boundary.json;
    a run folder without one (an older nntui's) has it computed from the model and data. None
    where it cannot be made (the model or data do not load)."""
    from rich.text import Text

    m = _saved_map(run)
    if m is None:
        from engine.plane import terminal_boundary

        try:
            m = terminal_boundary(engine.load_model(run.folder / "model.npz"), engine.load_data(run.experiment.data))
        except (engine.SpecError, engine.DataError, OSError):
            return None
    if color:
        return HalfBlocks(m["colour"])
    text = Text()
    n = len(CLASS_SYMBOLS)
    for cls, sure in zip(m["classes"], m["sure"]):
        text.append("".join(CLASS_SYMBOLS[c % n].upper() if s else CLASS_SYMBOLS[c % n]
                            for c, s in zip(cls, sure)) + "\n")
    return text


class HalfBlocks:
    """An image as rich renders it: a cell an upper half block, its colour the upper pixel and
    its ground the lower one. It hands rich one Style per colour pair, made once, and one segment
    per run of cells of one style, instead of a style string per cell to parse and a span per cell
    to lay out."""

    def __init__(self, image: list[list[list[int]]]):
        self.image = image

    def __rich_console__(self, console, options):
        from rich.color import Color, ColorSystem
        from rich.console import COLOR_SYSTEMS
        from rich.segment import Segment
        from rich.style import Style

        # A terminal of 256 (or 16) colours shows each pixel as the palette colour rich picks for it;
        # picked here, once per distinct colour, the map's 441 colour pairs are some 30 styles
        system = COLOR_SYSTEMS.get(console.color_system)
        palette = system in (ColorSystem.EIGHT_BIT, ColorSystem.STANDARD)
        colors: dict[tuple, Color] = {}
        styles: dict[tuple, Style] = {}

        def color(p: tuple) -> Color:
            c = colors.get(p)
            if c is None:
                c = Color.from_rgb(*p)
                colors[p] = c = Color.from_ansi(c.downgrade(system).number) if palette else c
            return c

        for upper, lower in zip(self.image[0::2], self.image[1::2]):
            run, cells = None, 0            # cells of one style side by side: one segment
            for t, b in zip(upper, lower):
                fg, bg = color(tuple(t)), color(tuple(b))
                style = styles.get((fg, bg))
                if style is None:
                    style = styles[fg, bg] = Style(color=fg, bgcolor=bg)
                if style is not run and cells:
                    yield Segment("\u2580" * cells, run)
                    cells = 0
                run, cells = style, cells + 1
            if cells:
                yield Segment("\u2580" * cells, run)
            yield Segment.line()
        yield Segment.line()   # a blank line under it, as under the symbols' map

    def __rich_measure__(self, console, options):
        from rich.measure import Measurement

        width = len(self.image[0]) if self.image else 0
        return Measurement(width, width)


def _boundaries(console, runs: list[RunFiles], color: bool) -> None:
    """The decision boundaries of the runs that have one, side by side (the lecture's ReLU
    against tanh)."""
    from rich.table import Table as Grid

    shown = [(r, boundary_text(r, color)) for r in runs if planar(r)]
    shown = [(r, t) for r, t in shown if t is not None]
    if not shown:
        return
    for i in range(0, len(shown), 2):
        grid = Grid.grid(padding=(0, 2))
        pair = shown[i:i + 2]
        for _ in pair:
            grid.add_column(width=MAP_COLS, no_wrap=True)
        grid.add_row(*[safe(r.label) for r, _ in pair])
        grid.add_row(*[t for _, t in pair])
        console.print(grid)
    legend = "paler: unsure" if color else f"symbols {CLASS_SYMBOLS[:2]}... by class, upper case where p > 0.9"
    console.print(f"decision boundaries over the training data's range ({legend})")


def show(folders: list[str]) -> int:
    console = Console(highlight=False)
    try:
        runs = [RunFiles(Path(f)) for f in folders]
    except (RunFolderError, engine.SpecError) as exc:
        print(f"nntui: {printable(exc)}", file=sys.stderr)
        return 2
    width = min(100, shutil.get_terminal_size((100, 30)).columns)
    color = console.is_terminal and not os.environ.get("NO_COLOR")
    try:
        if len(runs) == 1:
            _one(console, runs[0], width, color)
        else:
            _compare(console, runs, width, color)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        # metrics.json or events.jsonl parsed, but holds values of the wrong kind (edited by hand)
        print(f"nntui: {', '.join(str(r.folder) for r in runs)}: metrics.json or events.jsonl holds values nntui "
              f"did not write ({exc.__class__.__name__}: {printable(exc)})", file=sys.stderr)
        return 2
    return 0


def _one(console, run: RunFiles, width: int, color: bool) -> None:
    exp, m = run.experiment, run.metrics
    console.rule(f"[bold]{safe(run.label)}[/]  ({safe(run.folder)})")
    if exp.description:
        console.print(safe(exp.description.strip()))
    status = m.get("reason", "?") + (" (interrupted)" if m.get("interrupted") else "")
    console.print(f"{exp.data.name}, backend {m.get('backend')} on {m.get('device')}: {m.get('epochs_run')} of "
                  f"{exp.train.epochs} epochs, {status}, {fmt_seconds(m.get('seconds'), ' ')}")
    h = run.history
    regression = any(is_regression(r) for r in h) or m.get("test_mae") is not None
    console.print("   ".join(f"{head} {fmt_value(m.get(k))}" for k, head in TEST_COLUMNS[regression]))
    col = lambda k: [r[k] for r in h]  # noqa: E731
    print(_plot("loss", [("train", col("loss"), TRAIN), ("validation", col("val_loss"), VALIDATION)], width, color))
    for key in (("mae", "r2") if regression else ("accuracy",)):
        if any(v is not None for v in col(key)):
            print(_plot(key, [("train", col(key), TRAIN), ("validation", col(f"val_{key}"), VALIDATION)], width, color))
    columns = history_fields(regression)
    heads = {}
    if regression and shutil.get_terminal_size((100, 30)).columns < 120:
        # eleven columns do not fit 80: RMSE is the loss's root (history.csv and report.md have it)
        columns, heads = tuple(k for k in columns if not k.endswith("rmse")), {"seconds": "s"}
    table = Table(*[Column(heads.get(k, k), min_width=len(heads.get(k, k)), no_wrap=True) for k in columns],
                  title="Epochs",
                  box=box.SIMPLE_HEAD if regression else box.HEAVY_HEAD)
    best, watched = m.get("best_epoch"), exp.early_stopping.monitor if exp.early_stopping else None
    if best is None:             # no early stopping: the epoch of the lowest validation (or training) loss
        watched = "val_loss" if any(r["val_loss"] is not None for r in h) else "loss"
        scored = [r for r in h if r[watched] is not None]
        best = min(scored, key=lambda r: r[watched])["epoch"] if scored else None
    rows, step = shown_epochs(h, best)
    for i in rows:
        r = h[i]
        table.add_row(*[str(r["epoch"]) if k == "epoch" else fmt_value(r[k], ROW_FORMATS.get(k, ".4f")) for k in columns],
                      style="bold" if r["epoch"] == best and len(rows) < len(h) else None)
    if len(rows) < len(h):
        table.caption = (f"{len(rows)} of {len(h)} epochs: every {_ordinal(step)}, the last and the best {watched} "
                         "(bold); history.csv has them all")
    console.print(table)
    for line in shown_story(story(exp, run.events, m)):
        console.print(safe(line))
    cm, names = m.get("confusion_matrix"), m.get("class_names")
    if cm and names:
        names = [safe(n) for n in names]
        report = m.get("class_report")
        heads = ("precision", "recall", "F1") if report else ("accuracy",)
        t = Table("true \\ predicted", *[n[:9] for n in names], *heads, title="Confusion matrix (test set)")
        for i, row in enumerate(cm):
            figures = ([report["precision"][i], report["recall"][i], report["f1"][i]] if report
                       else [m["per_class_accuracy"][i]])
            t.add_row(names[i], *[f"[bold]{v}[/]" if i == j else str(v) for j, v in enumerate(row)],
                      *[fmt_value(v, ".3f") for v in figures])
        if report:
            for avg in ("macro", "weighted"):
                t.add_row(f"[italic]{avg} avg[/]", *[""] * len(names),
                          *[fmt_value(report[avg][k], ".3f") for k in ("precision", "recall", "f1")])
        console.print(t)
        extra = [f"top-5 accuracy {fmt_value(m['test_top5_accuracy'])}" if m.get("test_top5_accuracy") is not None
                 else "", f"ROC AUC {fmt_value(m['test_roc_auc'])}" if m.get("test_roc_auc") is not None else ""]
        if any(extra):
            console.print("test " + "   ".join(e for e in extra if e))
        calibrated = _calibration_text(m.get("calibration"))
        if calibrated:
            console.print(safe(calibrated[0].upper() + calibrated[1:]))
    _boundaries(console, [run], color)


def _compare(console, runs: list[RunFiles], width: int, color: bool) -> None:
    if len({r.label for r in runs}) < len(runs):  # the same experiment run twice: tell them apart by folder
        for r in runs:
            r.label_override = r.folder.name
    # the run's name folds onto a second line rather than being cut: at 80 columns spiral-relu and
    # spiral-tanh were both "spiral…"
    # the metrics some run has beyond loss and accuracy: macro F1, top-5 accuracy, ROC AUC
    # (and regression's MAE, RMSE and R²)
    more = [(k, head) for k, head in (("test_macro_f1", "macro F1"), ("test_top5_accuracy", "top-5 acc"),
                                      ("test_roc_auc", "ROC AUC"), ("test_ece", "ECE"), ("test_mae", "MAE"),
                                      ("test_rmse", "RMSE"),
                                      ("test_r2", "R²")) if any(r.metrics.get(k) is not None for r in runs)]
    # short heads: Rich does not wrap them, and the table must fit 80 columns
    table = Table(Column("run", overflow="fold", min_width=12), "data", "epochs", "loss", "acc", "best",
                  "s", "samples/s", title="Runs side by side (loss and accuracy on the test set)")
    for r in runs:
        m = r.metrics
        table.add_row(safe(r.label), r.experiment.data.name, str(m.get("epochs_run")), fmt_value(m.get("test_loss")),
                      fmt_value(m.get("test_accuracy")), str(m.get("best_epoch") or "-"), fmt_value(m.get("seconds"), ".1f"),
                      fmt_value(m.get("samples_per_second"), ",.0f"))
    console.print(table)
    if more:                              # a table of their own: the first one fills 80 columns already
        table = Table(Column("run", overflow="fold", min_width=12), *[head for _, head in more],
                      title="Test metrics side by side")
        for r in runs:
            table.add_row(safe(r.label), *[fmt_value(r.metrics.get(k)) for k, _ in more])
        console.print(table)
    key = "val_loss" if all(any(h["val_loss"] is not None for h in r.history) for r in runs) else "loss"
    print(_plot(key, [(r.label, [h[key] for h in r.history], PALETTE[i % len(PALETTE)]) for i, r in enumerate(runs)],
                width, color))
    val = key == "val_loss"
    for second in ("accuracy", "mae", "r2"):     # the curves every run has: classification's or regression's
        if all(any(h[second] is not None for h in r.history) for r in runs):
            k = f"val_{second}" if val else second
            print(_plot(k, [(r.label, [h[k] for h in r.history], PALETTE[i % len(PALETTE)]) for i, r in enumerate(runs)],
                        width, color))
    _boundaries(console, runs, color)
