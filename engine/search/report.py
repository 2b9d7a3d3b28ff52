"""A search's leaderboard (CSV and Markdown) and plots (SVG): the objective per trial with the
pruned trials marked, and each parameter against the objective."""

from __future__ import annotations

import csv
import io
import math
from html import escape
from pathlib import Path

from ..atomic import write_text_atomic
from ..reports.run import fmt_value
from ..reports.svg import _ticks
from ..spec import Experiment
from .study import counted_trials
from .worker import trial_experiment

COMPLETE, PRUNED, OTHER = "#3a8fd9", "#e8891c", "#999999"


def fmt_param(v) -> str:
    """A searched value for people: floats to 4 significant digits, "-" when missing."""
    if v is None:
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def leaderboard_csv(rows: list[dict], exp) -> str:
    paths = [d.path for d in exp.search.space]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["rank", "trial", "state", exp.search.monitor, "epochs", "seconds", *paths, "folder", "host"])
    for rank, r in enumerate(rows, start=1):
        w.writerow([rank, r["trial"], r["state"], "" if r["value"] is None else r["value"], r["epochs"],
                    "" if r["seconds"] is None else round(r["seconds"], 3), *[r["params"].get(p) for p in paths],
                    r["folder"], r["host"]])
    return out.getvalue()


def leaderboard_markdown(rows: list[dict], exp, best: dict | None) -> str:
    s = exp.search
    paths = [d.path for d in s.space]
    counts = {k: sum(1 for r in rows if r["state"] == k) for k in ("complete", "pruned", "running", "diverged", "failed")}
    lines = [f"# Search: {exp.name or 'experiment'}", "",
             f"{len(rows)} of {s.trials} trials ({', '.join(f'{v} {k}' for k, v in counts.items() if v)}); "
             f"sampler {s.sampler}, pruner {s.pruner}, objective {s.monitor} ({s.direction}, the best epoch's value).", ""]
    if best is not None:
        lines += [f"Best: trial {best['trial']}, {s.monitor} {fmt_value(best['value'])}, "
                  + ", ".join(f"`{p}` = {fmt_param(best['params'][p])}" for p in paths)
                  + ". Its experiment is `best.toml` (`nntui train best.toml`).", ""]
    lines += ["![objective per trial](objective.svg)", "", "![parameters against the objective](params.svg)", "",
              "| rank | trial | state | " + s.monitor + " | epochs | seconds | " + " | ".join(f"`{p}`" for p in paths) + " |",
              "|---:|---:|---|---:|---:|---:|" + "---:|" * len(paths)]
    for rank, r in enumerate(rows, start=1):
        link = f"[{r['trial']}]({r['folder']}/report.md)" if r["folder"] else str(r["trial"])
        lines.append(f"| {rank} | {link} | {r['state']} | {fmt_value(r['value'])} | {r['epochs']} | "
                     f"{fmt_value(r['seconds'], '.1f')} | " + " | ".join(fmt_param(r["params"].get(p)) for p in paths) + " |")
    lines.append("")
    return "\n".join(lines)


def _frame(title: str, width: int, height: int) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            'font-family="sans-serif" font-size="12">', f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(title)}</text>']


def _scatter(out, x0, y0, w, h, points, x_labels=None, x_log=False, x_range=None, label=""):
    """Points (x, y, colour, marker) in a panel; y on a linear axis; x numeric (log optional)."""
    ys = [p[1] for p in points]
    lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    tx = (lambda v: math.log10(v)) if x_log else (lambda v: v)
    xs = [tx(p[0]) for p in points]
    xl, xh = x_range if x_range else ((min(xs), max(xs)) if xs else (0, 1))
    if xh <= xl:
        xl, xh = xl - 0.5, xh + 0.5
    X = lambda v: x0 + 8 + (tx(v) - xl) / (xh - xl) * (w - 16)  # noqa: E731
    Y = lambda v: y0 + (hi - v) / (hi - lo) * h  # noqa: E731
    out.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#999"/>')
    for t in _ticks(lo, hi, 4):
        out.append(f'<text x="{x0 - 4}" y="{Y(t) + 4:.1f}" text-anchor="end" fill="#555" font-size="10">{t:.3g}</text>')
    if x_labels:
        for v, text in x_labels:
            out.append(f'<text x="{X(v):.1f}" y="{y0 + h + 13}" text-anchor="middle" fill="#555" font-size="10">'
                       f'{escape(text)}</text>')
    out.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 27}" text-anchor="middle" fill="#333" font-size="11">{escape(label)}</text>')
    for x, y, colour, marker in points:
        if marker == "x":
            cx, cy = X(x), Y(y)
            out.append(f'<path d="M{cx - 4:.1f},{cy - 4:.1f} L{cx + 4:.1f},{cy + 4:.1f} M{cx - 4:.1f},{cy + 4:.1f} '
                       f'L{cx + 4:.1f},{cy - 4:.1f}" stroke="{colour}" stroke-width="2"/>')
        else:
            out.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="4" fill="{colour}"/>')
    return X, Y


def _point(r):
    return (COMPLETE, "o") if r["state"] == "complete" else (PRUNED, "x") if r["state"] == "pruned" else (OTHER, "o")


def objective_svg(rows: list[dict], exp) -> str:
    s = exp.search
    width, height = 640, 320
    out = _frame(f"{s.monitor} per trial (o complete, x pruned at its last epoch; line: best so far)", width, height)
    pts = [(r["trial"], r["value"], *_point(r)) for r in rows if r["value"] is not None and math.isfinite(r["value"])]
    if not pts:
        out.append('<text x="10" y="50">no trial has a value yet</text></svg>')
        return "\n".join(out)
    trials = sorted(r["trial"] for r in rows)
    ticks = [(t, str(t)) for t in trials[:: max(1, math.ceil(len(trials) / 12))]]
    X, Y = _scatter(out, 60, 40, width - 80, height - 90, pts, ticks, x_range=(min(trials), max(trials)), label="trial")
    better = max if s.direction == "maximize" else min
    best, path = None, []
    for r in sorted((r for r in rows if r["state"] == "complete" and r["value"] is not None), key=lambda r: r["trial"]):
        best = r["value"] if best is None else better(best, r["value"])
        path.append(f"{X(r['trial']):.1f},{Y(best):.1f}")
    if path:
        out.append(f'<polyline points="{" ".join(path)}" fill="none" stroke="#2a9d2a" stroke-width="1.5"/>')
    out.append("</svg>")
    return "\n".join(out)


def params_svg(rows: list[dict], exp) -> str:
    dims = exp.search.space
    cols = min(3, len(dims))
    panel_w, panel_h = 200, 150
    width = 60 + cols * (panel_w + 50)
    nrows = math.ceil(len(dims) / cols)
    height = 40 + nrows * (panel_h + 50)
    out = _frame(f"Each parameter against {exp.search.monitor} (o complete, x pruned)", width, height)
    for k, d in enumerate(dims):
        x0 = 60 + (k % cols) * (panel_w + 50)
        y0 = 40 + (k // cols) * (panel_h + 50)
        pts = []
        for r in rows:
            v = r["params"].get(d.path)
            if r["value"] is None or v is None or not math.isfinite(r["value"]):
                continue
            x = list(d.choices).index(v) if d.kind == "choice" else v
            pts.append((x, r["value"], *_point(r)))
        if d.kind == "choice":
            labels = [(i, str(c)) for i, c in enumerate(d.choices)]
            _scatter(out, x0, y0, panel_w, panel_h, pts, labels, x_range=(-0.5, len(d.choices) - 0.5), label=d.path)
        else:
            lo, hi = d.low, d.high
            tl = (math.log10(lo), math.log10(hi)) if d.log else (lo, hi)
            labels = [(lo, fmt_param(lo)), (hi, fmt_param(hi))]
            _scatter(out, x0, y0, panel_w, panel_h, pts, labels, x_log=d.log, x_range=tl, label=d.path)
    out.append("</svg>")
    return "\n".join(out)


# -- what a search leaves ---------------------------------------------------------------------------

def trial_rows(study, exp: Experiment) -> list[dict]:
    """One row per trial that counts (running ones included), best first, then by number."""
    rows = []
    for t in counted_trials(study):
        a = t.user_attrs
        state = t.state.name.lower()
        if state == "fail":
            state = "diverged" if a.get("diverged") else "failed"
        value = t.value if t.state.name == "COMPLETE" else (
            t.intermediate_values[max(t.intermediate_values)] if t.intermediate_values else None)
        rows.append({"trial": t.number, "state": state, "value": value,
                     "epochs": a.get("epochs", len(t.intermediate_values)), "seconds": a.get("seconds"),
                     "params": {d.path: t.params.get(d.path) for d in exp.search.space},
                     "folder": a.get("folder", ""), "host": a.get("host", ""),
                     "curve": [t.intermediate_values[k] for k in sorted(t.intermediate_values)]})
    sign = -1 if exp.search.direction == "maximize" else 1
    rows.sort(key=lambda r: (r["state"] != "complete", sign * r["value"] if r["value"] is not None else math.inf,
                             r["trial"]))
    return rows


def write_results(study, exp: Experiment, report: str | Path, source: str | None = None) -> dict:
    """The leaderboard (CSV and Markdown), the best experiment as TOML (over ``source``, the
    search file as the user wrote it, their comments kept) and the plots."""
    report = Path(report)
    rows = trial_rows(study, exp)
    write_text_atomic(report / "leaderboard.csv", leaderboard_csv(rows, exp))
    write_text_atomic(report / "objective.svg", objective_svg(rows, exp))
    write_text_atomic(report / "params.svg", params_svg(rows, exp))
    best = next((r for r in rows if r["state"] == "complete"), None)
    if best is not None:
        trial_experiment(exp, best["params"], best["trial"]).to_toml(report / "best.toml", over=source)
    write_text_atomic(report / "leaderboard.md", leaderboard_markdown(rows, exp, best))
    return {"rows": rows, "best": best}
