"""Shared helpers: experiments built the way a user writes them, and the shared datasets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import engine


def _wait_for_ui_idle():
    """Pilot's wait after each key and click, with the UI thread's CPU time in place of the
    process's. Textual waits (up to a second, twice a key) until the process's CPU time stops
    advancing; while a run trains in its worker thread it never stops, and a key took 2 s and a
    click 4 s of the suite's time. What a test waits for is the UI having handled the input:
    the event loop's thread going idle, which this measures (time.thread_time on the thread
    that awaits it, the loop's)."""
    try:
        import textual._wait as wait
        import textual.app
        import textual.pilot
    except ImportError:
        return

    async def wait_for_idle(min_sleep: float = wait.SLEEP_GRANULARITY, max_sleep: float = 1) -> None:
        import asyncio
        start = time.monotonic()
        while True:
            cpu = time.thread_time()
            await asyncio.sleep(wait.SLEEP_GRANULARITY)
            elapsed = time.monotonic() - start
            if elapsed >= max_sleep or (elapsed > min_sleep and time.thread_time() - cpu < wait.SLEEP_IDLE):
                return

    textual.app.wait_for_idle = textual.pilot.wait_for_idle = wait_for_idle


_wait_for_ui_idle()

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FASHION = SHARED_DATA / "fashion-mnist"


def make_exp(layers, loss="sparse_categorical_crossentropy", data=None, optimizer=None,
             schedule=None, train=None, early_stopping=None, seed=0, reduce_lr_on_plateau=None, **model_extra):
    d = {"seed": seed, "data": data or {"name": "digits"},
         "model": {"loss": loss, "layers": layers, **model_extra},
         "optimizer": optimizer or {"name": "sgd", "learning_rate": 0.1},
         "train": train or {"epochs": 2, "batch_size": 32}}
    if schedule:
        d["schedule"] = schedule
    if early_stopping is not None:
        d["early_stopping"] = early_stopping
    if reduce_lr_on_plateau is not None:
        d["reduce_lr_on_plateau"] = reduce_lr_on_plateau
    return engine.Experiment.from_dict(d)


def recorded_run(folder, exp, stop_after=None):
    """A run recorded into ``folder`` as the app and `nntui train` record it (checkpoints too),
    stopped after ``stop_after`` epochs; its TrainResult."""
    from engine.reports.recorder import RunRecorder

    data = engine.load_data(exp.data)
    model = engine.build_model(exp, data.n_features)
    recorder = RunRecorder(folder, exp, data, model)
    control = engine.TrainingControl()

    def sink(e):
        recorder(e)
        if e.kind == "epoch_end" and e.epoch == stop_after:
            control.stop()

    result = engine.train(exp, on_event=sink, data=data, model=model, control=control,
                          checkpoint=recorder.save_checkpoint)
    recorder.finish(result.metrics, interrupted=result.reason == "stopped")
    return result


@pytest.fixture
def fashion_dir():
    if not all((FASHION / f).is_file() for f in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")):
        pytest.skip(f"shared Fashion-MNIST not found at {FASHION} (a user's clone has no ../shared/data)")
    return FASHION


async def wait_until(pilot, condition, seconds=60.0):
    """Let the app run until ``condition()`` holds (AssertionError after ``seconds``)."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in a fresh folder: the dashboard keeps every run under ./runs, as `nntui train` does."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
