"""The ANSI theme (the terminal's own 16 colours, for SSH): every plot is readable. textual-plotext
colours a plot's canvas and axes from the theme's surface and foreground as RGB, which an ANSI
theme leaves to the terminal (ansi_default): every tick, title and frame came out as colour 16
on colour 16, black on black, and only the curves could be seen. Checked on the segments as the
app sends them to the terminal, in the dashboard, the Inside view and the activation viewer."""

from __future__ import annotations

import pytest

import engine
from nntui.app import make_app
from nntui.themes import save_setting
from nntui.widgets.plot import PlotextPlot

from .conftest import wait_until

pytestmark = pytest.mark.usefixtures("in_tmp")


def plot_segments(app):
    """(widget id, text, colour, background) of every non-blank run of text in the screen's plots."""
    for plot in app.screen.query(PlotextPlot):
        if not plot.display or not plot.size.area:
            continue
        for y in range(plot.size.height):
            for seg in plot.render_line(y):
                if seg.text.strip() and seg.style is not None:
                    yield plot.id, seg.text, seg.style.color, seg.style.bgcolor


def assert_plots_readable(app, where: str) -> None:
    seen = list(plot_segments(app))
    assert len(seen) > 10, where
    texts = "".join(t for _, t, _, _ in seen)
    assert any(ch.isdigit() for ch in texts), (where, "no tick labels drawn")
    for pid, text, fg, bg in seen:
        # the terminal's own colours (no colour set) are readable; a colour on itself is not
        assert fg is None or bg is None or fg != bg or fg.is_default, (where, pid, text, fg, bg)
        if fg is not None and not fg.is_default:
            assert fg.number is None or fg.number < 16 or fg.triplet is not None, (where, pid, text, fg)


@pytest.mark.asyncio
async def test_the_ansi_themes_plots_are_readable(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    save_setting("theme", "nntui-ansi")
    exp = engine.with_overrides(engine.presets.load_preset("digits"), epochs=3)
    app = make_app(experiment=exp)
    async with app.run_test(size=(100, 40)) as pilot:
        assert app.theme == "nntui-ansi"
        await pilot.press("t")
        await wait_until(pilot, lambda: hasattr(app.screen, "running") and not app.screen.running)
        await pilot.pause(0.3)
        assert_plots_readable(app, "dashboard")
        # the curves keep the theme's own ANSI colours (the terminal's palette), not RGB stand-ins
        loss = [(t, fg) for pid, t, fg, _ in plot_segments(app) if pid == "plot-loss" and fg is not None
                and any("\u2800" <= ch <= "\u28ff" for ch in t)]
        assert loss and all(fg.number is not None and fg.number < 16 for _, fg in loss), loss
        await pilot.press("i")
        await pilot.pause(0.5)
        assert_plots_readable(app, "inside")
        app.theme = "nntui-dark"        # and back: the dark theme's plots are its own colours again
        await pilot.pause(0.3)
        backgrounds = {bg for *_, bg in plot_segments(app) if bg is not None}
        assert backgrounds and all(bg.triplet is not None for bg in backgrounds), backgrounds
