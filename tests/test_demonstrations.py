"""The demonstration presets: each test trains the preset as shipped (fewer epochs where the
phenomenon shows sooner) and asserts that the phenomenon its explanation describes happens, from
the weights, the histories or the inspected statistics, not from a picture."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.presets import load_preset
from engine.spec import with_overrides

DEMONSTRATIONS = ("zero-initialization", "vanishing-gradients", "vanishing-gradients-relu", "exploding-gradients",
                  "dying-relu", "information-bottleneck", "overfitting", "overfitting-dropout", "overfitting-l2",
                  "spiral-relu", "spiral-tanh")


def run(exp, **kw):
    events = []
    result = engine.train(exp, on_event=events.append, backend="numpy", **kw)
    return result, [e for e in events if e.kind == "inspect"]


def grad_ratio(inspected) -> float:
    """First dense layer's gradient norm over the last's."""
    layers = inspected.layers
    return layers[0]["grad_norm"] / layers[-1]["grad_norm"]


@pytest.mark.parametrize("name", DEMONSTRATIONS)
def test_each_demonstration_explains_itself(name):
    exp = load_preset(name)
    assert len(exp.description) > 150, "a paragraph the app and the report show"
    assert exp.name == name


def test_zero_initialization_keeps_units_identical():
    result, inspected = run(load_preset("zero-initialization"))
    w = result.model.get_weights()
    for k in ("0.kernel", "1.kernel"):
        kernel = w[k]
        assert np.abs(kernel).max() > 0, "the layer did train"
        # every unit (column) has the same incoming weights as the first, to float32 rounding
        np.testing.assert_allclose(kernel, np.repeat(kernel[:, :1], kernel.shape[1], axis=1),
                                   atol=1e-3 * np.abs(kernel).max())
    assert [lay["distinct_units"] for lay in inspected[-1].layers[:2]] == [1, 1]
    # the same network from random weights has 32 different units and learns the digits
    random = load_preset("zero-initialization").to_dict()
    for layer in random["model"]["layers"]:
        layer["initializer"] = "glorot_uniform"
    other, other_inspected = run(engine.Experiment.from_dict(random))
    assert [lay["distinct_units"] for lay in other_inspected[-1].layers[:2]] == [32, 32]
    assert other.metrics["test_accuracy"] > 0.8 > 0.3 > result.metrics["test_accuracy"]


def test_vanishing_gradients_with_sigmoid_but_not_with_relu_and_he():
    sigmoid, s_inspected = run(load_preset("vanishing-gradients"))
    relu, r_inspected = run(load_preset("vanishing-gradients-relu"))
    for e in s_inspected:   # orders of magnitude, from the first epoch to the last
        assert grad_ratio(e) < 1e-4, grad_ratio(e)
    for e in r_inspected:
        assert 0.1 < grad_ratio(e) < 10, grad_ratio(e)
    assert relu.metrics["test_accuracy"] > 0.85 > 0.2 > sigmoid.metrics["test_accuracy"]


def test_exploding_gradients_with_a_large_random_normal_scale():
    exp = load_preset("exploding-gradients")
    assert {(lay.initializer, lay.init_scale) for lay in exp.model.layers[:-1]} == {("random_normal", 1.0)}
    result, inspected = run(exp)
    he = exp.to_dict()
    for layer in he["model"]["layers"][:-1]:
        layer.pop("init_scale")
        layer["initializer"] = "he_normal"
    _, he_inspected = run(with_overrides(engine.Experiment.from_dict(he), epochs=1))
    for big, sane in zip(inspected[0].layers, he_inspected[0].layers):
        assert big["grad_norm"] > 1000 * sane["grad_norm"], (big["name"], big["grad_norm"], sane["grad_norm"])
    assert result.reason == "diverged"


def test_dying_relu_under_a_large_learning_rate():
    result, inspected = run(load_preset("dying-relu"))
    dead = [lay["dead"] for lay in inspected[-1].layers[:-1]]
    assert inspected[0].layers[0]["dead"] < 0.2, "alive at the start"
    assert min(dead) > 0.5, dead
    calm = load_preset("dying-relu").to_dict()
    calm["optimizer"]["learning_rate"] = 0.001
    calm_result, calm_inspected = run(engine.Experiment.from_dict(calm))
    assert max(lay["dead"] for lay in calm_inspected[-1].layers[:-1]) < 0.2
    assert calm_result.metrics["test_accuracy"] > result.metrics["test_accuracy"] + 0.3


def _overfit(name):
    result, _ = run(load_preset(name))
    val = [r["val_loss"] for r in result.history]
    return result, val


def test_overfitting_parts_ways_with_dropout_and_l2():
    plain, val = _overfit("overfitting")
    best = min(val)
    assert val.index(best) < len(val) // 4, "the validation loss is lowest early on"
    assert val[-1] > 3 * best, (best, val[-1])
    assert plain.history[-1]["loss"] < 0.2 * val[-1], "training loss far below validation loss"
    for name in ("overfitting-dropout", "overfitting-l2"):
        _, reg_val = _overfit(name)
        assert reg_val[-1] < 0.5 * val[-1], (name, reg_val[-1], val[-1])


def test_relu_boundary_is_piecewise_linear_and_tanh_is_curved():
    """Along a line through the plane, a ReLU network's log-odds is piecewise linear (second
    differences vanish but at the kinks); tanh's curves everywhere. Both learn the spiral."""
    curved = {}
    for name in ("spiral-relu", "spiral-tanh"):
        result, _ = run(load_preset(name))
        assert result.metrics["test_accuracy"] > 0.9, (name, result.metrics)
        assert result.metrics["seconds"] > 0
        fractions = []
        for angle in (0.3, 1.1, 2.0):
            t = np.linspace(-2, 2, 401)
            x = (t[:, None] * np.array([np.cos(angle), np.sin(angle)])[None, :]).astype(np.float32)
            p = result.model.predict(x).astype(np.float64)
            f = np.log(p[:, 1]) - np.log(p[:, 0])
            d2 = np.abs(f[2:] - 2 * f[1:-1] + f[:-2])
            fractions.append(np.mean(d2 > 1e-4 * (1 + np.abs(f[1:-1]))))
        curved[name] = float(np.mean(fractions))
    assert curved["spiral-relu"] < 0.4 and curved["spiral-tanh"] > 0.8, curved


@pytest.mark.slow
def test_information_bottleneck_trains_to_a_much_higher_loss(fashion_dir):
    exp = load_preset("information-bottleneck").to_dict()
    exp["data"]["path"] = str(fashion_dir)
    exp["train"]["epochs"] = 1
    narrow, _ = run(engine.Experiment.from_dict(exp))
    exp["model"]["layers"][1]["units"] = 64
    wide, _ = run(engine.Experiment.from_dict(exp))
    assert narrow.history[-1]["val_loss"] > 1.5 * wide.history[-1]["val_loss"], (narrow.history, wide.history)
