"""The end of a run, evaluated once: one pass over the test set gives the test metrics and the
outputs from which the class probabilities, the confusion report and the most confident
mistakes follow. The trainer computes it; the result and the ``finished`` event carry it; the
recorder and the dashboard only render it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: mistakes kept for the report and the dashboard, most confident first
MISTAKES = 12


def class_probabilities(outputs: np.ndarray) -> np.ndarray:
    """(n, k) class probabilities from a model's outputs: one sigmoid unit becomes two columns."""
    outputs = np.asarray(outputs)
    if outputs.ndim == 2 and outputs.shape[1] == 1:
        return np.concatenate([1 - outputs, outputs], axis=1)
    return outputs


@dataclass
class Evaluation:
    """The test set's figures: metrics (test_loss, test_accuracy or test_mae) and, for
    classification, the confusion matrix (rows: true class), per-class accuracy and mistakes."""

    metrics: dict = field(default_factory=dict)
    class_names: list[str] = field(default_factory=list)
    confusion_matrix: list[list[int]] | None = None
    per_class_accuracy: list[float | None] = field(default_factory=list)
    #: {"index": test row, "true": class name, "top": [(class name, probability), (..., ...)]}
    mistakes: list[dict] = field(default_factory=list)

    def confusion(self) -> dict:
        """What metrics.json gains for classification (nothing for regression)."""
        if self.confusion_matrix is None:
            return {}
        return {"class_names": list(self.class_names), "confusion_matrix": self.confusion_matrix,
                "per_class_accuracy": self.per_class_accuracy}

    def to_dict(self) -> dict:
        return {**self.confusion(), "mistakes": [{"index": m["index"], "true": m["true"],
                                                  "top": [list(t) for t in m["top"]]} for m in self.mistakes]}


def evaluate_test(model, data, mistakes: int = MISTAKES) -> Evaluation:
    """One pass over ``data``'s test set."""
    if not len(data.x_test):
        return Evaluation()
    outputs: list[np.ndarray] = []
    with np.errstate(all="ignore"):   # a diverged model's last finite weights may still overflow
        test = model.evaluate(data.x_test, data.y_test, outputs=outputs)
    metrics = {"test_loss": test.get("loss"), "test_accuracy": test.get("accuracy"), "test_mae": test.get("mae")}
    if data.task != "classification":
        return Evaluation(metrics)
    probs = class_probabilities(np.concatenate(outputs))
    return _classification(metrics, probs, np.asarray(data.y_test, dtype=int), list(data.class_names), mistakes)


def _classification(metrics, probs, y, names, count) -> Evaluation:
    with np.errstate(invalid="ignore"):
        pred = np.nan_to_num(probs, nan=-1.0).argmax(axis=1)
    k = len(names)
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y, pred), 1)
    per_class = [float(cm[i, i] / cm[i].sum()) if cm[i].sum() else None for i in range(k)]
    wrong = np.flatnonzero(pred != y)
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")][:count]
    found = []
    for i in wrong:
        top = np.argsort(-probs[i], kind="stable")[:2]
        found.append({"index": int(i), "true": names[int(y[i])],
                      "top": [(names[int(j)], float(probs[i, j])) for j in top]})
    return Evaluation(metrics, names, cm.tolist(), per_class, found)
