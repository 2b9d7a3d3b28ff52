"""The training dashboard as it looks mid-run and at the end (pytest-textual-snapshot; `pytest
--snapshot-update` after an intended change).

So that the pictures are the same on every machine, the dashboard's worker is replaced by a replay
of a scripted run through the same messages the real worker posts (fixed figures, not a run's
floating point, which differs between BLAS builds), and the screen's clock is frozen."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

import engine
from engine.events import BatchProgress, EarlyStopped, EpochEnded, Finished, Improved, NoImprovement, RunStarted
from nntui.app import make_app
from nntui.messages import TrainingDone, TrainingEvent
from nntui.screens import train as train_screen
from nntui.themes import save_setting

from .conftest import wait_until

EPOCHS, STEPS, BEST, PATIENCE = 12, 41, 7, 3
STOP = BEST + PATIENCE


def experiment():
    return engine.Experiment.from_dict({
        "name": "digits-early-stop", "seed": 0, "backend": "numpy", "data": {"name": "digits"},
        "model": {"layers": [{"units": 64, "activation": "relu", "initializer": "he_normal"},
                             {"units": 10, "activation": "softmax"}]},
        "optimizer": {"name": "adam", "learning_rate": 0.001},
        "train": {"epochs": EPOCHS, "batch_size": 32},
        "early_stopping": {"monitor": "val_loss", "patience": PATIENCE}})


def scripted_events(upto_epoch: int, batches_after: int = 0) -> list:
    """A run whose validation loss is best at epoch BEST and stops PATIENCE epochs later."""
    out = [RunStarted(EPOCHS, 32, STEPS, 1295, 143, 359, "numpy", "cpu", "asked for numpy", 4810, 4810, time=0.0)]
    best = None
    for ep in range(1, upto_epoch + 1):
        for b in range(1, STEPS + 1, 8):
            out.append(BatchProgress(ep, b, STEPS, 2.0 * math.exp(-0.4 * (ep - 1 + b / STEPS)), 0.5, 0.001, 50_000.0))
        loss = 2.0 * math.exp(-0.4 * ep)
        val = 0.25 + 1.7 * math.exp(-0.5 * ep) + 0.05 * max(0, ep - BEST) ** 1.5
        out.append(EpochEnded(ep, loss, 1 - loss / 2.3, val, 1 - val / 2.3, 0.001, 0.03, 50_000.0))
        if best is None or val < best[1]:
            out.append(Improved(ep, "val_loss", val, None if best is None else best[1]))
            best = (ep, val)
        else:
            out.append(NoImprovement(ep, "val_loss", val, best[1], best[0], ep - best[0], PATIENCE))
            if ep - best[0] >= PATIENCE:
                out.append(EarlyStopped(ep, "val_loss", best[1], best[0], PATIENCE, False,
                                        f"val_loss did not improve for {PATIENCE} epochs"))
                break
    for b in range(1, batches_after + 1):
        out.append(BatchProgress(upto_epoch + 1, b, STEPS, 0.1, 0.97, 0.001, 50_000.0))
    return out


def outcome() -> tuple:
    data = engine.load_data(experiment().data)
    names = list(data.class_names)
    cm = (np.eye(10, dtype=int) * 33 + np.roll(np.eye(10, dtype=int), 1, axis=1) * 2).tolist()
    mistakes = [{"image": data.x_test[i].reshape(data.image_shape), "true": names[int(data.y_test[i])],
                 "top": [(names[(int(data.y_test[i]) + 1) % 10], 0.9 - 0.05 * i), (names[int(data.y_test[i])], 0.05)]}
                for i in range(6)]
    per = [33 / 35] * 10
    metrics = {"test_loss": 0.1234, "test_accuracy": 0.9428, "test_mae": None, "epochs_run": STOP,
               "best_epoch": BEST, "stopped_early": True, "reason": "early_stopping", "backend": "numpy",
               "device": "cpu", "seconds": 1.5, "samples_per_second": 50_000.0}
    result = SimpleNamespace(metrics=metrics, reason="early_stopping", data=data, model=None)
    extra = {"confusion": {"class_names": names, "confusion_matrix": cm, "per_class_accuracy": per},
             "misclassified": mistakes}
    return result, extra


def replay(monkeypatch, events, done: bool):
    """Replace the worker by the script; returns a counter of the messages the screen has handled,
    so that a test waits for all of them however slowly a loaded machine delivers them."""
    handled = {"n": 0, "of": len(events) + (2 if done else 0)}

    def train(self):
        for e in events:
            self.post_message(TrainingEvent(e))
        if done:
            result, extra = outcome()
            self.post_message(TrainingEvent(Finished("early_stopping", STOP, BEST, True, 1.5, 50_000.0, 0.1234, 0.9428)))
            self.post_message(TrainingDone(result, extra=extra))

    def counted(handler):
        def wrapper(self, message):
            handler(self, message)
            handled["n"] += 1
        return wrapper

    monkeypatch.setattr(train_screen.TrainScreen, "train", train)
    monkeypatch.setattr(train_screen.TrainScreen, "on_training_event", counted(train_screen.TrainScreen.on_training_event))
    monkeypatch.setattr(train_screen.TrainScreen, "on_training_done", counted(train_screen.TrainScreen.on_training_done))
    monkeypatch.setattr(train_screen, "clock", lambda: 1000.0)
    return handled


async def settle(pilot, handled):
    """Every scripted message handled, the plots drawn from all of them, and the screen refreshed."""
    await wait_until(pilot, lambda: handled["n"] >= handled["of"])
    screen = pilot.app.screen
    screen.redraw(force=True)
    for _ in range(10):
        await pilot.pause(0.05)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_dashboard_mid_run(snap_compare, monkeypatch, tmp_path, size):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    save_setting("theme", "nntui-dark")
    handled = replay(monkeypatch, scripted_events(5, batches_after=17), done=False)

    async def start(pilot):
        await pilot.press("t")
        await settle(pilot, handled)

    assert snap_compare(make_app(experiment=experiment()), terminal_size=size, run_before=start)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_dashboard_at_the_end(snap_compare, monkeypatch, tmp_path, size):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    save_setting("theme", "nntui-dark")
    handled = replay(monkeypatch, scripted_events(EPOCHS), done=True)

    async def start(pilot):
        await pilot.press("t")
        await settle(pilot, handled)

    assert snap_compare(make_app(experiment=experiment()), terminal_size=size, run_before=start)


def test_the_script_stops_early_where_it_says():
    events = scripted_events(EPOCHS)
    stop = [e for e in events if e.kind == "early_stop"]
    assert len(stop) == 1 and stop[0].epoch == STOP and stop[0].best_epoch == BEST
