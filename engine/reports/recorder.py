"""The run folder, written as the run goes so that an interrupt or a crash loses nothing:
history.csv and events.jsonl are appended and flushed as events arrive; experiment.toml,
metrics.json, model.npz, report.md, the curves and the checkpoints are written atomically.
A run resumed from its checkpoint (engine.checkpoint) goes on in the same folder: history.csv and
events.jsonl are cut back to where they were when the checkpoint was written, then appended."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ..atomic import link_atomic, write_text_atomic
from ..backends.plan import summary_text
from ..backends.protocol import Model
from ..checkpoint import BEST, LAST, Checkpoint, write_checkpoint
from ..evaluation import evaluate_test
from ..events import Event, _jsonable, history_fields
from ..plane import CLASS_COLOURS, LIGHT, PlaneGrid, UnitMaps, boundary_pixels, terminal_boundary, unit_pixels
from ..saving import save_model
from .history import RunFolderError, read_history  # noqa: F401  (read_history: re-exported)
from .inspection import inside_files, inside_markdown
from .run import markdown_report
from .svg import TRAIN, VALIDATION, svg_chart, svg_pixels, svg_roc, svg_units

#: the most of a run's time that writing its checkpoints may take (RunRecorder.save_checkpoint):
#: one costs a few milliseconds (the archive, fsync and rename), as much as an epoch of a small
#: model on a small data set
CHECKPOINT_SHARE = 0.02
LOCK_NAME = ".lock"   # holds the writing process's id while a run writes the folder


class FolderLock:
    """An OS lock on ``folder/.lock`` (flock) while a run writes the folder. The OS drops it when
    the process ends, so a crashed run never blocks the folder; a clean end removes the file."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK_NAME
        self._fh = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:      # no flock (Windows): nothing to hold
            return
        while True:
            fh = open(self.path, "a+", encoding="utf-8")
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.seek(0)
                holder = fh.read().strip() or "unknown"
                fh.close()
                raise RunFolderError(f"{self.path.parent}: another run is writing this folder (process {holder}); "
                                     "wait for it to end or choose another folder") from None
            try:   # the holder before us may have removed the file as we opened it: lock the one there
                if os.fstat(fh.fileno()).st_ino == os.stat(self.path).st_ino:
                    break
            except FileNotFoundError:
                pass
            fh.close()
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None and not self._fh.closed:
            try:
                os.unlink(self.path)
            except OSError:
                pass
            self._fh.close()     # closing drops the flock


def lock_folder(folder: str | Path) -> FolderLock:
    """Lock an existing run folder, to go on writing it (a resumed run)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RunFolderError(f"{folder}: no such run folder")
    lock = FolderLock(folder)
    try:
        lock.acquire()
    except RunFolderError:
        raise
    except OSError as exc:
        raise RunFolderError(f"{folder}: cannot write the run folder: {exc.strerror or exc}") from None
    return lock


def folder_contents(folder: Path) -> list[Path]:
    """What a folder holds, the lock file apart."""
    return [p for p in folder.iterdir() if p.name != LOCK_NAME] if folder.is_dir() else []


def prepare_folder(folder: str | Path, overwrite: bool = False) -> FolderLock:
    """Make ``folder`` ready for a new run and lock it. A folder that holds anything is refused
    unless ``overwrite`` (then its content is removed first, never mixed with the new run's)."""
    folder = Path(folder)
    try:
        if folder.exists() and not folder.is_dir():
            raise RunFolderError(f"{folder}: is a file, not a folder; choose another --report folder")
        folder.mkdir(parents=True, exist_ok=True)
        lock = FolderLock(folder)
        lock.acquire()
    except RunFolderError:
        raise
    except OSError as exc:
        raise RunFolderError(f"{folder}: cannot write the run folder: {exc.strerror or exc}") from None
    content = folder_contents(folder)
    if content and not overwrite:
        lock.release()
        names = ", ".join(sorted(p.name for p in content)[:4]) + (", ..." if len(content) > 4 else "")
        raise RunFolderError(f"{folder}: the folder exists and is not empty ({names}); choose another "
                             "folder, or pass --overwrite to replace its content")
    try:
        for p in content:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
    except OSError as exc:
        lock.release()
        raise RunFolderError(f"{folder}: cannot remove the old content: {exc.strerror or exc}") from None
    return lock


class RunRecorder:
    """A sink for the trainer's events that keeps the run folder complete at every moment.

    The folder is locked for the run; a folder that already holds files is refused unless
    ``overwrite``. A write that fails (a full disk) does not stop training: appending stops, and
    :meth:`finish` says which file failed and keeps the model wherever it can be written.
    With ``resume`` (the folder's last checkpoint), the folder's run goes on instead."""

    def __init__(self, folder: str | Path, exp, data, model: Model, overwrite: bool = False,
                 resume: Checkpoint | None = None, source: str | None = None):
        self.folder = Path(folder)
        self.exp, self.data, self.model = exp, data, model
        self.history: list[dict] = []
        self.events: list[dict] = []      # every event but batch progress, for the report
        self.fields = history_fields(data.task == "regression")   # history.csv's columns
        self._lock = lock_folder(self.folder) if resume is not None else prepare_folder(self.folder, overwrite)
        try:
            # the exact spec that ran, over the file the user wrote (``source``): their comments kept
            exp.to_toml(self.folder / "experiment.toml", over=source)
            if resume is not None:
                self._reopen(resume)
            else:
                self._history = open(self.folder / "history.csv", "w", newline="", encoding="utf-8")
                self._events = open(self.folder / "events.jsonl", "w", encoding="utf-8")
                self._csv = csv.writer(self._history)
                self._csv.writerow(self.fields)
                self._history.flush()
        except RunFolderError:
            self._lock.release()
            raise
        except OSError as exc:
            self._lock.release()
            raise RunFolderError(f"{self.folder}: cannot write the run folder: {exc.strerror or exc}") from None
        self.write_error: str | None = None   # the first failed write, if any
        self.model_saved_to: Path | None = None
        self._pending: Checkpoint | None = None        # the last epoch's checkpoint, not yet written
        self._pending_best: Checkpoint | None = None   # the best epoch's, not yet written
        self._written_at = -math.inf                   # when checkpoints were last written
        self._write_cost = 0.0                         # and how long that took

    def _reopen(self, c: Checkpoint) -> None:
        """Cut history.csv and events.jsonl back to their length at checkpoint ``c`` (what a killed
        run wrote after it is redone) and open them to append; the history and the events so far
        are the report's."""
        sizes = c.state.get("files") or {}
        for name in ("history.csv", "events.jsonl"):
            path, size = self.folder / name, sizes.get(name)
            have = path.stat().st_size if path.is_file() else -1
            if not isinstance(size, int) or have < size:
                raise RunFolderError(f"{path}: shorter than when the checkpoint was written ({max(have, 0)} bytes, "
                                     f"was {size}); the folder was changed since, and cannot be resumed")
            os.truncate(path, size)
        self._history = open(self.folder / "history.csv", "a", newline="", encoding="utf-8")
        self._events = open(self.folder / "events.jsonl", "a", encoding="utf-8")
        self._csv = csv.writer(self._history)
        self.history = c.history()
        with open(self.folder / "events.jsonl", encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                if record.get("event") != "batch":
                    self.events.append(record)

    def save_checkpoint(self, c: Checkpoint, best: bool) -> None:
        """The trainer's checkpoint after an epoch, for checkpoint-last.npz (and checkpoint-best.npz
        when the epoch is the best so far). history.csv and events.jsonl are flushed first and their
        lengths kept in it, so that a resumed run cuts them back to this epoch.

        It is written at once while writing checkpoints costs at most CHECKPOINT_SHARE of the
        run's time, which epochs of a second or more never reach; of epochs of milliseconds, the
        next one is kept in memory until that much time has passed (a killed run then redoes at
        most a few tenths of a second). The run's first and last epochs are always written at
        once, and one kept in memory is written when the run ends (a stop, Ctrl+C). A failed
        write (full disk) does not stop training; :meth:`finish` reports it."""
        if self.write_error is not None:
            return
        try:
            for fh in (self._history, self._events):
                fh.flush()
            c.state["files"] = {"history.csv": os.fstat(self._history.fileno()).st_size,
                                "events.jsonl": os.fstat(self._events.fileno()).st_size}
        except OSError as exc:
            self.write_error = f"cannot write the run folder {self.folder}: {exc.strerror or exc}"
            return
        self._pending = c
        if best:
            self._pending_best = c
        last = c.epoch >= self.exp.train.epochs or c.state.get("early_stopped")
        if last or time.monotonic() - self._written_at >= self._write_cost / CHECKPOINT_SHARE:
            self._write_checkpoints()

    def _write_checkpoints(self) -> None:
        """Write the checkpoints kept in memory (the last epoch's, and the best one's if newer
        than the file), timing the writes for the budget."""
        c, best = self._pending, self._pending_best
        if c is None and best is None:
            return
        t0 = time.perf_counter()
        try:
            if c is not None:
                write_checkpoint(self.folder / LAST, c)
            if best is c and c is not None:
                link_atomic(self.folder / LAST, self.folder / BEST)
            elif best is not None:
                write_checkpoint(self.folder / BEST, best)
        except OSError as exc:
            self.write_error = str(exc) if str(exc).startswith("cannot write") else f"cannot write a checkpoint: {exc}"
        self._pending = self._pending_best = None
        self._write_cost = time.perf_counter() - t0
        self._written_at = time.monotonic()

    def _append(self, fh, name: str, write, flush: bool = True) -> None:
        """Append to history.csv or events.jsonl; after a failure (full disk) stop appending: the
        lines written so far stay whole, and training goes on. Batch progress is not flushed."""
        if self.write_error is not None:
            return
        try:
            write()
            if flush:
                fh.flush()
        except OSError as exc:
            self.write_error = f"cannot write {self.folder / name}: {exc.strerror or exc}"

    def __call__(self, event: Event) -> None:
        record = event.to_dict()
        line = json.dumps(record) + "\n"
        if event.kind == "batch":
            self._append(self._events, "events.jsonl", lambda: self._events.write(line), flush=False)
            return
        self.events.append(record)
        if event.kind == "epoch_end":
            row = event.history_row()
            self.history.append(row)
            self._append(self._history, "history.csv",
                         lambda: self._csv.writerow(["" if row[k] is None else row[k] for k in self.fields]))
        self._append(self._events, "events.jsonl", lambda: self._events.write(line))

    def note(self, kind: str, **fields) -> None:
        """Record an event of the front end's own (e.g. ``interrupted``)."""
        record = {"event": kind, **_jsonable(fields)}
        self.events.append(record)
        self._append(self._events, "events.jsonl", lambda: self._events.write(json.dumps(record) + "\n"))

    def finish(self, metrics: dict, interrupted: bool = False, evaluate: bool = True) -> dict:
        """Write model.npz, metrics.json, report.md and the curves; returns the metrics written.
        Every file is tried; if any failed, RunFolderError names them (and where the model went)."""
        self._write_checkpoints()
        metrics = dict(metrics)
        metrics.setdefault("epochs_run", len(self.history))
        metrics["interrupted"] = interrupted
        if evaluate and self.data.task == "classification" and len(self.data.x_test):
            metrics.update(self._confusion())     # the trainer's, from its finished event
        metrics = _jsonable(metrics)
        failures = [self.write_error] if self.write_error else []
        self._save_model(failures)
        for write in (lambda: write_text_atomic(self.folder / "metrics.json", json.dumps(metrics, indent=2) + "\n"),
                      lambda: self._write_report(metrics)):
            try:
                write()
            except OSError as exc:
                failures.append(str(exc))
        self.close()
        if self.write_error and self.write_error not in failures:
            failures.append(self.write_error)
        if failures:
            where = ("the model was kept in " + str(self.model_saved_to) if self.model_saved_to
                     else "the model could not be saved anywhere")
            raise RunFolderError("; ".join(failures) + f" ({where}; what was written before stays readable)")
        return metrics

    def _save_model(self, failures: list[str]) -> None:
        """model.npz in the run folder, else in the temporary folder or the home folder."""
        meta = {"class_names": self.data.class_names, "task": self.data.task}
        stem = self.folder.resolve().name or "run"
        for target in (self.folder / "model.npz", Path(tempfile.gettempdir()) / f"nntui-{stem}-model.npz",
                       Path.home() / f"nntui-{stem}-model.npz"):
            try:
                save_model(self.model, target, scaler=self.data.scaler, meta=meta)
                self.model_saved_to = target
                return
            except OSError as exc:
                if target.parent == self.folder:
                    failures.append(str(exc))

    def _confusion(self) -> dict:
        finished = next((e for e in reversed(self.events) if e["event"] == "finished" and e.get("evaluation")), None)
        if finished is not None:
            return {k: v for k, v in finished["evaluation"].items() if k != "mistakes"}
        return evaluate_test(self.model, self.data).confusion()   # a run that ended without the trainer's word

    def _write_report(self, metrics: dict) -> None:
        h = self.history
        col = lambda k: [r[k] for r in h]  # noqa: E731
        stop = next((e["epoch"] for e in self.events if e["event"] == "early_stop"), None)
        best = metrics.get("best_epoch")
        write_text_atomic(self.folder / "loss.svg", svg_chart(
            "Loss", [("train", col("loss"), TRAIN), ("validation", col("val_loss"), VALIDATION)], best, stop))
        if self.data.task == "regression":     # the error measures in the accuracy's place
            for key, title in (("mae", "MAE"), ("r2", "R²")):
                write_text_atomic(self.folder / f"{key}.svg", svg_chart(
                    title, [("train", col(key), TRAIN), ("validation", col(f"val_{key}"), VALIDATION)], best, stop))
        elif any(r["accuracy"] is not None for r in h):
            write_text_atomic(self.folder / "accuracy.svg", svg_chart(
                "Accuracy", [("train", col("accuracy"), TRAIN), ("validation", col("val_accuracy"), VALIDATION)],
                best, stop))
        d = self.data
        data_line = (f"{d.name}: {len(d.x_train):,} train / {len(d.x_val):,} validation / {len(d.x_test):,} test, "
                     f"{d.n_features} features, " + (f"{len(d.class_names)} classes" if d.task == "classification"
                                                     else "regression") + f", scaling {self.exp.data.scale}")
        roc = metrics.get("roc")
        if roc and roc.get("auc") is not None:
            write_text_atomic(self.folder / "roc.svg", svg_roc(roc["fpr"], roc["tpr"], roc["auc"], d.class_names[1]))
        boundary = self._write_boundary()
        units = self._write_units()
        inspects = [e for e in self.events if e["event"] == "inspect"]
        for name, svg in inside_files(inspects).items():
            write_text_atomic(self.folder / name, svg)
        text = markdown_report(self.exp, summary_text(self.exp, d.n_features), data_line, h, self.events, metrics,
                               inside=inside_markdown(inspects), boundary=boundary, units=units)
        write_text_atomic(self.folder / "report.md", text)

    def _write_boundary(self) -> bool:
        """boundary.svg for a classifier of two features: the plane coloured by the predicted
        class (paler where unsure) with training points, as the dashboard's map draws it."""
        d = self.data
        if d.task != "classification" or not d.planar or not len(d.x_train):
            return False
        grid = PlaneGrid(d)
        pixels = boundary_pixels(grid, grid.probabilities(self.model), background=LIGHT)
        legend = [(str(name), CLASS_COLOURS[i % len(CLASS_COLOURS)]) for i, name in enumerate(d.class_names)]
        write_text_atomic(self.folder / "boundary.svg", svg_pixels(
            f"Decision boundary ({len(self.history)} epochs)", pixels.tolist(),
            (float(grid.lo[0]), float(grid.hi[0]), float(grid.lo[1]), float(grid.hi[1])), legend=legend))
        write_text_atomic(self.folder / "boundary.json", json.dumps(terminal_boundary(self.model, d),
                                                                    separators=(",", ":")))
        return True

    def _write_units(self) -> bool:
        """units.svg for a model of a 2D set: every dense unit's activation over the plane."""
        d = self.data
        if not d.planar or not len(d.x_train):
            return False
        maps = UnitMaps(self.exp, d, width=16, height=12)
        rows = []
        for lay in maps.measure(self.model, len(self.history))["layers"]:
            label = f"dense {lay['layer']} {lay['activation']}" + (" (output)" if lay["output"] else "")
            if lay["output"] and d.task == "classification":
                probs = np.moveaxis(lay["maps"], 0, 2)
                rows.append((label, [(boundary_pixels(maps.grid, probs, LIGHT, points=False).tolist(), "decision")]))
                continue
            rows.append((label, [(unit_pixels(m, LIGHT).tolist(),
                                  "dead" if dead else "saturated" if sat else "")
                                 for m, dead, sat in zip(lay["maps"], lay["dead"], lay["saturated"])]))
        write_text_atomic(self.folder / "units.svg", svg_units(
            f"Every unit's picture ({len(self.history)} epochs)", rows))
        return True

    def close(self) -> None:
        for fh in (self._history, self._events):
            if not fh.closed:
                try:
                    fh.close()
                except OSError as exc:     # the last buffered lines did not fit on the disk
                    self.write_error = self.write_error or f"cannot write {fh.name}: {exc.strerror or exc}"
        self._lock.release()
