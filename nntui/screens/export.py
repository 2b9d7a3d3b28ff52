"""Export as code: the experiment being built as a PyTorch, Keras or MLX script (engine.export),
one tab each, with what the framework cannot say listed above it; s saves the shown script."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TabbedContent, TabPane, TextArea

from engine.export import FRAMEWORKS, export

from ..widgets.footer import KeyFooter

NAMES = {"pytorch": "PyTorch", "keras": "Keras", "mlx": "MLX"}


class ExportScreen(ModalScreen):
    BINDINGS = [Binding("escape", "dismiss", "close"), Binding("s", "save", "save"),
                Binding("1", "show('pytorch')", "PyTorch", show=False), Binding("2", "show('keras')", "Keras", show=False),
                Binding("3", "show('mlx')", "MLX", show=False)]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 96%; height: 94%; border: round $accent; background: $surface; }
    ExportScreen #export-notes { height: auto; max-height: 5; padding: 0 1; color: $text-muted; }
    ExportScreen TextArea { height: 1fr; }
    """

    def __init__(self, experiment) -> None:
        super().__init__()
        self.experiment = experiment
        self.exports = {fw: export(experiment, fw) for fw in FRAMEWORKS}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="export-notes")
            with TabbedContent(id="export-tabs"):
                for fw in FRAMEWORKS:
                    with TabPane(NAMES[fw], id=f"tab-{fw}"):
                        yield TextArea(self.exports[fw].code, read_only=True, show_line_numbers=True, id=f"code-{fw}")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._notes()

    @property
    def framework(self) -> str:
        return self.query_one(TabbedContent).active.removeprefix("tab-")

    def on_tabbed_content_tab_activated(self, event) -> None:
        self._notes()

    def _notes(self) -> None:
        fw = self.framework
        warnings = list(dict.fromkeys(self.exports[fw].warnings))
        text = (f"{NAMES[fw]}: runnable as it stands (nntui's engine.load_data reads the data); 1 2 3 switch, "
                "s saves. " + ("Not said exactly: " + "; ".join(warnings) if warnings else "Every setting is said."))
        self.query_one("#export-notes", Static).update(text)

    def action_show(self, fw: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{fw}"

    def action_save(self) -> None:
        from engine.atomic import write_text_atomic
        from engine.text import printable

        from .dialogs import FilePicker

        fw = self.framework
        default = f"{(self.experiment.name or 'experiment').replace(' ', '_')}_{fw}.py"

        def picked(path: Path | None) -> None:
            if path is None:
                return
            try:
                write_text_atomic(path, self.exports[fw].code)
            except OSError as exc:
                self.notify(printable(f"{path}: {exc.strerror or exc}"), title="Cannot save", severity="error",
                            markup=False)
                return
            self.notify(printable(f"Saved {path}: python {path}"), markup=False)

        self.app.push_screen(FilePicker(f"Save the {NAMES[fw]} script as", default, must_exist=False, suffix=".py"),
                             picked)
