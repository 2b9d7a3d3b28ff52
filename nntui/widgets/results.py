"""The dashboard's tables: a run's results (test metrics, the confusion matrix with per-class
accuracy, the most confident mistakes) and the session's runs side by side."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

import engine
from engine.reports.recorder import RunFolderError
from engine.text import printable

from .samples import SampleStrip


class ResultsPane(VerticalScroll):
    """What the end of a run says about the test set (the engine's evaluation, rendered)."""

    def compose(self) -> ComposeResult:
        yield Static("The test metrics, confusion matrix, per-class accuracy and the most confident "
                     "mistakes appear when the run ends.", id="results-text")
        yield DataTable(id="confusion", zebra_stripes=True)
        yield Label("Most confident mistakes (test set)", classes="subtitle")
        yield SampleStrip(id="mistakes")

    def show(self, confusion: dict, mistakes: list[dict], metrics: dict) -> None:
        self.query_one("#mistakes", SampleStrip).show(mistakes)
        names, cm, per = confusion["class_names"], confusion["confusion_matrix"], confusion["per_class_accuracy"]
        table = self.query_one("#confusion", DataTable)
        table.clear(columns=True)
        names = [escape(printable(n)) for n in names]      # labels from data are shown, never run as markup
        table.add_columns("true \\ predicted", *[n[:10] for n in names], "accuracy")
        for i, row in enumerate(cm):
            table.add_row(names[i], *[f"[b]{v}[/]" if i == j else str(v) for j, v in enumerate(row)],
                          "-" if per[i] is None else f"{per[i]:.3f}")
        self.query_one("#results-text", Static).update(
            f"test loss {metrics['test_loss']:.4f}, test accuracy {metrics['test_accuracy']:.4f} on "
            f"{sum(map(sum, cm)):,} samples; rows: true class, columns: predicted")


#: how many earlier runs from runs/ the Runs tab lists (the newest)
EARLIER_RUNS = 30


def earlier_runs(root: Path, skip=()) -> list[dict]:
    """The newest finished runs under ``root`` (runs/), as the Runs tab shows them: a folder with
    an experiment.toml and a metrics.json that read. ``skip``: folders already listed."""
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
        try:
            metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
            exp = engine.Experiment.from_toml(folder / "experiment.toml")
        except (OSError, ValueError, engine.SpecError):
            continue
        if isinstance(metrics, dict):
            out.append({"label": folder.name, "metrics": metrics, "experiment": exp, "folder": folder})
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
    test figures, time."""

    def show(self, runs: list[dict], earlier: list[dict] = ()) -> None:
        self.clear(columns=True)
        self.add_columns("run", "data", "layers", "optimizer", "epochs", "test loss", "test accuracy", "seconds")
        for r in [*reversed(runs), *earlier]:
            e, m = r["experiment"], r["metrics"]
            layers = "-".join(f"{layer.units} {layer.activation}" for layer in e.model.layers if layer.type == "dense")
            self.add_row(escape(printable(r["label"])), escape(printable(e.data.name)), escape(layers),
                         e.optimizer.name, _figure(m.get("epochs_run"), "d"), _figure(m.get("test_loss"), ".4f"),
                         _figure(m.get("test_accuracy"), ".4f"), _figure(m.get("seconds"), ".1f"))
