"""The dashboard's tables: a run's results (test metrics, the confusion matrix with per-class
precision, recall and F1, a two-class run's ROC curve, the most confident mistakes) and the
session's runs side by side."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

import engine
from engine.checkpoint import LAST
from engine.reports.recorder import RunFolderError
from engine.text import printable

from .samples import SampleStrip


class ResultsPane(VerticalScroll):
    """What the end of a run says about the test set (the engine's evaluation, rendered)."""

    DEFAULT_CSS = "ResultsPane #roc { height: 16; display: none; } ResultsPane #roc.-shown { display: block; }"

    def compose(self) -> ComposeResult:
        from .plot import PlotextPlot

        yield Static("The test metrics, confusion matrix, per-class precision, recall and F1 and the most "
                     "confident mistakes appear when the run ends.", id="results-text")
        yield DataTable(id="confusion", zebra_stripes=True)
        yield PlotextPlot(id="roc")
        yield Label("Most confident mistakes (test set)", classes="subtitle")
        yield SampleStrip(id="mistakes")

    def show(self, confusion: dict, mistakes: list[dict], metrics: dict) -> None:
        self.query_one("#mistakes", SampleStrip).show(mistakes)
        names, cm, per = confusion["class_names"], confusion["confusion_matrix"], confusion["per_class_accuracy"]
        report = confusion.get("class_report")
        table = self.query_one("#confusion", DataTable)
        table.clear(columns=True)
        names = [escape(printable(n)) for n in names]      # labels from data are shown, never run as markup
        heads = ("precision", "recall", "F1") if report else ("accuracy",)
        table.add_columns("true \\ predicted", *[n[:10] for n in names], *heads)
        for i, row in enumerate(cm):
            figures = ([report["precision"][i], report["recall"][i], report["f1"][i]] if report else [per[i]])
            table.add_row(names[i], *[f"[b]{v}[/]" if i == j else str(v) for j, v in enumerate(row)],
                          *["-" if v is None else f"{v:.3f}" for v in figures])
        if report:
            for avg in ("macro", "weighted"):
                table.add_row(f"[i]{avg} avg[/]", *[""] * len(names),
                              *[f"{report[avg][k]:.3f}" for k in ("precision", "recall", "f1")])
        more = "".join(f", {label} {metrics[k]:.4f}" for k, label in (
            ("test_macro_f1", "macro F1"), ("test_top5_accuracy", "top-5 accuracy"), ("test_roc_auc", "ROC AUC"))
            if metrics.get(k) is not None)
        self.query_one("#results-text", Static).update(
            f"test loss {metrics['test_loss']:.4f}, test accuracy {metrics['test_accuracy']:.4f}{more} on "
            f"{sum(map(sum, cm)):,} samples; rows: true class, columns: predicted"
            + (" (recall is each class's accuracy)" if report else ""))
        roc = confusion.get("roc")
        plot = self.query_one("#roc")
        plot.set_class(bool(roc and roc.get("auc") is not None), "-shown")
        if roc and roc.get("auc") is not None:
            plt = plot.plt
            plt.clear_data()
            plt.title(f"ROC ({names[1]} positive), AUC {roc['auc']:.4f}")
            plt.plot([0, 1], [0, 1], marker="braille", color=(120, 120, 120))
            plt.plot(roc["fpr"], roc["tpr"], marker="braille", label="ROC")
            plt.xlabel("false positive rate")
            plot.refresh()


#: how many earlier runs from runs/ the Runs tab lists (the newest)
EARLIER_RUNS = 30


def earlier_runs(root: Path, skip=()) -> list[dict]:
    """The newest runs under ``root`` (runs/), as the Runs tab shows them: a folder with an
    experiment.toml and a metrics.json that read, or a checkpoint (a run killed before it ended:
    "unfinished", its epochs counted from history.csv). ``skip``: folders already listed."""
    skip = {Path(f).resolve() for f in skip if f}
    try:
        folders = sorted((f for f in root.iterdir() if f.is_dir()), key=lambda f: f.name, reverse=True)
    except OSError:
        return []
    out = []
    for folder in folders:
        if len(out) >= EARLIER_RUNS:
            break
        if folder.resolve() in skip:
            continue
        label = folder.name
        try:
            if (folder / "metrics.json").is_file():
                metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
            elif (folder / LAST).is_file():
                with open(folder / "history.csv", encoding="utf-8") as fh:
                    metrics = {"epochs_run": max(0, sum(1 for _ in fh) - 1), "reason": "unfinished"}
                label += " (unfinished)"
            else:
                continue
            exp = engine.Experiment.from_toml(folder / "experiment.toml")
        except (OSError, ValueError, engine.SpecError):
            continue
        if isinstance(metrics, dict):
            out.append({"label": label, "metrics": metrics, "experiment": exp, "folder": folder})
    return out


def copy_run(source: Path, target: Path) -> None:
    """A copy of a run folder, whole or not at all (copied beside the target, then renamed);
    an existing non-empty target is refused, never mixed into."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RunFolderError(f"{target}: already exists and is not empty; choose another folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.copying")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(source, staging, ignore=shutil.ignore_patterns(".lock"))
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _figure(value, fmt: str) -> str:
    return "-" if not isinstance(value, (int, float)) else format(value, fmt)


class RunsTable(DataTable):
    """This session's runs, then earlier ones kept under runs/: data, layers, optimizer, epochs,
    test figures, time. A row's key is its run folder (enter on it offers to resume the run)."""

    def __init__(self, **kw) -> None:
        super().__init__(cursor_type="row", **kw)

    def show(self, runs: list[dict], earlier: list[dict] = ()) -> None:
        self.clear(columns=True)
        self.add_columns("run", "data", "layers", "optimizer", "epochs", "test loss", "test accuracy", "seconds")
        keys = set()
        for r in [*reversed(runs), *earlier]:
            key = str(r["folder"]) if r.get("folder") else None
            if key is not None and key in keys:    # a run resumed this session is listed once
                continue
            keys.add(key)
            e, m = r["experiment"], r["metrics"]
            layers = "-".join(f"{layer.units} {layer.activation}" for layer in e.model.layers if layer.type == "dense")
            self.add_row(escape(printable(r["label"])), escape(printable(e.data.name)), escape(layers),
                         e.optimizer.name, _figure(m.get("epochs_run"), "d"), _figure(m.get("test_loss"), ".4f"),
                         _figure(m.get("test_accuracy"), ".4f"), _figure(m.get("seconds"), ".1f"), key=key)
