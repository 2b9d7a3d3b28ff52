"""Optimizers on a loss surface (the lecture's "Momentum in practice" and optimizer zoo): a 2D
test surface shaded as contour bands, every optimizer's path over it from one start point,
animated step by step. The paths are computed by engine.surfaces, which steps the engine's own
optimizer classes, in a worker thread; this screen only draws them."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import OptionList, SelectionList, Static
from textual.widgets.selection_list import Selection

from engine import surfaces
from engine.names import OPTIMIZERS as OPTIMIZER_DEFAULTS
from engine.reports.svg import PATH_COLOURS
from engine.spec import ScheduleSpec

from ..widgets.footer import KeyFooter
from ..widgets.titlebar import TitleBar

STEPS = 200                 # each path's length
FRAME_SECONDS = 0.05        # the animation: twenty steps a second
SCHEDULES = ("constant", "exponential", "inverse_time", "step", "cosine_restarts")   # d cycles them


#: each optimizer's mark on the map where colour is off (NO_COLOR): its path drawn in it
SYMBOLS = "123456789abcdefgh"


def symbol_of(index: int) -> str:
    return SYMBOLS[index % len(SYMBOLS)]


def colour_of(index: int) -> tuple[int, int, int]:
    h = PATH_COLOURS[index % len(PATH_COLOURS)].lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class SurfaceMap(Widget):
    """The surface's contour bands (two pixels a cell: the upper half block), the minimum in
    gold, and each path up to the current step in its colour, its head brighter; where colour is
    off, each path in its optimizer's symbol (its head bold, the minimum a star) over the greys.
    A click sets the start point."""

    DEFAULT_CSS = "SurfaceMap { border: round $panel; }"

    class Clicked(Message):
        def __init__(self, x: float, y: float) -> None:
            super().__init__()
            self.x, self.y = x, y

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.surface: surfaces.Surface | None = None
        self.paths: list[tuple[np.ndarray, tuple[int, int, int], str]] = []
        self.step = 0
        self.marks = False                     # NO_COLOR: the paths in symbols
        self._shade: tuple | None = None      # (key, pixels) cached per surface and size
        self._rasters: dict = {}               # a path's pixels and the step reaching each, per size
        self._styles: dict = {}                # a cell's style by its two pixels' colours

    def show(self, surface, paths, step: int, marks: bool = False) -> None:
        self.marks = marks
        self.surface, self.paths, self.step = surface, paths, step
        self.refresh()

    def _background(self, rows: int, cols: int) -> np.ndarray:
        key = (self.surface.name, rows, cols)
        if self._shade is None or self._shade[0] != key:
            bands = surfaces.levels(surfaces.grid(self.surface, cols, rows * 2), 10)
            shade = 40 + 150 * bands / 9.0
            img = np.stack([shade * 0.75, shade * 0.85, shade], axis=2)
            self._shade = (key, img)
        return self._shade[1].copy()

    def _pixel(self, x: float, y: float, rows: int, cols: int) -> tuple[int, int] | None:
        x0, x1, y0, y1 = self.surface.box
        if not (np.isfinite(x) and np.isfinite(y)):
            return None
        c = round((x - x0) / (x1 - x0) * (cols - 1))
        r = round((y1 - y) / (y1 - y0) * (rows * 2 - 1))
        return (r, c) if 0 <= r < rows * 2 and 0 <= c < cols else None

    def _raster(self, points: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, col, step) of every pixel the path's segments cross (a segment's pixels belong to
        the step that ends it; the start to step 0), within the map: computed once a path and size."""
        key = (id(points), rows, cols)
        if key not in self._rasters:
            if len(self._rasters) > 64:
                self._rasters.clear()
            x0, x1, y0, y1 = self.surface.box
            p = np.asarray(points, dtype=np.float64)
            with np.errstate(all="ignore"):
                cx = (p[:, 0] - x0) / (x1 - x0) * (cols - 1)
                ry = (y1 - p[:, 1]) / (y1 - y0) * (rows * 2 - 1)
                dx, dy = np.diff(cx), np.diff(ry)
                n = np.nan_to_num(np.ceil(np.maximum(np.abs(dx), np.abs(dy))), nan=1.0)
            n = np.clip(n, 1, 400).astype(int)
            seg = np.repeat(np.arange(len(n)), n)
            f = (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + 1) / n[seg]
            xs = np.concatenate([cx[:1], cx[seg] + f * dx[seg]])
            ys = np.concatenate([ry[:1], ry[seg] + f * dy[seg]])
            steps = np.concatenate([[0], seg + 1])
            with np.errstate(invalid="ignore"):
                inside = np.isfinite(xs) & np.isfinite(ys) & (xs > -0.5) & (xs < cols - 0.5) & (ys > -0.5) & \
                    (ys < rows * 2 - 0.5)
            self._rasters[key] = (np.round(ys[inside]).astype(int), np.round(xs[inside]).astype(int), steps[inside])
        return self._rasters[key]

    def render(self) -> Text:
        rows, cols = self.size.height, self.size.width
        if self.surface is None or rows < 1 or cols < 1:
            return Text("computing the paths...", style="dim")
        img = self._background(rows, cols)
        symbols: dict[tuple[int, int], tuple[str, bool]] = {}     # a cell's symbol, and whether a head
        heads = {}
        for points, colour, symbol in self.paths:
            r, c, steps = self._raster(points, rows, cols)
            seen = steps <= self.step
            head = self._pixel(*points[min(self.step, len(points) - 1)], rows, cols)
            if self.marks:
                symbols.update({(y // 2, x): (symbol, False) for y, x in zip(r[seen].tolist(), c[seen].tolist())})
                if head:
                    heads[(head[0] // 2, head[1])] = (symbol, True)
                continue
            img[r[seen], c[seen]] = colour
            if head:
                img[head] = [min(255, 80 + v) for v in colour]
        m = self._pixel(*self.surface.minimum, rows, cols)
        if m:
            img[m] = (255, 215, 0)
            symbols[(m[0] // 2, m[1])] = ("*", True)
        symbols.update(heads)                 # the heads over every trail: where each optimizer is now
        img = img.astype(int)
        styles = self._styles
        if len(styles) > 20_000:
            styles.clear()
        text = Text()
        for r in range(rows):
            for c, (t, b) in enumerate(zip(map(tuple, img[2 * r].tolist()), map(tuple, img[2 * r + 1].tolist()))):
                if self.marks and (r, c) in symbols:
                    symbol, bold = symbols[(r, c)]
                    text.append(symbol, Style(color="black", bgcolor="white", bold=True) if bold
                                else Style(color="white", bgcolor="black"))
                    continue
                style = styles.get((t, b))
                if style is None:
                    style = styles[(t, b)] = Style.from_color(Color.from_rgb(*t), Color.from_rgb(*b))
                text.append("▀", style)
            if r < rows - 1:
                text.append("\n")
        return text

    def on_click(self, event: events.Click) -> None:
        if self.surface is None:
            return
        region = self.content_region
        col, row = event.screen_x - region.x, event.screen_y - region.y
        if not (0 <= col < region.width and 0 <= row < region.height):
            return
        x0, x1, y0, y1 = self.surface.box
        x = x0 + col / max(1, region.width - 1) * (x1 - x0)
        y = y1 - (row * 2 + 0.5) / max(1, region.height * 2 - 1) * (y1 - y0)
        self.post_message(self.Clicked(x, y))


class OptimizerScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "back"), Binding("p", "play", "play/pause"),
                Binding("full_stop", "step(1)", "step", key_display="."),
                Binding("comma", "step(-1)", "back", key_display=","), Binding("r", "rewind", "restart"),
                Binding("plus,equals_sign", "rate(2.0)", "lr x2", key_display="+"),
                Binding("minus", "rate(0.5)", "lr /2", key_display="-"),
                Binding("h", "settings", "settings"), Binding("d", "schedule", "schedule"),
                Binding("shift+left", "move(-1,0)", "start", show=False), Binding("shift+right", "move(1,0)", show=False),
                Binding("shift+up", "move(0,1)", show=False), Binding("shift+down", "move(0,-1)", show=False)]
    CSS_PATH = "optimizers.tcss"
    FOOTER_FIRST = ("play", "step", "step(-1)", "rewind", "rate(2.0)", "rate(0.5)", "settings", "schedule")

    class Computed(Message):
        def __init__(self, key, paths) -> None:
            super().__init__()
            self.key, self.paths = key, paths

    def __init__(self, surface: str = "quadratic") -> None:
        super().__init__()
        self.surface = surfaces.SURFACES[surface]
        self.names = surfaces.optimizer_names()
        self.chosen = list(self.names)
        self.start: tuple[float, float] = self.surface.start
        self.scale = 1.0                                  # +/-: a factor on every default rate
        self.settings: dict[str, dict] = {}               # h: an optimizer's own hyperparameters
        self.schedule = "constant"
        self.paths: dict[str, surfaces.Path] = {}
        self.step = 0
        self.playing = True

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal():
            with Vertical(id="opt-left"):
                yield OptionList(*surfaces.SURFACES, id="surfaces")
                yield SelectionList(*[Selection(Text(self.label(n), style=Style(color="rgb({},{},{})".format(*colour_of(i)))),
                                                n, True) for i, n in enumerate(self.names)], id="optimizers")
            with Vertical(id="opt-right"):
                yield SurfaceMap(id="map")
                yield Static("", id="about")
                yield Static("", id="figures")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#surfaces", OptionList).highlighted = list(surfaces.SURFACES).index(self.surface.name)
        self.query_one("#surfaces", OptionList).focus()
        self.set_interval(FRAME_SECONDS, self.tick)
        self.recompute()

    # -- the paths: computed in a worker, drawn here -----------------------------------------------

    def _key(self):
        return (self.surface.name, self.start, self.scale, self.schedule,
                tuple(sorted((k, tuple(sorted(v.items()))) for k, v in self.settings.items())))

    def recompute(self) -> None:
        self.step = 0
        self.playing = True
        self._compute(self._key())

    @work(thread=True, exclusive=True)
    def _compute(self, key) -> None:
        s, start, scale, schedule = self.surface, self.start, self.scale, self.schedule
        spec = None if schedule == "constant" else ScheduleSpec.parse({"name": schedule})
        paths = {n: surfaces.run_path(s, n, STEPS, lr=surfaces.default_rate(s, n) * scale, start=start,
                                      settings=self.settings.get(n), schedule=spec) for n in self.names}
        self.post_message(self.Computed(key, paths))

    def on_optimizer_screen_computed(self, message: Computed) -> None:
        if message.key == self._key():        # a newer request supersedes it
            self.paths = message.paths
            self.draw()

    def tick(self) -> None:
        if self.playing and self.paths:
            if self.step < STEPS:
                self.step += 1
                self.draw()
            else:
                self.playing = False

    @property
    def no_color(self) -> bool:
        return bool(getattr(self.app, "no_color", False))

    def label(self, name: str) -> str:
        """An optimizer's name, with its symbol on the map where colour is off."""
        return f"{symbol_of(self.names.index(name))} {name}" if self.no_color else name

    def draw(self) -> None:
        shown = [(self.paths[n].points, colour_of(self.names.index(n)), symbol_of(self.names.index(n)))
                 for n in self.chosen if n in self.paths]
        self.query_one(SurfaceMap).show(self.surface, shown, self.step, marks=self.no_color)
        s = self.surface
        lr = f"lr {s.lr * self.scale:.3g} (SGD, momentum, nesterov), {s.step * self.scale:.3g} (adaptive)"
        self.query_one("#about", Static).update(
            f"{s.name}: {s.about}. Start ({self.start[0]:.3g}, {self.start[1]:.3g}), minimum ({s.minimum[0]:g}, "
            f"{s.minimum[1]:g}) in gold; {lr}; schedule {self.schedule}" + (", noisy gradients" if s.noise else ""))
        parts = []
        for n in self.chosen:
            p = self.paths.get(n)
            if p is not None:
                i = min(self.step, len(p.losses) - 1)
                parts.append(Text(f"{self.label(n)} ", style=Style(color="rgb({},{},{})".format(*colour_of(self.names.index(n)))))
                             + Text(f"{p.losses[i]:.3g}  "))
        figures = Text(f"step {self.step}/{STEPS}  f: ")
        for part in parts:
            figures += part
        self.query_one("#figures", Static).update(figures)

    # -- controls -------------------------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#surfaces")
    def surface_chosen(self, event: OptionList.OptionHighlighted) -> None:
        s = surfaces.SURFACES[list(surfaces.SURFACES)[event.option_index]]
        if s is not self.surface:
            self.surface, self.start = s, s.start
            self.recompute()

    @on(SelectionList.SelectedChanged, "#optimizers")
    def optimizers_chosen(self, event) -> None:
        self.chosen = [n for n in self.names if n in event.selection_list.selected]
        self.draw()

    def on_surface_map_clicked(self, message: SurfaceMap.Clicked) -> None:
        self.start = (round(message.x, 3), round(message.y, 3))
        self.recompute()

    def action_play(self) -> None:
        if self.step >= STEPS:
            self.step = 0
        self.playing = not self.playing

    def action_step(self, by: int) -> None:
        self.playing = False
        self.step = max(0, min(STEPS, self.step + by))
        self.draw()

    def action_rewind(self) -> None:
        self.step, self.playing = 0, True
        self.draw()

    def action_rate(self, factor: float) -> None:
        self.scale *= factor
        self.recompute()

    def action_schedule(self) -> None:
        self.schedule = SCHEDULES[(SCHEDULES.index(self.schedule) + 1) % len(SCHEDULES)]
        self.recompute()

    def action_move(self, dx: int, dy: int) -> None:
        x0, x1, y0, y1 = self.surface.box
        self.start = (round(self.start[0] + dx * (x1 - x0) / 40, 3), round(self.start[1] + dy * (y1 - y0) / 40, 3))
        self.recompute()

    def action_settings(self) -> None:
        """Edit the highlighted optimizer's hyperparameters as name=value pairs."""
        from .dialogs import PromptScreen

        sel = self.query_one("#optimizers", SelectionList)
        name = self.names[sel.highlighted or 0]
        base, extra = surfaces.VARIANTS.get(name, (name, {}))
        allowed = {k: v for k, v in OPTIMIZER_DEFAULTS.get(base).items() if k != "learning_rate"}
        now = {**allowed, **extra, **self.settings.get(name, {})}
        text = " ".join(f"{k}={v}" for k, v in now.items())

        def done(answer: str | None) -> None:
            if answer is None:
                return
            try:
                chosen = {}
                for pair in answer.split():
                    key, _, value = pair.partition("=")
                    if key not in allowed:
                        raise ValueError(f"{key!r} is not a setting of {base} (settings: {', '.join(allowed)})")
                    default = allowed[key]
                    chosen[key] = (value.lower() in ("true", "1", "yes")) if isinstance(default, bool) else float(value)
            except ValueError as exc:
                msg = str(exc) if "setting" in str(exc) else f"name=value pairs with numbers, got {answer!r}"
                self.notify(msg, title="Settings not changed", severity="error", markup=False)
                return
            self.settings[name] = chosen
            self.recompute()

        self.app.push_screen(PromptScreen(f"{name}'s settings (name=value, space apart)", text), done)
