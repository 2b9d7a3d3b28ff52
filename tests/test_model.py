"""The Python API around a model: summary, weights, save and load, transfer learning."""

import numpy as np
import pytest

import engine
from engine import SpecError

from .conftest import make_exp

LECTURE = [{"units": 512, "activation": "relu", "initializer": "he_normal"},
           {"units": 512, "activation": "relu", "initializer": "he_normal"},
           {"units": 10, "activation": "softmax"}]


def test_summary_of_the_lecture_model(capsys):
    exp = make_exp(LECTURE, data={"name": "fashion-mnist"})
    model = engine.build_model(exp, 784, backend="numpy")
    text = model.summary()
    assert capsys.readouterr().out.strip() == text.strip()
    for figure in ("401,920", "262,656", "5,130", "Total params: 669,706", "Trainable params: 669,706"):
        assert figure in text
    assert model.count_params() == (669706, 669706)


def test_summary_counts_frozen_and_batchnorm_statistics_as_non_trainable():
    exp = make_exp([{"units": 32, "trainable": False}, {"type": "batchnorm"}, {"type": "dropout", "rate": 0.1},
                    {"units": 10, "activation": "softmax"}])
    rows = engine.summary_rows(exp, 64)
    assert [r["params"] for r in rows] == [0, 64 * 32 + 32, 4 * 32, 0, 330]
    assert [r["trainable"] for r in rows] == [0, 0, 64, 0, 330]


def test_weights_keyed_by_layer_index_and_seeded():
    exp = make_exp([{"units": 8, "initializer": "he_normal"}, {"type": "batchnorm"}, {"units": 10, "activation": "softmax"}])
    a = engine.build_model(exp, 64, backend="numpy").get_weights()
    assert set(a) == {"0.kernel", "0.bias", "1.gamma", "1.beta", "1.moving_mean", "1.moving_variance",
                      "2.kernel", "2.bias"}
    assert a["0.kernel"].shape == (64, 8) and a["0.kernel"].dtype == np.float32
    assert a["0.kernel"].std() == pytest.approx(np.sqrt(2 / 64), rel=0.15)
    b = engine.build_model(exp, 64, backend="numpy").get_weights()
    np.testing.assert_array_equal(a["0.kernel"], b["0.kernel"])
    c = engine.build_model(engine.with_overrides(exp, seed=1), 64, backend="numpy").get_weights()
    assert not np.array_equal(a["0.kernel"], c["0.kernel"])


def test_initializer_scales():
    rng = np.random.default_rng(0)
    from engine.nn.initializers import initial_kernel
    assert initial_kernel("glorot_normal", rng, 300, 100).std() == pytest.approx(np.sqrt(2 / 400), rel=0.03)
    assert np.abs(initial_kernel("glorot_uniform", rng, 300, 100)).max() <= np.sqrt(6 / 400)
    assert np.abs(initial_kernel("he_uniform", rng, 300, 100)).max() <= np.sqrt(6 / 300)
    assert initial_kernel("lecun_normal", rng, 300, 100).std() == pytest.approx(np.sqrt(1 / 300), rel=0.03)
    assert initial_kernel("random_normal", rng, 300, 100, 0.2).std() == pytest.approx(0.2, rel=0.03)
    assert np.all(initial_kernel("constant", rng, 3, 2, 0.7) == np.float32(0.7))
    assert not initial_kernel("zeros", rng, 3, 2).any()


def test_batchnorm_running_statistics_and_evaluation_mode():
    exp = make_exp([{"units": 16}, {"type": "batchnorm", "momentum": 0.5}, {"units": 10, "activation": "softmax"}])
    data = engine.load_data(exp.data)
    model = engine.build_model(exp, 64, backend="numpy")
    x, y = data.x_train[:64], data.y_train[:64]
    h = model.layers[0].forward(x, False, False).copy()
    model.train_step(x, y, 0.0)   # lr 0: only the statistics move
    w = model.get_weights()
    np.testing.assert_allclose(w["1.moving_mean"], 0.5 * h.mean(axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(w["1.moving_variance"], 0.5 + 0.5 * h.var(axis=0), rtol=1e-5)
    # evaluation uses the moving statistics: the output for one sample does not depend on the batch
    p1 = model.predict(x[:1])
    p2 = model.predict(x)[:1]
    np.testing.assert_allclose(p1, p2, rtol=1e-5)


def test_dropout_keep_rate_scaling_and_evaluation_identity():
    exp = make_exp([{"units": 200, "activation": "relu"}, {"type": "dropout", "rate": 0.25},
                    {"units": 10, "activation": "softmax"}])
    model = engine.build_model(exp, 64, backend="numpy")
    drop = model.layers[1]
    x = np.ones((500, 200), np.float32)
    out = drop.forward(x, True, False)
    kept = out != 0
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    assert drop.forward(x, False, False) is x


def test_save_and_load_round_trip(tmp_path):
    exp = make_exp([{"units": 16}, {"type": "batchnorm"}, {"units": 10, "activation": "softmax"}],
                   train={"epochs": 2, "batch_size": 32})
    result = engine.train(exp)
    path = engine.save_model(result.model, tmp_path / "model.npz", scaler=result.data.scaler)
    with np.load(path, allow_pickle=False) as z:
        assert {"0.kernel", "1.moving_variance", "__experiment__"} <= set(z.files)
    again = engine.load_model(path)
    assert again.experiment == exp
    np.testing.assert_array_equal(again.predict(result.data.x_test), result.model.predict(result.data.x_test))
    np.testing.assert_allclose(again.scaler["scale"], result.data.scaler["scale"])
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left


def test_transfer_learning_by_layer_index(tmp_path):
    src = make_exp([{"units": 32, "activation": "relu"}, {"units": 10, "activation": "softmax"}])
    source = engine.train(src)
    path = engine.save_model(source.model, tmp_path / "src.npz")
    dst = make_exp([{"units": 32, "activation": "relu", "trainable": False}, {"units": 16, "activation": "relu"},
                    {"units": 10, "activation": "softmax"}], seed=5,
                   transfer_from=str(path), transfer_layers=[0])
    model = engine.build_model(dst, 64, backend="numpy")
    np.testing.assert_array_equal(model.get_weights()["0.kernel"], source.model.get_weights()["0.kernel"])
    result = engine.train(dst)  # the frozen transferred layer stays as it came
    np.testing.assert_array_equal(result.model.get_weights()["0.kernel"], source.model.get_weights()["0.kernel"])

    bad = make_exp([{"units": 32, "activation": "relu"}, {"units": 16, "activation": "relu"},
                    {"units": 10, "activation": "softmax"}], transfer_from=str(path), transfer_layers=[1])
    with pytest.raises(SpecError, match=r"model\.transfer_layers: layer 1 kernel: shape \(32, 10\) .* does not fit \(32, 16\)"):
        engine.build_model(bad, 64, backend="numpy")
    with pytest.raises(SpecError, match=r"model file not found"):
        engine.build_model(make_exp([{"units": 10, "activation": "softmax"}], transfer_from=str(tmp_path / "nope.npz")), 64)


def test_predict_and_evaluate_agree():
    exp = make_exp([{"units": 16}, {"units": 10, "activation": "softmax"}])
    result = engine.train(exp)
    d = result.data
    probs = result.model.predict(d.x_test)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    acc = (probs.argmax(axis=1) == d.y_test).mean()
    assert result.model.evaluate(d.x_test, d.y_test)["accuracy"] == pytest.approx(acc)
    assert result.metrics["test_accuracy"] == pytest.approx(acc)
