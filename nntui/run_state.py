"""What the app knows about the current run, folded from the trainer's events by a pure reducer
(no Textual here, so it is tested on its own). The app owns one; the dashboard and the Inside view
read it. Early stopping's best value and patience are the ones its own events reported, not
re-derived from the history (which would be wrong with smoothing > 1)."""

from __future__ import annotations

import time
from collections.abc import Callable


class RunState:
    def __init__(self, experiment=None, clock: Callable[[], float] = time.monotonic) -> None:
        self.experiment = experiment            # the experiment this run trains
        self.clock = clock
        self.started = None                     # the run_started event
        self.t0 = clock()
        self.history: list[dict] = []
        self.batches: list[tuple[int, float]] = []
        self.last_batches: list[tuple[int, float]] = []   # the finished epoch's, shown once the run ends
        self.best_epoch = self.best_value = self.stop_epoch = None
        self.monitor: str | None = None
        self.wait = 0
        self.patience = experiment.early_stopping.patience if experiment and experiment.early_stopping else None
        self.no_improvement: list[int] = []
        self.events: list = []                  # every event but batch progress
        self.inspects: list = []                # per-layer statistics, epoch 0 then each epoch
        self.units: dict | None = None          # the newest pictures of every unit (2D sets)
        self.lr: float | None = None

    def apply(self, e) -> None:
        """Fold one event into the state."""
        k = e.kind
        if k != "batch":
            self.events.append(e)
        if k == "run_started":
            self.started, self.t0 = e, self.clock()
        elif k == "batch":
            self.batches.append((e.batch, e.loss))
        elif k == "epoch_end":
            self.history.append(e.history_row())
            self.last_batches, self.batches = self.batches, []
            self.lr = e.lr
        elif k == "improved":
            self.best_epoch, self.best_value, self.monitor, self.wait = e.epoch, e.value, e.monitor, 0
        elif k == "no_improvement":
            self.no_improvement.append(e.epoch)
            self.best_epoch, self.best_value, self.monitor = e.best_epoch, e.best, e.monitor
            self.wait, self.patience = e.wait, e.patience
        elif k == "early_stop":
            self.stop_epoch = e.epoch
        elif k == "inspect":
            self.inspects.append(e)

    # -- what the status line says --------------------------------------------------------------------

    def progress(self, batch: int = 0, batches: int = 1) -> float:
        """The run's fraction done, 0..1."""
        total = self.started.epochs if self.started else 1
        return min(1.0, (len(self.history) + batch / max(1, batches)) / max(1, total))

    def elapsed_and_eta(self, batch: int = 0, batches: int = 1) -> tuple[float, float]:
        elapsed = self.clock() - self.t0
        done = self.progress(batch, batches)
        return elapsed, (elapsed * (1 - done) / done if done > 0 else 0.0)
