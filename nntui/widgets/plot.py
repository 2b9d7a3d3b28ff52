"""textual-plotext's plot widget, readable in every theme. textual-plotext colours a plot's
canvas, axes, ticks and titles from the app theme's surface and foreground as RGB; an ANSI
theme's are the terminal's own (``ansi_default``), which have no RGB, and came out black on
black: only the curves could be seen. Under an ANSI theme a plot uses plotext's clear theme
instead, which leaves them in the terminal's own colours. Every plot of the app is this one."""

from __future__ import annotations

from textual_plotext import PlotextPlot as _PlotextPlot


class PlotextPlot(_PlotextPlot):
    def on_mount(self) -> None:    # Textual calls textual-plotext's on_mount after this one
        self._follow_theme(self.app.current_theme)
        self.app.theme_changed_signal.subscribe(self, self._follow_theme)

    def _follow_theme(self, theme) -> None:
        self.theme = "clear" if theme.ansi else "auto"
