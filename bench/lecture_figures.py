"""Trains each lecture-* preset once on the real Fashion-MNIST (../shared/data) and records what
it reached beside the lecture's figure in engine/presets/figures.json, which `nntui presets`
shows. A real run, its seed and machine written with it:

    python bench/lecture_figures.py [--seed 0] [NAME ...]

Takes about a quarter of an hour on two cores (the batch-norm + dropout preset's 50 epochs are
most of it)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from pathlib import Path

import engine
from engine.atomic import write_text_atomic
from engine.presets import load_preset, preset_names
from engine.presets.figures import FIGURES_FILE, LECTURE, measure

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fashion-mnist"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    names = args.names or [n for n in preset_names() if n in LECTURE]
    figures = json.loads(FIGURES_FILE.read_text()) if FIGURES_FILE.exists() else {}
    for name in names:
        exp = engine.with_overrides(load_preset(name), seed=args.seed)
        exp = exp.replace(data=dataclasses.replace(exp.data, path=str(SHARED)))
        t0 = time.perf_counter()
        result = engine.train(exp, backend="numpy")
        figures[name] = {**measure(name, result), "seed": args.seed, "backend": "numpy", "cpu": cpu_name(),
                         "seconds": round(time.perf_counter() - t0, 1), "date": time.strftime("%Y-%m-%d")}
        print(name, figures[name], flush=True)
        write_text_atomic(FIGURES_FILE, json.dumps(figures, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
