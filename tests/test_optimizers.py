"""Optimizer steps against values worked out by hand (scalar arithmetic, Keras's formulas)."""

import math

import numpy as np
import pytest

from engine.nn.optimizers import make_optimizer

GRADS = [(0.5, -1.0), (0.1, 0.2), (-0.3, 0.4)]
W0 = (1.0, -2.0)


def run(name, lr, **settings):
    opt = make_optimizer(name, 2, np.float64, learning_rate=lr, **settings)
    w = np.array(W0)
    out = []
    for g in GRADS:
        opt.apply(w, np.array(g), lr)
        out.append(w.copy())
    return np.array(out)


def hand(step_fn, state):
    """Apply a scalar update rule per coordinate."""
    out, ws, states = [], list(W0), [dict(state) for _ in W0]
    for t, g in enumerate(GRADS, start=1):
        for i in range(2):
            ws[i] = step_fn(ws[i], g[i], states[i], t)
        out.append(list(ws))
    return np.array(out)


def test_sgd_plain_literal():
    w = run("sgd", 0.1)
    assert w[0] == pytest.approx([0.95, -1.9])
    assert w[1] == pytest.approx([0.94, -1.92])
    assert w[2] == pytest.approx([0.97, -1.96])


def test_sgd_momentum_literal():
    w = run("sgd", 0.1, momentum=0.9)
    # v1 = -0.05, w = 0.95; v2 = 0.9 * -0.05 - 0.01 = -0.055, w = 0.895
    assert w[0][0] == pytest.approx(0.95)
    assert w[1][0] == pytest.approx(0.895)
    # v3 = 0.9 * -0.055 + 0.03 = -0.0195, w = 0.8755
    assert w[2][0] == pytest.approx(0.8755)


def test_sgd_nesterov():
    def step(w, g, s, t):
        s["v"] = 0.9 * s["v"] - 0.1 * g
        return w + 0.9 * s["v"] - 0.1 * g
    np.testing.assert_allclose(run("sgd", 0.1, momentum=0.9, nesterov=True), hand(step, {"v": 0.0}), rtol=1e-12)


def test_adagrad():
    def step(w, g, s, t):
        s["a"] += g * g
        return w - 0.1 * g / math.sqrt(s["a"] + 1e-7)
    np.testing.assert_allclose(run("adagrad", 0.1), hand(step, {"a": 0.1}), rtol=1e-12)


def test_rmsprop_literal_and_momentum():
    w = run("rmsprop", 0.01)
    # v1 = 0.1 * 0.25 = 0.025; w = 1 - 0.01 * 0.5 / sqrt(0.0250001) = 0.9683772...
    assert w[0][0] == pytest.approx(1 - 0.005 / math.sqrt(0.0250001), rel=1e-12)
    # v2 = 0.9 * 0.025 + 0.1 * 0.01 = 0.0235
    assert w[1][0] == pytest.approx(w[0][0] - 0.001 / math.sqrt(0.0235001), rel=1e-12)

    def step(w, g, s, t):
        s["v"] = 0.8 * s["v"] + 0.2 * g * g
        s["m"] = 0.5 * s["m"] + 0.01 * g / math.sqrt(s["v"] + 1e-7)
        return w - s["m"]
    np.testing.assert_allclose(run("rmsprop", 0.01, rho=0.8, momentum=0.5), hand(step, {"v": 0.0, "m": 0.0}), rtol=1e-12)


def test_adam_first_step_is_lr_times_sign_and_bias_correction():
    w = run("adam", 0.01)
    assert w[0] == pytest.approx([0.99, -1.99], rel=1e-5)  # the bias-corrected first step is ~lr sign(g)

    def step(w, g, s, t):
        s["m"] = 0.9 * s["m"] + 0.1 * g
        s["v"] = 0.999 * s["v"] + 0.001 * g * g
        alpha = 0.01 * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        return w - alpha * s["m"] / (math.sqrt(s["v"]) + 1e-7)
    np.testing.assert_allclose(w, hand(step, {"m": 0.0, "v": 0.0}), rtol=1e-12)


def test_adamax():
    def step(w, g, s, t):
        s["m"] = 0.9 * s["m"] + 0.1 * g
        s["u"] = max(0.999 * s["u"], abs(g))
        return w - 0.002 / (1 - 0.9 ** t) * s["m"] / (s["u"] + 1e-7)
    np.testing.assert_allclose(run("adamax", 0.002), hand(step, {"m": 0.0, "u": 0.0}), rtol=1e-12)


def test_decaying_state_never_becomes_subnormal():
    """Zero gradients make RMSprop's average decay geometrically; it must be flushed to zero
    before reaching float32 subnormals, without changing the updates."""
    opt = make_optimizer("rmsprop", 4, np.float32, learning_rate=0.001)
    w = np.ones(4, np.float32)
    opt.apply(w, np.full(4, 1e-3, np.float32), 0.001)
    tiny = np.finfo(np.float32).tiny
    for _ in range(2000):
        w_before = w.copy()
        opt.apply(w, np.zeros(4, np.float32), 0.001)
        v = opt.state["velocity"]
        assert not np.any((v != 0) & (np.abs(v) < tiny)), "subnormal state"
        np.testing.assert_array_equal(w, w_before)  # zero gradient: no movement, flushed or not
    assert np.all(opt.state["velocity"] == 0)


def keras_rmsprop_reference(w, grads, lr, rho=0.9, eps=1e-7):
    """Keras's formula, step by step in float64."""
    w, v = w.astype(np.float64), np.zeros_like(w, dtype=np.float64)
    for g in grads:
        v = rho * v + (1 - rho) * g * g
        w = w - lr * g / np.sqrt(v + eps)
    return w, v


def test_rmsprop_bookkeeping_tracks_the_formula_across_renormalisations():
    """The scaled state (s = v / sigma, renormalised when sigma < 1e-12) gives Keras's numbers:
    600 steps pass through two renormalisations at rho = 0.9."""
    rng = np.random.default_rng(0)
    n = 1000
    w0 = rng.normal(size=n).astype(np.float32)
    grads = [rng.normal(size=n).astype(np.float32) * rng.choice([0.0, 1e-4, 1.0], size=n) for _ in range(600)]
    opt = make_optimizer("rmsprop", n, np.float32, learning_rate=1e-3)
    w = w0.copy()
    for g in grads:
        opt.apply(w, g.copy(), 1e-3)
    ref_w, ref_v = keras_rmsprop_reference(w0, [g.astype(np.float64) for g in grads], 1e-3)
    np.testing.assert_allclose(w, ref_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.velocity(), ref_v, rtol=1e-4, atol=1e-30)


def test_model_step_equals_gradients_then_formula():
    """The model's step (gradients pre-scaled through the output delta, as RMSprop asks) moves the
    weights exactly as loss_and_gradients followed by Keras's RMSprop formula would."""
    import engine

    exp = engine.Experiment.from_dict({
        "data": {"name": "digits"},
        "model": {"layers": [{"units": 16, "activation": "relu", "l2": 0.01, "l1": 0.001},
                             {"units": 10, "activation": "softmax"}]},
        "optimizer": {"name": "rmsprop", "learning_rate": 0.01}})
    data = engine.load_data(exp.data)
    model = engine.build_model(exp, 64, backend="numpy", dtype=np.float64)
    w = model.get_weights()
    grads_seen = {k: [] for k in ("0.kernel", "0.bias", "1.kernel", "1.bias")}
    for i in range(3):
        xb, yb = data.x_train[i * 32:(i + 1) * 32], data.y_train[i * 32:(i + 1) * 32]
        _, g = model.loss_and_gradients(xb, yb)
        for k in grads_seen:
            grads_seen[k].append(g[k])
        model.train_step(xb, yb, 0.01)
    after = model.get_weights()
    for k, gs in grads_seen.items():
        ref, _ = keras_rmsprop_reference(w[k], gs, 0.01)
        np.testing.assert_allclose(after[k], ref, rtol=1e-9, atol=1e-12, err_msg=k)
