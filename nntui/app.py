"""The Textual app: the experiment being edited, the screens, files, presets and themes."""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path

import tomli_w
from textual.app import App, SystemCommand
from textual.binding import Binding

import engine
import engine.presets
from engine.atomic import file_text, write_text_atomic
from engine.backends.plan import check_model_fits
from engine.spec import read_toml_table
from engine.text import printable

from . import startup, themes
from .draft import Draft, default_experiment
from .messages import DraftChanged
from .screens.build import BuildScreen
from .screens.demos import DemosScreen
from .widgets.titlebar import TitleBar

# The screens beyond the builder (and their trainer, plots and search) are imported where they
# are first opened, in the methods below: the first screen appears sooner (bench/startup.py).

#: the theme NO_COLOR draws from (in greys): one whose colours are known, not the terminal's own
NO_COLOR_THEME = "nntui-dark"


class NNTuiApp(App):
    TITLE = "nntui"
    # the tabs' and bars' tracks stand off the screen, in colour and in NO_COLOR's greys alike
    CSS = """
    Underline > .underline--bar { background: $foreground 40%; }
    """
    BINDINGS = [
        Binding("question_mark", "help", "help"), Binding("ctrl+s", "save", "save"),
        Binding("ctrl+o", "open", "open", show=False), Binding("ctrl+n", "new", "new", show=False),
        Binding("ctrl+q", "quit", "quit"), Binding("D", "demos", "demos"), Binding("S", "search", "search"),
        Binding("f", "activations", "activations", show=False), Binding("O", "optimizers", "optimizers", show=False),
        Binding("L", "lr_find", "lr finder", show=False), Binding("B", "backprop", "backprop", show=False),
        Binding("E", "export", "export code", show=False), Binding("ctrl+z", "undo", "undo", show=False),
        Binding("ctrl+y", "redo", "redo", show=False), Binding("f1", "help", "help"),
    ]

    def __init__(self, path: str | Path | None = None, experiment: engine.Experiment | None = None) -> None:
        super().__init__()
        self.path = Path(path) if path else None
        self.source_text: str | None = None    # the opened file as written: saving keeps its comments
        raw = None
        if experiment is None and self.path is not None and self.path.exists():
            raw = read_toml_table(self.path)        # not TOML at all: the command line said so already
            self.source_text = file_text(self.path)
            try:
                experiment = engine.Experiment.from_dict(raw, source=str(self.path))
            except engine.SpecError:
                pass                                # a draft saved with an error: opened to be fixed
        self.draft = Draft(experiment or default_experiment())
        if experiment is None and raw is not None:
            self.draft.load_raw(raw)
        self.draft.listener = self._draft_changed
        self.series: dict[str, dict] = {}
        self.markers: dict[str, dict] = {}    # per theme: the plots' best / stop / no-improvement symbols
        self.session_runs: list[dict] = []   # every finished run of this session, for comparison
        self.run_state = None                 # the current run (nntui/run_state.py), set by the dashboard
        self.run_control = None

    # -- start-up ------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        for name, (theme, series, markers) in themes.load_themes().items():
            self.register_theme(theme)
            self.series[name] = series
            self.markers[name] = markers
        # NO_COLOR: Textual draws in greys, from the theme's colours. The ANSI theme's colours are the
        # terminal's own, unknown to it, and all came out black on black; the dark theme's greys
        # read well. For this session only: it is not the user's choice to remember
        wanted = NO_COLOR_THEME if os.environ.get("NO_COLOR") else themes.load_settings().get("theme", themes.DEFAULT)
        self._starting = True
        self.theme = wanted if wanted in self.available_themes else themes.DEFAULT
        self._starting = False
        self.push_screen(BuildScreen())
        self.refresh_title()
        self.call_after_refresh(self._freeze_startup)

    def _freeze_startup(self) -> None:
        """What start-up made (modules, styles, the first screen: hundreds of thousands of objects)
        lives as long as the app, so the garbage collector need never walk it again: a full
        collection over it took about 100 ms, in the middle of a key's response."""
        gc.collect()
        gc.freeze()
        startup.settle()      # the command line's start-up threshold back to Python's own

    def watch_theme(self, name: str) -> None:
        if getattr(self, "_starting", True):   # the start-up choice (settings or NO_COLOR): nothing to save
            return
        if self.is_running and name in self.series:
            themes.save_setting("theme", name)

    def on_resize(self, event) -> None:
        for screen in self.screen_stack:
            screen.set_class(event.size.width < 100, "-narrow")

    #: the app's one-letter commands: on the Build screen they act only from the layer stack
    LETTER_ACTIONS = ("demos", "search", "activations", "optimizers", "lr_find", "backprop")

    def check_action(self, action: str, parameters) -> bool | None:
        """A letter typed in a form is never a command (the Footer then hides it too)."""
        if action in self.LETTER_ACTIONS and isinstance(self.screen, BuildScreen) and not self.screen.stack_has_focus:
            return False
        return True

    def _draft_changed(self, what: str, structure: bool) -> None:
        """Every view of the draft hears of every change, the top screen or not."""
        for screen in self.screen_stack:
            if isinstance(screen, BuildScreen):
                screen.post_message(DraftChanged(structure, what))
        self.refresh_title()

    def action_undo(self) -> None:
        self._history(self.draft.undo, "undo")

    def action_redo(self) -> None:
        self._history(self.draft.redo, "redo")

    def _history(self, step, name: str) -> None:
        what = step()
        if what is None:
            self.bell()
            self.notify(f"Nothing to {name}", severity="warning", timeout=2)
        elif not isinstance(self.screen, BuildScreen):
            self.notify(printable(f"{'undid' if name == 'undo' else 'redid'}: {what}"), markup=False, timeout=3)

    def title_text(self) -> str:
        name = self.path.name if self.path else "untitled"
        return f"nntui — {printable(name)}" + (" *" if self.draft.dirty else "")

    def refresh_title(self) -> None:
        for screen in self.screen_stack:
            for bar in screen.query(TitleBar):
                bar.show_title()

    # -- the command palette --------------------------------------------------------------------------

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("New experiment", "Start again from the default experiment", self.action_new)
        yield SystemCommand("Open experiment", "Open an experiment TOML file", self.action_open)
        yield SystemCommand("Save experiment", "Save to the current file", self.action_save)
        yield SystemCommand("Save experiment as", "Save to a new file", self.action_save_as)
        yield SystemCommand("Train", "Train the experiment", self.action_train)
        yield SystemCommand("Build", "Back to the model builder", self.action_build)
        yield SystemCommand("Demonstrations", "Classic failure modes, one keypress each: zero init, vanishing and "
                            "exploding gradients, dying ReLU, overfitting...", self.action_demos)
        yield SystemCommand("Activation functions", "Each activation and its derivative", self.action_activations)
        yield SystemCommand("Backpropagation step by step", "One sample, one weight: the forward pass, the chain "
                            "rule's factors, finite differences, the update", self.action_backprop)
        yield SystemCommand("Export as code", "The experiment as a runnable PyTorch, Keras or MLX script",
                            self.action_export)
        yield SystemCommand("Learning-rate finder", "Sweep the rate from fresh weights, see the loss, apply the "
                            "suggested rate", self.action_lr_find)
        yield SystemCommand("Optimizers on a loss surface", "Every optimizer's path on a 2D test surface, step by "
                            "step (momentum, the saddle, Adagrad...)", self.action_optimizers)
        yield SystemCommand("Hyperparameter search", "Run the experiment's \\[search] with Optuna: live leaderboard",
                            self.action_search)
        yield SystemCommand("Inside the network", "Gradients, weights and activations per layer of the run",
                            self.action_inside)
        for exp in engine.presets.list_presets():
            yield SystemCommand(f"Preset: {exp.name}", exp.description, lambda e=exp: self.load_experiment(e, None))

    # -- files and presets ----------------------------------------------------------------------------

    def load_experiment(self, exp: engine.Experiment, path: Path | None, after=None) -> None:
        """Load ``exp`` into the builder (asking first about unsaved changes), then ``after()``.
        A screen that leaves on loading passes its leaving as ``after``: popped before the
        question is answered, it would take the answer's callback with it."""
        def go():
            self.path = path
            self.source_text = file_text(path) if path is not None else None
            self.draft.load(exp)
            self._select_first()
            self.notify(printable(f"Loaded {path or exp.name}"), markup=False)
            if after is not None:      # screens change after the Headers have shown the new title
                self.call_after_refresh(after)

        self._guard("load another experiment", go)

    def load_draft(self, raw: dict, path: Path, error) -> None:
        """A file that does not train yet, into the builder to be fixed."""
        def go():
            try:
                self.draft.load_raw(raw, f"loaded {path.name} (it does not train yet)")
            except ValueError:
                self.notify(printable(error), title="Cannot open", severity="error", timeout=10, markup=False)
                return
            self.path = path
            self.source_text = file_text(path)
            self._select_first()
            self.refresh_title()
            self.notify(printable(f"{path} does not train yet: {error}"), severity="warning", timeout=10,
                        markup=False)

        self._guard("open another experiment", go)

    def _select_first(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, BuildScreen):
                screen.selected = 0

    def _guard(self, what: str, then) -> None:
        """Run ``then`` now, or after asking what to do with unsaved changes."""
        from .screens.dialogs import ConfirmDiscard

        if not self.draft.dirty:
            then()
            return

        def answer(choice: str) -> None:
            if choice == "save":
                self.action_save(after=then)
            elif choice == "discard":
                then()

        error = None if self.draft.error is None else printable(self.draft.error)
        self.push_screen(ConfirmDiscard(what, invalid=error), answer)

    def action_new(self) -> None:
        self.load_experiment(default_experiment(), None)

    def action_open(self) -> None:
        from .screens.dialogs import FilePicker

        def picked(path: Path | None) -> None:
            if path is None:
                return
            try:
                raw = read_toml_table(path)
                exp = engine.Experiment.from_dict(raw, source=str(path))
            except engine.SpecError as exc:
                if exc.field and "raw" in locals():        # TOML with a wrong value: open it to fix it
                    self.load_draft(raw, path, exc)
                    return
                self.notify(printable(exc), title="Cannot open", severity="error", timeout=10, markup=False)
                return
            self.load_experiment(exp, path)

        self.push_screen(FilePicker("Open experiment"), picked)

    def action_save(self, after=None) -> None:
        if self.path is None:
            self.action_save_as(after)
            return
        self._write(self.path, after)

    def action_save_as(self, after=None) -> None:
        from .screens.dialogs import FilePicker

        def picked(path: Path | None) -> None:
            if path is not None:
                self._write(path, after)

        self.push_screen(FilePicker("Save experiment as", str(self.path or "experiment.toml"), must_exist=False), picked)

    def _write(self, path: Path, after=None) -> None:
        """Save the experiment; a draft with an error is saved as it stands (a warning says what
        to fix), never lost for being unfinished."""
        exp = self.draft.experiment
        try:
            if exp is not None:
                exp.to_toml(path, over=self.source_text)   # the user's comments and layout kept
                self.source_text = file_text(path)
            else:
                write_text_atomic(path, "# a draft: it does not train yet; nntui opens it to be fixed\n"
                                  f"# {printable(self.draft.error)}\n" + tomli_w.dumps(self.draft.as_table()))
                self.notify(f"Saved as a draft: it does not train until this is fixed: {printable(self.draft.error)}",
                            title="Saved with an error", severity="warning", timeout=10, markup=False)
        except OSError as exc:
            self.notify(printable(f"{path}: {exc.strerror or exc}"), title="Cannot save", severity="error", timeout=10, markup=False)
            return
        self.path = path
        self.draft.mark_saved()
        self.refresh_title()
        self.notify(printable(f"Saved {path}"), markup=False)
        if after:
            after()

    # -- screens --------------------------------------------------------------------------------------

    def action_help(self) -> None:
        from .screens.dialogs import HelpScreen

        self.push_screen(HelpScreen())

    def action_train(self) -> None:
        from .screens.inside import InsideScreen
        from .screens.train import TrainScreen

        if self.draft.error is not None:
            self.bell()
            self.notify(printable(self.draft.error), title="Cannot train yet", severity="error", timeout=8, markup=False)
            return
        if isinstance(self.screen, (TrainScreen, InsideScreen)) and self.screen_running():
            return
        info = self.draft.data_info()
        if info is not None:   # what cannot fit is refused before the dashboard opens, as the engine would
            try:
                check_model_fits(self.draft.experiment, info.n_features)
            except engine.SpecError as exc:
                self.bell()
                self.notify(printable(exc), title="Cannot train", severity="error", timeout=10, markup=False)
                return
        while isinstance(self.screen, (InsideScreen, TrainScreen)):
            self.pop_screen()
        self.push_screen(TrainScreen(self.draft.experiment))

    def screen_running(self) -> bool:
        train = self._train_screen()
        return bool(train and train.running)

    def action_build(self) -> None:
        from .screens.inside import InsideScreen
        from .screens.search import SearchScreen
        from .screens.train import TrainScreen

        while isinstance(self.screen, (InsideScreen, TrainScreen, SearchScreen)):
            self.pop_screen()

    def action_search(self) -> None:
        from .screens.search import SearchScreen

        if not isinstance(self.screen, SearchScreen):
            self.action_build()
            self.push_screen(SearchScreen())

    def action_inside(self) -> None:
        """The Inside view of the current run (from the dashboard, or over it)."""
        from .screens.inside import InsideScreen

        train = self._train_screen()
        if train is None:
            self.notify("Train first (t): the Inside view shows the running or finished model", severity="warning")
        elif not isinstance(self.screen, InsideScreen):
            self.push_screen(InsideScreen())

    def _train_screen(self):
        from .screens.train import TrainScreen

        return next((s for s in reversed(self.screen_stack) if isinstance(s, TrainScreen)), None)

    def action_pause_run(self) -> None:
        """Pause or resume the current run, from any screen over the dashboard."""
        train = self._train_screen()
        if train is not None:
            train.action_pause()

    def action_stop_run(self) -> None:
        train = self._train_screen()
        if train is not None:
            train.action_stop()

    def action_activations(self) -> None:
        from .screens.activations import ActivationScreen

        if not isinstance(self.screen, ActivationScreen):
            self.push_screen(ActivationScreen())

    def _open_on_draft(self, screen_class) -> None:
        """Open a view of the experiment being built (unless it is open already); a draft that
        does not parse yet is said, not opened."""
        if self.draft.error is not None:
            self.bell()
            self.notify(printable(self.draft.error), title="Fix the experiment first", severity="error", markup=False)
            return
        if not isinstance(self.screen, screen_class):
            self.push_screen(screen_class(self.draft.experiment))

    def action_backprop(self) -> None:
        from .screens.backprop import BackpropScreen

        self._open_on_draft(BackpropScreen)

    def action_export(self) -> None:
        from .screens.export import ExportScreen

        self._open_on_draft(ExportScreen)

    def action_lr_find(self) -> None:
        from .screens.lr_find import LrFindScreen

        self._open_on_draft(LrFindScreen)

    def action_optimizers(self) -> None:
        from .screens.optimizers import OptimizerScreen

        if not isinstance(self.screen, OptimizerScreen):
            self.push_screen(OptimizerScreen())

    def action_demos(self) -> None:
        def chosen(choice) -> None:
            if choice is None:
                return
            name, view = choice

            def go() -> None:
                self.path = None
                self.draft.load(engine.presets.load_preset(name))
                self._select_first()
                self.call_after_refresh(switch)

            def switch() -> None:
                """After the load's new title has reached every Header: a Header popped while
                its title update is pending fails in Textual (NoMatches on its HeaderTitle)."""
                self.action_build()
                self.action_train()
                if view == "inside":
                    self.action_inside()

            self._guard("load a demonstration", go)

        self.push_screen(DemosScreen(), chosen)

    async def action_quit(self) -> None:
        """Quit; a run in progress is asked about first (stop and keep its folder, or drop it),
        then unsaved changes of the experiment."""
        from .screens.dialogs import ConfirmQuitRun

        train = self._train_screen()
        if train is None or not train.running:
            self._guard("quit", self.exit)
            return

        def answer(choice: str) -> None:
            if choice == "cancel":
                return

            def ended(folder) -> None:
                if choice == "drop" and folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)
                self._guard("quit", self.exit)

            if train.running:
                train.stop_then(ended)
            else:                          # it ended while the question was open
                ended(train.folder)

        self.push_screen(ConfirmQuitRun(train.folder), answer)


def make_app(path: str | Path | None = None, experiment: engine.Experiment | None = None) -> NNTuiApp:
    """The app, as the command line and the tests start it."""
    return NNTuiApp(path, experiment)

