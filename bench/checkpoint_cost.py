"""What checkpoints cost a run: the same run recorded into a run folder with checkpoints (as
`nntui train` and the dashboard record it) and without them, in interleaved rounds of fresh
processes. The shape is the one where they weigh most: epochs of a few milliseconds (the
spiral-tanh preset, 2-64-64-3 on 1,000 points), where one checkpoint (the archive, fsync, rename:
a few milliseconds) is as long as an epoch; the recorder keeps writing them within 2% of the run
(engine/reports/recorder.py, CHECKPOINT_SHARE).

    python bench/checkpoint_cost.py              # 7 rounds of 300 epochs
    python bench/checkpoint_cost.py --rounds 11 --epochs 150
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..")

CHILD = r"""
import json, sys, tempfile, time
import engine
from engine.reports.recorder import RunRecorder
exp = engine.with_overrides(engine.presets.load_preset("spiral-tanh"), epochs=int(sys.argv[1]), threads=1, inspect=False)
data = engine.load_data(exp.data)
model = engine.build_model(exp, data.n_features)
rec = RunRecorder(tempfile.mkdtemp() + "/run", exp, data, model)
t = time.perf_counter()
engine.train(exp, on_event=rec, data=data, model=model, checkpoint=rec.save_checkpoint if sys.argv[2] == "on" else None)
rec._write_checkpoints()
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def run(epochs: int, mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, str(epochs), mode], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.splitlines()[-1])["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--epochs", type=int, default=300)
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from train_speed import cpu_model

    print(f"CPU: {cpu_model()}; spiral-tanh, {args.epochs} epochs a run, without and with checkpoints")
    ratios, plain, checked = [], [], []
    for r in range(args.rounds):
        a, b = run(args.epochs, "off"), run(args.epochs, "on")
        plain.append(a)
        checked.append(b)
        ratios.append(b / a)
        print(f"round {r + 1}: without {a:.2f} s ({a / args.epochs * 1000:.1f} ms/epoch), with {b:.2f} s, ratio {b / a:.3f}",
              flush=True)
    print(f"median ratio {statistics.median(ratios):.3f} (range {min(ratios):.3f}-{max(ratios):.3f}); "
          f"best against best {min(checked) / min(plain):.3f}")


if __name__ == "__main__":
    main()
