"""The input plane of a 2D classifier: where a map samples it (the training data's range plus a
margin), the model's class probabilities there, and the picture of them: each point coloured by
its predicted class, paler where the model is unsure, the training points on top. The dashboard's
decision map (nntui.widgets.boundary) and the report's boundary.svg draw the same pixels."""

from __future__ import annotations

import numpy as np

from .backends.numpy.layers import Dense
from .backends.numpy.model import NumpyModel
from .evaluation import class_probabilities

CLASS_COLOURS = ((95, 175, 255), (255, 175, 95), (135, 215, 95), (255, 95, 135), (175, 135, 255),
                 (95, 215, 215), (215, 215, 95), (200, 200, 200))
DARK, LIGHT = (30.0, 30.0, 30.0), (255.0, 255.0, 255.0)    # a terminal's background, a page's


class PlaneGrid:
    """Where the map samples the plane (the raw training points' range plus a margin), what the
    model sees there (the dataset's features of each point, scaled as training was) and which
    training points it shows; built once per run, used in the training thread."""

    def __init__(self, data, width: int = 64, height: int = 40, max_points: int = 300):
        # the plane of the raw points where the model sees features of them (data.features); else
        # the scaled inputs themselves (the same picture, and no overflow from raw values near
        # float32's limits)
        featured = "features" in (getattr(data, "scaler", None) or {}) and getattr(data, "points_train", None) is not None
        x = data.points_train if featured else data.x_train
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = (hi - lo) * 0.08 + 1e-6
        self.lo, self.hi = lo - pad, hi + pad
        self.width, self.height = width, height
        gx = np.linspace(self.lo[0], self.hi[0], width)
        gy = np.linspace(self.hi[1], self.lo[1], height)          # top row first
        self.points = np.array([(a, b) for b in gy for a in gx], dtype=np.float32)
        #: the model's inputs at each point
        self.inputs = data.scale(self.points) if x is not data.x_train else self.points
        pick = np.random.default_rng(0).permutation(len(x))[:max_points]
        self.train_cells = self._cells(x[pick])
        self.train_labels = np.asarray(data.y_train)[pick]

    def _cells(self, pts) -> np.ndarray:
        col = np.clip(((pts[:, 0] - self.lo[0]) / (self.hi[0] - self.lo[0]) * (self.width - 1)).round(), 0, self.width - 1)
        row = np.clip(((self.hi[1] - pts[:, 1]) / (self.hi[1] - self.lo[1]) * (self.height - 1)).round(), 0, self.height - 1)
        return np.stack([row, col], axis=1).astype(int)

    def probabilities(self, model) -> np.ndarray:
        """(height, width, classes): the model's class probabilities over the plane."""
        with np.errstate(all="ignore"):
            p = class_probabilities(model.predict(self.inputs))
        return np.nan_to_num(p).reshape(self.height, self.width, -1)


def plane_classes(probs: np.ndarray) -> np.ndarray:
    """(height, width, classes) probabilities of a classifier's outputs over the plane, one sigmoid
    unit read as its two classes (as everywhere else)."""
    if probs.shape[2] == 1:
        return class_probabilities(probs.reshape(-1, 1)).reshape(*probs.shape[:2], 2)
    return probs


def boundary_pixels(grid: PlaneGrid, probs: np.ndarray, background=DARK, points: bool = True) -> np.ndarray:
    """(height, width, 3) colours: the predicted class's colour by confidence over
    ``background``, the training points solid (unless not ``points``)."""
    probs = plane_classes(probs)
    k = probs.shape[2]
    colours = np.array([CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(k)], dtype=float)
    cls = probs.argmax(axis=2)
    confidence = (probs.max(axis=2) - 1.0 / k) / (1 - 1.0 / k)          # 0 unsure .. 1 certain
    weight = (0.15 + 0.55 * confidence)[..., None]
    img = np.asarray(background, dtype=float) * (1 - weight) + colours[cls] * weight
    for (r, c), label in zip(grid.train_cells, grid.train_labels) if points else ():
        img[r, c] = colours[int(label) % len(colours)] * 0.6 + (255 if background == DARK else 0) * 0.4
    return img.astype(int)


#: the terminal report's decision map (`nntui report`): two fit side by side in 80 columns, a
#: cell two pixels high in colour (half blocks), one in symbols
TERMINAL_MAP = (36, 14)


def terminal_boundary(model, data) -> dict:
    """The decision map `nntui report` draws, as plain JSON data (the run folder's boundary.json,
    so that the report needs neither NumPy nor the model): ``colour``, 2 x rows rows of RGB
    triples over a dark terminal; ``classes`` and ``sure`` (p > 0.9), rows x cols, for the
    symbols drawn where colour is off."""
    cols, rows = TERMINAL_MAP
    grid = PlaneGrid(data, width=cols, height=2 * rows)
    colour = boundary_pixels(grid, grid.probabilities(model), background=DARK)
    grid = PlaneGrid(data, width=cols, height=rows)
    probs = grid.probabilities(model)
    return {"cols": cols, "rows": rows, "colour": colour.tolist(),
            "classes": probs.argmax(axis=2).tolist(), "sure": (probs.max(axis=2) > 0.9).tolist()}


#: a unit counts as saturated where its derivative is under this share of its peak for at least
#: UNIT_SATURATED of the probe samples (engine.inspection's SATURATION, per unit)
UNIT_SATURATED = 0.9


class UnitMaps:
    """Every dense unit's picture, as TensorFlow Playground draws its neurons: the unit's
    activation at each point of the plane (a coarse grid), from a NumPy probe model that
    receives a copy of the weights (the training model's state is never touched), with the
    units that are dead (ReLU, never positive on a probe batch of training data) or saturated
    (sigmoid/tanh, flat for nine in ten probe samples) marked, and each unit's incoming
    weights and bias. The output layer's picture is the model's prediction."""

    def __init__(self, exp, data, width: int = 10, height: int = 8, probe: int = 512):
        self.grid = PlaneGrid(data, width, height)
        self.model = NumpyModel(exp, data.n_features)
        self.dense = [layer for layer in self.model.layers if isinstance(layer, Dense)]
        n = len(data.x_train)
        idx = np.sort(np.random.default_rng([exp.seed, 5]).choice(n, min(probe, n), replace=False))
        self.x = np.ascontiguousarray(data.x_train[idx], dtype=self.model.dtype)
        self.inputs = list(np.atleast_1d(data.scaler.get("features", ("x1", "x2")))) if data.scaler \
            else ["x1", "x2"]
        self.classifier = data.task == "classification"

    def _activations(self, x) -> list[np.ndarray]:
        self.model._forward(self.model._as_input(x), training=False)
        return [layer.a.copy() for layer in self.dense]

    def measure(self, model, epoch: int) -> dict:
        """{"epoch", "classifier" (the output's maps are class probabilities), "layers": [{"layer",
        "activation", "output", "maps" (units, height, width), "dead", "saturated" (per unit),
        "kernel" (inputs, units), "bias", "inputs" (names)}]}"""
        weights = model.get_weights()
        self.model.set_weights(weights)
        h, w = self.grid.height, self.grid.width
        with np.errstate(all="ignore"):
            on_plane = self._activations(self.grid.inputs)
            on_probe = self._activations(self.x)
        layers, names = [], [str(n) for n in self.inputs]
        for layer, a, p in zip(self.dense, on_plane, on_probe):
            act = layer.spec.activation
            dead = np.zeros(layer.units, bool)
            saturated = np.zeros(layer.units, bool)
            if not layer.is_output:
                if act == "relu":
                    dead = p.max(axis=0) <= 0
                elif act == "sigmoid":
                    saturated = np.mean(p * (1 - p) < 0.25 * 0.1, axis=0) >= UNIT_SATURATED
                elif act == "tanh":
                    saturated = np.mean(1 - p * p < 0.1, axis=0) >= UNIT_SATURATED
            layers.append({"layer": layer.index, "activation": act, "output": layer.is_output,
                           "maps": np.nan_to_num(a.T.reshape(layer.units, h, w)), "dead": dead,
                           "saturated": saturated, "kernel": weights[f"{layer.index}.kernel"],
                           "bias": weights[f"{layer.index}.bias"], "inputs": names})
            names = [f"{layer.index}.{u}" for u in range(layer.units)]
        return {"epoch": epoch, "classifier": self.classifier, "layers": layers}


#: Playground's colours: orange for negative activations, blue for positive
NEGATIVE, POSITIVE = (245, 147, 34), (8, 119, 189)


def unit_pixels(values: np.ndarray, background=DARK, span: float | None = None) -> np.ndarray:
    """(h, w, 3) colours of one unit's map: blue where positive, orange where negative, by the
    value's size over ``span`` (default: the map's largest magnitude), over ``background``."""
    v = np.asarray(values, dtype=float)
    top = span if span else float(np.abs(v).max())
    t = np.clip(v / top, -1, 1) if top > 0 else np.zeros_like(v)
    colour = np.where(t[..., None] >= 0, np.array(POSITIVE, float), np.array(NEGATIVE, float))
    weight = np.abs(t)[..., None] * 0.9
    return (np.asarray(background, float) * (1 - weight) + colour * weight).astype(int)
