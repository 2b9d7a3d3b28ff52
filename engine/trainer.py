"""The training loop every front end shares (TUI, command line, scripts): backend-agnostic,
reporting through events to any callable and obeying a TrainingControl."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import numpy as np

from .api import build_model
from .backends.numpy.threads import ThreadTuner
from .backends.protocol import Model
from .checkpoint import Checkpoint, same_run
from .control import TrainingControl
from .data import Dataset, load_data
from .early_stopping import EarlyStopping
from .errors import SpecError
from .evaluation import Evaluation, evaluate_test
from .events import (
    BatchProgress,
    Diverged,
    DownloadProgress,
    EpochEnded,
    Event,
    Failed,
    Finished,
    Improved,
    LearningRateChanged,
    Paused,
    Resumed,
    RunStarted,
    WeightsRestored,
)
from .inspection import Inspector
from .nn.losses import labels_of
from .nn.schedules import schedule_function
from .plateau import ReduceOnPlateau
from .spec import Experiment


@dataclass
class TrainResult:
    experiment: Experiment
    model: Model
    data: Dataset
    history: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    reason: str = "completed"     # completed | early_stopping | stopped | diverged
    evaluation: Evaluation | None = None   # the test set's confusion report and mistakes (engine/evaluation.py)

    @property
    def stopped_early(self) -> bool:
        return self.reason == "early_stopping"


def train(exp: Experiment, on_event: Callable[[Event], None] | None = None, *,
          data: Dataset | None = None, control: TrainingControl | None = None,
          backend: str | None = None, model: Model | None = None, batch_event_interval: float = 0.25,
          inspect: bool | None = None, inspect_budget: float | None = None,
          checkpoint: Callable[[Checkpoint, bool], None] | None = None,
          resume: Checkpoint | None = None) -> TrainResult:
    """Train ``exp`` and return the result; every event goes to ``on_event`` (batch events at most
    once per ``batch_event_interval`` seconds). ``inspect`` (default: the experiment's
    ``train.inspect``) adds an ``inspect`` event of per-layer statistics at the start and after
    each epoch (engine.inspection); with ``inspect_budget`` (a fraction, 0.02 say) an epoch is
    inspected only while the inspections so far cost at most that share of the training time
    (the first and last epoch always, and every epoch of a run of at most INSPECT_EVERY_EPOCH):
    a lesson is inspected every epoch, a run of long epochs too, and a run of hundreds of epochs
    of milliseconds at epochs spread over it, as many as the budget buys. A loss that turns NaN
    or infinite ends the run with a ``diverged`` event, keeping the last finite weights. An
    exception is reported as a ``failed`` event, then raised.

    ``checkpoint(c, best)`` receives the run's whole state after each complete epoch (``best``:
    the epoch improved on the best so far, by early stopping's monitor, else val_loss, or loss
    without a validation set); the run folder's recorder writes it (engine.checkpoint). A run
    given ``resume`` (a checkpoint of the same experiment and backend) goes on from the epoch
    after it and ends as the run that wrote it would have, bit for bit where the arithmetic is
    deterministic (the NumPy backend at a fixed thread count, engine.backends.numpy.threads)."""
    emit = on_event or (lambda event: None)
    try:
        run = _Run(exp, emit, data, control or TrainingControl(), backend, model, batch_event_interval,
                   exp.train.inspect if inspect is None else inspect)
        run.inspect_budget = inspect_budget
        run.save = checkpoint
        if resume is not None:
            run.resume_from(resume)
        # A diverging run overflows on its way to NaN; the `diverged` event reports it, not warnings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return run.run()
    except Exception as exc:
        emit(Failed(type(exc).__name__, str(exc)))
        raise


#: with an inspection budget, the length of a run inspected every epoch whatever the cost (a
#: lesson: 20 epochs that train in 0.2 s, where the statistics are the point)
INSPECT_EVERY_EPOCH = 30


class _Run:
    def __init__(self, exp, emit, data, control, backend, model, batch_event_interval, inspect):
        self.t_start = time.perf_counter()
        self.exp, self.emit, self.control = exp, emit, control
        self.batch_event_interval = batch_event_interval
        self.data = data if data is not None else load_data(
            exp.data, progress=lambda f, done, total: emit(DownloadProgress(f, done, total)))
        exp.check_data(self.data.n_classes, self.data.task)
        self.model = model if model is not None else build_model(exp, self.data.n_features, backend=backend)
        self.x = self.data.x_train.astype(self.model.dtype, copy=False)
        self.y = self.data.y_train
        self.n, self.bs = len(self.x), exp.train.batch_size
        self.steps = max(1, math.ceil(self.n / self.bs))
        self.classification = self.data.task == "classification"
        self.stopper = EarlyStopping(exp.early_stopping) if exp.early_stopping else None
        self.plateau = ReduceOnPlateau(exp.reduce_lr_on_plateau) if exp.reduce_lr_on_plateau else None
        self.restore = bool(exp.early_stopping and exp.early_stopping.restore_best_weights)
        self.best_weights = None
        self.rng = np.random.default_rng([exp.seed, 2])
        self.rate = schedule_function(exp.schedule, exp.optimizer.learning_rate, self.steps)
        self.result = TrainResult(exp, self.model, self.data)
        self.step = 0
        self.lr_scale = 1.0
        self.plateau_scale = 1.0           # reduce_lr_on_plateau's reductions so far
        self.snapshot: dict | None = None  # the epoch's first weights (the step-by-step path's fallback)
        self.train_seconds = 0.0
        self._xbuf: dict[int, np.ndarray] = {}
        self.inspector = Inspector(exp, self.data, self.model.dtype) if inspect else None
        self.inspect_budget: float | None = None
        self.inspect_seconds = 0.0         # what the inspections have cost so far
        self.inspecting = False            # this epoch is inspected
        self.tuner: ThreadTuner | None = None   # the NumPy backend's thread choice, for the run's length
        self.save: Callable[[Checkpoint, bool], None] | None = None   # the checkpoints' sink
        self.first_epoch = 1                # after the checkpoint a resumed run goes on from
        self.ended_early = False            # the checkpoint resumed from was early stopping's last epoch
        # the best epoch for checkpoint-best, where early stopping does not say it: Keras's
        # ModelCheckpoint's default monitor, val_loss (loss without a validation set)
        self.best_monitor = "val_loss" if len(self.data.x_val) else "loss"
        self.best_value: float | None = None

    @cached_property
    def exp_toml(self) -> str:
        """The experiment's TOML text, which each checkpoint keeps (made once a run)."""
        return self.exp.to_toml_string()

    def resume_from(self, c: Checkpoint) -> None:
        """Take up the state a checkpoint saved: the next epoch is the one after it."""
        s, model = c.state, self.model
        if not same_run(s.get("experiment", ""), self.exp):
            raise SpecError("", "the checkpoint was written by another experiment than the one to resume (only "
                            "train.epochs, train.threads and train.inspect may change); resume runs the "
                            "experiment that was saved with it")
        if s.get("backend") != model.backend:
            raise SpecError("backend", f"the checkpoint was written by the {s.get('backend')} backend; resume it "
                            f"there (its optimizer state is that backend's), not on {model.backend}")
        model.set_weights(c.group("weights"))
        model.set_training_state(c.group("training"), s["model"])
        self.rng.bit_generator.state = s["shuffle_rng"]
        self.step = int(s["step"])
        self.lr_scale = self.control.lr_scale = float(s["lr_scale"])
        if self.plateau is not None:
            self.plateau.set_state(s["plateau"])
            self.plateau_scale = self.plateau.scale
        if self.stopper is not None:
            self.stopper.set_state(s["stopper"])
        self.best_value = s.get("best_value")
        self.best_weights = c.group("best") or None
        self.result.history = c.history()
        self.train_seconds, self.inspect_seconds = float(s["train_seconds"]), float(s["inspect_seconds"])
        self.t_start -= float(s["seconds"])
        self.first_epoch = c.epoch + 1
        self.ended_early = bool(s.get("early_stopped"))

    def _checkpoint(self, epoch: int, stop: bool) -> Checkpoint:
        """Everything the next epoch depends on, after ``epoch`` (engine.checkpoint)."""
        model = self.model
        arrays, info = model.get_training_state()
        state = {
            "experiment": self.exp_toml, "backend": model.backend, "step": self.step,
            "shuffle_rng": self.rng.bit_generator.state, "model": info, "lr_scale": self.lr_scale,
            "plateau": self.plateau.get_state() if self.plateau else None,
            "stopper": self.stopper.get_state() if self.stopper else None,
            "best_value": self.best_value, "early_stopped": stop,
            "train_seconds": self.train_seconds, "inspect_seconds": self.inspect_seconds,
            "seconds": time.perf_counter() - self.t_start,
        }
        return Checkpoint.of(epoch, state, self.result.history, weights=model.get_weights(), training=arrays,
                             best=self.best_weights if self.restore else None)

    def run(self) -> TrainResult:
        exp, model, choice = self.exp, self.model, self.model.choice
        total, trainable = model.count_params()
        self.emit(RunStarted(exp.train.epochs, self.bs, self.steps, self.n, len(self.data.x_val),
                             len(self.data.x_test), choice.name, choice.device, choice.reason, total, trainable,
                             resumed_from=self.first_epoch - 1))
        if self.inspector and self.first_epoch == 1:
            self.emit(self.inspector.measure(model, 0))
        epochs_run = self.first_epoch - 1
        reason = "early_stopping" if self.ended_early else "completed"
        if model.backend == "numpy":
            self.tuner = ThreadTuner.for_run(exp.train.threads)
        if exp.train.class_weight is not None and self.classification:
            weights = exp.train.class_weights(self.data.class_names, labels_of(exp.model.loss, self.y))
            model.set_class_weights(weights)     # for this run's training loss only (taken off at its end)
        if model.defer:
            model.put_training_data(self.x, self.y)   # once: the batches are gathered on the device
        try:
            for epoch in range(self.first_epoch, 0 if self.ended_early else exp.train.epochs + 1):
                reason = self._epoch(epoch)
                if reason in ("stopped", "diverged"):
                    break
                epochs_run = epoch
                if reason == "early_stopping":
                    break
        finally:
            if self.tuner is not None:
                self.tuner.close()
            if exp.train.class_weight is not None and self.classification:
                model.set_class_weights(None)
        return self._finish(reason, epochs_run)

    def _rows(self, order, b):
        """Batch ``b``'s rows of the training set: a slice, or the shuffled order's indices."""
        lo, hi = b * self.bs, min(self.n, (b + 1) * self.bs)
        return slice(lo, hi) if order is None else order[lo:hi]

    def _batch(self, order, b):
        rows = self._rows(order, b)
        if isinstance(rows, slice):
            return self.x[rows], self.y[rows]
        buf = self._xbuf.get(len(rows))
        if buf is None:
            buf = self._xbuf[len(rows)] = np.empty((len(rows), self.x.shape[1]), self.x.dtype)
        return np.take(self.x, rows, axis=0, out=buf), self.y[rows]

    def _stop_asked(self, epoch: int, b: int, t0: float) -> bool:
        """At the start of step ``b``: wait out a pause (told as events); whether a stop is asked
        for (then the epoch's time so far is counted)."""
        control = self.control
        if control.paused:
            self.emit(Paused(epoch, b))
            control.wait_while_paused()
            self.emit(Resumed(epoch, b))
        if control.stop_requested:
            self.train_seconds += time.perf_counter() - t0
            return True
        return False

    def _rate(self, epoch: int, b: int) -> float:
        """Step ``b``'s learning rate: the schedule's, times the dashboard's factor and the
        plateau's cuts; a new dashboard factor is told."""
        control = self.control
        lr = self.rate(self.step) * control.lr_scale * self.plateau_scale
        if control.lr_scale != self.lr_scale:
            self.lr_scale = control.lr_scale
            self.emit(LearningRateChanged(epoch, b + 1, self.lr_scale, lr))
        return lr

    def _diverged(self, epoch: int, batch: int, loss: float, t0: float) -> None:
        """Tell that the loss of ``batch`` was not finite (the epoch's time so far counted)."""
        self.train_seconds += time.perf_counter() - t0
        self.emit(Diverged(epoch, batch, loss, f"loss became {loss} at epoch {epoch}, batch {batch}; the model "
                           "keeps its last finite weights. Try a lower learning rate, input scaling, or a "
                           "smaller initial weight scale (he/glorot)."))

    def _inspect(self, fn) -> None:
        """``fn(model)``, its time counted against the inspections' budget."""
        t0 = time.perf_counter()
        fn(self.model)
        self.inspect_seconds += time.perf_counter() - t0

    def _steps(self, epoch: int, order, t0: float):
        """The epoch's steps one after another, each handing back its loss. Returns (outcome or
        None, loss sum, correct, last learning rate); the outcome is "stopped" or "diverged" (the
        model then keeps the epoch's first weights if the last ones are not finite)."""
        exp, model, emit = self.exp, self.model, self.emit
        loss_sum, correct, seen, lr = 0.0, 0, 0, exp.optimizer.learning_rate
        last_emit = t0
        for b in range(self.steps):
            if self._stop_asked(epoch, b, t0):
                return "stopped", loss_sum, correct, lr
            xb, yb = self._batch(order, b)
            lr = self._rate(epoch, b)
            last = self.inspecting and b == self.steps - 1
            if last:
                self._inspect(self.inspector.before_step)
            loss, ok = model.train_step(xb, yb, lr) if self.tuner is None else self.tuner.step(model.train_step, xb, yb, lr)
            if last:
                self._inspect(self.inspector.after_step)
            if not math.isfinite(loss):
                if not model.weights_finite():
                    model.set_weights(self.snapshot)
                self._diverged(epoch, b + 1, loss, t0)
                return "diverged", loss_sum, correct, lr
            self.step += 1
            loss_sum += loss * len(xb)
            correct += ok
            seen += len(xb)
            now = time.perf_counter()
            if now - last_emit >= self.batch_event_interval:
                last_emit = now
                emit(BatchProgress(epoch, b + 1, self.steps, loss_sum / seen,
                                   correct / seen if self.classification else None, lr, seen / (now - t0)))
        return None, loss_sum, correct, lr

    def _queued_steps(self, epoch: int, order, t0: float):
        """The epoch's steps on a model that queues them (MLX on a GPU): each gathers its batch
        on the device, and the host reads the summed loss and correct count every ``model.defer``
        steps, at each progress event, before a pause or an inspection and at the epoch's end.
        Returns (outcome or None, loss sum, correct, last learning rate); the outcome is "stopped"
        or "diverged" (at the first step whose loss was not finite: the queued ones after it
        changed nothing)."""
        exp, model, control, emit = self.exp, self.model, self.control, self.emit
        loss_sum, correct, seen, lr = 0.0, 0, 0, exp.optimizer.learning_rate
        last_emit = t0
        queued: list[int] = []     # the batch sizes of the steps since the last look
        done = 0                   # the steps queued so far this epoch

        def look() -> str | None:
            nonlocal loss_sum, correct, seen
            window_loss, window_right, good, bad = model.flush()
            first = done - len(queued)             # the window's first batch, counted from 0
            if good < len(queued):
                self._diverged(epoch, first + good + 1, bad, t0)
                return "diverged"
            loss_sum += window_loss
            correct += window_right
            seen += sum(queued)
            queued.clear()
            return None

        for b in range(self.steps):
            if (control.paused or control.stop_requested) and look() is not None:
                return "diverged", loss_sum, correct, lr
            if self._stop_asked(epoch, b, t0):
                return "stopped", loss_sum, correct, lr
            rows = self._rows(order, b)
            lr = self._rate(epoch, b)
            last = self.inspecting and b == self.steps - 1
            if last:
                if look() is not None:
                    return "diverged", loss_sum, correct, lr
                self._inspect(self.inspector.before_step)
            model.queue_step(rows, lr)
            queued.append(min(self.n, (b + 1) * self.bs) - b * self.bs)
            done += 1
            self.step += 1
            now = time.perf_counter()
            due = now - last_emit >= self.batch_event_interval
            if len(queued) >= model.defer or due or b == self.steps - 1:
                if look() is not None:
                    return "diverged", loss_sum, correct, lr
            if last:
                self._inspect(self.inspector.after_step)
            if due and seen:
                last_emit = now
                emit(BatchProgress(epoch, b + 1, self.steps, loss_sum / seen,
                                   correct / seen if self.classification else None, lr, seen / (now - t0)))
        return None, loss_sum, correct, lr

    def _epoch(self, epoch: int) -> str:
        """Train one epoch; returns completed, early_stopping, stopped or diverged."""
        exp, model, emit = self.exp, self.model, self.emit
        self.inspecting = self.inspector is not None and (
            self.inspect_budget is None or epoch in (1, exp.train.epochs)
            or exp.train.epochs <= INSPECT_EVERY_EPOCH
            or self.inspect_seconds <= self.inspect_budget * self.train_seconds)
        # the last finite weights, should this epoch diverge (a queued model keeps its own: its
        # steps after a non-finite loss change nothing), taken before the epoch's clock starts
        self.snapshot = None if model.defer else model.get_weights()
        order = self.rng.permutation(self.n) if exp.train.shuffle else None
        t0 = time.perf_counter()
        steps = self._queued_steps if model.defer else self._steps
        outcome, loss_sum, correct, lr = steps(epoch, order, t0)
        if outcome is not None:
            return outcome
        t_train = time.perf_counter() - t0
        self.train_seconds += t_train
        val = model.evaluate(self.data.x_val, self.data.y_val) if len(self.data.x_val) else {}
        n = self.n
        # regression's error measures on the whole training set, after the epoch (the loss stays
        # the epoch's running mean, as Keras's); classification's accuracy is counted as it trains
        fit = {} if self.classification else model.evaluate(self.x, self.y)
        ev = EpochEnded(epoch, loss_sum / n, correct / n if self.classification else None,
                        val.get("loss"), val.get("accuracy"), lr, time.perf_counter() - t0, n / t_train,
                        fit.get("mae"), val.get("mae"), fit.get("rmse"), val.get("rmse"), fit.get("r2"), val.get("r2"))
        row = ev.history_row()
        self.result.history.append(row)
        emit(ev)
        if self.inspecting:
            self._inspect(lambda model: emit(self.inspector.measure(model, epoch)))
        logs = {k: v for k, v in row.items() if k not in ("epoch", "lr", "seconds")}
        if self.plateau is not None:
            reduced = self.plateau.update(epoch, logs, lr)
            if reduced is not None:
                self.plateau_scale = self.plateau.scale
                emit(reduced)
        stop, improved = False, False
        if self.stopper is not None:
            events, stop = self.stopper.update(epoch, logs)
            for e in events:
                if isinstance(e, Improved):
                    improved = True
                    if self.restore:
                        self.best_weights = model.get_weights()
                emit(e)
        elif logs.get(self.best_monitor) is not None:
            value = float(logs[self.best_monitor])
            improved = self.best_value is None or value < self.best_value
            self.best_value = value if improved else self.best_value
        if self.save is not None:
            self.save(self._checkpoint(epoch, stop), improved)
        return "early_stopping" if stop else "completed"

    def _finish(self, reason: str, epochs_run: int) -> TrainResult:
        model, stopper, choice = self.model, self.stopper, self.model.choice
        if (self.restore and self.best_weights is not None and reason != "diverged"
                and stopper.best_epoch != epochs_run):
            model.set_weights(self.best_weights)
            self.emit(WeightsRestored(epochs_run, stopper.best_epoch, stopper.monitor, stopper.best))
        evaluation = evaluate_test(model, self.data)
        self.result.evaluation = evaluation
        total = time.perf_counter() - self.t_start
        sps = epochs_run * self.n / self.train_seconds if self.train_seconds and epochs_run else 0.0
        best_epoch = stopper.best_epoch if stopper else None
        self.result.reason = reason
        self.result.metrics = {
            **{k: evaluation.metrics.get(k) for k in ("test_loss", "test_accuracy", "test_mae")},
            **{k: v for k, v in evaluation.metrics.items() if k not in ("test_loss", "test_accuracy", "test_mae")},
            "epochs_run": epochs_run, "best_epoch": best_epoch, "stopped_early": reason == "early_stopping",
            "reason": reason, "backend": choice.name, "device": choice.device, "seconds": total,
            "samples_per_second": sps,
        }
        if self.tuner is not None:      # steps at each BLAS thread count
            self.result.metrics["threads"] = self.tuner.record()
        m = self.result.metrics
        self.emit(Finished(reason, epochs_run, best_epoch, reason == "early_stopping", total, sps,
                           m["test_loss"], m["test_accuracy"], m["test_mae"], evaluation.to_dict(),
                           m.get("test_rmse"), m.get("test_r2")))
        return self.result
