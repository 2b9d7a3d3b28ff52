"""`nntui optimizers`: the optimizers' paths on a 2D test surface (engine.surfaces), as a table
on the terminal, or with --out an SVG of the contour map and the paths and a CSV of each path."""

from __future__ import annotations

import csv
import io
import math
import sys
from pathlib import Path

from .exits import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK


def _bad(message: str) -> int:
    print(f"nntui: optimizers: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def optimizers_command(args) -> int:
    from engine import surfaces
    from engine.atomic import write_text_atomic
    from engine.reports.svg import PATH_COLOURS, svg_surface

    if args.surface not in surfaces.SURFACES:
        return _bad(f"--surface: unknown surface {args.surface!r}; valid: {', '.join(surfaces.SURFACES)}")
    s = surfaces.SURFACES[args.surface]
    valid = surfaces.optimizer_names()
    names = [n.strip() for n in args.optimizers.split(",") if n.strip()] if args.optimizers else valid
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        return _bad(f"--optimizers: unknown optimizer {unknown[0]!r}; valid: {', '.join(valid)}" if unknown
                    else f"--optimizers: name at least one of {', '.join(valid)}")
    if not 1 <= args.steps <= 100_000:
        return _bad(f"--steps: must be 1 to 100000, got {args.steps}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        return _bad(f"--lr: must be a positive number, got {args.lr}")
    start = None
    if args.start:
        try:
            start = tuple(float(v) for v in args.start.split(","))
            if len(start) != 2 or not all(map(math.isfinite, start)):
                raise ValueError
        except ValueError:
            return _bad(f"--start: two numbers X,Y (like -4,1), got {args.start!r}")
    schedule = None
    if getattr(args, "schedule", None):
        import engine

        try:
            schedule = engine.spec.ScheduleSpec.parse({"name": args.schedule}, "--schedule")
        except engine.SpecError as exc:
            return _bad(str(exc))
    paths = surfaces.compare(s, names, steps=args.steps, lr=args.lr, start=start, schedule=schedule)
    x, y = s.minimum
    print(f"{s.name}: {s.about}; minimum at ({x:g}, {y:g}), f = {s.f(x, y):.4g}; {args.steps} steps from "
          f"({paths[0].points[0][0]:g}, {paths[0].points[0][1]:g})")
    width = max(len(n) for n in names) + 2
    print(f"{'optimizer':<{width}}{'lr':>9}{'final f':>12}{'distance':>11}{'steps':>7}")
    for p in paths:
        end = p.points[-1]
        dist = math.hypot(end[0] - x, end[1] - y)
        lr = args.lr if args.lr is not None else surfaces.default_rate(s, p.optimizer)
        print(f"{p.optimizer:<{width}}{lr:>9.3g}{p.losses[-1]:>12.4g}{dist:>11.4g}{len(p.steps):>7}"
              + ("  (diverged)" if len(p.steps) < args.steps or not math.isfinite(p.losses[-1]) else ""))
    if not args.out:
        return EXIT_OK
    out = Path(args.out)
    coloured = [(p.optimizer, [tuple(pt) for pt in p.points], PATH_COLOURS[i % len(PATH_COLOURS)])
                for i, p in enumerate(paths)]
    try:
        write_text_atomic(out / "surface.svg", svg_surface(
            f"{s.name}: {args.steps} steps", surfaces.levels(surfaces.grid(s, 96, 64)).tolist(), s.box, coloured,
            s.minimum))
        for p in paths:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(("step", "x", "y", "loss", "lr"))
            for i, ((px, py), f) in enumerate(zip(p.points, p.losses)):
                w.writerow((i, repr(float(px)), repr(float(py)), repr(float(f)), repr(float(p.rates[i - 1])) if i else ""))
            write_text_atomic(out / f"{p.optimizer}.csv", buf.getvalue())
    except OSError as exc:
        print(f"nntui: optimizers: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote {out / 'surface.svg'} and {len(paths)} paths ({', '.join(f'{p.optimizer}.csv' for p in paths)})")
    return EXIT_OK
