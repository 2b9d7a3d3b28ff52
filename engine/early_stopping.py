"""Early stopping with Keras's semantics: stop after ``patience`` epochs in which the monitored
value (optionally a moving average) did not beat the best by more than ``min_delta``."""

from __future__ import annotations

from collections import deque

from .events import EarlyStopped, Event, Improved, NoImprovement


class EarlyStopping:
    def __init__(self, spec):
        self.spec = spec
        self.monitor = spec.monitor
        self.sign = 1.0 if spec.direction == "min" else -1.0   # compare sign * value, lower is better
        self.window: deque[float] = deque(maxlen=spec.smoothing)
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0

    def update(self, epoch: int, logs: dict) -> tuple[list[Event], bool]:
        """Events for this epoch and whether training should stop. ``logs`` holds the epoch's metrics."""
        raw = logs.get(self.monitor)
        if raw is None:
            raise KeyError(f"early_stopping.monitor: {self.monitor!r} is not a metric of this run "
                           f"(metrics: {', '.join(k for k, v in logs.items() if v is not None)})")
        self.window.append(float(raw))
        value = sum(self.window) / len(self.window)
        if self.best is None or self.sign * value < self.sign * self.best - self.spec.min_delta:
            previous = self.best
            self.best, self.best_epoch, self.wait = value, epoch, 0
            return [Improved(epoch, self.monitor, value, previous)], False
        self.wait += 1
        events: list[Event] = [NoImprovement(epoch, self.monitor, value, self.best, self.best_epoch,
                                             self.wait, self.spec.patience)]
        if self.wait >= self.spec.patience:
            events.append(EarlyStopped(
                epoch, self.monitor, self.best, self.best_epoch, self.spec.patience,
                self.spec.restore_best_weights,
                f"{self.monitor} did not improve on {self.best:.4g} (epoch {self.best_epoch}) "
                f"for {self.wait} epoch{'s' if self.wait != 1 else ''}"))
            return events, True
        return events, False
