"""Form fields bound to a path of the experiment draft: a label, the control, and the reason in
red under it when the value is not allowed."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Select

_INT = re.compile(r"^-?\d+$")


def parse(kind: str, text: str):
    """What the user typed, as the spec's type where it parses (else the text, which the spec rejects)."""
    text = text.strip()
    if kind == "int" and _INT.match(text):
        return int(text)
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "optfloat":
        if text == "":
            return None
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "target" and _INT.match(text):
        return int(text)
    return text


def show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class Tick(Checkbox):
    """A checkbox whose state is a glyph, not only a colour (NO_COLOR, monochrome terminals,
    colour blindness): X when on, blank when off."""

    @property
    def BUTTON_INNER(self) -> str:  # noqa: N802 (Textual's name)
        return "X" if self.value else " "


class Field(Vertical):
    """One setting: ``kind`` is int, float, optfloat, str, target, bool or choice (with ``choices``)."""

    DEFAULT_CSS = """
    Field { height: auto; margin: 0 0 0 0; }
    Field > Horizontal { height: auto; }
    Field Label.name { width: 18; padding: 0 1 0 0; color: $text-muted; }
    Field Input { width: 1fr; }
    Field Select { width: 1fr; }
    Field Checkbox { width: 6; }
    Field .reason { color: $error; padding: 0 0 0 18; display: none; }
    Field.-invalid .reason { display: block; }
    Field.-invalid Input { background: $error 30%; }
    Field:focus-within Label.name { color: $accent; text-style: bold; }
    Field Input:focus, Field Checkbox:focus { background: $accent 25%; }
    Field Select:focus > SelectCurrent { background: $accent 25%; }
    """

    def __init__(self, draft, path: str, label: str, kind: str, choices: list[str] | None = None,
                 structural: bool = False, apply=None) -> None:
        """``apply(value)``: a change that reshapes the draft (a new optimizer, layer type, ...),
        done instead of setting the path; it makes the forms rebuild."""
        super().__init__(classes="field")
        self.draft, self.path, self.label, self.kind = draft, path, label, kind
        self.choices, self.structural, self.apply = choices or [], structural or apply is not None, apply

    def compose(self) -> ComposeResult:
        value = self.draft.get(self.path)
        with Horizontal():
            yield Label(self.label, classes="name")
            if self.kind == "bool":
                yield Tick("", value=bool(value), name=self.path, compact=True)
            elif self.kind == "choice":
                options = [(c, c) for c in self.choices]
                known = value in self.choices      # else blank (a draft's wrong value), its reason under it
                yield Select(options, value=value if known else Select.BLANK, allow_blank=not known,
                             name=self.path, compact=True)
            else:
                yield Input(show(value), name=self.path, placeholder="default" if self.kind == "optfloat" else "",
                            compact=True)
        yield Label("", classes="reason")

    def on_mount(self) -> None:
        self.refresh_reason()

    def refresh_reason(self) -> None:
        reason = self.draft.error_for(self.path)
        self.set_class(reason is not None, "-invalid")
        for label in self.query(".reason").results(Label):  # none yet while the field is composing
            label.update(f"^ {reason}" if reason else "")

    @property
    def signature(self) -> tuple:
        """What the field is (not its value): a form whose fields keep their signatures is updated
        in place, not rebuilt, so focus and what is being typed stay where they are."""
        return (self.path, self.label, self.kind, tuple(self.choices))

    def sync(self) -> None:
        """Show the draft's value (after an undo, a load, a change elsewhere), leaving alone a
        control whose text already means that value (a half-typed "1e-" stays as typed)."""
        value = self.draft.get(self.path)
        for control in self.query("Input, Select, Checkbox"):
            if isinstance(control, Input):
                if parse(self.kind, control.value) != value:
                    with control.prevent(Input.Changed):
                        control.value = show(value)
            elif isinstance(control, Select):
                want = value if value in self.choices else Select.BLANK
                if control.value != want and want is not Select.BLANK:
                    with control.prevent(Select.Changed):
                        control.value = want
            elif isinstance(control, Checkbox) and control.value != bool(value):
                with control.prevent(Checkbox.Changed):
                    control.value = bool(value)
        self.refresh_reason()

    def _changed(self, value) -> None:
        if self.draft.get(self.path) == value:
            return
        if self.apply is not None:
            self.apply(value)
        else:
            self.draft.set(self.path, value, structure=self.structural)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._changed(parse(self.kind, event.value))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.BLANK:
            self._changed(event.value)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._changed(event.value)
