"""Activation functions and their derivatives (NumPy). A derivative is written from the
activation's output ``a`` where the output determines it (so a layer can apply its activation in
place, and ReLU models keep no second array); GELU and swish need the input ``z`` too
(``needs_z``), which the layer then keeps."""

from __future__ import annotations

import numpy as np

from .. import names
from ..registry import Registry


class Activation:
    name = ""
    #: the derivative needs the input z, not only the output (the layer keeps z beside a)
    needs_z = False

    def forward(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, a: np.ndarray, da: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        """dL/dz from the output ``a`` (and the input ``z`` where ``needs_z``) and dL/da;
        overwrites and returns ``da``."""
        raise NotImplementedError


class Linear(Activation):
    name = "linear"

    def forward(self, z, out=None):
        if out is not None and out is not z:
            np.copyto(out, z)
            return out
        return z

    def backward(self, a, da, z=None):
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

    def backward(self, a, da, z=None):
        # sigma' = a (1 - a)
        da *= a
        da *= 1.0 - a
        return da


class Tanh(Activation):
    name = "tanh"

    def forward(self, z, out=None):
        return np.tanh(z, out=out if out is not None else np.empty_like(z))

    def backward(self, a, da, z=None):
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

    def backward(self, a, da, z=None):
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

    def backward(self, a, da, z=None):
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

    def backward(self, a, da, z=None):
        # Jacobian-vector product: dz = a * (da - sum(da * a))
        s = np.einsum("ij,ij->i", da, a)[:, None]
        da -= s
        da *= a
        return da


class ELU(Activation):
    """z for z > 0, alpha (e^z - 1) otherwise, alpha = 1 (Keras's default). For z <= 0 the
    derivative alpha e^z is a + alpha, so it comes from the output."""

    name = "elu"
    alpha = 1.0
    scale = 1.0

    def forward(self, z, out=None):
        if out is None:
            out = np.empty_like(z)
        neg = np.minimum(z, 0)
        np.expm1(neg, out=neg)
        neg *= self.scale * self.alpha
        np.maximum(z, 0, out=out)
        if self.scale != 1.0:
            out *= self.scale
        out += neg
        return out

    def backward(self, a, da, z=None):
        # scale where a > 0, else a + scale alpha (the output of the negative branch plus its constant)
        factor = np.where(a > 0, da.dtype.type(self.scale), a + da.dtype.type(self.scale * self.alpha))
        da *= factor
        return da


class SELU(ELU):
    """scale * elu_alpha(z) with Klambauer et al.'s constants (scale 1.0507..., alpha 1.6732...):
    self-normalising with lecun_normal weights and no other regularisation."""

    name = "selu"
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946


# erf by Abramowitz and Stegun 7.1.26 (error under 1.5e-7, below float32's resolution at 1),
# odd-extended: NumPy has no erf, and SciPy is not worth a dependency for one function.
_P = 0.3275911
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def erf(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    t = 1.0 / (1.0 + _P * ax)
    poly = t * (_A[0] + t * (_A[1] + t * (_A[2] + t * (_A[3] + t * _A[4]))))
    return np.copysign(1.0 - poly * np.exp(-ax * ax), x).astype(x.dtype, copy=False)


_SQRT_HALF = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_SQRT_2_OVER_PI = 0.7978845608028654


class GELU(Activation):
    """z Phi(z) = z (1 + erf(z / sqrt 2)) / 2 (Keras's gelu, approximate=False); the derivative
    Phi(z) + z phi(z) needs z."""

    name = "gelu"
    needs_z = True

    def forward(self, z, out=None):
        if out is None:
            out = np.empty_like(z)
        cdf = erf(z * z.dtype.type(_SQRT_HALF))
        cdf += 1
        cdf *= 0.5
        return np.multiply(z, cdf, out=out)

    def backward(self, a, da, z=None):
        cdf = erf(z * z.dtype.type(_SQRT_HALF))
        cdf += 1
        cdf *= 0.5
        pdf = np.exp(-0.5 * z * z) * z.dtype.type(_INV_SQRT_2PI)
        pdf *= z
        pdf += cdf
        da *= pdf
        return da


class GELUTanh(Activation):
    """z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))) / 2 (Keras's gelu, approximate=True)."""

    name = "gelu_tanh"
    needs_z = True
    C = 0.044715

    def _inner(self, z):
        return np.tanh(z.dtype.type(_SQRT_2_OVER_PI) * (z + z.dtype.type(self.C) * z * z * z))

    def forward(self, z, out=None):
        if out is None:
            out = np.empty_like(z)
        th = self._inner(z)
        th += 1
        th *= 0.5
        return np.multiply(z, th, out=out)

    def backward(self, a, da, z=None):
        th = self._inner(z)
        # d/dz = (1 + th) / 2 + z (1 - th^2) sqrt(2/pi) (1 + 3 C z^2) / 2
        inner = (1 - th * th) * z.dtype.type(_SQRT_2_OVER_PI) * (1 + z.dtype.type(3 * self.C) * z * z)
        inner *= z
        inner += 1 + th
        inner *= 0.5
        da *= inner
        return da


class Swish(Activation):
    """z sigma(z) (swish, SiLU); the derivative sigma(z) (1 + z (1 - sigma(z))) = s + a (1 - s)."""

    name = "swish"
    needs_z = True

    def forward(self, z, out=None):
        s = Sigmoid().forward(z)
        return np.multiply(z, s, out=out if out is not None else np.empty_like(z))

    def backward(self, a, da, z=None):
        s = Sigmoid().forward(z)
        d = 1 - s
        d *= a
        d += s
        da *= d
        return da


ACTIVATIONS: Registry[type[Activation]] = Registry.implementing(names.ACTIVATIONS)
ACTIVATIONS.add("linear", Linear)
ACTIVATIONS.add("sigmoid", Sigmoid)
ACTIVATIONS.add("tanh", Tanh)
ACTIVATIONS.add("relu", ReLU)
ACTIVATIONS.add("leaky_relu", LeakyReLU)
ACTIVATIONS.add("softmax", Softmax)
ACTIVATIONS.add("elu", ELU)
ACTIVATIONS.add("selu", SELU)
ACTIVATIONS.add("gelu", GELU)
ACTIVATIONS.add("gelu_tanh", GELUTanh)
ACTIVATIONS.add("swish", Swish)


def make_activation(name: str, negative_slope: float = 0.01) -> Activation:
    cls = ACTIVATIONS.get(name)
    return cls(negative_slope) if cls is LeakyReLU else cls()
