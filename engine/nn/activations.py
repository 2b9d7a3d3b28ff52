"""Activation functions and their derivatives (NumPy). Every derivative is written from the
activation's output ``a``, so a layer can apply its activation in place and still backpropagate."""

from __future__ import annotations

import numpy as np

from .. import names
from ..registry import Registry


class Activation:
    name = ""

    def forward(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, a: np.ndarray, da: np.ndarray) -> np.ndarray:
        """dL/dz from the output ``a`` and dL/da; overwrites and returns ``da``."""
        raise NotImplementedError


class Linear(Activation):
    name = "linear"

    def forward(self, z, out=None):
        if out is not None and out is not z:
            np.copyto(out, z)
            return out
        return z

    def backward(self, a, da):
        return da


class Sigmoid(Activation):
    """sigma(z) = 1 / (1 + e^-z), computed as (1 + tanh(z / 2)) / 2: no exponent can overflow."""

    name = "sigmoid"

    def forward(self, z, out=None):
        if out is None:
            out = np.empty_like(z)
        np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return out

    def backward(self, a, da):
        # sigma' = a (1 - a)
        da *= a
        da *= 1.0 - a
        return da


class Tanh(Activation):
    name = "tanh"

    def forward(self, z, out=None):
        return np.tanh(z, out=out if out is not None else np.empty_like(z))

    def backward(self, a, da):
        # tanh' = 1 - a^2
        da *= 1.0 - a * a
        return da


class ReLU(Activation):
    name = "relu"

    def __init__(self):
        self._zeros: dict[tuple, np.ndarray] = {}

    def forward(self, z, out=None):
        # Against an array of zeros: NumPy's maximum with a scalar 0 takes a slow, unvectorized path.
        zeros = self._zeros.get((z.shape, z.dtype))
        if zeros is None:
            zeros = self._zeros[(z.shape, z.dtype)] = np.zeros(z.shape, z.dtype)
        return np.maximum(z, zeros, out=out if out is not None else np.empty_like(z))

    def backward(self, a, da):
        # relu' = 1 where a > 0, else 0
        np.multiply(da, a > 0, out=da)
        return da


class LeakyReLU(Activation):
    """z for z > 0, slope * z otherwise (slope 0.01 unless the layer says otherwise): max(z, slope z)."""

    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = float(negative_slope)

    def forward(self, z, out=None):
        if out is None:
            out = np.empty_like(z)
        scaled = z * self.negative_slope
        return np.maximum(z, scaled, out=out)

    def backward(self, a, da):
        # leaky_relu' = 1 where a > 0, else slope: slope + (1 - slope) [a > 0]
        factor = np.multiply(a > 0, 1.0 - self.negative_slope, dtype=da.dtype)
        factor += self.negative_slope
        da *= factor
        return da


class Softmax(Activation):
    """softmax(z)_i = e^(z_i - max z) / sum_j e^(z_j - max z)."""

    name = "softmax"

    def forward(self, z, out=None):
        if out is None:
            out = np.empty_like(z)
        self.row_max = z.max(axis=1, keepdims=True)
        np.subtract(z, self.row_max, out=out)
        np.exp(out, out=out)
        self.row_sum = out.sum(axis=1, keepdims=True)
        out /= self.row_sum
        return out

    def log_sum_exp(self) -> np.ndarray:
        """log sum_j e^z_j of the last forward's rows, from the max and sum it already computed."""
        return np.log(self.row_sum) + self.row_max

    def backward(self, a, da):
        # Jacobian-vector product: dz = a * (da - sum(da * a))
        s = np.einsum("ij,ij->i", da, a)[:, None]
        da -= s
        da *= a
        return da


ACTIVATIONS: Registry[type[Activation]] = Registry.implementing(names.ACTIVATIONS)
ACTIVATIONS.add("linear", Linear)
ACTIVATIONS.add("sigmoid", Sigmoid)
ACTIVATIONS.add("tanh", Tanh)
ACTIVATIONS.add("relu", ReLU)
ACTIVATIONS.add("leaky_relu", LeakyReLU)
ACTIVATIONS.add("softmax", Softmax)


def make_activation(name: str, negative_slope: float = 0.01) -> Activation:
    cls = ACTIVATIONS.get(name)
    return cls(negative_slope) if cls is LeakyReLU else cls()
