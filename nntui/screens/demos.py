"""Demonstrations: the classic failure modes (and their cures) as presets, each one keypress away.
Its letter loads the preset and trains it at once, opening the view where the phenomenon shows:
the Inside view for what happens to gradients and units, the dashboard for curves and boundaries."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from engine.presets import load_preset

#: (key, preset, the view that shows it)
DEMONSTRATIONS = (
    ("a", "zero-initialization", "inside"),
    ("b", "vanishing-gradients", "inside"),
    ("c", "vanishing-gradients-relu", "inside"),
    ("d", "exploding-gradients", "inside"),
    ("e", "dying-relu", "inside"),
    ("f", "information-bottleneck", "dashboard"),
    ("g", "overfitting", "dashboard"),
    ("h", "overfitting-dropout", "dashboard"),
    ("i", "overfitting-l2", "dashboard"),
    ("j", "spiral-relu", "dashboard"),
    ("k", "spiral-tanh", "dashboard"),
    ("l", "overconfidence", "dashboard"),
    ("m", "overconfidence-smoothing", "dashboard"),
    ("n", "activation-spread", "inside"),
    ("o", "activation-spread-batchnorm", "inside"),
    ("p", "zigzag", "dashboard"),
    ("q", "zigzag-standardized", "dashboard"),
)


class DemosScreen(ModalScreen):
    """Dismisses with (preset name, view) or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "close"), Binding("enter", "choose", "train", show=False)] + [
        Binding(key, f"pick('{key}')", name, show=False) for key, name, _ in DEMONSTRATIONS]
    CSS_PATH = "demos.tcss"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Demonstrations[/]: press a letter to load one and train it", classes="hint")
            yield OptionList(*[Option(f"{key}  {name}", id=name) for key, name, _ in DEMONSTRATIONS])
            yield Static(id="explanation")
            yield Static("letter: train it at once   up/down + enter: the same   escape: close", classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0
        self.query_one(OptionList).focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.query_one("#explanation", Static).update(load_preset(event.option.id).description.strip())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._go(event.option_index)

    def action_choose(self) -> None:
        i = self.query_one(OptionList).highlighted
        if i is not None:
            self._go(i)

    def action_pick(self, key: str) -> None:
        self._go(next(i for i, (k, _, _) in enumerate(DEMONSTRATIONS) if k == key))

    def _go(self, i: int) -> None:
        _, name, view = DEMONSTRATIONS[i]
        self.dismiss((name, view))
