"""The end-of-run classification metrics against scikit-learn's (precision, recall and F1 per
class with macro and weighted averages, top-k accuracy, ROC AUC and its curve), on generated
predictions with ties, empty classes and imbalance, and in a real run's metrics.json."""

import json

import numpy as np
import pytest

import engine
from engine.evaluation import class_report, roc_curve, top_k_accuracy

from .conftest import make_exp, wait_until

metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn is not installed (it comes with the test extra)")


def cases():
    rng = np.random.default_rng(3)
    for k, n, skew in ((2, 50, 0.0), (3, 200, 2.0), (10, 500, 1.0), (7, 30, 3.0)):
        weights = np.exp(-skew * np.arange(k) / k)
        y = rng.choice(k, n, p=weights / weights.sum())
        logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[y]
        probs = np.round(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), 2)   # rounding: ties
        yield y, probs, k


@pytest.mark.parametrize("y, probs, k", list(cases()))
def test_the_class_report_is_scikit_learns(y, probs, k):
    pred = probs.argmax(axis=1)
    cm = metrics.confusion_matrix(y, pred, labels=range(k))
    ours = class_report(cm)
    p, r, f, s = metrics.precision_recall_fscore_support(y, pred, labels=range(k), zero_division=0)
    np.testing.assert_allclose(ours["precision"], p)
    np.testing.assert_allclose(ours["recall"], r)
    np.testing.assert_allclose(ours["f1"], f)
    assert ours["support"] == s.tolist()
    for average in ("macro", "weighted"):
        p, r, f, _ = metrics.precision_recall_fscore_support(y, pred, labels=range(k), average=average,
                                                             zero_division=0)
        assert ours[average] == pytest.approx({"precision": p, "recall": r, "f1": f})


@pytest.mark.parametrize("y, probs, k", [c for c in cases() if c[2] > 5])
def test_top_k_accuracy_is_scikit_learns(y, probs, k):
    probs = probs + np.arange(k) * 1e-9           # scikit-learn breaks ties its own way: none here
    assert top_k_accuracy(probs, y, 5) == pytest.approx(metrics.top_k_accuracy_score(y, probs, k=5, labels=range(k)))


def test_roc_auc_and_curve_are_scikit_learns_ties_included():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400).astype(bool)
    score = np.round(rng.random(400) * 0.6 + 0.4 * y, 1)            # few distinct values: many ties
    ours = roc_curve(score, y)
    assert ours["auc"] == pytest.approx(metrics.roc_auc_score(y, score))
    fpr, tpr, _ = metrics.roc_curve(y, score, drop_intermediate=False)
    np.testing.assert_allclose(ours["fpr"], fpr)
    np.testing.assert_allclose(ours["tpr"], tpr)
    assert roc_curve(score, np.ones(400, bool))["auc"] is None        # one class only: undefined


def test_a_run_reports_them_in_metrics_json(tmp_path):
    exp = make_exp([{"units": 16, "activation": "relu"}, {"units": 1, "activation": "sigmoid"}],
                   loss="binary_crossentropy", data={"name": "moons", "samples": 400}, train={"epochs": 5})
    engine.train(exp, backend="numpy")
    from nntui.cli import main
    path = tmp_path / "moons.toml"
    exp.to_toml(path)
    assert main(["train", str(path), "--quiet", "--report", str(tmp_path / "run")]) == 0
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert 0.5 < saved["test_roc_auc"] <= 1 and 0 < saved["test_macro_f1"] <= 1
    assert "test_top5_accuracy" not in saved                         # two classes
    report = saved["class_report"]
    assert len(report["precision"]) == 2 and sum(report["support"]) == len(engine.load_data(exp.data).y_test)
    assert saved["roc"]["fpr"][0] == 0 and saved["roc"]["tpr"][-1] == 1
    digits = engine.train(make_exp([{"units": 10, "activation": "softmax"}], train={"epochs": 2}))
    assert 0 < digits.metrics["test_top5_accuracy"] <= 1


def test_nntui_report_shows_and_compares_them_within_80_columns(tmp_path):
    import os
    import subprocess
    import sys
    runs = []
    for name, extra in (("moons", '[data]\nname = "moons"\nsamples = 300\n[model]\nloss = "binary_crossentropy"\n'
                                  '[[model.layers]]\nunits = 8\n[[model.layers]]\nunits = 1\nactivation = "sigmoid"\n'),
                        ("digits", '[model]\n[[model.layers]]\nunits = 10\nactivation = "softmax"\n')):
        path = tmp_path / f"{name}.toml"
        path.write_text(f'name = "{name}-a-long-experiment-name"\n' + extra + "[train]\nepochs = 2\n")
        run = subprocess.run([sys.executable, "-m", "nntui", "train", str(path), "--quiet", "--report",
                              str(tmp_path / name)], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        runs.append(str(tmp_path / name))
    env = {**os.environ, "COLUMNS": "80"}
    one = subprocess.run([sys.executable, "-m", "nntui", "report", runs[0]], capture_output=True, text=True, env=env)
    assert "precision" in one.stdout and "macro avg" in one.stdout and "ROC AUC" in one.stdout
    both = subprocess.run([sys.executable, "-m", "nntui", "report", *runs], capture_output=True, text=True, env=env)
    assert both.returncode == 0 and "Test metrics side by side" in both.stdout and "macro F1" in both.stdout
    widest = max(len(line) for line in both.stdout.splitlines())
    assert widest <= 80, f"a line of {widest} columns"
    assert (tmp_path / "moons" / "roc.svg").read_text().startswith("<svg")


@pytest.mark.asyncio
async def test_the_results_tab_shows_precision_recall_f1_and_a_roc_plot(tmp_path, monkeypatch):
    from textual.widgets import DataTable

    from nntui.app import make_app
    from nntui.screens.train import TrainScreen

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    exp = make_exp([{"units": 8, "activation": "relu"}, {"units": 1, "activation": "sigmoid"}],
                   loss="binary_crossentropy", data={"name": "moons", "samples": 300}, train={"epochs": 3})
    app = make_app(experiment=exp)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        await wait_until(pilot, lambda: not screen.running)
        await pilot.pause()
        table = screen.query_one("#confusion", DataTable)
        heads = [str(c.label) for c in table.columns.values()]
        assert heads[-3:] == ["precision", "recall", "F1"] and table.row_count == 4     # 2 classes, 2 averages
        text = str(screen.query_one("#results-text").render())
        assert "macro F1" in text and "ROC AUC" in text
        roc = screen.query_one("#roc")
        assert roc.has_class("-shown") and len(roc.plt._active.monitor.x) == 2          # the diagonal and the curve


def test_calibration_is_guo_et_als_expected_calibration_error():
    """ECE written out here with numpy.digitize (an independent binning): the rows of each of 15
    equal-width confidence bins, |accuracy - mean confidence| weighted by their share."""
    from engine.evaluation import calibration

    for y, probs, k in cases():
        got = calibration(probs, y)
        conf, right = probs.max(axis=1), probs.argmax(axis=1) == y
        edges = np.linspace(0, 1, 16)
        which = np.clip(np.digitize(conf, edges[1:-1], right=False), 0, 14)
        ece = sum(np.mean(which == b) * abs(right[which == b].mean() - conf[which == b].mean())
                  for b in range(15) if np.any(which == b))
        assert got["ece"] == pytest.approx(ece, abs=1e-12)
        assert sum(b["count"] for b in got["bins"]) == len(y)
        assert got["mean_confidence"] == pytest.approx(conf.mean()) and got["accuracy"] == pytest.approx(right.mean())
    sure = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    assert calibration(sure, np.array([0, 1, 1]))["ece"] == pytest.approx(1 / 3)     # confident and wrong once
