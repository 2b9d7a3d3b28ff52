"""The model as pure MLX functions: forward pass, loss with penalties, accuracy. The formulas are
the NumPy backend's (engine/nn/activations.py, engine/nn/losses.py), keyed by the same registry names; here they are written once more in
MLX so that autodiff and mx.compile can work on them."""

from __future__ import annotations

from dataclasses import dataclass

import mlx.core as mx

from ...nn.losses import CLIP, fused
from ...spec import BatchNormSpec, DenseSpec, DropoutSpec


@dataclass(frozen=True)
class Plan:
    """What the pure functions need to know about the stack (no arrays)."""

    layers: tuple            # LayerSpec per index
    loss: str
    fused: bool

    @classmethod
    def of(cls, exp) -> "Plan":
        return cls(tuple(exp.model.layers), exp.model.loss, fused(exp.model.loss, exp.model.output.activation))


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

#: The activations by their registry names (engine/nn/activations.py has the formulas); a name
#: missing here is a KeyError, never a silent linear layer (tests check the key sets match).
ACTIVATIONS = {
    "linear": lambda z, slope: z,
    "relu": lambda z, slope: mx.maximum(z, 0.0),
    "leaky_relu": lambda z, slope: mx.maximum(z, slope * z),
    "sigmoid": lambda z, slope: mx.sigmoid(z),
    "tanh": lambda z, slope: mx.tanh(z),
    "softmax": lambda z, slope: mx.softmax(z, axis=-1),
    "elu": lambda z, slope: mx.where(z > 0, z, mx.expm1(mx.minimum(z, 0.0))),
    "selu": lambda z, slope: _SELU_SCALE * mx.where(z > 0, z, _SELU_ALPHA * mx.expm1(mx.minimum(z, 0.0))),
    "gelu": lambda z, slope: 0.5 * z * (1 + mx.erf(z * 0.7071067811865476)),
    "gelu_tanh": lambda z, slope: 0.5 * z * (1 + mx.tanh(0.7978845608028654 * (z + 0.044715 * z * z * z))),
    "swish": lambda z, slope: z * mx.sigmoid(z),
}


def activate(name: str, z, slope: float):
    return ACTIVATIONS[name](z, slope)


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


def _clipped(out):
    return mx.clip(out, CLIP, 1 - CLIP)


#: The losses on probabilities, by registry name (engine/nn/losses.py has the formulas).
LOSSES = {
    "mse": lambda out, t: mx.mean(mx.square(out - t)),
    "binary_crossentropy": lambda out, t: -mx.mean(t * mx.log(_clipped(out)) + (1 - t) * mx.log(1 - _clipped(out))),
    "categorical_crossentropy": lambda out, t: -mx.sum(t * mx.log(_clipped(out))) / out.shape[0],
    "sparse_categorical_crossentropy": lambda out, t: -mx.sum(t * mx.log(_clipped(out))) / out.shape[0],
}
#: The same on logits where the output activation is fused into the loss (stable, one pass).
FUSED_LOSSES = {
    "binary_crossentropy": lambda z, t: mx.mean(mx.maximum(z, 0) - z * t + mx.log1p(mx.exp(-mx.abs(z)))),
    "categorical_crossentropy": lambda z, t: -mx.sum(t * (z - mx.logsumexp(z, axis=1, keepdims=True))) / z.shape[0],
    "sparse_categorical_crossentropy":
        lambda z, t: -mx.sum(t * (z - mx.logsumexp(z, axis=1, keepdims=True))) / z.shape[0],
}


def data_loss(plan: Plan, out, logits, t, class_weights=None):
    """The loss of a batch, without penalties (targets as a matrix). With ``class_weights`` (an
    array, one per class), the mean of each sample's loss times its class's weight."""
    if class_weights is None:
        return FUSED_LOSSES[plan.loss](logits, t) if plan.fused else LOSSES[plan.loss](out, t)
    labels = (t[:, 0] > 0.5).astype(mx.uint32) if plan.loss == "binary_crossentropy" else mx.argmax(t, axis=1)
    return mx.mean(mx.take(class_weights, labels) * _per_row(plan, out, logits, t))


def _per_row(plan: Plan, out, logits, t):
    """Each sample's loss (the mean over outputs for binary cross-entropy and MSE)."""
    if plan.loss == "mse":
        return mx.mean(mx.square(out - t), axis=1)
    if plan.loss == "binary_crossentropy":
        if plan.fused:
            z = logits
            return mx.mean(mx.maximum(z, 0) - z * t + mx.log1p(mx.exp(-mx.abs(z))), axis=1)
        p = _clipped(out)
        return -mx.mean(t * mx.log(p) + (1 - t) * mx.log(1 - p), axis=1)
    if plan.fused:
        return -mx.sum(t * (logits - mx.logsumexp(logits, axis=1, keepdims=True)), axis=1)
    return -mx.sum(t * mx.log(_clipped(out)), axis=1)


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
