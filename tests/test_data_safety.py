"""Nothing a user saved is lost or corrupted, checked as a user's shell would meet it: real
`nntui` processes, real signals, a real full disk (a tiny tmpfs, where the machine allows one)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_search import experiment_file, study_of

ROOT = Path(__file__).resolve().parents[1]


def nntui(*args, cwd=ROOT, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nntui", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300, **kw)


def start(*args, cwd=ROOT) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nntui", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def long_experiment(tmp_path, epochs=2000) -> Path:
    """digits for many epochs, no early stopping: a run still going when the test acts on it."""
    import engine

    d = engine.Experiment.from_toml(ROOT / "examples" / "digits.toml").to_dict()
    d.pop("early_stopping", None)
    d["train"]["epochs"] = epochs
    path = tmp_path / "long.toml"
    engine.Experiment.from_dict(d).to_toml(path)
    return path


def wait_for(predicate, seconds=60.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_an_existing_run_folder_is_refused_unless_overwrite(tmp_path):
    folder = tmp_path / "run"
    assert nntui("train", "examples/digits.toml", "--epochs", 2, "--report", folder).returncode == 0
    (folder / "gradients.svg").write_text("<svg/>")          # a file the new run will not write
    before = snapshot(folder)
    again = nntui("train", "examples/digits.toml", "--epochs", 1, "--report", folder)
    assert again.returncode == 2 and "not empty" in again.stderr and "--overwrite" in again.stderr
    assert snapshot(folder) == before, "the refused run touched nothing"
    over = nntui("train", "examples/digits.toml", "--epochs", 1, "--seed", 5, "--report", folder, "--overwrite")
    assert over.returncode == 0, over.stderr
    assert not (folder / "gradients.svg").exists(), "the old content was removed, not mixed"
    assert json.loads((folder / "metrics.json").read_text())["epochs_run"] == 1
    assert "seed = 5" in (folder / "experiment.toml").read_text()


def test_report_dot_in_a_project_keeps_the_users_experiment(tmp_path):
    mine = "# my notes, kept\n" + (ROOT / "examples" / "digits.toml").read_text()
    (tmp_path / "experiment.toml").write_text(mine)
    r = nntui("train", "experiment.toml", "--epochs", 1, "--report", ".", cwd=tmp_path)
    assert r.returncode == 2 and "not empty" in r.stderr
    assert (tmp_path / "experiment.toml").read_text() == mine
    assert sorted(p.name for p in tmp_path.iterdir()) == ["experiment.toml"]


def test_two_runs_into_one_folder_the_second_names_the_first(tmp_path):
    folder = tmp_path / "run"
    first = start("train", long_experiment(tmp_path), "--report", folder)
    try:
        assert wait_for(lambda: (folder / "history.csv").exists() and (folder / "history.csv").stat().st_size > 60)
        second = nntui("train", "examples/digits.toml", "--epochs", 1, "--report", folder, "--overwrite")
        assert second.returncode == 2
        assert f"another run is writing this folder (process {first.pid})" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    rows = list(csv.DictReader(open(folder / "history.csv", newline="")))
    assert rows and all(len(r) == 7 and None not in r.values() for r in rows)
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    assert {e["event"] for e in events} >= {"run_started", "interrupted", "finished"}
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["epochs_run"] == len(rows) and metrics["interrupted"] is True
    # the lock went with the run: the folder can be used again (with --overwrite)
    assert nntui("train", "examples/digits.toml", "--epochs", 1, "--report", folder, "--overwrite").returncode == 0
    assert not (folder / ".lock").exists()


def test_a_crashed_run_does_not_keep_its_folder_locked(tmp_path):
    folder = tmp_path / "run"
    first = start("train", long_experiment(tmp_path), "--report", folder)
    assert wait_for(lambda: (folder / "history.csv").exists())
    first.kill()                                   # SIGKILL: no chance to release anything
    first.communicate(timeout=30)
    r = nntui("train", "examples/digits.toml", "--epochs", 1, "--report", folder, "--overwrite")
    assert r.returncode == 0, r.stderr


def test_sighup_stops_after_the_batch_and_saves(tmp_path):
    folder = tmp_path / "run"
    run = start("train", long_experiment(tmp_path), "--report", folder)
    assert wait_for(lambda: (folder / "history.csv").exists() and (folder / "history.csv").stat().st_size > 60)
    run.send_signal(signal.SIGHUP)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "SIGHUP: stopping after this batch" in err
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    assert {"event": "interrupted", "signal": "SIGHUP"} in events
    assert (folder / "model.npz").stat().st_size > 0 and (folder / "report.md").exists()


def test_a_name_with_a_path_stays_a_single_folder_under_runs(tmp_path):
    import engine

    exp = engine.Experiment.from_toml(ROOT / "examples" / "digits.toml")
    exp.replace(name="x/../../../tmp/elsewhere").to_toml(tmp_path / "e.toml")
    r = nntui("train", "e.toml", "--epochs", 1, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    made = [p.relative_to(tmp_path) for p in (tmp_path / "runs").iterdir()]
    assert len(made) == 1 and made[0].name.endswith("-x-tmp-elsewhere"), made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.toml", "runs"]


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_saved_files_follow_the_umask(tmp_path, umask):
    folder = tmp_path / "run"
    r = nntui("train", "examples/digits.toml", "--epochs", 1, "--report", folder,
              preexec_fn=lambda: os.umask(umask))
    assert r.returncode == 0, r.stderr
    modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
    assert set(modes.values()) == {0o666 & ~umask}, modes


# -- a full disk ------------------------------------------------------------------------------------

@pytest.fixture
def tiny_disk(tmp_path):
    """A 64 KiB file system: room for a run folder's first files, not for its model."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("a real full disk needs a tmpfs mount (root on Linux)")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_full_disk_names_the_file_and_keeps_the_model(tiny_disk, tmp_path):
    folder = tiny_disk / "run"
    # a wider model: its model.npz (about 300 KB) cannot fit on the 64 KiB disk
    text = (ROOT / "examples" / "digits.toml").read_text().replace("units = 64", "units = 600", 1)
    (tmp_path / "wide.toml").write_text(text)
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    r = nntui("train", tmp_path / "wide.toml", "--epochs", 2, "--report", folder, env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert f"cannot write {folder / 'model.npz'}: No space left on device" in r.stderr
    kept = tmp_path / "nntui-run-model.npz"
    assert f"the model was kept in {kept}" in r.stderr and kept.stat().st_size > 64 * 1024
    import engine

    assert engine.load_model(kept).input_dim == 64
    # what was written stays readable: whole history rows, no half-written model file
    rows = list(csv.DictReader(open(folder / "history.csv", newline="")))
    assert all(None not in r.values() for r in rows)
    assert not (folder / "model.npz").exists() and not list(folder.glob(".*.tmp"))


# -- searches -----------------------------------------------------------------------------------------

def search(*args, **kw):
    return nntui("search", *args, **kw)


def test_an_unreadable_study_is_refused_not_restarted(tmp_path):
    path = experiment_file(tmp_path, trials=4)
    report = tmp_path / "out"
    assert search(path, "--report", report).returncode == 0
    trials = snapshot(report / "trials" / "trial-0000")
    (report / "study.db").write_bytes(b"")                      # a 0-byte study.db
    r = search(path, "--report", report)
    assert r.returncode == 2 and "study.db" in r.stderr and "is empty (0 bytes)" in r.stderr, r.stderr
    assert snapshot(report / "trials" / "trial-0000") == trials
    (report / "study.db").unlink()                              # no study at all, trial folders left
    r = search(path, "--report", report)
    assert r.returncode == 2 and "holds trial folders" in r.stderr, r.stderr
    assert snapshot(report / "trials" / "trial-0000") == trials


def test_two_search_commands_and_a_resume_never_repeat_a_draw(tmp_path):
    path = experiment_file(tmp_path, trials=8, epochs=3)
    report = tmp_path / "out"
    a = start("search", path, "--report", report)
    b = start("search", path, "--report", report)
    for p in (a, b):
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    study = study_of(report)
    done = [t for t in study.get_trials() if t.state.name == "COMPLETE"]
    assert len(done) == 8
    params = [tuple(sorted(t.params.items())) for t in done]
    assert len(set(params)) == 8, params                       # no two workers drew alike
    more = experiment_file(tmp_path, name="more.toml", trials=12, epochs=3)
    assert search(more, "--report", report).returncode == 0    # resume with 4 more trials
    done = [t for t in study_of(report).get_trials() if t.state.name == "COMPLETE"]
    assert len(done) == 12 and len({tuple(sorted(t.params.items())) for t in done}) == 12


def test_ctrl_c_while_reading_a_big_csv_is_a_message(tmp_path):
    rows = ("1.5," * 19 + "0\n") + ("2.5," * 19 + "1\n")
    (tmp_path / "big.csv").write_text(rows * 150_000)
    (tmp_path / "big.toml").write_text('[data]\nname = "csv"\npath = "big.csv"\n[model]\n[[model.layers]]\nunits = 2\n'
                                       'activation = "softmax"\n')
    run = start("train", "big.toml", cwd=tmp_path)
    opened = wait_until_open(run, tmp_path / "big.csv")   # reading its 300,000 rows
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err, err
    assert not (tmp_path / "runs").exists(), "no run folder for a run that never started"
    assert opened is not False, "the file was never seen open: the signal may have come before the reading"


def wait_until_open(proc, path: Path, timeout: float = 30.0) -> bool | None:
    """Wait until ``proc`` holds ``path`` open (Linux: /proc/PID/fd): True, or False if it never
    did; None where that cannot be seen (after a second instead)."""
    fds = Path(f"/proc/{proc.pid}/fd")
    if not fds.parent.exists():
        time.sleep(1.0)
        return None
    target = str(path.resolve())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(os.readlink(fd) == target for fd in fds.iterdir()):
                return True
        except OSError:        # an fd closed while we looked
            pass
        time.sleep(0.002)
    return False
