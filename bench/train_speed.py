"""Training speed of the lecture model (784-512-512-10, ReLU, softmax, RMSprop) in samples/s:
the NumPy backend beside PyTorch on the CPU (eager and torch.compile), the MLX backend (compiled
and eager, on whatever device MLX has) and the GEMM bound, all in one run.

Each figure is the steady state: the second pass over the same data (the first touches fresh
memory), the median of three rounds in which every peer runs once in a fresh process, one after
another (interleaved: a slow phase of a shared machine lasts tens of seconds). The CPU model and
the BLAS kernel NumPy uses (threadpoolctl) head the table. The GEMM bound is the batch size divided by the time of one step's matrix products alone, timed
with NumPy: the three forward products, the three weight-gradient products and the input-gradient
products that a step needs (layers 2 and 3; nothing consumes layer 1's input gradient, and neither
we nor PyTorch compute it). The bound with that ninth product too is printed for reference.

    python bench/train_speed.py                 # batch 32, 128, 512
    python bench/train_speed.py --long          # also a later epoch on random labels (subnormals)
    python bench/train_speed.py --hidden 4096   # the wide model (784-4096-4096-10)
    python bench/train_speed.py --no-torch --no-mlx   # NumPy and the bound only
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import engine  # noqa: E402  (first: it tunes OpenBLAS before NumPy loads it, as `nntui` does)

# isort: split
import numpy as np  # noqa: E402

from engine.data import Dataset  # noqa: E402

HIDDEN = int(os.environ.get("BENCH_HIDDEN", "512"))
SIZES = (784, HIDDEN, HIDDEN, 10)


def cpu_model() -> str:
    """The CPU's model name as the kernel reports it (Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def blas_description() -> str:
    """NumPy's BLAS and the kernel it chose for this CPU (threadpoolctl), e.g. 'openblas 0.3.31 (SkylakeX)'."""
    from threadpoolctl import threadpool_info
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            arch = info.get("architecture")
            return f"{info.get('internal_api')} {info.get('version')}" + (f" ({arch} kernel)" if arch else "")
    return "BLAS unknown"


def lecture_experiment(batch: int, epochs: int = 1) -> engine.Experiment:
    return engine.Experiment.from_dict({
        "backend": "numpy",
        "data": {"name": "fashion-mnist", "validation_split": 0.0},
        "model": {"layers": [{"units": HIDDEN, "activation": "relu", "initializer": "he_normal"},
                             {"units": HIDDEN, "activation": "relu", "initializer": "he_normal"},
                             {"units": 10, "activation": "softmax"}]},
        "optimizer": {"name": "rmsprop", "learning_rate": 0.001},
        "train": {"epochs": epochs, "batch_size": batch}})


def fake_data(n: int, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784), dtype=np.float32)
    y = rng.integers(0, 10, n)
    empty = np.empty((0, 784), np.float32)
    return Dataset(x, y, empty, y[:0], empty, y[:0], [str(i) for i in range(10)], "classification", "bench")


def numpy_engine(batch: int, steps: int, epochs: int = 1) -> list[float]:
    """samples/s of each epoch of engine.train (the trainer users run, shuffling included). The
    first pass over freshly allocated data is slower (first touches of its pages), for PyTorch
    too: both are reported from their second pass."""
    data = fake_data(batch * steps)
    rates = []
    engine.train(lecture_experiment(batch, epochs), data=data, backend="numpy",
                 on_event=lambda e: rates.append(e.samples_per_second) if e.kind == "epoch_end" else None)
    return rates


def mlx_engine(batch: int, steps: int, compiled: bool) -> dict | None:
    """samples/s of the MLX backend through engine.train (second epoch), and its device."""
    try:
        from engine.backends import mlx_status
        if not mlx_status()[0]:
            return None
    except ImportError:
        return None
    exp = lecture_experiment(batch, epochs=2)
    model = engine.build_model(exp, 784, backend="mlx", compiled=compiled)
    rates = []
    engine.train(exp, data=fake_data(batch * steps), model=model,
                 on_event=lambda e: rates.append(e.samples_per_second) if e.kind == "epoch_end" else None)
    return {"rate": rates[-1], "device": model.describe_device()}


def step_products(batch: int, with_first_input_grad: bool = False):
    """A function that runs one step's matrix products of the lecture model (784-HIDDEN-HIDDEN-10)
    on random operands: three forward, three weight gradients and the input gradients of layers
    2 and 3 (of layer 1 too with ``with_first_input_grad``)."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    x = rng.random((batch, 784), dtype=f32)
    ws = [rng.standard_normal((a, b), dtype=f32) for a, b in zip(SIZES[:-1], SIZES[1:])]
    hs = [np.empty((batch, b), f32) for b in SIZES[1:]]
    ds = [np.empty((batch, a), f32) for a in SIZES[:-1]]
    gs = [np.empty_like(w) for w in ws]
    d_out = rng.standard_normal((batch, 10), dtype=f32)

    def products():
        a = x
        for w, h in zip(ws, hs):
            np.dot(a, w, out=h)
            a = h
        d = d_out
        for i in (2, 1, 0):
            np.dot((hs[i - 1] if i else x).T, d, out=gs[i])
            if i or with_first_input_grad:
                np.dot(d, ws[i].T, out=ds[i])
                d = ds[i]

    return products


def gemm_bound(batch: int, repeats: int, with_first_input_grad: bool = False) -> float:
    products = step_products(batch, with_first_input_grad)
    for _ in range(5):
        products()
    best = float("inf")
    for _ in range(3):  # best of three blocks: the bound is what the hardware can do
        t0 = time.perf_counter()
        for _ in range(repeats):
            products()
        best = min(best, (time.perf_counter() - t0) / repeats)
    return batch / best


def torch_rates(batch: int, steps: int, compiled: bool, device: str = "cpu") -> float | None:
    """samples/s of PyTorch's own training loop (second pass). On a GPU the data lives on the
    device, batches are gathered there and the loss is read every SYNC steps, as the MLX
    backend does (engine.backends.mlx.model.DEFER_GPU); on the CPU every step's loss is read."""
    try:
        import torch
    except ImportError:
        return None
    if device == "cuda" and not torch.cuda.is_available():
        return None
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, HIDDEN),
                                torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10)).to(device)
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = batch * steps
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 784, generator=g).to(device)
    y = torch.randint(0, 10, (n,), generator=g).to(device)
    sync = 1 if device == "cpu" else SYNC

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    fn = torch.compile(step) if compiled else step
    for _ in range(5):  # warm-up (and compilation)
        fn(x[:batch], y[:batch]).item()
    for _ in range(2):  # two passes over the data, like the NumPy figure; the second is reported
        perm = torch.randperm(n, generator=g).to(device)
        t0 = time.perf_counter()
        total = None
        for i in range(steps):
            idx = perm[i * batch:(i + 1) * batch]
            loss = fn(x[idx], y[idx])
            total = loss.detach() if total is None else total + loss.detach()
            if (i + 1) % sync == 0:
                total.item()
        total.item()
        rate = n / (time.perf_counter() - t0)
    return rate


#: on a GPU, steps between two reads of the loss (the MLX backend's DEFER_GPU)
SYNC = 16


REPEATS = 3


def run_worker(kind: str, batch: int, steps: int):
    """One figure, measured in a fresh process: NumPy's OpenBLAS and PyTorch's OpenMP threads
    keep spinning after use and would slow whichever library runs next in the same process."""
    out = subprocess.run([sys.executable, __file__, "--worker", kind, str(batch), str(steps)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _rate(value) -> float:
    if isinstance(value, dict):
        return value["rate"]
    return max(value) if isinstance(value, list) else value


def measure_rounds(kinds: dict[str, int], batch: int) -> dict:
    """Each kind's median over REPEATS rounds; a round runs every kind once, one after another
    (interleaved: a slow phase of a shared machine lasts tens of seconds and would otherwise fall
    on one peer's repeats). ``kinds`` maps a kind to its step count; the value kept for a kind is
    the run with the median rate (its device and per-epoch figures with it)."""
    runs: dict[str, list] = {k: [] for k in kinds}
    for _ in range(REPEATS):
        for kind, steps in kinds.items():
            runs[kind].append(run_worker(kind, batch, steps))
    out = {}
    for kind, values in runs.items():
        if values[0] is None:
            out[kind] = None
            continue
        ordered = sorted(values, key=_rate)
        out[kind] = ordered[len(ordered) // 2]
    return out


def worker(kind: str, batch: int, steps: int) -> None:
    if kind == "numpy":
        value = numpy_engine(batch, steps, epochs=2)[-1]
    elif kind == "long":
        value = numpy_engine(batch, steps, epochs=3)
    elif kind in ("mlx", "mlx-eager"):
        value = mlx_engine(batch, steps, compiled=kind == "mlx")
    elif kind in ("bound", "bound9"):
        value = gemm_bound(batch, steps, with_first_input_grad=kind == "bound9")
    elif kind in ("cuda", "cuda-compile"):
        value = torch_rates(batch, steps, compiled=kind == "cuda-compile", device="cuda")
    else:
        value = torch_rates(batch, steps, compiled=kind == "compile")
    print(json.dumps(value))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, nargs="+", default=[32, 128, 512])
    ap.add_argument("--seconds", type=float, default=2.0, help="rough time per measurement")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-mlx", action="store_true")
    ap.add_argument("--hidden", type=int, default=512, help="width of both hidden layers (4096: the wide model)")
    ap.add_argument("--long", action="store_true", help="also train 3 epochs on random labels and report each")
    ap.add_argument("--repeats", type=int, default=REPEATS, help="interleaved rounds (the median kept)")
    ap.add_argument("--gpu", action="store_true",
                    help="the GPU table instead: the MLX backend (through engine.train) beside PyTorch CUDA")
    args = ap.parse_args()
    globals()["REPEATS"] = args.repeats
    if args.gpu:
        gpu_table(args)
        return
    os.environ["BENCH_HIDDEN"] = str(args.hidden)  # the worker processes read it
    have_torch = False
    if not args.no_torch:
        try:
            import torch
            have_torch = True
            print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
        except ImportError:
            print("torch not installed: PyTorch columns skipped (pip install torch)")
    print(f"{cpu_model()}, {os.cpu_count()} cpus; numpy {np.__version__}, {blas_description()}")
    print(f"medians of {REPEATS} interleaved rounds of fresh processes\n")
    head = (f"{'batch':>6} {'numpy':>9} {'torch':>9} {'compile':>9} {'mlx':>9} {'mlx eager':>9} {'bound':>9} "
            f"{'bound9':>9}  numpy/bound  numpy/torch  numpy/compile")
    mlx_device = None
    if args.long:
        print("long run: 3 epochs of 60,000 random-label samples at batch 32 (units die, accumulators decay)")
        rates = measure_rounds({"long": 60000 // 32}, 32)["long"]
        print("  numpy epochs: " + ", ".join(f"{r:,.0f}" for r in rates) + " samples/s "
              f"(later / first: {min(rates[1:]) / rates[0]:.2f} at worst)\n")
    print(f"training samples/s, 784-{args.hidden}-{args.hidden}-10 RMSprop")
    print(head)
    work = _work(args.hidden)
    for b in args.batches:
        bound_steps = max(10, int(4000 / b / work))
        steps = max(20, int(args.seconds * 40000 / b / work))  # about args.seconds at 40,000 samples/s (lecture)
        kinds = {"bound": bound_steps, "bound9": bound_steps, "numpy": steps}
        if have_torch:
            kinds.update({"eager": steps, "compile": steps})
        if not args.no_mlx:
            kinds.update({"mlx": max(20, steps // 20), "mlx-eager": max(20, steps // 20)})  # MLX on a CPU: fewer
        got = measure_rounds(kinds, b)
        ours, bound, bound9 = _rate(got["numpy"]), _rate(got["bound"]), _rate(got["bound9"])
        eager, comp = (_rate(got[k]) if got.get(k) else None for k in ("eager", "compile"))
        mlx_c, mlx_e = got.get("mlx"), got.get("mlx-eager")
        mlx_device = (mlx_c or {}).get("device", mlx_device)
        fmt = lambda v: f"{v:>9,.0f}" if v else f"{'-':>9}"  # noqa: E731
        ratio_t = f"{ours / eager:>11.2f}x" if eager else f"{'-':>12}"
        ratio_c = f"{ours / comp:>13.2f}x" if comp else f"{'-':>14}"
        print(f"{b:>6} {fmt(ours)} {fmt(eager)} {fmt(comp)} {fmt((mlx_c or {}).get('rate'))} "
              f"{fmt((mlx_e or {}).get('rate'))} {fmt(bound)} {fmt(bound9)}  {ours / bound:>11.2f}  {ratio_t}  {ratio_c}",
              flush=True)
    if mlx_device:
        print(f"mlx device: {mlx_device}")


def _work(hidden: int) -> float:
    """A step's multiply-adds against the lecture model's (the wide model: 30 times): as many times fewer steps."""
    return (784 * hidden + hidden * hidden + hidden * 10) / (784 * 512 + 512 * 512 + 512 * 10)


def gpu_table(args) -> None:
    """MLX (compiled step, the training set on the device, the host reading the loss every 16
    steps) beside PyTorch CUDA eager and torch.compile, doing the same; samples/s, medians of the
    interleaved rounds."""
    os.environ["BENCH_HIDDEN"] = str(args.hidden)
    print(f"{cpu_model()}; medians of {REPEATS} interleaved rounds of fresh processes")
    # a column whose library has no GPU here is left empty rather than run on the CPU, where the
    # wide model would take the device's whole budget
    kinds = []
    try:
        import mlx.core as mx
        if mx.is_available(mx.gpu):
            kinds.append("mlx")
        print(f"mlx {mx.__version__}, gpu {mx.is_available(mx.gpu)}")
    except ImportError as exc:
        print(f"mlx does not import ({exc}): the MLX column is empty")
    try:
        import torch
        print(f"torch {torch.__version__}, cuda {torch.cuda.is_available() and torch.cuda.get_device_name(0)}")
        if torch.cuda.is_available():
            kinds += ["cuda", "cuda-compile"]
    except ImportError:
        print("torch not installed: the PyTorch columns are empty")
    if not kinds:
        sys.exit("train_speed.py --gpu: neither MLX nor PyTorch has a GPU here; nothing measured")
    print(f"\ntraining samples/s, 784-{args.hidden}-{args.hidden}-10 RMSprop, on the GPU")
    print(f"{'batch':>6} {'mlx':>10} {'torch':>10} {'compile':>10}  mlx/torch  mlx/compile   mlx device")
    for b in args.batches:
        steps = max(50, int(args.seconds * 200_000 / b))     # about args.seconds at 200,000 samples/s
        got = measure_rounds({kind: steps for kind in kinds}, b)
        mlx, eager, comp = got.get("mlx"), got.get("cuda"), got.get("cuda-compile")
        rate = (mlx or {}).get("rate")
        fmt = lambda v: f"{v:>10,.0f}" if v else f"{'-':>10}"  # noqa: E731
        ratio = lambda a, c: f"{a / c:>9.2f}x" if a and c else f"{'-':>10}"  # noqa: E731
        print(f"{b:>6} {fmt(rate)} {fmt(eager)} {fmt(comp)} {ratio(rate, eager)} {ratio(rate, comp):>12}   "
              f"{(mlx or {}).get('device', '-')}", flush=True)


if __name__ == "__main__":
    main()
