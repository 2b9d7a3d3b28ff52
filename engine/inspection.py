"""Inside the network: per-layer statistics on a fixed probe batch, measured at the start of a run
and at each epoch's end when asked (``engine.train(..., inspect=True)``, ``[train] inspect = true``,
``nntui train --inspect``).

The probe is a second NumPy model of the same experiment that receives a copy of the weights, so
the statistics are the same whichever backend trains, and measuring never touches the training
model's state (its dropout draws, its batch-norm statistics, its optimizer). Per dense layer:

- ``grad_norm``: the L2 norm of the loss gradient with respect to the kernel on the probe batch
  (training mode, penalties included): vanishing and exploding gradients show across layers;
- ``weight_norm`` and ``update_ratio``: the kernel's norm and the norm of the epoch's last
  optimizer step over it (about 1e-3 is healthy; far below, the layer barely learns);
- ``dead``: for ReLU layers, the fraction of units never positive over the probe batch;
- ``saturated``: for sigmoid/tanh layers, the fraction of activations where the derivative is
  under a tenth of its peak (|tanh| > 0.949, sigmoid outside 0.026-0.974);
- ``distinct_units``: how many units have different incoming weights (to 1% of the largest; a
  network initialized with zeros keeps all the units of a layer identical: the symmetry problem);
- histograms of the kernel's weights and of the layer's activations.
"""

from __future__ import annotations

import numpy as np

from .backends.numpy.layers import Dense
from .backends.numpy.model import NumpyModel
from .events import Inspected

PROBE_SIZE = 512
BINS = 24
SATURATION = 0.1          # a derivative under this fraction of its peak counts as saturated


def _histogram(values: np.ndarray) -> dict:
    """Counts in BINS equal bins between the smallest and the largest finite value."""
    v = values.ravel()
    lo, hi = float(v.min()), float(v.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        v = v[np.isfinite(v)]
        if v.size == 0:
            return {"lo": 0.0, "hi": 0.0, "counts": [0] * BINS}
        lo, hi = float(v.min()), float(v.max())
    if hi - lo <= 1e-6 * max(1.0, abs(lo)):      # one value (all zeros, all 0.5): a bar in the middle
        d = max(abs(lo) * 0.01, 1e-3)
        counts = [0] * BINS
        counts[BINS // 2] = int(v.size)
        return {"lo": lo - d, "hi": lo + d, "counts": counts}
    # bin index by one scaled cast and a bincount: np.histogram's general path is 4x slower here
    index = ((v - np.float32(lo)) * np.float32(BINS / (hi - lo))).astype(np.int32)
    np.minimum(index, BINS - 1, out=index)
    return {"lo": lo, "hi": hi, "counts": np.bincount(index, minlength=BINS).tolist()}


def _distinct_columns(w: np.ndarray, tolerance: float = 0.01) -> int:
    """Units (columns) whose incoming weights differ by more than ``tolerance`` of the layer's
    largest weight (training from zeros keeps the units equal but for rounding, about 1e-3 of it).
    Columns sorted by a random projection put equal ones side by side; neighbours are compared."""
    scale = float(np.abs(w).max())
    if not np.isfinite(scale):
        return w.shape[1]
    if scale == 0.0 or w.shape[1] == 1:
        return 1
    order = np.argsort(np.random.default_rng(0).standard_normal(w.shape[0]).astype(w.dtype) @ w)
    gaps = np.abs(np.diff(w[:, order], axis=1)).max(axis=0)
    return 1 + int(np.count_nonzero(gaps > tolerance * scale))


def _norm(a: np.ndarray) -> float:
    r = a.ravel()
    return float(np.sqrt(np.dot(r, r)))


class Inspector:
    """Measures a model's layers on a fixed probe batch of the training data."""

    def __init__(self, exp, data, dtype=np.float32, size: int = PROBE_SIZE):

        self.probe = NumpyModel(exp, data.n_features, dtype=dtype)
        n = len(data.x_train)
        idx = np.sort(np.random.default_rng([exp.seed, 3]).choice(n, min(size, n), replace=False))
        self.x = np.ascontiguousarray(data.x_train[idx], dtype=self.probe.dtype)
        self.y = data.y_train[idx]
        self.dense = [layer for layer in self.probe.layers if isinstance(layer, Dense)]
        self._before: dict[str, np.ndarray] | None = None
        self._updates: dict[str, float] = {}

    # The trainer brackets the epoch's last step with these two calls.
    def before_step(self, model) -> None:
        w = model.get_weights()
        self._before = {f"{layer.index}.kernel": w[f"{layer.index}.kernel"] for layer in self.dense}

    def after_step(self, model) -> None:
        if self._before is None:
            return
        w = model.get_weights()
        self._updates = {k: _norm(w[k] - before) / max(_norm(before), 1e-30) for k, before in self._before.items()}
        self._before = None

    def measure(self, model, epoch: int) -> Inspected:
        """The statistics of ``model``'s current weights (epoch 0: before training)."""
        weights = model.get_weights()
        probe = self.probe
        probe.set_weights(weights)
        with np.errstate(all="ignore"):
            loss, grads = probe.loss_and_gradients(self.x, self.y)
            layers = []
            for layer in self.dense:
                key = f"{layer.index}.kernel"
                a, act = layer.a, layer.spec.activation
                dead = saturated = None
                if act == "relu":
                    dead = float(np.mean(a.max(axis=0) <= 0))
                elif act == "sigmoid":
                    saturated = float(np.mean(a * (1 - a) < 0.25 * SATURATION))
                elif act == "tanh":
                    saturated = float(np.mean(1 - a * a < SATURATION))
                w = weights[key]
                layers.append({   # named by the model's layer index, as the builder and report count
                    "layer": layer.index, "name": f"dense {layer.index}", "activation": act, "units": layer.units,
                    "output": layer.is_output, "grad_norm": _norm(grads[key]), "weight_norm": _norm(w),
                    "update_ratio": self._updates.get(key), "dead": dead, "saturated": saturated,
                    "distinct_units": _distinct_columns(w), "act_mean": float(a.mean()), "act_std": float(a.std()),
                    "weights": _histogram(w.ravel()), "activations": _histogram(a.ravel()),
                })
        return Inspected(epoch, float(loss), tuple(layers))
