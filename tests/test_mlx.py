"""The MLX backend against the NumPy one: same numbers from the same weights (run in CI with
mlx[cpu]); and the backend choice."""

import threading

import numpy as np
import pytest

import engine
from engine import backends

mx = pytest.importorskip("mlx.core", reason="MLX is not installed (pip install 'nntui[mlx-cpu]' on Linux)")

from .conftest import make_exp  # noqa: E402

RTOL = 1e-4


def pair(layers, loss="sparse_categorical_crossentropy", optimizer=None, data=None, **kw):
    exp = make_exp(layers, loss=loss, optimizer=optimizer or {"name": "sgd", "learning_rate": 0.1},
                   data=data or {"name": "digits"}, **kw)
    ds = engine.load_data(exp.data)
    return exp, ds, engine.build_model(exp, ds.n_features, backend="numpy"), engine.build_model(exp, ds.n_features, backend="mlx")


def close(a, b, rtol=RTOL, what=""):
    """Agreement relative to the array's scale (elementwise relative error is meaningless near zero)."""
    scale = max(float(np.max(np.abs(a))), 1e-6)
    err = float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)))) / scale
    assert err <= rtol, f"{what}: relative difference {err:.2e} > {rtol:.0e}"


ARCHS = {
    "relu-softmax-l1l2": ([{"units": 24, "activation": "relu", "l1": 0.001, "l2": 0.01},
                           {"units": 12, "activation": "leaky_relu", "negative_slope": 0.1},
                           {"units": 10, "activation": "softmax"}], "sparse_categorical_crossentropy", {}),
    "tanh-sigmoid-cce": ([{"units": 16, "activation": "tanh"}, {"units": 10, "activation": "sigmoid"}],
                         "categorical_crossentropy", {}),
    "batchnorm": ([{"units": 16, "activation": "relu"}, {"type": "batchnorm"}, {"units": 10, "activation": "softmax"}],
                  "sparse_categorical_crossentropy", {}),
    "smoothing": ([{"units": 16, "activation": "sigmoid"}, {"units": 10, "activation": "softmax"}],
                  "sparse_categorical_crossentropy", {"label_smoothing": 0.1}),
    "mse": ([{"units": 16, "activation": "tanh"}, {"units": 10, "activation": "linear"}], "mse", {}),
    "binary": ([{"units": 8, "activation": "relu"}, {"units": 1, "activation": "sigmoid"}], "binary_crossentropy",
               {"data": {"name": "moons"}}),
    "elu-selu-gelu-swish": ([{"units": 16, "activation": "elu"}, {"units": 16, "activation": "selu",
                                                                   "initializer": "lecun_normal"},
                             {"units": 12, "activation": "gelu"}, {"units": 12, "activation": "gelu_tanh"},
                             {"units": 10, "activation": "swish"}, {"units": 10, "activation": "softmax"}],
                            "sparse_categorical_crossentropy", {}),
    "frozen": ([{"units": 16, "activation": "relu", "trainable": False}, {"type": "batchnorm", "trainable": False},
                {"units": 10, "activation": "softmax"}], "sparse_categorical_crossentropy", {}),
}


@pytest.mark.parametrize("name", ARCHS)
def test_forward_loss_and_every_gradient_agree(name):
    layers, loss, kw = ARCHS[name]
    exp, ds, a, b = pair(layers, loss=loss, **kw)
    x, y = ds.x_train[:64], ds.y_train[:64]
    close(a.predict(x), b.predict(x), what="predict")
    la, ga = a.loss_and_gradients(x, y)
    lb, gb = b.loss_and_gradients(x, y)
    assert lb == pytest.approx(la, rel=RTOL)
    assert set(ga) == set(gb)
    for k in ga:
        close(ga[k], gb[k], what=k)
    ea, eb = a.evaluate(ds.x_val, ds.y_val), b.evaluate(ds.x_val, ds.y_val)
    assert eb["loss"] == pytest.approx(ea["loss"], rel=RTOL)


OPTIMIZERS = [
    {"name": "sgd", "learning_rate": 0.05},
    {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9},
    {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
    {"name": "adagrad", "learning_rate": 0.05},
    {"name": "rmsprop", "learning_rate": 0.002},
    {"name": "rmsprop", "learning_rate": 0.002, "momentum": 0.5},
    {"name": "adam", "learning_rate": 0.002},
    {"name": "adamax", "learning_rate": 0.002},
    {"name": "adamw", "learning_rate": 0.002},
    {"name": "nadam", "learning_rate": 0.002},
    {"name": "sgd", "learning_rate": 0.05, "clipnorm": 0.05, "weight_decay": 0.1},
    {"name": "rmsprop", "learning_rate": 0.002, "global_clipnorm": 0.1, "clipvalue": 0.002},
    {"name": "adam", "learning_rate": 0.002, "clipvalue": 0.001, "weight_decay": 0.05},
]


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: "-".join(str(v) for v in o.values()))
def test_weights_after_20_steps_of_every_optimizer_with_a_schedule(opt):
    exp, ds, a, b = pair([{"units": 32, "activation": "tanh"}, {"units": 10, "activation": "softmax"}],
                         optimizer=opt, schedule={"name": "exponential", "decay_rate": 0.5, "unit": "step",
                                                  "decay_every": 10})
    rate = engine.nn.schedules.schedule_function(exp.schedule, opt["learning_rate"], 100)
    for step in range(20):
        xb, yb = ds.x_train[step * 32:(step + 1) * 32], ds.y_train[step * 32:(step + 1) * 32]
        la, _ = a.train_step(xb, yb, rate(step))
        lb, _ = b.train_step(xb, yb, rate(step))
        assert lb == pytest.approx(la, rel=RTOL)
    wa, wb = a.get_weights(), b.get_weights()
    for k in wa:
        close(wa[k], wb[k], rtol=5e-4, what=k)


def test_history_of_a_short_seeded_run():
    exp = make_exp([{"units": 32, "activation": "relu", "initializer": "he_normal"},
                    {"units": 10, "activation": "softmax"}],
                   optimizer={"name": "sgd", "learning_rate": 0.05, "momentum": 0.9},
                   train={"epochs": 4, "batch_size": 32})
    ha = engine.train(exp, backend="numpy").history
    hb = engine.train(exp, backend="mlx").history
    for ra, rb in zip(ha, hb):
        assert rb["loss"] == pytest.approx(ra["loss"], rel=1e-3)
        assert rb["val_loss"] == pytest.approx(ra["val_loss"], rel=1e-3)


def test_dropout_keep_rate_scaling_and_evaluation_identity():
    exp, ds, a, b = pair([{"units": 400, "activation": "relu"}, {"type": "dropout", "rate": 0.25},
                          {"units": 10, "activation": "softmax"}])
    from engine.backends.mlx import ops as mlx_ops
    x = mx.ones((300, 400))
    out, _, _ = mlx_ops.forward(mlx_ops.Plan(exp.model.layers[1:2], exp.model.loss, False), {}, {}, {}, x, True,
                                mx.random.key(0))
    out = np.array(out)
    kept = out != 0
    assert kept.mean() == pytest.approx(0.75, abs=0.01)
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    same, _, _ = mlx_ops.forward(mlx_ops.Plan(exp.model.layers[1:2], exp.model.loss, False), {}, {}, {}, x, False)
    np.testing.assert_array_equal(np.array(same), 1.0)
    np.testing.assert_allclose(a.predict(ds.x_test), b.predict(ds.x_test), rtol=1e-4, atol=1e-6)


def test_batchnorm_running_statistics_agree():
    exp, ds, a, b = pair([{"units": 16, "activation": "relu"}, {"type": "batchnorm", "momentum": 0.9},
                          {"units": 10, "activation": "softmax"}])
    for step in range(5):
        xb, yb = ds.x_train[step * 64:(step + 1) * 64], ds.y_train[step * 64:(step + 1) * 64]
        a.train_step(xb, yb, 0.05)
        b.train_step(xb, yb, 0.05)
    wa, wb = a.get_weights(), b.get_weights()
    close(wa["1.moving_mean"], wb["1.moving_mean"], what="moving_mean")
    close(wa["1.moving_variance"], wb["1.moving_variance"], what="moving_variance")
    assert not np.allclose(wb["1.moving_variance"], 1.0)
    close(a.predict(ds.x_test), b.predict(ds.x_test), what="evaluation mode uses the moving statistics")


def test_our_adam_matches_mlx_optimizers_adam():
    import mlx.optimizers as optim

    from engine.backends.mlx.optimizers import init_state, update

    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(5, 3)).astype(np.float32)
    settings = {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-12}
    ours = {"w": mx.array(w0)}
    state = init_state("adam", settings, ours)
    theirs = {"w": mx.array(w0)}
    ref = optim.Adam(learning_rate=0.01, betas=[0.9, 0.999], eps=1e-12, bias_correction=True)
    for t in range(1, 11):
        g = {"w": mx.array(rng.normal(size=(5, 3)).astype(np.float32))}
        ours, state = update("adam", settings, ours, g, state, mx.array(0.01), mx.array(float(t)))
        theirs = ref.apply_gradients(g, theirs)
    np.testing.assert_allclose(np.array(ours["w"]), np.array(theirs["w"]), rtol=1e-5, atol=1e-6)


def test_dropout_masks_differ_step_to_step_in_a_worker_thread():
    """The TUI trains in a worker thread: there, the compiled step must draw a new mask each step."""
    result = {}

    def work():
        exp = make_exp([{"units": 64, "activation": "relu"}, {"type": "dropout", "rate": 0.5},
                        {"units": 10, "activation": "softmax"}])
        ds = engine.load_data(exp.data)
        model = engine.build_model(exp, ds.n_features, backend="mlx")
        x, y = ds.x_train[:32], ds.y_train[:32]
        # learning rate 0: the weights stay put, so only the dropout mask can change the loss
        result["losses"] = [model.train_step(x, y, 0.0)[0] for _ in range(4)]
        result["train"] = engine.train(exp, backend="mlx").metrics["test_accuracy"]

    t = threading.Thread(target=work)
    t.start()
    t.join(120)
    losses = result["losses"]
    assert len(set(losses)) == 4, f"identical dropout masks across steps: {losses}"
    assert result["train"] > 0.5


def test_backend_choice_says_why(monkeypatch):
    assert engine.resolve_backend("numpy").reason == "asked for numpy"
    importable, gpu, _ = backends.mlx_status()
    choice = engine.resolve_backend("auto")
    if gpu:
        assert (choice.name, choice.device, choice.reason) == ("mlx", "gpu", "mlx on gpu")
    else:
        assert (choice.name, choice.reason) == ("numpy", "mlx has no GPU here: numpy is faster on this CPU")
    assert engine.resolve_backend("mlx").name == "mlx"
    monkeypatch.setattr(backends, "mlx_status", lambda: (False, False, "mlx not installed"))
    assert engine.resolve_backend("auto").reason == "mlx not installed"
    with pytest.raises(engine.BackendUnavailable, match=r"backend 'mlx' cannot run: mlx not installed.*nntui\[mlx-cpu\]"):
        engine.resolve_backend("mlx")


def test_last_partial_batch_compiles_once_not_every_epoch():
    exp = make_exp([{"units": 16, "activation": "relu"}, {"units": 10, "activation": "softmax"}],
                   train={"epochs": 4, "batch_size": 100})   # 1295 samples: 12 full batches and one of 95
    ds = engine.load_data(exp.data)
    model = engine.build_model(exp, ds.n_features, backend="mlx")
    result = engine.train(exp, data=ds, model=model)
    assert result.metrics["epochs_run"] == 4
    assert model.traces == 2, f"the step was traced {model.traces} times for two batch shapes"


def test_the_mlx_tables_know_every_registry_name():
    """An activation, loss or optimizer the MLX side does not know is a KeyError at once, never a
    silent fallback (an unknown activation used to become linear): the key sets are the registry's."""
    from engine.backends.mlx import ops, optimizers
    from engine.nn.activations import ACTIVATIONS
    from engine.nn.losses import LOSSES
    from engine.nn.optimizers import OPTIMIZERS

    assert set(ops.ACTIVATIONS) == set(ACTIVATIONS.names())
    assert set(ops.LOSSES) == set(LOSSES.names())
    assert set(ops.FUSED_LOSSES) == {n for n in LOSSES.names() if n != "mse"}
    assert set(optimizers.STEPS) == set(optimizers.INIT) == set(OPTIMIZERS.names())
    with pytest.raises(KeyError):
        ops.activate("mish", None, 0.0)


def test_both_backends_implement_the_model_protocol():
    from engine.backends.protocol import Model, ModelBase

    exp = make_exp([{"units": 8, "activation": "relu"}, {"units": 10, "activation": "softmax"}])
    for name in ("numpy", "mlx"):
        model = engine.build_model(exp, 64, backend=name)
        assert isinstance(model, Model) and isinstance(model, ModelBase), name


# -- the GPU path (queued steps, the training set on the device), checked on the CPU ------------

def _queued_pair(exp, defer):
    ds = engine.load_data(exp.data)
    runs = []
    for d in (0, defer):
        model = engine.build_model(exp, ds.n_features, backend="mlx", defer=d)
        events = []
        result = engine.train(exp, data=ds, model=model, on_event=events.append)
        runs.append((model, result, events))
    return runs


@pytest.mark.parametrize("defer", [1, 5, 64])
def test_queued_steps_train_exactly_as_synchronised_ones(defer):
    """The same compiled step on the same batches (gathered on the device from the same shuffled
    order, the last one partial), so the weights agree bit for bit; the epoch's loss, summed on
    the device in float32 rather than on the host, to rounding."""
    exp = make_exp([{"units": 32, "activation": "relu"}, {"type": "dropout", "rate": 0.2},
                    {"units": 10, "activation": "softmax"}],
                   optimizer={"name": "adam", "learning_rate": 0.003}, train={"epochs": 3, "batch_size": 100})
    (m0, r0, _), (m1, r1, _) = _queued_pair(exp, defer)
    assert m1.defer == defer and m0.defer == 0
    w0, w1 = m0.get_weights(), m1.get_weights()
    for k in w0:
        np.testing.assert_array_equal(w0[k], w1[k], err_msg=k)
    for a, b in zip(r0.history, r1.history):
        assert b["loss"] == pytest.approx(a["loss"], rel=1e-5)
        assert b["accuracy"] == a["accuracy"]
        assert b["val_loss"] == a["val_loss"]
    assert m1.iterations == m0.iterations == 3 * 13


def test_queued_steps_stop_at_the_first_non_finite_loss():
    """A learning rate that blows up: the queued run reports divergence at the same batch as the
    synchronised one, and keeps the same last finite weights (the steps queued after the bad one
    changed nothing)."""
    big = {"units": 64, "activation": "relu", "initializer": "random_normal", "init_scale": 5.0}
    exp = make_exp([big, big, {"units": 10, "activation": "softmax"}],
                   optimizer={"name": "sgd", "learning_rate": 500.0}, train={"epochs": 3, "batch_size": 32})
    (m0, r0, e0), (m1, r1, e1) = _queued_pair(exp, 16)
    d0 = [e for e in e0 if e.kind == "diverged"]
    d1 = [e for e in e1 if e.kind == "diverged"]
    assert r0.reason == r1.reason == "diverged" and len(d0) == len(d1) == 1
    assert (d1[0].epoch, d1[0].batch) == (d0[0].epoch, d0[0].batch)
    assert m1.weights_finite()
    w0, w1 = m0.get_weights(), m1.get_weights()
    for k in w0:
        np.testing.assert_array_equal(w0[k], w1[k], err_msg=k)


def test_queued_steps_can_be_stopped_and_report_progress():
    exp = make_exp([{"units": 16, "activation": "relu"}, {"units": 10, "activation": "softmax"}],
                   train={"epochs": 50, "batch_size": 16})
    ds = engine.load_data(exp.data)
    model = engine.build_model(exp, ds.n_features, backend="mlx", defer=8)
    control = engine.TrainingControl()
    seen = []

    def on_event(e):
        seen.append(e)
        if e.kind == "epoch_end" and e.epoch == 2:
            control.stop()

    result = engine.train(exp, data=ds, model=model, control=control, on_event=on_event, batch_event_interval=0.0)
    assert result.reason == "stopped" and result.metrics["epochs_run"] == 2
    batches = [e for e in seen if e.kind == "batch"]
    assert batches and all(0 < e.loss < 10 and 0 <= e.accuracy <= 1 for e in batches)
