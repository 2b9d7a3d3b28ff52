"""The dashboard's tables: a run's results (test metrics, the confusion matrix with per-class
accuracy, the most confident mistakes) and the session's runs side by side."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

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


class RunsTable(DataTable):
    """Every run of the session: data, layers, optimizer, epochs, test figures, time."""

    def show(self, runs: list[dict]) -> None:
        self.clear(columns=True)
        self.add_columns("run", "data", "layers", "optimizer", "epochs", "test loss", "test accuracy", "seconds")
        for r in runs:
            e, m = r["experiment"], r["metrics"]
            layers = "-".join(f"{layer.units} {layer.activation}" for layer in e.model.layers if layer.type == "dense")
            self.add_row(escape(printable(r["label"])), e.data.name, layers, e.optimizer.name, str(m["epochs_run"]),
                         "-" if m["test_loss"] is None else f"{m['test_loss']:.4f}",
                         "-" if m.get("test_accuracy") is None else f"{m['test_accuracy']:.4f}",
                         f"{m['seconds']:.1f}")
