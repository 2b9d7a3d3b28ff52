"""Small modal screens: help, a file picker for open and save, and the unsaved-changes guard."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, Static

from ..widgets.inputs import InOrderInput

HELP = """\
[b]Build[/]
  up/down     select a layer           enter   edit the selected layer
  a           add a dense layer after  i       insert one before
  d           delete the layer         c       copy (duplicate) it
  K / J       move it up / down        o       make the output fit the data
  tab         next field or panel      escape  back to the layer stack
  t           train                    b       back to Build (from Train)
[b]Train[/] (the dashboard)
  space       pause / resume           s       stop (keeps the model)
  r           restart, fresh weights   + / -   learning rate x2 / x0.5
  l           log-scale loss           c       overlay this session's runs
  i           Inside view              ctrl+s  save the run folder
[b]Inside[/]
  up/down     layer for histograms     [ / ]   step through the epochs
  i / escape  back to the dashboard
[b]Anywhere[/]
  ctrl+s      save the experiment      ctrl+o  open one
  ctrl+n      new experiment           ctrl+p  palette: presets, themes...
  D           demonstrations           f       activation functions
  S           hyperparameter search (t starts, s stops, enter opens a trial)
  ?           this help                ctrl+q  quit (asks if unsaved)
"""


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "close")]
    CSS_PATH = "dialogs.tcss"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(HELP)
            yield Label("escape closes", classes="muted")


class TomlTree(DirectoryTree):
    def filter_paths(self, paths):
        return [p for p in paths if p.is_dir() and not p.name.startswith(".") or p.suffix == ".toml"]


class FilePicker(ModalScreen[Path | None]):
    """Pick a .toml file: browse the tree or type a path; returns the path or None."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]
    CSS_PATH = "dialogs.tcss"

    def __init__(self, title: str, initial: str = "", must_exist: bool = True, suffix: str = ".toml") -> None:
        super().__init__()
        self.title_text, self.initial, self.must_exist, self.suffix = title, initial, must_exist, suffix

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]{self.title_text}[/]")
            yield TomlTree(".")
            yield InOrderInput(self.initial, placeholder="path/to/experiment.toml", id="path")
            yield Label("", id="error")
            with Horizontal():
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = str(event.path)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._done()
        else:
            self.dismiss(None)

    def _done(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        path = Path(text).expanduser() if text else None
        if path is None or (self.must_exist and not path.is_file()):
            self.query_one("#error", Label).update("no such file" if path else "type a path")
            return
        if not self.must_exist and path.suffix != self.suffix:
            path = path.with_suffix(self.suffix)
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Ask(ModalScreen[str]):
    """A question with buttons; returns the id of the one pressed. Left and right move between
    them and stop at the ends (right from Cancel, the last, does not wrap round to Save), enter
    presses the one with focus (Cancel at first: the safe choice), escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "cancel"), Binding("left", "move(-1)", show=False),
                Binding("right", "move(1)", show=False)]
    CSS_PATH = "dialogs.tcss"

    def __init__(self, question: str, buttons: tuple[tuple[str, str, str], ...]) -> None:
        """``buttons``: (id, label, variant); one of them must be ``cancel``."""
        super().__init__()
        self.question, self.buttons = question, buttons

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)  # wraps
            with Horizontal():
                for ident, label, variant in self.buttons:
                    yield Button(label, variant=variant, id=ident)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_move(self, step: int) -> None:
        buttons = list(self.query(Button))
        here = buttons.index(self.focused) if self.focused in buttons else len(buttons) - 1
        buttons[max(0, min(len(buttons) - 1, here + step))].focus()

    def action_cancel(self) -> None:
        self.dismiss("cancel")


class ConfirmDiscard(Ask):
    """Unsaved changes: save, discard or cancel."""

    def __init__(self, what: str, invalid: str | None = None) -> None:
        question = f"The experiment has unsaved changes. Save before you {what}?"
        if invalid:
            question += f"\nIt does not train yet ({invalid}); Save keeps it as a draft to finish later."
        super().__init__(question, (("save", "Save", "primary"), ("discard", "Discard", "error"),
                                    ("cancel", "Cancel", "default")))
        self.what = what


class ConfirmQuitRun(Ask):
    """Quit while a run trains: stop it and keep its run folder, quit without it, or go on."""

    def __init__(self, folder) -> None:
        where = f" in {folder}" if folder else ""
        super().__init__(f"A run is training. Stop it and keep the run so far{where}?",
                         (("keep", "Stop and keep", "primary"), ("drop", "Quit without it", "error"),
                          ("cancel", "Go on training", "default")))


class PromptScreen(ModalScreen[str | None]):
    """One line of text (a folder name, say); returns it, or None on escape."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]
    CSS_PATH = "dialogs.tcss"

    def __init__(self, title: str, initial: str = "") -> None:
        super().__init__()
        self.title_text, self.initial = title, initial

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield InOrderInput(self.initial, id="answer")
            yield Label("enter accepts, escape cancels")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
