"""The optimizers of engine/nn/optimizers.py (Keras's rules, whose formulas are written there) as
pure MLX functions over dicts of arrays, so that the whole training step compiles. Keyed by the
registry's names: an optimizer missing here is a KeyError (tests check the key sets match)."""

from __future__ import annotations

import mlx.core as mx


def _zeros(params):
    return {k: mx.zeros_like(v) for k, v in params.items()}


#: name -> the state a run starts from
INIT = {
    "sgd": lambda s, params: {"v": _zeros(params)} if s["momentum"] else {},
    "adagrad": lambda s, params: {"a": {k: mx.full(v.shape, s["initial_accumulator_value"], v.dtype)
                                        for k, v in params.items()}},
    "rmsprop": lambda s, params: {"v": _zeros(params), **({"m": _zeros(params)} if s["momentum"] else {})},
    "adam": lambda s, params: {"m": _zeros(params), "v": _zeros(params)},
    "adamax": lambda s, params: {"m": _zeros(params), "u": _zeros(params)},
    "adamw": lambda s, params: {"m": _zeros(params), "v": _zeros(params)},
    "nadam": lambda s, params: {"m": _zeros(params), "v": _zeros(params), "p": {"product": mx.array(1.0)}},
}


def _sgd(s, k, w, g, state, new, lr, t):
    mu = s["momentum"]
    if not mu:
        return w - lr * g
    v = new["v"][k] = mu * state["v"][k] - lr * g
    return w + (mu * v - lr * g if s["nesterov"] else v)


def _adagrad(s, k, w, g, state, new, lr, t):
    a = new["a"][k] = state["a"][k] + g * g
    return w - lr * g / mx.sqrt(a + s["epsilon"])


def _rmsprop(s, k, w, g, state, new, lr, t):
    v = new["v"][k] = s["rho"] * state["v"][k] + (1 - s["rho"]) * g * g
    step = lr * g / mx.sqrt(v + s["epsilon"])
    if not s["momentum"]:
        return w - step
    m = new["m"][k] = s["momentum"] * state["m"][k] + step
    return w - m


def _adam(s, k, w, g, state, new, lr, t):
    b1, b2 = s["beta_1"], s["beta_2"]
    m = new["m"][k] = state["m"][k] + (1 - b1) * (g - state["m"][k])
    v = new["v"][k] = state["v"][k] + (1 - b2) * (g * g - state["v"][k])
    alpha = lr * mx.sqrt(1 - mx.power(b2, t)) / (1 - mx.power(b1, t))
    return w - alpha * m / (mx.sqrt(v) + s["epsilon"])


def _adamax(s, k, w, g, state, new, lr, t):
    b1, b2 = s["beta_1"], s["beta_2"]
    m = new["m"][k] = b1 * state["m"][k] + (1 - b1) * g
    u = new["u"][k] = mx.maximum(b2 * state["u"][k], mx.abs(g))
    return w - lr / (1 - mx.power(b1, t)) * m / (u + s["epsilon"])


def _nadam(s, k, w, g, state, new, lr, t):
    b1, b2 = s["beta_1"], s["beta_2"]
    u_t, u_next = b1 * (1 - 0.5 * mx.power(0.96, t)), b1 * (1 - 0.5 * mx.power(0.96, t + 1))
    product = new["p"]["product"]                 # P_t, set once for the step by update()
    m = new["m"][k] = state["m"][k] + (1 - b1) * (g - state["m"][k])
    v = new["v"][k] = state["v"][k] + (1 - b2) * (g * g - state["v"][k])
    m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * g / (1 - product)
    v_hat = v / (1 - mx.power(b2, t))
    return w - lr * m_hat / (mx.sqrt(v_hat) + s["epsilon"])


#: name -> one parameter's step: (settings, key, weight, gradient, state, new state, lr, t) -> new weight
STEPS = {"sgd": _sgd, "adagrad": _adagrad, "rmsprop": _rmsprop, "adam": _adam, "adamax": _adamax,
         "adamw": _adam, "nadam": _nadam}


def clip(settings: dict, grads: dict) -> dict:
    """Keras's clipping: each tensor to norm clipnorm, or all together to global_clipnorm
    (g c / max(norm, c)); then each value into [-clipvalue, clipvalue]."""
    c = settings.get("clipnorm") or 0.0
    if c:
        grads = {k: g * c / mx.maximum(mx.sqrt(mx.sum(g * g)), c) for k, g in grads.items()}
    elif settings.get("global_clipnorm"):
        c = settings["global_clipnorm"]
        norm = mx.sqrt(sum(mx.sum(g * g) for g in grads.values()))
        grads = {k: g * c / mx.maximum(norm, c) for k, g in grads.items()}
    if settings.get("clipvalue"):
        v = settings["clipvalue"]
        grads = {k: mx.clip(g, -v, v) for k, g in grads.items()}
    return grads


def init_state(name: str, settings: dict, params: dict) -> dict:
    return INIT[name](settings, params)


def update(name: str, settings: dict, params: dict, grads: dict, state: dict, lr, t):
    """(new params, new state) after one step at rate ``lr``; ``t`` is the step number (1-based),
    an array so that a compiled step never sees a new constant."""
    step = STEPS[name]
    grads = clip(settings, grads)
    if settings.get("weight_decay"):      # decoupled, before the update, as Keras applies it
        params = {k: w - w * (settings["weight_decay"] * lr) for k, w in params.items()}
    new_s = {k: {} for k in state}
    if name == "nadam":                   # the momentum schedule's running product, once a step
        b1 = settings["beta_1"]
        new_s["p"]["product"] = state["p"]["product"] * b1 * (1 - 0.5 * mx.power(0.96, t))
    new_p = {k: step(settings, k, w, grads[k], state, new_s, lr, t) for k, w in params.items()}
    return new_p, new_s
