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


# -- what Keras users reach for next: Nadam, AdamW, weight decay on any optimizer, clipping --------

def test_nadam_by_hand():
    """Keras's Nadam, one scalar at a time: u_t = b1 (1 - 0.5 * 0.96^t), P_t their product."""
    b1, b2, eps, lr = 0.9, 0.999, 1e-7, 0.01
    product = [1.0]

    def step(w, g, s, t):
        u_t, u_next = b1 * (1 - 0.5 * 0.96 ** t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
        if s["t"] != t:               # the product once per step, shared by both coordinates
            product[0] *= u_t
            s["t"] = t
        p = product[0]
        s["m"] = s["m"] + (1 - b1) * (g - s["m"])
        s["v"] = s["v"] + (1 - b2) * (g * g - s["v"])
        m_hat = u_next * s["m"] / (1 - p * u_next) + (1 - u_t) * g / (1 - p)
        return w - lr * m_hat / (math.sqrt(s["v"] / (1 - b2 ** t)) + eps)

    def two_coordinates():
        out, ws, states = [], list(W0), [{"m": 0.0, "v": 0.0, "t": 0}, {"m": 0.0, "v": 0.0, "t": 0}]
        for t, g in enumerate(GRADS, start=1):
            for i in range(2):
                if i == 1:
                    states[1]["t"] = t          # the product was advanced by coordinate 0
                ws[i] = step(ws[i], g[i], states[i], t)
            out.append(list(ws))
        return np.array(out)

    np.testing.assert_allclose(run("nadam", lr), two_coordinates(), rtol=1e-12)


def test_adamw_is_adam_on_decayed_weights_with_keras_default():
    from engine import names
    assert names.OPTIMIZERS.get("adamw")["weight_decay"] == 0.004
    b1, b2, eps, lr, wd = 0.9, 0.999, 1e-7, 0.01, 0.004

    def step(w, g, s, t):
        w = w - w * wd * lr
        s["m"] = s["m"] + (1 - b1) * (g - s["m"])
        s["v"] = s["v"] + (1 - b2) * (g * g - s["v"])
        return w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * s["m"] / (math.sqrt(s["v"]) + eps)

    np.testing.assert_allclose(run("adamw", lr, weight_decay=wd), hand(step, {"m": 0.0, "v": 0.0}), rtol=1e-12)


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adagrad"])
def test_weight_decay_on_any_optimizer_comes_first(name):
    """The decayed run equals the plain rule applied to w (1 - wd lr) at every step."""
    lr, wd = 0.1, 0.3
    decayed = run(name, lr, weight_decay=wd)
    opt = make_optimizer(name, 2, np.float64, learning_rate=lr)
    w = np.array(W0)
    for g, want in zip(GRADS, decayed):
        w *= 1 - wd * lr
        opt.apply(w, np.array(g), lr)
        np.testing.assert_allclose(w, want, rtol=1e-12)


def _clipped_sgd_delta(grad_parts, **clip):
    """One SGD step at lr 1 on two weight tensors (the flat vector's two segments)."""
    sizes = [len(p) for p in grad_parts]
    opt = make_optimizer("sgd", sum(sizes), np.float64, learning_rate=1.0, **clip)
    opt.segments = [(0, sizes[0]), (sizes[0], sum(sizes))]
    w = np.zeros(sum(sizes))
    opt.apply(w, np.concatenate(grad_parts), 1.0)
    return -w[:sizes[0]], -w[sizes[0]:]


def test_clipnorm_clips_each_tensor_global_clipnorm_all_and_clipvalue_each_value():
    a, b = np.array([3.0, 4.0]), np.array([0.3, 0.4, 0.0])            # norms 5 and 0.5
    da, db = _clipped_sgd_delta([a, b], clipnorm=1.0)
    np.testing.assert_allclose(da, a / 5)                              # clipped to norm 1
    np.testing.assert_allclose(db, b)                                  # already under 1: untouched
    da, db = _clipped_sgd_delta([a, b], global_clipnorm=1.0)
    total = math.sqrt(25 + 0.25)
    np.testing.assert_allclose(np.concatenate([da, db]), np.concatenate([a, b]) / total)
    da, db = _clipped_sgd_delta([a, b], clipvalue=0.35)
    np.testing.assert_allclose(np.concatenate([da, db]), [0.35, 0.35, 0.3, 0.35, 0.0])
    da, _ = _clipped_sgd_delta([a, b], clipnorm=1.0, clipvalue=0.7)  # norm first, then value, as Keras
    np.testing.assert_allclose(da, [0.6, 0.7])


def test_clipping_sees_the_true_gradient_under_rmsprops_scaling():
    """RMSprop's gradients arrive pre-scaled (engine's bookkeeping): clipping must act on the
    gradient itself. A clipvalue above every |g| changes nothing; one below halves the step's input."""
    grads = [np.array([0.02, -0.01]), np.array([0.03, 0.01])]

    def final(**clip):
        opt = make_optimizer("rmsprop", 2, np.float64, learning_rate=0.01, **clip)
        w = np.array(W0)
        for g in grads:
            opt.apply(w, g.copy(), 0.01)
        return w

    np.testing.assert_allclose(final(clipvalue=1.0), final(), rtol=1e-12)
    clipped = final(clipvalue=0.015)
    reference = make_optimizer("rmsprop", 2, np.float64, learning_rate=0.01)
    w = np.array(W0)
    for g in grads:
        reference.apply(w, np.clip(g, -0.015, 0.015), 0.01)
    np.testing.assert_allclose(clipped, w, rtol=1e-12)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name, settings", [("sgd", {}), ("sgd", {"momentum": 0.9, "nesterov": True}),
                                            ("rmsprop", {}), ("rmsprop", {"momentum": 0.5}), ("adam", {}),
                                            ("adamw", {}), ("adamax", {}), ("nadam", {}), ("adagrad", {})])
def test_a_long_vector_is_updated_entry_by_entry_as_a_short_one(name, settings, threads):
    """The update runs over long vectors in pieces (engine.nn.optimizers.BLOCK), each thread its
    share: every entry must move as it does in a vector too short for pieces or threads, whatever
    piece and thread it falls in."""
    from engine.nn import optimizers, parallel

    rng = np.random.default_rng(3)
    k = 7                                                   # distinct entries, each repeated
    n = 2 * optimizers.BLOCK + 12_347                       # pieces, a split and a ragged end
    assert n >= parallel.MIN_SPLIT
    w_short = rng.standard_normal(k).astype(np.float32)
    grads = [rng.standard_normal(k).astype(np.float32) * 0.1 for _ in range(3)]
    short, long = (make_optimizer(name, size, learning_rate=0.01, **settings) for size in (k, n))
    w_long = np.resize(w_short, n)
    was = parallel.ENABLED
    parallel.set_enabled(threads == 2)
    try:
        for g in grads:
            short.apply(w_short, g.copy(), 0.01)
            long.apply(w_long, np.resize(g, n), 0.01)
    finally:
        parallel.set_enabled(was)
    np.testing.assert_allclose(w_long.reshape(-1)[: n - n % k].reshape(-1, k),
                               np.broadcast_to(w_short, (n // k, k)), rtol=2e-7, atol=0)
