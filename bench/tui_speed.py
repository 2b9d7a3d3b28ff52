"""Training speed with the TUI's dashboard open beside the headless trainer, in one run: the
lecture model (784-512-512-10, RMSprop) on random data at batch 32, each in a fresh process, the
app driven headless by Textual's Pilot (it still lays out, renders and redraws its plots); and
how long a key takes to be handled while it trains (ten presses of `l` in the first epoch).

    python bench/tui_speed.py            # 2 epochs of 40,000 samples, best of 3
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import engine  # noqa: E402  (first: it tunes OpenBLAS before NumPy loads)

N, EPOCHS = 40_000, 2


def experiment():
    from train_speed import lecture_experiment
    return lecture_experiment(32, EPOCHS)


def data():
    from train_speed import fake_data
    return fake_data(N)


def headless() -> float:
    rates = []
    engine.train(experiment(), data=data(), backend="numpy",
                 on_event=lambda e: rates.append(e.samples_per_second) if e.kind == "epoch_end" else None)
    return rates[-1]


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
            for _ in range(10):                  # keys during the first epoch (the second is the one measured)
                before = screen.log_scale
                t0 = time.perf_counter()
                await pilot.press("l")
                while screen.log_scale == before and time.perf_counter() - t0 < 5:
                    await asyncio.sleep(0.001)
                if screen.log_scale == before:
                    raise RuntimeError(f"'l' was not handled within 5 s (focused: {app.focused})")
                latencies.append(time.perf_counter() - t0)
                await pilot.pause(0.2)
            while screen.running:
                await pilot.pause(0.1)
            rates.extend(e.samples_per_second for e in screen.state.events if e.kind == "epoch_end")

    asyncio.run(run())
    print(f"key latency while training: median {sorted(latencies)[len(latencies) // 2] * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms", file=sys.stderr)
    return rates[-1]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.path.insert(0, os.path.dirname(__file__))
        print(json.dumps(headless() if sys.argv[2] == "headless" else dashboard()))
        return
    best = {}
    for kind in ("headless", "dashboard"):
        runs = []
        for _ in range(3):
            out = subprocess.run([sys.executable, __file__, "--worker", kind], capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            if out.stderr.strip():
                print("  " + out.stderr.strip().splitlines()[-1], flush=True)
        best[kind] = max(runs)
        print(f"{kind:<10} {', '.join(f'{r:,.0f}' for r in runs)} samples/s (best {best[kind]:,.0f})", flush=True)
    print(f"dashboard / headless: {best['dashboard'] / best['headless']:.2f}")


if __name__ == "__main__":
    main()
