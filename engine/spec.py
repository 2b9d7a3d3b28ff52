"""The experiment spec: frozen dataclasses for everything a run needs, read from and written to
TOML. Parsing checks every field and names it (``model.layers[2].units``) in the error, so the
TUI, the command line and scripts all report bad input the same way."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

import tomli_w

from .activations import ACTIVATIONS
from .atomic import write_text_atomic
from .errors import SpecError
from .initializers import INITIALIZERS
from .losses import LOSSES
from .optimizers import OPTIMIZERS
from .registry import Registry
from .schedules import SCHEDULES
from .search_spec import SearchSpec

BACKENDS = Registry("backend")
for _name in ("auto", "numpy", "mlx"):
    BACKENDS.add(_name, _name)

SCALINGS = Registry("scaling")
SCALINGS.add("minmax", "minmax", ("min_max", "normalize"))
SCALINGS.add("standardize", "standardize", ("standard", "zscore", "z_score"))
SCALINGS.add("none", "none", ("raw",))

MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy", "val_mae", "mae")
MODES = ("auto", "min", "max")
SCHEDULE_UNITS = ("epoch", "step")


# ---------------------------------------------------------------------------------------------
# Field checks. Each returns the normalised value or raises SpecError naming the field.


def _int(value: Any, path: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise SpecError(path, f"must be {what}, got {value!r}")
    return value


def _float(value: Any, path: str, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, hi_open: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and lo is not None:
        ok = value > lo if lo_open else value >= lo
    if ok and hi is not None:
        ok = value < hi if hi_open else value <= hi
    if not ok:
        if lo is not None and hi is not None:
            rng = f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        elif lo is not None:
            rng = f"{'>' if lo_open else '>='} {lo:g}"
        elif hi is not None:
            rng = f"{'<' if hi_open else '<='} {hi:g}"
        else:
            rng = "finite"
        raise SpecError(path, f"must be a number {rng}, got {value!r}")
    return float(value)


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, f"must be true or false, got {value!r}")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise SpecError(path, f"must be a string, got {value!r}")
    return value


def _choice(value: Any, path: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise SpecError(path, f"must be one of {', '.join(allowed)}; got {value!r}")
    return value.strip().lower()


def _table(raw: Any, path: str) -> dict:
    if not isinstance(raw, Mapping):
        raise SpecError(path, f"must be a table, got {type(raw).__name__} {raw!r}")
    return dict(raw)


def _check_keys(raw: Mapping, path: str, allowed: list[str], what: str = "") -> None:
    for key in raw:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            owner = f" of {what}" if what else ""
            raise SpecError(where, f"unknown key{owner}; valid keys: {', '.join(allowed)}")


def _names(cls) -> list[str]:
    return [f.name for f in fields(cls)]


# ---------------------------------------------------------------------------------------------
# Sections


#: Datasets known to the spec, with what applies to them. The data package owns the loading.
DATASETS = Registry("dataset")
for _name, _aliases in (("digits", ()), ("fashion-mnist", ("fashion_mnist", "fmnist")),
                        ("mnist", ()), ("moons", ()), ("circles", ()), ("spiral", ("spirals",)),
                        ("xor", ()), ("gaussians", ("blobs",)), ("sine", ("sin",)),
                        ("csv", ()), ("npz", ())):
    DATASETS.add(_name, _name, _aliases)
SYNTHETIC = {"moons", "circles", "spiral", "xor", "gaussians", "sine"}
FILE_DATASETS = {"csv", "npz"}


@dataclass(frozen=True)
class DataSpec:
    name: str = "digits"
    path: str = ""                 # csv/npz file, or a folder holding IDX files
    scale: str = "minmax"
    validation_split: float = 0.1
    test_split: float = 0.2        # held out for datasets that ship no test set
    samples: int = 1000            # synthetic 2D sets only
    noise: float = 0.1             # synthetic 2D sets only
    classes: int = 0               # spiral and gaussians: number of classes (0: the set's default, 2)
    seed: int = 0                  # draws the synthetic sets and the splits, apart from the run's seed,
                                   # so that runs with different seeds see the same test set
    target: str | int = -1         # csv: the target column, by header name or index (-1: the last)
    task: str = "auto"             # csv, npz: auto | classification | regression
    header: str = "auto"           # csv: auto | yes | no (auto: a first row that is not all numbers)
    delimiter: str = ","           # csv

    SYNTHETIC_ONLY = ("samples", "noise", "classes")
    CSV_ONLY = ("target", "header", "delimiter")

    @classmethod
    def parse(cls, raw: Any, path: str = "data") -> "DataSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        name = DATASETS.canonical(raw.get("name", cls.name), f"{path}.name")
        if name not in SYNTHETIC:
            for key in cls.SYNTHETIC_ONLY:
                if key in raw:
                    raise SpecError(f"{path}.{key}", f"applies only to the synthetic sets "
                                    f"({', '.join(sorted(SYNTHETIC))}), not {name!r}")
        if "classes" in raw and name not in ("spiral", "gaussians"):
            raise SpecError(f"{path}.classes", f"applies only to spiral and gaussians, not {name!r}")
        if name in FILE_DATASETS and not raw.get("path"):
            raise SpecError(f"{path}.path", f"the {name} dataset needs a file path")
        for key in cls.CSV_ONLY:
            if key in raw and name != "csv":
                raise SpecError(f"{path}.{key}", f"applies only to csv files, not {name!r}")
        if "task" in raw and name not in FILE_DATASETS:
            raise SpecError(f"{path}.task", f"applies only to csv and npz files; {name!r} has a fixed task")
        target = raw.get("target", -1)
        if isinstance(target, bool) or not isinstance(target, (int, str)) or target == "":
            raise SpecError(f"{path}.target", f"must be a column name or index, got {target!r}")
        delimiter = _str(raw.get("delimiter", ","), f"{path}.delimiter")
        if len(delimiter) != 1 or delimiter in "\"\r\n":
            raise SpecError(f"{path}.delimiter", f"must be one character (not a quote or newline), got {delimiter!r}")
        header = raw.get("header", "auto")
        header = {True: "yes", False: "no"}.get(header, header) if isinstance(header, bool) else header
        return cls(
            name=name,
            path=_str(raw.get("path", ""), f"{path}.path"),
            scale=SCALINGS.canonical(raw.get("scale", cls.scale), f"{path}.scale"),
            validation_split=_float(raw.get("validation_split", cls.validation_split),
                                    f"{path}.validation_split", 0.0, 1.0, hi_open=True),
            test_split=_float(raw.get("test_split", cls.test_split), f"{path}.test_split",
                              0.0, 1.0, hi_open=True),
            samples=_int(raw.get("samples", cls.samples), f"{path}.samples", 8),
            noise=_float(raw.get("noise", cls.noise), f"{path}.noise", 0.0, 10.0),
            classes=_int(raw.get("classes", cls.classes), f"{path}.classes", 0),
            seed=_int(raw.get("seed", 0), f"{path}.seed", 0),
            target=target,
            task=_choice(raw.get("task", "auto"), f"{path}.task", ("auto", "classification", "regression")),
            header=_choice(header, f"{path}.header", ("auto", "yes", "no")),
            delimiter=delimiter,
        )

    def to_dict(self) -> dict:
        out = {"name": self.name, "path": self.path, "scale": self.scale,
               "validation_split": self.validation_split, "test_split": self.test_split,
               "seed": self.seed}
        if self.name in SYNTHETIC:
            out.update(samples=self.samples, noise=self.noise)
            if self.name in ("spiral", "gaussians"):   # the only sets with a number of classes to choose
                out["classes"] = self.classes
        if self.name == "csv":
            out.update(target=self.target, header=self.header, delimiter=self.delimiter)
        if self.name in FILE_DATASETS:
            out["task"] = self.task
        return out


@dataclass(frozen=True)
class DenseSpec:
    units: int
    activation: str = "relu"
    initializer: str = "glorot_uniform"
    init_scale: float | None = None    # stddev (random_normal), limit (random_uniform), value (constant)
    negative_slope: float = 0.01       # leaky_relu only
    l1: float = 0.0
    l2: float = 0.0
    trainable: bool = True
    type: str = "dense"

    @classmethod
    def parse(cls, raw: dict, path: str) -> "DenseSpec":
        _check_keys(raw, path, _names(cls), "a dense layer")
        if "units" not in raw:
            raise SpecError(f"{path}.units", "is required for a dense layer (a positive integer)")
        scale = raw.get("init_scale")
        return cls(
            units=_int(raw["units"], f"{path}.units"),
            activation=ACTIVATIONS.canonical(raw.get("activation", cls.activation), f"{path}.activation"),
            initializer=INITIALIZERS.canonical(raw.get("initializer", cls.initializer), f"{path}.initializer"),
            init_scale=None if scale is None else _float(scale, f"{path}.init_scale", 0.0, 1e6),
            negative_slope=_float(raw.get("negative_slope", cls.negative_slope),
                                  f"{path}.negative_slope", 0.0, 1.0),
            l1=_float(raw.get("l1", 0.0), f"{path}.l1", 0.0),
            l2=_float(raw.get("l2", 0.0), f"{path}.l2", 0.0),
            trainable=_bool(raw.get("trainable", True), f"{path}.trainable"),
        )

    def to_dict(self) -> dict:
        out = {"type": "dense", "units": self.units, "activation": self.activation,
               "initializer": self.initializer}
        if self.init_scale is not None:
            out["init_scale"] = self.init_scale
        if self.activation == "leaky_relu" or self.negative_slope != 0.01:
            out["negative_slope"] = self.negative_slope
        out.update(l1=self.l1, l2=self.l2, trainable=self.trainable)
        return out


@dataclass(frozen=True)
class DropoutSpec:
    rate: float = 0.5
    type: str = "dropout"

    @classmethod
    def parse(cls, raw: dict, path: str) -> "DropoutSpec":
        _check_keys(raw, path, _names(cls), "a dropout layer")
        return cls(rate=_float(raw.get("rate", cls.rate), f"{path}.rate", 0.0, 1.0, hi_open=True))

    def to_dict(self) -> dict:
        return {"type": "dropout", "rate": self.rate}


@dataclass(frozen=True)
class BatchNormSpec:
    momentum: float = 0.99
    epsilon: float = 1e-3
    trainable: bool = True
    type: str = "batchnorm"

    @classmethod
    def parse(cls, raw: dict, path: str) -> "BatchNormSpec":
        _check_keys(raw, path, _names(cls), "a batchnorm layer")
        return cls(
            momentum=_float(raw.get("momentum", cls.momentum), f"{path}.momentum", 0.0, 1.0, hi_open=True),
            epsilon=_float(raw.get("epsilon", cls.epsilon), f"{path}.epsilon", 0.0, 1.0, lo_open=True),
            trainable=_bool(raw.get("trainable", True), f"{path}.trainable"),
        )

    def to_dict(self) -> dict:
        return {"type": "batchnorm", "momentum": self.momentum, "epsilon": self.epsilon,
                "trainable": self.trainable}


LayerSpec = DenseSpec | DropoutSpec | BatchNormSpec
LAYER_TYPES = Registry("layer type")
LAYER_TYPES.add("dense", DenseSpec, ("linear_layer", "fully_connected", "fc"))
LAYER_TYPES.add("dropout", DropoutSpec)
LAYER_TYPES.add("batchnorm", BatchNormSpec, ("batch_norm", "batchnormalization", "batch_normalization", "bn"))


def parse_layer(raw: Any, path: str) -> LayerSpec:
    raw = _table(raw, path)
    cls = LAYER_TYPES.get(raw.get("type", "dense"), f"{path}.type")
    raw["type"] = cls.type
    return cls.parse(raw, path)


@dataclass(frozen=True)
class ModelSpec:
    layers: tuple[LayerSpec, ...] = ()
    loss: str = "sparse_categorical_crossentropy"
    label_smoothing: float = 0.0
    transfer_from: str = ""            # a saved model.npz whose weights start this model
    transfer_layers: tuple[int, ...] = ()   # layer indices to take (empty: every layer with weights)

    @classmethod
    def parse(cls, raw: Any, path: str = "model") -> "ModelSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        layers_raw = raw.get("layers", [])
        if not isinstance(layers_raw, list) or not layers_raw:
            raise SpecError(f"{path}.layers", "needs at least one layer ([[model.layers]] tables)")
        layers = tuple(parse_layer(layer, f"{path}.layers[{i}]") for i, layer in enumerate(layers_raw))
        tl = raw.get("transfer_layers", [])
        if not isinstance(tl, list):
            raise SpecError(f"{path}.transfer_layers", f"must be a list of layer indices, got {tl!r}")
        transfer_layers = tuple(_int(v, f"{path}.transfer_layers[{i}]", 0) for i, v in enumerate(tl))
        spec = cls(
            layers=layers,
            loss=LOSSES.canonical(raw.get("loss", cls.loss), f"{path}.loss"),
            label_smoothing=_float(raw.get("label_smoothing", 0.0), f"{path}.label_smoothing",
                                   0.0, 1.0, hi_open=True),
            transfer_from=_str(raw.get("transfer_from", ""), f"{path}.transfer_from"),
            transfer_layers=transfer_layers,
        )
        spec.check(path)
        return spec

    def check(self, path: str = "model") -> None:
        """Checks that need the whole stack (the data-dependent ones live in Experiment.check_data)."""
        if not self.layers:
            raise SpecError(f"{path}.layers", "needs at least one layer")
        last = len(self.layers) - 1
        if not isinstance(self.layers[last], DenseSpec):
            raise SpecError(f"{path}.layers[{last}]", "the last layer must be dense (the output layer); "
                            f"got {self.layers[last].type}")
        for i, layer in enumerate(self.layers[:-1]):
            if isinstance(layer, DenseSpec) and layer.activation == "softmax":
                raise SpecError(f"{path}.layers[{i}].activation",
                                "softmax belongs on the output layer only")
        for i, idx in enumerate(self.transfer_layers):
            if idx > last:
                raise SpecError(f"{path}.transfer_layers[{i}]", f"no layer {idx}: the model has layers 0..{last}")
        if self.transfer_layers and not self.transfer_from:
            raise SpecError(f"{path}.transfer_layers", "needs model.transfer_from (the model.npz to take weights from)")

    @property
    def output(self) -> DenseSpec:
        return self.layers[-1]  # type: ignore[return-value]

    def to_dict(self) -> dict:
        out: dict = {"loss": self.loss, "label_smoothing": self.label_smoothing}
        if self.transfer_from:
            out["transfer_from"] = self.transfer_from
            out["transfer_layers"] = list(self.transfer_layers)
        out["layers"] = [layer.to_dict() for layer in self.layers]
        return out


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

    @classmethod
    def parse(cls, raw: Any, path: str = "optimizer") -> "OptimizerSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        name = OPTIMIZERS.canonical(raw.get("name", cls.name), f"{path}.name")
        defaults = OPTIMIZERS.get(name).defaults
        for key in raw:
            if key != "name" and key not in defaults:
                raise SpecError(f"{path}.{key}", f"is not a setting of {name}; "
                                f"{name} has: {', '.join(defaults)}")
        values: dict[str, Any] = {}
        for key, default in defaults.items():
            v = raw.get(key, default)
            p = f"{path}.{key}"
            if key == "nesterov":
                values[key] = _bool(v, p)
            elif key == "learning_rate":
                values[key] = _float(v, p, 0.0, 1e3, lo_open=True)
            elif key in ("momentum", "rho", "beta_1", "beta_2"):
                values[key] = _float(v, p, 0.0, 1.0, hi_open=True)
            elif key == "epsilon":
                values[key] = _float(v, p, 0.0, 1.0, lo_open=True)
            else:
                values[key] = _float(v, p, 0.0)
        return cls(name=name, **values)

    def hyperparameters(self) -> dict[str, Any]:
        """This optimizer's own settings, learning rate included."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "name" and v is not None}

    def to_dict(self) -> dict:
        return {"name": self.name, **self.hyperparameters()}


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
        defaults = SCHEDULES.get(name).defaults
        for key in raw:
            if key not in ("name", "unit") and key not in defaults:
                have = ", ".join(["unit", *defaults])
                raise SpecError(f"{path}.{key}", f"is not a setting of the {name} schedule; it has: {have}")
        values: dict[str, Any] = {"unit": _choice(raw.get("unit", "epoch"), f"{path}.unit", SCHEDULE_UNITS)}
        for key, default in defaults.items():
            v = raw.get(key, default)
            p = f"{path}.{key}"
            if key == "staircase":
                values[key] = _bool(v, p)
            elif key == "decay_rate" and name in ("exponential", "step"):
                values[key] = _float(v, p, 0.0, 1.0, lo_open=True)
            elif key in ("decay_every", "step_size", "period"):
                values[key] = _float(v, p, 0.0, lo_open=True)
            elif key == "period_mult":
                values[key] = _float(v, p, 1.0)
            elif key == "max_lr":
                values[key] = _float(v, p, 0.0, 1e3, lo_open=True)
            else:
                values[key] = _float(v, p, 0.0)
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

    @classmethod
    def parse(cls, raw: Any, path: str = "train") -> "TrainSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        return cls(
            epochs=_int(raw.get("epochs", cls.epochs), f"{path}.epochs"),
            batch_size=_int(raw.get("batch_size", cls.batch_size), f"{path}.batch_size"),
            shuffle=_bool(raw.get("shuffle", True), f"{path}.shuffle"),
            inspect=_bool(raw.get("inspect", False), f"{path}.inspect"),
        )

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        if not self.inspect:          # files written before the field existed stay as they were
            del out["inspect"]
        return out


@dataclass(frozen=True)
class EarlyStoppingSpec:
    monitor: str = "val_loss"
    patience: int = 3
    min_delta: float = 0.0
    mode: str = "auto"                 # auto: max for accuracy, min otherwise
    restore_best_weights: bool = False
    smoothing: int = 1                 # moving-average window over the monitored value (1: none)

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
        )

    @property
    def direction(self) -> str:
        """'min' or 'max': the mode, with 'auto' resolved from the monitor's name."""
        if self.mode != "auto":
            return self.mode
        return "max" if self.monitor.endswith("accuracy") else "min"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Experiment:
    """A whole experiment. Build one with :meth:`from_toml`, :meth:`from_dict` or the constructor
    (which checks it the same way); :meth:`replace` derives a changed copy."""

    model: ModelSpec
    data: DataSpec = field(default_factory=DataSpec)
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    schedule: ScheduleSpec = field(default_factory=ScheduleSpec)
    train: TrainSpec = field(default_factory=TrainSpec)
    early_stopping: EarlyStoppingSpec | None = None
    seed: int = 0
    backend: str = "auto"
    name: str = ""
    description: str = ""
    search: SearchSpec | None = None    # [search]: what `nntui search` varies (engine.search)

    TOP_KEYS = ("name", "description", "seed", "backend", "data", "model", "optimizer", "schedule",
                "train", "early_stopping", "search")

    def __post_init__(self):
        # Direct construction gets the same checks as parsing: round-trip through the parser.
        if not getattr(self, "_parsed", False):
            checked = Experiment.from_dict(self.to_dict())
            for f in fields(self):  # keep the canonical spellings (aliases resolved)
                object.__setattr__(self, f.name, getattr(checked, f.name))

    @classmethod
    def from_dict(cls, raw: Any, source: str | None = None) -> "Experiment":
        try:
            return cls._parse(raw)
        except SpecError as exc:
            if source:
                raise exc.with_source(source) from None
            raise

    @classmethod
    def _parse(cls, raw: Any) -> "Experiment":
        raw = _table(raw, "experiment")
        _check_keys(raw, "", list(cls.TOP_KEYS))
        if "model" not in raw:
            raise SpecError("model", "is required: a [model] table with [[model.layers]]")
        es = raw.get("early_stopping")
        values = dict(
            name=_str(raw.get("name", ""), "name"),
            description=_str(raw.get("description", ""), "description"),
            seed=_int(raw.get("seed", 0), "seed", 0),
            backend=BACKENDS.canonical(raw.get("backend", "auto"), "backend"),
            data=DataSpec.parse(raw.get("data", {})),
            model=ModelSpec.parse(raw["model"]),
            optimizer=OptimizerSpec.parse(raw.get("optimizer", {})),
            schedule=ScheduleSpec.parse(raw.get("schedule", {})),
            train=TrainSpec.parse(raw.get("train", {})),
            early_stopping=None if es is None else EarlyStoppingSpec.parse(es),
            search=None if raw.get("search") is None else SearchSpec.parse(raw["search"]),
        )
        exp = object.__new__(cls)
        object.__setattr__(exp, "_parsed", True)
        for key, value in values.items():
            object.__setattr__(exp, key, value)
        exp._check_cross_fields()
        from .data.catalog import static_info  # data-dependent checks where the set is known

        info = static_info(exp.data)
        if info is not None:
            exp.check_data(info.n_classes, info.task)
        if exp.search is not None:   # every searched path and range end, against this experiment
            base = exp.to_dict()
            del base["search"]
            exp.search.check_against(base, cls._parse)
        return exp

    def _check_cross_fields(self) -> None:
        es = self.early_stopping
        if es is not None and es.monitor.startswith("val_") and self.data.validation_split == 0:
            raise SpecError("early_stopping.monitor", f"{es.monitor!r} needs a validation split: "
                            "set data.validation_split > 0 or monitor 'loss'")
        if self.schedule.name == "cyclical" and (self.schedule.max_lr or 0) <= self.optimizer.learning_rate:
            raise SpecError("schedule.max_lr", f"must be above optimizer.learning_rate "
                            f"({self.optimizer.learning_rate:g}), the cycle's base; got {self.schedule.max_lr!r}")

    def check_data(self, n_classes: int, task: str) -> None:
        """Checks that the output layer and loss fit the data: ``task`` is 'classification' or
        'regression'; ``n_classes`` is the number of classes (or target columns for regression)."""
        out = self.model.output
        i = len(self.model.layers) - 1
        field_units = f"model.layers[{i}].units"
        loss = self.model.loss
        if task == "regression":
            if loss != "mse":
                raise SpecError("model.loss", f"{loss} needs class labels, but this data is a regression "
                                "task: use mse")
            if out.units != n_classes:
                raise SpecError(field_units, f"must be {n_classes} (the data's target columns) for "
                                f"regression, got {out.units}")
            return
        if loss == "binary_crossentropy":
            if n_classes != 2:
                raise SpecError("model.loss", f"binary_crossentropy needs 2 classes, the data has {n_classes}: "
                                "use sparse_categorical_crossentropy with a softmax output")
            if out.units != 1:
                raise SpecError(field_units, f"must be 1 (one sigmoid unit) for binary_crossentropy, "
                                f"got {out.units}")
            return
        if out.units != n_classes:
            raise SpecError(field_units, f"must be {n_classes} (the data's classes) for {loss}, "
                            f"got {out.units}")

    # -- TOML --------------------------------------------------------------------------------

    @classmethod
    def from_toml(cls, path: str | Path) -> "Experiment":
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SpecError("", "file not found", str(path)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError("", f"cannot read: {exc}", str(path)) from None
        return cls.from_toml_string(text, source=str(path))

    @classmethod
    def from_toml_string(cls, text: str, source: str | None = None) -> "Experiment":
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError("", f"not valid TOML: {exc}", source or "<string>") from None
        except RecursionError:
            raise SpecError("", "not a usable experiment: arrays or tables nested too deeply to read",
                            source or "<string>") from None
        return cls.from_dict(raw, source=source)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        if self.description:
            out["description"] = self.description
        out.update(seed=self.seed, backend=self.backend, data=self.data.to_dict(),
                   model=self.model.to_dict(), optimizer=self.optimizer.to_dict(),
                   schedule=self.schedule.to_dict(), train=self.train.to_dict())
        if self.early_stopping is not None:
            out["early_stopping"] = self.early_stopping.to_dict()
        if self.search is not None:
            out["search"] = self.search.to_dict()
        return out

    def to_toml_string(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def to_toml(self, path: str | Path) -> Path:
        """Write the experiment atomically; reading it back gives an equal Experiment."""
        return write_text_atomic(path, self.to_toml_string())

    def replace(self, **changes) -> "Experiment":
        """A copy with top-level fields changed, checked like any other experiment."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d.update(changes)
        return Experiment(**d)


def with_overrides(exp: Experiment, *, epochs: int | None = None, seed: int | None = None,
                   backend: str | None = None, batch_size: int | None = None,
                   inspect: bool | None = None) -> Experiment:
    """The command line's overrides applied to an experiment (checked like the file)."""
    d = exp.to_dict()
    if epochs is not None:
        d["train"]["epochs"] = epochs
    if batch_size is not None:
        d["train"]["batch_size"] = batch_size
    if seed is not None:
        d["seed"] = seed
    if inspect is not None:
        d["train"]["inspect"] = inspect
    if backend is not None:
        d["backend"] = backend
    return Experiment.from_dict(d)


__all__ = ["Experiment", "DataSpec", "ModelSpec", "DenseSpec", "DropoutSpec", "BatchNormSpec",
           "OptimizerSpec", "ScheduleSpec", "TrainSpec", "EarlyStoppingSpec", "LayerSpec",
           "with_overrides"]
