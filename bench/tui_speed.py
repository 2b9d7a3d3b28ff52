"""Training speed with the TUI's dashboard open beside the headless trainer, in one run: the
lecture model (784-512-512-10, RMSprop) on random data at batch 32, each in a fresh process, the
app driven headless by Textual's Pilot (it still lays out, renders and redraws its plots); and
how long a key takes to be handled while it trains (ten presses of `l`, the log-scale toggle, in
the first epoch: from the press to its action done and the plots re-plotted).

The machine's own noise between two runs of the same thing is about as large as the gap being
measured, so the two kinds run in interleaved pairs (headless, dashboard, headless, ...), each
figure is the mean rate over the epochs after the first (which holds the key presses), and the
verdict is the median of the pairs' ratios, beside best against best.

    python bench/tui_speed.py            # 5 pairs, 3 epochs of 40,000 samples each
    python bench/tui_speed.py --pairs 9
    python bench/tui_speed.py --shape tiny   # moons, 512-512-2, 300 epochs of a few milliseconds
    python bench/tui_speed.py --shape tiny --pairs 9

The second shape is the one where per-epoch UI work would dominate (an epoch of moons takes a
few milliseconds): its figure is the run's whole time as the trainer reports it (its finished
event), headless against the dashboard (which maps the decision boundary and inspects layers,
bounded by time: at most 4 maps a second and within 1% of the time, inspections within 1%, the
UI thread's own work within 3%). The bench waits for the run's end with asyncio.sleep, not
Pilot.pause, which posts a callback to every widget and waits for each: UI work of the harness,
not of the app.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import engine  # noqa: E402  (first: it tunes OpenBLAS before NumPy loads)

N, EPOCHS = 40_000, 3


def experiment():
    from train_speed import lecture_experiment
    return lecture_experiment(32, EPOCHS)


def data():
    from train_speed import fake_data
    return fake_data(N)


def tiny_experiment() -> engine.Experiment:
    return engine.Experiment.from_dict({
        "name": "moons-tiny-epochs", "backend": "numpy", "data": {"name": "moons", "samples": 1000},
        "model": {"layers": [{"units": 512, "activation": "relu"}, {"units": 512, "activation": "relu"},
                             {"units": 2, "activation": "softmax"}]},
        "optimizer": {"name": "adam", "learning_rate": 0.001}, "train": {"epochs": 300, "batch_size": 64}})


def tiny_headless() -> float:
    """Seconds of the whole run as its finished event says, from `nntui train --json` (which
    records the run folder as the dashboard does)."""
    import contextlib
    import io

    from nntui.cli import main
    folder = tempfile.mkdtemp(prefix="nntui-bench-")
    path = os.path.join(folder, "tiny.toml")
    tiny_experiment().to_toml(path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["train", path, "--json", "--report", os.path.join(folder, "run")])
    finished = [json.loads(line) for line in out.getvalue().splitlines() if '"finished"' in line]
    return finished[-1]["seconds"]


def tiny_dashboard() -> list[float]:
    from nntui.app import make_app
    from nntui.screens.train import TrainScreen

    os.environ.setdefault("XDG_CONFIG_HOME", "/tmp/nntui-bench-config")
    os.chdir(tempfile.mkdtemp(prefix="nntui-bench-"))      # the dashboard keeps its run under runs/
    done = []

    async def run():
        app = make_app(experiment=tiny_experiment())
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("t")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TrainScreen)
            while screen.running:        # not pilot.pause: it posts a callback to every widget and waits
                await asyncio.sleep(0.1)  # for each, UI work a user's app does not do
            done.extend(e.seconds for e in screen.state.events if e.kind == "finished")
            # the UI thread's CPU time over the run's (the budget the screen keeps, measured)
            done.append((time.thread_time() - screen.ui_cpu0) / (time.perf_counter() - screen.ui_since))

    asyncio.run(run())
    return done[-2:]


def headless() -> float:
    rates = []
    engine.train(experiment(), data=data(), backend="numpy",
                 on_event=lambda e: rates.append(e.samples_per_second) if e.kind == "epoch_end" else None)
    return steady(rates)


def steady(rates: list[float]) -> float:
    """Samples per second over the epochs after the first (harmonic mean: total samples / total time)."""
    later = rates[1:]
    return len(later) / sum(1 / r for r in later)


def dashboard() -> float:
    from nntui.app import make_app
    from nntui.screens.train import TrainScreen

    os.environ.setdefault("XDG_CONFIG_HOME", "/tmp/nntui-bench-config")
    ds = data()
    import nntui.screens.train as screen_module
    screen_module.engine.load_data = lambda spec, **kw: ds   # the dashboard's own run, on the bench's data
    rates, latencies = [], []

    async def run():
        app = make_app(experiment=experiment())
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("t")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TrainScreen)
            while screen.state.started is None:
                await pilot.pause(0.05)
            handled = []
            original = screen.action_log
            screen.action_log = lambda: (original(), handled.append(time.perf_counter()))
            for _ in range(10):                  # keys during the first epoch (the next ones are measured)
                t0 = time.perf_counter()
                await pilot.press("l")           # returns once every widget has emptied its queue
                while not handled and time.perf_counter() - t0 < 5:
                    await asyncio.sleep(0.001)
                if not handled:
                    raise RuntimeError(f"'l' was not handled within 5 s (focused: {app.focused})")
                latencies.append(handled.pop() - t0)   # key press to action done, plots re-plotted (painted next frame)
                await pilot.pause(0.2)
            while screen.running:
                await asyncio.sleep(0.1)
            rates.extend(e.samples_per_second for e in screen.state.events if e.kind == "epoch_end")

    asyncio.run(run())
    print(f"key latency while training: median {sorted(latencies)[len(latencies) // 2] * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms", file=sys.stderr)
    return steady(rates)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.path.insert(0, os.path.dirname(__file__))
        run = {"headless": headless, "dashboard": dashboard, "tiny-headless": tiny_headless,
               "tiny-dashboard": tiny_dashboard}[sys.argv[2]]
        print(json.dumps(run()))
        return
    pairs = int(sys.argv[sys.argv.index("--pairs") + 1]) if "--pairs" in sys.argv else 5
    if "--shape" in sys.argv and sys.argv[sys.argv.index("--shape") + 1] == "tiny":
        tiny(pairs)
        return

    def worker(kind: str) -> float:
        out = subprocess.run([sys.executable, __file__, "--worker", kind], capture_output=True, text=True, check=True)
        if out.stderr.strip():
            print("  " + out.stderr.strip().splitlines()[-1], flush=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    runs = {"headless": [], "dashboard": []}
    for i in range(pairs):
        h, d = worker("headless"), worker("dashboard")
        runs["headless"].append(h)
        runs["dashboard"].append(d)
        print(f"pair {i + 1}: headless {h:,.0f}  dashboard {d:,.0f} samples/s  ratio {d / h:.3f}", flush=True)
    ratios = sorted(d / h for h, d in zip(runs["headless"], runs["dashboard"]))
    print(f"dashboard / headless: median of pairs {ratios[len(ratios) // 2]:.3f} "
          f"(range {ratios[0]:.3f}-{ratios[-1]:.3f}); best against best "
          f"{max(runs['dashboard']) / max(runs['headless']):.3f} "
          f"({max(runs['dashboard']):,.0f} / {max(runs['headless']):,.0f} samples/s)")


def tiny(pairs: int) -> None:
    """Headless and dashboard runs alternate, a headless one first and last (h d h d ... h): each
    dashboard run is set against the mean of the headless runs just before and after it, which
    cancels the drift of a shared machine's speed; the ratio of each headless run to the one
    before it is the machine's own noise, printed beside (a dashboard figure inside that spread is
    no cost this machine can tell apart)."""
    def worker(kind: str) -> float:
        out = subprocess.run([sys.executable, __file__, "--worker", kind], capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    heads, ratios, noise, shares = [worker("tiny-headless")], [], [], []
    for i in range(pairs):
        d, ui = worker("tiny-dashboard")
        shares.append(ui)
        heads.append(worker("tiny-headless"))
        around = (heads[-2] + heads[-1]) / 2
        ratios.append(d / around)
        noise.append(heads[-1] / heads[-2])
        print(f"round {i + 1}: 300 moons epochs: dashboard {d:.2f} s, headless around it {heads[-2]:.2f} and "
              f"{heads[-1]:.2f} s: ratio {d / around:.3f}; UI thread {ui:.1%} of a core", flush=True)

    def spread(xs: list[float]) -> str:
        xs = sorted(xs)
        return f"median {xs[len(xs) // 2]:.3f} (range {xs[0]:.3f}-{xs[-1]:.3f})"

    print(f"dashboard / headless around it: {spread(ratios)}")
    print(f"the machine's own noise, headless / the headless run before it: {spread(noise)}")
    print(f"the UI thread's CPU time over the run's: {spread(shares)}")


if __name__ == "__main__":
    main()
