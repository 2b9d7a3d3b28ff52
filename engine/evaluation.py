"""The end of a run, evaluated once: one pass over the test set gives the test metrics and the
outputs from which the class probabilities, the confusion report and the most confident
mistakes follow. The trainer computes it; the result and the ``finished`` event carry it; the
recorder and the dashboard only render it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: mistakes kept for the report and the dashboard, most confident first
MISTAKES = 12
#: top-k accuracy is reported with this k where there are more classes than k
TOP_K = 5
#: the ROC curve is kept at no more than this many points (the AUC is computed on all of them)
ROC_POINTS = 201
#: calibration: the confidence's equal-width bins (Guo et al.'s 15)
CALIBRATION_BINS = 15


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
    #: per class and averaged: {"precision": [...], "recall": [...], "f1": [...], "support": [...],
    #: "macro": {precision, recall, f1}, "weighted": {...}} (scikit-learn's zero_division=0)
    report: dict | None = None
    #: two classes: {"auc": ..., "fpr": [...], "tpr": [...]} with the second class as the positive one
    roc: dict | None = None
    #: {"ece", "mean_confidence", "accuracy", "bins": [{"low", "high", "count", "confidence", "accuracy"}]}
    calibration: dict | None = None

    def confusion(self) -> dict:
        """What metrics.json gains for classification (nothing for regression)."""
        if self.confusion_matrix is None:
            return {}
        return {"class_names": list(self.class_names), "confusion_matrix": self.confusion_matrix,
                "per_class_accuracy": self.per_class_accuracy, "class_report": self.report,
                **({"roc": self.roc} if self.roc else {}),
                **({"calibration": self.calibration} if self.calibration else {})}

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
        return Evaluation({**metrics, "test_rmse": test.get("rmse"), "test_r2": test.get("r2")})
    probs = class_probabilities(np.concatenate(outputs))
    y = np.asarray(data.y_test, dtype=int)
    ev = _classification(metrics, probs, y, list(data.class_names), mistakes)
    ev.metrics.update(test_macro_f1=ev.report["macro"]["f1"], test_weighted_f1=ev.report["weighted"]["f1"])
    if len(data.class_names) > TOP_K:
        ev.metrics[f"test_top{TOP_K}_accuracy"] = top_k_accuracy(probs, y, TOP_K)
    if len(data.class_names) == 2:
        ev.roc = roc_curve(probs[:, 1], y == 1)
        ev.metrics["test_roc_auc"] = ev.roc["auc"]
    ev.calibration = calibration(probs, y)
    ev.metrics["test_ece"] = ev.calibration["ece"]
    return ev


def calibration(probs: np.ndarray, y: np.ndarray, bins: int = CALIBRATION_BINS) -> dict:
    """How far confidence is from accuracy: the predicted class's probability (the confidence)
    in ``bins`` equal-width bins over [0, 1]; in each, the mean confidence against the fraction
    right; the expected calibration error ECE = sum over bins of (rows in bin / rows) x |accuracy
    - confidence| (Guo et al., 2017). A confidence of exactly 1 falls in the last bin."""
    probs = np.nan_to_num(np.asarray(probs, dtype=np.float64))
    conf, right = probs.max(axis=1), probs.argmax(axis=1) == np.asarray(y)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    out, ece = [], 0.0
    for b in range(bins):
        inside = which == b
        n = int(inside.sum())
        c = float(conf[inside].mean()) if n else None
        a = float(right[inside].mean()) if n else None
        if n:
            ece += n / len(conf) * abs(a - c)
        out.append({"low": b / bins, "high": (b + 1) / bins, "count": n, "confidence": c, "accuracy": a})
    return {"ece": float(ece), "mean_confidence": float(conf.mean()), "accuracy": float(right.mean()), "bins": out}


def class_report(cm) -> dict:
    """Precision, recall and F1 of each class from the confusion matrix (rows: true class), with
    their macro (plain mean) and weighted (by support) averages; an undefined ratio is 0, as
    scikit-learn's zero_division=0 has it."""
    cm = np.asarray(cm, dtype=np.float64)
    tp, predicted, support = np.diag(cm), cm.sum(axis=0), cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    total = support.sum()

    def avg(weights):
        return {name: float(np.dot(v, weights)) for name, v in (("precision", precision), ("recall", recall),
                                                               ("f1", f1))}

    return {"precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(),
            "support": [int(s) for s in support], "macro": avg(np.full(len(tp), 1 / len(tp))),
            "weighted": avg(support / total if total else np.zeros(len(tp)))}


def top_k_accuracy(probs: np.ndarray, y: np.ndarray, k: int) -> float:
    """The fraction of rows whose true class is among the k most probable (ties broken towards
    the lower class index, as a stable sort does)."""
    top = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(top == y[:, None], axis=1)))


def roc_curve(score, positive) -> dict:
    """The ROC curve of ``score`` against the boolean ``positive``: a point at every distinct
    score taken as the threshold (tied scores step together), from (0, 0) to (1, 1), and its
    area by the trapezoid rule (equal to the Mann-Whitney statistic, ties counted a half)."""
    score = np.nan_to_num(np.asarray(score, dtype=np.float64), nan=-np.inf)
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return {"auc": None, "fpr": [], "tpr": []}
    order = np.argsort(-score, kind="stable")
    s, p = score[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]      # the last row of each distinct score
    tps, fps = np.cumsum(p)[last], np.cumsum(~p)[last]
    tpr, fpr = np.r_[0.0, tps / n_pos], np.r_[0.0, fps / n_neg]
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    if len(fpr) > ROC_POINTS:
        keep = np.unique(np.linspace(0, len(fpr) - 1, ROC_POINTS).round().astype(int))
        fpr, tpr = fpr[keep], tpr[keep]
    return {"auc": auc, "fpr": fpr.tolist(), "tpr": tpr.tolist()}


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
    return Evaluation(metrics, names, cm.tolist(), per_class, found, class_report(cm))
