"""What the Inside view's statistics cost: the lecture model (784-512-512-10, RMSprop, batch 32) on
random data of Fashion-MNIST's shape, trained with and without ``inspect``, each run in a fresh
process, in interleaved pairs. Two figures: the whole run's wall time with / without (median of
the pairs), and the inspector's own time (probe statistics at each epoch's end plus the weight
copies around the epoch's last step) against the training time, timed inside the run.

    python bench/inspect_cost.py                 # 5 pairs, 3 epochs of 40,000 samples
    python bench/inspect_cost.py --pairs 3 --hidden 1024
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import engine  # noqa: E402  (first: it tunes OpenBLAS before NumPy loads)

N, EPOCHS = 40_000, 3


def arg(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def worker(inspect: bool) -> dict:
    import train_speed

    from engine import inspection

    train_speed.HIDDEN = arg("--hidden", train_speed.HIDDEN)
    spent = {"inspector": 0.0}
    for name in ("measure", "before_step", "after_step"):
        original = getattr(inspection.Inspector, name)

        def timed(self, *a, _original=original, **kw):
            t0 = time.perf_counter()
            try:
                return _original(self, *a, **kw)
            finally:
                spent["inspector"] += time.perf_counter() - t0
        setattr(inspection.Inspector, name, timed)
    data = train_speed.fake_data(N)
    t0 = time.perf_counter()
    result = engine.train(train_speed.lecture_experiment(32, EPOCHS), data=data, backend="numpy", inspect=inspect)
    wall = time.perf_counter() - t0
    train_seconds = sum(r["seconds"] for r in result.history)
    return {"wall": wall, "train": train_seconds, "inspector": spent["inspector"]}


def main() -> None:
    if "--worker" in sys.argv:
        print(json.dumps(worker(sys.argv[sys.argv.index("--worker") + 1] == "on")))
        return
    pairs = arg("--pairs", 5)
    extra = ["--hidden", str(arg("--hidden", 512))]

    def run(kind: str) -> dict:
        out = subprocess.run([sys.executable, __file__, "--worker", kind, *extra], capture_output=True, text=True,
                             check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    ratios, shares = [], []
    for i in range(pairs):
        off, on = run("off"), run("on")
        ratios.append(on["wall"] / off["wall"])
        shares.append(on["inspector"] / on["train"])
        print(f"pair {i + 1}: without {off['wall']:.2f} s, with {on['wall']:.2f} s (ratio {ratios[-1]:.3f}); "
              f"inspector {on['inspector'] * 1000:.0f} ms over {EPOCHS + 1} measurements = "
              f"{shares[-1] * 100:.2f}% of the training time", flush=True)
    ratios.sort()
    shares.sort()
    print(f"hidden {extra[1]}, {EPOCHS} epochs of {N:,}: wall time with / without inspect, median "
          f"{ratios[len(ratios) // 2]:.3f} (range {ratios[0]:.3f}-{ratios[-1]:.3f}); inspector's own time, median "
          f"{shares[len(shares) // 2] * 100:.2f}% of the training time")


if __name__ == "__main__":
    main()
