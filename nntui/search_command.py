"""`nntui search EXPERIMENT.toml`: the experiment's [search] over Optuna, in worker processes on
this machine, and on other machines that start the same command with the same --storage."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import time
from pathlib import Path

import engine
from engine.atomic import folder_name
from engine.reports.run import fmt_seconds
from engine.search.report import fmt_param
from engine.text import printable

from .headless import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK
from .interrupts import StopSignals
from .startup import settle

POLL_SECONDS = 1.0


def load_search_experiment(path: str, trials: int | None = None) -> engine.Experiment:
    exp = engine.Experiment.from_toml(path)
    if exp.search is None:
        raise engine.SpecError("search", "is missing: this experiment has no [search] table to run (see the README's "
                                         "Hyperparameter search)", path)
    if trials is not None:
        if trials < 1:
            raise engine.SpecError("--trials", f"must be a positive integer, got {trials}")
        exp = exp.replace(search=dataclasses.replace(exp.search, trials=trials))
    return exp


def trial_line(r: dict, monitor: str) -> str:
    params = "  ".join(f"{p.split('.')[-1]}={fmt_param(v)}" for p, v in r["params"].items())
    value = "-" if r["value"] is None else f"{r['value']:.4f}"
    secs = "" if r["seconds"] is None else f"  {fmt_seconds(r['seconds'])}"
    return f"trial {r['trial']:>3}  {r['state']:<9} {monitor} {value}  epochs {r['epochs']}{secs}  {params}"


def search_command(args) -> int:
    err = lambda msg: print(f"nntui: {printable(msg)}", file=sys.stderr)  # noqa: E731
    from engine import search

    try:
        exp = load_search_experiment(args.experiment, args.trials)
        if args.workers < 1:
            raise engine.SpecError("--workers", f"must be a positive integer, got {args.workers}")
        search.optuna_module()
        report = Path(args.report or Path("searches") / folder_name(exp.name or Path(args.experiment).stem, "search"))
        report.mkdir(parents=True, exist_ok=True)
        storage = args.storage or search.default_storage(report)
        study_name = args.study or exp.name or Path(args.experiment).stem
        study = search.open_study(exp, storage, study_name, report=report)
    except (engine.SpecError, search.SearchUnavailable) as exc:
        err(exc)
        return EXIT_BAD_INPUT
    except OSError as exc:
        err(f"{args.report}: cannot write the search folder: {exc.strerror or exc}")
        return EXIT_BAD_INPUT
    try:
        source = Path(args.experiment).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        source = None
    exp.to_toml(report / "search.toml", over=source)
    counted = search.counted_trials(study)
    queued = sum(1 for t in counted if t.state.name == "WAITING")
    print(f"search {study_name!r}: {exp.search.trials} trials ({len(counted) - queued} in the study, {queued} queued), "
          f"sampler "
          f"{exp.search.sampler}, pruner {exp.search.pruner}, {exp.search.monitor} ({exp.search.direction}); "
          f"{args.workers} worker{'s' if args.workers > 1 else ''}; storage {storage}", flush=True)
    settle()           # the trials in this process, or the watch over the workers: long-lived
    interrupted = (_in_process if args.workers == 1 else _processes)(args, exp, study, storage, study_name, report)
    results = search.write_results(study, exp, report, source=source)
    best = results["best"]
    if best is not None:
        print(f"best: trial {best['trial']}, {exp.search.monitor} {best['value']:.4f}; {report / 'best.toml'}")
    print(f"leaderboard: {report / 'leaderboard.md'}", flush=True)
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


def _announce(study, exp, seen: set) -> None:
    from engine.search import trial_rows

    for r in sorted(trial_rows(study, exp), key=lambda r: r["trial"]):
        if r["state"] != "running" and r["trial"] not in seen:
            seen.add(r["trial"])
            print(trial_line(r, exp.search.monitor), flush=True)


def _in_process(args, exp, study, storage, study_name, report) -> bool:
    from engine.search import Worker

    worker = Worker(exp, study, report)
    signals = StopSignals(lambda name: worker.control.stop(),
                          "stopping this trial; its values go back to the study (run the same command to resume)")
    seen = {r.number for r in study.get_trials(deepcopy=False)}
    with signals:
        while not worker.control.stop_requested:
            if not worker.run(limit=1):
                break
            _announce(study, exp, seen)
    return bool(signals.stops)


def _processes(args, exp, study, storage, study_name, report) -> bool:
    """``args.workers`` processes on this machine, one BLAS thread each; this one reports."""
    from engine.search import worker_environment

    env = worker_environment(args.workers)
    command = [sys.executable, "-m", "nntui.search_worker", str(report / "search.toml"), "--storage", storage,
               "--study", study_name, "--report", str(report)]
    children = [subprocess.Popen(command + ["--offset", str(i + 1)], env=env) for i in range(args.workers)]
    def pass_on(count: int) -> None:   # the first stop asks each worker to hand its trial back; the second kills
        for c in children:
            if c.poll() is None:
                c.send_signal(signal.SIGINT if count == 1 else signal.SIGKILL)

    signals = StopSignals(lambda name: pass_on(1), on_again=pass_on)
    seen = {t.number for t in study.get_trials(deepcopy=False) if t.state.name != "RUNNING"}
    with signals:
        while any(c.poll() is None for c in children):
            time.sleep(POLL_SECONDS)
            _announce(study, exp, seen)
        _announce(study, exp, seen)
    failed = [c.returncode for c in children if c.returncode not in (0, EXIT_INTERRUPTED, -signal.SIGINT)]
    if failed:
        print(f"nntui: {len(failed)} worker(s) failed (exit {failed})", file=sys.stderr)
    return bool(signals.stops)

