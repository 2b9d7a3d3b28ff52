"""Reducing the learning rate when the monitored value stops improving: Keras's
ReduceLROnPlateau. After ``patience`` epochs without an improvement of more than ``min_delta``
the rate is multiplied by ``factor`` (never below ``min_lr``, and not at all once there), the
count starts again, and for ``cooldown`` epochs after a reduction nothing is counted.

Unlike Keras's callback, which overwrites the optimizer's learning rate (and fails, or fights the
schedule, when one is set: tensorflow#36612), the reduction is a factor on the schedule's rate,
as the dashboard's +/- keys are; and the count is reset at each reduction, so that with cooldown
0 the rate is not cut again every epoch (keras#3991)."""

from __future__ import annotations

from .events import LearningRateReduced


class ReduceOnPlateau:
    def __init__(self, spec):
        self.spec = spec
        self.sign = 1.0 if spec.direction == "min" else -1.0   # compare sign * value, lower is better
        self.best: float | None = None
        self.wait = 0
        self.cooldown = 0
        self.scale = 1.0          # the product of the reductions so far

    def update(self, epoch: int, logs: dict, lr: float) -> LearningRateReduced | None:
        """After an epoch whose rate ended at ``lr``: the reduction to make, if any (then
        ``self.scale`` already includes it)."""
        raw = logs.get(self.spec.monitor)
        if raw is None:
            raise KeyError(f"reduce_lr_on_plateau.monitor: {self.spec.monitor!r} is not a metric of this run "
                           f"(metrics: {', '.join(k for k, v in logs.items() if v is not None)})")
        value = float(raw)
        if self.cooldown > 0:
            self.cooldown -= 1
            self.wait = 0
        if self.best is None or self.sign * value < self.sign * self.best - self.spec.min_delta:
            self.best, self.wait = value, 0
            return None
        if self.cooldown > 0:
            return None
        self.wait += 1
        if self.wait < self.spec.patience or lr <= self.spec.min_lr:
            return None
        new_lr = max(lr * self.spec.factor, self.spec.min_lr)
        self.scale *= new_lr / lr
        self.wait, self.cooldown = 0, self.spec.cooldown
        return LearningRateReduced(epoch, self.spec.monitor, value, self.best, lr, new_lr, self.scale)

    def get_state(self) -> dict:
        """The counters, for a checkpoint (JSON-able)."""
        return {"best": self.best, "wait": self.wait, "cooldown": self.cooldown, "scale": self.scale}

    def set_state(self, state: dict) -> None:
        self.best, self.wait = state["best"], int(state["wait"])
        self.cooldown, self.scale = int(state["cooldown"]), float(state["scale"])
