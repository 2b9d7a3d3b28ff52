"""How long an edit in the builder takes to show its consequences (the stack's counts, the
totals, the status line, the advice), on a quiet machine and on one kept busy by another
process spinning on every core, side by side in one run, in interleaved rounds of fresh
processes.

An edit is a key sent to the app as a terminal sends it (the app runs headless under Textual's
Pilot, which still lays out and renders every frame): `c` (copy a layer), `d` (delete it),
typing a unit count into the output layer (a wrong one: the status says "cannot train"), and `o`
(the advice's fix). Its latency is from the key's arrival to the end of the first frame painted
after the screen's widgets say the new thing.

    python bench/edit_latency.py              # 3 rounds
    python bench/edit_latency.py --rounds 5
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def spin(stop) -> None:
    while not stop.is_set():
        pass


def measure() -> dict[str, list[float]]:
    from textual import events
    from textual.widgets import Input, Static

    from nntui.app import make_app

    os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="nntui-bench-"))
    out: dict[str, list[float]] = {"copy": [], "delete": [], "type units": [], "fix output": []}

    async def run():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            build = app.screen
            totals = build.query_one("#totals", Static)
            status = build.query_one("#status", Static)

            painted = []
            display = app._display

            def paint(screen, update):
                """The frame, turned into the escape sequences a terminal would be sent (headless,
                Textual computes the frame but skips that step)."""
                display(screen, update)
                if update is not None and hasattr(update, "render_segments"):
                    update.render_segments(app.console)
                painted.append(time.perf_counter())

            app._display = paint

            async def timed(name, keys, done):
                """From the key's arrival to the end of the first frame painted after the widgets
                say the new thing. The key is sent as a terminal's would be, not with
                ``pilot.press``, whose own wait for an idle process would be measured too."""
                await pilot.pause(0.1)
                t0 = time.perf_counter()
                for key in keys:
                    app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
                while not done():
                    if time.perf_counter() - t0 > 10:
                        raise RuntimeError(f"{name}: not shown after 10 s")
                    await asyncio.sleep(0.0005)
                shown = time.perf_counter()
                while not painted or painted[-1] < shown:
                    if time.perf_counter() - shown > 10:
                        raise RuntimeError(f"{name}: no frame painted 10 s after it was shown")
                    await asyncio.sleep(0.0005)
                out[name].append(painted[-1] - t0)

            for _ in range(5):
                before = str(totals.render())
                await timed("copy", ["c"], lambda b=before: str(totals.render()) != b)
                before = str(totals.render())
                await timed("delete", ["d"], lambda b=before: str(totals.render()) != b)
                await pilot.pause(0.05)
            build.query_one("#stack").move_cursor(row=len(app.draft.layers))     # the output layer
            await pilot.pause(0.1)
            for _ in range(5):
                box = next(f for f in build.query("Field") if f.path.endswith("].units")).query_one(Input)
                box.focus()
                await pilot.press("ctrl+u")
                await timed("type units", ["7"], lambda: "cannot train" in str(status.render()))
                build.query_one("#stack").focus()
                await timed("fix output", ["o"], lambda: "ready" in str(status.render()))
                await pilot.pause(0.05)

    asyncio.run(run())
    return out


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        print(json.dumps(measure()))
        return
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3

    def worker() -> dict:
        done = subprocess.run([sys.executable, __file__, "--worker"], capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    results = {"quiet": {}, "loaded": {}}
    for r in range(rounds):
        for kind in ("quiet", "loaded"):
            stop = multiprocessing.Event()
            spinners = [multiprocessing.Process(target=spin, args=(stop,)) for _ in range(os.cpu_count() or 2)] \
                if kind == "loaded" else []
            for p in spinners:
                p.start()
            try:
                got = worker()
            finally:
                stop.set()
                for p in spinners:
                    p.join()
            for name, values in got.items():
                results[kind].setdefault(name, []).extend(values)
        print(f"round {r + 1} done", flush=True)
    print(f"{'edit':<12}{'quiet median':>14}{'quiet max':>11}{'loaded median':>15}{'loaded max':>12}   (ms)")
    for name in results["quiet"]:
        q, ld = sorted(results["quiet"][name]), sorted(results["loaded"][name])
        print(f"{name:<12}{q[len(q) // 2] * 1000:>14.1f}{q[-1] * 1000:>11.1f}"
              f"{ld[len(ld) // 2] * 1000:>15.1f}{ld[-1] * 1000:>12.1f}")


if __name__ == "__main__":
    main()
