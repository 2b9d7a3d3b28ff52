"""The run folder, written as the run goes so that an interrupt or a crash loses nothing:
history.csv and events.jsonl are appended and flushed as events arrive; experiment.toml,
metrics.json, model.npz, report.md and the curves are written atomically."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from .atomic import write_text_atomic
from .events import HISTORY_FIELDS, Event, _jsonable
from .inside_report import inside_files, inside_markdown
from .model import save_model, summary_text
from .report import TRAIN, VALIDATION, markdown_report, svg_chart


class RunFolderError(OSError):
    """The run folder cannot be written (the message names it)."""


class RunRecorder:
    """A sink for the trainer's events that keeps the run folder complete at every moment."""

    def __init__(self, folder: str | Path, exp, data, model):
        self.folder = Path(folder)
        self.exp, self.data, self.model = exp, data, model
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.folder / "experiment.toml", exp.to_toml_string())
            self._history = open(self.folder / "history.csv", "w", newline="", encoding="utf-8")
            self._events = open(self.folder / "events.jsonl", "w", encoding="utf-8")
        except OSError as exc:
            raise RunFolderError(f"{self.folder}: cannot write the run folder: {exc.strerror or exc}") from None
        self._csv = csv.writer(self._history)
        self._csv.writerow(HISTORY_FIELDS)
        self._history.flush()
        self.history: list[dict] = []
        self.events: list[dict] = []      # every event but batch progress, for the report
        self.finished = False

    def __call__(self, event: Event) -> None:
        record = event.to_dict()
        self._events.write(json.dumps(record) + "\n")
        if event.kind == "batch":
            return
        self.events.append(record)
        if event.kind == "epoch_end":
            row = event.history_row()
            self.history.append(row)
            self._csv.writerow(["" if row[k] is None else row[k] for k in HISTORY_FIELDS])
            self._history.flush()
        self._events.flush()

    def note(self, kind: str, **fields) -> None:
        """Record an event of the front end's own (e.g. ``interrupted``)."""
        record = {"event": kind, **_jsonable(fields)}
        self.events.append(record)
        self._events.write(json.dumps(record) + "\n")
        self._events.flush()

    def finish(self, metrics: dict, interrupted: bool = False, evaluate: bool = True) -> dict:
        """Write metrics.json, model.npz, report.md and the curves; returns the metrics written."""
        metrics = dict(metrics)
        metrics.setdefault("epochs_run", len(self.history))
        metrics["interrupted"] = interrupted
        if evaluate and self.data.task == "classification" and len(self.data.x_test):
            metrics.update(self._confusion())
        metrics = _jsonable(metrics)
        write_text_atomic(self.folder / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        save_model(self.model, self.folder / "model.npz", scaler=self.data.scaler,
                   meta={"class_names": self.data.class_names, "task": self.data.task})
        self._write_report(metrics)
        self.close()
        self.finished = True
        return metrics

    def _confusion(self) -> dict:
        return confusion_report(self.model, self.data)

    def _write_report(self, metrics: dict) -> None:
        h = self.history
        col = lambda k: [r[k] for r in h]  # noqa: E731
        stop = next((e["epoch"] for e in self.events if e["event"] == "early_stop"), None)
        best = metrics.get("best_epoch")
        write_text_atomic(self.folder / "loss.svg", svg_chart(
            "Loss", [("train", col("loss"), TRAIN), ("validation", col("val_loss"), VALIDATION)], best, stop))
        if any(r["accuracy"] is not None for r in h):
            write_text_atomic(self.folder / "accuracy.svg", svg_chart(
                "Accuracy", [("train", col("accuracy"), TRAIN), ("validation", col("val_accuracy"), VALIDATION)],
                best, stop))
        d = self.data
        data_line = (f"{d.name}: {len(d.x_train):,} train / {len(d.x_val):,} validation / {len(d.x_test):,} test, "
                     f"{d.n_features} features, " + (f"{len(d.class_names)} classes" if d.task == "classification"
                                                     else "regression") + f", scaling {self.exp.data.scale}")
        inspects = [e for e in self.events if e["event"] == "inspect"]
        for name, svg in inside_files(inspects).items():
            write_text_atomic(self.folder / name, svg)
        text = markdown_report(self.exp, summary_text(self.exp, d.n_features), data_line, h, self.events, metrics,
                               inside=inside_markdown(inspects))
        write_text_atomic(self.folder / "report.md", text)

    def close(self) -> None:
        for fh in (self._history, self._events):
            if not fh.closed:
                fh.close()


def confusion_report(model, data) -> dict:
    """The test set's confusion matrix (rows: true class), class names and per-class accuracy."""
    with np.errstate(all="ignore"):  # a diverged model's last finite weights may still overflow
        probs = model.predict(data.x_test)
    pred = (probs[:, 0] > 0.5).astype(int) if probs.shape[1] == 1 else probs.argmax(axis=1)
    k = len(data.class_names)
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (np.asarray(data.y_test, dtype=int), pred), 1)
    per_class = [float(cm[i, i] / cm[i].sum()) if cm[i].sum() else None for i in range(k)]
    return {"class_names": list(data.class_names), "confusion_matrix": cm.tolist(), "per_class_accuracy": per_class}


def read_history(folder: Path) -> list[dict]:
    """history.csv as dicts of numbers (None where empty)."""
    with open(Path(folder) / "history.csv", newline="", encoding="utf-8") as fh:
        rows = []
        for r in csv.DictReader(fh):
            rows.append({k: (None if v == "" else int(v) if k == "epoch" else float(v)) for k, v in r.items()})
        return rows

