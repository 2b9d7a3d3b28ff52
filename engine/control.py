"""Pause, resume and stop a training run from another thread (the TUI, a signal handler)."""

from __future__ import annotations

import threading


class TrainingControl:
    def __init__(self):
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self.lr_scale = 1.0

    def scale_learning_rate(self, factor: float) -> float:
        """Multiply the learning rate (on top of the schedule) from the next batch on; the trainer
        records the change as an event. Returns the new overall factor."""
        self.lr_scale *= factor
        return self.lr_scale

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        """Finish after the current batch; the model keeps the weights it has."""
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def wait_while_paused(self, timeout: float | None = None) -> None:
        self._running.wait(timeout)
