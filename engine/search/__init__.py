"""Hyperparameter search over an experiment's [search] space with Optuna: the study (storage,
sampler, pruner, the trials that count), the worker that runs trials, and what a search leaves
(leaderboard, best experiment, plots). The only package that imports optuna."""

from .report import fmt_param, trial_rows, write_results
from .study import (
                    GRACE_SECONDS,
                    HEARTBEAT_SECONDS,
                    INSTALL,
                    SearchUnavailable,
                    check_trials_folder,
                    counted_trials,
                    default_storage,
                    make_sampler,
                    open_study,
                    optuna_module,
                    trial_seed,
)
from .worker import TrialOutcome, Worker, monitored, suggest, trial_experiment, worker_environment

__all__ = ["SearchUnavailable", "INSTALL", "HEARTBEAT_SECONDS", "GRACE_SECONDS", "optuna_module", "default_storage",
           "open_study", "counted_trials", "check_trials_folder", "make_sampler", "trial_seed", "suggest",
           "trial_experiment", "monitored", "TrialOutcome", "Worker", "worker_environment", "trial_rows",
           "write_results", "fmt_param"]
