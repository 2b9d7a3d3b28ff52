"""The "Inside the network" part of a run's report, from its ``inspect`` events (as dicts, the way
events.jsonl holds them): gradient norms and update ratios per layer over the epochs (log scale),
histograms of weights and activations at the start and the end, and a table of the last epoch."""

from __future__ import annotations

import math
from html import escape

from .run import fmt_value
from .svg import svg_chart

#: one hue per layer, first layer to last (dark blue to orange), readable on white
LAYER_COLOURS = ("#1f3b8f", "#2f6fbf", "#2a9dac", "#3aa56a", "#8bab2e", "#d6a21e", "#e8741c", "#d63c28",
                 "#a3286e", "#6b2f9e")


def layer_colour(i: int, n: int) -> str:
    return LAYER_COLOURS[round(i * (len(LAYER_COLOURS) - 1) / max(1, n - 1))]


def _series(inspects: list[dict], key: str) -> list[tuple[str, list, str]]:
    layers = inspects[-1]["layers"]
    return [(f"{lay['name']} {lay['activation']}", [e["layers"][i].get(key) for e in inspects],
             layer_colour(i, len(layers))) for i, lay in enumerate(layers)]


def _histogram_panel(x: float, y: float, w: float, h: float, title: str, start: dict, end: dict) -> list[str]:
    """Bars of the end's histogram, the start's as an outline, over the range both span."""
    lo, hi = min(start["lo"], end["lo"]), max(start["hi"], end["hi"])
    span = (hi - lo) or 1.0

    def bars(hist):
        bins = len(hist["counts"])
        width = (hist["hi"] - hist["lo"]) / bins
        top = max(hist["counts"]) or 1
        for k, c in enumerate(hist["counts"]):
            a = hist["lo"] + k * width
            yield x + (a - lo) / span * w, max(1.0, width / span * w), c / top * (h - 18)

    out = [f'<text x="{x:.1f}" y="{y + 11:.1f}" font-size="11" fill="#333">{escape(title)}</text>',
           f'<line x1="{x:.1f}" x2="{x + w:.1f}" y1="{y + h:.1f}" y2="{y + h:.1f}" stroke="#999"/>']
    for bx, bw, bh in bars(end):
        out.append(f'<rect x="{bx:.1f}" y="{y + h - bh:.1f}" width="{bw:.1f}" height="{bh:.1f}" fill="#3a8fd9" opacity="0.75"/>')
    path = " ".join(f"{bx:.1f},{y + h - bh:.1f} {bx + bw:.1f},{y + h - bh:.1f}" for bx, bw, bh in bars(start))
    out.append(f'<polyline points="{path}" fill="none" stroke="#e8891c" stroke-width="1.2"/>')
    out.append(f'<text x="{x:.1f}" y="{y + h + 12:.1f}" font-size="10" fill="#555">{lo:.3g}</text>')
    out.append(f'<text x="{x + w:.1f}" y="{y + h + 12:.1f}" font-size="10" fill="#555" text-anchor="end">{hi:.3g}</text>')
    return out


def histograms_svg(inspects: list[dict], width: int = 640) -> str:
    start, end = inspects[0], inspects[-1]
    n = len(end["layers"])
    row, top = 74, 42
    height = top + n * row + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'font-family="sans-serif" font-size="12">', f'<rect width="{width}" height="{height}" fill="white"/>',
           '<text x="10" y="20" font-size="14" font-weight="bold">Weights and activations per layer</text>',
           f'<text x="10" y="36" font-size="11" fill="#555">bars: epoch {end["epoch"]}; outline: epoch {start["epoch"]} '
           '(activations on the probe batch)</text>']
    pw = (width - 40) / 2
    for i, (a, b) in enumerate(zip(start["layers"], end["layers"])):
        y = top + i * row
        label = f"{b['name']} ({b['activation']}, {b['units']})"
        out += _histogram_panel(10, y, pw - 10, row - 22, f"{label}: weights", a["weights"], b["weights"])
        out += _histogram_panel(20 + pw, y, pw - 10, row - 22, f"{label}: activations", a["activations"], b["activations"])
    out.append("</svg>")
    return "\n".join(out)


def inside_files(inspects: list[dict]) -> dict[str, str]:
    """The SVG files of the report's inside section, by file name."""
    if not inspects:
        return {}
    first = inspects[0]["epoch"]
    return {
        "gradients.svg": svg_chart("Gradient norm per layer (log scale, probe batch)", _series(inspects, "grad_norm"),
                                   log=True, first=first, legend_width=170),
        "updates.svg": svg_chart("Update / weight ratio per layer (log scale, the epoch's last step)",
                                 _series(inspects, "update_ratio"), log=True, first=first, legend_width=170),
        "histograms.svg": histograms_svg(inspects),
    }


def percent(v) -> str:
    return "-" if v is None else f"{v * 100:.0f}%"


def inside_markdown(inspects: list[dict]) -> list[str]:
    if not inspects:
        return []
    last = inspects[-1]
    first_g, last_g = last["layers"][0]["grad_norm"], last["layers"][-1]["grad_norm"]
    lines = ["## Inside the network", "",
             f"Per-layer statistics on a fixed probe batch of training samples, at the start (epoch 0) and after "
             f"each epoch. At epoch {last['epoch']} the first layer's gradient norm is "
             f"{_ratio(first_g, last_g)} the last layer's.", "",
             "![gradient norms](gradients.svg)", "", "![update ratios](updates.svg)", "",
             "![histograms](histograms.svg)", "",
             f"| layer (epoch {last['epoch']}) | activation | units | gradient norm | update / weight | dead | "
             "saturated | distinct units | activation mean | activation std |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for lay in last["layers"]:
        lines.append(f"| {lay['name']} | {lay['activation']} | {lay['units']} | {fmt_value(lay['grad_norm'], '.3g')} | "
                     f"{fmt_value(lay['update_ratio'], '.3g')} | {percent(lay['dead'])} | {percent(lay['saturated'])} | "
                     f"{lay['distinct_units']} | {fmt_value(lay['act_mean'], '.3g')} | {fmt_value(lay['act_std'], '.3g')} |")
    lines += ["", "Dead: ReLU units never positive on the probe batch. Saturated: sigmoid/tanh activations whose "
              "derivative is under a tenth of its peak. Distinct units: units whose incoming weights differ "
              "(1 means the layer's units are all the same).", ""]
    return lines


def _ratio(a: float, b: float) -> str:
    if not (a and b) or not (math.isfinite(a) and math.isfinite(b)):
        return "not comparable with"
    return f"{a / b:.2g} times"
