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
    from nntui.startup import hold

    hold()                  # what nntui.cli.main does first
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


#: every process runs as an installed nntui does: with its bytecode cached (PYTHONDONTWRITEBYTECODE,
#: set in some shells, would recompile every module of nntui in every process)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def command_seconds(args: list[str], argv: list[str] = NNTUI) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv + args, capture_output=True, cwd=ROOT, check=False, env=ENV)
    return time.perf_counter() - t0


def terminal_seconds(args: list[str]) -> float:
    """The command in a terminal (a pseudo-terminal of 100x40, TERM=xterm-256color): in colour,
    as a person at the keyboard sees it, until it has written everything and exited."""
    import fcntl
    import pty
    import struct
    import termios

    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        os.chdir(ROOT)
        try:
            os.execvpe(NNTUI[0], NNTUI + args, {**ENV, "TERM": "xterm-256color"})
        finally:
            os._exit(127)    # never back into the bench's own loop in the child
    while True:
        try:
            if not os.read(fd, 1 << 16):
                break
        except OSError:      # Linux: EIO once the child has closed its end
            break
    os.waitpid(pid, 0)
    os.close(fd)
    return time.perf_counter() - t0


#: the peers, timed in the same rounds: what any Python command costs here, and the libraries the
#: report draws with (rich, plotext) imported and nothing done
PEERS = {"python": ["-c", "pass"], "rich+plotext": ["-c", "import rich.console, rich.table, plotext"]}


def hello_screen(started: float) -> float:
    """The peer of the first screen: a Textual app of one Static, its first frame."""
    from textual.app import App
    from textual.widgets import Static

    shown = []

    class Hello(App):
        def compose(self):
            yield Static("hello")

        def _display(self, screen, renderable):
            if renderable is not None and not shown:
                shown.append(time.time() - started)
            return super()._display(screen, renderable)

    async def run():
        async with Hello().run_test(size=(120, 40)) as pilot:
            await pilot.pause()

    import asyncio
    asyncio.run(run())
    return shown[0]


def import_top(code: str, n: int = 10) -> list[tuple[int, str]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=ENV)
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
    if sys.argv[1:2] == ["--hello-screen"]:
        print(json.dumps(hello_screen(float(sys.argv[2]))))
        return
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5
    run = tempfile.mkdtemp(prefix="nntui-bench-run-")
    subprocess.run(NNTUI + ["train", "--preset", "spiral-relu", "--epochs", "2", "--quiet", "--report", run, "--overwrite"],
                   capture_output=True, cwd=ROOT, check=True, env=ENV)
    commands = {"--version": ["--version"], "--help": ["--help"], "presets": ["presets"],
                "datasets": ["datasets"], "report": ["report", run]}
    in_terminal = {"report, terminal": ["report", run]}
    screens = {"first screen": "--first-screen", "hello screen": "--hello-screen"}
    best = {name: float("inf") for name in [*commands, *in_terminal, *screens, *PEERS]}
    for _ in range(rounds):
        for name, args in commands.items():
            best[name] = min(best[name], command_seconds(args))
        for name, args in in_terminal.items():
            best[name] = min(best[name], terminal_seconds(args))
        for name, args in PEERS.items():
            best[name] = min(best[name], command_seconds(args, [sys.executable]))
        for name, flag in screens.items():
            out = subprocess.run([sys.executable, __file__, flag, repr(time.time())], capture_output=True,
                                 text=True, cwd=ROOT, check=True, env=ENV)
            best[name] = min(best[name], json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"best of {rounds} fresh processes each (python {sys.version.split()[0]}), beside its peer:")
    what = {"first screen": "nntui", "hello screen": "a Textual app of one Static",
            "report, terminal": "nntui report, in colour in a 100x40 pseudo-terminal",
            "python": "python -c pass", "rich+plotext": "python -c 'import rich.console, rich.table, plotext'"}
    for name, seconds in best.items():
        print(f"  {name:16} {seconds * 1000:6.0f} ms   ({what.get(name) or 'nntui ' + commands[name][0]})")
    for label, code in (("import nntui.cli", "import nntui.cli"), ("the app", "import nntui.app")):
        print(f"slowest imports of {label} (own time):")
        for own, name in import_top(code):
            print(f"  {own / 1000:6.1f} ms  {name}")


if __name__ == "__main__":
    main()
