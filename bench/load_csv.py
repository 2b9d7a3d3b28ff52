"""Loading a large CSV: time and peak memory of nntui's reader beside NumPy's own parser
(numpy.loadtxt), each in a fresh process, on a generated file of ROWS rows.

    python bench/load_csv.py                     # 1,000,000 rows x 20 features + a class label
    python bench/load_csv.py --rows 200000 --features 50

Peak memory is tracemalloc's peak during the load (NumPy reports its arrays to tracemalloc), so
it counts everything the reader held at its worst moment, the finished arrays included."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from statistics import median

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def make_file(path: str, rows: int, features: int) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    with open(path, "w") as fh:
        fh.write(",".join(f"f{i}" for i in range(features)) + ",label\n")
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            x = rng.normal(size=(n, features)).round(4)
            y = rng.integers(0, 10, n)
            lines = [",".join(map(str, r)) + f",{c}" for r, c in zip(x.tolist(), y.tolist())]
            fh.write("\n".join(lines) + "\n")


def worker(kind: str, path: str, traced: bool) -> None:
    import tracemalloc

    import numpy as np

    from engine.data.tabular import read_csv

    if traced:  # tracing slows Python-level work many times over: time and peak come from separate runs
        tracemalloc.start()
    t0 = time.perf_counter()
    if kind == "nntui":
        table = read_csv(path)
        shape = table.x.shape
    else:
        data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
        shape = (data.shape[0], data.shape[1] - 1)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    print(json.dumps({"seconds": seconds, "peak_mib": peak / 2**20, "shape": shape}))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4] == "traced")
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.csv")
        make_file(path, args.rows, args.features)
        size = os.path.getsize(path) / 2**20
        final = args.rows * args.features * 4 / 2**20
        print(f"{args.rows:,} rows x {args.features} features + label: {size:,.0f} MiB of text; "
              f"the float32 features alone are {final:,.0f} MiB")
        runs: dict = {"nntui": [], "numpy.loadtxt": []}
        for r in range(args.rounds):       # interleaved: a slow phase of a shared machine hits both
            for kind in (("nntui", "numpy.loadtxt") if r % 2 == 0 else ("numpy.loadtxt", "nntui")):
                got = {}
                for mode in ("timed", "traced"):
                    out = subprocess.run([sys.executable, __file__, "--worker", kind, path, mode],
                                         capture_output=True, text=True, check=True).stdout
                    got[mode] = json.loads(out)
                runs[kind].append((got["timed"]["seconds"], got["traced"]["peak_mib"]))
        final_all = final + args.rows * 8 / 2**20          # the features and the int64 labels
        print(f"{'reader':<16}{'seconds (median)':>17}{'peak MiB':>10}{'peak / final arrays':>21}")
        for kind, rows in runs.items():
            t = median(x[0] for x in rows)
            m = max(x[1] for x in rows)
            print(f"{kind:<16}{t:>17.2f}{m:>10.0f}{m / final_all:>21.2f}")
        ratios = sorted(a[0] / b[0] for a, b in zip(runs["nntui"], runs["numpy.loadtxt"]))
        print(f"nntui / numpy.loadtxt time, median of {args.rounds} rounds: {median(ratios):.2f} "
              f"(range {ratios[0]:.2f}-{ratios[-1]:.2f})")

if __name__ == "__main__":
    main()
