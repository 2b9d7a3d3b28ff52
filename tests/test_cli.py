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
