"""The engine is a library, and its house has one-way stairs: importing any engine module loads no
UI (each checked in a fresh interpreter, every module of the package walked), and the import
contracts in pyproject.toml (layers bottom up; only engine.backends.mlx imports mlx; only
engine.search imports optuna) hold, checked by import-linter."""

import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
UI = ("textual", "rich", "nntui", "plotext", "textual_plotext")


def engine_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(engine.__path__, "engine."))


def test_every_engine_module_is_walked():
    mods = engine_modules()
    assert {"engine.spec.experiment", "engine.nn.optimizers", "engine.backends.numpy.model",
            "engine.reports.recorder", "engine.search.worker", "engine.data.tabular"} <= set(mods)


def test_no_engine_module_imports_a_ui():
    code = ("import importlib, json, sys\n"
            "out = {}\n"
            "for name in sys.argv[1:]:\n"
            "    before = set(sys.modules)\n"
            "    importlib.import_module(name)\n"
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {UI!r})\n"
            "print(json.dumps(bad))")
    # one fresh interpreter per module: what a module pulls in is its own, not its neighbours';
    # two at a time (each waits on its imports' files as much as on a core). MLX's own modules
    # need mlx; without it they are left out, not the rest of the walk with them.
    from concurrent.futures import ThreadPoolExecutor
    try:
        import mlx.core  # noqa: F401  (plain mlx on Linux is found but does not import)
        has_mlx = True
    except ImportError:
        has_mlx = False
    names = [n for n in engine_modules()
             if has_mlx or not n.startswith("engine.backends.mlx.") or n == "engine.backends.mlx.probe"]

    def check(name):
        return name, subprocess.run([sys.executable, "-c", code, name], capture_output=True, text=True, cwd=ROOT)

    with ThreadPoolExecutor(2) as pool:
        for name, r in pool.map(check, names):
            assert r.returncode == 0, (name, r.stderr)
            assert r.stdout.strip() == "[]", f"importing {name} loaded UI modules: {r.stdout.strip()}"
    assert len(names) > 50


def test_import_engine_loads_no_mlx_or_optuna():
    code = ("import sys, engine\nengine.train\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'optuna', 'textual', 'rich', 'nntui'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]", out


def test_import_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (it comes with the test extra)")
    r = subprocess.run([lint, "--no-cache"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "4 kept, 0 broken" in r.stdout, r.stdout[-2000:]


def test_the_command_line_and_the_engine_load_what_they_use():
    """`nntui --help` and `--version` import no NumPy, engine or Textual; `import engine` alone
    loads none of its heavy parts; a name loads its module when first used."""
    code = ("import sys, nntui.cli; a = sorted(m for m in ('numpy', 'engine', 'textual', 'rich') if m in sys.modules); "
            "import engine; b = sorted(m for m in ('numpy', 'engine.trainer', 'engine.reports') if m in sys.modules); "
            "engine.Experiment; c = 'engine.spec' in sys.modules and 'engine.trainer' not in sys.modules; "
            "print(a, b, c)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["[]", "[]", "True"], out.stdout + out.stderr
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        engine.nothing_here


def test_reading_an_experiment_loads_no_numpy():
    """An experiment is read and checked from plain tables (engine.names, engine.data.catalog):
    `nntui presets`, a TOML file's check and its defaults load no NumPy; training does."""
    code = ("import sys, engine.presets, engine\n"
            "exps = engine.presets.list_presets()\n"
            "exp = engine.Experiment.from_dict({'model': {'layers': [{'units': 10, 'activation': 'softmax'}]},\n"
            "    'optimizer': {'name': 'RMSProp'}, 'schedule': {'name': 'sgdr'}})\n"
            "a = 'numpy' in sys.modules\n"
            "engine.load_data\n"
            "print(len(exps) > 3, a, 'numpy' in sys.modules, exp.optimizer.name, exp.schedule.name)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["True", "False", "True", "rmsprop", "cosine_restarts"], out.stdout + out.stderr


def test_the_builders_first_screen_loads_no_numpy(tmp_path):
    """The app's first screen (the builder, its forms, advice and layer table) is built from plain
    tables: NumPy loads when something trains or loads data, not to show the builder
    (bench/startup.py's first screen)."""
    code = ("import asyncio, sys\n"
            "from nntui.app import make_app\n"
            "async def main():\n"
            "    app = make_app()\n"
            "    async with app.run_test(size=(120, 40)) as pilot:\n"
            "        await pilot.pause()\n"
            "        await pilot.press('c')\n"       # an edit: the table, totals and advice follow
            "        await pilot.pause()\n"
            "        print(type(app.screen).__name__, app.draft.get('model.layers') is not None)\n"
            "asyncio.run(main())\n"
            "print('numpy' in sys.modules, 'engine.nn.optimizers' in sys.modules)")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.stdout.split() == ["BuildScreen", "True", "False", "False"], out.stdout + out.stderr[-3000:]


def test_reading_a_run_folder_builds_no_event_classes(tmp_path):
    """`nntui report` reads history.csv's columns from engine.columns, not from the trainer's
    event dataclasses (engine.events), and draws a 2D run's map from boundary.json (no NumPy)."""
    code = ("import sys\nfrom engine.reports.history import read_history\nfrom engine.reports.run import story\n"
            "import nntui.report_view\n"
            "print(sorted(m for m in ('engine.events', 'numpy', 'engine.trainer') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr[-3000:]
