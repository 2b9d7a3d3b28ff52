"""Early stopping scenarios, on scripted metric sequences and in real training."""

import numpy as np
import pytest

import engine
from engine.early_stopping import EarlyStopping
from engine.spec import EarlyStoppingSpec

from .conftest import make_exp


def replay(values, **kw):
    es = EarlyStopping(EarlyStoppingSpec(**kw))
    kinds = []
    for epoch, v in enumerate(values, start=1):
        events, stop = es.update(epoch, {kw.get("monitor", "val_loss"): v})
        kinds.append([e.kind for e in events])
        if stop:
            return es, epoch, kinds
    return es, None, kinds


def test_fires_after_patience_and_names_the_best_epoch():
    es, stopped, kinds = replay([1.0, 0.8, 0.85, 0.9, 0.95, 0.5], patience=3)
    assert stopped == 5 and es.best_epoch == 2 and es.best == 0.8
    assert kinds[2] == ["no_improvement"] and kinds[4] == ["no_improvement", "early_stop"]


def test_never_fires_while_improving():
    es, stopped, _ = replay([1.0, 0.9, 0.8, 0.7], patience=1)
    assert stopped is None and es.best_epoch == 4


def test_min_delta_counts_small_gains_as_none():
    es, stopped, _ = replay([1.0, 0.99, 0.98, 0.97], patience=2, min_delta=0.05)
    assert stopped == 3 and es.best_epoch == 1
    _, stopped, _ = replay([1.0, 0.99, 0.98, 0.97], patience=2, min_delta=0.0)
    assert stopped is None


def test_accuracy_is_maximised():
    es, stopped, _ = replay([0.5, 0.7, 0.6, 0.65], monitor="val_accuracy", patience=2)
    assert stopped == 4 and es.best_epoch == 2 and es.best == 0.7


def test_smoothing_rides_over_a_single_spike():
    values = [1.0, 0.9, 0.95, 0.8, 0.7]
    _, stopped, _ = replay(values, patience=1)
    assert stopped == 3
    es, stopped, _ = replay(values, patience=1, smoothing=2)
    assert stopped is None and es.best == pytest.approx(0.75)


def noisy_run(restore, patience):
    return make_exp([{"units": 32, "activation": "relu", "initializer": "he_normal"},
                     {"units": 10, "activation": "softmax"}],
                    optimizer={"name": "sgd", "learning_rate": 0.9, "momentum": 0.9},
                    train={"epochs": 12, "batch_size": 16},
                    early_stopping={"monitor": "val_loss", "patience": patience, "restore_best_weights": restore})


def test_restore_best_weights_when_stopping_never_fires():
    exp = noisy_run(True, 100)
    events = []
    result = engine.train(exp, on_event=events.append)
    val = [row["val_loss"] for row in result.history]
    best = int(np.argmin(val)) + 1
    assert result.reason == "completed" and len(val) == 12
    assert best != 12, "precondition: the noisy run must not end on its best epoch"
    restored = [e for e in events if e.kind == "weights_restored"]
    assert restored and restored[0].best_epoch == best
    data = result.data
    assert result.model.evaluate(data.x_val, data.y_val)["loss"] == pytest.approx(min(val), rel=1e-5)


def test_early_stop_in_training_restores_and_reports():
    exp = noisy_run(True, 1)
    events = []
    result = engine.train(exp, on_event=events.append)
    kinds = [e.kind for e in events]
    assert result.reason == "early_stopping" and result.metrics["stopped_early"]
    stop = next(e for e in events if e.kind == "early_stop")
    assert stop.best_epoch == result.metrics["best_epoch"] and "did not improve" in stop.reason
    assert "no_improvement" in kinds and kinds[-1] == "finished"
    val = [row["val_loss"] for row in result.history]
    assert result.model.evaluate(result.data.x_val, result.data.y_val)["loss"] == pytest.approx(min(val), rel=1e-5)


def test_without_restore_the_last_weights_stay():
    exp = noisy_run(False, 1)
    result = engine.train(exp)
    val = [row["val_loss"] for row in result.history]
    assert result.model.evaluate(result.data.x_val, result.data.y_val)["loss"] == pytest.approx(val[-1], rel=1e-5)


def test_start_from_epoch_is_a_warm_up_that_is_not_counted():
    """keras#16793: a model that gets worse in its first epochs (a warm-up) must not be stopped
    for it. Keras counts epochs from 0 and skips epoch < start_from_epoch: here epochs 1-3."""
    values = [1.0, 1.2, 1.4, 0.9, 0.95, 1.0, 1.1]
    _, stopped, kinds = replay(values, patience=2)
    assert stopped == 3                                 # without the warm-up: stopped in it
    es, stopped, kinds = replay(values, patience=2, start_from_epoch=3)
    assert kinds[:3] == [[], [], []] and kinds[3] == ["improved"]
    assert es.best_epoch == 4 and stopped == 6


def test_baseline_stops_a_run_that_never_gets_past_it():
    """Keras's rule: a new best restarts the patience count only if it also beats the baseline;
    a run that keeps improving but stays above the baseline stops once it stops improving."""
    values = [0.9, 0.8, 0.7, 0.75, 0.72, 0.4]
    es, stopped, kinds = replay(values, patience=2, baseline=0.5)
    assert kinds[:3] == [["improved"]] * 3 and stopped == 4       # wait 1, 2, 3 (best 0.7 > 0.5): stop at 4
    assert not es.past_baseline
    _, stopped, _ = replay(values, patience=2)                     # without a baseline: two epochs more
    assert stopped == 5
    es, stopped, _ = replay([0.9, 0.45, 0.5, 0.49, 0.3], patience=2, baseline=0.5)
    assert es.past_baseline and stopped == 4 and es.best_epoch == 2   # past it at epoch 2: the usual count


def test_the_report_tells_the_warm_up_and_the_baseline():
    from engine.reports.run import story
    exp = make_exp([{"units": 16, "activation": "relu"}, {"units": 10, "activation": "softmax"}],
                   early_stopping={"monitor": "val_loss", "patience": 2, "start_from_epoch": 2, "baseline": 0.1})
    events = []
    result = engine.train(exp, on_event=lambda e: events.append(e.to_dict()))
    lines = story(exp, events, result.metrics)
    assert "counting from epoch 3, baseline 0.1" in lines[0]
    assert engine.Experiment.from_dict(exp.to_dict()) == exp and "baseline" in exp.to_dict()["early_stopping"]
    assert "baseline" not in make_exp([{"units": 10, "activation": "softmax"}],
                                      early_stopping={"patience": 2}).to_dict()["early_stopping"]
