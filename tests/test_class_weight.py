"""train.class_weight: the weighted loss and its gradient by finite differences, "balanced"
against scikit-learn's rule, the MLX backend against NumPy, the spec's errors, and a run that
it really tilts."""

import numpy as np
import pytest

import engine

from .conftest import make_exp
from .test_gradients import build, numeric_check, problem

LOSSES = ["sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy"]


@pytest.mark.parametrize("loss, out", [(loss, act) for loss in LOSSES[:2] for act in ("softmax", "sigmoid", "tanh")]
                         + [("binary_crossentropy", "sigmoid")])
def test_the_weighted_loss_and_its_gradient_agree_with_finite_differences(loss, out):
    """Fused (softmax, one sigmoid unit) and unfused outputs."""
    x, y, k, _ = problem(loss)
    model = build([{"units": 6, "activation": "tanh"}, {"units": k, "activation": out}], loss, x.shape[1])
    plain, _ = model.loss_and_gradients(x, y)
    weights = np.array([0.5, 2.0, 3.0][:max(k, 2)])
    model.set_class_weights(weights)
    numeric_check(model, x, y)
    weighted, _ = model.loss_and_gradients(x, y)
    labels = engine.nn.losses.labels_of(loss, y)
    model.set_class_weights(np.ones_like(weights))
    assert model.loss_and_gradients(x, y)[0] == pytest.approx(plain)          # weights of 1: the plain loss
    assert weighted != pytest.approx(plain) and np.all(weights[labels] > 0)


def test_balanced_is_scikit_learns_rule():
    utils = pytest.importorskip("sklearn.utils", reason="scikit-learn is not installed")
    y = np.array([0] * 50 + [1] * 30 + [2] * 5)
    spec = engine.TrainSpec.parse({"class_weight": "balanced"})
    ours = spec.class_weights(["a", "b", "c"], y)
    np.testing.assert_allclose(ours, utils.class_weight.compute_class_weight("balanced", classes=np.arange(3), y=y))
    table = engine.TrainSpec.parse({"class_weight": {"c": 4.0}})
    assert table.class_weights(["a", "b", "c"], y) == [1.0, 1.0, 4.0]


def test_mlx_weighs_as_numpy_does():
    pytest.importorskip("mlx.core", reason="MLX is not installed")
    exp = make_exp([{"units": 12, "activation": "relu"}, {"units": 10, "activation": "softmax"}])
    ds = engine.load_data(exp.data)
    w = np.linspace(0.5, 3.0, 10)
    results = []
    for backend in ("numpy", "mlx"):
        model = engine.build_model(exp, ds.n_features, backend=backend)
        model.set_class_weights(w)
        results.append(model.loss_and_gradients(ds.x_train[:64], ds.y_train[:64]))
    (la, ga), (lb, gb) = results
    assert lb == pytest.approx(la, rel=1e-5)
    for key in ga:
        scale = max(float(np.abs(ga[key]).max()), 1e-6)
        assert float(np.abs(ga[key] - gb[key]).max()) / scale < 1e-4, key


def test_the_spec_names_what_is_wrong():
    layers = [{"units": 10, "activation": "softmax"}]
    with pytest.raises(engine.SpecError, match=r"train\.class_weight: 'ten' is not a class of the data; its classes: 0, 1"):
        make_exp(layers, train={"class_weight": {"ten": 2.0}})
    with pytest.raises(engine.SpecError, match=r"train\.class_weight\.3: must be"):
        make_exp(layers, train={"class_weight": {"3": -1}})
    with pytest.raises(engine.SpecError, match=r'train\.class_weight: must be "balanced" or a table'):
        make_exp(layers, train={"class_weight": "even"})
    with pytest.raises(engine.SpecError, match=r"train\.class_weight: weighs classes, but this data is a regression"):
        make_exp([{"units": 1, "activation": "linear"}], loss="mse", data={"name": "sine"},
                 train={"class_weight": "balanced"})
    exp = make_exp(layers, train={"class_weight": {"3": 2.0}})
    assert engine.Experiment.from_dict(exp.to_dict()) == exp


def test_weighing_a_class_up_raises_its_recall():
    """Moons with class 0 weighed 8 times: the model says class 0 more, so its recall rises and
    class 1's falls, on every seed tried."""
    for seed in (0, 1, 2):
        base = dict(loss="binary_crossentropy", data={"name": "moons", "samples": 600, "noise": 0.35},
                    train={"epochs": 5, "batch_size": 32}, seed=seed,
                    optimizer={"name": "adam", "learning_rate": 0.01})
        layers = [{"units": 16, "activation": "relu"}, {"units": 1, "activation": "sigmoid"}]
        plain = engine.train(make_exp(layers, **base), backend="numpy")
        tilted = engine.train(make_exp(layers, **{**base, "train": {**base["train"], "class_weight": {"class 0": 8.0}}}),
                              backend="numpy")
        r0, r1 = plain.evaluation.report["recall"], tilted.evaluation.report["recall"]
        assert r1[0] >= r0[0] and r1[1] <= r0[1] and (r1[0] - r0[0]) + (r0[1] - r1[1]) > 0.02, (seed, r0, r1)
