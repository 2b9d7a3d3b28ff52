"""The optimizer update of the lecture model (670,000 weights, one flat vector) in pieces of
engine.nn.optimizers.BLOCK entries, as the engine runs it, beside the same update over the whole
vectors at once, at one thread and at two (engine.parallel's split), in interleaved rounds.

    python bench/optimizer_update.py            # RMSprop, Adam, SGD with momentum; 25 rounds
    python bench/optimizer_update.py --rounds 9

Each figure is the median over the rounds of one `apply` (ms), the copy of the 2.7 MB gradient
into its buffer included (the update overwrites it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import engine  # noqa: E402,F401  (first: it tunes OpenBLAS before NumPy loads it)

# isort: split
import numpy as np  # noqa: E402

from engine.nn import optimizers, parallel  # noqa: E402

WEIGHTS = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=25)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    pieces = {"whole vectors": 1 << 62, f"pieces of {optimizers.BLOCK:,}": optimizers.BLOCK}
    engine_block = optimizers.BLOCK
    print(f"{WEIGHTS:,} weights; ms per update, medians of {args.rounds} interleaved rounds")
    print(f"{'':22}" + "".join(f"{f'{t} thread' + ('s' if t > 1 else ''):>28}" for t in (1, 2)))
    print(f"{'':22}" + "".join(f"{name:>14}" for _ in (1, 2) for name in ("whole", "pieces")))
    try:
        for name, settings in (("rmsprop", {}), ("adam", {}), ("sgd", {"momentum": 0.9})):
            row = []
            for threads in (1, 2):
                parallel.set_enabled(threads == 2)
                opt = optimizers.make_optimizer(name, WEIGHTS, **settings)
                w = rng.standard_normal(WEIGHTS).astype(np.float32)
                g0 = (rng.standard_normal(WEIGHTS) * 1e-2).astype(np.float32)
                g = np.empty_like(g0)
                times = {k: [] for k in pieces}
                for _ in range(args.rounds):
                    for k, block in pieces.items():
                        optimizers.BLOCK = block
                        t0 = time.perf_counter()
                        for _ in range(10):
                            np.copyto(g, g0)
                            opt.apply(w, g, 1e-3)
                        times[k].append((time.perf_counter() - t0) / 10 * 1e3)
                row += [statistics.median(v) for v in times.values()]
            label = name + (" (momentum 0.9)" if settings else "")
            print(f"{label:22}" + "".join(f"{v:14.3f}" for v in row), flush=True)
    finally:
        optimizers.BLOCK = engine_block


if __name__ == "__main__":
    main()
