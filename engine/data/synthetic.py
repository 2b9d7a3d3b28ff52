"""The 2D toy sets of TensorFlow Playground and the classic material, a 1D sine for regression,
and Playground's two 2D regression sets (a plane, and Gaussian bumps). Each returns (x float32
(n, d), y) drawn from ``rng``."""

from __future__ import annotations

import math

import numpy as np


def _labels(n: int, k: int) -> np.ndarray:
    return np.repeat(np.arange(k), [n // k + (i < n % k) for i in range(k)])


def moons(n, noise, rng, classes=2):
    y = _labels(n, 2)
    t = rng.uniform(0, math.pi, n)
    x = np.where(y[:, None] == 0, np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    return x + rng.normal(0, noise, (n, 2)), y


def circles(n, noise, rng, classes=2):
    y = _labels(n, 2)
    t = rng.uniform(0, 2 * math.pi, n)
    r = np.where(y == 0, 1.0, 0.5)
    return np.c_[r * np.cos(t), r * np.sin(t)] + rng.normal(0, noise, (n, 2)), y


def spiral(n, noise, rng, classes=2):
    """``classes`` interleaved arms of 1.75 turns each."""
    y = _labels(n, classes)
    r = rng.uniform(0.05, 1.0, n)
    t = 1.75 * 2 * math.pi * r + 2 * math.pi * y / classes
    return np.c_[r * np.sin(t), r * np.cos(t)] + rng.normal(0, noise, (n, 2)), y


def xor(n, noise, rng, classes=2):
    """Uniform on [-1, 1]^2, class 1 where x1 x2 > 0; noise moves points after labelling."""
    x = rng.uniform(-1, 1, (n, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return x + rng.normal(0, noise, (n, 2)), y


def gaussians(n, noise, rng, classes=2):
    """``classes`` blobs on a circle of radius 1.5, standard deviation 0.4 + noise."""
    y = _labels(n, classes)
    angle = 2 * math.pi * y / classes + math.pi / 4
    centers = 1.5 * np.c_[np.cos(angle), np.sin(angle)]
    return centers + rng.normal(0, 0.4 + noise, (n, 2)), y


def sine(n, noise, rng, classes=1):
    """y = sin(x) + N(0, noise^2), x uniform on [-pi, pi]: a regression set for MSE."""
    x = rng.uniform(-math.pi, math.pi, (n, 1))
    return x, (np.sin(x) + rng.normal(0, noise, (n, 1)))


def plane(n, noise, rng, classes=1):
    """Playground's plane: x uniform on [-1, 1]^2, y = (x1 + x2) / 2 + N(0, noise^2)."""
    x = rng.uniform(-1, 1, (n, 2))
    return x, ((x[:, :1] + x[:, 1:]) / 2 + rng.normal(0, noise, (n, 1)))


#: the bumps of multi-gaussian: (centre x1, centre x2, height)
BUMPS = ((-0.5, -0.5, 1.0), (0.5, 0.5, 1.0), (-0.5, 0.5, -1.0), (0.5, -0.5, -1.0))


def multi_gaussian(n, noise, rng, classes=1):
    """Playground's multi-Gaussian: x uniform on [-1, 1]^2, y = the sum of four Gaussian bumps of
    width 0.25 (two up, two down, on the diagonals) + N(0, noise^2)."""
    x = rng.uniform(-1, 1, (n, 2))
    y = sum(h * np.exp(-((x[:, 0] - a) ** 2 + (x[:, 1] - b) ** 2) / (2 * 0.25 ** 2)) for a, b, h in BUMPS)
    return x, (y[:, None] + rng.normal(0, noise, (n, 1)))


def scales(n, noise, rng, classes=1):
    """Two inputs a hundred times apart in scale, each as telling: x1 uniform on [0, 100) (a
    house's size, say), x2 on [0, 1); y = 0.03 x1 + 3 x2 + N(0, noise^2). Unscaled, the loss is
    a valley ten thousand times steeper across x1 than along x2: gradient descent zig-zags."""
    x = np.c_[rng.uniform(0, 100, n), rng.uniform(0, 1, n)]
    return x, (0.03 * x[:, :1] + 3 * x[:, 1:] + rng.normal(0, noise, (n, 1)))


GENERATORS = {"moons": moons, "circles": circles, "spiral": spiral, "xor": xor,
              "gaussians": gaussians, "sine": sine, "plane": plane, "multi-gaussian": multi_gaussian,
              "scales": scales}


def generate(name: str, n: int, noise: float, rng: np.random.Generator, classes: int = 0):
    x, y = GENERATORS[name](n, noise, rng, classes or 2)
    perm = rng.permutation(n)
    return x[perm].astype(np.float32), y[perm]
