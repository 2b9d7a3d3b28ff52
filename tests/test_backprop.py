"""Backpropagation written out (engine.backprop, `nntui backprop`): every factor it shows against
a forward and backward pass written here by hand from the same weights, and the product against
finite differences, for fused and unfused outputs, penalties, dropout and batch norm."""

import numpy as np
import pytest

import engine
from engine.backprop import derive
from nntui.backprop_command import DEFAULT


def weights_of(exp, n_in):
    from engine.backends.numpy.model import NumpyModel

    return NumpyModel(exp, n_in, dtype=np.float64).get_weights()


def test_every_factor_of_the_small_network_is_the_hand_computed_one():
    exp = engine.Experiment.from_dict(DEFAULT)
    data = engine.load_data(exp.data)
    x, y = data.x_train[3].astype(np.float64), int(data.y_train[3])
    w = weights_of(exp, 2)
    z1 = x @ w["0.kernel"] + w["0.bias"]
    a1 = np.tanh(z1)
    z2 = a1 @ w["1.kernel"] + w["1.bias"]
    p = np.exp(z2 - z2.max()) / np.exp(z2 - z2.max()).sum()
    t = np.eye(2)[y]
    dz2 = p - t                               # softmax with cross-entropy
    da1 = w["1.kernel"] @ dz2
    dz1 = da1 * (1 - a1 ** 2)
    for unit in range(2):
        for i in range(3):
            d = derive(exp, x, y, 1, unit, i)
            assert d.fused and d.dL_dz == pytest.approx(dz2[unit]) and d.dz_dw == pytest.approx(a1[i])
            assert d.product == pytest.approx(dz2[unit] * a1[i]) == d.backend_grad
            assert d.finite_difference == pytest.approx(d.product, rel=1e-6, abs=1e-10)
    for unit in range(3):
        for i in range(2):
            d = derive(exp, x, y, 0, unit, i)
            assert d.loss == pytest.approx(-np.log(p[y]))
            assert d.layers[0].z == pytest.approx(z1) and d.layers[1].a == pytest.approx(p)
            assert d.dL_da == pytest.approx(da1[unit]) and d.da_dz == pytest.approx(1 - a1[unit] ** 2)
            assert d.dz_dw == pytest.approx(x[i]) and d.product == pytest.approx(dz1[unit] * x[i])
            assert d.finite_difference == pytest.approx(d.product, rel=1e-6, abs=1e-10)
            assert d.updated == pytest.approx(d.w - 0.1 * d.product)


@pytest.mark.parametrize("layers, loss", [
    ([{"units": 4, "activation": "sigmoid", "l2": 0.01}, {"units": 4, "activation": "relu", "l1": 0.001},
      {"units": 2, "activation": "softmax"}], "mse"),
    ([{"units": 5, "activation": "gelu"}, {"type": "dropout", "rate": 0.5}, {"type": "batchnorm"},
      {"units": 1, "activation": "sigmoid"}], "binary_crossentropy"),
    ([{"units": 4, "activation": "elu"}, {"units": 2, "activation": "softmax"}], "sparse_categorical_crossentropy"),
])
def test_the_product_is_the_finite_difference_and_the_backends_gradient(layers, loss):
    exp = engine.Experiment.from_dict({"seed": 2, "data": {"name": "moons", "samples": 100},
                                       "model": {"loss": loss, "layers": layers}})
    data = engine.load_data(exp.data)
    dense = [i for i, lay in enumerate(layers) if lay.get("type", "dense") == "dense"]
    for layer in dense:
        n_out = layers[layer]["units"]
        for unit in range(min(n_out, 2)):
            d = derive(exp, data.x_train[5], data.y_train[5], layer, unit, 1)
            assert d.product == pytest.approx(d.backend_grad, rel=1e-9, abs=1e-12)
            assert d.finite_difference == pytest.approx(d.product, rel=1e-5, abs=1e-9), (layer, unit, d.notes)
    d = derive(exp, data.x_train[5], data.y_train[5], dense[0], 0, 0)
    if "l2" in layers[0]:
        assert d.penalty_term == pytest.approx(2 * 0.01 * d.w) and any("penalty" in n for n in d.notes)


def test_nntui_backprop_writes_the_derivation_and_names_bad_choices():
    from .test_headless import nntui

    r = nntui("backprop", "--layer", "0", "--unit", "2", "--weight", "1", "--sample", "4")
    assert r.returncode == 0, r.stderr
    for part in ("forward (evaluation mode):", "layer 0 dense tanh:", "loss (sparse_categorical_crossentropy)",
                 "backward, for w = W[0][1, 2]", "da_2/dz_2 = tanh'(z_2)", "the backend's own gradient",
                 "finite difference", "update: w - lr dL/dw"):
        assert part in r.stdout, part
    for bad, says in ((["--layer", "1", "--unit", "5"], "--unit: layer 1 has units 0 to 1"),
                      (["--weight", "9"], "--weight: unit 0 of layer 0 has inputs 0 to 1"),
                      (["--layer", "7"], "--layer: layer 7 is not a dense layer; dense layers: 0, 1"),
                      (["--sample", "-1"], "--sample: 0 to")):
        r = nntui("backprop", *bad)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr


@pytest.mark.asyncio
async def test_the_view_steps_through_the_derivation_and_moves_between_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    from nntui.app import make_app
    from nntui.backprop_command import derivation_lines
    from nntui.screens.backprop import BackpropScreen, sections

    from .conftest import wait_until

    exp = engine.Experiment.from_dict(DEFAULT)
    data = engine.load_data(exp.data)
    app = make_app(experiment=exp)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("B")
        screen = app.screen
        assert isinstance(screen, BackpropScreen)
        await wait_until(pilot, lambda: bool(screen.parts))
        text = lambda: str(screen.query_one("#bp-text").render())  # noqa: E731
        assert "sample x" in text() and "layer 0 dense" not in text()      # one step: the sample only
        await pilot.press("right", "right")
        assert "layer 0 dense tanh" in text() and "loss (" not in text()
        await pilot.press("e")
        want = derivation_lines(derive(exp, data.x_train[0], data.y_train[0], 0, 0, 0), exp)
        assert text() == "\n".join(want) and len(screen.parts) == len(sections(want))
        await pilot.press("down", "w", "l")        # unit 1, weight 1, then the next dense layer
        await wait_until(pilot, lambda: "backward, for w = W[1][1, 1]" in text())
        d = derive(exp, data.x_train[0], data.y_train[0], 1, 1, 1)
        assert f"{d.backend_grad:+.8f}" in text()
        await pilot.press("left")
        assert "update:" not in text()
