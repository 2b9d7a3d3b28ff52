"""The Search view: the current experiment's [search] run in a worker thread (the same Worker and
study as `nntui search`, in searches/<name>/), with the live leaderboard (trial, state, objective,
epochs, values), every trial's curve of the objective on one plot, and any trial's experiment
one key away in the builder."""

from __future__ import annotations

import math
from pathlib import Path

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

import engine
from engine.atomic import folder_name
from engine.search.report import fmt_param
from engine.text import printable

from ..messages import SearchProgress
from ..widgets.axes import epoch_ticks
from ..widgets.footer import KeyFooter
from ..widgets.plot import PlotextPlot
from ..widgets.titlebar import TitleBar

#: a starter space for an experiment without one: the learning rate and the first layer's width
STARTER = {"trials": 12, "sampler": "tpe", "pruner": "hyperband", "monitor": "val_loss", "space": {
    "optimizer.learning_rate": {"float": [1e-4, 1e-1], "log": True},
    "model.layers[0].units": {"int": [16, 256], "step": 16}}}
TRIAL_COLOURS = ((95, 175, 255), (255, 175, 95), (120, 200, 140), (200, 130, 220), (230, 210, 100),
                 (100, 200, 210), (240, 120, 120), (170, 170, 170))


class SearchScreen(Screen):
    BINDINGS = [Binding("t", "start", "start"), Binding("s", "stop", "stop"),
                Binding("enter,o", "open_trial", "open in builder"), Binding("n", "starter", "add a [search]"),
                Binding("escape,b", "app.build", "build")]
    CSS_PATH = "search.tcss"

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.curves: dict[int, list[tuple[int, float]]] = {}
        self.running = False
        self.worker_control = None
        self.exp = None
        self.report: Path | None = None

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical():
            yield Static("", id="search-status")
            yield PlotextPlot(id="curves")
            yield DataTable(id="board", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.describe()
        self.query_one("#board", DataTable).focus()

    # -- what will run ----------------------------------------------------------------------------------

    def describe(self) -> None:
        status = self.query_one("#search-status", Static)
        exp = self.app.draft.experiment
        if exp is None:
            status.update(f"[b $error]cannot search[/]: {escape(str(self.app.draft.error))}")
            return
        if exp.search is None:
            status.update("This experiment has no \\[search] table. [b]n[/] adds a starter one (learning rate, log "
                          "1e-4..1e-1, and the first layer's units, 16..256), TPE with Hyperband pruning, 12 trials; "
                          "edit it in the experiment file (README: Hyperparameter search).")
            return
        s = exp.search
        space = escape(", ".join(f"{d.path} {d.describe()}" for d in s.space))   # [0] is not markup
        status.update(f"[b]{s.trials} trials[/], sampler {s.sampler}, pruner {s.pruner}, objective {s.monitor} "
                      f"({s.direction}); space: {space}\n[b]t[/] starts (resumes) the search in "
                      f"searches/{escape(folder_name(exp.name or 'experiment'))}/, [b]s[/] stops it, enter opens a trial in the builder.")

    def action_starter(self) -> None:
        draft = self.app.draft
        if draft.experiment is None or draft.experiment.search is not None:
            return
        draft.data["search"] = STARTER
        draft.check()
        self.app.refresh_title()
        self.describe()

    # -- the run ------------------------------------------------------------------------------------------

    def action_start(self) -> None:
        exp = self.app.draft.experiment
        if self.running or exp is None or exp.search is None:
            if exp is not None and exp.search is None:
                self.notify("Add a \\[search] table first (n)", severity="warning")
            return
        from engine import search

        try:
            search.optuna_module()
        except search.SearchUnavailable as exc:
            self.notify(printable(exc), title="Cannot search", severity="error", timeout=10, markup=False)
            return
        self.exp = exp
        self.report = Path("searches") / folder_name(exp.name or "experiment")
        self.running = True
        self.worker_control = engine.TrainingControl()
        self.run_search(exp, self.report, self.worker_control, getattr(self.app, "source_text", None))

    @work(thread=True, exclusive=True)
    def run_search(self, exp, report: Path, control, source: str | None = None) -> None:
        from engine import search

        post = self.post_message
        try:
            report.mkdir(parents=True, exist_ok=True)
            exp.to_toml(report / "search.toml", over=source)      # the user's comments kept
            study = search.open_study(exp, search.default_storage(report), exp.name or "experiment", report=report)
            post(SearchProgress(rows=search.trial_rows(study, exp)))

            def on_event(number, e):
                if e.kind == "epoch_end":
                    post(SearchProgress(trial=number, epoch=e.epoch, value=search.monitored(e, exp.search.monitor)))

            worker = search.Worker(exp, study, report, control=control, on_event=on_event)
            while not control.stop_requested and worker.run(limit=1):
                post(SearchProgress(rows=search.trial_rows(study, exp)))
            search.write_results(study, exp, report, source=source)
            post(SearchProgress(rows=search.trial_rows(study, exp),
                                done="stopped" if control.stop_requested else "finished"))
        except Exception as exc:  # shown, never kills the app
            post(SearchProgress(done=f"failed: {exc.__class__.__name__}: {exc}"))

    def action_stop(self) -> None:
        if self.running and self.worker_control is not None:
            self.worker_control.stop()
            self.notify("stopping after this trial's current batch; its values go back to the study")

    def on_search_progress(self, message: SearchProgress) -> None:
        if message.trial is not None and message.value is not None and math.isfinite(message.value):
            self.curves.setdefault(message.trial, []).append((message.epoch, message.value))
            running = [r for r in self.rows if r["trial"] == message.trial]
            if running:
                running[0].update(state="running", epochs=message.epoch)
            else:
                self.rows.append({"trial": message.trial, "state": "running", "value": None, "epochs": message.epoch,
                                  "params": {}, "folder": ""})
        if message.rows is not None:
            self.rows = message.rows
            for r in message.rows:
                if r.get("curve"):
                    self.curves[r["trial"]] = list(enumerate(r["curve"], start=1))
        if message.done:
            self.running = False
            where = f" (leaderboard in {self.report}/leaderboard.md)" if self.report else ""
            self.query_one("#search-status", Static).update(escape(printable(f"search {message.done}{where}")))
        self.redraw()

    # -- drawing ------------------------------------------------------------------------------------------

    def redraw(self) -> None:
        exp = self.exp or self.app.draft.experiment
        paths = [d.path for d in exp.search.space] if exp is not None and exp.search is not None else []
        table = self.query_one("#board", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        for label, width in (("trial", 5), ("state", 9), (exp.search.monitor if paths else "objective", 12),
                             ("epochs", 6), *[(p.replace("model.layers", "layers").replace("optimizer.", ""), 15)
                                              for p in paths]):
            table.add_column(label, width=width)   # fixed: rows redrawn as trials end keep their columns
        for r in self.rows:
            v = r.get("value")
            table.add_row(str(r["trial"]), r["state"], "-" if v is None else f"{v:.4f}", str(r.get("epochs", "")),
                          *[fmt_param(r["params"].get(p)) for p in paths], key=str(r["trial"]))
        if row is not None and 0 <= row < len(self.rows):
            table.move_cursor(row=row, animate=False)
        plot = self.query_one("#curves", PlotextPlot)
        plt = plot.plt
        plt.clear_figure()
        plt.title(f"{exp.search.monitor if paths else 'objective'} per epoch, every trial")
        longest = 0
        for i, (trial, pts) in enumerate(sorted(self.curves.items())):
            if pts:
                plt.plot([p[0] for p in pts], [p[1] for p in pts], color=TRIAL_COLOURS[i % len(TRIAL_COLOURS)],
                         marker="braille")
                longest = max(longest, pts[-1][0])
        if longest:
            plt.xticks(epoch_ticks(list(range(1, longest + 1)), plot.size.width or 80))
        plot.refresh()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_trial()      # enter on the table

    def action_open_trial(self) -> None:
        """The highlighted trial's experiment (the search's values put in) in the builder."""
        table = self.query_one("#board", DataTable)
        if not self.rows or table.cursor_row is None or self.exp is None:
            return
        r = self.rows[table.cursor_row]
        if not r.get("params"):
            self.notify("This trial has no values yet", severity="warning")
            return
        from engine.search import trial_experiment

        exp = trial_experiment(self.exp, r["params"], r["trial"])
        self.app.load_experiment(exp, None, after=self.app.action_build)

