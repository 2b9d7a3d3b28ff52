"""The command line starts with the garbage collector held back (nntui/startup.py) and the
long-lived work runs with Python's own thresholds, start-up frozen out of the collector's walks."""

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nntui import startup

ROOT = Path(__file__).resolve().parents[1]


def python(code: str, *args) -> dict:
    """Run ``code`` in a fresh interpreter (the CLI's process as `nntui` starts it); its last line of
    stdout as JSON."""
    r = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_training_runs_at_pythons_thresholds_with_start_up_frozen(tmp_path):
    seen = python("""
import gc, json, sys
import engine, nntui.cli
default = gc.get_threshold()
real, at = engine.train, {}
def train(*a, **k):
    at.update(threshold=gc.get_threshold(), frozen=gc.get_freeze_count())
    return real(*a, **k)
engine.train = train
code = nntui.cli.main(["train", "--preset", "spiral-relu", "--epochs", "2", "--quiet", "--report", sys.argv[1]])
print(json.dumps({"code": code, "default": default, **at}))
""", tmp_path / "run")
    assert seen["code"] == 0
    assert seen["threshold"] == seen["default"]
    assert seen["frozen"] > 10_000          # the imports' objects: never walked again


def test_a_report_starts_with_few_collections(tmp_path):
    """`nntui report` at Python's default thresholds collected some 40 times; held, once at most."""
    r = subprocess.run([sys.executable, "-m", "nntui", "train", "--preset", "spiral-relu", "--epochs", "2",
                        "--quiet", "--report", str(tmp_path / "run")], cwd=ROOT, capture_output=True, timeout=300)
    assert r.returncode == 0, r.stderr
    code = """
import gc, io, json, sys, contextlib
counts = [0]
gc.callbacks.append(lambda phase, info: counts.__setitem__(0, counts[0] + (phase == "stop")))
held = sys.argv[2] == "held"
if not held:
    import nntui.startup
    nntui.startup.hold = lambda: None       # as before: Python's own thresholds all along
import nntui.cli
counts[0] = 0                               # from the moment main() holds
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = nntui.cli.main(["report", sys.argv[1]])
print(json.dumps({"code": code, "collections": counts[0], "drawn": "Epochs" in out.getvalue()}))
"""
    held, unheld = (python(code, tmp_path / "run", mode) for mode in ("held", "default"))
    assert held["code"] == unheld["code"] == 0 and held["drawn"] and unheld["drawn"]
    assert unheld["collections"] > 20
    assert held["collections"] <= 1


@pytest.mark.asyncio
async def test_the_app_settles_after_its_first_frame(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    from nntui.app import make_app

    default = gc.get_threshold()
    startup.hold()
    try:
        assert startup.held() and gc.get_threshold() == startup.STARTING
        app = make_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.pause()
            assert not startup.held()
            assert gc.get_threshold() == default
    finally:
        startup.settle()
        gc.set_threshold(*default)


def test_settle_does_nothing_where_nothing_was_held():
    default = gc.get_threshold()
    frozen = gc.get_freeze_count()
    assert not startup.held()
    startup.settle()
    assert gc.get_threshold() == default and gc.get_freeze_count() == frozen


def test_main_called_from_python_gives_the_thresholds_back(tmp_path, capsys):
    """A bad input never reaches a settle; main() still leaves the caller's collector as it was."""
    from nntui.cli import main

    default = gc.get_threshold()
    frozen = gc.get_freeze_count()
    assert main(["trian"]) == 2
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert gc.get_threshold() == default and not startup.held()
    assert gc.get_freeze_count() == frozen          # only the program's own exit freezes
    capsys.readouterr()


def test_a_brief_command_exits_without_walking_its_objects(tmp_path):
    """`nntui presets` as the program: its objects are frozen as it ends (the interpreter's last
    collection at exit walked them for some 25 ms); run from Python, nothing is frozen."""
    code = """
import gc, json, sys, atexit
import nntui.cli
at_exit = {}
atexit.register(lambda: print(json.dumps({"frozen": gc.get_freeze_count(), **at_exit})))
sys.argv = ["nntui", "presets"]
at_exit["code"] = nntui.cli.main()
"""
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    assert seen["code"] == 0 and seen["frozen"] > 10_000
