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

import time
import warnings
from pathlib import Path

from ..errors import SpecError
from ..spec.experiment import Experiment

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
