"""Per-layer statistics (engine.inspection), each checked against a figure computed independently:
weights built so the answer is known, or the model's own gradients from separate calls."""

from __future__ import annotations

import json

import numpy as np
import pytest

import engine
from engine.inspection import BINS, Inspector

from .conftest import make_exp


def _inspects(exp, **kw):
    events = []
    result = engine.train(exp, on_event=events.append, backend="numpy", **kw)
    return result, [e for e in events if e.kind == "inspect"]


def test_inspecting_changes_nothing_in_training():
    """Dropout draws, batch-norm statistics and the optimizer are the training model's own: the
    probe is a separate model, so a run with inspection has the same history and weights."""
    exp = make_exp([{"units": 32, "activation": "relu", "initializer": "he_normal"}, {"type": "batch_norm"},
                    {"type": "dropout", "rate": 0.3}, {"units": 10, "activation": "softmax"}],
                   optimizer={"name": "adam", "learning_rate": 0.01},
                   train={"epochs": 3, "batch_size": 64, "threads": 1})     # bit for bit: the thread count held
    plain = engine.train(exp, backend="numpy")
    inspected, events = _inspects(exp, inspect=True)
    assert [e.epoch for e in events] == [0, 1, 2, 3]
    assert plain.history == [{**r, "seconds": p["seconds"]} for r, p in zip(inspected.history, plain.history)]
    for k, v in plain.model.get_weights().items():
        np.testing.assert_array_equal(v, inspected.model.get_weights()[k], err_msg=k)


def test_only_when_asked_and_from_the_experiment():
    exp = make_exp([{"units": 8}, {"units": 10, "activation": "softmax"}], train={"epochs": 1, "batch_size": 64})
    assert _inspects(exp)[1] == []
    turned_on = engine.Experiment.from_toml_string(exp.to_toml_string().replace("[train]\n", "[train]\ninspect = true\n"))
    assert turned_on.train.inspect
    assert len(_inspects(turned_on)[1]) == 2
    assert _inspects(turned_on, inspect=False)[1] == []


def test_dead_and_saturated_units_from_weights_built_for_it():
    exp = make_exp([{"units": 8, "activation": "relu"}, {"units": 6, "activation": "tanh"},
                    {"units": 4, "activation": "sigmoid"}, {"units": 10, "activation": "softmax"}])
    data = engine.load_data(exp.data)
    model = engine.build_model(exp, data.n_features, backend="numpy")
    w = model.get_weights()
    w["0.bias"][:3] = -1e4                     # three ReLU units can never be positive
    w["1.kernel"][:] = 0
    w["1.bias"][:] = [50, -50, 0, 0, 0, 0]     # two tanh units at +-1, four at 0
    w["2.kernel"][:] = 0
    w["2.bias"][:] = [30, 0, 0, 0]             # one sigmoid unit at 1
    model.set_weights(w)
    stats = Inspector(exp, data).measure(model, 0).layers
    assert stats[0]["dead"] == 3 / 8 and stats[0]["saturated"] is None
    assert stats[1]["saturated"] == pytest.approx(2 / 6) and stats[1]["dead"] is None
    assert stats[2]["saturated"] == pytest.approx(1 / 4)
    assert stats[1]["distinct_units"] == 1 and stats[0]["distinct_units"] == 8   # tanh kernel all zeros
    assert stats[3]["dead"] is None and stats[3]["saturated"] is None and stats[3]["output"]
    for s in stats:
        assert sum(s["weights"]["counts"]) == s["units"] * (64 if s["layer"] == 0 else stats[s["layer"] - 1]["units"])
        assert sum(s["activations"]["counts"]) == s["units"] * 512 and len(s["activations"]["counts"]) == BINS


def test_gradient_norm_and_update_ratio_against_separate_calls():
    """One full-batch SGD step per epoch: the update is lr * gradient, so the ratio the trainer
    measures must equal lr * |g| / |W| with g from loss_and_gradients on the same data."""
    lr = 0.05
    exp = make_exp([{"units": 16, "activation": "tanh"}, {"units": 10, "activation": "softmax"}],
                   data={"name": "digits", "validation_split": 0.0, "test_split": 0.5},
                   optimizer={"name": "sgd", "learning_rate": lr}, train={"epochs": 1, "batch_size": 10_000})
    data = engine.load_data(exp.data)
    reference = engine.build_model(exp, data.n_features, backend="numpy")
    w0 = reference.get_weights()
    _, grads = reference.loss_and_gradients(data.x_train, data.y_train)
    _, events = _inspects(exp, data=data, inspect=True)
    for layer in events[1].layers:
        k = f"{layer['layer']}.kernel"
        assert layer["update_ratio"] == pytest.approx(lr * np.linalg.norm(grads[k]) / np.linalg.norm(w0[k]), rel=1e-4)
    assert events[0].layers[0]["update_ratio"] is None
    # the probe batch is 512 training rows: its gradient norm comes from loss_and_gradients on them
    probe = Inspector(exp, data)
    _, g = reference.loss_and_gradients(probe.x, probe.y)
    assert events[0].layers[0]["grad_norm"] == pytest.approx(float(np.linalg.norm(g["0.kernel"])), rel=1e-5)
    assert events[0].layers[0]["weight_norm"] == pytest.approx(float(np.linalg.norm(w0["0.kernel"])), rel=1e-6)


def test_events_are_json_and_reach_the_run_folder(tmp_path):
    from engine.reports.recorder import RunRecorder

    exp = make_exp([{"units": 8, "activation": "sigmoid"}, {"units": 10, "activation": "softmax"}],
                   train={"epochs": 2, "batch_size": 64, "inspect": True})
    data = engine.load_data(exp.data)
    model = engine.build_model(exp, data.n_features, backend="numpy")
    recorder = RunRecorder(tmp_path, exp, data, model)
    result = engine.train(exp, on_event=recorder, data=data, model=model)
    recorder.finish(result.metrics)
    lines = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    inspected = [x for x in lines if x["event"] == "inspect"]        # DESIGN.md: every event is there
    assert [x["epoch"] for x in inspected] == [0, 1, 2]
    assert inspected[2]["layers"][0]["name"] == "dense 0" and inspected[2]["layers"][0]["saturated"] is not None
    for name in ("gradients.svg", "updates.svg", "histograms.svg"):
        assert (tmp_path / name).read_text().startswith("<svg"), name
    report = (tmp_path / "report.md").read_text()
    assert "## Inside the network" in report and "gradients.svg" in report


def test_mlx_run_is_inspected_the_same_way():
    pytest.importorskip("mlx.core", reason="MLX is not installed (pip install 'mlx[cpu]' on Linux)")
    exp = make_exp([{"units": 16, "activation": "relu", "initializer": "he_normal"}, {"units": 10, "activation": "softmax"}],
                   optimizer={"name": "adam", "learning_rate": 0.01}, train={"epochs": 1, "batch_size": 64})
    stats = {}
    for backend in ("numpy", "mlx"):
        events = []
        engine.train(exp, on_event=events.append, backend=backend, inspect=True)
        stats[backend] = [e for e in events if e.kind == "inspect"]
    for a, b in zip(stats["numpy"], stats["mlx"]):
        for la, lb in zip(a.layers, b.layers):
            assert lb["grad_norm"] == pytest.approx(la["grad_norm"], rel=1e-3)
            assert lb["dead"] == la["dead"]
