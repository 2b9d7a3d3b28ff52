"""Checkpoints and resume: a run that goes on from a checkpoint ends exactly as the run that was
never stopped (the same history and the same weights, bit for bit, at a fixed thread count), on
both backends and with every piece of state a step depends on (Adam's, RMSprop's and Nadam's
moments, momentum, dropout's generator, batch-norm statistics, the shuffling order, early
stopping's and the plateau's counters, the rate factors); the checkpoint file is read back
without pickle and anything else is refused by name."""

import json

import numpy as np
import pytest

import engine
from engine.checkpoint import BEST, LAST, Checkpoint, read_checkpoint, write_checkpoint

from .conftest import make_exp, recorded_run

HIDDEN = [{"units": 32, "activation": "relu"}]
OUT = [{"units": 10, "activation": "softmax"}]

#: each asks the checkpoint for other state
CONFIGS = {
    "adam-dropout-early-stopping": dict(
        layers=HIDDEN + [{"type": "dropout", "rate": 0.3}] + OUT,
        optimizer={"name": "adam", "learning_rate": 0.003},
        schedule={"name": "exponential", "decay_rate": 0.9},
        early_stopping={"monitor": "val_loss", "patience": 3, "min_delta": 0.01, "restore_best_weights": True}),
    "rmsprop-momentum-batchnorm-plateau": dict(
        layers=[{"units": 32, "activation": "relu"}, {"type": "batchnorm"}] + OUT,
        optimizer={"name": "rmsprop", "learning_rate": 0.002, "momentum": 0.5},
        reduce_lr_on_plateau={"patience": 1, "factor": 0.5}),
    "nadam-clipnorm-weight-decay": dict(
        layers=HIDDEN + [{"type": "dropout", "rate": 0.1}] + OUT,
        optimizer={"name": "nadam", "learning_rate": 0.002, "clipnorm": 0.5, "weight_decay": 0.01}),
    "sgd-nesterov-class-weight": dict(
        layers=HIDDEN + OUT,
        optimizer={"name": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
        train={"epochs": 8, "batch_size": 64, "threads": 1, "class_weight": "balanced"}),
}


def experiment(name, backend="numpy", epochs=8, seed=4):
    kw = dict(CONFIGS[name])
    kw.setdefault("train", {"epochs": epochs, "batch_size": 64, "threads": 1})
    exp = make_exp(seed=seed, **kw)
    return engine.with_overrides(exp, backend=backend, epochs=epochs)


def strip(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


def through_file(c: Checkpoint, tmp_path) -> Checkpoint:
    return read_checkpoint(write_checkpoint(tmp_path / LAST, c))


def _resumes_exactly(exp, tmp_path, at):
    saved: dict[int, Checkpoint] = {}
    whole = engine.train(exp, checkpoint=lambda c, best: saved.setdefault(c.epoch, c))
    assert sorted(saved) == list(range(1, len(whole.history) + 1))
    resumed = engine.train(exp, resume=through_file(saved[at], tmp_path))
    assert strip(resumed.history) == strip(whole.history)
    w1, w2 = whole.model.get_weights(), resumed.model.get_weights()
    assert all(np.array_equal(w1[k], w2[k]) for k in w1), "final weights differ"
    assert resumed.metrics["test_loss"] == whole.metrics["test_loss"]
    assert resumed.reason == whole.reason and resumed.metrics["best_epoch"] == whole.metrics["best_epoch"]
    return whole, resumed


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("at", [1, 5])
def test_a_resumed_run_ends_as_the_uninterrupted_one_numpy(name, at, tmp_path):
    _resumes_exactly(experiment(name), tmp_path, at)


@pytest.mark.parametrize("name", ["adam-dropout-early-stopping", "rmsprop-momentum-batchnorm-plateau",
                                  "nadam-clipnorm-weight-decay"])
def test_a_resumed_run_ends_as_the_uninterrupted_one_mlx(name, tmp_path):
    pytest.importorskip("mlx.core")
    _resumes_exactly(experiment(name, backend="mlx"), tmp_path, 3)


def test_the_best_checkpoint_is_the_lowest_val_loss_and_early_stoppings_best():
    flags = {}
    run = engine.train(experiment("nadam-clipnorm-weight-decay"), checkpoint=lambda c, best: flags.update({c.epoch: best}))
    losses = [row["val_loss"] for row in run.history]
    assert [flags[e] for e in sorted(flags)] == [v < min(losses[:i], default=np.inf) for i, v in enumerate(losses)]
    events = []
    run = engine.train(experiment("adam-dropout-early-stopping", epochs=30), on_event=events.append,
                       checkpoint=lambda c, best: flags.update({c.epoch: best}))
    improved = {e.epoch for e in events if e.kind == "improved"}
    assert run.reason == "early_stopping" and improved
    assert {e for e in range(1, len(run.history) + 1) if flags[e]} == improved


def test_resume_goes_on_to_more_epochs_as_a_longer_run(tmp_path):
    exp = experiment("rmsprop-momentum-batchnorm-plateau", epochs=4)
    saved = {}
    engine.train(exp, checkpoint=lambda c, best: saved.setdefault(c.epoch, c))
    longer = engine.with_overrides(exp, epochs=7)
    resumed = engine.train(longer, resume=through_file(saved[4], tmp_path))
    assert strip(resumed.history) == strip(engine.train(longer).history)


def test_a_checkpoint_of_an_early_stopped_run_stays_stopped(tmp_path):
    exp = experiment("adam-dropout-early-stopping", epochs=40)
    saved = {}
    whole = engine.train(exp, checkpoint=lambda c, best: saved.__setitem__(c.epoch, c))
    last = saved[max(saved)]
    assert whole.reason == "early_stopping" and last.state["early_stopped"]
    again = engine.train(exp, resume=through_file(last, tmp_path))
    assert again.reason == "early_stopping" and len(again.history) == len(whole.history)
    assert again.metrics["test_loss"] == whole.metrics["test_loss"]     # the best weights restored again


def test_resume_refuses_another_experiment_or_backend(tmp_path):
    exp = experiment("sgd-nesterov-class-weight", epochs=2)
    saved = {}
    engine.train(exp, checkpoint=lambda c, best: saved.setdefault(c.epoch, c))
    other = make_exp(seed=5, **CONFIGS["sgd-nesterov-class-weight"])
    with pytest.raises(engine.SpecError, match="another experiment"):
        engine.train(engine.with_overrides(other, epochs=2), resume=saved[1])
    pytest.importorskip("mlx.core")
    with pytest.raises(engine.SpecError, match="numpy backend"):
        engine.train(engine.with_overrides(exp, backend="mlx"), resume=saved[1])


def test_checkpoint_files_are_npz_without_pickle_and_others_are_refused(tmp_path):
    exp = experiment("nadam-clipnorm-weight-decay", epochs=1)
    saved = {}
    engine.train(exp, checkpoint=lambda c, best: saved.setdefault(c.epoch, c))
    path = write_checkpoint(tmp_path / LAST, saved[1])
    with np.load(path, allow_pickle=False) as z:
        state = json.loads(str(z["__state__"]))
        assert state["epoch"] == 1 and state["backend"] == "numpy" and "weights/0.kernel" in z.files
        assert {"training/m", "training/v", "training/u_product", "training/iterations"} <= set(z.files)
    (tmp_path / "text.npz").write_text("epoch,loss\n")
    engine.save_model(engine.build_model(exp, 64), tmp_path / "model.npz")
    for bad, reason in ((tmp_path / "none.npz", "no checkpoint here"), (tmp_path / "text.npz", "not a readable"),
                        (tmp_path / "model.npz", "not an nntui checkpoint")):
        with pytest.raises(engine.SpecError, match=reason) as info:
            read_checkpoint(bad)
        assert str(bad) in str(info.value)
    saved[1].state["format"] = 99
    with pytest.raises(engine.SpecError, match="format 99"):
        read_checkpoint(write_checkpoint(tmp_path / BEST, saved[1]))


# -- the run folder and `nntui train --resume` -------------------------------------------------------

RUN_TOML = """\
name = "resume-check"
seed = 3

[data]
name = "digits"

[model]
loss = "sparse_categorical_crossentropy"

[[model.layers]]
units = 64
activation = "relu"

[[model.layers]]
type = "dropout"
rate = 0.2

[[model.layers]]
units = 10
activation = "softmax"

[optimizer]
name = "adam"
learning_rate = 0.002

[train]
epochs = {epochs}
batch_size = 16
threads = 1

[reduce_lr_on_plateau]
patience = 2
"""


def _folder_run(tmp_path, name, epochs=30):
    toml = tmp_path / f"{name}.toml"
    toml.write_text(RUN_TOML.format(epochs=epochs))
    return toml, tmp_path / name


def _same_folders(a, b):
    from engine.reports.history import read_history

    assert strip(read_history(a)) == strip(read_history(b))
    with np.load(a / "model.npz") as za, np.load(b / "model.npz") as zb:
        keys = [k for k in za.files if not k.startswith("__")]
        assert keys and all(np.array_equal(za[k], zb[k]) for k in keys)
    ma, mb = (json.loads((f / "metrics.json").read_text()) for f in (a, b))
    assert (ma["test_loss"], ma["test_accuracy"], ma["epochs_run"]) == (mb["test_loss"], mb["test_accuracy"],
                                                                         mb["epochs_run"])


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory):
    from .test_headless import nntui

    tmp = tmp_path_factory.mktemp("whole")
    toml, folder = _folder_run(tmp, "whole")
    r = nntui("train", toml, "--report", folder, "--quiet")
    assert r.returncode == 0, r.stderr
    return toml, folder


def test_the_run_folder_keeps_the_last_and_the_best_checkpoint(whole_run):
    from engine.reports.history import read_history

    _, folder = whole_run
    last, best = read_checkpoint(folder / LAST), read_checkpoint(folder / BEST)
    history = read_history(folder)
    assert last.epoch == len(history) == 30
    val = [row["val_loss"] for row in history]
    assert best.epoch == 1 + int(np.argmin(val))
    with np.load(folder / "model.npz") as z:
        assert all(np.array_equal(z[k], last.group("weights")[k]) for k in last.group("weights"))


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_a_killed_or_interrupted_run_resumes_to_the_same_end(whole_run, tmp_path, how):
    """The run is killed (no chance to save anything) or stopped with Ctrl+C mid-training, then
    `nntui train --resume` goes on from the last complete epoch in the same folder; history.csv,
    model.npz and the test metrics equal those of the run that was never stopped."""
    import signal
    import subprocess
    import sys
    import time

    from .test_headless import ROOT, nntui

    toml, folder = _folder_run(tmp_path, "cut")
    proc = subprocess.Popen([sys.executable, "-m", "nntui", "train", str(toml), "--report", str(folder), "--quiet"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        history = folder / "history.csv"
        if history.is_file() and len(history.read_text().splitlines()) >= 8:
            break
        time.sleep(0.01)
    proc.send_signal(getattr(signal, how))
    proc.communicate(timeout=60)
    done = len((folder / "history.csv").read_text().splitlines()) - 1
    assert 7 <= done < 30, f"the run was not cut mid-training ({done} epochs)"
    r = nntui("train", "--resume", folder)
    assert r.returncode == 0, r.stderr
    assert "resuming after epoch" in r.stdout
    _same_folders(whole_run[1], folder)
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    starts = [e for e in events if e["event"] == "run_started"]
    # the checkpoint of tiny epochs may be a few epochs old (the write budget), or the kill came
    # between an epoch's history row and its checkpoint: the run goes on from the checkpoint's
    assert starts[0]["resumed_from"] == 0 and 1 <= starts[-1]["resumed_from"] <= done
    assert [e["epoch"] for e in events if e["event"] == "epoch_end"] == list(range(1, 31))
    assert sum(e["event"] == "finished" for e in events) == 1
    assert "Resumed" in (folder / "report.md").read_text()


def test_checkpoints_of_tiny_epochs_keep_to_their_budget_and_the_last_complete_epoch_is_kept(tmp_path, monkeypatch):
    """Epochs of a few milliseconds would spend as long writing checkpoints as training: they are
    written at most CHECKPOINT_SHARE of the time, the first and last epoch always, and a run that
    is stopped keeps its last complete epoch (written when the run is saved)."""
    from engine.reports import recorder as rec

    writes = []
    real = rec.write_checkpoint
    monkeypatch.setattr(rec, "write_checkpoint", lambda path, c, **kw: (writes.append(c.epoch), real(path, c, **kw))[1])
    exp = make_exp(HIDDEN + OUT, train={"epochs": 60, "batch_size": 512, "threads": 1}, seed=2)
    for stop_after in (None, 23):
        writes.clear()
        folder = tmp_path / f"run-{stop_after}"
        result = recorded_run(folder, exp, stop_after)
        done = stop_after or 60
        assert len(result.history) == done and writes[0] == 1 and writes[-1] == done
        assert read_checkpoint(folder / LAST).epoch == done
        assert len(writes) <= done // 2, f"a checkpoint at {len(writes)} of {done} tiny epochs"


def test_resume_trains_a_finished_run_on_to_more_epochs(tmp_path):
    from .test_headless import nntui

    toml, short = _folder_run(tmp_path, "short", epochs=5)
    assert nntui("train", toml, "--report", short, "--quiet").returncode == 0
    r = nntui("train", "--resume", short)
    assert r.returncode == 2 and "completed its 5 epochs; pass --epochs N" in r.stderr
    r = nntui("train", "--resume", short, "--epochs", "9", "--quiet")
    assert r.returncode == 0, r.stderr
    toml9, nine = _folder_run(tmp_path, "nine", epochs=9)
    assert nntui("train", toml9, "--report", nine, "--quiet").returncode == 0
    _same_folders(nine, short)
    assert "epochs = 9" in (short / "experiment.toml").read_text()


def test_what_resume_refuses_is_said_by_name(whole_run, tmp_path):
    from .test_headless import nntui

    toml, folder = whole_run
    r = nntui("train", "--resume", folder, "--seed", "4")
    assert r.returncode == 2 and "takes no --seed" in r.stderr
    r = nntui("train", "--resume", tmp_path / "nothing")
    assert r.returncode == 2 and "no such run folder" in r.stderr
    empty = tmp_path / "old"
    empty.mkdir()
    (empty / "experiment.toml").write_text(toml.read_text())
    r = nntui("train", "--resume", empty)
    assert r.returncode == 2 and "no checkpoint here" in r.stderr and str(empty / LAST) in r.stderr
    import shutil

    edited = tmp_path / "edited"
    shutil.copytree(folder, edited)
    (edited / "experiment.toml").write_text(toml.read_text().replace("rate = 0.2", "rate = 0.3"))
    before = (edited / "history.csv").read_bytes()
    r = nntui("train", "--resume", edited, "--epochs", "40")
    assert r.returncode == 2 and "experiment.toml" in r.stderr and "changed since the run started" in r.stderr
    assert (edited / "history.csv").read_bytes() == before        # nothing touched
    assert "Traceback" not in r.stderr
