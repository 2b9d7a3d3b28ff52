"""The Inside view: what happens inside the running (or finished) model, per layer, from the
trainer's ``inspect`` events: gradient norms and update ratios over the epochs (log scale, every
layer on one plot, so vanishing and exploding gradients stand out), a table of the epoch's figures
(dead ReLU units, saturated sigmoid/tanh units, distinct units), and histograms of the selected
layer's weights and activations, at any epoch. For a 2D set, every unit's picture too: its
activation over the input plane (TensorFlow Playground's neurons), the newest the run has made,
dead and saturated units marked, and the chosen unit's incoming weights."""

from __future__ import annotations

import math

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from engine.data.catalog import static_info
from engine.reports.inspection import layer_colour, percent

from ..widgets.axes import decade_ticks, epoch_ticks, log10, rgb
from ..widgets.footer import KeyFooter
from ..widgets.plot import PlotextPlot
from ..widgets.titlebar import TitleBar
from ..widgets.units import UnitGallery, units_shown, weights_text

REDRAW_SECONDS = 0.5


def _g(v) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.3g}"


class InsideScreen(Screen):
    """Reads the Train screen's run state; redraws on a timer when a new epoch's figures arrive."""

    BINDINGS = [Binding("escape,i", "app.pop_screen", "dashboard"), Binding("left_square_bracket", "epoch(-1)", "epoch -"),
                Binding("right_square_bracket", "epoch(1)", "epoch +"), Binding("f", "app.activations", "activations"),
                Binding("comma", "unit(-1)", "unit -"), Binding("full_stop", "unit(1)", "unit +"),
                Binding("space", "pause", "pause/resume"), Binding("s", "stop", "stop"), Binding("b", "app.build", "build")]
    CSS_PATH = "inside.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.shown = -1              # how many inspect events the plots show
        self.epoch_index = None      # None: follow the latest epoch
        self.layer_index = 0
        self.unit_index = 0
        self.units_shown = None      # the pictures the gallery shows

    @property
    def inspects(self) -> list:
        return self.app.run_state.inspects      # the app's run state, which the dashboard folds

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(self.app.run_state.experiment.description.strip() or "", id="about")
        yield Static("", id="inside-status")
        with VerticalScroll(id="body"):
            with Horizontal(classes="row"):
                yield PlotextPlot(id="plot-grad")
                yield PlotextPlot(id="plot-update")
            yield Static("", id="legend")
            yield DataTable(id="layers", cursor_type="row", zebra_stripes=True)
            if self.planar:
                with Horizontal(id="units-row"):
                    yield UnitGallery(id="units")
                    yield Static("", id="unit-weights")
            with Horizontal(classes="row"):
                yield PlotextPlot(id="hist-weights")
                yield PlotextPlot(id="hist-acts")
        yield KeyFooter()

    @property
    def planar(self) -> bool:
        info = static_info(self.app.run_state.experiment.data)
        return info is not None and info.plane

    def on_mount(self) -> None:
        self.query_one("#about").display = bool(self.app.run_state.experiment.description.strip())
        table = self.query_one("#layers", DataTable)
        table.add_columns("layer", "activation", "units", "grad norm", "upd/weight", "dead", "saturated",
                          "distinct", "act mean", "act std")
        self.set_interval(REDRAW_SECONDS, self.redraw)
        self.redraw()
        table.focus()

    # -- drawing ----------------------------------------------------------------------------------------

    def current(self):
        if not self.inspects:
            return None
        i = len(self.inspects) - 1 if self.epoch_index is None else min(self.epoch_index, len(self.inspects) - 1)
        return self.inspects[i]

    def redraw(self, force: bool = False) -> None:
        self._units(force)
        n = len(self.inspects)
        if n == self.shown and not force:
            return
        self.shown = n
        status = self.query_one("#inside-status", Static)
        if not n:
            status.update("Per-layer statistics appear when the run starts (epoch 0) and after each epoch.")
            return
        e = self.current()
        g0, g1 = e.layers[0]["grad_norm"], e.layers[-1]["grad_norm"]
        ratio = f"{g0 / g1:.2g}" if g1 and math.isfinite(g0) and math.isfinite(g1) else "-"
        status.update(f"epoch {e.epoch} of {self.inspects[-1].epoch}" + ("" if self.epoch_index is None else " (fixed)")
                      + f"   first/last layer gradient norm {ratio}   [ ] step through epochs, "
                      "up/down choose the layer" + (", , and . a unit" if self.planar else ""))
        self._lines("plot-grad", "gradient norm per layer (log)", "grad_norm")
        self._lines("plot-update", "update/weight per layer (log)", "update_ratio")
        layers = e.layers
        key = Text("layers: ")
        for i, lay in enumerate(layers):
            key.append("■" + lay["name"].split()[-1] + " ", style=self.colour(i, len(layers)))
        self.query_one("#legend", Static).update(key)
        self._table(e)
        self._histograms(e)

    def _lines(self, widget: str, title: str, key: str) -> None:
        plot = self.query_one(f"#{widget}", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()   # ticks too: the log axis labels its own
        layers = self.inspects[-1].layers
        n = len(layers)
        plt.title(title)
        epochs = [e.epoch for e in self.inspects]
        lo, hi = math.inf, -math.inf
        for i in range(n):
            pts = [(x, y) for x, y in zip(epochs, (log10(e.layers[i].get(key)) for e in self.inspects)) if y is not None]
            if pts:
                ys = [p[1] for p in pts]
                lo, hi = min(lo, *ys), max(hi, *ys)
                plt.plot([p[0] for p in pts], ys, color=rgb(self.colour(i, n)), marker="braille")
        decade_ticks(plt, lo, hi)
        plt.xticks(epoch_ticks(epochs, plot.size.width or 80))
        plot.refresh()

    def colour(self, i: int, n: int) -> str:
        """Layer i's colour; under NO_COLOR (drawn in greys) a ramp of light greys, first to last,
        each readable on the dark ground (the colours' own greys went as dark as the ground)."""
        if getattr(self.app, "no_color", False):
            g = round(255 - 115 * i / max(1, n - 1))
            return f"#{g:02x}{g:02x}{g:02x}"
        return layer_colour(i, n)

    def _table(self, e) -> None:
        table = self.query_one("#layers", DataTable)
        row = table.cursor_row
        table.clear()
        for lay in e.layers:
            table.add_row(lay["name"] + (" (output)" if lay["output"] else ""), lay["activation"], str(lay["units"]),
                          _g(lay["grad_norm"]), _g(lay["update_ratio"]), percent(lay["dead"]), percent(lay["saturated"]),
                          f"{lay['distinct_units']}/{lay['units']}", _g(lay["act_mean"]), _g(lay["act_std"]))
        if row is not None and 0 <= row < len(e.layers):
            table.move_cursor(row=row, animate=False)

    def _histograms(self, e) -> None:
        self.layer_index = min(self.layer_index, len(e.layers) - 1)
        lay, start = e.layers[self.layer_index], self.inspects[0].layers[self.layer_index]
        for widget, key, word in (("hist-weights", "weights", "weights"), ("hist-acts", "activations", "activations")):
            plot = self.query_one(f"#{widget}", PlotextPlot)
            plt = plot.plt
            plt.clear_figure()
            plt.title(f"{lay['name']} {word}, epoch {e.epoch}" + (f" (line: epoch {self.inspects[0].epoch})"
                                                                   if e is not self.inspects[0] else ""))
            for hist, colour, bars in ((lay[key], (95, 175, 255), True), (start[key], (255, 175, 95), False)):
                if not bars and e is self.inspects[0]:
                    continue
                k = len(hist["counts"])
                width = (hist["hi"] - hist["lo"]) / k
                xs = [hist["lo"] + (j + 0.5) * width for j in range(k)]
                if bars:
                    plt.bar(xs, hist["counts"], color=colour, width=1)
                    lo, hi = hist["lo"], hist["hi"]
                    ticks = [lo, hi] if not lo < 0 < hi else [lo, 0.0, hi]
                    plt.xticks(ticks, [f"{t:.3g}" for t in ticks])
                else:
                    plt.plot(xs, hist["counts"], color=colour, marker="braille")
            top = max([*lay[key]["counts"], *(start[key]["counts"] if e is not self.inspects[0] else [])], default=0)
            ticks = count_ticks(top)
            plt.yticks(ticks, [count_label(t) for t in ticks])   # counts are whole: not 158774.0
            plot.refresh()

    def _units(self, force: bool = False) -> None:
        """The gallery of every unit's picture and the chosen unit's weights (2D sets)."""
        pictures = self.app.run_state.units
        if not self.planar or (pictures is self.units_shown and not force):
            return
        self.units_shown = pictures
        gallery = self.query_one("#units", UnitGallery)
        colour = not getattr(self.app, "no_color", False)
        weights = self.query_one("#unit-weights", Static)
        if not pictures:
            gallery.show(None, (0, 0), colour)
            weights.update("")
            return
        layers = pictures["layers"]
        li = min(self.layer_index, len(layers) - 1)
        lay = layers[li]
        self.unit_index = max(0, min(self.unit_index, units_shown(pictures, lay) - 1))
        gallery.show(pictures, (li, self.unit_index), colour)
        weights.update(weights_text(lay, self.unit_index, colour, width=weights.content_size.width or 30))
        gallery.border_title = f"every unit, epoch {pictures['epoch']}"

    def on_unit_gallery_chosen(self, event: UnitGallery.Chosen) -> None:
        self.unit_index = event.unit
        if event.layer != self.layer_index:
            self.query_one("#layers", DataTable).move_cursor(row=event.layer, animate=False)
            self.layer_index = event.layer
        self._units(force=True)

    def action_unit(self, step: int) -> None:
        self.unit_index = max(0, self.unit_index + step)
        self._units(force=True)

    # -- keys -------------------------------------------------------------------------------------------

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != self.layer_index and self.inspects:
            self.layer_index = event.cursor_row
            self._histograms(self.current())
            self._units(force=True)

    def action_epoch(self, step: int) -> None:
        if not self.inspects:
            return
        last = len(self.inspects) - 1
        i = (last if self.epoch_index is None else self.epoch_index) + step
        self.epoch_index = None if i >= last else max(0, i)
        self.redraw(force=True)

    def action_pause(self) -> None:
        self.app.action_pause_run()

    def action_stop(self) -> None:
        self.app.action_stop_run()


def count_ticks(top: float) -> list[int]:
    """Three whole-number ticks from 0 to about ``top`` at a round step."""
    top = int(math.ceil(top))
    if top <= 2:
        return list(range(top + 1))
    step = 10 ** int(math.log10(top / 2))
    for m in (1, 2, 5, 10):
        if m * step * 2 >= top / 2:
            step *= m
            break
    return [t for t in range(0, top + 1, step)][:4]


def count_label(n: int) -> str:
    """158774 as 159k, 1200000 as 1.2M; small counts as they are."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.3g}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    return f"{n:,}"
