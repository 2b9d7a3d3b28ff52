"""The optimizers of engine/optimizers.py (Keras's rules, whose formulas are written there) as
pure MLX functions over dicts of arrays, so that the whole training step compiles."""

from __future__ import annotations

import mlx.core as mx


def init_state(name: str, settings: dict, params: dict) -> dict:
    zeros = {k: mx.zeros_like(v) for k, v in params.items()}
    if name == "sgd":
        return {"v": zeros} if settings["momentum"] else {}
    if name == "adagrad":
        return {"a": {k: mx.full(v.shape, settings["initial_accumulator_value"], v.dtype) for k, v in params.items()}}
    if name == "rmsprop":
        state = {"v": zeros}
        if settings["momentum"]:
            state["m"] = {k: mx.zeros_like(v) for k, v in params.items()}
        return state
    if name in ("adam", "adamax"):
        return {"m": zeros, "u" if name == "adamax" else "v": {k: mx.zeros_like(v) for k, v in params.items()}}
    raise ValueError(f"unknown optimizer {name!r}")


def update(name: str, settings: dict, params: dict, grads: dict, state: dict, lr, t):
    """(new params, new state) after one step at rate ``lr``; ``t`` is the step number (1-based),
    an array so that a compiled step never sees a new constant."""
    new_p, new_s = {}, {k: {} for k in state}
    for k, w in params.items():
        g = grads[k]
        if name == "sgd":
            mu = settings["momentum"]
            if not mu:
                new_p[k] = w - lr * g
                continue
            v = mu * state["v"][k] - lr * g
            new_s["v"][k] = v
            new_p[k] = w + (mu * v - lr * g if settings["nesterov"] else v)
        elif name == "adagrad":
            a = state["a"][k] + g * g
            new_s["a"][k] = a
            new_p[k] = w - lr * g / mx.sqrt(a + settings["epsilon"])
        elif name == "rmsprop":
            rho, mu = settings["rho"], settings["momentum"]
            v = rho * state["v"][k] + (1 - rho) * g * g
            new_s["v"][k] = v
            step = lr * g / mx.sqrt(v + settings["epsilon"])
            if mu:
                m = mu * state["m"][k] + step
                new_s["m"][k] = m
                new_p[k] = w - m
            else:
                new_p[k] = w - step
        elif name == "adam":
            b1, b2 = settings["beta_1"], settings["beta_2"]
            m = state["m"][k] + (1 - b1) * (g - state["m"][k])
            v = state["v"][k] + (1 - b2) * (g * g - state["v"][k])
            new_s["m"][k], new_s["v"][k] = m, v
            alpha = lr * mx.sqrt(1 - mx.power(b2, t)) / (1 - mx.power(b1, t))
            new_p[k] = w - alpha * m / (mx.sqrt(v) + settings["epsilon"])
        elif name == "adamax":
            b1, b2 = settings["beta_1"], settings["beta_2"]
            m = b1 * state["m"][k] + (1 - b1) * g
            u = mx.maximum(b2 * state["u"][k], mx.abs(g))
            new_s["m"][k], new_s["u"][k] = m, u
            new_p[k] = w - lr / (1 - mx.power(b1, t)) * m / (u + settings["epsilon"])
    return new_p, new_s
