"""[optimizer], [schedule], [train] and [early_stopping]."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from ..names import COMMON, OPTIMIZERS, SCHEDULES
from .checks import _bool, _check_keys, _choice, _float, _int, _names, _table
from .monitors import MONITORS, direction_of
from .settings import OPTIMIZER_SETTINGS, schedule_setting

MODES = ("auto", "min", "max")
SCHEDULE_UNITS = ("epoch", "step")


@dataclass(frozen=True)
class OptimizerSpec:
    """The optimizer and exactly its own hyperparameters (others are None)."""

    name: str = "rmsprop"
    learning_rate: float = 0.001
    momentum: float | None = None
    nesterov: bool | None = None
    rho: float | None = None
    beta_1: float | None = None
    beta_2: float | None = None
    epsilon: float | None = None
    initial_accumulator_value: float | None = None
    weight_decay: float | None = None
    clipnorm: float | None = None
    global_clipnorm: float | None = None
    clipvalue: float | None = None

    @classmethod
    def parse(cls, raw: Any, path: str = "optimizer") -> "OptimizerSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        name = OPTIMIZERS.canonical(raw.get("name", cls.name), f"{path}.name")
        defaults = OPTIMIZERS.get(name)
        for key in raw:
            if key != "name" and key not in defaults:
                raise SpecError(f"{path}.{key}", f"is not a setting of {name}; "
                                f"{name} has: {', '.join(defaults)}")
        values: dict[str, Any] = {}
        for key, default in defaults.items():
            v = raw.get(key, default)
            values[key] = OPTIMIZER_SETTINGS[key].check(v, f"{path}.{key}")
        if values.get("clipnorm") and values.get("global_clipnorm"):      # as Keras refuses it
            raise SpecError(f"{path}.global_clipnorm", "only one of clipnorm (each weight tensor's norm) and "
                            "global_clipnorm (all gradients' norm) can be set; set the other to 0")
        return cls(name=name, **values)

    def hyperparameters(self) -> dict[str, Any]:
        """This optimizer's own settings, learning rate included."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "name" and v is not None}

    def to_dict(self) -> dict:
        """The settings to write: weight decay and clipping only where they differ from the
        optimizer's default (files stay as they were for the runs that use neither)."""
        defaults = OPTIMIZERS.get(self.name)
        return {"name": self.name, **{k: v for k, v in self.hyperparameters().items()
                                      if k not in COMMON or v != defaults[k]}}


@dataclass(frozen=True)
class ScheduleSpec:
    """A learning-rate schedule and exactly its own settings (others are None)."""

    name: str = "constant"
    unit: str = "epoch"               # what one unit of decay_every/step_size/period counts
    decay_rate: float | None = None
    decay_every: float | None = None
    staircase: bool | None = None
    max_lr: float | None = None
    step_size: float | None = None
    period: float | None = None
    period_mult: float | None = None
    min_lr: float | None = None

    @classmethod
    def parse(cls, raw: Any, path: str = "schedule") -> "ScheduleSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        name = SCHEDULES.canonical(raw.get("name", cls.name), f"{path}.name")
        defaults = SCHEDULES.get(name)
        for key in raw:
            if key not in ("name", "unit") and key not in defaults:
                have = ", ".join(["unit", *defaults])
                raise SpecError(f"{path}.{key}", f"is not a setting of the {name} schedule; it has: {have}")
        values: dict[str, Any] = {"unit": _choice(raw.get("unit", "epoch"), f"{path}.unit", SCHEDULE_UNITS)}
        for key, default in defaults.items():
            v = raw.get(key, default)
            values[key] = schedule_setting(name, key).check(v, f"{path}.{key}")
        return cls(name=name, **values)

    def settings(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in ("name", "unit") and v is not None}

    def to_dict(self) -> dict:
        return {"name": self.name, "unit": self.unit, **self.settings()}


@dataclass(frozen=True)
class TrainSpec:
    epochs: int = 20
    batch_size: int = 32
    shuffle: bool = True
    inspect: bool = False      # per-layer statistics each epoch (engine.inspection)
    #: the NumPy backend's thread count: None ("auto") chooses from what the step achieves
    #: (engine/backends/numpy/threads.py); a number holds it, for runs that repeat bit for bit
    threads: int | None = None
    #: "balanced" (n / (classes x the class's rows), scikit-learn's and Keras users' rule) or a
    #: weight per class name (others 1); None: every sample alike. Weighs the training loss only.
    class_weight: str | dict | None = None

    @classmethod
    def parse(cls, raw: Any, path: str = "train") -> "TrainSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        return cls(
            epochs=_int(raw.get("epochs", cls.epochs), f"{path}.epochs"),
            batch_size=_int(raw.get("batch_size", cls.batch_size), f"{path}.batch_size"),
            shuffle=_bool(raw.get("shuffle", True), f"{path}.shuffle"),
            inspect=_bool(raw.get("inspect", False), f"{path}.inspect"),
            threads=_threads(raw.get("threads", "auto"), f"{path}.threads"),
            class_weight=_class_weight(raw.get("class_weight"), f"{path}.class_weight"),
        )

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        if not self.inspect:          # files written before the fields existed stay as they were
            del out["inspect"]
        if self.threads is None:
            del out["threads"]
        if self.class_weight is None:
            del out["class_weight"]
        elif isinstance(self.class_weight, dict):
            out["class_weight"] = dict(self.class_weight)
        return out

    def class_weights(self, class_names, labels) -> list[float] | None:
        """The weight of each class, in the data's order: balanced from the training ``labels``
        (a class with no rows gets 1), or the table's (classes it leaves out get 1)."""
        cw = self.class_weight
        if cw is None:
            return None
        k = len(class_names)
        if cw == "balanced":
            counts = [0] * k
            for c in labels:
                counts[int(c)] += 1
            n = sum(counts)
            return [n / (k * c) if c else 1.0 for c in counts]
        unknown = [name for name in cw if name not in class_names]
        if unknown:
            raise SpecError("train.class_weight", f"{unknown[0]!r} is not a class of the data; its classes: "
                            f"{', '.join(map(str, class_names))}")
        return [float(cw.get(name, 1.0)) for name in class_names]


def _class_weight(value: Any, path: str) -> str | dict | None:
    if value is None or value == "none":          # "none": TOML's way to say Keras's None
        return None
    if value == "balanced":
        return value
    if not isinstance(value, dict):
        raise SpecError(path, f'must be "balanced" or a table of weights by class name, got {value!r}')
    return {str(k): _float(v, f"{path}.{k}", 0.0, lo_open=True) for k, v in value.items()}


def _threads(value: Any, path: str) -> int | None:
    if value == "auto":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(path, f'must be "auto" or a positive integer (the thread count to hold), got {value!r}')
    return value


@dataclass(frozen=True)
class PlateauSpec:
    """[reduce_lr_on_plateau]: Keras's ReduceLROnPlateau. After ``patience`` epochs without an
    improvement of more than ``min_delta``, the learning rate is multiplied by ``factor`` (not
    below ``min_lr``), then ``cooldown`` epochs pass before the count starts again. It multiplies
    the schedule's rate, as the dashboard's +/- keys do."""

    monitor: str = "val_loss"
    factor: float = 0.1
    patience: int = 10
    min_delta: float = 1e-4
    cooldown: int = 0
    min_lr: float = 0.0
    mode: str = "auto"

    @classmethod
    def parse(cls, raw: Any, path: str = "reduce_lr_on_plateau") -> "PlateauSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        return cls(
            monitor=_choice(raw.get("monitor", cls.monitor), f"{path}.monitor", MONITORS),
            factor=_float(raw.get("factor", cls.factor), f"{path}.factor", 0.0, 1.0, lo_open=True, hi_open=True),
            patience=_int(raw.get("patience", cls.patience), f"{path}.patience", 0),
            min_delta=_float(raw.get("min_delta", cls.min_delta), f"{path}.min_delta", 0.0),
            cooldown=_int(raw.get("cooldown", cls.cooldown), f"{path}.cooldown", 0),
            min_lr=_float(raw.get("min_lr", cls.min_lr), f"{path}.min_lr", 0.0),
            mode=_choice(raw.get("mode", "auto"), f"{path}.mode", MODES),
        )

    @property
    def direction(self) -> str:
        return self.mode if self.mode != "auto" else direction_of(self.monitor)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class EarlyStoppingSpec:
    monitor: str = "val_loss"
    patience: int = 3
    min_delta: float = 0.0
    mode: str = "auto"                 # auto: max for accuracy, min otherwise
    restore_best_weights: bool = False
    smoothing: int = 1                 # moving-average window over the monitored value (1: none)
    start_from_epoch: int = 0          # warm-up: the first this many epochs are not counted (Keras's)
    baseline: float | None = None      # stop unless the monitored value beats it within patience (Keras's)

    @classmethod
    def parse(cls, raw: Any, path: str = "early_stopping") -> "EarlyStoppingSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        return cls(
            monitor=_choice(raw.get("monitor", cls.monitor), f"{path}.monitor", MONITORS),
            patience=_int(raw.get("patience", cls.patience), f"{path}.patience", 0),
            min_delta=_float(raw.get("min_delta", 0.0), f"{path}.min_delta", 0.0),
            mode=_choice(raw.get("mode", "auto"), f"{path}.mode", MODES),
            restore_best_weights=_bool(raw.get("restore_best_weights", False), f"{path}.restore_best_weights"),
            smoothing=_int(raw.get("smoothing", 1), f"{path}.smoothing"),
            start_from_epoch=_int(raw.get("start_from_epoch", 0), f"{path}.start_from_epoch", 0),
            baseline=None if raw.get("baseline") is None else _float(raw["baseline"], f"{path}.baseline"),
        )

    @property
    def direction(self) -> str:
        """'min' or 'max': the mode, with 'auto' resolved from the monitor's name."""
        return self.mode if self.mode != "auto" else direction_of(self.monitor)

    def to_dict(self) -> dict:
        """Every setting; the baseline only when there is one (TOML has no None)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if not (k == "baseline" and v is None)}
