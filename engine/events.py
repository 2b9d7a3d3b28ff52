"""What the trainer tells its sinks: plain dataclasses, each with a ``kind`` and ``to_dict()``
(one JSON object per event in events.jsonl)."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

# re-exported: the history's columns live in a plain module (reading a run folder needs no dataclasses)
from .columns import HISTORY_FIELDS, REGRESSION_FIELDS, ROW_FIELDS, history_fields, is_regression  # noqa: F401


def _jsonable(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": JSON has no such numbers
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Event:
    kind = "event"

    def to_dict(self) -> dict:
        return {"event": self.kind, **_jsonable(asdict(self))}


@dataclass(frozen=True)
class DownloadProgress(Event):
    """A dataset file arriving on first use (a few per second)."""

    kind = "download"
    file: str
    done: int
    total: int          # 0 when the server does not say


@dataclass(frozen=True)
class RunStarted(Event):
    kind = "run_started"
    epochs: int
    batch_size: int
    steps_per_epoch: int
    train_samples: int
    val_samples: int
    test_samples: int
    backend: str
    device: str
    reason: str
    params: int
    trainable_params: int
    time: float = field(default_factory=time.time)
    resumed_from: int = 0     # a resumed run's: the checkpoint's epoch (it trains from the next one)


@dataclass(frozen=True)
class BatchProgress(Event):
    kind = "batch"
    epoch: int
    batch: int
    batches: int
    loss: float            # running mean over the epoch so far
    accuracy: float | None
    lr: float
    samples_per_second: float


@dataclass(frozen=True)
class EpochEnded(Event):
    kind = "epoch_end"
    epoch: int
    loss: float
    accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    lr: float
    seconds: float
    samples_per_second: float
    mae: float | None = None        # regression: mean absolute error, root mean squared error and
    val_mae: float | None = None    # the coefficient of determination, on the whole training and
    rmse: float | None = None       # validation sets after the epoch (None for classification)
    val_rmse: float | None = None
    r2: float | None = None
    val_r2: float | None = None

    def history_row(self) -> dict:
        return {k: getattr(self, k) for k in ROW_FIELDS}


@dataclass(frozen=True)
class Improved(Event):
    kind = "improved"
    epoch: int
    monitor: str
    value: float
    previous: float | None


@dataclass(frozen=True)
class NoImprovement(Event):
    kind = "no_improvement"
    epoch: int
    monitor: str
    value: float
    best: float
    best_epoch: int
    wait: int
    patience: int


@dataclass(frozen=True)
class EarlyStopped(Event):
    kind = "early_stop"
    epoch: int
    monitor: str
    best: float
    best_epoch: int
    patience: int
    restored_best_weights: bool
    reason: str


@dataclass(frozen=True)
class WeightsRestored(Event):
    kind = "weights_restored"
    epoch: int
    best_epoch: int
    monitor: str
    best: float


@dataclass(frozen=True)
class Inspected(Event):
    """Per-layer statistics on the probe batch (engine.inspection): at the start (epoch 0) and after
    each epoch, only when the run inspects. ``layers`` holds one dict per dense layer."""

    kind = "inspect"
    epoch: int
    probe_loss: float
    layers: tuple = ()


@dataclass(frozen=True)
class Diverged(Event):
    kind = "diverged"
    epoch: int
    batch: int
    loss: float
    message: str


@dataclass(frozen=True)
class LearningRateReduced(Event):
    """[reduce_lr_on_plateau]: the monitored value did not improve for patience epochs, so the
    rate is multiplied by the factor from the next epoch (``scale``: every reduction so far)."""

    kind = "lr_reduced"
    epoch: int
    monitor: str
    value: float
    best: float
    old_lr: float
    new_lr: float
    scale: float


@dataclass(frozen=True)
class LearningRateChanged(Event):
    """The learning rate was changed by hand during training (a factor on the schedule's rate)."""

    kind = "lr_changed"
    epoch: int
    batch: int
    scale: float
    lr: float


@dataclass(frozen=True)
class Paused(Event):
    kind = "paused"
    epoch: int
    batch: int


@dataclass(frozen=True)
class Resumed(Event):
    kind = "resumed"
    epoch: int
    batch: int


@dataclass(frozen=True)
class Finished(Event):
    kind = "finished"
    reason: str               # completed | early_stopping | stopped | diverged
    epochs_run: int
    best_epoch: int | None
    stopped_early: bool
    seconds: float
    samples_per_second: float
    test_loss: float | None = None
    test_accuracy: float | None = None
    test_mae: float | None = None
    #: class_names, confusion_matrix, per_class_accuracy and mistakes (engine/evaluation.py)
    evaluation: dict | None = None
    test_rmse: float | None = None
    test_r2: float | None = None


@dataclass(frozen=True)
class Failed(Event):
    kind = "failed"
    error: str
    message: str
