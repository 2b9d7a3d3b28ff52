"""The decision-boundary map of a 2D classifier: the input plane coloured by the predicted class,
paler where the model is unsure, the training points on top; two pixels per character cell
(the upper half block with foreground and background colours)."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from engine.plane import CLASS_COLOURS, PlaneGrid, UnitMaps, boundary_pixels  # noqa: F401  (the screen's)


class BoundaryMap(Widget):
    DEFAULT_CSS = "BoundaryMap { border: round $panel; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.probs: np.ndarray | None = None
        self.grid: PlaneGrid | None = None
        self.border_title = "decision boundary"

    def show(self, grid: PlaneGrid, probs: np.ndarray, epoch: int) -> None:
        self.grid, self.probs = grid, probs
        self.border_title = f"decision boundary, epoch {epoch}"
        self.refresh()

    def pixels(self) -> np.ndarray:
        """(height, width, 3) colours: class colour by confidence, training points solid."""
        return boundary_pixels(self.grid, self.probs)

    def render(self) -> Text:
        if self.probs is None:
            return Text("The map appears after the first epoch.", style="dim")
        img = self.pixels()
        h, w = img.shape[:2]
        rows, cols = self.size.height, self.size.width
        ys = np.linspace(0, h - 1, rows * 2).round().astype(int)
        xs = np.linspace(0, w - 1, cols).round().astype(int)
        text = Text()
        for r in range(rows):
            top, bottom = img[ys[2 * r]][xs], img[ys[2 * r + 1]][xs]
            for t, b in zip(top, bottom):
                text.append("▀", Style(color=f"rgb({t[0]},{t[1]},{t[2]})", bgcolor=f"rgb({b[0]},{b[1]},{b[2]})"))
            if r < rows - 1:
                text.append("\n")
        return text
