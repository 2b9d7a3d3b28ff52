"""Regression's figures (MAE, RMSE, R²) against scikit-learn's, added up over chunks of any size
and on both backends; per epoch in a real run (history.csv's columns are the task's), as early
stopping's and the plateau's monitors, and in the report, `nntui report` and its comparison."""

import json

import numpy as np
import pytest

import engine
from engine.events import REGRESSION_FIELDS
from engine.nn.metrics import RegressionErrors
from engine.reports.history import read_history

from .conftest import make_exp

metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn is not installed (it comes with the test extra)")


def _sklearn(t, p):
    t, p = np.asarray(t, np.float64), np.asarray(p, np.float64)     # ours adds up in float64 too
    return {"mae": metrics.mean_absolute_error(t, p),
            # Keras's RootMeanSquaredError: one root over every output (scikit-learn's averages roots)
            "rmse": float(np.sqrt(metrics.mean_squared_error(t, p))),
            "r2": metrics.r2_score(t, p)}


@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_the_figures_are_scikit_learns_whatever_the_chunks(outputs, chunk):
    rng = np.random.default_rng(outputs * 10 + chunk)
    t = rng.normal(3.0, 2.0, size=(250, outputs)).astype(np.float32)
    p = (t + rng.normal(0, 0.7, size=t.shape)).astype(np.float32)
    errors = RegressionErrors()
    for i in range(0, len(t), chunk):
        errors.add(p[i:i + chunk], t[i:i + chunk])
    got, want = errors.figures(), _sklearn(t, p)
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-9, abs=1e-12), k


def test_constant_targets_score_as_scikit_learn_scores_them():
    t = np.full((20, 2), 4.0)
    p = t.copy()
    p[:, 1] += 0.5              # the first output exact, the second not
    errors = RegressionErrors()
    errors.add(p, t)
    assert errors.figures()["r2"] == pytest.approx(metrics.r2_score(t, p)) == 0.5


def sine(**kw):
    train = {"epochs": 25, "batch_size": 32, "threads": 1}
    return make_exp([{"units": 32, "activation": "tanh"}, {"units": 1, "activation": "linear"}], loss="mse",
                    data={"name": "sine", "samples": 600, "noise": 0.05, "scale": "none"},
                    optimizer={"name": "adam", "learning_rate": 0.01}, train=train, **kw)


@pytest.mark.parametrize("backend", ["numpy", "mlx"])
def test_model_evaluate_gives_them_on_either_backend(backend):
    if backend == "mlx":
        pytest.importorskip("mlx.core")
    exp = sine()
    data = engine.load_data(exp.data)
    model = engine.build_model(exp, data.n_features, backend=backend)
    engine.train(exp, data=data, model=model)
    got = model.evaluate(data.x_val, data.y_val, batch_size=50)
    want = _sklearn(data.y_val, model.predict(data.x_val))
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-5), k
    assert got["loss"] == pytest.approx(got["rmse"] ** 2, rel=1e-4)     # mse, no penalty here


def test_each_epoch_carries_them_and_history_csv_has_the_tasks_columns(tmp_path):
    from .test_headless import nntui

    exp = sine()
    path = tmp_path / "sine.toml"
    exp.to_toml(path)
    r = nntui("train", path, "--report", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "run"
    assert (folder / "history.csv").read_text().splitlines()[0] == ",".join(REGRESSION_FIELDS)
    rows = read_history(folder)
    assert len(rows) == 25 and all(row["accuracy"] is None and row["val_r2"] is not None for row in rows)
    # the last epoch's validation figures are those of the saved model on the validation set
    model = engine.load_model(folder / "model.npz")
    data = engine.load_data(exp.data)
    want = _sklearn(data.y_val, model.predict(data.x_val))
    for k in ("mae", "rmse", "r2"):
        assert rows[-1][f"val_{k}"] == pytest.approx(want[k], rel=1e-5), k
    assert rows[-1]["val_r2"] > 0.9 and rows[-1]["r2"] > 0.9      # the sine is learned (seeds 0-5: 0.97-0.99)
    m = json.loads((folder / "metrics.json").read_text())
    want = _sklearn(data.y_test, model.predict(data.x_test))
    assert m["test_r2"] == pytest.approx(want["r2"], rel=1e-5) and m["test_rmse"] == pytest.approx(want["rmse"], rel=1e-5)
    assert "test_rmse" in r.stdout and " r2 " in r.stdout
    report = (folder / "report.md").read_text()
    assert "| test loss | test MAE | test RMSE | test R² |" in report and "![r2](r2.svg)" in report
    assert "| epoch | loss | mae | rmse | r2 | val_loss | val_mae | val_rmse | val_r2 | lr | seconds |" in report
    assert (folder / "mae.svg").is_file() and (folder / "r2.svg").is_file() and not (folder / "accuracy.svg").exists()
    shown = nntui("report", folder)
    assert shown.returncode == 0 and "test R² " in shown.stdout and "test RMSE " in shown.stdout
    assert "val_r2" in shown.stdout and max(map(len, shown.stdout.splitlines())) <= 80   # the epochs fit 80 columns
    exp2 = engine.with_overrides(exp, seed=4)
    exp2.to_toml(tmp_path / "other.toml")
    assert nntui("train", tmp_path / "other.toml", "--report", tmp_path / "other", "--quiet").returncode == 0
    both = nntui("report", folder, tmp_path / "other")
    assert both.returncode == 0 and "RMSE" in both.stdout and "R²" in both.stdout and "val_r2" in both.stdout


def test_r2_is_a_monitor_that_rises_and_a_wrong_tasks_monitor_is_named():
    events = []
    run = engine.train(sine(early_stopping={"monitor": "val_r2", "patience": 3}), on_event=events.append)
    best = [e.value for e in events if e.kind == "improved"]
    assert best == sorted(best) and len(best) > 2            # each best is higher: R² is maximised
    with pytest.raises(engine.SpecError, match=r"early_stopping\.monitor: val_accuracy is not measured on this "
                                               r"regression data; watch one of loss, mae, rmse, r2"):
        engine.train(sine(early_stopping={"monitor": "val_accuracy"}))
    with pytest.raises(engine.SpecError, match=r"reduce_lr_on_plateau\.monitor: val_rmse is not measured on this "
                                               r"classification data; watch one of loss, accuracy"):
        make_exp([{"units": 10, "activation": "softmax"}], reduce_lr_on_plateau={"monitor": "val_rmse"})
    assert run.metrics["test_r2"] is not None


def test_the_builder_offers_the_monitors_of_the_datas_task():
    from nntui.draft import Draft
    from nntui.screens.build_forms import monitor_choices

    regression = monitor_choices(Draft(sine(early_stopping={"monitor": "val_r2"})), "early_stopping")
    assert "val_r2" in regression and "val_rmse" in regression and "val_accuracy" not in regression
    digits = monitor_choices(Draft(make_exp([{"units": 10, "activation": "softmax"}], early_stopping={})),
                             "early_stopping")
    assert "val_accuracy" in digits and "val_mae" not in digits and "val_loss" in digits


@pytest.mark.parametrize("name, bound", [("plane", 0.98), ("multi-gaussian", 0.85)])
def test_playgrounds_2d_regression_sets_are_learned(name, bound):
    """Playground's plane and multi-Gaussian: 2 features, one real target, the same set for a seed;
    a 32-32 tanh network fits them (val R² 0.996-0.997 and 0.941-0.960 over seeds 0-2)."""
    spec = {"name": name, "samples": 800, "noise": 0.02}
    data = engine.load_data(engine.spec.DataSpec.parse(spec))
    again = engine.load_data(engine.spec.DataSpec.parse(spec))
    assert data.task == "regression" and data.n_features == 2 and data.y_train.shape[1] == 1
    assert np.array_equal(data.x_train, again.x_train) and np.array_equal(data.y_train, again.y_train)
    for seed in (0, 1, 2):
        exp = engine.Experiment.from_dict({
            "seed": seed, "data": spec, "optimizer": {"name": "adam", "learning_rate": 0.01},
            "model": {"loss": "mse", "layers": [{"units": 32, "activation": "tanh"}, {"units": 32, "activation": "tanh"},
                                                {"units": 1, "activation": "linear"}]},
            "train": {"epochs": 60, "batch_size": 32, "threads": 1}})
        assert engine.train(exp).history[-1]["val_r2"] > bound
