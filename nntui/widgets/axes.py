"""Axes for the plotext plots of the dashboard, the Inside view and the Search view: whole-epoch
ticks, colours from hex, and a log-scale value axis done here. plotext's own yscale("log")
transforms the series in place when it builds, so a second build of the same data (a resize, a
repaint) takes the log of the logs: plot ``log10`` of the values on a linear axis and label the
ticks with the values."""

from __future__ import annotations

import math


def log10(v):
    """log10 of a positive finite value, None otherwise."""
    return math.log10(v) if v is not None and math.isfinite(v) and v > 0 else None


#: the round steps between epoch ticks
ROUND_STEPS = [m * 10 ** k for k in range(9) for m in (1, 2, 5)] + [25 * 10 ** k for k in range(8)]
ROUND_STEPS.sort()


def epoch_ticks(epochs: list[int], width: int = 80) -> list[int]:
    """Whole-epoch ticks at round steps (1, 2, 5, 10, 20, 25, 50, ...), as many as a plot ``width``
    columns wide has room to label (eight at most), the first and last epoch always among them.
    plotext frames the plot at the outermost tick, and of two labels that collide it keeps one
    by the width: so no tick comes closer to the first or the last than a label needs."""
    first, last = epochs[0], epochs[-1]
    if last == first:
        return [first]
    area = max(10, width - 9)                      # less the value axis
    label = len(str(last)) + 2
    room = min(8, max(2, area // (label + 1)))
    step = next(s for s in ROUND_STEPS if s >= (last - first) / (room - 1))
    per_epoch = area / (last - first)              # columns
    inner = [t for t in range(step * (first // step + 1), last, step)
             if (t - first) * per_epoch >= label and (last - t) * per_epoch >= label]
    return [first, *inner, last]


#: the 16 ANSI colours by Textual's names, as plotext names them (its codes 0 to 15)
ANSI_PLOTEXT = {"black": "black", "red": "red", "green": "green", "yellow": "orange", "blue": "blue",
                "magenta": "magenta", "cyan": "cyan", "white": "gray+", "bright_black": "gray",
                "bright_red": "red+", "bright_green": "green+", "bright_yellow": "orange+",
                "bright_blue": "blue+", "bright_magenta": "magenta+", "bright_cyan": "cyan+",
                "bright_white": "white"}


def rgb(colour: str, fallback: tuple = (170, 170, 170)) -> tuple | str:
    """A theme's colour for plotext: "#rrggbb" as an (r, g, b) tuple, an ANSI colour
    ("ansi_bright_blue") as plotext's name of it (the terminal's own palette, as the ANSI theme
    means); ``fallback`` for anything else."""
    if isinstance(colour, str) and colour.startswith("#") and len(colour) == 7:
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    if isinstance(colour, str) and colour.startswith("ansi_") and colour[5:] in ANSI_PLOTEXT:
        return ANSI_PLOTEXT[colour[5:]]
    return fallback


def decade_ticks(plt, lo: float, hi: float) -> None:
    """Ticks at 1, 2, 5 x 10^k between the log10 values ``lo`` and ``hi`` (only the powers of ten
    when that gives at least two), labelled with the values."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return
    span = range(math.floor(lo), math.ceil(hi) + 1)
    decades = [k for k in span if lo - 1e-9 <= k <= hi + 1e-9]
    if len(decades) >= 2:
        ticks = [10.0 ** k for k in decades]
    else:
        ticks = [m * 10.0 ** k for k in span for m in (1, 2, 5) if lo - 1e-9 <= math.log10(m * 10.0 ** k) <= hi + 1e-9]
    if not ticks:
        return
    plt.yticks([math.log10(t) for t in ticks], [f"{t:g}" for t in ticks])
