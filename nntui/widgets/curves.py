"""The dashboard's curves as widgets: per-epoch train/validation curves (with early stopping's
markers, a log axis, earlier runs overlaid), the current epoch's batch loss, and the learning
rate per epoch. Each draws what it is given; the screen decides when."""

from __future__ import annotations

import numpy as np

from .axes import decade_ticks, epoch_ticks, log10
from .plot import PlotextPlot

#: colours of earlier runs overlaid for comparison
EARLIER = ((150, 150, 150), (180, 130, 200), (120, 190, 170), (200, 190, 120))
#: where colour is off (NO_COLOR: one grey for every curve), the curves differ by their marks:
#: train a braille line, validation dots, earlier runs these symbols
PLAIN_VALIDATION = "dot"
PLAIN_EARLIER = "+*%#"


def downsample(xs: list, ys: list, width: int) -> tuple[list, list]:
    """At most ``width`` points: bucket means, so a long series costs the same to draw as a short one."""
    n = len(ys)
    if n <= width or width < 2:
        return xs, ys
    edges = np.linspace(0, n, width + 1).astype(int)
    return ([float(np.mean(xs[a:b])) for a, b in zip(edges[:-1], edges[1:])],
            [float(np.mean(ys[a:b])) for a, b in zip(edges[:-1], edges[1:])])


class Plot(PlotextPlot):
    """A plot that draws again, from what it was last given, when its size changes: its points
    are thinned and its ticks chosen for the width it has."""

    drawn: tuple | None = None
    _version = 0
    _cache: tuple | None = None      # (size, theme, version) and what they rendered

    def remember(self, *args, **kwargs) -> None:
        self.drawn = (args, kwargs)
        self._version += 1

    def on_resize(self) -> None:
        if self.drawn is not None:
            self.draw(*self.drawn[0], **self.drawn[1])

    @property
    def columns(self) -> int:
        return self.size.width or 80

    def render(self):
        """plotext's build costs tens of milliseconds: done again only when the plot was given new
        data, or its size or theme changed (Textual renders every widget again on each layout,
        and a line written to the Events log lays the screen out)."""
        key = (self.size, self.app.theme, self._version)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, super().render())
        return self._cache[1]


class EpochPlot(Plot):
    """A metric per epoch, train and validation."""

    def draw(self, title, epochs, train, val, train_c, val_c, *, log=False, state=None, earlier=(),
             hint="", markers=None) -> None:
        """``state`` (the run state) adds early stopping's markers to the validation curve:
        ``o`` no improvement, ``^`` best, ``x`` stop; ``earlier``: (label, epochs, values, colour
        index) of earlier runs to overlay; ``markers``: the theme's symbols for them."""
        self.remember(title, epochs, train, val, train_c, val_c, log=log, state=state, earlier=earlier, hint=hint,
                      markers=markers)
        mk = {"best": "^", "stop": "x", "no_improvement": "o", **(markers or {})}
        plain = bool(getattr(self.app, "no_color", False))
        plt = self.plt
        plt.clear_figure()   # ticks too: the log axis labels its own
        plt.title(title + ("  (log)" if log else "") + hint)
        ty = log10 if log else (lambda v: v)   # log10 on a linear axis (see widgets/axes.py)
        shown = []
        pts = [(x, ty(y)) for x, y in zip(epochs, train) if y is not None and ty(y) is not None]
        if pts:
            plt.plot([p[0] for p in pts], [p[1] for p in pts], color=train_c, marker="braille", label="train")
            shown += [p[1] for p in pts]
        vpts = [(x, ty(y)) for x, y in zip(epochs, val) if y is not None and ty(y) is not None]
        if vpts:
            plt.plot([p[0] for p in vpts], [p[1] for p in vpts], color=val_c,
                     marker=PLAIN_VALIDATION if plain else "braille", label="validation")
            shown += [p[1] for p in vpts]
        for label, xs, ys, i in earlier:
            pts = [(x, ty(y)) for x, y in zip(xs, ys) if y is not None and ty(y) is not None]
            if pts:
                plt.plot([p[0] for p in pts], [p[1] for p in pts], color=EARLIER[i % len(EARLIER)],
                         marker=PLAIN_EARLIER[i % len(PLAIN_EARLIER)] if plain else "dot", label=label)
                shown += [p[1] for p in pts]
        if state is not None and vpts:
            by = dict(vpts)
            flat = [e for e in state.no_improvement if e in by]
            if flat:
                plt.scatter(flat, [by[e] for e in flat], marker=mk["no_improvement"], color=val_c)
            if state.best_epoch in by:
                plt.scatter([state.best_epoch], [by[state.best_epoch]], marker=mk["best"], color="green")
            if state.stop_epoch in by:
                plt.scatter([state.stop_epoch], [by[state.stop_epoch]], marker=mk["stop"], color="red")
        if log and shown:
            decade_ticks(plt, min(shown), max(shown))
        if epochs:
            plt.xticks(epoch_ticks(epochs, self.columns))
        self.refresh()


class BatchPlot(Plot):
    """The running mean of the batch loss within one epoch."""

    def draw(self, batches: list[tuple[int, float]], epoch: int, colour, short: bool = False) -> None:
        """``short``: the epochs end before a batch is reported (every half second)."""
        self.remember(batches, epoch, colour, short)
        plt = self.plt
        plt.clear_data()
        plt.title("batch loss: epochs too short" if short else f"batch loss, epoch {epoch} (running mean)")
        if batches:
            xs = [b for b, _ in batches]
            ys = [loss for _, loss in batches]
            ticks = epoch_ticks(list(range(1, xs[-1] + 1)), self.columns)   # whole batches, not 17.0 23.8
            xs, ys = downsample(xs, ys, max(2, self.columns - 10))
            plt.plot(xs, ys, color=colour, marker="braille")
            plt.xticks(ticks)
        self.refresh()


class RatePlot(Plot):
    """The learning rate per epoch."""

    def draw(self, epochs: list[int], rates: list[float], colour, cuts: list[int] = ()) -> None:
        """``cuts``: the epochs from which reduce-on-plateau lowered the rate, marked on the line."""
        self.remember(epochs, rates, colour)
        plt = self.plt
        plt.clear_data()
        plt.title("learning rate per epoch")
        if epochs:
            plt.plot(epochs, rates, color=colour, marker="braille")
            cut = set(cuts)
            marked = [(e, r) for e, r in zip(epochs, rates) if e in cut]
            if marked:
                plt.scatter([e for e, _ in marked], [r for _, r in marked], color=colour, marker="v",
                            label="reduced on plateau")
            plt.xticks(epoch_ticks(epochs, self.columns))
        self.refresh()
