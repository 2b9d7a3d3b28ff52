"""Advice appears exactly where the classic material says a choice will hurt."""

import engine
from engine.advice import advise


def exp(layers, loss="sparse_categorical_crossentropy", optimizer=None, data=None):
    return engine.Experiment.from_dict({"data": data or {"name": "csv", "path": "x.csv"},
                                        "model": {"loss": loss, "layers": layers},
                                        "optimizer": optimizer or {"name": "adam"}})


def texts(e, k=10, task="classification"):
    return " | ".join(a.text for a in advise(e, k, task))


GOOD = [{"units": 64, "activation": "relu", "initializer": "he_normal"}, {"units": 10, "activation": "softmax"}]


def test_a_sound_model_gets_no_advice():
    assert advise(exp(GOOD), 10, "classification") == []


def test_zero_initialization():
    assert "symmetry" in texts(exp([{"units": 64, "initializer": "zeros"}, GOOD[1]]))


def test_saturating_stack_vanishes():
    layers = [{"units": 32, "activation": "sigmoid"} for _ in range(4)] + [GOOD[1]]
    assert "vanishing gradients" in texts(exp(layers))
    assert "vanishing" not in texts(exp([{"units": 32, "activation": "sigmoid"}] * 2 + [GOOD[1]]))


def test_selu_wants_lecun_normal():
    selu = {"units": 32, "activation": "selu"}
    assert "lecun_normal" in texts(exp([selu, selu, GOOD[1]]))
    assert "lecun_normal" not in texts(exp([{**selu, "initializer": "lecun_normal"}] * 2 + [GOOD[1]]))
    assert "cross-entropy expects probabilities" in texts(exp([GOOD[0], {"units": 10, "activation": "gelu"}]))


def test_bottleneck_layer():
    assert "information bottleneck" in texts(exp([GOOD[0], {"units": 2}, GOOD[1]]))


def test_output_and_loss_mismatches():
    assert "softmax over one unit" in texts(exp([GOOD[0], {"units": 1, "activation": "softmax"}],
                                                loss="binary_crossentropy"), k=2)
    assert "not a distribution" in texts(exp([GOOD[0], {"units": 10, "activation": "sigmoid"}]))
    assert "this data needs 10" in texts(exp([GOOD[0], {"units": 3, "activation": "softmax"}]))


def test_very_large_learning_rate():
    assert "very large for adam" in texts(exp(GOOD, optimizer={"name": "adam", "learning_rate": 0.5}))
    assert "very large" not in texts(exp(GOOD, optimizer={"name": "sgd", "learning_rate": 0.5}))


def test_a_model_that_cannot_fit_is_named_before_it_starts():
    big = [{"units": 200000}, {"units": 200000}, {"units": 10, "activation": "softmax"}]
    items = advise(exp(big), 10, "classification", n_features=784)
    warning = next(a for a in items if "cannot start" in a.text)
    assert warning.level == "warning" and warning.layer == 1 and "GiB" in warning.text
    assert not any("GiB" in a.text for a in advise(exp(GOOD), 10, "classification", n_features=784))


def test_a_first_download_is_announced(tmp_path, monkeypatch):
    monkeypatch.setenv("NNTUI_DATA_DIR", str(tmp_path))     # nothing cached here
    fashion = exp([{"units": 64}, {"units": 10, "activation": "softmax"}], data={"name": "fashion-mnist"})
    assert "downloads fashion-mnist first (30.9 MB" in texts(fashion)
    with_path = exp([{"units": 64}, {"units": 10, "activation": "softmax"}],
                    data={"name": "fashion-mnist", "path": str(tmp_path)})
    assert "downloads" not in texts(with_path)
