"""The ``[search]`` table of an experiment: how many trials, which sampler and pruner, the
objective, and the space: field paths of the experiment ("model.layers[0].units") mapped to
distributions. Checked like the rest of the spec, before any trial runs: every path must name a
field of the experiment, and the ends of every range and every choice must be values the spec
accepts there.

    [search]
    trials = 20
    sampler = "random"        # random | grid | tpe
    pruner = "hyperband"      # none | hyperband | successive_halving
    monitor = "val_loss"      # direction as for early stopping: max for accuracy, min otherwise

    [search.space]
    "model.layers[0].units" = { int = [32, 512], step = 32 }
    "optimizer.learning_rate" = { float = [1e-4, 1e-1], log = true }
    "model.layers[0].activation" = { choice = ["relu", "tanh"] }
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import SpecError
from .fieldpath import get_path, set_path, split_path
from .monitors import MONITORS, direction_of

SAMPLERS = ("random", "grid", "tpe")
PRUNERS = ("none", "hyperband", "successive_halving")


# -- distributions ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dimension:
    """One searched field: kind int | float | choice."""

    path: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    step: float | int | None = None
    log: bool = False
    choices: tuple = ()

    @classmethod
    def parse(cls, path: str, raw: Any) -> "Dimension":
        where = f'search.space."{path}"'
        try:
            split_path(path)
        except ValueError:
            raise SpecError(where, "is not a field path; write it like \"model.layers[0].units\" or "
                                   "\"optimizer.learning_rate\"") from None
        if not isinstance(raw, dict):
            raise SpecError(where, "must be a table: { int = [lo, hi] }, { float = [lo, hi] } or { choice = [...] }")
        kinds = [k for k in ("int", "float", "choice") if k in raw]
        if len(kinds) != 1:
            raise SpecError(where, "needs exactly one of int = [lo, hi], float = [lo, hi] or choice = [...]")
        kind = kinds[0]
        allowed = {"int": ("int", "step", "log"), "float": ("float", "step", "log"), "choice": ("choice",)}[kind]
        extra = sorted(set(raw) - set(allowed))
        if extra:
            raise SpecError(f"{where}.{extra[0]}", f"is not a setting of a {kind} range; valid: {', '.join(allowed)}")
        if kind == "choice":
            values = raw["choice"]
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, (str, int, float, bool)) for v in values):
                raise SpecError(f"{where}.choice", "must be a non-empty list of values (strings, numbers, true/false)")
            if len(set(map(repr, values))) != len(values):
                raise SpecError(f"{where}.choice", "lists a value twice")
            return cls(path, "choice", choices=tuple(values))
        bounds = raw[kind]
        number = (lambda v: isinstance(v, int) and not isinstance(v, bool)) if kind == "int" else (
            lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(number(b) for b in bounds)):
            raise SpecError(f"{where}.{kind}", f"must be [low, high], two {'integers' if kind == 'int' else 'numbers'}")
        low, high = bounds
        if low > high or (kind == "float" and low == high):
            raise SpecError(f"{where}.{kind}", f"low must be below high, got [{low}, {high}]")
        log = raw.get("log", False)
        if not isinstance(log, bool):
            raise SpecError(f"{where}.log", "must be true or false")
        step = raw.get("step")
        if step is not None:
            if not number(step) or step <= 0:
                raise SpecError(f"{where}.step", f"must be a positive {'integer' if kind == 'int' else 'number'}")
            if log:
                raise SpecError(f"{where}.step", "cannot be combined with log = true (Optuna samples a log range "
                                                 "continuously)")
        if log and low <= 0:
            raise SpecError(f"{where}.{kind}", f"a log range must be above 0, got [{low}, {high}]")
        return cls(path, kind, low, high, step, log)

    def describe(self) -> str:
        """For people: ``16..256 step 16``, ``0.0001..0.1 log``, ``relu | tanh``."""
        if self.kind == "choice":
            return " | ".join(str(c) for c in self.choices)
        text = f"{self.low:g}..{self.high:g}"
        if self.step:
            text += f" step {self.step:g}"
        return text + (" log" if self.log else "")

    def to_dict(self) -> dict:
        if self.kind == "choice":
            return {"choice": list(self.choices)}
        out: dict = {self.kind: [self.low, self.high]}
        if self.step is not None:
            out["step"] = self.step
        if self.log:
            out["log"] = True
        return out

    def grid(self) -> list | None:
        """Every value, when the dimension is discrete (None for a continuous float range)."""
        if self.kind == "choice":
            return list(self.choices)
        if self.kind == "int":
            step = self.step or 1
            return list(range(self.low, self.high + 1, step)) if not self.log else list(range(self.low, self.high + 1))
        if self.step is None:
            return None
        n = int(math.floor((self.high - self.low) / self.step + 1e-9))
        return [round(self.low + i * self.step, 12) for i in range(n + 1)]

    def corners(self) -> list:
        """Values the spec must accept: both ends of a range, every choice."""
        return list(self.choices) if self.kind == "choice" else [self.low, self.high]


@dataclass(frozen=True)
class SearchSpec:
    trials: int = 20
    sampler: str = "random"
    pruner: str = "none"
    monitor: str = "val_loss"
    space: tuple = ()                 # Dimensions, in the file's order

    @classmethod
    def parse(cls, raw: Any) -> "SearchSpec":
        if not isinstance(raw, dict):
            raise SpecError("search", "must be a table ([search])")
        allowed = ("trials", "sampler", "pruner", "monitor", "space")
        extra = sorted(set(raw) - set(allowed))
        if extra:
            raise SpecError(f"search.{extra[0]}", f"is not a search setting; valid: {', '.join(allowed)}")
        trials = raw.get("trials", cls.trials)
        if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
            raise SpecError("search.trials", f"must be a positive integer, got {trials!r}")

        for key, valid in (("sampler", SAMPLERS), ("pruner", PRUNERS), ("monitor", MONITORS)):
            if raw.get(key, getattr(cls, key)) not in valid:
                raise SpecError(f"search.{key}", f"must be one of {', '.join(valid)}, got {raw.get(key)!r}")
        space = raw.get("space")
        if not isinstance(space, dict) or not space:
            raise SpecError("search.space", 'is required: a [search.space] table of field paths, e.g. '
                                            '"optimizer.learning_rate" = { float = [1e-4, 1e-1], log = true }')
        dims = tuple(Dimension.parse(path, value) for path, value in space.items())
        spec = cls(trials, raw.get("sampler", cls.sampler), raw.get("pruner", cls.pruner),
                   raw.get("monitor", cls.monitor), dims)
        if spec.sampler == "grid":
            for d in dims:
                if d.grid() is None:
                    raise SpecError(f'search.space."{d.path}"', "a grid needs a step for a float range "
                                                                "(e.g. step = 0.1), or use a choice")
        return spec

    @property
    def direction(self) -> str:
        return "maximize" if direction_of(self.monitor) == "max" else "minimize"

    def to_dict(self) -> dict:
        return {"trials": self.trials, "sampler": self.sampler, "pruner": self.pruner, "monitor": self.monitor,
                "space": {d.path: d.to_dict() for d in self.space}}

    def grid(self) -> dict:
        return {d.path: d.grid() for d in self.space}

    def check_against(self, experiment: dict, parse: Callable[[dict], Any]) -> None:
        """Every path names a field of ``experiment`` (a full to_dict()), and ``parse`` accepts
        every range end and choice put there."""
        for d in self.space:
            where = f'search.space."{d.path}"'
            try:
                get_path(experiment, d.path)
            except KeyError:
                raise SpecError(where, "is not a field of this experiment (paths are written like "
                                       "\"model.layers[0].units\"; the layer must exist and the field must be "
                                       "one the experiment has)") from None
            for value in d.corners():
                trial = copy.deepcopy(experiment)
                set_path(trial, d.path, value)
                try:
                    parse(trial)
                except SpecError as exc:
                    raise SpecError(where, f"the value {value!r} is not allowed there: {exc}") from None
        if self.monitor.startswith("val_") and experiment.get("data", {}).get("validation_split", 0) == 0:
            raise SpecError("search.monitor", f"{self.monitor} needs a validation set (data.validation_split > 0); "
                                              f"or monitor {self.monitor[4:]}")
