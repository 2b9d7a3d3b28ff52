"""Checkpoints: a run's whole training state after an epoch (Keras's ModelCheckpoint and
BackupAndRestore in one), so that a stopped or killed run goes on from its last complete epoch
and ends exactly as it would have without the stop.

One .npz archive a checkpoint, written atomically (no pickle: arrays, and the rest as JSON text):

- ``weights/<key>``: the model's weights ("0.kernel", ... as model.get_weights names them)
- ``training/<name>``: the backend's optimizer state and random key (engine.backends)
- ``best/<key>``: the best epoch's weights, kept for early stopping's restore_best_weights
- ``history/rows``: the history so far, one row an epoch (float64; NaN where a column has no value)
- ``__state__``: JSON: the epoch, the step count, the shuffling generator's state, early
  stopping's and the plateau's counters, the rate factors, the history's columns, the
  experiment's TOML, and (added by the run folder's recorder) how long history.csv and
  events.jsonl were."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import write_atomic
from .backends import resolve_backend
from .data.npz import read_npz_arrays
from .errors import DataError, SpecError
from .spec import Experiment, with_overrides

#: this file's layout; a checkpoint of another format is refused with a clear message
FORMAT = 1
LAST = "checkpoint-last.npz"    # the last complete epoch's, which --resume continues from
BEST = "checkpoint-best.npz"    # the best epoch's, by early stopping's monitor (else val_loss, or loss)
GROUPS = ("weights", "training", "best", "history")


@dataclass
class Checkpoint:
    epoch: int
    state: dict                                          # JSON-able
    arrays: dict[str, np.ndarray] = field(default_factory=dict)   # "group/name"
    #: the history rows of a checkpoint made in this process, turned into ``history/rows`` only
    #: when it is written (most checkpoints of short epochs never are: RunRecorder's budget)
    rows: list[dict] | None = None

    def group(self, name: str) -> dict[str, np.ndarray]:
        """The arrays of one group, by their names within it."""
        prefix = f"{name}/"
        return {k[len(prefix):]: v for k, v in self.arrays.items() if k.startswith(prefix)}

    def history(self) -> list[dict]:
        """The history rows up to this checkpoint's epoch (as the trainer keeps them)."""
        if self.rows is not None:
            return [dict(row) for row in self.rows]
        names, empty = self.state.get("history_columns", []), set(self.state.get("history_empty", []))
        rows = self.arrays.get("history/rows", np.zeros((0, len(names))))
        if rows.ndim != 2 or rows.shape[1] != len(names):
            raise SpecError("", f"the checkpoint's history has shape {rows.shape}, not (epochs, {len(names)})")
        return [{k: None if k in empty else int(v) if k == "epoch" else float(v) for k, v in zip(names, row)}
                for row in rows.tolist()]

    @classmethod
    def of(cls, epoch: int, state: dict, history: list[dict] = (), **groups: dict[str, np.ndarray] | None
           ) -> "Checkpoint":
        """A checkpoint of ``groups`` of arrays (weights=..., training=..., best=...), the JSON
        ``state`` and the ``history`` rows (kept as one array, not as a JSON text that
        grows every epoch)."""
        names = list(history[0]) if history else []
        empty = [k for k in names if history[0][k] is None]     # a column of the other task's (accuracy)
        arrays = {f"{g}/{k}": np.asarray(v) for g, values in groups.items() if values for k, v in values.items()}
        return cls(epoch, {**state, "format": FORMAT, "epoch": epoch, "history_columns": names,
                           "history_empty": empty}, arrays, list(history))

    def stored_arrays(self) -> dict[str, np.ndarray]:
        """What the file holds: the groups, and the history as one float64 array."""
        arrays = dict(self.arrays)
        if self.rows:
            names = self.state["history_columns"]
            arrays["history/rows"] = np.array([[np.nan if row[k] is None else row[k] for k in names]
                                               for row in self.rows], np.float64)
        return arrays


def write_checkpoint(path: str | Path, checkpoint: Checkpoint, sync: bool = True) -> Path:
    """Write ``checkpoint`` atomically: the file at ``path`` is the old one or the new one, whole
    (after a power cut too with ``sync``, engine.atomic.write_atomic)."""
    arrays = checkpoint.stored_arrays()
    arrays["__state__"] = np.array(json.dumps(checkpoint.state))

    def write(fh):
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        fh.write(buf.getvalue())

    return write_atomic(path, write, sync=sync)


def read_checkpoint(path: str | Path) -> Checkpoint:
    """A checkpoint back from its file; anything else (missing, damaged, another format) is a
    SpecError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise SpecError("", "no checkpoint here (a run writes one after each complete epoch; this run "
                        "has none: it started before nntui kept checkpoints, or ended before its first epoch did)",
                        str(path))
    try:
        files = read_npz_arrays(path, "checkpoint")
    except DataError as exc:
        raise SpecError("", str(exc).removeprefix(f"{path}: "), str(path)) from None
    text = files.pop("__state__", None)
    if text is None or text.dtype.kind != "U" or text.ndim != 0:
        raise SpecError("", "not an nntui checkpoint (no __state__ text)", str(path))
    try:
        state = json.loads(str(text))
    except ValueError as exc:
        raise SpecError("", f"the checkpoint's state is not JSON: {exc}", str(path)) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise SpecError("", f"checkpoint format {state.get('format') if isinstance(state, dict) else '?'} "
                        f"is not this version's ({FORMAT})", str(path))
    odd = sorted(k for k in files if k.split("/", 1)[0] not in GROUPS)
    if odd:
        raise SpecError("", f"not an nntui checkpoint (unexpected array {odd[0]!r})", str(path))
    epoch = state.get("epoch")
    if not isinstance(epoch, int) or epoch < 1:
        raise SpecError("", f"the checkpoint's epoch must be a positive integer, got {epoch!r}", str(path))
    return Checkpoint(epoch, state, files)


def same_run(saved_toml: str, exp: Experiment) -> bool:
    """Whether ``exp`` continues the run of the experiment saved as ``saved_toml``: the same in all
    but what a resumed run may change (how many epochs, the threads, the inspection) and the
    backend (which the checkpoint's must match, checked where the model is known)."""
    try:
        saved = Experiment.from_toml_string(saved_toml)
    except SpecError:
        return False
    t = exp.train
    return with_overrides(saved, epochs=t.epochs, threads=t.threads, inspect=t.inspect,
                          backend=exp.backend).to_toml_string() == exp.to_toml_string()


def resume_plan(folder: str | Path, epochs: int | None = None, threads=None, inspect=None):
    """(experiment, checkpoint) to go on with the run in ``folder``: its experiment.toml (with a new
    ``epochs`` total, threads or inspection if given) and its last checkpoint. A folder that cannot
    be resumed is a SpecError that says why: none there, a run that ended (early stopping, all its
    epochs done, diverged), an experiment.toml changed since; a backend that cannot run here
    (the checkpoint's, whose optimizer state it holds) is BackendUnavailable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SpecError("--resume", f"{folder}: no such run folder")
    checkpoint = read_checkpoint(folder / LAST)
    toml = folder / "experiment.toml"
    try:
        exp = Experiment.from_toml(toml)
    except SpecError as exc:
        raise SpecError("", f"{exc} (the run's experiment.toml must be the one it started with)") from None
    exp = with_overrides(exp, epochs=epochs, threads=threads, inspect=inspect)
    if not same_run(checkpoint.state.get("experiment", ""), exp):
        raise SpecError("", "changed since the run started; a run resumes with the experiment it ran "
                               "(put the file back as it was, or start a new run with it)", str(toml))
    done, total = checkpoint.epoch, exp.train.epochs
    if checkpoint.state.get("early_stopped"):
        raise SpecError("--resume", f"{folder}: the run ended by early stopping at epoch {done}; "
                               "there is nothing to resume")
    try:
        reason = json.loads((folder / "metrics.json").read_text(encoding="utf-8")).get("reason")
    except (OSError, ValueError, AttributeError):
        reason = None
    if reason == "diverged":
        raise SpecError("--resume", f"{folder}: the run diverged after epoch {done}; resuming would "
                               "repeat it (start a new run with a lower learning rate)")
    if total < done:
        raise SpecError("--epochs", f"the run has done {done} epochs already; give more than {done}")
    if total == done:
        raise SpecError("--resume", f"{folder}: the run completed its {done} epochs; pass --epochs N "
                               f"(more than {done}) to train it on")
    resolve_backend(checkpoint.state.get("backend"))
    return exp, checkpoint
