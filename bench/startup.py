"""Start-up: how long the commands that do not train take to answer, and how long `nntui` takes
to show its first screen, each the best of several fresh processes (warm: the files are in the
page cache after the first), in interleaved rounds; then the ten slowest imports (their own
time, `python -X importtime`) of the command line and of the app.

    python bench/startup.py              # 5 rounds
    python bench/startup.py --rounds 9

The first screen is timed from the moment this script starts the process to the
builder's first frame (the first screenful Textual hands its driver), the app driven headless by
Textual's Pilot in a terminal of 120x40.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
NNTUI = [sys.executable, "-m", "nntui"]


def first_screen(started: float) -> float:
    """In a fresh process: seconds from ``started`` (the parent's clock as it started this
    process) to the builder's first frame (the first screenful Textual hands to its driver;
    headless, the driver then writes nothing). Not the process's create_time: Linux counts it
    from a boot time rounded to the second, a constant error of up to a second."""
    from textual.app import App

    from nntui.app import make_app
    from nntui.screens.build import BuildScreen

    os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="nntui-bench-"))
    shown = []
    display = App._display

    def first_display(self, screen, renderable):
        if renderable is not None and not shown and isinstance(screen, BuildScreen):
            shown.append(time.time() - started)
        return display(self, screen, renderable)

    App._display = first_display

    async def run():
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()

    import asyncio
    asyncio.run(run())
    return shown[0]


def command_seconds(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(NNTUI + args, capture_output=True, cwd=ROOT, check=False)
    return time.perf_counter() - t0


def import_top(code: str, n: int = 10) -> list[tuple[int, str]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, cwd=ROOT)
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = line[len("import time:"):].split("|")
        rows.append((int(own), name.strip()))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    if sys.argv[1:2] == ["--first-screen"]:
        print(json.dumps(first_screen(float(sys.argv[2]))))
        return
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    run = tempfile.mkdtemp(prefix="nntui-bench-run-")
    subprocess.run(NNTUI + ["train", "--preset", "spiral-relu", "--epochs", "2", "--quiet", "--report", run, "--overwrite"],
                   capture_output=True, cwd=ROOT, check=True)
    commands = {"--version": ["--version"], "--help": ["--help"], "presets": ["presets"],
                "datasets": ["datasets"], "report": ["report", run]}
    best = {name: float("inf") for name in [*commands, "first screen"]}
    for _ in range(rounds):
        for name, args in commands.items():
            best[name] = min(best[name], command_seconds(args))
        out = subprocess.run([sys.executable, __file__, "--first-screen", repr(time.time())], capture_output=True,
                             text=True, cwd=ROOT, check=True)
        best["first screen"] = min(best["first screen"], json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"best of {rounds} fresh processes each (python {sys.version.split()[0]}):")
    for name, seconds in best.items():
        what = "nntui" if name == "first screen" else f"nntui {' '.join(commands[name][:1])}"
        print(f"  {name:13} {seconds * 1000:6.0f} ms   ({what})")
    for label, code in (("import nntui.cli", "import nntui.cli"), ("the app", "import nntui.app")):
        print(f"slowest imports of {label} (own time):")
        for own, name in import_top(code):
            print(f"  {own / 1000:6.1f} ms  {name}")


if __name__ == "__main__":
    main()
