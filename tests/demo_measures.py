"""What each demonstration preset is meant to show, measured: run as a script in a fresh process
(``python tests/demo_measures.py SEED [SEED ...]``) so that the BLAS thread count the test sets
(OPENBLAS_NUM_THREADS) is the one the run uses; prints one JSON object of figures per demo and
seed. tests/test_demonstrations.py asserts the phenomena on these figures."""

from __future__ import annotations

import json
import sys

import numpy as np

import engine
from engine.presets import load_preset
from engine.spec import with_overrides


def run(exp, seed, **kw):
    events = []
    result = engine.train(with_overrides(exp, seed=seed), on_event=events.append, backend="numpy", **kw)
    return result, [e for e in events if e.kind == "inspect"]


def grad_ratio(inspected) -> float:
    """First dense layer's gradient norm over the last's."""
    layers = inspected.layers
    return layers[0]["grad_norm"] / layers[-1]["grad_norm"]


def zero_initialization(seed):
    result, inspected = run(load_preset("zero-initialization"), seed)
    w = result.model.get_weights()
    spread = []
    for k in ("0.kernel", "1.kernel"):
        kernel = w[k]
        spread.append(float(np.abs(kernel - kernel[:, :1]).max() / np.abs(kernel).max()))
    random = load_preset("zero-initialization").to_dict()
    for layer in random["model"]["layers"]:
        layer["initializer"] = "glorot_uniform"
    other, other_inspected = run(engine.Experiment.from_dict(random), seed)
    return {"trained": float(np.abs(w["0.kernel"]).max()), "column_spread": max(spread),
            "distinct": [lay["distinct_units"] for lay in inspected[-1].layers[:2]],
            "random_distinct": [lay["distinct_units"] for lay in other_inspected[-1].layers[:2]],
            "accuracy": result.metrics["test_accuracy"], "random_accuracy": other.metrics["test_accuracy"]}


def vanishing_gradients(seed):
    sigmoid, s_inspected = run(load_preset("vanishing-gradients"), seed)
    relu, r_inspected = run(load_preset("vanishing-gradients-relu"), seed)
    return {"sigmoid_ratio_max": max(grad_ratio(e) for e in s_inspected),
            "relu_ratio_min": min(grad_ratio(e) for e in r_inspected),
            "relu_ratio_max": max(grad_ratio(e) for e in r_inspected),
            "sigmoid_accuracy": sigmoid.metrics["test_accuracy"], "relu_accuracy": relu.metrics["test_accuracy"]}


def exploding_gradients(seed):
    exp = load_preset("exploding-gradients")
    result, inspected = run(exp, seed)
    he = exp.to_dict()
    for layer in he["model"]["layers"][:-1]:
        layer.pop("init_scale")
        layer["initializer"] = "he_normal"
    _, he_inspected = run(with_overrides(engine.Experiment.from_dict(he), epochs=1), seed)
    return {"grad_factor_min": min(big["grad_norm"] / sane["grad_norm"]
                                   for big, sane in zip(inspected[0].layers, he_inspected[0].layers)),
            "reason": result.reason}


def dying_relu(seed):
    result, inspected = run(load_preset("dying-relu"), seed)
    calm = load_preset("dying-relu").to_dict()
    calm["optimizer"]["learning_rate"] = 0.001
    calm_result, calm_inspected = run(engine.Experiment.from_dict(calm), seed)
    return {"dead_at_start": inspected[0].layers[0]["dead"],
            "dead_at_end_min": min(lay["dead"] for lay in inspected[-1].layers[:-1]),
            "calm_dead_max": max(lay["dead"] for lay in calm_inspected[-1].layers[:-1]),
            "accuracy": result.metrics["test_accuracy"], "calm_accuracy": calm_result.metrics["test_accuracy"]}


def overfitting(seed):
    plain, _ = run(load_preset("overfitting"), seed)
    val = [r["val_loss"] for r in plain.history]
    out = {"epochs": len(val), "best_index": int(np.argmin(val)), "best": min(val), "last": val[-1],
           "train_last": plain.history[-1]["loss"]}
    for name in ("overfitting-dropout", "overfitting-l2"):
        reg, _ = run(load_preset(name), seed)
        out[name] = reg.history[-1]["val_loss"]
    return out


def spiral(seed):
    out = {}
    for name in ("spiral-relu", "spiral-tanh"):
        result, _ = run(load_preset(name), seed)
        fractions = []
        for angle in (0.3, 1.1, 2.0):
            t = np.linspace(-2, 2, 401)
            x = (t[:, None] * np.array([np.cos(angle), np.sin(angle)])[None, :]).astype(np.float32)
            p = result.model.predict(x).astype(np.float64)
            f = np.log(p[:, 1]) - np.log(p[:, 0])
            d2 = np.abs(f[2:] - 2 * f[1:-1] + f[:-2])
            fractions.append(np.mean(d2 > 1e-4 * (1 + np.abs(f[1:-1]))))
        out[name] = {"accuracy": result.metrics["test_accuracy"], "curved": float(np.mean(fractions)),
                     "seconds": result.metrics["seconds"]}
    return out


def overconfidence(seed):
    out = {}
    for name in ("overconfidence", "overconfidence-smoothing"):
        result, _ = run(load_preset(name), seed)
        c = result.evaluation.calibration
        out[name] = {"gap": c["mean_confidence"] - c["accuracy"], "ece": c["ece"], "accuracy": c["accuracy"]}
    return out


def activation_spread(seed):
    out = {}
    for name in ("activation-spread", "activation-spread-batchnorm"):
        _, inspected = run(load_preset(name), seed)
        hidden = [layer["act_std"] for layer in inspected[0].layers if not layer["output"]]   # epoch 0
        out[name] = {"first": hidden[0], "last": hidden[-1], "ratio": hidden[-1] / hidden[0]}
    return out


def zigzag(seed):
    out = {}
    for name in ("zigzag", "zigzag-standardized"):
        result, _ = run(load_preset(name), seed)
        loss = np.array([r["loss"] for r in result.history])
        out[name] = {"rises": float(np.mean(loss[2:] > 1.05 * loss[1:-1])),
                     "val_loss": result.history[-1]["val_loss"], "val_loss_3": result.history[2]["val_loss"]}
    return out


MEASURES = {f.__name__: f for f in (zero_initialization, vanishing_gradients, exploding_gradients, dying_relu,
                                    overfitting, spiral, overconfidence, activation_spread, zigzag)}

if __name__ == "__main__":
    names = [a for a in sys.argv[1:] if not a.isdigit()] or list(MEASURES)
    seeds = [int(a) for a in sys.argv[1:] if a.isdigit()] or [0]
    with np.errstate(all="ignore"):
        figures = {name: {str(s): MEASURES[name](s) for s in seeds} for name in names}
    print(json.dumps(figures))
