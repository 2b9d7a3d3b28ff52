"""One search worker: runs trials of a study (each an ordinary training run with the sampled
values, its run folder under REPORT/trials/) until the study has its trials."""

from __future__ import annotations

import math
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..api import build_model
from ..control import TrainingControl
from ..data import load_data
from ..nn import parallel
from ..reports.recorder import RunRecorder
from ..spec.experiment import Experiment
from ..spec.fieldpath import set_path
from ..trainer import train
from .study import counted_trials, make_sampler, optuna_module, trial_seed

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
            self._data[key] = load_data(exp.data)
        return self._data[key]

    def _run_trial(self, trial) -> TrialOutcome:

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


def worker_environment(workers: int) -> dict:
    """Several worker processes on one machine: each tunes its threads (as any run does) within
    its share of the CPUs the search may use (one each when there are as many workers as CPUs)."""
    env = dict(os.environ)
    if workers > 1:
        env["NNTUI_CPUS"] = str(max(1, parallel.available_cpus() // workers))
    return env

