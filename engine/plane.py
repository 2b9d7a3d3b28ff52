"""The input plane of a 2D classifier: where a map samples it (the training data's range plus a
margin), the model's class probabilities there, and the picture of them: each point coloured by
its predicted class, paler where the model is unsure, the training points on top. The dashboard's
decision map (nntui.widgets.boundary) and the report's boundary.svg draw the same pixels."""

from __future__ import annotations

import numpy as np

from .evaluation import class_probabilities

CLASS_COLOURS = ((95, 175, 255), (255, 175, 95), (135, 215, 95), (255, 95, 135), (175, 135, 255),
                 (95, 215, 215), (215, 215, 95), (200, 200, 200))
DARK, LIGHT = (30.0, 30.0, 30.0), (255.0, 255.0, 255.0)    # a terminal's background, a page's


class PlaneGrid:
    """Where the map samples the plane (the training data's range plus a margin) and which
    training points it shows; built once per run, used in the training thread."""

    def __init__(self, data, width: int = 64, height: int = 40, max_points: int = 300):
        x = data.x_train
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = (hi - lo) * 0.08 + 1e-6
        self.lo, self.hi = lo - pad, hi + pad
        self.width, self.height = width, height
        gx = np.linspace(self.lo[0], self.hi[0], width)
        gy = np.linspace(self.hi[1], self.lo[1], height)          # top row first
        self.points = np.array([(a, b) for b in gy for a in gx], dtype=np.float32)
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
            p = class_probabilities(model.predict(self.points))
        return np.nan_to_num(p).reshape(self.height, self.width, -1)


def boundary_pixels(grid: PlaneGrid, probs: np.ndarray, background=DARK) -> np.ndarray:
    """(height, width, 3) colours: the predicted class's colour by confidence over
    ``background``, the training points solid."""
    k = probs.shape[2]
    colours = np.array([CLASS_COLOURS[i % len(CLASS_COLOURS)] for i in range(k)], dtype=float)
    cls = probs.argmax(axis=2)
    confidence = (probs.max(axis=2) - 1.0 / k) / (1 - 1.0 / k)          # 0 unsure .. 1 certain
    weight = (0.15 + 0.55 * confidence)[..., None]
    img = np.asarray(background, dtype=float) * (1 - weight) + colours[cls] * weight
    for (r, c), label in zip(grid.train_cells, grid.train_labels):
        img[r, c] = colours[int(label) % len(colours)] * 0.6 + (255 if background == DARK else 0) * 0.4
    return img.astype(int)
