"""The app's run state is a pure fold of the trainer's events (no Textual): checked on a real
run's events, and the best value and patience are early stopping's own, also when it smooths."""

import engine
from engine.events import Improved, NoImprovement
from nntui.run_state import RunState


def run_events(**early_stopping):
    d = engine.presets.load_preset("digits").to_dict()
    d["train"]["epochs"] = 60
    d["optimizer"]["learning_rate"] = 0.01     # reaches its plateau in a few epochs
    d["early_stopping"] = {"monitor": "val_loss", "patience": 3, "restore_best_weights": False, **early_stopping}
    exp = engine.Experiment.from_dict(d)
    events = []
    result = engine.train(exp, on_event=events.append, backend="numpy", batch_event_interval=0.0)
    return exp, events, result


def test_the_fold_of_a_real_run_matches_what_the_run_said():
    exp, events, result = run_events(smoothing=3)
    times = iter(range(1000))
    state = RunState(exp, clock=lambda: float(next(times)))
    for e in events:
        state.apply(e)
    assert state.history == result.history
    assert state.started.epochs == 60 and state.progress() == len(result.history) / 60
    assert not state.batches and state.last_batches
    improved = [e for e in events if isinstance(e, Improved)]
    flat = [e for e in events if isinstance(e, NoImprovement)]
    last = max(improved + flat, key=lambda e: e.epoch)
    # the smoothed best that early stopping compared against, not a raw history value
    best = improved[-1].value
    assert state.best_value == best and state.best_epoch == improved[-1].epoch
    raw = result.history[state.best_epoch - 1]["val_loss"]
    assert abs(raw - best) > 1e-9, "with smoothing 3 the history's value differs from the one compared"
    assert state.wait == (last.wait if isinstance(last, NoImprovement) else 0) and state.patience == 3
    assert state.no_improvement == [e.epoch for e in flat]
    assert flat and result.stopped_early and state.stop_epoch == len(result.history)
    assert [e.kind for e in state.events if e.kind == "batch"] == []


def test_patience_comes_from_the_spec_until_early_stopping_speaks():
    exp, _, _ = run_events()
    state = RunState(exp)
    assert state.patience == 3 and state.best_value is None and state.wait == 0
