"""Backpropagation step by step (B on the Build screen): the experiment's model on one training
sample, the forward pass revealed layer by layer, then the loss, then the chain rule for the
chosen weight factor by factor, with the backend's gradient and a finite-difference estimate
beside the product, and the update (engine.backprop computes it, in a worker thread)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ..backprop_command import derivation_lines
from ..widgets.footer import KeyFooter
from ..widgets.titlebar import TitleBar


def sections(lines: list[str]) -> list[list[str]]:
    """The derivation cut where a step shows more: the sample, each layer of the forward pass,
    the loss, each factor of the backward pass, the update."""
    out, head = [], []
    for line in lines:
        starts = line.startswith(("  layer ", "loss ", "  dL/", "  da", "  dz", "  penalty", "  the backend",
                                  "  finite", "update:", "backward"))
        if starts and head:
            out.append(head)
            head = []
        head.append(line)
    if head:
        out.append(head)
    return out


class BackpropScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "back"), Binding("right,n", "step(1)", "step", key_display="→"),
                Binding("left,p", "step(-1)", "back", key_display="←"), Binding("e", "all", "all steps"),
                Binding("down,j", "unit(1)", "next unit", key_display="↓"), Binding("up,k", "unit(-1)", "unit", show=False),
                Binding("w", "weight(1)", "next weight"), Binding("W", "weight(-1)", "weight", show=False),
                Binding("l", "layer(1)", "next layer"), Binding("s", "sample(1)", "next sample")]
    DEFAULT_CSS = """
    BackpropScreen #bp-text { padding: 0 1; }
    BackpropScreen #bp-where { height: auto; padding: 0 1; color: $text-muted; }
    """
    FOOTER_FIRST = ("step(1)", "step(-1)", "all", "unit(1)", "weight(1)", "layer(1)", "sample(1)")

    class Derived(Message):
        def __init__(self, key, lines: list[str] | None, error: str | None, dense: list[tuple[int, int, int]]) -> None:
            super().__init__()
            self.key, self.lines, self.error, self.dense = key, lines, error, dense

    def __init__(self, experiment) -> None:
        super().__init__()
        self.experiment = experiment
        self.layer_at, self.unit, self.weight, self.sample = 0, 0, 0, 0
        self.dense: list[tuple[int, int, int]] = []      # (layer index, inputs, units) of each dense layer
        self.parts: list[list[str]] = []
        self.shown = 1                                     # how many sections are revealed
        self._data = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static("", id="bp-where")
        with VerticalScroll():
            yield Static("deriving...", id="bp-text", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.derive()

    def _key(self):
        return (self.layer_at, self.unit, self.weight, self.sample)

    @work(thread=True, exclusive=True)
    def derive(self) -> None:
        import engine
        from engine.backends.plan import plan_layers
        from engine.backprop import derive

        key = self._key()
        try:
            if self._data is None:
                self._data = engine.load_data(self.experiment.data)
            data = self._data
            plans = plan_layers(self.experiment.model, data.n_features)
            dense = [(p.index, p.weight_shapes()["kernel"][0], p.units) for p in plans if "kernel" in p.weight_shapes()]
            index, n_in, n_out = dense[min(key[0], len(dense) - 1)]
            d = derive(self.experiment, data.x_train[key[3] % len(data.x_train)],
                       data.y_train[key[3] % len(data.x_train)], index, min(key[1], n_out - 1), min(key[2], n_in - 1))
            self.post_message(self.Derived(key, derivation_lines(d, self.experiment), None, dense))
        except Exception as exc:  # noqa: BLE001  shown, never raised into the app
            self.post_message(self.Derived(key, None, f"{exc.__class__.__name__}: {exc}", []))

    def on_backprop_screen_derived(self, message: Derived) -> None:
        if message.key != self._key():
            return
        if message.error:
            self.query_one("#bp-text", Static).update(f"cannot derive: {message.error}")
            return
        self.dense = message.dense
        self.parts = sections(message.lines)
        self.shown = max(1, min(self.shown, len(self.parts)))
        self.show()

    def show(self) -> None:
        lines = [line for part in self.parts[:self.shown] for line in part]
        self.query_one("#bp-text", Static).update("\n".join(lines))
        if self.dense:
            index, n_in, n_out = self.dense[self.layer_at]
            self.query_one("#bp-where", Static).update(
                f"sample {self.sample}, dense layer {index} (unit {self.unit} of {n_out}, input {self.weight} of "
                f"{n_in}); step {self.shown} of {len(self.parts)}: → forward, ← back, e all")

    def action_step(self, by: int) -> None:
        self.shown = max(1, min(len(self.parts), self.shown + by))
        self.show()

    def action_all(self) -> None:
        self.shown = len(self.parts)
        self.show()

    def _again(self) -> None:
        self.query_one("#bp-text", Static).update("deriving...")
        self.derive()

    def action_unit(self, by: int) -> None:
        if self.dense:
            self.unit = (self.unit + by) % self.dense[self.layer_at][2]
            self._again()

    def action_weight(self, by: int) -> None:
        if self.dense:
            self.weight = (self.weight + by) % self.dense[self.layer_at][1]
            self._again()

    def action_layer(self, by: int) -> None:
        if self.dense:
            self.layer_at = (self.layer_at + by) % len(self.dense)
            self.unit = min(self.unit, self.dense[self.layer_at][2] - 1)
            self.weight = min(self.weight, self.dense[self.layer_at][1] - 1)
            self._again()

    def action_sample(self, by: int) -> None:
        self.sample += by
        self._again()
