"""The Build screen: the layer stack with its parameter counts, the selected layer's editor beside
it, panels for data, loss and optimizer, schedule, training and early stopping, the live summary
and advice that applies."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Label, Sparkline, Static, TabbedContent, TabPane

import engine
from engine.advice import advise
from engine.backends.plan import layer_rows
from engine.names import ACTIVATIONS, INITIALIZERS
from engine.nn.schedules import schedule_function
from engine.spec.layers import parse_layer
from engine.text import printable

from ..messages import DraftChanged
from ..widgets.fields import Field, FieldSpec
from ..widgets.footer import KeyFooter
from ..widgets.titlebar import TitleBar
from . import build_forms as forms

#: the keys of the fixes the engine's advice offers (engine/ never names a key)
FIX_KEYS = {"match_output": " Press o to match it."}


def _short(initializer) -> str:
    """Initializer names short enough for the stack (the editor shows them whole)."""
    text = str(initializer)
    return text.replace("random_", "rand_").replace("_uniform", "_u").replace("_normal", "_n")


class LayerStack(DataTable):
    """The layer stack. Its one-letter commands act only while it has focus, where no letter can be
    typing: in a form they would be text, or a slip of the hand that reshapes the model."""

    BINDINGS = [
        Binding("a", "screen.add", "add"), Binding("i", "screen.insert", "insert"),
        Binding("d", "screen.delete", "delete"), Binding("c", "screen.duplicate", "copy"),
        Binding("K", "screen.move(-1)", "up", key_display="K"), Binding("J", "screen.move(1)", "down", key_display="J"),
        Binding("o", "screen.match_output", "fit output", show=False), Binding("t", "app.train", "train"),
    ]


#: the jump keys to the panels: (key, what, the tab or widget it focuses)
JUMPS = (("alt+m", "model", "stack"), ("alt+l", "layer", "editor"), ("alt+d", "data", "tab-data"),
         ("alt+o", "loss & optimizer", "tab-opt"), ("alt+s", "schedule", "tab-schedule"),
         ("alt+t", "training", "tab-train"), ("alt+e", "stopping", "tab-stop"))


#: the containers of the fields, the layer editor first
FORMS = ("#editor", "#form-data", "#form-opt", "#form-schedule", "#form-train", "#form-stop")


class BuildScreen(Screen):
    CSS_PATH = "build.tcss"
    FOOTER_FIRST = ("save", "train", "add", "delete", "duplicate", "undo")
    BINDINGS = [
        Binding("enter", "edit", "edit", show=False),
        Binding("escape", "focus_stack", "stack"), Binding("ctrl+z", "app.undo", "undo"),
        *(Binding(key, f"jump('{target}')", what, show=False) for key, what, target in JUMPS),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.selected = 0
        self._deferred = False    # True until the first frame is painted (see on_mount)
        self.note = ""            # what the last change was ("undid: delete layer 2"), on the status line
        self._shown: dict[str, object] = {}
        self._found: dict[str, object] = {}

    @property
    def draft(self):
        return self.app.draft

    def _show(self, selector: str, text, layout: bool = True) -> None:
        """Update a Static only when what it says changes: an update lays out the whole screen,
        which on this screen costs tens of milliseconds (``layout=False``: a one-line widget)."""
        if self._shown.get(selector) == text:
            return
        self._shown[selector] = text
        self._widget(selector).update(text, layout=layout)

    def _widget(self, selector: str):
        """A widget of this screen by id, found once: a query walks the whole screen."""
        widget = self._found.get(selector)
        if widget is None:
            widget = self._found[selector] = self.query_one(selector)
        return widget

    def _fields(self):
        """Every field of the forms, without a query over the screen."""
        for form in FORMS:
            for child in self._widget(form).children:
                if isinstance(child, Field):
                    yield child

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(id="status")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Label("Model", classes="title")
                yield LayerStack(id="stack", cursor_type="row", zebra_stripes=False)
                with Horizontal(id="stack-buttons"):
                    yield Button("+ add", id="b-add", compact=True)
                    yield Button("insert", id="b-insert", compact=True)
                    yield Button("copy", id="b-duplicate", compact=True)
                    yield Button("delete", id="b-delete", compact=True)
                    yield Button("up", id="b-up", compact=True)
                    yield Button("down", id="b-down", compact=True)
                yield Static(id="totals")
                yield Label("Advice", classes="title")
                yield Static(id="advice")
                yield Label("About this experiment", classes="title", id="about-title")
                yield Static(id="about")
            with VerticalScroll(id="right"):
                yield Label("", id="editor-title", classes="title")
                yield Vertical(id="editor")
                with TabbedContent(id="panels"):
                    with TabPane("Data", id="tab-data"):
                        yield Vertical(id="form-data")
                    with TabPane("Loss & optimizer", id="tab-opt"):
                        yield Vertical(id="form-opt")
                    with TabPane("Schedule", id="tab-schedule"):
                        yield Vertical(id="form-schedule")
                        yield Sparkline([], id="lr-plot")
                        yield Static(id="lr-caption")
                    with TabPane("Training", id="tab-train"):
                        yield Vertical(id="form-train")
                        yield Static(id="backend-line")
                    with TabPane("Stopping", id="tab-stop"):
                        yield Vertical(id="form-stop")
        yield KeyFooter()

    async def on_mount(self) -> None:
        # The first frame holds the stack, the layer editor and the tab in view; the other tabs'
        # forms (some hundred widgets, 40% of the screen's) are built right after it is painted.
        self._deferred = True
        await self.rebuild()
        self.query_one("#stack", DataTable).focus()
        self.call_after_refresh(self._build_deferred)

    async def _build_deferred(self) -> None:
        if self._deferred:
            self._deferred = False
            await self.rebuild()

    # -- building the forms ---------------------------------------------------------------------------

    async def rebuild(self) -> None:
        """Bring every form up to date with the draft: a form whose fields are the same ones only
        shows the new values; one that needs other fields is rebuilt, focus kept on its field."""
        self.refresh_stack()
        await self.build_editor()
        d = self.draft
        shown = self._widget("#panels").active
        for form, pane, fields in (("#form-data", "tab-data", forms.data_fields), ("#form-opt", "tab-opt", forms.optimizer_fields),
                                   ("#form-schedule", "tab-schedule", forms.schedule_fields),
                                   ("#form-train", "tab-train", forms.train_fields),
                                   ("#form-stop", "tab-stop", forms.stopping_fields)):
            if self._deferred and pane != shown:
                continue
            await self._sync(self._widget(form), fields(d))
        self.refresh_info()

    async def _sync(self, container, specs: list[FieldSpec]) -> None:
        old = [w for w in container.children if isinstance(w, Field)]
        same = [f.signature for f in old] == [spec.signature for spec in specs]
        if same or ([f.shape for f in old] == [spec.shape for spec in specs]   # the same setting of another layer
                    and all(n.kind != "choice" or self.draft.get(n.path) in n.choices for n in specs)):
            for f, spec in zip(old, specs):
                f.rebind(spec)
            return
        focused = self.focused
        path = next(((f.path, f.label) for f in old if focused is not None and focused is f.control), None)
        fields = [Field(spec) for spec in specs]
        await container.remove_children()
        await container.mount_all(fields)
        for f in fields:
            if (f.path, f.label) == path:
                f.control.focus()

    async def build_editor(self) -> None:
        layers = self.draft.layers
        self.selected = max(0, min(self.selected, len(layers) - 1))
        i = self.selected
        layer = layers[i]
        kind = layer.get("type", "dense")
        p = f"model.layers[{i}]"
        self._show("#editor-title", f"Layer {i}  {kind}" + ("  (output)" if i == len(layers) - 1 else ""), layout=False)
        fields = [FieldSpec(self.draft, f"{p}.type", "type", "choice", ["dense", "dropout", "batchnorm"],
                            apply=lambda v, i=i: self.draft.set_layer_type(i, v))]
        if kind == "dense":
            fields += [FieldSpec(self.draft, f"{p}.units", "units", "int"),
                       FieldSpec(self.draft, f"{p}.activation", "activation", "choice", ACTIVATIONS.names(),
                                 structural=True),
                       FieldSpec(self.draft, f"{p}.initializer", "initializer", "choice", INITIALIZERS.names(),
                                 structural=True)]
            if layer.get("initializer") in ("random_normal", "random_uniform", "constant") or "init_scale" in layer:
                fields.append(FieldSpec(self.draft, f"{p}.init_scale", "init scale", "optfloat"))
            if layer.get("activation") == "leaky_relu":
                fields.append(FieldSpec(self.draft, f"{p}.negative_slope", "negative slope", "float"))
            fields += [FieldSpec(self.draft, f"{p}.l1", "L1", "float"),
                       FieldSpec(self.draft, f"{p}.l2", "L2", "float"),
                       FieldSpec(self.draft, f"{p}.trainable", "trainable", "bool")]
        elif kind == "dropout":
            fields.append(FieldSpec(self.draft, f"{p}.rate", "rate", "float"))
        else:
            fields += [FieldSpec(self.draft, f"{p}.momentum", "momentum", "float"),
                       FieldSpec(self.draft, f"{p}.epsilon", "epsilon", "float"),
                       FieldSpec(self.draft, f"{p}.trainable", "trainable", "bool")]
        await self._sync(self._widget("#editor"), fields)

    def plan_rows(self) -> list[dict]:
        """The summary of the layers as drafted, valid or not: a layer that does not parse has
        "?" figures, and only the figures that depend on it are unknown."""
        specs = []
        for i, raw in enumerate(self.draft.layers):
            try:
                specs.append(parse_layer(dict(raw), f"model.layers[{i}]"))
            except engine.SpecError:
                specs.append(None)
        info = self.draft.data_info()
        return layer_rows(specs, info.n_features if info else None)

    def refresh_stack(self) -> None:
        table = self._widget("#stack")
        info = self.draft.data_info()
        rows = self.plan_rows()
        params = {r["index"]: r["params"] for r in rows}
        shapes = {r["index"]: r["output_shape"][1] for r in rows}
        with table.prevent(DataTable.RowHighlighted):  # the refill's own cursor moves select nothing
            self._fill_stack(table, info, params, shapes)

    def _fill_stack(self, table, info, params, shapes) -> None:
        table.clear(columns=True)
        table.add_columns("#", "layer", "", "", "", "output", "params")
        width = str(info.n_features) if info else "?"
        table.add_row("", "Input", width, "", "", f"(None, {width})", "0")
        for i, layer in enumerate(self.draft.layers):
            kind = layer.get("type", "dense")
            if kind == "dense":
                row = ("Dense", str(layer.get("units")), str(layer.get("activation")), _short(layer.get("initializer")))
            elif kind == "dropout":
                row = ("Dropout", str(layer.get("rate")), "", "")
            else:
                row = ("BatchNorm", "", "", "")
            count = params.get(i)
            frozen = "" if layer.get("trainable", True) else " (frozen)"
            out = "?" if shapes.get(i) is None else f"(None, {shapes[i]})"
            table.add_row(str(i), row[0] + frozen, *row[1:], out, "?" if count is None else f"{count:,}")
        table.move_cursor(row=self.selected + 1)

    def refresh_info(self) -> None:
        d = self.draft
        exp, info = d.experiment, d.data_info()
        rows = self.plan_rows()
        if all(r["params"] is not None for r in rows):
            total, trainable = sum(r["params"] for r in rows), sum(r["trainable"] for r in rows)
            self._show("#totals", f"{total:,} params ({trainable:,} trainable, {total - trainable:,} frozen)", False)
        else:
            known = sum(r["params"] or 0 for r in rows)
            self._show("#totals", f"{known:,} params in the layers that are valid so far", False)
        if exp is not None:
            items = advise(exp, info.n_classes if info else None, info.task if info else None,
                           info.n_features if info else None)
            self._show("#advice", "\n".join(f"{'!' if a.level == 'warning' else '-'} {a.text}{FIX_KEYS.get(a.fix, '')}"
                                             for a in items) or "Nothing to flag.")
        about = (d.get("description") or "").strip()
        self._show("#about", about)
        self._widget("#about-title").display = self._widget("#about").display = bool(about)
        # one row: what matters first (at 80 columns the end is cut), the last command's name after it
        note = f"   [$text-muted]{escape(printable(self.note))}[/]" if self.note else ""
        if d.error is not None:
            fix = FIX_KEYS["match_output"] if d.output_mismatch() else ""
            self._show("#status", f"[b $error]cannot train[/]{'.' + fix if fix else ':'} "
                       f"{escape(printable(d.error))}{note}", False)
        else:
            self._show("#status", "[b $success]ready[/]: press t to train"
                       + ("  (unsaved changes)" if d.dirty else "") + note, False)
        for field in self._fields():
            field.refresh_reason()
        self.refresh_schedule_plot()
        try:
            choice = engine.resolve_backend(d.get("backend"))
            self._show("#backend-line", f"backend {d.get('backend')} -> {choice}")
        except engine.BackendUnavailable as exc:
            self._show("#backend-line", f"[red]{escape(str(exc))}[/]")
        self.app.refresh_title()

    def refresh_schedule_plot(self) -> None:
        exp, info = self.draft.experiment, self.draft.data_info()
        plot = self._widget("#lr-plot")
        if exp is None:
            plot.data = []
            self._show("#lr-caption", "", False)
            return
        n_train = info.training_rows(exp.data) if info is not None else 1000   # csv/npz: unknown until loaded
        steps = max(1, -(-n_train // exp.train.batch_size))
        total = steps * exp.train.epochs
        rate = schedule_function(exp.schedule, exp.optimizer.learning_rate, steps)
        points = [rate(int(k * (total - 1) / 59)) for k in range(60)] if total > 1 else [rate(0)]
        if plot.data != points:
            plot.data = points
        self._show("#lr-caption", f"lr {points[0]:.3g} -> {points[-1]:.3g} over {exp.train.epochs} epochs "
                   f"({steps} steps each); min {min(points):.3g}, max {max(points):.3g}", False)

    # -- events ----------------------------------------------------------------------------------

    async def on_draft_changed(self, message: DraftChanged) -> None:
        """Every change of the draft, made here or anywhere else (a demonstration, a preset, a
        search trial, undo), the moment it happens."""
        # the command's name ("copy layer 2", "undid: delete layer 2"), not a typed value's
        self.note = "" if message.what.startswith("edit ") else message.what
        if message.structure:
            await self.rebuild()
        else:
            self.refresh_stack()
            self.refresh_info()

    @on(DataTable.RowHighlighted, "#stack")
    async def stack_moved(self, event: DataTable.RowHighlighted) -> None:
        index = max(0, event.cursor_row - 1)
        if index != self.selected:
            self.selected = index
            await self.build_editor()

    @on(DataTable.RowSelected, "#stack")
    def stack_enter(self, event: DataTable.RowSelected) -> None:
        """enter (or a click on the highlighted row) edits the layer."""
        self.action_edit()

    @on(Button.Pressed)
    async def button(self, event: Button.Pressed) -> None:
        actions = {"b-add": self.action_add, "b-insert": self.action_insert, "b-duplicate": self.action_duplicate,
                   "b-delete": self.action_delete, "b-up": lambda: self.action_move(-1),
                   "b-down": lambda: self.action_move(1)}
        if event.button.id in actions:
            actions[event.button.id]()

    # -- actions ---------------------------------------------------------------------------------

    def _structural(self, index: int) -> None:
        """After a change of the stack (the draft's message rebuilds the views): select ``index``."""
        self.selected = index
        self.query_one("#stack", DataTable).focus()

    def action_add(self) -> None:
        """A dense layer after the selected one (before the output layer when that is selected)."""
        last = len(self.draft.layers) - 1
        where = self.selected if self.selected == last else self.selected + 1
        self._structural(self.draft.add_layer(where))

    def action_insert(self) -> None:
        self._structural(self.draft.add_layer(self.selected))

    def action_duplicate(self) -> None:
        self._structural(self.draft.duplicate_layer(self.selected))

    def action_delete(self) -> None:
        self._structural(self.draft.delete_layer(self.selected))

    def action_move(self, step: int) -> None:
        self._structural(self.draft.move_layer(self.selected, step))

    def action_match_output(self) -> None:
        self.draft.match_output()      # named on the status line; a toast would cost a layout

    def action_edit(self) -> None:
        """Focus the selected layer's first setting after its type (units, rate or momentum)."""
        controls = list(self.query("#editor Input, #editor Select"))
        if controls:
            controls[1 if len(controls) > 1 else 0].focus()

    @property
    def stack_has_focus(self) -> bool:
        return isinstance(self.focused, LayerStack)

    def action_focus_stack(self) -> None:
        self.query_one("#stack", DataTable).focus()

    def action_jump(self, target: str) -> None:
        """Focus a panel's first control (the model stack, the layer editor, a tab of settings)."""
        if target == "stack":
            self.action_focus_stack()
            return
        if target == "editor":
            self.action_edit()
            return
        self.query_one("#panels", TabbedContent).active = target
        self.call_after_refresh(self._focus_first, f"#{target}")

    def _focus_first(self, pane: str) -> None:
        controls = list(self.query_one(pane).query("Input, Select, Checkbox"))
        if controls:
            controls[0].focus()
            controls[0].scroll_visible()
