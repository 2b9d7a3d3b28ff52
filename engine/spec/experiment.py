"""The experiment spec: frozen dataclasses for everything a run needs, read from and written to
TOML. Parsing checks every field and names it (``model.layers[2].units``) in the error, so the
TUI, the command line and scripts all report bad input the same way."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from ..atomic import write_text_atomic
from ..data.catalog import static_info
from ..errors import SpecError
from ..registry import Registry
from .checks import _check_keys, _int, _str, _table
from .data import DataSpec
from .layers import ModelSpec
from .search import SearchSpec
from .training import EarlyStoppingSpec, OptimizerSpec, PlateauSpec, ScheduleSpec, TrainSpec

BACKENDS = Registry("backend")
for _name in ("auto", "numpy", "mlx"):
    BACKENDS.add(_name, _name)


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
    reduce_lr_on_plateau: PlateauSpec | None = None
    seed: int = 0
    backend: str = "auto"
    name: str = ""
    description: str = ""
    search: SearchSpec | None = None    # [search]: what `nntui search` varies (engine.search)

    TOP_KEYS = ("name", "description", "seed", "backend", "data", "model", "optimizer", "schedule",
                "train", "early_stopping", "reduce_lr_on_plateau", "search")

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
        es, plateau = raw.get("early_stopping"), raw.get("reduce_lr_on_plateau")
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
            reduce_lr_on_plateau=None if plateau is None else PlateauSpec.parse(plateau),
            search=None if raw.get("search") is None else SearchSpec.parse(raw["search"]),
        )
        exp = object.__new__(cls)
        object.__setattr__(exp, "_parsed", True)
        for key, value in values.items():
            object.__setattr__(exp, key, value)
        exp._check_cross_fields()
        info = static_info(exp.data)
        if info is not None:
            exp.check_data(info.n_classes, info.task)
            if exp.train.class_weight is not None and info.task == "classification":
                exp.train.class_weights(info.class_names, [])      # the names, where the catalog knows them
        if exp.search is not None:   # every searched path and range end, against this experiment
            base = exp.to_dict()
            del base["search"]
            exp.search.check_against(base, cls._parse)
        return exp

    def _check_cross_fields(self) -> None:
        for key in ("early_stopping", "reduce_lr_on_plateau"):
            table = getattr(self, key)
            if table is not None and table.monitor.startswith("val_") and self.data.validation_split == 0:
                raise SpecError(f"{key}.monitor", f"{table.monitor!r} needs a validation split: "
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
        for name, table in (("early_stopping", self.early_stopping), ("reduce_lr_on_plateau", self.reduce_lr_on_plateau)):
            monitor = table.monitor if table is not None else None
            if monitor is None:
                continue
            kind = monitor.removeprefix("val_")
            if (kind in ("mae", "rmse", "r2")) != (task == "regression") and kind != "loss":
                valid = "loss, mae, rmse, r2" if task == "regression" else "loss, accuracy"
                raise SpecError(f"{name}.monitor", f"{monitor} is not measured on this {task} data; watch one "
                                f"of {valid} (or val_ of them)")
        if task == "regression" and self.train.class_weight is not None:
            raise SpecError("train.class_weight", "weighs classes, but this data is a regression task: leave it out")
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
        return cls.from_dict(read_toml_table(path), source=str(path))

    @classmethod
    def from_toml_string(cls, text: str, source: str | None = None) -> "Experiment":
        return cls.from_dict(parse_toml_text(text, source), source=source)

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
        if self.reduce_lr_on_plateau is not None:
            out["reduce_lr_on_plateau"] = self.reduce_lr_on_plateau.to_dict()
        if self.search is not None:
            out["search"] = self.search.to_dict()
        return out

    def to_toml_string(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def to_toml(self, path: str | Path, over: str | None = None) -> Path:
        """Write the experiment atomically; reading it back gives an equal Experiment. With
        ``over`` (the text of the file the user wrote), their comments, order and formatting are
        kept and only what differs is changed (engine.spec.document)."""
        from .document import preserving_toml

        return write_text_atomic(path, preserving_toml(over, self) if over else self.to_toml_string())

    def replace(self, **changes) -> "Experiment":
        """A copy with top-level fields changed, checked like any other experiment."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d.update(changes)
        return Experiment(**d)


def with_overrides(exp: Experiment, *, epochs: int | None = None, seed: int | None = None,
                   backend: str | None = None, batch_size: int | None = None,
                   inspect: bool | None = None, threads: int | str | None = None) -> Experiment:
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
    if threads is not None:
        d["train"]["threads"] = threads
    if backend is not None:
        d["backend"] = backend
    return Experiment.from_dict(d)


def read_toml_table(path: str | Path) -> dict:
    """An experiment file's TOML as a table, not yet checked as an experiment (a front end may
    open a file whose values are wrong, to fix them); unreadable or not TOML: SpecError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("", "file not found", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError("", f"cannot read: {exc}", str(path)) from None
    return parse_toml_text(text, str(path))


def parse_toml_text(text: str, source: str | None = None) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError("", f"not valid TOML: {exc}", source or "<string>") from None
    except RecursionError:
        raise SpecError("", "not a usable experiment: arrays or tables nested too deeply to read",
                        source or "<string>") from None
