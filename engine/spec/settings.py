"""What each optimizer and schedule setting allows, written once: its kind and range (the
defaults are the registry's, beside each optimizer's and schedule's code). The parser checks
against this table and the app's forms are built from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .checks import _bool, _float


@dataclass(frozen=True)
class Setting:
    kind: str                      # "float" | "bool"
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def check(self, value: Any, path: str):
        if self.kind == "bool":
            return _bool(value, path)
        return _float(value, path, self.lo, self.hi, self.lo_open, self.hi_open)


FRACTION = Setting("float", 0.0, 1.0, hi_open=True)       # [0, 1): momentum and decay averages
RATE = Setting("float", 0.0, 1e3, lo_open=True)           # (0, 1000]: a learning rate

OPTIMIZER_SETTINGS: dict[str, Setting] = {
    "learning_rate": RATE,
    "momentum": FRACTION,
    "nesterov": Setting("bool"),
    "rho": FRACTION,
    "beta_1": FRACTION,
    "beta_2": FRACTION,
    "epsilon": Setting("float", 0.0, 1.0, lo_open=True),
    "initial_accumulator_value": Setting("float", 0.0),
    "weight_decay": Setting("float", 0.0, 1.0, hi_open=True),   # w <- w (1 - weight_decay lr) each step
    "clipnorm": Setting("float", 0.0),                           # 0: off
    "global_clipnorm": Setting("float", 0.0),
    "clipvalue": Setting("float", 0.0),
}

SCHEDULE_SETTINGS: dict[str, Setting] = {
    "decay_rate": Setting("float", 0.0),
    "decay_every": Setting("float", 0.0, lo_open=True),
    "staircase": Setting("bool"),
    "max_lr": RATE,
    "step_size": Setting("float", 0.0, lo_open=True),
    "period": Setting("float", 0.0, lo_open=True),
    "period_mult": Setting("float", 1.0),
    "min_lr": Setting("float", 0.0),
}
#: where a schedule narrows a setting: a multiplicative decay is a fraction in (0, 1]
SCHEDULE_OVERRIDES: dict[tuple[str, str], Setting] = {
    ("exponential", "decay_rate"): Setting("float", 0.0, 1.0, lo_open=True),
    ("step", "decay_rate"): Setting("float", 0.0, 1.0, lo_open=True),
}


def schedule_setting(schedule: str, key: str) -> Setting:
    return SCHEDULE_OVERRIDES.get((schedule, key), SCHEDULE_SETTINGS[key])
