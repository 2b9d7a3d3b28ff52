"""Every unit's picture (TensorFlow Playground's neurons): a row of small maps per dense layer,
each the unit's activation over the input plane (blue positive, orange negative; two pixels a
cell), dead and saturated units marked under their map, the output layer's decision map last;
and the selected unit's incoming weights as signed bars. Under NO_COLOR a map is drawn in
characters (``+ * #`` positive, ``- = %`` negative, by size) and the bars in + and -."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widget import Widget

from engine.plane import DARK, NEGATIVE, POSITIVE, boundary_pixels, plane_classes, unit_pixels

GAP = 2                     # columns between two maps
LABEL = 3                   # columns a map's caption may take beyond the map
POSITIVE_CHARS, NEGATIVE_CHARS = " ·+*#", " ·-=%"


def _rgb(c) -> str:
    return f"rgb({int(c[0])},{int(c[1])},{int(c[2])})"


def decision_map(pictures: dict, lay: dict) -> bool:
    """The layer is a classifier's output, drawn as one decision map."""
    return lay["output"] and pictures.get("classifier", False)


def units_shown(pictures: dict, lay: dict) -> int:
    return 1 if decision_map(pictures, lay) else lay["maps"].shape[0]


def mark_of(lay: dict, u: int) -> str:
    return "dead" if lay["dead"][u] else "sat" if lay["saturated"][u] else ""


class UnitGallery(Widget):
    """Draws ``pictures`` (engine.plane.UnitMaps.measure's dict); a click on a map chooses it."""

    DEFAULT_CSS = "UnitGallery { height: auto; padding: 0 1; }"

    class Chosen(Message):
        def __init__(self, layer: int, unit: int) -> None:
            super().__init__()
            self.layer, self.unit = layer, unit

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pictures: dict | None = None
        self.selected = (0, 0)             # (position of the dense layer, unit)
        self.colour = True
        self.hits: list[tuple[int, ...]] = []   # (first line, last line + 1, x0, x1, layer, unit)
        self._lines = 1

    def show(self, pictures: dict | None, selected: tuple[int, int], colour: bool) -> None:
        self.pictures, self.selected, self.colour = pictures, selected, colour
        self._lines = len(self._text().plain.split("\n"))
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return self._lines

    def _map_lines(self, lay: dict, u: int) -> list[Text]:
        """One unit's map as text lines (two pixel rows a line in colour, one in characters)."""
        if decision_map(self.pictures, lay):
            probs = plane_classes(np.moveaxis(lay["maps"], 0, 2))      # one sigmoid unit: two classes
            img = boundary_pixels(None, probs, DARK, points=False)
            classes = probs.argmax(axis=2)
            values = classes * 2 - 1.0 if probs.shape[2] == 2 else None
        else:
            img, values = unit_pixels(lay["maps"][u], DARK), lay["maps"][u]
        h, w = img.shape[:2]
        lines = []
        if self.colour:
            for r in range(0, h - 1, 2):
                line = Text()
                for top, bottom in zip(img[r], img[r + 1]):
                    line.append("▀", Style(color=_rgb(top), bgcolor=_rgb(bottom)))
                lines.append(line)
            return lines
        if values is None:                    # many classes without colour: each cell its class's digit
            return [Text("".join(str(c % 10) for c in classes[r])) for r in range(0, h - 1, 2)]
        top = float(np.abs(values).max()) or 1.0
        for r in range(0, h - 1, 2):
            v = (values[r] + values[r + 1]) / 2 / top
            chars = [(POSITIVE_CHARS if x >= 0 else NEGATIVE_CHARS)[min(4, int(abs(x) * 4.999))] for x in v]
            lines.append(Text("".join(chars)))
        return lines

    def _text(self) -> Text:
        self.hits = []
        if not self.pictures:
            return Text("Every unit's picture appears when the run starts (2D sets only).", style="dim")
        width = max(20, self.size.width or 78)
        text, line_no = Text(), 0
        for li, lay in enumerate(self.pictures["layers"]):
            units = units_shown(self.pictures, lay)
            marks = [mark_of(lay, u) for u in range(units)]
            dead, sat = marks.count("dead"), marks.count("sat")
            head = f"dense {lay['layer']} {lay['activation']}" + (
                " (output: decision map)" if decision_map(self.pictures, lay) else " (output)" if lay["output"] else "")
            text.append(head, style="bold")
            n = lay["maps"].shape[0]
            text.append(f"  {n} unit{'s' if n != 1 else ''}" + (f", {dead} dead" if dead else "")
                        + (f", {sat} saturated" if sat else "") + "\n")
            line_no += 1
            map_w = lay["maps"].shape[2]
            per_row = max(1, (width + GAP) // (map_w + GAP))
            for start in range(0, units, per_row):
                row_units = list(range(start, min(units, start + per_row)))
                pictures = [self._map_lines(lay, u) for u in row_units]
                for k in range(len(pictures[0])):
                    for j, u in enumerate(row_units):
                        text.append(pictures[j][k])
                        text.append(" " * GAP)
                    text.append("\n")
                for j, u in enumerate(row_units):
                    x0 = j * (map_w + GAP)
                    self.hits.append((line_no, line_no + len(pictures[0]) + 1, x0, x0 + map_w, li, u))
                    chosen = (li, u) == self.selected
                    caption = (("▲" if chosen else "") + f"{u}" + (f" {marks[u]}" if marks[u] else ""))[:map_w]
                    text.append(caption.ljust(map_w),
                                style="reverse" if chosen else ("red" if marks[u] and self.colour else "dim"))
                    text.append(" " * GAP)
                text.append("\n")
                line_no += len(pictures[0]) + 1
        text.rstrip()
        return text

    def render(self) -> Text:
        return self._text()

    def on_click(self, event) -> None:
        x, y = event.x - 1, event.y                # the padding's column
        for y0, y1, x0, x1, layer, unit in self.hits:
            if y0 <= y < y1 and x0 <= x < x1:
                self.post_message(self.Chosen(layer, unit))
                return


def weights_text(lay: dict, unit: int, colour: bool, width: int = 40) -> Text:
    """The unit's incoming weights (one signed bar each, by the largest's size) and its bias."""
    kernel, names = np.asarray(lay["kernel"])[:, unit], lay["inputs"]
    bias = float(np.asarray(lay["bias"])[unit])
    mark = mark_of(lay, unit) if not lay["output"] else ""
    text = Text()
    text.append(f"dense {lay['layer']} unit {unit} ({lay['activation']})"
                + ({"dead": ": dead, never positive on the training data",
                    "sat": ": saturated, on its flat ends for 9 in 10 samples"}.get(mark, "")) + "\n", style="bold")
    top = float(np.abs(kernel).max()) or 1.0
    bar = max(4, min(24, width - 20))
    shown = list(zip(names, kernel))
    if len(shown) > 16:       # a wide layer before: its strongest inputs
        shown = sorted(shown, key=lambda nw: -abs(nw[1]))[:16]
        text.append(f"the 16 strongest of {len(names)} incoming weights\n", style="dim")
    for name, w in shown:
        n = max(1, round(abs(w) / top * bar)) if w else 0
        text.append(f"{name:>8} {w:+9.4f} ")
        if colour:
            text.append("█" * n, style=_rgb(POSITIVE if w >= 0 else NEGATIVE))
        else:
            text.append(("+" if w >= 0 else "-") * n)
        text.append("\n")
    text.append(f"{'bias':>8} {bias:+9.4f}")
    return text
