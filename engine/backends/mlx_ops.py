"""The model as pure MLX functions: forward pass, loss with penalties, accuracy. The formulas are
the NumPy backend's (engine/activations.py, engine/losses.py); here they are written once more in
MLX so that autodiff and mx.compile can work on them."""

from __future__ import annotations

from dataclasses import dataclass

import mlx.core as mx

from ..losses import CLIP, fused
from ..spec import BatchNormSpec, DenseSpec, DropoutSpec


@dataclass(frozen=True)
class Plan:
    """What the pure functions need to know about the stack (no arrays)."""

    layers: tuple            # LayerSpec per index
    loss: str
    fused: bool

    @classmethod
    def of(cls, exp) -> "Plan":
        return cls(tuple(exp.model.layers), exp.model.loss, fused(exp.model.loss, exp.model.output.activation))


def activate(name: str, z, slope: float):
    if name == "relu":
        return mx.maximum(z, 0.0)
    if name == "leaky_relu":
        return mx.maximum(z, slope * z)
    if name == "sigmoid":
        return mx.sigmoid(z)
    if name == "tanh":
        return mx.tanh(z)
    if name == "softmax":
        return mx.softmax(z, axis=-1)
    return z


def param(i: int, name: str, trainable: dict, frozen: dict):
    key = f"{i}.{name}"
    return trainable[key] if key in trainable else frozen[key]


def forward(plan: Plan, trainable: dict, frozen: dict, stats: dict, x, training: bool, key=None):
    """(outputs, logits, new batch-norm statistics). Dropout draws from ``key`` when training."""
    new_stats = {}
    a, z = x, x
    for i, layer in enumerate(plan.layers):
        if isinstance(layer, DenseSpec):
            z = a @ param(i, "kernel", trainable, frozen) + param(i, "bias", trainable, frozen)
            a = activate(layer.activation, z, layer.negative_slope)
        elif isinstance(layer, DropoutSpec):
            if training and layer.rate > 0:
                key, sub = mx.random.split(key)
                keep = mx.random.bernoulli(1.0 - layer.rate, a.shape, key=sub)
                a = a * keep.astype(a.dtype) / (1.0 - layer.rate)
        elif isinstance(layer, BatchNormSpec):
            gamma, beta = param(i, "gamma", trainable, frozen), param(i, "beta", trainable, frozen)
            if training and layer.trainable:
                mean, var = mx.mean(a, axis=0), mx.var(a, axis=0)
                m = layer.momentum
                new_stats[f"{i}.moving_mean"] = m * stats[f"{i}.moving_mean"] + (1 - m) * mean
                new_stats[f"{i}.moving_variance"] = m * stats[f"{i}.moving_variance"] + (1 - m) * var
            else:
                mean, var = stats[f"{i}.moving_mean"], stats[f"{i}.moving_variance"]
            a = gamma * (a - mean) * mx.rsqrt(var + layer.epsilon) + beta
    return a, z, new_stats


def data_loss(plan: Plan, out, logits, t):
    """The loss of a batch, without penalties (see engine/losses.py for the formulas)."""
    loss = plan.loss
    if plan.fused and loss == "binary_crossentropy":
        z = logits
        return mx.mean(mx.maximum(z, 0) - z * t + mx.log1p(mx.exp(-mx.abs(z))))
    if plan.fused:
        lse = mx.logsumexp(logits, axis=1, keepdims=True)
        return -mx.sum(t * (logits - lse)) / logits.shape[0]
    if loss == "mse":
        return mx.mean(mx.square(out - t))
    p = mx.clip(out, CLIP, 1 - CLIP)
    if loss == "binary_crossentropy":
        return -mx.mean(t * mx.log(p) + (1 - t) * mx.log(1 - p))
    return -mx.sum(t * mx.log(p)) / out.shape[0]


def penalty(plan: Plan, trainable: dict, frozen: dict):
    total = mx.array(0.0)
    for i, layer in enumerate(plan.layers):
        if isinstance(layer, DenseSpec) and (layer.l1 or layer.l2):
            w = param(i, "kernel", trainable, frozen)
            if layer.l1:
                total = total + layer.l1 * mx.sum(mx.abs(w))
            if layer.l2:
                total = total + layer.l2 * mx.sum(mx.square(w))
    return total


def correct(plan: Plan, out, t):
    """Right predictions in the batch (targets as a matrix: argmax, or > 0.5 for one sigmoid unit)."""
    if plan.loss == "binary_crossentropy":
        return mx.sum((out[:, 0] > 0.5) == (t[:, 0] > 0.5))
    return mx.sum(mx.argmax(out, axis=1) == mx.argmax(t, axis=1))
