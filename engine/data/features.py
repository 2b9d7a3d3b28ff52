"""Playground's feature inputs for the 2D sets: the model sees chosen functions of the point
(x1, x2) instead of the point itself: x1, x2, x1², x2², x1·x2, sin(x1), sin(x2). They are
computed from the raw point before scaling, so a saved model (its scaler names them) and the
decision map (which samples raw points of the plane) featurize as training did."""

from __future__ import annotations

from ..registry import Registry

#: each feature of a point p (an (n, 2) array) given the array module ``np``: reading an
#: experiment names them without loading NumPy
FEATURES: Registry = Registry("feature")
FEATURES.add("x1", lambda p, np: p[:, 0])
FEATURES.add("x2", lambda p, np: p[:, 1])
FEATURES.add("x1^2", lambda p, np: p[:, 0] ** 2, ("x1²", "x1sq", "x1_squared", "x1**2"))
FEATURES.add("x2^2", lambda p, np: p[:, 1] ** 2, ("x2²", "x2sq", "x2_squared", "x2**2"))
FEATURES.add("x1*x2", lambda p, np: p[:, 0] * p[:, 1], ("x1x2", "x1·x2", "x1_x2", "x1_times_x2"))
FEATURES.add("sin(x1)", lambda p, np: np.sin(p[:, 0]), ("sin_x1", "sinx1", "sin x1"))
FEATURES.add("sin(x2)", lambda p, np: np.sin(p[:, 1]), ("sin_x2", "sinx2", "sin x2"))

#: what a 2D set feeds the model where data.features is not set
PLAIN = ("x1", "x2")


def featurize(names, points):
    """(n, len(names)) float32: each named feature of the (n, 2) raw points."""
    import numpy as np

    p = np.asarray(points, dtype=np.float64)
    return np.stack([FEATURES.get(str(n))(p, np) for n in names], axis=1).astype(np.float32)
