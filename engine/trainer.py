"""The training loop every front end shares (TUI, command line, scripts): backend-agnostic,
reporting through events to any callable and obeying a TrainingControl."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .api import build_model
from .control import TrainingControl
from .data import Dataset, load_data
from .early_stopping import EarlyStopping
from .events import (BatchProgress, Diverged, EpochEnded, Event, Failed, Finished, Improved, Paused,
                     Resumed, RunStarted, WeightsRestored)
from .schedules import learning_rate_at
from .spec import Experiment


@dataclass
class TrainResult:
    experiment: Experiment
    model: object
    data: Dataset
    history: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    reason: str = "completed"

    @property
    def stopped_early(self) -> bool:
        return self.reason == "early_stopping"


def train(exp: Experiment, on_event: Callable[[Event], None] | None = None, *,
          data: Dataset | None = None, control: TrainingControl | None = None,
          backend: str | None = None, model=None, batch_event_interval: float = 0.25) -> TrainResult:
    """Train ``exp`` and return the result; every event goes to ``on_event``. A loss that turns
    NaN or infinite ends the run with a ``diverged`` event, keeping the last finite weights."""
    emit = on_event or (lambda event: None)
    try:
        return _train(exp, emit, data, control or TrainingControl(), backend, model, batch_event_interval)
    except Exception as exc:
        emit(Failed(type(exc).__name__, str(exc)))
        raise


def _train(exp, emit, data, control, backend, model, batch_event_interval) -> TrainResult:
    t_run = time.perf_counter()
    data = data if data is not None else load_data(exp.data)
    exp.check_data(data.n_classes, data.task)
    model = model if model is not None else build_model(exp, data.n_features, backend=backend)
    choice = model.choice
    x, y = data.x_train.astype(model.dtype, copy=False), data.y_train
    n, bs = len(x), exp.train.batch_size
    steps = max(1, math.ceil(n / bs))
    total_params, trainable_params = model.count_params()
    emit(RunStarted(exp.train.epochs, bs, steps, n, len(data.x_val), len(data.x_test), choice.name,
                    choice.device, choice.reason, total_params, trainable_params))

    classification = data.task == "classification"
    base_lr = exp.optimizer.learning_rate
    stopper = EarlyStopping(exp.early_stopping) if exp.early_stopping else None
    restore = bool(exp.early_stopping and exp.early_stopping.restore_best_weights)
    best_weights = None
    rng = np.random.default_rng([exp.seed, 2])
    result = TrainResult(exp, model, data)
    reason, step, epochs_run, train_seconds = "completed", 0, 0, 0.0
    xbuf: dict[int, np.ndarray] = {}

    for epoch in range(1, exp.train.epochs + 1):
        snapshot = model.get_weights()   # the last finite weights, should this epoch diverge
        order = rng.permutation(n) if exp.train.shuffle else None
        t0 = time.perf_counter()
        last_emit = t0
        loss_sum, correct, seen, lr = 0.0, 0, 0, base_lr
        for b in range(steps):
            if control.paused:
                emit(Paused(epoch, b))
                control.wait_while_paused()
                emit(Resumed(epoch, b))
            if control.stop_requested:
                reason = "stopped"
                break
            lo, hi = b * bs, min(n, (b + 1) * bs)
            if order is None:
                xb, yb = x[lo:hi], y[lo:hi]
            else:
                idx = order[lo:hi]
                buf = xbuf.get(hi - lo)
                if buf is None:
                    buf = xbuf[hi - lo] = np.empty((hi - lo, x.shape[1]), x.dtype)
                xb, yb = np.take(x, idx, axis=0, out=buf), y[idx]
            lr = learning_rate_at(exp.schedule, base_lr, step, steps)
            loss, ok = model.train_step(xb, yb, lr)
            if not math.isfinite(loss):
                if not model.weights_finite():
                    model.set_weights(snapshot)
                emit(Diverged(epoch, b + 1, loss, f"loss became {loss} at epoch {epoch}, batch {b + 1}; "
                              "the model keeps its last finite weights. Try a lower learning rate, "
                              "input scaling, or a smaller initial weight scale (he/glorot)."))
                reason = "diverged"
                break
            step += 1
            loss_sum += loss * (hi - lo)
            correct += ok
            seen += hi - lo
            now = time.perf_counter()
            if now - last_emit >= batch_event_interval:
                last_emit = now
                emit(BatchProgress(epoch, b + 1, steps, loss_sum / seen,
                                   correct / seen if classification else None, lr, seen / (now - t0)))
        if reason != "completed":
            train_seconds += time.perf_counter() - t0
            break
        t_train = time.perf_counter() - t0
        train_seconds += t_train
        val = model.evaluate(data.x_val, data.y_val) if len(data.x_val) else {}
        seconds = time.perf_counter() - t0
        ev = EpochEnded(epoch, loss_sum / n, correct / n if classification else None,
                        val.get("loss"), val.get("accuracy"), lr, seconds, n / t_train,
                        None if classification else _regression_mae(model, x, y), val.get("mae"))
        epochs_run = epoch
        result.history.append(ev.history_row())
        emit(ev)
        if stopper is not None:
            logs = {"loss": ev.loss, "accuracy": ev.accuracy, "val_loss": ev.val_loss,
                    "val_accuracy": ev.val_accuracy, "mae": ev.mae, "val_mae": ev.val_mae}
            events, stop = stopper.update(epoch, logs)
            for e in events:
                if isinstance(e, Improved) and restore:
                    best_weights = model.get_weights()
                emit(e)
            if stop:
                reason = "early_stopping"
                break

    if restore and best_weights is not None and stopper.best_epoch != epochs_run and reason != "diverged":
        model.set_weights(best_weights)
        emit(WeightsRestored(epochs_run, stopper.best_epoch, stopper.monitor, stopper.best))

    test = model.evaluate(data.x_test, data.y_test) if len(data.x_test) else {}
    total = time.perf_counter() - t_run
    sps = (epochs_run * n) / train_seconds if train_seconds and epochs_run else 0.0
    best_epoch = stopper.best_epoch if stopper else None
    result.reason = reason
    result.metrics = {
        "test_loss": test.get("loss"), "test_accuracy": test.get("accuracy"), "test_mae": test.get("mae"),
        "epochs_run": epochs_run, "best_epoch": best_epoch, "stopped_early": reason == "early_stopping",
        "reason": reason, "backend": choice.name, "device": choice.device, "seconds": total,
        "samples_per_second": sps,
    }
    emit(Finished(reason, epochs_run, best_epoch, reason == "early_stopping", total, sps,
                  test.get("loss"), test.get("accuracy"), test.get("mae")))
    return result


def _regression_mae(model, x, y) -> float:
    """Training MAE for regression runs (evaluation mode, over the whole training set)."""
    return model.evaluate(x, y)["mae"]
