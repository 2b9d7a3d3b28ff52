"""`nntui train` as a script runs it: exit codes and messages, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def nntui(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "nntui", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_headless_run_on_digits(tmp_path):
    r = nntui("train", "examples/digits.toml", "--epochs", "3", "--seed", "2", "--backend", "numpy", "--report",
              str(tmp_path / "cli-run"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("backend numpy on cpu (asked for numpy)")
    assert sum(line.startswith("epoch") for line in lines) == 3
    assert "test_accuracy" in lines[-2] and "\x1b" not in r.stdout


def test_bad_file_exits_2_naming_the_field(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\n[[model.layers]]\nunits = 10\nactivation = "softmax"\n[train]\nepochs = 0\n')
    r = nntui("train", str(bad))
    assert r.returncode == 2
    assert f"{bad}: train.epochs: must be a positive integer, got 0" in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_file_and_missing_dataset_exit_2(tmp_path):
    r = nntui("train", str(tmp_path / "nope.toml"))
    assert r.returncode == 2 and "nope.toml: file not found" in r.stderr
    exp = tmp_path / "fm.toml"
    exp.write_text('[data]\nname = "fashion-mnist"\npath = "%s"\n[model]\n[[model.layers]]\nunits = 10\n'
                   'activation = "softmax"\n' % (tmp_path / "empty"))
    r = nntui("train", str(exp))
    assert r.returncode == 2 and "lacks train-images-idx3-ubyte.gz" in r.stderr and "Traceback" not in r.stderr


def test_diverged_run_exits_3(tmp_path):
    """(the run folder goes to tmp_path)"""
    exp = tmp_path / "boom.toml"
    hidden = '[[model.layers]]\nunits = 64\ninitializer = "random_normal"\ninit_scale = 5.0\n'
    exp.write_text('[model]\n' + hidden + hidden + '[[model.layers]]\nunits = 10\nactivation = "softmax"\n'
                   '[optimizer]\nname = "sgd"\nlearning_rate = 500.0\n[train]\nepochs = 3\n')
    r = nntui("train", str(exp), "--report", str(tmp_path / "run"))
    assert r.returncode == 3, r.stdout + r.stderr
    assert "diverged: loss became" in r.stdout and "RuntimeWarning" not in r.stderr


def test_a_closed_pipe_ends_quietly_and_the_run_is_still_saved(tmp_path):
    for cmd in (f"{sys.executable} -m nntui presets | head -1",
                f"{sys.executable} -m nntui train examples/digits.toml --epochs 3 --report {tmp_path / 'run'} | head -1"):
        r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, (cmd, r.stderr)
        assert "Traceback" not in r.stderr and "Error" not in r.stderr, r.stderr
        assert len(r.stdout.splitlines()) == 1
    assert (tmp_path / "run" / "model.npz").exists() and (tmp_path / "run" / "report.md").exists()


def test_version():
    r = nntui("--version")
    assert r.returncode == 0 and r.stdout.strip().startswith("nntui 0.")


def test_report_honours_no_color(tmp_path):
    assert nntui("train", "examples/digits.toml", "--epochs", "2", "--report", str(tmp_path / "run")).returncode == 0
    forced = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "100"}
    forced.pop("NO_COLOR", None)
    coloured = subprocess.run([sys.executable, "-m", "nntui", "report", str(tmp_path / "run")], cwd=ROOT,
                              capture_output=True, text=True, timeout=120, env=forced)
    plain = subprocess.run([sys.executable, "-m", "nntui", "report", str(tmp_path / "run")], cwd=ROOT,
                           capture_output=True, text=True, timeout=120, env={**forced, "NO_COLOR": "1"})
    assert coloured.returncode == plain.returncode == 0
    colour_codes = ("\x1b[38;", "\x1b[3", "\x1b[9")
    assert any(c in coloured.stdout for c in colour_codes), "a terminal gets colours"
    import re

    assert not re.search(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[0-9;]+)m", plain.stdout), "NO_COLOR: no colour codes"
