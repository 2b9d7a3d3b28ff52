"""App-wide messages."""

from __future__ import annotations

from textual.message import Message


class DraftChanged(Message):
    """The experiment being edited changed (``what``: its name, "delete layer 2"); ``structure``:
    the forms may need other fields (not only other values)."""

    def __init__(self, structure: bool = False, what: str = "") -> None:
        super().__init__()
        self.structure, self.what = structure, what


class TrainingEvent(Message):
    """Engine events from the training worker: one, or several gathered (``events``), so that
    hundreds of tiny epochs a second wake the UI thread a few dozen times, not hundreds."""

    def __init__(self, event=None, events: list | None = None) -> None:
        super().__init__()
        self.events = events if events is not None else [event]
        self.event = self.events[-1]


class TrainingDone(Message):
    """The worker's run ended: its result (and ``extra`` figures computed off the UI thread), or an error."""

    def __init__(self, result=None, error: str | None = None, extra: dict | None = None, folder=None,
                 unsaved: str | None = None) -> None:
        """``folder``: the run folder it was recorded in; ``unsaved``: why (some of) it could not be."""
        super().__init__()
        self.result = result
        self.error = error
        self.extra = extra
        self.folder, self.unsaved = folder, unsaved


class BoundaryUpdate(Message):
    """A 2D classifier's class probabilities over the input plane (``probs``, None for a 2D
    regression), and every unit's picture (engine.plane.UnitMaps), after ``epoch``."""

    def __init__(self, grid, probs, epoch: int, units: dict | None = None) -> None:
        super().__init__()
        self.grid, self.probs, self.epoch, self.units = grid, probs, epoch, units


class SearchProgress(Message):
    """From the search worker: an epoch of a running trial, or the leaderboard after a trial."""

    def __init__(self, trial: int | None = None, epoch: int | None = None, value: float | None = None,
                 rows: list | None = None, done: str | None = None) -> None:
        super().__init__()
        self.trial, self.epoch, self.value, self.rows, self.done = trial, epoch, value, rows, done
