"""Every family of data trains in the app and comes back to Build: the dashboard decides from
the loaded data (not the catalog) whether a decision map fits, so a 2-feature CSV or NPZ gets one
too and never ends the app. Labels from a user's file are shown as text, never run as markup."""

import re

import numpy as np
import pytest

import engine
from nntui.app import make_app
from nntui.screens.build import BuildScreen
from nntui.screens.train import TrainScreen
from nntui.widgets.boundary import BoundaryMap

from .conftest import wait_until

pytestmark = pytest.mark.usefixtures("in_tmp")   # runs/ of the dashboard go there

LAYERS = [{"units": 8, "activation": "relu"}, {"units": 2, "activation": "softmax"}]


def _file_experiment(path, name):
    return engine.Experiment.from_dict({"name": "family", "data": {"name": name, "path": str(path)},
                                        "model": {"layers": LAYERS}, "train": {"epochs": 3}})


def _two_feature_rows(n=200):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(int)


def csv_2d(tmp_path):
    x, y = _two_feature_rows()
    labels = np.array(["[/bold]", "\x1b]0;title\x07b|c"])[y]   # markup and an OSC sequence as labels
    path = tmp_path / "plane.csv"
    path.write_text("a,b,label\n" + "".join(f"{p:.4f},{q:.4f},{c}\n" for (p, q), c in zip(x, labels)),
                    encoding="utf-8")
    return _file_experiment(path, "csv"), True


def npz_2d(tmp_path):
    x, y = _two_feature_rows()
    np.savez(tmp_path / "plane.npz", x=x, y=y)
    return _file_experiment(tmp_path / "plane.npz", "npz"), True


def npz_wide(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 5)).astype(np.float32)
    np.savez(tmp_path / "wide.npz", x=x, y=(x[:, 0] > 0).astype(int))
    return _file_experiment(tmp_path / "wide.npz", "npz"), False


def synthetic_2d(tmp_path):
    return engine.with_overrides(engine.presets.load_preset("spiral-relu"), epochs=3), True


def images(tmp_path):
    return engine.with_overrides(engine.presets.load_preset("digits"), epochs=3), False


@pytest.mark.asyncio
@pytest.mark.parametrize("family", [synthetic_2d, csv_2d, npz_2d, npz_wide, images], ids=lambda f: f.__name__)
async def test_each_data_family_trains_and_returns_to_build(family, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    exp, planar = family(tmp_path)
    app = make_app(experiment=exp)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        await wait_until(pilot, lambda: not screen.running)
        await pilot.pause(0.2)
        assert screen.result is not None, str(screen.query_one("#status").render())
        assert screen.result.metrics["epochs_run"] == 3
        maps = screen.query(BoundaryMap)
        assert bool(maps) == planar
        if planar:
            assert "epoch 3" in maps.first().border_title
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen) and app.is_running


@pytest.mark.asyncio
@pytest.mark.parametrize("content", ["a = " + "[" * 10000 + "]" * 10000 + "\n", "\x00\xff binary [/bold]",
                                     '[data]\nname = "csv"\npath = "[/bold].csv"\n'], ids=["deep", "binary", "markup"])
async def test_a_bad_file_through_the_picker_is_a_message_not_the_end(content, tmp_path, monkeypatch):
    from textual.widgets import Input

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "bad [b].toml"
    path.write_text(content, encoding="utf-8", errors="surrogateescape")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(path)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.is_running and isinstance(app.screen, BuildScreen)
        if "markup" in content or "[data]" in content:   # TOML with wrong values: opened, to be fixed
            assert app.path == path and app.draft.get("data.path") == "[/bold].csv"
        else:                                            # not TOML: a message, and nothing opened
            assert app.path != path


@pytest.mark.asyncio
async def test_a_run_that_fails_on_its_data_says_so_with_markup_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "one.csv"
    path.write_text("a,b,label\n" + "1,2,[/bold]\n" * 30, encoding="utf-8")   # a single class: refused
    app = make_app(experiment=_file_experiment(path, "csv"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen) and not app.screen.running)
        await pilot.pause(0.2)
        status = str(app.screen.query_one("#status").render())
        assert "training failed" in status and "single class ('[/bold]')" in status, status
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen) and app.is_running


@pytest.mark.asyncio
async def test_what_cannot_fit_does_not_start_and_short_epochs_still_report(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    d = engine.presets.load_preset("digits").to_dict()
    d["model"]["layers"][0]["units"] = 3_000_000
    app = make_app(experiment=engine.Experiment.from_dict(d))
    async with app.run_test(size=(120, 40)) as pilot:
        assert "cannot start" in str(app.screen.query_one("#advice").render())
        await pilot.press("t")
        await pilot.pause(0.3)
        assert isinstance(app.screen, BuildScreen), "refused before the dashboard opens"
    # digits' epochs are too short for batch progress: the status line comes from the epoch events
    app = make_app(experiment=engine.with_overrides(engine.presets.load_preset("digits"), epochs=3))
    seen = []
    real = TrainScreen._say
    monkeypatch.setattr(TrainScreen, "_say", lambda self, text: (seen.append(str(text)), real(self, text)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        screen = app.screen
        await wait_until(pilot, lambda: not screen.running)
        await pilot.pause(0.2)
        # the text is redrawn at most 4 times a second, so which epochs are shown depends on speed
        assert any(re.match(r"epoch [123]/3  loss [\d.]+  [\d,]+ samples/s  elapsed .* ETA ", s) for s in seen), seen
        assert str(screen.query_one("#epochs").percentage) == "1.0"
