"""The learning-rate finder's view (L on the Build screen): the sweep of engine.lr_find runs in a
worker and its smoothed loss is drawn against the rate (log axis) as it goes; the suggestion is
marked, enter writes it into the experiment (an edit ctrl+z undoes), b adds a sweep at twice
the batch size beside it."""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ..lr_find_command import decade_ticks
from ..widgets.footer import KeyFooter
from ..widgets.plot import PlotextPlot
from ..widgets.titlebar import TitleBar

COLOURS = ((95, 175, 255), (255, 175, 95))
SHOW_SECONDS = 0.2          # the curve redrawn five times a second while it sweeps


class LrFindScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "back"), Binding("enter", "apply", "apply the rate"),
                Binding("b", "twice", "batch x2 too")]
    CSS_PATH = "lr_find.tcss"
    FOOTER_FIRST = ("apply", "twice")

    class Progress(Message):
        def __init__(self, index: int, result, done: bool, error: str | None = None) -> None:
            super().__init__()
            self.index, self.result, self.done, self.error = index, result, done, error

    def __init__(self, experiment) -> None:
        super().__init__()
        self.experiment = experiment
        self.sizes = [experiment.train.batch_size]
        self.results: dict[int, object] = {}
        self.running = 0

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield PlotextPlot(id="lr-plot")
        yield Static("sweeping the learning rate from fresh weights...", id="lr-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.running += 1
        self.sweep(0, self.sizes[0])

    @work(thread=True, group="lr-find")
    def sweep(self, index: int, batch_size: int) -> None:
        import engine
        from engine.lr_find import LrFind, lr_find

        shown = [0.0]
        partial = LrFind(batch_size)

        def progress(step, rate, smoothed) -> None:
            partial.rates.append(rate)
            partial.smoothed.append(smoothed)
            now = time.monotonic()
            if now - shown[0] >= SHOW_SECONDS:
                shown[0] = now
                self.post_message(self.Progress(index, partial, False))

        try:
            data = engine.load_data(self.experiment.data)
            result = lr_find(self.experiment, data, batch_size=batch_size, progress=progress)
            self.post_message(self.Progress(index, result, True))
        except Exception as exc:  # noqa: BLE001  shown, never raised into the app
            self.post_message(self.Progress(index, partial, True, f"{exc.__class__.__name__}: {exc}"))

    def on_lr_find_screen_progress(self, message: Progress) -> None:
        if message.done:
            self.running -= 1
        self.results[message.index] = message.result
        if message.error:
            self.query_one("#lr-status", Static).update(f"the sweep failed: {message.error}")
            return
        self.draw()

    @property
    def suggestion(self) -> float | None:
        """The sweep at the experiment's own batch size suggests the rate to apply."""
        return getattr(self.results.get(0), "suggestion", None)

    def draw(self) -> None:
        plot = self.query_one("#lr-plot", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        plt.title("smoothed loss against the learning rate; | the suggested rate")
        plt.xscale("log")
        plt.xticks(*decade_ticks([v for r in self.results.values() for v in r.rates]))
        lines = []
        plain = bool(getattr(self.app, "no_color", False))     # NO_COLOR: the second sweep in x, not a colour
        for i, r in sorted(self.results.items()):
            if r.rates:
                marker = "x" if plain and i % 2 else "braille"
                plt.plot(r.rates, r.smoothed, marker=marker, color=COLOURS[i % 2],
                         label=f"batch {r.batch_size}" + (" (x)" if marker == "x" else ""))
            if r.suggestion:
                plt.vline(r.suggestion, color=COLOURS[i % 2])
                lines.append(f"batch {r.batch_size}: suggested rate {r.suggestion:.3g}")
            else:
                lines.append(f"batch {r.batch_size}: sweeping, at {r.rates[-1]:.2g}" if r.rates else
                             f"batch {r.batch_size}: starting")
        plot.refresh()
        now = self.experiment.optimizer.learning_rate
        tail = (f"   enter sets optimizer.learning_rate (now {now:g}) to {self.suggestion:.3g}"
                if self.suggestion and not self.running else "")
        self.query_one("#lr-status", Static).update("   ".join(lines) + tail)

    def action_twice(self) -> None:
        if len(self.sizes) == 1:
            self.sizes.append(2 * self.sizes[0])
            self.running += 1
            self.sweep(1, self.sizes[1])

    def action_apply(self) -> None:
        rate = self.suggestion
        if rate is None or self.running:
            self.notify("The sweep has not finished yet", severity="warning")
            return
        value = float(f"{rate:.3g}")
        self.app.draft.set("optimizer.learning_rate", value)
        self.app.pop_screen()
        self.app.notify(f"learning rate set to {value:g} (ctrl+z undoes)")
