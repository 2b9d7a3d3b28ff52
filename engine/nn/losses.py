"""Losses (NumPy): value and gradient. Softmax with categorical cross-entropy and sigmoid with
binary cross-entropy are fused and computed from the logits with log-sum-exp, so they stay
finite at |z| = 1000; any other pairing goes through the activation's own derivative."""

from __future__ import annotations

import numpy as np

from .. import names
from ..registry import Registry

LOSSES: Registry[str] = Registry.implementing(names.LOSSES)   # the fused and plain formulas key on the name
for _name in names.LOSSES.names():
    LOSSES.add(_name, _name)

CLASSIFICATION = {"sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy"}
CLIP = 1e-7  # probabilities are clipped to [CLIP, 1 - CLIP] where no logits are available (Keras's epsilon)


def target_matrix(y: np.ndarray, loss: str, n_out: int, smoothing: float, dtype) -> np.ndarray:
    """Targets as a (batch, n_out) matrix: integer labels become one-hot, then label smoothing
    y = (1 - a) y + a / k is applied (k = classes; 2 for a single sigmoid unit)."""
    y = np.asarray(y)
    if loss == "mse":
        t = y.reshape(len(y), -1).astype(dtype, copy=False)
        if t.shape[1] != n_out and y.ndim == 1 and n_out > 1:  # class labels regressed one-hot
            t = np.eye(n_out, dtype=dtype)[y.astype(np.int64)]
        return t
    if loss == "binary_crossentropy":
        t = y.reshape(len(y), -1).astype(dtype, copy=False)
        k = 2
    elif y.ndim == 1:
        t = np.zeros((len(y), n_out), dtype=dtype)
        t[np.arange(len(y)), y.astype(np.int64)] = 1
        k = n_out
    else:
        t = y.astype(dtype, copy=False)
        k = n_out
    if smoothing:
        t = t * (1 - smoothing) + smoothing / k
    return t.astype(dtype, copy=False)


def fused(loss: str, activation: str) -> bool:
    return (activation == "softmax" and loss in ("sparse_categorical_crossentropy", "categorical_crossentropy")) or (
        activation == "sigmoid" and loss == "binary_crossentropy")


def loss_from_logits(loss: str, z: np.ndarray, t: np.ndarray, a: np.ndarray, dz: np.ndarray | None,
                     lse: np.ndarray | None = None) -> float:
    """Fused loss from logits ``z`` and activated outputs ``a``; writes dL/dz into ``dz`` if given.
    Cross-entropy: L = -mean_i sum_k t_ik (z_ik - logsumexp(z_i)),  dL/dz = (softmax(z) - t) / B.
    Binary:        L = mean(max(z, 0) - z t + log(1 + e^-|z|)),     dL/dz = (sigmoid(z) - t) / (B k)."""
    b = z.shape[0]
    if loss == "binary_crossentropy":
        value = float(np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))))
        if dz is not None:
            np.subtract(a, t, out=dz)
            dz *= 1.0 / z.size
        return value
    if lse is None:  # the softmax forward usually hands it over
        m = z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z - m).sum(axis=1, keepdims=True)) + m
    # sum_k t_k (z_k - lse) = t.z - lse sum_k t_k
    value = float((np.einsum("ij,ij->", t, z) - np.einsum("ij,i->", t, lse[:, 0])) / -b)
    if dz is not None:
        # (p - t) assumes each target row sums to one, as one-hot and smoothed targets do.
        np.subtract(a, t, out=dz)
        dz *= 1.0 / b
    return value


def loss_from_outputs(loss: str, a: np.ndarray, t: np.ndarray, da: np.ndarray | None) -> float:
    """Loss from outputs ``a`` (probabilities or values); writes dL/da into ``da`` if given.
    Cross-entropy on clipped p: L = -mean_i sum_k t log p.  Binary: L = -mean(t log p + (1-t) log(1-p)).
    MSE: L = mean((a - t)^2) over batch and outputs."""
    n = a.size
    b = a.shape[0]
    if loss == "mse":
        diff = a - t
        if da is not None:
            np.multiply(diff, 2.0 / n, out=da)
        return float(np.mean(diff * diff))
    p = np.clip(a, CLIP, 1 - CLIP)
    inside = (a > CLIP) & (a < 1 - CLIP)
    if loss == "binary_crossentropy":
        value = float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))
        if da is not None:
            np.multiply((p - t) / (p * (1 - p)) / n, inside, out=da)
        return value
    value = float(-np.sum(t * np.log(p)) / b)
    if da is not None:
        np.multiply(-t / p / b, inside, out=da)
    return value


def per_row(loss: str, fused: bool, z: np.ndarray, a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Each sample's loss, as Keras computes it before weighing the samples (the mean over the
    outputs for binary cross-entropy and MSE): their mean is the batch's loss."""
    if loss == "mse":
        return np.mean((a - t) ** 2, axis=1)
    if loss == "binary_crossentropy":
        if fused:
            return np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))), axis=1)
        p = np.clip(a, CLIP, 1 - CLIP)
        return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p), axis=1)
    if fused:
        m = z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z - m).sum(axis=1, keepdims=True)) + m
        return -np.sum(t * (z - lse), axis=1)
    return -np.sum(t * np.log(np.clip(a, CLIP, 1 - CLIP)), axis=1)


def labels_of(loss: str, y: np.ndarray) -> np.ndarray:
    """The class index of each sample: the label, the one-hot row's argmax, or the 0/1 target."""
    y = np.asarray(y)
    if y.ndim == 1:
        return y.astype(np.int64)
    if loss == "binary_crossentropy":
        return (y[:, 0] > 0.5).astype(np.int64)
    return np.argmax(y, axis=1)


def correct_count(loss: str, a: np.ndarray, y: np.ndarray) -> int:
    """How many predictions are right: argmax against the label, or p > 0.5 for one sigmoid unit."""
    if loss == "binary_crossentropy":
        return int(np.sum((a.reshape(len(a), -1)[:, 0] > 0.5) == (np.asarray(y).reshape(len(a), -1)[:, 0] > 0.5)))
    labels = y if np.asarray(y).ndim == 1 else np.argmax(y, axis=1)
    return int(np.sum(np.argmax(a, axis=1) == labels))
