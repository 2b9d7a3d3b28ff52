"""Where one training step of the NumPy engine goes: the lecture model (784-512-512-10, ReLU,
softmax, RMSprop) on random data, the step broken into its matrix products (forward, weight
gradients, input gradients, bias gradients), the rest of the forward and backward passes
(bias adds, activations), the loss, the optimizer update and what is left (Python). Beside it,
the same products timed alone in a loop (the GEMM bound's loop of bench/train_speed.py), so that
a product that runs slower inside the step than alone shows, and the products alone at one BLAS
thread, so that what the BLAS gains from its threads on this machine shows.

    python bench/step_profile.py                 # batch 32, 128, 512
    python bench/step_profile.py --batches 512 --hidden 4096
    python bench/step_profile.py --threads 1

Each figure is the median over the steps of several blocks, in milliseconds per step, taken
with the BLAS threads held (default: every CPU this process may use) so that the thread tuner's
probing does not mix two counts. The whole step is timed once more without the per-part timers
(which cost about a microsecond each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import engine  # noqa: E402  (first: it tunes OpenBLAS before NumPy loads it)

# isort: split
import numpy as np  # noqa: E402
from train_speed import blas_description, cpu_model, fake_data, lecture_experiment, step_products  # noqa: E402

PARTS = ("forward products", "bias + activation", "loss", "activation backward", "weight-gradient products",
         "bias gradients", "input-gradient products", "optimizer update", "other (Python, targets)")


class _TimedNumpy:
    """numpy for the layers module, with np.dot timed and filed by what the product is."""

    def __init__(self, tally):
        self._tally = tally

    def __getattr__(self, name):
        return getattr(np, name)

    def dot(self, a, b, out=None):
        t0 = time.perf_counter()
        r = np.dot(a, b, out=out)
        dt = time.perf_counter() - t0
        if a.ndim == 1:
            kind = "bias gradients"
        elif not a.flags.c_contiguous:            # x.T: the weight gradient
            kind = "weight-gradient products"
        elif not b.flags.c_contiguous:            # W.T: the input gradient
            kind = "input-gradient products"
        else:
            kind = "forward products"
        self._tally[kind] += dt
        return r


def profile(batch: int, steps: int, blocks: int) -> tuple[dict, float, float]:
    from engine.backends.numpy import layers as layer_module

    exp = lecture_experiment(batch)
    model = engine.build_model(exp, 784, backend="numpy")
    data = fake_data(batch * steps)
    x, y = data.x_train, data.y_train

    def batches():
        for i in range(steps):
            yield x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]

    for xb, yb in batches():               # warm-up: buffers allocated, pages touched
        model.train_step(xb, yb, 1e-3)

    whole = []
    for _ in range(blocks):                 # the step as it runs, no timers inside
        t0 = time.perf_counter()
        for xb, yb in batches():
            model.train_step(xb, yb, 1e-3)
        whole.append((time.perf_counter() - t0) / steps)

    tally: dict[str, float] = defaultdict(float)
    phases: dict[str, float] = defaultdict(float)

    def timed(name, fn):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            r = fn(*a, **k)
            phases[name] += time.perf_counter() - t0
            return r
        return wrapper

    model._forward = timed("forward", model._forward)
    model._loss = timed("loss", model._loss)
    model._backward = timed("backward", model._backward)
    model.optimizer.apply = timed("optimizer update", model.optimizer.apply)
    layer_module.np = _TimedNumpy(tally)
    per_block = []
    try:
        for _ in range(blocks):
            tally.clear()
            phases.clear()
            t0 = time.perf_counter()
            for xb, yb in batches():
                model.train_step(xb, yb, 1e-3)
            total = time.perf_counter() - t0
            fwd_products = tally["forward products"]
            back_products = sum(tally[k] for k in ("weight-gradient products", "bias gradients",
                                                   "input-gradient products"))
            parts = {k: tally[k] for k in ("forward products", "weight-gradient products", "bias gradients",
                                           "input-gradient products")}
            parts["bias + activation"] = phases["forward"] - fwd_products
            parts["loss"] = phases["loss"]
            parts["activation backward"] = phases["backward"] - back_products
            parts["optimizer update"] = phases["optimizer update"]
            parts["other (Python, targets)"] = total - phases["forward"] - phases["loss"] - phases["backward"] \
                - phases["optimizer update"]
            per_block.append({k: v / steps for k, v in parts.items()})
    finally:
        layer_module.np = np
    parts = {k: statistics.median(b[k] for b in per_block) for k in PARTS}
    return parts, statistics.median(whole), products_alone(batch, steps, blocks)


def products_alone(batch: int, steps: int, blocks: int) -> float:
    """The step's products (3 forward, 3 weight gradients, 2 input gradients) alone in a loop."""
    products = step_products(batch)
    for _ in range(5):
        products()
    times = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(steps):
            products()
        times.append((time.perf_counter() - t0) / steps)
    return statistics.median(times)


def threads_in_turn(batch: int, steps: int, blocks: int, counts: tuple[int, ...]) -> dict[int, float]:
    """The products alone at each BLAS thread count of ``counts``, a block of each in turn; medians."""
    from threadpoolctl import threadpool_limits
    products = step_products(batch)
    times: dict[int, list] = {n: [] for n in counts}
    for _ in range(blocks):
        for n in counts:
            with threadpool_limits(n, user_api="blas"):
                for _ in range(3):
                    products()
                t0 = time.perf_counter()
                for _ in range(steps):
                    products()
                times[n].append((time.perf_counter() - t0) / steps)
    return {n: statistics.median(t) for n, t in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, nargs="+", default=[32, 128, 512])
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--threads", type=int, default=None, help="BLAS threads held (default: every CPU)")
    ap.add_argument("--blocks", type=int, default=5)
    args = ap.parse_args()
    if args.hidden != int(os.environ.get("BENCH_HIDDEN", "512")):
        os.environ["BENCH_HIDDEN"] = str(args.hidden)
        os.execv(sys.executable, [sys.executable, *sys.argv])   # train_speed reads the width at import
    from threadpoolctl import threadpool_limits

    from engine.nn.parallel import available_cpus
    threads = args.threads or available_cpus()
    print(f"{cpu_model()}; {blas_description()}; {threads} BLAS threads held")
    print(f"ms per step, 784-{args.hidden}-{args.hidden}-10 RMSprop")
    steps = {b: max(20, int(20_000 / b * 512 / args.hidden)) for b in args.batches}
    with threadpool_limits(threads, user_api="blas"):
        results = {b: profile(b, steps[b], args.blocks) for b in args.batches}
    # what the BLAS gains from its threads here: the products alone at one thread and at all,
    # block by block in turn (a slow phase of a shared machine lasts tens of seconds)
    scaling = {b: threads_in_turn(b, steps[b], args.blocks, (1, threads)) for b in args.batches} \
        if threads > 1 else {}
    print(f"{'':<28}" + "".join(f"{'batch ' + str(b):>12}" for b in args.batches))
    for k in PARTS:
        print(f"{k:<28}" + "".join(f"{results[b][0][k] * 1e3:>12.3f}" for b in args.batches))
    print(f"{'sum of the parts':<28}" + "".join(f"{sum(results[b][0].values()) * 1e3:>12.3f}" for b in args.batches))
    print(f"{'the step, no timers':<28}" + "".join(f"{results[b][1] * 1e3:>12.3f}" for b in args.batches))
    print(f"{'the same products alone':<28}" + "".join(f"{results[b][2] * 1e3:>12.3f}" for b in args.batches))
    def in_step(b):
        parts = results[b][0]
        return parts["forward products"] + parts["weight-gradient products"] + parts["input-gradient products"]

    print(f"{'products in step / alone':<28}" + "".join(f"{in_step(b) / results[b][2]:>12.2f}" for b in args.batches))
    if scaling:
        print("products alone, in turn:")
        for n in (1, threads):
            print(f"{f'  {n} BLAS thread' + ('s' if n > 1 else ''):<28}"
                  + "".join(f"{scaling[b][n] * 1e3:>12.3f}" for b in args.batches))
        print(f"{f'  1 thread / {threads}':<28}" + "".join(f"{scaling[b][1] / scaling[b][threads]:>12.2f}"
                                                      for b in args.batches))


if __name__ == "__main__":
    main()
