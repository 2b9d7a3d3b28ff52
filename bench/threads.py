"""The NumPy backend's thread choice on a quiet and on a loaded machine: the lecture model
(784-512-512-10, RMSprop) at batch 32, 128 and 512, trained with the tuner choosing (auto)
beside the same run with one thread forced and with every CPU forced, each in a fresh process,
interleaved in rounds. "Loaded" starts one competing busy process per CPU (a spinning Python
loop, as another user's job on a shared lab server) for the round's runs.

    python bench/threads.py                  # 3 rounds, quiet and loaded
    python bench/threads.py --rounds 5 --load loaded --batches 32

The figure is the run's samples/s over all its epochs (the tuner's probes and the first epoch
included: what a user gets), and the verdict is auto against the better fixed choice of the
same round; the goal is at least 0.9 everywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from statistics import median

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

#: samples per run by batch size: a few seconds each at the slower fixed choice on a loaded machine
SAMPLES = {32: 6_000, 128: 12_000, 512: 24_000}
EPOCHS = 3


def worker(batch: int, threads: str) -> float:
    from train_speed import fake_data, lecture_experiment

    import engine

    exp = lecture_experiment(batch, EPOCHS)
    exp = engine.with_overrides(exp, threads=threads if threads == "auto" else int(threads))
    result = engine.train(exp, data=fake_data(SAMPLES[batch]), backend="numpy")
    m = result.metrics
    return {"rate": m["samples_per_second"], "threads": m.get("threads")}


def spin() -> None:
    while True:
        pass


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        print(json.dumps(worker(int(sys.argv[2]), sys.argv[3])))
        return
    if sys.argv[1:2] == ["--spin"]:
        spin()
    args = sys.argv[1:]

    def opt(name, default):
        return args[args.index(name) + 1] if name in args else default

    rounds = int(opt("--rounds", "3"))
    batches = [int(b) for b in opt("--batches", "32,128,512").split(",")]
    loads = opt("--load", "quiet,loaded").split(",")
    from threadpoolctl import threadpool_info

    import engine  # noqa: F401  (OpenBLAS tuned as the workers have it)
    from engine.nn.parallel import available_cpus

    # isort: split
    import numpy  # noqa: F401  (after engine; loaded, so that threadpoolctl sees its BLAS)
    cpus = available_cpus()
    blas = [f"{i['internal_api']} {i.get('version')} {i.get('architecture')}" for i in threadpool_info()
            if i["user_api"] == "blas"]
    from train_speed import cpu_model
    print(f"CPU: {cpu_model()}, {cpus} CPUs for this process; BLAS: {', '.join(blas)}")
    kinds = ["auto", "1", str(cpus)] if cpus > 1 else ["auto", "1"]
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                              "MKL_NUM_THREADS", "NNTUI_THREADS")}
    table: dict = {}
    for r in range(rounds):
        for load in loads:
            spinners = [subprocess.Popen([sys.executable, __file__, "--spin"]) for _ in range(cpus)] \
                if load == "loaded" else []
            try:
                time.sleep(0.5 if spinners else 0)
                for batch in batches:
                    for kind in (kinds if r % 2 == 0 else kinds[::-1]):
                        out = subprocess.run([sys.executable, __file__, "--worker", str(batch), kind], env=env,
                                             capture_output=True, text=True, check=True)
                        got = json.loads(out.stdout.strip().splitlines()[-1])
                        table.setdefault((load, batch), {}).setdefault(kind, []).append(got)
                    row = table[(load, batch)]
                    print(f"round {r + 1} {load:6} batch {batch:3}: " + "  ".join(
                        f"{k}: {row[k][-1]['rate']:8,.0f}" for k in kinds)
                        + f"  (auto's steps by threads: {row['auto'][-1]['threads']})", flush=True)
            finally:
                for p in spinners:
                    p.kill()
                    p.wait()
    print()
    print("| load | batch | auto | 1 thread | " + (f"{cpus} threads | " if cpus > 1 else "")
          + "auto / better fixed (median of rounds) | range |")
    print("|---|---:|---:|---:|" + ("---:|" if cpus > 1 else "") + "---:|---:|")
    for (load, batch), row in table.items():
        ratios = sorted(a["rate"] / max(row[k][i]["rate"] for k in kinds[1:])
                        for i, a in enumerate(row["auto"]))
        print(f"| {load} | {batch} | " + " | ".join(f"{median(x['rate'] for x in row[k]):,.0f}" for k in kinds)
              + f" | {median(ratios):.2f} | {ratios[0]:.2f}-{ratios[-1]:.2f} |")


if __name__ == "__main__":
    main()
