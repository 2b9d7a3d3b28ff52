"""The SVG charts: a line chart of per-epoch values with the best-epoch and early-stop markers,
for report.md, the inspected statistics and a search's plots; the ROC curve; and a loss surface
with optimizers' paths over it (nntui optimizers)."""

from __future__ import annotations

import math
from html import escape

TRAIN, VALIDATION = "#3a8fd9", "#e8891c"      # the theme's train / validation hues, darkened for white pages
MARK_BEST, MARK_STOP = "^", "x"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def svg_chart(title: str, series: list[tuple[str, list, str]], best: int | None = None,
              stop: int | None = None, width: int = 640, height: int = 320, log: bool = False,
              first: int = 1, legend_width: int = 150) -> str:
    """A line chart over epochs ``first``.. (one value per epoch): ``series`` is (label, values or
    None, colour); the best epoch is marked on the last series that has a value there, the stop
    epoch on every series. ``log``: a log10 value axis (values <= 0 are left out)."""
    def usable(v):
        return v is not None and math.isfinite(v) and (v > 0 or not log)

    tf = (lambda v: math.log10(v)) if log else (lambda v: v)
    pts = [(i + first, tf(v)) for _, ys, _ in series for i, v in enumerate(ys) if usable(v)]
    if not pts:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60"><text x="10" y="30">{escape(title)}: no data</text></svg>'
    n = max(len(ys) for _, ys, _ in series)
    last = first + n - 1
    y_lo, y_hi = min(v for _, v in pts), max(v for _, v in pts)
    pad = (y_hi - y_lo) * 0.08 or abs(y_hi) * 0.1 or 1.0
    y_lo, y_hi = y_lo - pad, y_hi + pad
    left, right, top, bottom = 60, 20, 34, 40
    outside = len(series) > 3          # many series: the legend goes right of the plot, not over it
    if outside:
        width += legend_width
        right += legend_width
    pw, ph = width - left - right, height - top - bottom

    def x_of(e):
        return left + (e - first) / max(1, last - first) * pw

    def y_of(v):
        return top + (y_hi - tf(v)) / (y_hi - y_lo) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>']
    ticks = ([10.0 ** k for k in range(math.ceil(y_lo), math.floor(y_hi) + 1)] if log else _ticks(y_lo, y_hi))
    for t in ticks:
        y = y_of(t)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{t:.4g}</text>')
    step = max(1, math.ceil(n / 10))
    for e in range(first, last + 1, step):
        out.append(f'<text x="{x_of(e):.1f}" y="{top + ph + 16}" text-anchor="middle" fill="#555">{e}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle" fill="#555">epoch</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
    for k, (label, ys, colour) in enumerate(series):
        coords = [(x_of(i + first), y_of(v)) for i, v in enumerate(ys) if usable(v)]
        if not coords:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>' for x, y in coords]
        if outside:                    # a column right of the plot
            lx, ly = left + pw + 12, top + 14 + 16 * k
        else:                          # a row above it, right-aligned beside the title: never on a curve
            lx, ly = width - right - 100 * (len(series) - k), 20
        out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 24}" y="{ly}">{escape(label)}</text>')
    for epoch, symbol, colour, label in ((best, MARK_BEST, "#2a9d2a", "best"), (stop, MARK_STOP, "#d62828", "stop")):
        if not epoch:
            continue
        marked = []
        for _, ys, _ in (series[-1:] if symbol == MARK_BEST else series):
            v = ys[epoch - first] if 0 <= epoch - first < len(ys) else None
            if usable(v):               # the symbol just above its point, kept inside the plot
                y = min(max(y_of(v) - 8, top + 16), top + ph - 2)
                marked.append(y)
                out.append(f'<text x="{x_of(epoch):.1f}" y="{y:.1f}" text-anchor="middle" '
                           f'font-size="15" font-weight="bold" fill="{colour}">{symbol}</text>')
        x = x_of(epoch)
        y = marked[-1] if marked else top + ph - 6      # the label beside its symbol, inside the plot
        right_side = x < left + pw - 70
        out.append(f'<text x="{x + (9 if right_side else -9):.1f}" y="{y:.1f}" '
                   f'text-anchor="{"start" if right_side else "end"}" fill="{colour}">{label} @{epoch}</text>')
    out.append("</svg>")
    return "\n".join(out)


def svg_roc(fpr: list[float], tpr: list[float], auc: float, positive: str, size: int = 360) -> str:
    """The ROC curve of a two-class run: true-positive rate over false-positive rate in the unit
    square, the chance diagonal dashed, the area under the curve in the title."""
    left, top, pad = 50, 34, 36
    side = size - left - 16
    x_of = lambda v: left + v * side  # noqa: E731
    y_of = lambda v: top + (1 - v) * side  # noqa: E731
    height = top + side + pad
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height}" '
           f'viewBox="0 0 {size} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{size}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">ROC ({escape(positive)} positive), '
           f'AUC {auc:.4f}</text>',
           f'<rect x="{left}" y="{top}" width="{side}" height="{side}" fill="none" stroke="#999"/>',
           f'<line x1="{x_of(0)}" y1="{y_of(0)}" x2="{x_of(1)}" y2="{y_of(1)}" stroke="#bbb" stroke-dasharray="4 4"/>']
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(f'<text x="{x_of(t):.1f}" y="{top + side + 16}" text-anchor="middle" fill="#555">{t:g}</text>')
        out.append(f'<text x="{left - 6}" y="{y_of(t) + 4:.1f}" text-anchor="end" fill="#555">{t:g}</text>')
    out.append(f'<text x="{left + side / 2}" y="{height - 4}" text-anchor="middle" fill="#555">false positive rate</text>')
    out.append(f'<text x="12" y="{top + side / 2}" text-anchor="middle" fill="#555" '
               f'transform="rotate(-90 12 {top + side / 2})">true positive rate</text>')
    path = " ".join(f"{x_of(a):.1f},{y_of(b):.1f}" for a, b in zip(fpr, tpr))
    out.append(f'<polyline points="{path}" fill="none" stroke="{TRAIN}" stroke-width="2"/>')
    out.append("</svg>")
    return "\n".join(out)


def _open(width: int, height: int, title: str, left: int) -> list[str]:
    """An SVG's first lines: the canvas, a white page and the title at ``left``."""
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>']


def _plane_axes(box, left: int, top: int, pw: float, ph: float) -> list[str]:
    """A map's frame over ``box`` (x0, x1, y0, y1), and its ticks below it and to its left."""
    x0, x1, y0, y1 = box
    out = [f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>']
    out += [f'<text x="{left + (t - x0) / (x1 - x0) * pw:.1f}" y="{top + ph + 16}" text-anchor="middle">{t:g}</text>'
            for t in _ticks(x0, x1)]
    out += [f'<text x="{left - 6}" y="{top + (y1 - t) / (y1 - y0) * ph + 4:.1f}" text-anchor="end">{t:g}</text>'
            for t in _ticks(y0, y1)]
    return out


#: paths' colours on a surface (one per optimizer, in order), dark enough for a light map
PATH_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
                "#bcbd22", "#7f7f7f")


def svg_surface(title: str, bands, box: tuple[float, float, float, float],
                paths: list[tuple[str, list[tuple[float, float]], str]], minimum: tuple[float, float] | None = None,
                size: int = 480, legend_width: int = 170) -> str:
    """A shaded contour map of a 2D surface and paths over it. ``bands``: rows (top first) of
    contour band numbers 0.. (the lowest values darkest), over ``box`` (x0, x1, y0, y1);
    ``paths``: (label, points, colour), each drawn as a line from its start (a ring) to its end
    (a dot), clipped to the map; ``minimum`` is marked with a star."""
    rows = [list(r) for r in bands]
    h, w = len(rows), len(rows[0])
    top_band = max(max(r) for r in rows) or 1
    x0, x1, y0, y1 = box
    left, top, bottom = 50, 34, 36
    pw = size
    ph = round(size * h / w)
    width, height = left + pw + 20 + legend_width, top + ph + bottom
    cw, ch = pw / w, ph / h

    def px(x):
        return left + (x - x0) / (x1 - x0) * pw

    def py(y):
        return top + (y1 - y) / (y1 - y0) * ph

    out = _open(width, height, title, left)
    out.append(f'<clipPath id="map"><rect x="{left}" y="{top}" width="{pw}" height="{ph}"/></clipPath>')
    for i, row in enumerate(rows):
        for j, b in enumerate(row):
            shade = round(70 + 180 * b / top_band)          # low: dark blue-grey, high: near white
            out.append(f'<rect x="{left + j * cw:.2f}" y="{top + i * ch:.2f}" width="{cw + 0.05:.2f}" '
                       f'height="{ch + 0.05:.2f}" fill="rgb({shade - 30},{shade - 10},{shade})"/>')
    out += _plane_axes(box, left, top, pw, ph)
    if minimum is not None:
        out.append(f'<text x="{px(minimum[0]):.1f}" y="{py(minimum[1]) + 5:.1f}" text-anchor="middle" '
                   f'font-size="16" fill="gold" stroke="black" stroke-width="0.5">*</text>')
    for k, (label, points, colour) in enumerate(paths):
        pts = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
        if pts:
            line = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            out.append(f'<g clip-path="url(#map)"><polyline points="{line}" fill="none" stroke="{colour}" '
                       f'stroke-width="1.6"/><circle cx="{px(pts[0][0]):.1f}" cy="{py(pts[0][1]):.1f}" r="4" '
                       f'fill="none" stroke="{colour}"/><circle cx="{px(pts[-1][0]):.1f}" '
                       f'cy="{py(pts[-1][1]):.1f}" r="3" fill="{colour}"/></g>')
        ly = top + 14 + 18 * k
        out.append(f'<line x1="{left + pw + 20}" y1="{ly - 4}" x2="{left + pw + 40}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="3"/><text x="{left + pw + 46}" y="{ly}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def svg_pixels(title: str, pixels, box: tuple[float, float, float, float], cell: int = 6,
               legend: list[tuple[str, tuple[int, int, int]]] = ()) -> str:
    """A picture of ``pixels`` (rows, top first, of (r, g, b)) over ``box`` (x0, x1, y0, y1), with
    axis ticks and a legend of colours: the report's decision boundary."""
    rows = [list(r) for r in pixels]
    h, w = len(rows), len(rows[0])
    left, top, bottom = 50, 34, 36
    pw, ph = w * cell, h * cell
    width, height = left + pw + 20 + 150, top + ph + bottom
    out = _open(width, height, title, left)
    for i, row in enumerate(rows):
        for j, (r, g, b) in enumerate(row):
            out.append(f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell}" height="{cell}" '
                       f'fill="rgb({int(r)},{int(g)},{int(b)})"/>')
    out += _plane_axes(box, left, top, pw, ph)
    for k, (label, (r, g, b)) in enumerate(legend):
        ly = top + 14 + 18 * k
        out.append(f'<rect x="{left + pw + 20}" y="{ly - 10}" width="12" height="12" fill="rgb({r},{g},{b})"/>'
                   f'<text x="{left + pw + 38}" y="{ly}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def svg_units(title: str, rows: list[tuple[str, list[tuple[list, str]]]], cell: int = 4) -> str:
    """Every unit's picture, a row of small maps per layer: ``rows`` holds (label, [(pixels (rows
    top first of (r, g, b)), mark)]), a mark ("dead", "saturated" or "") written under its map."""
    h = len(rows[0][1][0][0]) if rows and rows[0][1] else 1
    w = len(rows[0][1][0][0][0]) if rows and rows[0][1] else 1
    left, top, gap, per_row = 110, 34, 8, 10
    mw, mh = w * cell, h * cell
    lines = [(label, units[i:i + per_row], i == 0) for label, units in rows for i in range(0, len(units), per_row)]
    width = left + per_row * (mw + gap) + 10
    height = top + len(lines) * (mh + 22) + 10
    out = _open(width, height, title, left)
    for k, (label, units, first) in enumerate(lines):
        y0 = top + k * (mh + 22)
        if first:
            out.append(f'<text x="8" y="{y0 + mh // 2 + 4}">{escape(label)}</text>')
        for j, (pixels, mark) in enumerate(units):
            x0 = left + j * (mw + gap)
            for i, row in enumerate(pixels):
                for c, (r, g, b) in enumerate(row):
                    out.append(f'<rect x="{x0 + c * cell}" y="{y0 + i * cell}" width="{cell}" height="{cell}" '
                               f'fill="rgb({int(r)},{int(g)},{int(b)})"/>')
            if mark:
                out.append(f'<text x="{x0}" y="{y0 + mh + 14}" font-size="10">{escape(mark)}</text>')
    out.append("</svg>")
    return "\n".join(out)
