import math

import pytest

import engine
from engine.nn.schedules import SCHEDULES, learning_rate_at


def rate(name, t, lr=0.1, **kw):
    return SCHEDULES.get(name).rate(lr, t, **{**SCHEDULES.get(name).defaults, **kw})


def test_constant():
    assert rate("constant", 123.4) == 0.1


def test_exponential_smooth_and_staircase():
    assert rate("exponential", 2, decay_rate=0.5, decay_every=2) == pytest.approx(0.05)
    assert rate("exponential", 1, decay_rate=0.5, decay_every=2) == pytest.approx(0.1 / math.sqrt(2))
    assert rate("exponential", 1, decay_rate=0.5, decay_every=2, staircase=True) == pytest.approx(0.1)
    assert rate("exponential", 3, decay_rate=0.5, decay_every=2, staircase=True) == pytest.approx(0.05)


def test_inverse_time():
    assert rate("inverse_time", 2, decay_rate=0.5) == pytest.approx(0.05)
    assert rate("inverse_time", 1.5, decay_rate=1.0, staircase=True) == pytest.approx(0.05)


def test_step_decay():
    assert rate("step", 9.9) == pytest.approx(0.1)
    assert rate("step", 10) == pytest.approx(0.05)
    assert rate("step", 25) == pytest.approx(0.025)


def test_cyclical_triangle():
    values = [rate("cyclical", t, lr=0.001, max_lr=0.006, step_size=2) for t in (0, 1, 2, 3, 4, 5, 6)]
    assert values == pytest.approx([0.001, 0.0035, 0.006, 0.0035, 0.001, 0.0035, 0.006])


def test_cosine_warm_restarts():
    kw = dict(period=10, period_mult=2, min_lr=0.0)
    assert rate("cosine_restarts", 0, **kw) == pytest.approx(0.1)
    assert rate("cosine_restarts", 5, **kw) == pytest.approx(0.05)
    assert rate("cosine_restarts", 9.999, **kw) == pytest.approx(0.0, abs=1e-6)
    assert rate("cosine_restarts", 10, **kw) == pytest.approx(0.1)       # restart
    assert rate("cosine_restarts", 20, **kw) == pytest.approx(0.05)      # half of the 20-long period
    assert rate("cosine_restarts", 30, **kw) == pytest.approx(0.1)       # next restart
    assert rate("cosine_restarts", 5, lr=0.1, period=10, period_mult=1, min_lr=0.02) == pytest.approx(0.06)


def test_learning_rate_at_counts_epochs_or_steps():
    exp = engine.Experiment.from_dict({"model": {"layers": [{"units": 10, "activation": "softmax"}]},
                                       "schedule": {"name": "step", "decay_every": 1}})
    assert learning_rate_at(exp.schedule, 0.1, 99, 100) == pytest.approx(0.1)
    assert learning_rate_at(exp.schedule, 0.1, 100, 100) == pytest.approx(0.05)
    per_step = engine.Experiment.from_dict({"model": {"layers": [{"units": 10, "activation": "softmax"}]},
                                            "schedule": {"name": "step", "decay_every": 3, "unit": "step"}})
    assert learning_rate_at(per_step.schedule, 0.1, 3, 100) == pytest.approx(0.05)
