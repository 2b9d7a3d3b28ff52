"""Hyperparameter search (`nntui search`, engine.search) on small 2D sets: every sampler, pruning
that really stops trials early, resuming an interrupted study, worker processes sharing one
SQLite study, workers in separate processes sharing a real PostgreSQL server (as several machines
would), and bad search spaces."""

from __future__ import annotations

import csv
import getpass
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import engine
from nntui.cli import main

optuna = pytest.importorskip("optuna", reason="Optuna is not installed (pip install 'nntui[search]')")

MOONS = """\
name = "moons-search"
seed = 0

[data]
name = "moons"
samples = {samples}
noise = 0.2

[model]
[[model.layers]]
units = 16
activation = "relu"
initializer = "he_normal"

[[model.layers]]
units = 2
activation = "softmax"

[optimizer]
name = "adam"
learning_rate = 0.01

[train]
epochs = {epochs}
batch_size = 32

[search]
trials = {trials}
sampler = "{sampler}"
pruner = "{pruner}"
monitor = "val_loss"

[search.space]
{space}
"""

SPACE = """\
"model.layers[0].units" = { int = [4, 64], step = 4 }
"optimizer.learning_rate" = { float = [1e-4, 1e-1], log = true }
"model.layers[0].activation" = { choice = ["relu", "tanh"] }"""

GRID = """\
"model.layers[0].units" = { int = [8, 24], step = 8 }
"model.layers[0].activation" = { choice = ["relu", "tanh"] }"""


def experiment_file(tmp_path, name="search.toml", samples=400, epochs=6, trials=6, sampler="random",
                    pruner="none", space=SPACE) -> Path:
    path = tmp_path / name
    path.write_text(MOONS.format(samples=samples, epochs=epochs, trials=trials, sampler=sampler, pruner=pruner,
                                 space=space))
    return path


def study_of(report: Path, name="moons-search"):
    return optuna.load_study(study_name=name, storage=f"sqlite:///{report / 'study.db'}")


def leaderboard(report: Path) -> list[dict]:
    with open(report / "leaderboard.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def history_rows(folder: Path) -> int:
    with open(folder / "history.csv", newline="") as fh:
        return len(list(csv.DictReader(fh)))


def nntui_search(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nntui.cli", "search", *map(str, args)], capture_output=True,
                          text=True, **kw)


@pytest.mark.parametrize("sampler", ["random", "tpe", "grid"])
def test_each_sampler_runs_a_small_search(tmp_path, sampler, capsys):
    space, trials = (GRID, 6) if sampler == "grid" else (SPACE, 6)
    path = experiment_file(tmp_path, sampler=sampler, trials=trials, space=space)
    report = tmp_path / "out"
    assert main(["search", str(path), "--report", str(report)]) == 0
    rows = leaderboard(report)
    assert len(rows) == trials and {r["state"] for r in rows} == {"complete"}
    assert sorted(int(r["trial"]) for r in rows) == list(range(trials))
    values = [float(r["val_loss"]) for r in rows]
    assert values == sorted(values), "best first"
    if sampler == "grid":   # every point of the 3 x 2 grid exactly once
        combos = {(r["model.layers[0].units"], r["model.layers[0].activation"]) for r in rows}
        assert combos == {(u, a) for u in ("8", "16", "24") for a in ("relu", "tanh")}
    for r in rows:   # each trial left a run folder in the headless format, its values in its experiment
        folder = report / r["folder"]
        trial_exp = engine.Experiment.from_toml(folder / "experiment.toml")
        assert trial_exp.search is None and str(trial_exp.model.layers[0].units) == r["model.layers[0].units"]
        assert history_rows(folder) == 6 and json.loads((folder / "metrics.json").read_text())["epochs_run"] == 6
    best = engine.Experiment.from_toml(report / "best.toml")      # reloadable, trainable
    assert best.model.layers[0].activation == rows[0]["model.layers[0].activation"]
    assert engine.train(best).metrics["epochs_run"] == 6
    md = (report / "leaderboard.md").read_text()
    assert "| rank | trial | state | val_loss |" in md and f"Best: trial {rows[0]['trial']}" in md
    for svg in ("objective.svg", "params.svg"):
        assert (report / svg).read_text().startswith("<svg")
    out = capsys.readouterr().out
    assert out.count("  complete  ") == trials


@pytest.mark.parametrize("pruner", ["hyperband", "successive_halving"])
def test_pruned_trials_really_stop_early(tmp_path, pruner):
    path = experiment_file(tmp_path, pruner=pruner, trials=14, epochs=9)
    report = tmp_path / "out"
    assert main(["search", str(path), "--report", str(report)]) == 0
    rows = leaderboard(report)
    pruned = [r for r in rows if r["state"] == "pruned"]
    complete = [r for r in rows if r["state"] == "complete"]
    assert pruned and complete
    for r in complete:
        assert history_rows(report / r["folder"]) == 9
    epochs = [history_rows(report / r["folder"]) for r in pruned]
    assert min(epochs) < 9 and all(int(r["epochs"]) == n for r, n in zip(pruned, epochs))
    assert all(json.loads((report / r["folder"] / "metrics.json").read_text())["reason"] == "pruned" for r in pruned)
    trials = study_of(report).get_trials()
    assert sum(t.state.name == "PRUNED" for t in trials) == len(pruned)


def test_an_interrupted_search_resumes_where_it_stopped(tmp_path):
    # trials of about a second: the interrupt lands inside the second one, not between trials
    path = experiment_file(tmp_path, samples=3000, epochs=100, trials=4)
    report = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "nntui.cli", "search", str(path), "--report", str(report)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = report / "trials" / "trial-0001" / "history.csv"
    for line in proc.stdout:          # interrupt during the second trial, once it has trained an epoch
        if line.startswith("trial   0"):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (second.exists() and second.read_text().count("\n") >= 2):
                time.sleep(0.01)
            proc.send_signal(signal.SIGINT)
            break
    out, errors = proc.communicate(timeout=120)
    assert proc.returncode == 130, errors
    study = study_of(report)
    handed_back = [t for t in study.get_trials() if t.user_attrs.get("handed_back")]
    assert len(handed_back) == 1, [(t.number, t.state, t.user_attrs) for t in study.get_trials()]
    waiting = [t for t in study.get_trials() if t.state.name == "WAITING"]
    assert len(waiting) == 1 and waiting[0].system_attrs["fixed_params"] == handed_back[0].params   # queued again
    assert (report / "leaderboard.md").exists()
    again = nntui_search(path, "--report", report, timeout=300)
    assert again.returncode == 0, again.stderr
    assert ", 1 queued)" in again.stdout
    rows = leaderboard(report)
    assert len(rows) == 4 and {r["state"] for r in rows} == {"complete"}
    assert len({r["trial"] for r in rows}) == 4
    assert any(r["model.layers[0].units"] == str(handed_back[0].params["model.layers[0].units"]) for r in rows)


def test_two_workers_share_one_sqlite_study(tmp_path):
    path = experiment_file(tmp_path, samples=1000, epochs=8, trials=10)
    report = tmp_path / "out"
    result = nntui_search(path, "--report", report, "--workers", 2, timeout=300)
    assert result.returncode == 0, result.stderr
    trials = study_of(report).get_trials()
    # a claim made at the same moment as the other worker's last is given back, marked surplus
    surplus = [t for t in trials if t.user_attrs.get("surplus")]
    assert all(t.state.name == "FAIL" and t.number >= 10 for t in surplus)
    trials = [t for t in trials if not t.user_attrs.get("surplus")]
    assert sorted(t.number for t in trials) == list(range(10))            # none lost, none added
    assert all(t.state.name == "COMPLETE" for t in trials)
    assert len({tuple(sorted(t.params.items())) for t in trials}) == 10     # no trial ran twice
    assert sorted(p.name for p in (report / "trials").iterdir()) == [f"trial-{i:04d}" for i in range(10)]
    assert result.stdout.count("  complete  ") == 10


# -- PostgreSQL, as several machines would share it ---------------------------------------------------

def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@pytest.fixture(scope="module")
def postgres():
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]')")
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL server here (.ci/run installs Debian's postgresql package)")
    base = Path(tempfile.mkdtemp(prefix="nntui-pg-"))   # not under pytest's root-only folder: the server's user reads it
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:   # the server refuses to run as root: run it as the package's postgres user
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
        os.chmod(base, 0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-U", "nntui", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(base / "log"), "-w", "-t", "60", "-o",
                        f"-p {port} -h 127.0.0.1 -k {sockets} -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"PostgreSQL did not start: {getattr(exc, 'stderr', b'') or exc}")
    yield f"postgresql+psycopg://nntui@127.0.0.1:{port}/postgres"
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
    shutil.rmtree(base, ignore_errors=True)


def test_workers_on_separate_machines_share_a_postgresql_study(tmp_path, postgres):
    path = experiment_file(tmp_path, samples=4000, epochs=40, trials=10)
    machines = [subprocess.Popen([sys.executable, "-m", "nntui.cli", "search", str(path), "--storage", postgres,
                                  "--study", "shared", "--report", str(tmp_path / f"machine-{i}")],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [m.communicate(timeout=300) for m in machines]
    assert [m.returncode for m in machines] == [0, 0], [e for _, e in outputs]
    study = optuna.load_study(study_name="shared", storage=postgres)
    numbers = sorted(t.number for t in study.get_trials() if not t.user_attrs.get("surplus"))
    assert numbers == list(range(10))
    taken = [sorted(p.name for p in (tmp_path / f"machine-{i}").glob("trials/*")) for i in range(2)]
    assert sorted(taken[0] + taken[1]) == [f"trial-{i:04d}" for i in range(10)], "each trial ran on one machine"
    assert taken[0] and taken[1], f"both machines took trials: {taken}"
    for i in range(2):   # each machine's leaderboard lists the whole study
        assert len(leaderboard(tmp_path / f"machine-{i}")) == 10


# -- bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("space, message", [
    ('"model.layers[5].units" = { int = [4, 64] }', 'search.space."model.layers[5].units": is not a field'),
    ('"optimizer.lr" = { float = [0.1, 1.0] }', 'search.space."optimizer.lr": is not a field'),
    ('"model.layers[0].units" = { int = [0, 64] }', "the value 0 is not allowed there: model.layers[0].units"),
    ('"model.layers[0].activation" = { choice = ["relu", "mish"] }', "unknown activation 'mish'"),
    ('"optimizer.learning_rate" = { float = [0.0, 0.1], log = true }', "a log range must be above 0"),
    ('"optimizer.learning_rate" = { float = [0.1, 0.01] }', "low must be below high"),
    ('"optimizer.learning_rate" = { uniform = [0.01, 0.1] }', "needs exactly one of int"),
    ('"model.layers[0].units" = { int = [4, 64], stride = 4 }', "stride: is not a setting of a int range"),
    ('"model.layers[1].units" = { int = [2, 4] }', "the value 4 is not allowed there: model.layers[1].units: must be 2"),
])
def test_bad_search_spaces_are_named_before_any_trial(tmp_path, capsys, space, message):
    path = experiment_file(tmp_path, space=space)
    assert main(["search", str(path), "--report", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out" / "trials").exists()


def test_grid_needs_steps_and_other_search_settings(tmp_path, capsys):
    cases = [(dict(sampler="grid"), 'a grid needs a step for a float range'),
             (dict(sampler="bayes"), "search.sampler: must be one of random, grid, tpe"),
             (dict(pruner="median"), "search.pruner: must be one of none, hyperband, successive_halving"),
             (dict(trials=0), "search.trials: must be a positive integer")]
    for kw, message in cases:
        path = experiment_file(tmp_path, **kw)
        assert main(["search", str(path)]) == 2
        assert message in capsys.readouterr().err
    plain = tmp_path / "plain.toml"
    plain.write_text(MOONS.format(samples=200, epochs=2, trials=1, sampler="random", pruner="none",
                                  space="").split("[search]")[0])
    assert main(["search", str(plain)]) == 2
    assert "search: is missing: this experiment has no [search] table" in capsys.readouterr().err


def test_missing_optuna_says_how_to_install(tmp_path, capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_optuna(name, *a, **kw):
        if name == "optuna" or name.startswith("optuna."):
            raise ImportError("No module named 'optuna'")
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_optuna)
    assert main(["search", str(experiment_file(tmp_path))]) == 2
    assert "pip install 'nntui[search]'" in capsys.readouterr().err


def test_the_search_table_round_trips_and_is_documented_in_the_readme():
    text = MOONS.format(samples=200, epochs=3, trials=20, sampler="tpe", pruner="hyperband", space=SPACE)
    exp = engine.Experiment.from_toml_string(text)
    assert engine.Experiment.from_toml_string(exp.to_toml_string()) == exp
    assert exp.search.direction == "minimize" and [d.kind for d in exp.search.space] == ["int", "float", "choice"]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "nntui search" in readme and "--storage postgresql" in readme
    assert getpass.getuser()
