"""Inside the network in the TUI, through Textual's Pilot: the demonstrations one keypress away, the
Inside view's figures against the engine's own statistics, the activation viewer's curves against
the functions' known derivatives, and the explanation shown in the builder and the dashboard."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from textual.widgets import DataTable, Log, Static

from engine.presets import load_preset
from nntui.app import make_app
from nntui.screens.activations import ActivationScreen, curve
from nntui.screens.build import BuildScreen
from nntui.screens.inside import InsideScreen
from nntui.screens.train import TrainScreen
from nntui.widgets.fields import Field

from .conftest import wait_until

pytestmark = pytest.mark.usefixtures("in_tmp")   # runs/ of the dashboard go there

def plotext_text(plot) -> str:
    """What a plotext widget draws, as plain text."""
    rendered = plot.render()
    return getattr(rendered, "plain", None) or str(rendered)


def plot_series(plot):
    """The (x, y) series currently handed to a plotext widget."""
    monitor = plot.plt._active.monitor
    return [(list(xs), list(ys)) for xs, ys in zip(monitor.x, monitor.y)]


@pytest.mark.asyncio
async def test_a_demonstration_is_one_keypress_away_and_the_inside_view_shows_it(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("D")                  # the demonstrations list
        await pilot.pause()
        assert "zero" in str(app.screen.query_one("#explanation", Static).render()).lower()
        await pilot.press("b")                  # b: vanishing gradients, trained at once, Inside view open
        await wait_until(pilot, lambda: isinstance(app.screen, InsideScreen))
        inside = app.screen
        train = next(s for s in app.screen_stack if isinstance(s, TrainScreen))
        assert train.experiment.name == "vanishing-gradients"
        await wait_until(pilot, lambda: not train.running)
        await pilot.pause(0.7)                  # the view's next redraw tick
        inspects = app.run_state.inspects
        assert [e.epoch for e in inspects] == list(range(21))
        table = inside.query_one("#layers", DataTable)
        assert table.row_count == 11
        first = table.get_row_at(0)
        assert first[0] == "dense 0" and first[1] == "sigmoid"
        assert float(first[3]) == pytest.approx(inspects[-1].layers[0]["grad_norm"], rel=1e-2)
        # the gradient plot: one line per layer, the first layer's values far below the last's
        lines = plot_series(inside.query_one("#plot-grad"))
        assert len(lines) == 11
        assert max(lines[0][1]) < 1e-4 * min(lines[-1][1])
        status = str(inside.query_one("#inside-status", Static).render())
        assert "epoch 20 of 20" in status
        # choose a layer for the histograms, then go back in time with [
        await pilot.press("down", "down")
        await pilot.pause()
        assert inside.layer_index == 2
        bars = [ys for xs, ys in plot_series(inside.query_one("#hist-weights")) if len(ys) == 5]   # rectangles
        assert len(bars) == 24 and sum(max(ys) for ys in bars) == 32 * 32   # the 3rd layer's 32x32 kernel
        drawn = plotext_text(inside.query_one("#hist-weights"))
        assert "weights, epoch 20" in drawn and not re.search(r"\d\.0\b", drawn), "whole counts: 50, not 50.0"
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert "epoch 18 of 20 (fixed)" in str(inside.query_one("#inside-status", Static).render())
        await pilot.press("i")                   # back to the dashboard
        assert isinstance(app.screen, TrainScreen)
        log = "\n".join(str(line) for line in app.screen.query_one(Log).lines)
        assert "vanishing-gradients: Ten sigmoid layers" in log   # the explanation, first in the log
        assert "inside, epoch 20: gradient norm" in log


@pytest.mark.asyncio
async def test_inside_view_on_a_dying_relu_run_counts_dead_units(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app(experiment=load_preset("dying-relu"))
    async with app.run_test(size=(80, 24)) as pilot:
        assert "Adam with a learning rate of 0.2" in str(app.screen.query_one("#about", Static).render())
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen) and not app.screen.running)
        await pilot.press("i")
        await pilot.pause(0.2)
        inside = app.screen
        assert isinstance(inside, InsideScreen)
        table = inside.query_one("#layers", DataTable)
        dead = [table.get_row_at(i)[5] for i in range(3)]
        expected = [f"{lay['dead'] * 100:.0f}%" for lay in app.run_state.inspects[-1].layers[:3]]
        assert dead == expected and all(int(d[:-1]) > 50 for d in dead)
        await pilot.press("b")                   # build, from over the dashboard
        assert isinstance(app.screen, BuildScreen)


@pytest.mark.asyncio
async def test_activation_viewer_draws_the_engines_functions(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ActivationScreen)
        (x, y), (_, dy) = plot_series(screen.query_one("#function"))
        x, y, dy = map(np.asarray, (x, y, dy))
        np.testing.assert_allclose(y, 1 / (1 + np.exp(-x)), atol=1e-6)          # sigmoid first
        np.testing.assert_allclose(dy, y * (1 - y), atol=1e-6)
        assert "max derivative 0.25" in str(screen.query_one("#note", Static).render())
        await pilot.press("down", "down")       # relu
        await pilot.pause()
        (x, y), (_, dy) = plot_series(screen.query_one("#function"))
        assert screen.chosen == "relu"
        assert all(d == (1.0 if xi > 0 else 0.0) for xi, d in zip(x, dy))
        from nntui.screens.activations import NAMES
        assert len(plot_series(screen.query_one("#derivatives"))) == len(NAMES) == 10   # elu ... swish too
        for _ in range(NAMES.index("gelu") - NAMES.index("relu")):
            await pilot.press("down")
        await pilot.pause()
        (x, y), (_, dy) = plot_series(screen.query_one("#function"))
        assert screen.chosen == "gelu" and min(y) < -0.16 and max(dy) > 1.12      # the dip, the overshoot
        await pilot.press("escape")
        assert isinstance(app.screen, BuildScreen)


def test_the_viewer_derivatives_match_finite_differences():
    x = np.linspace(-5, 5, 201)
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "swish", "linear"):
        _, dy = curve(name, x)
        h = 1e-6
        numeric = (curve(name, x + h)[0] - curve(name, x - h)[0]) / (2 * h)
        away = np.abs(x) > 1e-3                # ReLU's kink
        np.testing.assert_allclose(dy[away], numeric[away], atol=1e-5, err_msg=name)
        assert math.isfinite(dy.max())


@pytest.mark.asyncio
async def test_log_scale_survives_a_repaint(tmp_path, monkeypatch):
    """plotext's own log scale re-logs its data on every build (a resize crashed the app with loss
    under 1): the dashboard plots log10 on a linear axis, whatever the number of repaints."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app(experiment=load_preset("digits"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen) and not app.screen.running)
        await pilot.press("l")
        for size in ((120, 40), (80, 24), (100, 30)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.1)
        (xs, ys), *_ = plot_series(app.screen.query_one("#plot-loss"))
        losses = [r["loss"] for r in app.screen.state.history]
        np.testing.assert_allclose(ys, np.log10(losses), rtol=1e-9)
        assert app.is_running


SEARCHED = """\
name = "moons-tui-search"
[data]
name = "moons"
samples = 300
[model]
[[model.layers]]
units = 8
activation = "relu"
[[model.layers]]
units = 2
activation = "softmax"
[optimizer]
name = "adam"
learning_rate = 0.01
[train]
epochs = 4
[search]
trials = 3
sampler = "random"
monitor = "val_loss"
[search.space]
"model.layers[0].units" = { int = [4, 32], step = 4 }
"optimizer.learning_rate" = { float = [1e-3, 1e-1], log = true }
"""


@pytest.mark.asyncio
async def test_search_view_runs_the_search_and_opens_a_trial_in_the_builder(tmp_path, monkeypatch):
    pytest.importorskip("optuna", reason="Optuna is not installed (pip install 'nntui[search]')")
    import engine
    from nntui.screens.search import SearchScreen

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    app = make_app(experiment=engine.Experiment.from_toml_string(SEARCHED))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("S")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press("t")
        await wait_until(pilot, lambda: not screen.running and screen.rows)
        await pilot.pause(0.2)
        assert [r["state"] for r in screen.rows] == ["complete"] * 3
        table = screen.query_one("#board", DataTable)
        assert table.row_count == 3
        assert len(plot_series(screen.query_one("#curves"))) == 3          # a curve per trial
        assert all(len(screen.curves[t]) == 4 for t in range(3))           # 4 epochs each
        assert (tmp_path / "searches" / "moons-tui-search" / "leaderboard.md").exists()
        best = screen.rows[0]
        app.draft.set("train.epochs", 9)           # unsaved changes: enter asks, and Discard loads the trial
        await pilot.press("enter")                 # the best trial's experiment, in the builder
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDiscard"
        await pilot.click("#discard")
        await pilot.pause(0.2)
        assert isinstance(app.screen, BuildScreen)
        assert app.draft.get("model.layers[0].units") == best["params"]["model.layers[0].units"]
        units = next(f for f in app.screen.query(Field) if f.path == "train.epochs")
        assert units.query_one("Input").value == "4", "the builder shows what will train"
        assert str(app.screen.query_one("#stack").get_row_at(1)[2]) == str(best["params"]["model.layers[0].units"])
        assert app.draft.get("optimizer.learning_rate") == pytest.approx(best["params"]["optimizer.learning_rate"], rel=1e-5)
        assert "search" not in app.draft.data or app.draft.data.get("search") is None


@pytest.mark.asyncio
async def test_search_view_offers_a_starter_space(tmp_path, monkeypatch):
    from nntui.screens.search import SearchScreen

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        assert "no [search] table" in str(app.screen.query_one("#search-status", Static).render())
        await pilot.press("n")
        await pilot.pause()
        exp = app.draft.experiment
        assert exp is not None and exp.search.trials == 12 and exp.search.sampler == "tpe"
        assert "12 trials" in str(app.screen.query_one("#search-status", Static).render())


@pytest.mark.asyncio
async def test_the_loss_plot_marks_best_and_stop_with_the_themes_markers(tmp_path, monkeypatch):
    """The [markers] of a theme file are what the dashboard draws (they used to be read and dropped)."""
    import shutil

    from nntui import themes

    folder = tmp_path / "themes"
    shutil.copytree(themes.themes_dir(), folder)
    dark = folder / "nntui-dark.toml"
    dark.write_text(dark.read_text().replace('best = "^"', 'best = "*"').replace('stop = "x"', 'stop = "#"'))
    monkeypatch.setattr(themes, "themes_dir", lambda: folder)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    d = load_preset("digits").to_dict()
    d["train"]["epochs"] = 60
    d["optimizer"]["learning_rate"] = 0.01
    d["early_stopping"] = {"monitor": "val_loss", "patience": 2}
    import engine

    app = make_app(experiment=engine.Experiment.from_dict(d))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        screen = app.screen
        await wait_until(pilot, lambda: isinstance(screen, TrainScreen) and not screen.running)
        await pilot.pause(0.7)
        assert screen.result.stopped_early
        markers = [m[0] for m in screen.query_one("#plot-loss").plt._active.monitor.marker if len(m) == 1]
        assert "*" in markers and "#" in markers and "^" not in markers, markers
