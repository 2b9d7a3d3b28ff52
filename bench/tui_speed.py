"""Training speed with the TUI's dashboard open beside the headless trainer, in one run: the
lecture model (784-512-512-10, RMSprop) on random data at batch 32, each in a fresh process, the
app driven headless by Textual's Pilot (it still lays out, renders and redraws its plots).

    python bench/tui_speed.py            # 2 epochs of 40,000 samples, best of 3
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

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
    original = engine.train

    def train_with_data(exp, **kw):  # the dashboard's own trainer call, on the bench's data
        return original(exp, data=ds, backend="numpy", **{k: v for k, v in kw.items() if k != "data"})

    import nntui.screens.train as screen_module
    screen_module.engine.train = train_with_data
    rates = []

    async def run():
        app = make_app(experiment=experiment())
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("t")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, TrainScreen)
            while screen.running:
                await pilot.pause(0.1)
            rates.extend(e.samples_per_second for e in screen.state.events if e.kind == "epoch_end")

    asyncio.run(run())
    return rates[-1]


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.path.insert(0, os.path.dirname(__file__))
        print(json.dumps(headless() if sys.argv[2] == "headless" else dashboard()))
        return
    best = {}
    for kind in ("headless", "dashboard"):
        runs = [json.loads(subprocess.run([sys.executable, __file__, "--worker", kind], capture_output=True,
                                          text=True, check=True).stdout.strip().splitlines()[-1]) for _ in range(3)]
        best[kind] = max(runs)
        print(f"{kind:<10} {', '.join(f'{r:,.0f}' for r in runs)} samples/s (best {best[kind]:,.0f})", flush=True)
    print(f"dashboard / headless: {best['dashboard'] / best['headless']:.2f}")


if __name__ == "__main__":
    main()
