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


def epoch_ticks(epochs: list[int]) -> list[int]:
    """About eight whole-epoch ticks, the last epoch always among them (plotext frames the plot
    at the outermost tick)."""
    ticks = epochs[:: max(1, math.ceil(len(epochs) / 8))]
    return ticks if ticks[-1] == epochs[-1] else ticks + [epochs[-1]]


def rgb(colour: str, fallback: tuple = (170, 170, 170)) -> tuple:
    """"#rrggbb" as an (r, g, b) tuple for plotext; ``fallback`` for anything else."""
    if isinstance(colour, str) and colour.startswith("#") and len(colour) == 7:
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
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
