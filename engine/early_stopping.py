"""Early stopping with Keras's semantics: stop after ``patience`` epochs in which the monitored
value (optionally a moving average) did not beat the best by more than ``min_delta``. The first
``start_from_epoch`` epochs are a warm-up, not counted; with a ``baseline``, a new best restarts
the count only if it also beats the baseline (so a run that never gets past it stops after
``patience`` epochs of not improving), as Keras's EarlyStopping does."""

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
        if epoch <= self.spec.start_from_epoch:      # the warm-up: not counted, not a best
            return [], False
        self.window.append(float(raw))
        value = sum(self.window) / len(self.window)
        self.wait += 1
        if self.best is None or self._beats(value, self.best):
            previous = self.best
            self.best, self.best_epoch = value, epoch
            if self.spec.baseline is None or self._beats(value, self.spec.baseline):
                self.wait = 0
            return [Improved(epoch, self.monitor, value, previous)], False
        events: list[Event] = [NoImprovement(epoch, self.monitor, value, self.best, self.best_epoch,
                                             self.wait, self.spec.patience)]
        if self.wait >= self.spec.patience:
            events.append(EarlyStopped(
                epoch, self.monitor, self.best, self.best_epoch, self.spec.patience,
                self.spec.restore_best_weights,
                f"{self.monitor} did not improve on {self.best:.4g} (epoch {self.best_epoch}) "
                f"for {self.wait} epoch{'s' if self.wait != 1 else ''}"
                + (f", and never beat the baseline {self.spec.baseline:g}" if not self.past_baseline else "")))
            return events, True
        return events, False

    def get_state(self) -> dict:
        """The counters, for a checkpoint (JSON-able)."""
        return {"window": list(self.window), "best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}

    def set_state(self, state: dict) -> None:
        self.window.clear()
        self.window.extend(float(v) for v in state["window"])
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], int(state["wait"])

    def _beats(self, value: float, reference: float) -> bool:
        return self.sign * value < self.sign * reference - self.spec.min_delta

    @property
    def past_baseline(self) -> bool:
        """Whether the best so far beats the baseline (True without one)."""
        b = self.spec.baseline
        return b is None or (self.best is not None and self._beats(self.best, b))
