"""Backpropagation checked against central finite differences, in float64."""

import numpy as np
import pytest

import engine
from engine.backends.numpy.layers import Dropout

from .conftest import make_exp

ACTS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "elu", "selu", "gelu", "gelu_tanh", "swish"]
#: outputs not confined to (0, 1): the cross-entropy checks keep them inside it
UNBOUNDED = ("relu", "leaky_relu", "linear", "elu", "selu", "gelu", "gelu_tanh", "swish")
LOSSES = ["sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mse"]


def numeric_check(model, x, y, n_checks=12, eps=1e-6, seed=0, reset=None):
    """Compare every gradient's sampled entries with (L(w+e) - L(w-e)) / 2e."""
    if reset:
        reset()
    loss, grads = model.loss_and_gradients(x, y)
    assert np.isfinite(loss)
    rng = np.random.default_rng(seed)
    base = model.get_weights()
    for key, g in grads.items():
        flat_idx = rng.choice(g.size, size=min(n_checks, g.size), replace=False)
        for fi in flat_idx:
            idx = np.unravel_index(fi, g.shape)
            vals = []
            for sign in (1, -1):
                w = {k: v.copy() for k, v in base.items()}
                w[key][idx] += sign * eps
                model.set_weights(w)
                if reset:
                    reset()
                vals.append(model.loss_and_gradients(x, y)[0])
            num = (vals[0] - vals[1]) / (2 * eps)
            assert num == pytest.approx(g[idx], rel=1e-4, abs=1e-7), f"{key}{idx}: analytic {g[idx]}, numeric {num}"
        model.set_weights(base)
    return grads


def problem(loss, n=16, d=5, k=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    if loss == "binary_crossentropy":
        return x, rng.integers(0, 2, n), 1, {"name": "moons"}
    if loss == "mse":
        return x, rng.normal(size=(n, k)), k, {"name": "digits"}
    if loss == "categorical_crossentropy":
        return x, np.eye(k)[rng.integers(0, k, n)], k, {"name": "digits"}
    return x, rng.integers(0, k, n), k, {"name": "digits"}


def build(layers, loss, input_dim, smoothing=0.0, seed=0):
    # data.name only sets the class check; parse with a consistent one, then build on any width.
    exp = engine.Experiment.from_dict({
        "seed": seed, "data": {"name": "moons"} if loss == "binary_crossentropy" else {"name": "csv", "path": "x.csv"},
        "model": {"loss": loss, "label_smoothing": smoothing, "layers": layers}})
    model = engine.build_model(exp, input_dim, backend="numpy", dtype=np.float64)
    # Nonzero biases: with zero ones, a sample whose layer below is all dead ReLUs sits exactly
    # on the next ReLU's kink, where finite differences are meaningless.
    rng = np.random.default_rng(seed + 100)
    w = model.get_weights()
    for key in w:
        if key.endswith(".bias"):
            w[key] = rng.uniform(-0.1, 0.1, w[key].shape)
    model.set_weights(w)
    return model


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("act", ACTS)
def test_every_output_activation_with_every_loss(act, loss):
    x, y, k, _ = problem(loss)
    layers = [{"units": 7, "activation": "tanh", "initializer": "glorot_normal"},
              {"units": k, "activation": act, "initializer": "glorot_normal"}]
    if act in UNBOUNDED and loss != "mse":
        # cross-entropy on unbounded outputs: keep them inside (0, 1) where the loss is defined
        layers[1]["initializer"] = "random_uniform"
        layers[1]["init_scale"] = 0.05
        x = np.abs(x)
    model = build(layers, loss, x.shape[1])
    if act in UNBOUNDED and loss != "mse":
        w = model.get_weights()
        w["1.bias"][:] = 0.3
        model.set_weights(w)
    numeric_check(model, x, y)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "elu", "selu", "gelu",
                                 "gelu_tanh", "swish"])
def test_hidden_activations(act):
    x, y, k, _ = problem("sparse_categorical_crossentropy")
    model = build([{"units": 6, "activation": act, "initializer": "he_normal"},
                   {"units": 6, "activation": act, "initializer": "he_normal", "negative_slope": 0.2},
                   {"units": k, "activation": "softmax"}], "sparse_categorical_crossentropy", x.shape[1])
    numeric_check(model, x, y)


def test_l1_l2_penalties_and_label_smoothing():
    x, y, k, _ = problem("sparse_categorical_crossentropy")
    model = build([{"units": 8, "activation": "relu", "initializer": "he_normal", "l1": 0.01, "l2": 0.02},
                   {"units": k, "activation": "softmax", "l2": 0.5}], "sparse_categorical_crossentropy",
                  x.shape[1], smoothing=0.1)
    grads = numeric_check(model, x, y)
    # the penalty is really in the loss: removing it changes the loss by exactly the penalty
    w = model.get_weights()
    loss, _ = model.loss_and_gradients(x, y)
    expected_penalty = 0.01 * np.abs(w["0.kernel"]).sum() + 0.02 * (w["0.kernel"] ** 2).sum() + 0.5 * (w["1.kernel"] ** 2).sum()
    bare = build([{"units": 8, "activation": "relu", "initializer": "he_normal"},
                  {"units": k, "activation": "softmax"}], "sparse_categorical_crossentropy", x.shape[1], smoothing=0.1)
    bare.set_weights(w)
    assert loss - bare.loss_and_gradients(x, y)[0] == pytest.approx(expected_penalty, rel=1e-9)
    assert "0.kernel" in grads


def test_batchnorm_in_training_mode():
    x, y, k, _ = problem("sparse_categorical_crossentropy", n=12)
    model = build([{"units": 6, "activation": "relu", "initializer": "he_normal"},
                   {"type": "batchnorm"},
                   {"units": 5, "activation": "tanh"},
                   {"type": "batchnorm", "epsilon": 0.01},
                   {"units": k, "activation": "softmax"}], "sparse_categorical_crossentropy", x.shape[1])
    w = model.get_weights()
    w["1.gamma"][:] = np.linspace(0.5, 1.5, 6)
    w["1.beta"][:] = np.linspace(-0.2, 0.3, 6)
    model.set_weights(w)
    grads = numeric_check(model, x, y)
    assert set(grads) >= {"1.gamma", "1.beta", "3.gamma", "3.beta"}


def test_dropout_with_a_fixed_mask():
    x, y, k, _ = problem("sparse_categorical_crossentropy")
    model = build([{"units": 9, "activation": "relu", "initializer": "he_normal"},
                   {"type": "dropout", "rate": 0.4},
                   {"units": k, "activation": "softmax"}], "sparse_categorical_crossentropy", x.shape[1])
    drop = next(layer for layer in model.layers if isinstance(layer, Dropout))

    def reset():
        drop.rng = np.random.default_rng(123)

    numeric_check(model, x, y, reset=reset)


def test_deep_stack():
    x, y, k, _ = problem("sparse_categorical_crossentropy", d=4)
    layers = [{"units": 6, "activation": a, "initializer": "glorot_normal"}
              for a in ["relu", "tanh", "sigmoid", "leaky_relu", "relu", "tanh", "relu", "sigmoid"]]
    model = build(layers + [{"units": k, "activation": "softmax"}], "sparse_categorical_crossentropy", x.shape[1])
    numeric_check(model, x, y, n_checks=6)


def test_frozen_layers_still_report_gradients_but_do_not_train():
    exp = make_exp([{"units": 16, "activation": "relu", "trainable": False},
                    {"type": "batchnorm", "trainable": False},
                    {"units": 10, "activation": "softmax"}])
    data = engine.load_data(exp.data)
    model = engine.build_model(exp, data.n_features, backend="numpy")
    before = model.get_weights()
    _, grads = model.loss_and_gradients(data.x_train[:32], data.y_train[:32])
    assert np.abs(grads["0.kernel"]).sum() > 0
    for _ in range(5):
        model.train_step(data.x_train[:32], data.y_train[:32], 0.1)
    after = model.get_weights()
    for key in ("0.kernel", "0.bias", "1.gamma", "1.beta", "1.moving_mean", "1.moving_variance"):
        np.testing.assert_array_equal(before[key], after[key], err_msg=key)
    assert not np.array_equal(before["2.kernel"], after["2.kernel"])


def test_stable_at_large_logits_without_warnings():
    """Softmax cross-entropy and sigmoid binary cross-entropy stay finite at |z| = 1000."""
    for loss, k, y in (("sparse_categorical_crossentropy", 3, np.array([0, 1])),
                       ("binary_crossentropy", 1, np.array([0, 1]))):
        model = build([{"units": k, "activation": "softmax" if k > 1 else "sigmoid"}], loss, 1)
        w = model.get_weights()
        w["0.kernel"][:] = 1000.0 * (np.arange(k) - (k - 1) / 2 if k > 1 else 1)
        model.set_weights(w)
        x = np.array([[1.0], [-1.0]])
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            loss_value, grads = model.loss_and_gradients(x, y)
            probs = model.predict(x)
        assert np.isfinite(loss_value) and loss_value > 100  # confidently wrong on one sample
        assert all(np.isfinite(g).all() for g in grads.values())
        assert np.isfinite(probs).all()
