"""Hyperparameter search over an experiment's ``[search]`` space with Optuna (its samplers: random,
grid, TPE; its pruners: Hyperband, successive halving; its storages: SQLite by default, any
database SQLAlchemy reaches, so that workers on several machines share one study).

Each trial is an ordinary run of the trainer with the sampled values put into the experiment; it
reports the monitored value after every epoch (the pruners' resource is the epoch) and leaves a
run folder in the headless format under ``REPORT/trials/``. The trial count is the study's: a
worker claims a trial, then checks its number's place among the study's trials, so workers
started together (processes here, or machines) neither lose nor add trials. A worker
interrupted by a signal stops its trial, hands the trial's values back to the study for the next
worker, and exits; a worker that dies without a word is noticed by its missed heartbeats and its
trial is retried the same way.
"""

from __future__ import annotations

import math
import os
import socket
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .atomic import write_text_atomic
from .control import TrainingControl
from .errors import SpecError
from .fieldpath import set_path
from .spec import Experiment

HEARTBEAT_SECONDS, GRACE_SECONDS = 5, 20
INSTALL = "hyperparameter search needs Optuna: pip install 'nntui[search]' (or pip install optuna)"


class SearchUnavailable(RuntimeError):
    """Optuna (or the database driver a storage URL needs) is not installed; the message says what to install."""


def optuna_module():
    try:
        import optuna
    except ImportError:
        raise SearchUnavailable(INSTALL) from None
    optuna.logging.set_verbosity(optuna.logging.ERROR)   # each trial's line is ours
    # Heartbeats with ask/tell are what this module means to use; Optuna warns about both.
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")
    return optuna


# -- the study ------------------------------------------------------------------------------------

def default_storage(report: str | Path) -> str:
    return f"sqlite:///{Path(report).resolve() / 'study.db'}"


def _storage(optuna, url: str, kwargs: dict, attempts: int = 5):
    """The storage; workers starting together may race to create its tables (one of them gets an
    integrity error from the database): the loser waits a moment and opens what the winner made."""
    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(url, **kwargs)
        except ImportError:
            raise
        except Exception:  # noqa: BLE001
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 + attempt)


def _retry_callback(optuna):
    """Optuna 5 names it RetryHeartbeatStaleTrialCallback; 4.x, RetryFailedTrialCallback."""
    storages = optuna.storages
    return getattr(storages, "RetryHeartbeatStaleTrialCallback", None) or storages.RetryFailedTrialCallback


def _retry_keyword(optuna) -> str:
    """RDBStorage's keyword for it: heartbeat_stale_trial_callback (5), failed_trial_callback (4.x)."""
    import inspect

    params = inspect.signature(optuna.storages.RDBStorage.__init__).parameters
    return "heartbeat_stale_trial_callback" if "heartbeat_stale_trial_callback" in params else "failed_trial_callback"


SQLITE_HEADER = b"SQLite format 3\x00"


def _check_sqlite_file(storage: str) -> None:
    """A study file that exists but cannot be a study (empty, truncated, another kind of file) is
    refused: Optuna would start a new study in it and the search would run over its trials again."""
    if not storage.startswith("sqlite:///"):
        return
    path = Path(storage[len("sqlite:///"):])
    if not path.exists():
        return
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise SpecError("", f"cannot read the study: {exc.strerror or exc}", str(path)) from None
    if head != SQLITE_HEADER:
        what = "is empty (0 bytes)" if path.stat().st_size == 0 else "is not a SQLite database"
        raise SpecError("", f"the search's study {what}, so its trials cannot be read; refusing to start a new "
                            "study over them. Move the file away (and the trials/ folder) to start again",
                        str(path))


def check_trials_folder(study, report: str | Path) -> None:
    """Trial folders with no study that knows them (study.db deleted or replaced) are refused:
    a new study would number its trials from 0 again, over them."""
    trials = Path(report) / "trials"
    if trials.is_dir() and any(trials.iterdir()) and not study.get_trials(deepcopy=False):
        raise SpecError("", f"{trials} holds trial folders, but the study {study.study_name!r} has no trials: "
                            "it is not the study they came from. Use the study they belong to (--storage, "
                            "--study), or another --report folder", str(report))


def trial_seed(seed: int, number: int) -> int:
    """The sampler's seed for one trial: the experiment's seed and the trial's number, so that
    workers (and a resumed search) never draw the same values, and a search stays reproducible."""
    import numpy as np

    return int(np.random.SeedSequence([seed, number, 0x5EA2C4]).generate_state(1)[0])


def make_sampler(optuna, spec, seed: int):
    return {"random": lambda: optuna.samplers.RandomSampler(seed=seed),
            "tpe": lambda: optuna.samplers.TPESampler(seed=seed),
            "grid": lambda: optuna.samplers.GridSampler(spec.grid(), seed=seed)}[spec.sampler]()


def open_study(exp: Experiment, storage: str, study_name: str, seed_offset: int = 0,
               report: str | Path | None = None):
    """Create or load the study (direction, sampler and pruner from ``exp.search``); with
    ``report``, trial folders that the study does not know are refused."""
    optuna = optuna_module()
    spec = exp.search
    _check_sqlite_file(storage)
    kwargs = {"heartbeat_interval": HEARTBEAT_SECONDS, "grace_period": GRACE_SECONDS,
              _retry_keyword(optuna): _retry_callback(optuna)(max_retry=2)}
    if storage.startswith("sqlite"):
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 60}}
    try:
        rdb = _storage(optuna, storage, kwargs)
    except ImportError as exc:       # the database's driver
        raise SearchUnavailable(f"--storage {storage.split(':')[0]}: the database driver is missing ({exc}); "
                                "for PostgreSQL: pip install 'psycopg[binary]' and write postgresql+psycopg://...") from None
    except Exception as exc:  # noqa: BLE001  (SQLAlchemy's many connection errors)
        raise SpecError("--storage", f"cannot open {storage!r}: {exc.__class__.__name__}: {exc}") from None
    sampler = make_sampler(optuna, spec, trial_seed(exp.seed, 1 << 31 | seed_offset))   # reseeded per trial
    epochs = exp.train.epochs
    pruner = {"none": lambda: optuna.pruners.NopPruner(),
              "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=3),
              "successive_halving": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
              }[spec.pruner]()
    study = optuna.create_study(storage=rdb, study_name=study_name, direction=spec.direction, sampler=sampler,
                                pruner=pruner, load_if_exists=True)
    if study.direction.name.lower() != spec.direction:
        raise SpecError("--study", f"the study {study_name!r} in {storage} is a {study.direction.name.lower()} study; "
                                   f"search.monitor {spec.monitor} needs {spec.direction}: use another --study name")
    if report is not None:
        check_trials_folder(study, report)
    return study


def counted_trials(study) -> list:
    """The trials that use one of the search's trials: all but those handed back (interrupted,
    their values queued again), failed ones that were retried, and surplus claims."""
    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get("retry_of") for t in trials}
    for t in trials:
        retried.update(t.system_attrs.get("retry_history", ()))
    return [t for t in trials if not (t.user_attrs.get("surplus") or t.user_attrs.get("handed_back")
                                      or (t.state.name == "FAIL" and t.number in retried))]


def budget_used(study) -> int:
    return len(counted_trials(study))


# -- one trial ------------------------------------------------------------------------------------

def suggest(trial, dim):
    if dim.kind == "int":
        return trial.suggest_int(dim.path, dim.low, dim.high, step=dim.step or 1, log=dim.log)
    if dim.kind == "float":
        return trial.suggest_float(dim.path, dim.low, dim.high, step=dim.step, log=dim.log)
    return trial.suggest_categorical(dim.path, list(dim.choices))


def trial_experiment(exp: Experiment, params: dict, number: int) -> Experiment:
    """The experiment a trial runs: ``exp`` with the sampled values, without its [search] table."""
    d = exp.to_dict()
    d.pop("search", None)
    for path, value in params.items():
        set_path(d, path, value)
    d["name"] = f"{exp.name or 'search'}-trial-{number}"
    return Experiment.from_dict(d)


def monitored(event, monitor: str) -> float | None:
    v = getattr(event, monitor, None)
    return None if v is None else float(v)


class _Ended(Exception):
    """A trial that ends without a value (surplus, interrupted, diverged, failed): Optuna records FAIL."""


@dataclass
class TrialOutcome:
    number: int
    state: str            # complete | pruned | diverged | interrupted | failed
    value: float | None
    epochs: int
    folder: str


class Worker:
    """Runs trials of one study until the study has its trials (or ``stop``); one per process."""

    def __init__(self, exp: Experiment, study, report: str | Path, control: TrainingControl | None = None,
                 on_event: Callable | None = None):
        self.exp, self.study, self.report = exp, study, Path(report)
        self.control = control or TrainingControl()     # stop(): end the current trial and the loop
        self.on_event = on_event or (lambda number, event: None)
        self._data: dict = {}
        self.host = socket.gethostname()

    def run(self, limit: int | None = None) -> list[TrialOutcome]:
        """Trials until the study has its trials, ``limit`` trials here, or stop(). Each goes
        through Study.optimize, which keeps the trial's heartbeat while it trains and fails the
        trials of workers whose heartbeat stopped (their values are queued again)."""
        spec, out = self.exp.search, []
        while not self.control.stop_requested and (limit is None or len(out) < limit):
            counted = counted_trials(self.study)
            if len(counted) >= spec.trials and not any(t.state.name == "WAITING" for t in counted):
                break                   # all claimed, and none queued (handed back) is left to run
            self._outcome = None
            self.study.optimize(self._objective, n_trials=1, catch=(_Ended,), gc_after_trial=False)
            if self._outcome is None or self._outcome.state == "surplus":
                break
            out.append(self._outcome)
            if self._outcome.state == "interrupted":
                break
        return out

    def _objective(self, trial) -> float:
        counted = sorted(t.number for t in counted_trials(self.study))
        if trial.number in counted and counted.index(trial.number) >= self.exp.search.trials:
            # claimed at the same moment as another worker's last trial: not one of the search's
            trial.set_user_attr("surplus", True)
            self._outcome = TrialOutcome(trial.number, "surplus", None, 0, "")
            raise _Ended("surplus")
        # The values are drawn when the trial suggests them, below: from a sampler seeded by this
        # trial's number, not by the process, so two workers never draw alike.
        # (The grid sampler gives trial n the grid's n-th point already.)
        if self.exp.search.sampler != "grid":
            self.study.sampler = make_sampler(optuna_module(), self.exp.search,
                                              trial_seed(self.exp.seed, trial.number))
        outcome = self._run_trial(trial)
        self._outcome = outcome
        if outcome.state == "complete":
            return outcome.value
        if outcome.state == "pruned":
            raise optuna_module().TrialPruned()
        raise _Ended(outcome.state)

    def _dataset(self, exp: Experiment):
        key = repr(exp.data)
        if key not in self._data:
            from .data import load_data
            self._data[key] = load_data(exp.data)
        return self._data[key]

    def _run_trial(self, trial) -> TrialOutcome:
        from .api import build_model
        from .recorder import RunRecorder
        from .trainer import train

        spec = self.exp.search
        params = {d.path: suggest(trial, d) for d in spec.space}
        texp = trial_experiment(self.exp, params, trial.number)
        relative = f"trials/trial-{trial.number:04d}"          # inside the search folder, on the worker's host
        folder = self.report / relative
        trial.set_user_attr("folder", relative)
        trial.set_user_attr("host", self.host)
        data = self._dataset(texp)
        texp.check_data(data.n_classes, data.task)
        model = build_model(texp, data.n_features)
        try:
            recorder = RunRecorder(folder, texp, data, model)
        except OSError as exc:     # RunFolderError: the trial's folder is taken or cannot be written
            trial.set_user_attr("error", str(exc))
            return TrialOutcome(trial.number, "failed", None, 0, relative)
        control = TrainingControl()
        pruned: list[int] = []
        values: list[float] = []
        outer = self.control

        def sink(e):
            recorder(e)
            self.on_event(trial.number, e)
            if outer.stop_requested and not control.stop_requested:
                control.stop()
            if e.kind == "epoch_end":
                v = monitored(e, spec.monitor)
                if v is not None and math.isfinite(v):
                    values.append(v)
                    trial.report(v, e.epoch)
                    if trial.should_prune():
                        pruned.append(e.epoch)
                        control.stop()

        try:
            result = train(texp, on_event=sink, data=data, model=model, control=control)
        except Exception as exc:
            recorder.close()
            trial.set_user_attr("error", f"{exc.__class__.__name__}: {exc}")
            return TrialOutcome(trial.number, "failed", None, 0, relative)
        metrics = dict(result.metrics)
        epochs = metrics["epochs_run"]
        interrupted = outer.stop_requested and not pruned
        if pruned:
            metrics["reason"] = "pruned"
        try:
            recorder.finish(metrics, interrupted=interrupted)
        except OSError as exc:       # a full disk: the trial's value stands, its folder says what failed
            trial.set_user_attr("error", str(exc))
        trial.set_user_attr("epochs", epochs)
        trial.set_user_attr("seconds", metrics["seconds"])
        trial.set_user_attr("test_loss", metrics.get("test_loss"))
        trial.set_user_attr("test_accuracy", metrics.get("test_accuracy"))
        if interrupted:        # hand the values back: the next worker (or the resumed search) runs them
            trial.set_user_attr("handed_back", True)
            self.study.enqueue_trial(params, user_attrs={"retry_of": trial.number})
            return TrialOutcome(trial.number, "interrupted", None, epochs, relative)
        if pruned:
            return TrialOutcome(trial.number, "pruned", values[-1] if values else None, epochs, relative)
        if result.reason == "diverged" or not values:
            trial.set_user_attr("diverged", result.reason == "diverged")
            return TrialOutcome(trial.number, "diverged" if result.reason == "diverged" else "failed", None, epochs,
                                relative)
        best = max(values) if spec.direction == "maximize" else min(values)
        return TrialOutcome(trial.number, "complete", best, epochs, relative)


# -- what a search leaves ---------------------------------------------------------------------------

def trial_rows(study, exp: Experiment) -> list[dict]:
    """One row per trial that counts (running ones included), best first, then by number."""
    rows = []
    for t in counted_trials(study):
        a = t.user_attrs
        state = t.state.name.lower()
        if state == "fail":
            state = "diverged" if a.get("diverged") else "failed"
        value = t.value if t.state.name == "COMPLETE" else (
            t.intermediate_values[max(t.intermediate_values)] if t.intermediate_values else None)
        rows.append({"trial": t.number, "state": state, "value": value,
                     "epochs": a.get("epochs", len(t.intermediate_values)), "seconds": a.get("seconds"),
                     "params": {d.path: t.params.get(d.path) for d in exp.search.space},
                     "folder": a.get("folder", ""), "host": a.get("host", ""),
                     "curve": [t.intermediate_values[k] for k in sorted(t.intermediate_values)]})
    sign = -1 if exp.search.direction == "maximize" else 1
    rows.sort(key=lambda r: (r["state"] != "complete", sign * r["value"] if r["value"] is not None else math.inf,
                             r["trial"]))
    return rows


def write_results(study, exp: Experiment, report: str | Path) -> dict:
    """The leaderboard (CSV and Markdown), the best experiment as TOML and the plots."""
    from .search_report import leaderboard_csv, leaderboard_markdown, objective_svg, params_svg

    report = Path(report)
    rows = trial_rows(study, exp)
    write_text_atomic(report / "leaderboard.csv", leaderboard_csv(rows, exp))
    write_text_atomic(report / "objective.svg", objective_svg(rows, exp))
    write_text_atomic(report / "params.svg", params_svg(rows, exp))
    best = next((r for r in rows if r["state"] == "complete"), None)
    if best is not None:
        trial_experiment(exp, best["params"], best["trial"]).to_toml(report / "best.toml")
    write_text_atomic(report / "leaderboard.md", leaderboard_markdown(rows, exp, best))
    return {"rows": rows, "best": best}


def worker_environment(workers: int) -> dict:
    """Several worker processes on one machine: one BLAS and update thread each."""
    env = dict(os.environ)
    if workers > 1:
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", NNTUI_THREADS="1")
    return env

