"""ReduceLROnPlateau against Keras's rules on scripted metric sequences, and in real training:
a factor on the schedule's rate, never the rate overwritten (tensorflow#36612), and no cut every
epoch after the first one with cooldown 0 (keras#3991)."""

import pytest

import engine
from engine.plateau import ReduceOnPlateau
from engine.spec import PlateauSpec

from .conftest import make_exp, wait_until


def replay(values, lr=0.1, **kw):
    """Each epoch's (scale after it, reduced or not) on the monitored sequence ``values``."""
    rule = ReduceOnPlateau(PlateauSpec(**kw))
    out = []
    for epoch, v in enumerate(values, start=1):
        reduced = rule.update(epoch, {kw.get("monitor", "val_loss"): v}, lr * rule.scale)
        out.append((round(rule.scale, 12), reduced is not None))
    return out


def test_reduces_after_patience_epochs_without_improvement():
    got = replay([1.0, 0.9, 0.95, 0.96, 0.97, 0.98], patience=2, factor=0.5)
    assert [r for _, r in got] == [False, False, False, True, False, True]
    assert got[-1][0] == 0.25


def test_cooldown_zero_does_not_cut_every_epoch():
    """keras#3991: after a reduction the count starts from zero again, cooldown or not."""
    got = replay([1.0] + [1.0] * 6, patience=2, factor=0.5, cooldown=0)
    assert [r for _, r in got] == [False, False, True, False, True, False, True]


def test_cooldown_epochs_are_not_counted_as_keras_counts_them():
    """Keras decrements the cooldown at the start of each epoch's check and counts in the same
    check once it reaches 0: cooldown 2 after a cut at epoch 2 leaves epoch 3 out and counts 4."""
    got = replay([1.0] + [1.0] * 7, patience=1, factor=0.5, cooldown=2)
    assert [r for _, r in got] == [False, True, False, True, False, True, False, True]
    got = replay([1.0] + [1.0] * 7, patience=1, factor=0.5, cooldown=3)
    assert [r for _, r in got] == [False, True, False, False, True, False, False, True]


def test_min_lr_floors_the_rate_and_then_nothing_more_is_cut():
    got = replay([1.0] * 8, lr=0.1, patience=1, factor=0.1, min_lr=0.005)
    assert [r for _, r in got] == [False, True, True, False, False, False, False, False]
    assert got[-1][0] == pytest.approx(0.05)            # 0.1 -> 0.01 -> 0.005 (the floor), then held


def test_min_delta_and_a_maximised_monitor():
    got = replay([0.5, 0.5001, 0.5002], monitor="val_accuracy", patience=2, min_delta=0.01)
    assert got[-1][1]                                    # gains under min_delta are no gain
    assert not replay([0.5, 0.6, 0.7], monitor="val_accuracy", patience=1)[-1][1]


@pytest.mark.parametrize("backend", ["numpy", "mlx"])
def test_in_training_it_multiplies_the_schedule_and_is_told(backend):
    """tensorflow#36612: with a schedule set, Keras's callback fails; here the epoch's rate is the
    schedule's times every reduction so far, and each reduction is an event and a report line."""
    exp = make_exp([{"units": 16, "activation": "relu"}, {"units": 10, "activation": "softmax"}],
                   optimizer={"name": "sgd", "learning_rate": 0.05},
                   schedule={"name": "exponential", "decay_rate": 0.9, "decay_every": 1},
                   train={"epochs": 8, "batch_size": 64},
                   reduce_lr_on_plateau={"monitor": "loss", "patience": 1, "factor": 0.5, "min_delta": 10.0})
    if backend == "mlx":
        pytest.importorskip("mlx.core", reason="MLX is not installed")
    events = []
    result = engine.train(exp, on_event=events.append, backend=backend)
    reductions = [e for e in events if e.kind == "lr_reduced"]
    assert [e.epoch for e in reductions] == [2, 3, 4, 5, 6, 7, 8]     # min_delta 10: nothing ever improves
    steps = -(-len(engine.load_data(exp.data).x_train) // 64)
    rate = engine.nn.schedules.schedule_function(exp.schedule, 0.05, steps)
    for row in result.history:            # the epoch's last step: the schedule's rate times the cuts before it
        epoch = row["epoch"]
        assert row["lr"] == pytest.approx(rate(epoch * steps - 1) * 0.5 ** max(0, epoch - 2), rel=1e-9)
    from engine.reports.run import story
    lines = story(exp, [e.to_dict() for e in events], result.metrics)
    assert any(line.startswith("Epoch 2: loss") and "learning rate" in line for line in lines)
    assert engine.Experiment.from_dict(exp.to_dict()) == exp


def test_a_validation_monitor_needs_a_validation_split():
    with pytest.raises(engine.SpecError, match=r"reduce_lr_on_plateau\.monitor: 'val_loss' needs a validation"):
        make_exp([{"units": 10, "activation": "softmax"}], data={"name": "digits", "validation_split": 0.0},
                 reduce_lr_on_plateau={})
    with pytest.raises(engine.SpecError, match=r"reduce_lr_on_plateau\.factor"):
        make_exp([{"units": 10, "activation": "softmax"}], reduce_lr_on_plateau={"factor": 1.5})


@pytest.mark.asyncio
async def test_the_dashboard_marks_each_reduction_and_logs_it(tmp_path, monkeypatch):
    from textual.widgets import Log

    from nntui.app import make_app
    from nntui.screens.train import TrainScreen

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    exp = make_exp([{"units": 16, "activation": "relu"}, {"units": 10, "activation": "softmax"}],
                   train={"epochs": 5, "batch_size": 64},
                   reduce_lr_on_plateau={"monitor": "loss", "patience": 1, "factor": 0.5, "min_delta": 10.0})
    app = make_app(experiment=exp)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        await wait_until(pilot, lambda: not screen.running)
        await pilot.pause(0.6)                     # the last redraw
        log = "\n".join(str(line) for line in screen.query_one(Log).lines)
        assert "learning rate 0.1 -> 0.05 from epoch 3: loss" in log and "(reduce on plateau)" in log
        series = screen.query_one("#plot-lr").plt._active.monitor
        line, marks = (list(zip(xs, ys)) for xs, ys in zip(series.x, series.y))
        assert [x for x, _ in marks] == [3, 4, 5]          # cut after 2, 3, 4: lowered from 3, 4, 5
        assert all(dict(line)[x] == y for x, y in marks)
