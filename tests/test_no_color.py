"""NO_COLOR: every cell the app draws is readable (its text stands off its background) and
nothing of the session is saved as the user's choice. Textual draws NO_COLOR in greys from the
theme's colours; the cells are checked as they would be sent to the terminal, after that filter."""

from __future__ import annotations

import pytest

import engine
from nntui.app import make_app
from nntui.themes import load_settings, save_setting

from .conftest import wait_until

pytestmark = pytest.mark.usefixtures("in_tmp")


def luminance(c) -> float:
    def channel(v):
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.red) + 0.7152 * channel(c.green) + 0.0722 * channel(c.blue)


def contrast(a, b) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def cells(app):
    """(row, text, foreground, background) of every drawn run of text, after Textual's filters."""
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        for seg in strip:
            style = seg.style
            if not seg.text.strip() or style is None or style.color is None or style.bgcolor is None:
                continue
            if all("\u2580" <= ch <= "\u259f" or ch == " " for ch in seg.text):
                continue      # block elements: scroll bars and the ends of buttons, not text
            fg, bg = style.color.get_truecolor(), style.bgcolor.get_truecolor()
            if style.reverse:
                fg, bg = bg, fg
            yield y, seg.text, fg, bg


def assert_readable(app, where: str) -> None:
    seen = list(cells(app))
    assert len(seen) > 20, where
    for y, text, fg, bg in seen:
        assert fg.red == fg.green == fg.blue and bg.red == bg.green == bg.blue, (where, y, text, "not grey")
        # 3:1, WCAG's least for any text; black on black (the old ANSI theme under NO_COLOR) is 1:1
        assert contrast(fg, bg) >= 3.0, (where, y, text, fg, bg)


@pytest.mark.asyncio
@pytest.mark.parametrize("chosen", ["nntui-ansi", "nntui-light", "nntui-dark"])
async def test_no_color_draws_readable_greys_and_saves_nothing(tmp_path, monkeypatch, chosen):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    save_setting("theme", chosen)
    monkeypatch.setenv("NO_COLOR", "1")
    exp = engine.with_overrides(engine.presets.load_preset("digits"), epochs=2)
    app = make_app(experiment=exp)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        assert_readable(app, "build")
        await pilot.press("t")
        await wait_until(pilot, lambda: hasattr(app.screen, "running") and not app.screen.running)
        await pilot.pause(0.6)
        assert_readable(app, "train")
        await pilot.press("i")
        await pilot.pause(0.3)
        assert_readable(app, "inside")
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        assert_readable(app, "help")
    assert load_settings().get("theme") == chosen, "the NO_COLOR session changed the saved theme"


def legend_marks(text: str) -> dict[str, str]:
    """Each curve's mark as the plot's legend shows it: the two characters before its label."""
    import re

    return {m.group(2): m.group(1) for m in re.finditer(r"(\S\S) (train|validation)\b", text)}


@pytest.mark.asyncio
async def test_no_color_tells_the_curves_apart_by_their_marks(tmp_path, monkeypatch):
    """In greys, train and validation were the same braille line in the same grey: the legend
    could not say which was which. Without colour, validation is drawn in dots."""
    from textual_plotext import PlotextPlot

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    exp = engine.with_overrides(engine.presets.load_preset("digits"), epochs=3)
    marks = {}
    for plain in (False, True):
        if plain:
            monkeypatch.setenv("NO_COLOR", "1")
        app = make_app(experiment=exp)
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.press("t")
            await wait_until(pilot, lambda: hasattr(app.screen, "running") and not app.screen.running)
            await pilot.pause(0.3)
            plot = app.screen.query_one("#plot-loss", PlotextPlot)
            text = plot.render().plain
            marks[plain] = legend_marks(text)
            body = "".join(line[5:] for line in text.splitlines()[2:-3])    # inside the frame, below the legend
            if plain:
                assert "•" in body, "validation's dots are on the plot"
    assert marks[False]["train"] == marks[False]["validation"], "in colour both are lines (the colour tells)"
    assert marks[True]["train"] != marks[True]["validation"], marks
