"""Misclassified test samples: small greyscale images in half-block pixels (two rows of pixels
per character row) with the true class and the model's top probabilities beneath."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from engine.text import printable


def mistake_samples(evaluation, data, count: int = 6) -> list[dict]:
    """The test samples the model got wrong with the most confidence (the trainer's evaluation):
    image (if the data has an image shape), true class, top-2 predicted probabilities."""
    out = []
    for m in evaluation.mistakes[:count]:
        image = data.x_test[m["index"]].reshape(data.image_shape) if data.image_shape else None
        out.append({"image": image, "true": printable(m["true"]),
                    "top": [(printable(name), p) for name, p in m["top"]]})
    return out


class SampleStrip(Widget):
    DEFAULT_CSS = "SampleStrip { height: auto; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.samples: list[dict] = []

    def show(self, samples: list[dict]) -> None:
        self.samples = samples
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        if not self.samples:
            return 1
        image = self.samples[0]["image"]
        return (0 if image is None else (_scaled(image).shape[0] + 1) // 2) + 3

    def render(self) -> Text:
        if not self.samples:
            return Text("No misclassified test samples to show.", style="dim")
        images = [_scaled(s["image"]) if s["image"] is not None else None for s in self.samples]
        width = max(16, images[0].shape[1] if images[0] is not None else 0)
        text = Text()
        if images[0] is not None:
            for r in range(0, images[0].shape[0], 2):
                for img in images:
                    top, bottom = img[r], img[r + 1] if r + 1 < img.shape[0] else np.zeros_like(img[r])
                    for t, b in zip(top, bottom):
                        text.append("▀", Style(color=f"rgb({t},{t},{t})", bgcolor=f"rgb({b},{b},{b})"))
                    text.append(" " * (width - img.shape[1] + 2))
                text.append("\n")
        for line in (lambda s: f"true {s['true']}"[:width],
                     lambda s: f"{s['top'][0][0]} {s['top'][0][1]:.2f}"[:width],
                     lambda s: f"{s['top'][1][0]} {s['top'][1][1]:.2f}"[:width]):
            text.append("".join(line(s).ljust(width + 2) for s in self.samples).rstrip() + "\n")
        return text


def _scaled(image) -> np.ndarray:
    """0..255 grey levels, small images doubled so that 8x8 digits stay readable."""
    img = np.asarray(image, dtype=float)
    lo, hi = float(img.min()), float(img.max())
    img = (img - lo) / (hi - lo) if hi > lo else img * 0
    if img.shape[0] <= 12:
        img = np.kron(img, np.ones((2, 2)))
    return (img * 255).astype(int)
