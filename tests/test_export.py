"""Export as code: every preset's script compiles for every framework; the MLX script runs (mlx[cpu]
is a test dependency) and lands within 2 points of nntui's own test accuracy on the digits with
the same seed; the PyTorch and Keras scripts run where torch or keras is importable; a golden file
per framework holds the lecture model's script; conventions that differ are converted (RMSprop's
epsilon) or said (MLX has no Nadam); the Build screen's dialog shows and saves the script."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import engine
from engine.export import FRAMEWORKS, export
from engine.presets import load_preset, preset_names

from .conftest import wait_until

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).with_name("golden")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_presets_script_compiles(framework):
    for name in preset_names():
        code = export(load_preset(name), framework).code
        compile(code, f"{name}.{framework}.py", "exec")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_lecture_models_script_is_the_golden_file(framework):
    """A change to what is exported shows here as a diff to read: regenerate the files with
    `nntui export --preset lecture-first-network --to F -o tests/golden/lecture-first-network.F.py`."""
    code = export(load_preset("lecture-first-network"), framework, source="preset lecture-first-network").code
    assert code == (GOLDEN / f"lecture-first-network.{framework}.py").read_text()


def run_script(tmp_path, code: str, python=sys.executable, env=None) -> str:
    path = tmp_path / "script.py"
    path.write_text(code)
    r = subprocess.run([python, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=600,
                       env={**os.environ, **(env or {})})
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def accuracy_of(out: str) -> float:
    found = re.findall(r"test_accuracy'?:? ?([0-9.]+)", out)
    assert found, out[-2000:]
    return float(found[-1])


def test_the_mlx_script_reaches_nntuis_accuracy_on_digits(tmp_path):
    pytest.importorskip("mlx.core")
    exp = load_preset("digits")
    ours = engine.train(exp, backend="numpy").metrics["test_accuracy"]
    theirs = accuracy_of(run_script(tmp_path, export(exp, "mlx").code))
    assert abs(theirs - ours) <= 0.02, (theirs, ours)


@pytest.mark.parametrize("framework,module", [("pytorch", "torch"), ("keras", "keras")])
def test_the_pytorch_and_keras_scripts_reach_nntuis_accuracy_on_digits(tmp_path, framework, module):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed here (pip install {module} to run its export)")
    exp = load_preset("digits")
    ours = engine.train(exp, backend="numpy").metrics["test_accuracy"]
    env = {"KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "torch")} if module == "keras" else None
    theirs = accuracy_of(run_script(tmp_path, export(exp, framework).code, env=env))
    assert abs(theirs - ours) <= 0.02, (theirs, ours)


def test_conventions_are_converted_or_said():
    rms = load_preset("fashion-mnist-mlp")            # RMSprop, epsilon 1e-7 inside the root (Keras 3)
    assert "eps=0.00031622776601683794" in export(rms, "pytorch").code    # outside: its square root
    assert "epsilon=1e-07" in export(rms, "keras").code
    d = load_preset("digits").to_dict()
    d["optimizer"] = {"name": "nadam"}
    d["model"]["layers"].insert(1, {"type": "batchnorm", "momentum": 0.9, "epsilon": 0.001})
    nadam = engine.Experiment.from_dict(d)
    mlx = export(nadam, "mlx")
    assert any("no Nadam" in w for w in mlx.warnings) and "# nntui: MLX has no Nadam" in mlx.code
    torch_code = export(nadam, "pytorch").code
    assert "torch.optim.NAdam" in torch_code and "nn.BatchNorm1d(64, momentum=0.1, eps=0.001)" in torch_code
    assert "layers.BatchNormalization(momentum=0.9, epsilon=0.001)" in export(nadam, "keras").code


def test_nntui_export_writes_the_script_and_warns_on_stderr(tmp_path):
    d = load_preset("digits").to_dict()
    d["optimizer"] = {"name": "nadam"}
    path = tmp_path / "nadam.toml"
    path.write_text(engine.Experiment.from_dict(d).to_toml_string())
    r = subprocess.run([sys.executable, "-m", "nntui", "export", str(path), "--to", "mlx", "-o", str(tmp_path / "x.py")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "warning: MLX has no Nadam" in r.stderr
    compile((tmp_path / "x.py").read_text(), "x.py", "exec")
    r = subprocess.run([sys.executable, "-m", "nntui", "export", "--preset", "digits", "--to", "mlx", "--standalone"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--standalone" in r.stderr and "Traceback" not in r.stderr


def test_a_standalone_script_reads_an_npz_file_inline(tmp_path):
    pytest.importorskip("mlx.core")
    digits = engine.load_data(load_preset("digits").data)
    np.savez(tmp_path / "digits.npz", x=np.concatenate([digits.x_train, digits.x_val]),
             y=np.concatenate([digits.y_train, digits.y_val]), x_test=digits.x_test, y_test=digits.y_test)
    d = load_preset("digits").to_dict()
    d["data"] = {"name": "npz", "path": str(tmp_path / "digits.npz")}
    code = export(engine.Experiment.from_dict(d), "mlx", standalone=True).code
    assert "import engine" not in code and "np.load(" in code
    assert accuracy_of(run_script(tmp_path, code)) >= 0.9


@pytest.mark.asyncio
async def test_the_build_screens_dialog_shows_and_saves_the_script(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    from textual.widgets import Input, TextArea

    from nntui.app import make_app
    from nntui.screens.export import ExportScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("E")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen))
        screen = app.screen
        assert screen.framework == "pytorch"
        await pilot.press("3")
        await pilot.pause()
        assert screen.framework == "mlx"
        shown = screen.query_one("#code-mlx", TextArea).text
        assert shown == export(app.draft.experiment, "mlx").code
        await pilot.press("s")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "FilePicker")
        app.screen.query_one("#path", Input).value = "mine"
        await pilot.press("enter")
        await wait_until(pilot, lambda: (tmp_path / "mine.py").exists())
        assert (tmp_path / "mine.py").read_text() == shown


def test_a_standalone_script_reads_a_csv_file_inline(tmp_path):
    pytest.importorskip("mlx.core")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    rows = "a,b,c,label\n" + "".join(f"{r[0]:.5f},{r[1]:.5f},{r[2]:.5f},{t}\n" for r, t in zip(x, y))
    (tmp_path / "points.csv").write_text(rows)
    exp = engine.Experiment.from_dict({
        "data": {"name": "csv", "path": str(tmp_path / "points.csv"), "scale": "standardize"},
        "model": {"layers": [{"units": 8, "activation": "relu"}, {"units": 2, "activation": "softmax"}]},
        "optimizer": {"name": "adam", "learning_rate": 0.01}, "train": {"epochs": 15}})
    code = export(exp, "mlx", standalone=True).code
    assert "np.loadtxt(" in code and "import engine" not in code
    assert accuracy_of(run_script(tmp_path, code)) >= 0.9
