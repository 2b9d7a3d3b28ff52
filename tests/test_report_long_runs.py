"""`nntui report` of a long run: the terminal's epoch table and early-stopping story are a
summary (the first epoch, evenly spaced ones, the best and the last), not one line an epoch
that scrolls the curves and the confusion matrix off the screen; report.md and history.csv
keep every epoch."""

import csv
import os
import re
import subprocess
import sys

import pytest

from .test_headless import ROOT, nntui

LONG = """
name = "moons-long"
[data]
name = "moons"
samples = 300
validation_split = 0.2
[[model.layers]]
units = 8
activation = "relu"
[[model.layers]]
units = 2
activation = "softmax"
[optimizer]
name = "adam"
learning_rate = 0.01
[train]
epochs = {epochs}
batch_size = 64
[early_stopping]
monitor = "val_loss"
patience = 500
"""


def run(tmp_path, epochs):
    (tmp_path / "x.toml").write_text(LONG.format(epochs=epochs))
    folder = tmp_path / f"run{epochs}"
    r = nntui("train", tmp_path / "x.toml", "--report", folder, "--quiet")
    assert r.returncode == 0, r.stderr
    out = subprocess.run([sys.executable, "-m", "nntui", "report", str(folder)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "COLUMNS": "100"})
    assert out.returncode == 0, out.stderr
    with open(folder / "history.csv", newline="") as f:
        history = list(csv.DictReader(f))
    rows = [line for line in out.stdout.splitlines() if re.match(r"^│ \d+ ", line)]
    return history, [int(line.split("│")[1]) for line in rows], out.stdout, folder


def test_a_long_runs_table_shows_first_spaced_best_and_last(tmp_path):
    history, shown, text, folder = run(tmp_path, 90)
    assert len(history) == 90
    # the best as history.csv has it, found here independently of nntui
    best = min(history, key=lambda r: float(r["val_loss"]))["epoch"]
    assert len(shown) <= 24 and shown == sorted(set(shown))
    assert shown[0] == 1 and shown[-1] == 90 and int(best) in shown
    gaps = {b - a for a, b in zip(shown, shown[1:]) if b not in (90, int(best))}
    assert len(gaps) == 1, shown           # evenly spaced, but for the last and the best
    assert f"{len(shown)} of 90 epochs" in text and "history.csv has them all" in text
    # the story: an epoch's line each in report.md, a few of them on the terminal
    story = [line for line in text.splitlines() if line.startswith("Epoch ")]
    assert 8 <= len(story) <= 16 and "more lines (report.md has them all)" in text
    md = (folder / "report.md").read_text()
    assert len(re.findall(r"^- Epoch \d+: ", md, re.M)) == 90


@pytest.mark.parametrize("epochs", [5, 24])
def test_a_short_runs_table_shows_every_epoch(tmp_path, epochs):
    history, shown, text, _ = run(tmp_path, epochs)
    assert shown == list(range(1, epochs + 1)) and " epochs: every" not in text
