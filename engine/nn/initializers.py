"""Weight initializers. Every backend draws its initial weights here, from one seeded NumPy
generator, so that NumPy and MLX models start from identical numbers."""

from __future__ import annotations

import math

import numpy as np

from .. import names
from ..registry import Registry

INITIALIZERS: Registry = Registry.implementing(names.INITIALIZERS)

#: The ``init_scale`` used when a layer does not give one (Keras's defaults).
DEFAULT_SCALE = {"random_normal": 0.05, "random_uniform": 0.05, "constant": 0.0}


def _normal(rng, shape, sigma):
    return rng.standard_normal(shape) * sigma


def _uniform(rng, shape, limit):
    return rng.uniform(-limit, limit, shape)


@INITIALIZERS.register("zeros")
def zeros(rng, fan_in, fan_out, scale):
    return np.zeros((fan_in, fan_out))


@INITIALIZERS.register("constant")
def constant(rng, fan_in, fan_out, scale):
    """Every weight equal to ``scale`` (the value)."""
    return np.full((fan_in, fan_out), scale)


@INITIALIZERS.register("random_normal")
def random_normal(rng, fan_in, fan_out, scale):
    """N(0, scale^2), scale 0.05 by default."""
    return _normal(rng, (fan_in, fan_out), scale)


@INITIALIZERS.register("random_uniform")
def random_uniform(rng, fan_in, fan_out, scale):
    """U(-scale, scale), scale 0.05 by default."""
    return _uniform(rng, (fan_in, fan_out), scale)


@INITIALIZERS.register("glorot_normal")
def glorot_normal(rng, fan_in, fan_out, scale):
    """N(0, sigma^2), sigma = sqrt(2 / (fan_in + fan_out))."""
    return _normal(rng, (fan_in, fan_out), math.sqrt(2.0 / (fan_in + fan_out)))


@INITIALIZERS.register("glorot_uniform")
def glorot_uniform(rng, fan_in, fan_out, scale):
    """U(-l, l), l = sqrt(6 / (fan_in + fan_out))."""
    return _uniform(rng, (fan_in, fan_out), math.sqrt(6.0 / (fan_in + fan_out)))


@INITIALIZERS.register("he_normal")
def he_normal(rng, fan_in, fan_out, scale):
    """N(0, sigma^2), sigma = sqrt(2 / fan_in)."""
    return _normal(rng, (fan_in, fan_out), math.sqrt(2.0 / fan_in))


@INITIALIZERS.register("he_uniform")
def he_uniform(rng, fan_in, fan_out, scale):
    """U(-l, l), l = sqrt(6 / fan_in)."""
    return _uniform(rng, (fan_in, fan_out), math.sqrt(6.0 / fan_in))


@INITIALIZERS.register("lecun_normal")
def lecun_normal(rng, fan_in, fan_out, scale):
    """N(0, sigma^2), sigma = sqrt(1 / fan_in)."""
    return _normal(rng, (fan_in, fan_out), math.sqrt(1.0 / fan_in))


def initial_kernel(name, rng, fan_in, fan_out, scale=None, dtype=np.float32) -> np.ndarray:
    """A (fan_in, fan_out) kernel drawn with ``rng``; ``scale`` None means the initializer's default."""
    if scale is None:
        scale = DEFAULT_SCALE.get(INITIALIZERS.canonical(name), 0.0)
    return INITIALIZERS.get(name)(rng, fan_in, fan_out, scale).astype(dtype)
