"""`nntui train` as scripts, SSH sessions and CI run it: a subprocess, its output, its exit code
and the run folder it leaves."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def nntui(*args, cwd=ROOT, **kw):
    return subprocess.run([sys.executable, "-m", "nntui", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONUNBUFFERED": "1"}, **kw)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs") / "digits"
    r = nntui("train", "--preset", "digits", "--report", folder, "--epochs", "12", "--seed", "3")
    assert r.returncode == 0, r.stderr
    return folder, r


def test_run_folder_contents_and_formats(digits_run):
    folder, r = digits_run
    assert {p.name for p in folder.iterdir()} == {"experiment.toml", "history.csv", "events.jsonl", "metrics.json",
                                                  "checkpoint-last.npz", "checkpoint-best.npz",
                                                  "model.npz", "report.md", "loss.svg", "accuracy.svg"}
    lines = (folder / "history.csv").read_text().splitlines()
    assert lines[0] == "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds"
    assert len(lines) - 1 == json.loads((folder / "metrics.json").read_text())["epochs_run"]
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    assert events[0]["event"] == "run_started" and events[-1]["event"] == "finished"
    metrics = json.loads((folder / "metrics.json").read_text())
    for key in ("test_loss", "test_accuracy", "epochs_run", "best_epoch", "stopped_early", "backend", "device",
                "seconds", "samples_per_second"):
        assert key in metrics, key
    assert metrics["interrupted"] is False and len(metrics["confusion_matrix"]) == 10
    with np.load(folder / "model.npz", allow_pickle=False) as z:
        assert "0.kernel" in z.files and z["0.kernel"].shape == (64, 64)
    report = (folder / "report.md").read_text()
    for part in ("# digits", "## Results", "## Model", "Total params: 4,810", "## Early stopping", "## Epochs",
                 "## Confusion matrix (test set)", "![loss](loss.svg)"):
        assert part in report, part
    for svg in ("loss.svg", "accuracy.svg"):
        root = ET.parse(folder / svg).getroot()
        assert root.tag.endswith("svg") and any(el.tag.endswith("polyline") for el in root.iter())
    assert r.stdout.splitlines()[-1] == f"run saved to {folder}"


def test_saved_files_reproduce_the_test_metrics_exactly(digits_run):
    folder, _ = digits_run
    metrics = json.loads((folder / "metrics.json").read_text())
    exp = engine.Experiment.from_toml(folder / "experiment.toml")
    model = engine.load_model(folder / "model.npz")
    data = engine.load_data(exp.data)
    again = model.evaluate(data.x_test, data.y_test)
    assert again["accuracy"] == metrics["test_accuracy"]
    assert again["loss"] == metrics["test_loss"]


def test_plain_output_has_no_control_characters(digits_run):
    _, r = digits_run
    assert not CONTROL.search(r.stdout), repr(CONTROL.search(r.stdout))
    assert sum(line.startswith("epoch") for line in r.stdout.splitlines()) >= 1


def test_json_lines(tmp_path):
    r = nntui("train", "--preset", "digits", "--epochs", "3", "--report", tmp_path / "j", "--json")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "finished" and kinds.count("epoch_end") == 3


def test_quiet_prints_the_outcome_only(tmp_path):
    r = nntui("train", "--preset", "digits", "--epochs", "2", "--report", tmp_path / "q", "--quiet")
    assert r.returncode == 0 and r.stdout.splitlines()[0].startswith("finished (completed) after 2 epochs")


def long_run(tmp_path, name="int"):
    folder = tmp_path / name
    proc = subprocess.Popen([sys.executable, "-m", "nntui", "train", "--preset", "spiral-tanh", "--epochs", "100000",
                             "--report", str(folder)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 60
    while time.time() < deadline:
        history = folder / "history.csv"
        if history.is_file() and len(history.read_text().splitlines()) >= 3:
            return folder, proc
        time.sleep(0.05)
    proc.kill()
    pytest.fail("the run did not start")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_run_leaves_a_complete_valid_folder(tmp_path, sig):
    folder, proc = long_run(tmp_path)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "stopping after this batch" in err
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["interrupted"] is True and metrics["test_accuracy"] is not None
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    assert any(e["event"] == "interrupted" for e in events)
    assert engine.load_model(folder / "model.npz").count_params()[0] > 0
    assert (folder / "report.md").is_file() and "(interrupted)" in (folder / "report.md").read_text()


def test_second_ctrl_c_quits_at_once_cleanly(tmp_path):
    folder, proc = long_run(tmp_path, "twice")
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err
    metrics = json.loads((folder / "metrics.json").read_text())   # valid JSON, whichever way it ended
    assert metrics["interrupted"] is True
    rows = (folder / "history.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,") and all(len(r.split(",")) == 7 for r in rows)


def test_bad_inputs_exit_2_with_the_reason(tmp_path):
    r = nntui("train", tmp_path / "missing.toml")
    assert r.returncode == 2 and "missing.toml: file not found" in r.stderr
    bad = tmp_path / "syntax.toml"
    bad.write_text('[model]\n[[model.layers]]\nunits = 10\nactivation = "softmax\n')
    r = nntui("train", bad)
    assert r.returncode == 2 and "syntax.toml: not valid TOML" in r.stderr and "line 4" in r.stderr
    invalid = tmp_path / "invalid.toml"
    invalid.write_text('[model]\n[[model.layers]]\nunits = 10\nactivation = "softmax"\n[optimizer]\nname = "lion"\n')
    r = nntui("train", invalid)
    assert r.returncode == 2 and "invalid.toml: optimizer.name: unknown optimizer 'lion'" in r.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    r = nntui("train", "--preset", "digits", "--report", blocker / "run")
    assert r.returncode == 2 and "cannot write the run folder" in r.stderr
    r = nntui("train", "--preset", "nope")
    assert r.returncode == 2 and "unknown preset 'nope'; valid: " in r.stderr and "batchnorm-dropout, " in r.stderr
    for res in (r,):
        assert "Traceback" not in res.stderr


def test_presets_and_reports(digits_run, tmp_path):
    r = nntui("presets")
    assert r.returncode == 0
    for name in ("fashion-mnist-mlp", "fashion-mnist-small", "information-bottleneck", "l2-regularization",
                 "dropout", "batchnorm-dropout", "early-stopping", "spiral-relu", "spiral-tanh", "digits"):
        assert name in r.stdout
    folder, _ = digits_run
    r = nntui("report", folder)
    assert r.returncode == 0 and "test accuracy" in r.stdout and "Confusion matrix" in r.stdout
    assert not re.search(r"\x1b\[", r.stdout)
    other = tmp_path / "other"
    assert nntui("train", "--preset", "digits", "--epochs", "4", "--seed", "9", "--report", other).returncode == 0
    r = nntui("report", folder, other)
    assert r.returncode == 0 and "Runs side by side" in r.stdout and str(other.name) in r.stdout
    r = nntui("report", tmp_path)
    assert r.returncode == 2 and "not a run folder" in r.stderr


@pytest.mark.parametrize("width", [50, 60, 80, 100, 140])
def test_epoch_lines_fit_the_terminal(width):
    """On a terminal the epoch lines follow its width (Rich's, from the terminal or COLUMNS):
    the full line where it fits, then shorter forms, never a line that wraps mid-figure."""
    from engine.events import EpochEnded
    from nntui.lines import epoch_line, fitted_epoch_line

    for e in (EpochEnded(12, 0.3456, 0.9012, 0.4567, 0.8765, 0.00123, 1.2, 123_456.0),
              EpochEnded(12, 0.3456, None, 0.4567, None, 0.00123, 1.2, 123_456.0, mae=0.21, val_mae=0.25)):
        line = fitted_epoch_line(e, width)
        assert len(line) <= width and "12" in line and "0.3456" in line and "0.4567" in line
        if len(epoch_line(e)) <= width:
            assert line == epoch_line(e)


@pytest.mark.parametrize("shape", ["rising", "falling"])
def test_svg_legend_stays_off_the_curves_and_markers_sit_by_their_labels(shape):
    """The legend sat on accuracy's rising curves (top right of the plot), and the best marker
    could be clipped above the plot while its label sat at the bottom."""
    import xml.etree.ElementTree as ET

    from engine.reports.svg import svg_chart
    up = [0.5 + 0.5 * (1 - 0.7 ** k) for k in range(12)]
    train = up if shape == "rising" else [2 - v for v in up]
    val = [v - 0.02 for v in train]
    root = ET.fromstring(svg_chart("Accuracy", [("train", train, "#111"), ("validation", val, "#222")], best=12, stop=12))
    ns = "{http://www.w3.org/2000/svg}"
    plot = [r for r in root.iter(f"{ns}rect") if r.get("fill") == "none"][0]
    top, left = float(plot.get("y")), float(plot.get("x"))
    bottom, right = top + float(plot.get("height")), left + float(plot.get("width"))
    texts = {t.text: (float(t.get("x")), float(t.get("y"))) for t in root.iter(f"{ns}text")}
    for label in ("train", "validation"):
        assert texts[label][1] < top, f"the legend's {label} is above the plot, not on it"
    for mark, label in (("^", "best @12"), ("x", "stop @12")):
        marks = [(float(t.get("x")), float(t.get("y"))) for t in root.iter(f"{ns}text") if t.text == mark]
        assert marks and all(top < y <= bottom and left <= x <= right for x, y in marks), mark
        lx, ly = texts[label]
        assert top < ly <= bottom and left - 1 <= lx <= right + 1
        assert min(abs(ly - y) for _, y in marks) < 1, f"{label} is beside its marker"


def test_a_tiny_runs_time_reads_in_milliseconds_not_as_zero(tmp_path):
    # moons' 3 epochs of 200 samples take a few milliseconds: the outcome line and report.md had
    # said "in 0.0s"
    exp = tmp_path / "tiny.toml"
    exp.write_text('seed = 0\n[data]\nname = "moons"\nsamples = 200\n[train]\nepochs = 3\n[model]\n'
                   'layers = [{ units = 4, activation = "tanh" }, { units = 2, activation = "softmax" }]\n',
                   encoding="utf-8")
    r = nntui("train", exp, "--report", tmp_path / "t", "--quiet")
    assert r.returncode == 0, r.stderr
    seconds = json.loads((tmp_path / "t" / "metrics.json").read_text())["seconds"]
    for text, pattern in ((r.stdout, r"epochs in ([\d.]+)(ms|s):"),
                          ((tmp_path / "t" / "report.md").read_text(), r"\| time \| ([\d.]+) (ms|s),")):
        value, unit = re.search(pattern, text).groups()
        shown = float(value) / (1000 if unit == "ms" else 1)
        assert unit == ("ms" if seconds < 0.1 else "s")
        assert shown > 0 and abs(shown - seconds) <= (0.05 if unit == "s" else max(5e-5, 0.05 * seconds)), (text, seconds)
    from engine.reports.run import fmt_seconds
    assert [fmt_seconds(v) for v in (0.0004, 0.0335, 0.0999, 0.1, 12.34)] == ["0.4ms", "34ms", "100ms", "0.1s", "12.3s"]
