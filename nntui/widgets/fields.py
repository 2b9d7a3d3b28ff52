"""Form fields bound to a path of the experiment draft: a label, the control, and the reason in
red under it when the value is not allowed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Select

from .inputs import InOrderInput

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


@dataclass
class FieldSpec:
    """What a field is, without its widgets (which are costly to make: a form is described on
    every edit and only the fields that are new become widgets). ``kind`` is int, float,
    optfloat, str, target, bool or choice (with ``choices``); ``apply(value)``: a change that
    reshapes the draft (a new optimizer, layer type, ...), done instead of setting the path; it
    makes the forms rebuild."""

    draft: Any
    path: str
    label: str
    kind: str
    choices: list[str] = field(default_factory=list)
    structural: bool = False
    apply: Callable[[Any], Any] | None = None
    #: where the value shown is not the path's own (one feature's tick of data.features)
    value: Callable[[], Any] | None = None

    def __post_init__(self) -> None:
        self.choices = list(self.choices or [])
        self.structural = self.structural or self.apply is not None

    @property
    def signature(self) -> tuple:
        """What the field is (not its value): a form whose fields keep their signatures is updated
        in place, not rebuilt, so focus and what is being typed stay where they are."""
        return (self.path, self.label, self.kind, tuple(self.choices))

    @property
    def shape(self) -> tuple:
        """The signature without the path's indices: the same setting of another layer."""
        return (re.sub(r"\[\d+\]", "[]", self.path), self.label, self.kind, tuple(self.choices))


class Field(Vertical):
    """One setting of the draft, as described by its :class:`FieldSpec`."""

    DEFAULT_CSS = """
    Field { height: auto; margin: 0 0 0 0; }
    Field > Horizontal { height: auto; }
    Field Label.name { width: 18; padding: 0 1 0 0; color: $text-muted; }
    Field Input { width: 1fr; }
    Field Select { width: 1fr; }
    Field Checkbox { width: 6; }
    Field .reason { color: $error; padding: 0 0 0 18; display: none; width: 100%; }
    Field.-invalid .reason { display: block; }
    Field.-invalid Input { background: $error 30%; }
    Field:focus-within Label.name { color: $accent; text-style: bold; }
    Field Input:focus, Field Checkbox:focus { background: $accent 25%; }
    Field Select:focus > SelectCurrent { background: $accent 25%; }
    """

    def __init__(self, spec: FieldSpec) -> None:
        super().__init__(classes="field")
        self.spec = spec
        self.control: Input | Select | Checkbox | None = None     # made in compose
        self.reason: Label | None = None
        self._reason_text = ""

    draft = property(lambda self: self.spec.draft)
    path = property(lambda self: self.spec.path)
    label = property(lambda self: self.spec.label)
    kind = property(lambda self: self.spec.kind)
    choices = property(lambda self: self.spec.choices)
    structural = property(lambda self: self.spec.structural)
    apply = property(lambda self: self.spec.apply)
    signature = property(lambda self: self.spec.signature)
    shape = property(lambda self: self.spec.shape)

    def current(self):
        return self.spec.value() if self.spec.value is not None else self.draft.get(self.path)

    def compose(self) -> ComposeResult:
        value = self.current()
        if self.kind == "bool":
            self.control = Tick("", value=bool(value), compact=True)
        elif self.kind == "choice":
            options = [(c, c) for c in self.choices]
            known = value in self.choices      # else blank (a draft's wrong value), its reason under it
            self.control = Select(options, value=value if known else Select.BLANK, allow_blank=not known,
                                  compact=True)
        else:
            self.control = InOrderInput(show(value), placeholder="default" if self.kind == "optfloat" else "",
                                        compact=True)
        self.reason = Label("", classes="reason")
        with Horizontal():
            yield Label(self.label, classes="name")
            yield self.control
        yield self.reason

    def on_mount(self) -> None:
        self.refresh_reason()

    def refresh_reason(self) -> None:
        reason = self.draft.error_for(self.path)
        self.set_class(reason is not None, "-invalid")
        text = f"^ {reason}" if reason else ""
        if self.reason is not None and self._reason_text != text:   # none before compose
            self._reason_text = text
            self.reason.update(text)

    def rebind(self, spec: FieldSpec) -> None:
        """Become ``spec`` (the same setting of another layer): its path, its apply, its value."""
        self.spec = spec
        self.sync()

    def sync(self) -> None:
        """Show the draft's value (after an undo, a load, a change elsewhere), leaving alone a
        control whose text already means that value (a half-typed "1e-" stays as typed)."""
        value = self.current()
        control = self.control
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
        if self.current() == value:
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
