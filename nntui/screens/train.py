"""The Train screen: a live dashboard over the engine's trainer running in a thread worker.
Events arrive as messages and only update state; the plots redraw on a timer (4 per second at
most, and only when something changed), downsampled to their width."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Label, Log, ProgressBar, Static, TabbedContent, TabPane

import engine
from engine.atomic import file_text
from engine.events import DownloadProgress, is_regression
from engine.reports.recorder import RunFolderError, RunRecorder
from engine.reports.run import fmt_seconds
from engine.text import printable

from ..headless import default_folder, quick_save
from ..lines import epoch_line, event_line, inside_line
from ..messages import BoundaryUpdate, TrainingDone, TrainingEvent
from ..run_state import RunState
from ..widgets.axes import rgb
from ..widgets.boundary import BoundaryMap, PlaneGrid, UnitMaps
from ..widgets.curves import BatchPlot, EpochPlot, RatePlot
from ..widgets.footer import KeyFooter
from ..widgets.results import ResultsPane, RunsTable, copy_run, earlier_runs
from ..widgets.samples import mistake_samples
from ..widgets.titlebar import TitleBar

REDRAW_SECONDS = 0.5
TEXT_SECONDS = 0.25         # the bars and status lines: four times a second at most
LOG_SECONDS = 1.0           # new lines in the Events log once a second
UI_BUDGET = 0.03            # ...and the UI thread's CPU time within 3% of the run's time,
UI_ALLOWANCE = 0.05         # beyond a twentieth of a second (the first updates come at once)
INSPECT_BUDGET = 0.01      # the Inside view's statistics: at most 1% of the training time
#: events the worker gathers and posts together at most every POST_SECONDS (the others go at once)
GATHERED = ("batch", "epoch_end", "inspect", "improved", "no_improvement")
POST_SECONDS = 0.1          # ten times a second: the text shows 4 times, the plots twice
MAP_SECONDS = 0.25          # the decision map at most four times a second, however short the epochs,
MAP_BUDGET = 0.01           # and its computing (in the training thread) within 1% of the time
BATCH_EVENT_SECONDS = 0.5   # batch progress twice a second: each costs the training thread UI work
#: While a run is live, the UI thread hands the GIL back after 1 ms instead of Python's 5 ms, so
#: its redraws stall the training thread (waiting to return from a BLAS call) for less.
TRAINING_SWITCH_INTERVAL = 0.001


def clock() -> float:
    """The dashboard's clock for elapsed and ETA (a test freezes it for its snapshots)."""
    return time.monotonic()


class TrainScreen(Screen):
    BINDINGS = [Binding("space", "pause", "pause"), Binding("s", "stop", "stop"),
                Binding("r", "restart", "restart"), Binding("plus,equals_sign", "lr(2.0)", "lr x2", key_display="+"),
                Binding("minus", "lr(0.5)", "lr /2", key_display="-"), Binding("l", "log", "log scale"),
                Binding("c", "compare", "compare runs"), Binding("i", "app.inside", "inside"),
                Binding("ctrl+s", "save_run", "save run", priority=True), Binding("b", "app.build", "build"),
                Binding("R", "runs", "runs/resume", key_display="R")]
    CSS_PATH = "train.tcss"
    FOOTER_FIRST = ("pause", "stop", "save_run", "build", "inside", "restart", "compare")

    def __init__(self, experiment, resume=None) -> None:
        """``resume``: (run folder, its checkpoint) to go on with instead of a new run."""
        super().__init__()
        self.experiment = experiment
        self.resume = resume
        self.control = engine.TrainingControl()
        self.app.run_state = RunState(experiment, clock)   # views pushed over this one read it at once
        self.running = False
        self.restart_pending = False
        self.log_scale = False
        self.compare = False
        self.current_run = None
        self.result = None
        self.folder = default_folder(self.experiment)   # where this run is recorded (runs/...)
        self.progress = None         # the latest batch or epoch event, for the status line
        self.pending_lines: list[str] = []
        self.pending_status = False
        self.pending_map = None      # the newest decision map not yet shown
        self._start_budget()
        self.then = None             # set while the app waits for the run to end, to quit
        self.dirty_epochs = self.dirty_batches = True   # the epoch plots change once an epoch
        info = engine.data.static_info(experiment.data)
        self.planar = info is not None and info.plane and info.task == "classification"

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Vertical(id="top"):  # outside the scrolling body: the numbers stay in view on a small terminal
            with Horizontal(id="download-row"):
                yield Label("", id="download-label")
                yield ProgressBar(total=1, id="download", show_eta=False)  # a total: no 15 fps animation
            with Horizontal(id="bars"):
                yield Label("epoch", id="epoch-label")
                yield ProgressBar(total=1, id="epochs", show_eta=False)
                yield Label("  batch", id="batch-label")
                yield ProgressBar(total=1, id="batches", show_eta=False)
            yield Static("starting...", id="status", classes="status")
            yield Static("", id="status2", classes="status")
        with VerticalScroll(id="body"):
            with Grid():
                yield EpochPlot(id="plot-loss")
                if self.planar:  # TensorFlow Playground's view: the map beside the loss
                    yield BoundaryMap(id="boundary")
                yield EpochPlot(id="plot-acc")
                if not self.planar:
                    yield BatchPlot(id="plot-batch")
                yield RatePlot(id="plot-lr")
            with TabbedContent(id="bottom"):
                with TabPane("Events", id="tab-events"):
                    yield Log(id="log")
                with TabPane("Results", id="tab-results"):
                    yield ResultsPane(id="results")
                with TabPane("Runs", id="tab-runs"):
                    yield Label("enter: resume a run from its last checkpoint (a finished one: train it on)",
                                id="runs-hint")
                    yield RunsTable(id="runs", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#download-row").display = False
        self.set_interval(REDRAW_SECONDS, self.redraw)
        self.set_interval(TEXT_SECONDS, self.flush_text)
        runs = self.app.session_runs
        self.query_one(RunsTable).show(runs, earlier_runs(Path("runs"), {r.get("folder") for r in runs}))
        self.start(self.resume)

    # -- the run --------------------------------------------------------------------------------------

    @property
    def state(self) -> RunState:
        """The run's state, owned by the app (the Inside view reads the same one)."""
        return self.app.run_state

    def start(self, resume=None) -> None:
        """Start a run: a new one in a new folder, or with ``resume`` (folder, checkpoint) the
        saved run going on in its folder (its epochs so far drawn at once)."""
        self.control = engine.TrainingControl()
        self.resume = resume
        self.app.run_state = RunState(self.experiment, clock)
        if resume is not None:
            self.app.run_state.history = resume[1].history()
        self.app.run_control = self.control
        self.result = None
        self.current_run = None
        self.running = True
        # each run its own folder, a restart too; a resumed run goes on in its own
        self.folder = resume[0] if resume is not None else default_folder(self.experiment)
        # the experiment's file as the user wrote it: the run folder's copy keeps their comments
        self.source = (getattr(self.app, "source_text", None) if resume is None
                       else file_text(Path(resume[0]) / "experiment.toml"))
        self.progress, self.pending_lines, self.pending_status = None, [], False
        self.pending_map = None
        self._start_budget()
        self.log_flushed = 0.0
        self.dirty_epochs = self.dirty_batches = True
        log = self.query_one(Log)
        log.clear()
        if self.experiment.description:   # the Log does not wrap: lines of its width
            text = f"{self.experiment.name or 'experiment'}: {self.experiment.description.strip()}"
            log.write_lines(textwrap.wrap(text, max(40, (log.size.width or 100) - 2)))
        self.query_one("#confusion", DataTable).clear(columns=True)
        self.train()

    @work(thread=True, exclusive=True)
    def train(self) -> None:
        """Data, model and run in this worker thread (MLX state lives where it is used), recorded
        as it goes into a run folder under runs/, as `nntui train` does: closing the app never
        loses a run. For 2D classification the decision map is computed here too."""
        previous = sys.getswitchinterval()
        sys.setswitchinterval(min(previous, TRAINING_SWITCH_INTERVAL))
        post = self.post_message
        exp = self.experiment
        folder, checkpoint = self.resume if self.resume is not None else (self.folder, None)
        recorder, unsaved = None, None
        try:
            data = engine.load_data(exp.data, progress=lambda f, d, t: post(TrainingEvent(DownloadProgress(f, d, t))))
            exp.check_data(data.n_classes, data.task)
            model = engine.build_model(exp, data.n_features, backend=checkpoint and checkpoint.state.get("backend"))
            grid = PlaneGrid(data) if data.planar and data.task == "classification" else None
            units = UnitMaps(exp, data) if data.planar else None
            try:
                recorder = RunRecorder(folder, exp, data, model, resume=checkpoint, source=self.source)
            except RunFolderError as exc:      # a folder that cannot be written: train all the same
                if checkpoint is not None:     # (but a resumed run is its folder's)
                    raise
                unsaved = str(exc)
            mapped, epoch, gathered, sent = [0.0], [0], [], [0.0]

            def sink(e):
                if recorder is not None:
                    recorder(e)
                gathered.append(e)
                now = time.monotonic()
                if e.kind not in GATHERED or now - sent[0] >= POST_SECONDS:
                    sent[0] = now
                    post(TrainingEvent(events=gathered[:]))
                    gathered.clear()
                if e.kind == "epoch_end":
                    epoch[0] = e.epoch
                if units is not None and e.kind in ("run_started", "epoch_end", "finished"):
                    now = time.monotonic()   # a few maps a second at most, within MAP_BUDGET; the last one always
                    if e.kind == "finished" or now >= mapped[0]:
                        probs = grid.probabilities(model) if grid is not None else None
                        pictures = units.measure(model, epoch[0])
                        cost = time.monotonic() - now
                        mapped[0] = now + max(MAP_SECONDS, cost / MAP_BUDGET)
                        post(BoundaryUpdate(grid, probs, epoch[0], pictures))

            result = engine.train(exp, on_event=sink, data=data, model=model, control=self.control,
                                  batch_event_interval=BATCH_EVENT_SECONDS, inspect=True,
                                  inspect_budget=INSPECT_BUDGET, resume=checkpoint,
                                  checkpoint=recorder.save_checkpoint if recorder is not None else None)
            if recorder is not None:
                try:
                    recorder.finish(result.metrics, interrupted=result.reason == "stopped")
                except RunFolderError as exc:
                    unsaved = str(exc)
            post(TrainingDone(result, extra=_outcome(result), folder=recorder and recorder.folder, unsaved=unsaved))
        except Exception as exc:  # shown in the UI, never kills the app
            if recorder is not None:
                quick_save(recorder, "failed", error=f"{exc.__class__.__name__}: {exc}")
            self.post_message(TrainingDone(error=f"{exc.__class__.__name__}: {exc}", folder=recorder and recorder.folder))
        finally:
            sys.setswitchinterval(previous)

    def on_training_event(self, message: TrainingEvent) -> None:
        for e in message.events:
            self._event(e)

    def _event(self, e) -> None:
        """Fold the event into the run's state and note what to show; the widgets are updated by
        :meth:`flush_text`, a few times a second at most: hundreds of tiny epochs a second cost
        the UI (and the training thread, which shares the GIL) no more than a few long ones."""
        s = self.state
        s.apply(e)
        if e.kind == "run_started":    # the budget counts from here: opening the screen is not the run's cost
            self._start_budget()
        if e.kind == "download":
            self.query_one("#download-row").display = True
            self.query_one("#download-label", Label).update(f"downloading {e.file} ")
            self.query_one("#download", ProgressBar).update(total=e.total or None, progress=e.done)
            return
        if e.kind == "run_started":
            self.query_one("#download-row").display = False
            self.query_one("#epochs", ProgressBar).update(total=e.epochs, progress=0)
            self.query_one("#batches", ProgressBar).update(total=e.steps_per_epoch, progress=0)
        if e.kind in ("batch", "epoch_end"):
            self.progress = e
        if e.kind == "inspect":
            self.pending_lines.append(inside_line(e))
            return
        self.pending_status = True
        if e.kind == "batch":
            self.dirty_batches = True
        else:
            self.dirty_epochs = self.dirty_batches = True
        line = epoch_line(e) if e.kind == "epoch_end" else (
            f"  learning rate x{e.scale:g} from epoch {e.epoch}, batch {e.batch}: {e.lr:.3g}" if e.kind == "lr_changed"
            else event_line(e) if e.kind != "batch" else None)
        if line:
            self.pending_lines.append(line)

    def _start_budget(self) -> None:
        """Count the UI thread's CPU time from now (called on the UI thread)."""
        self.ui_since, self.ui_cpu0 = time.perf_counter(), time.thread_time()

    def affordable(self) -> bool:
        """Whether the dashboard may draw now: the UI thread's CPU time since the run began (all
        of it: our drawing, Textual's compositing, the messages) stays within UI_BUDGET of the
        run's time so far, whatever the shape of the run. Measured, not assumed: on two cores
        the UI's CPU is taken from the training threads."""
        if not self.running:
            return True
        used = time.thread_time() - self.ui_cpu0
        return used <= UI_BUDGET * (time.perf_counter() - self.ui_since) + UI_ALLOWANCE

    def flush_text(self, force: bool = False) -> None:
        """The bars, the two status lines and the log, from what arrived since the last flush."""
        if force or self.affordable():
            self._flush_text()

    def _flush_text(self) -> None:
        s, e = self.state, self.progress
        now = time.perf_counter()
        if self.pending_lines and (not self.running or now - self.log_flushed >= LOG_SECONDS):
            self.log_flushed = now    # a write to the Log lays out the whole screen (Textual): once a second
            self.query_one(Log).write_lines(self.pending_lines)
            self.pending_lines = []
        if not self.pending_status:
            return
        self.pending_status = False
        if s.started is not None:       # epochs done so far: the epoch's own event may have been folded away
            self.query_one("#epochs", ProgressBar).update(progress=len(s.history))
        if e is not None and e.kind == "batch":
            self.query_one("#batches", ProgressBar).update(progress=e.batch)
            acc = "" if e.accuracy is None else f"  accuracy {e.accuracy:.4f}"
            elapsed, eta = s.elapsed_and_eta(e.batch, e.batches)
            self._say(
                f"epoch {e.epoch}/{s.started.epochs}  batch {e.batch}/{e.batches}  loss {e.loss:.4f}{acc}  "
                f"{e.samples_per_second:,.0f} samples/s  elapsed {_clock(elapsed)}  ETA {_clock(eta)}")
        elif e is not None:
            self.query_one("#batches", ProgressBar).update(progress=0)
            elapsed, eta = s.elapsed_and_eta()   # short epochs send no batch progress: say it here too
            self._say(f"epoch {e.epoch}/{s.started.epochs}  loss {e.loss:.4f}  {e.samples_per_second:,.0f} samples/s  "
                      f"elapsed {_clock(elapsed)}  ETA {_clock(eta)}")
        self._status2()

    def _say(self, text) -> None:
        """The status line: one row, full width, so an update needs no relayout."""
        self.query_one("#status", Static).update(text, layout=False)

    def _status2(self) -> None:
        s = self.state
        if s.started is None:
            return
        parts = [f"kept in {self.folder}" if self.folder and not self.running else "",
                 f"backend {s.started.backend} on {s.started.device}"]
        if s.best_epoch is not None and s.best_value is not None:   # as early stopping itself reported them
            parts.append(f"best {s.monitor} {s.best_value:.4f} @ epoch {s.best_epoch}")
            if s.patience is not None:
                parts.append(f"patience {s.wait}/{s.patience}")
        if s.history:
            parts.append(f"lr {s.history[-1]['lr']:.3g}")
        if self.control.lr_scale != 1:
            parts.append(f"(x{self.control.lr_scale:g} by hand)")
        self.query_one("#status2", Static).update("   ".join(p for p in parts if p), layout=False)

    def on_training_done(self, message: TrainingDone) -> None:
        self.running = False
        self.flush_text(force=True)
        self.folder = message.folder        # None: it could not be recorded
        self._status2()
        if message.unsaved:
            self.notify(printable(f"The run folder is incomplete: {message.unsaved}"), title="Not saved",
                        severity="error", timeout=15, markup=False)
        if self.then is not None:           # the app is quitting: it waited for the run to be written
            then, self.then = self.then, None
            then(message.folder)
            return
        if self.restart_pending:
            self.restart_pending = False
            self.start()
            return
        if message.error:    # the whole message in the Events log (wrapped), its start on the status line
            self._say(f"[b $error]training failed[/] (the whole message is in Events): {escape(printable(message.error))}")
            log = self.query_one(Log)
            log.write_lines(textwrap.wrap(f"training failed: {printable(message.error)}",
                                          max(40, (log.size.width or 100) - 2)))
            self.query_one(TabbedContent).active = "tab-events"
            return
        self.result = message.result
        m = message.result.metrics
        if m.get("epochs_run"):   # an early stop ends the run: the bar says done, not 9%
            self.query_one("#epochs", ProgressBar).update(total=m["epochs_run"], progress=m["epochs_run"])
        if message.result.reason == "diverged":
            self._say("[b $error]diverged[/]: the loss became NaN or infinite. Try a lower learning rate (-), "
                          "input scaling, or he_normal / glorot_uniform initialization.  r restarts")
        else:
            acc, loss = m.get("test_accuracy"), m.get("test_loss")
            outcome = ("no test set" if loss is None else f"test loss {loss:.4f}"
                       + (f", test accuracy {acc:.4f}" if acc is not None else "")
                       + (f", MAE {m['test_mae']:.4f}, R² {m['test_r2']:.3f}" if m.get("test_r2") is not None else ""))
            # one row of 80 columns: where the run is kept goes on the second line, r and b are in the Footer
            self._say(Text.assemble((message.result.reason.replace("_", " "), "bold"),
                                    f" after {m['epochs_run']} epochs in {fmt_seconds(m['seconds'])}: {outcome}"))
        self._results(message.extra)
        self.dirty_epochs = self.dirty_batches = True
        self.redraw(force=True)           # the run's last picture (curves, the final map) at once

    def _results(self, extra: dict | None) -> None:
        self._record_run()
        if not extra:
            return
        self.query_one(ResultsPane).show(extra["confusion"], extra["misclassified"], self.result.metrics)
        self.query_one(TabbedContent).active = "tab-results"

    def _record_run(self) -> None:
        """Keep this run for the session: its curves for comparison and a row in the Runs table."""
        runs = self.app.session_runs
        exp, m = self.experiment, self.result.metrics
        label = exp.name or "run"
        if any(r["label"] == label for r in runs):
            label = f"{label} #{len(runs) + 1}"
        self.current_run = {"label": label, "history": self.state.history, "metrics": m, "experiment": exp,
                            "folder": self.folder}
        if self.folder is not None:    # a run resumed this session: its whole history replaces its first part
            runs[:] = [r for r in runs if r.get("folder") != self.folder]
        runs.append(self.current_run)
        self.query_one(RunsTable).show(runs, earlier_runs(Path("runs"), {r.get("folder") for r in runs}))

    # -- drawing ------------------------------------------------------------------------------------------

    def redraw(self, force: bool = False) -> None:
        """Redraw what changed since the last tick: the batch plot while an epoch runs, the epoch
        plots when an epoch ends (plotting holds the GIL the training thread needs), the newest
        decision map; within the dashboard's time budget unless ``force``."""
        self.flush_text(force)
        if not (force or self.affordable()):
            return
        if self.pending_map is not None:
            message, self.pending_map = self.pending_map, None
            self._show_map(message)
        self._redraw()

    def _redraw(self) -> None:
        if not (self.dirty_epochs or self.dirty_batches):
            return
        epochs_too, self.dirty_epochs, self.dirty_batches = self.dirty_epochs, False, False
        series = getattr(self.app, "series", {}).get(self.app.theme, {})
        train_c = rgb(series.get("train", ""), (95, 175, 255))
        val_c = rgb(series.get("validation", ""), (255, 175, 95))
        h = self.state.history
        epochs = [r["epoch"] for r in h]
        self._draw_batches(h, train_c)
        if not epochs_too:
            return
        self._draw_epochs("plot-loss", "loss", epochs, [r["loss"] for r in h], [r["val_loss"] for r in h],
                          train_c, val_c, markers=True, log=self.log_scale)
        second = "mae" if h and is_regression(h[-1]) else "accuracy"   # regression: its error in the accuracy's place
        self._draw_epochs("plot-acc", second, epochs, [r[second] for r in h], [r["val_" + second] for r in h],
                          train_c, val_c)
        cuts = [e.epoch + 1 for e in self.state.events if e.kind == "lr_reduced"]   # lowered from the next epoch
        self.query_one("#plot-lr", RatePlot).draw(epochs, [r["lr"] for r in h], train_c, cuts)

    def on_boundary_update(self, message: BoundaryUpdate) -> None:
        """The worker maps the plane whenever the loaded data has two features (a CSV or NPZ
        too, which the catalog cannot know of): the map takes the batch plot's place then. The
        newest map is shown at the next redraw (the last one at once). Every unit's picture goes to
        the run's state, for the Inside view."""
        if message.units is not None:
            self.state.units = message.units
        if message.probs is None:
            return
        self.pending_map = message
        if not self.running:
            self.redraw(force=True)

    def _show_map(self, message: BoundaryUpdate) -> None:
        maps = self.query(BoundaryMap)
        if maps:
            boundary = maps.first()
        else:
            self.planar = True
            boundary = BoundaryMap(id="boundary")
            for plot in self.query("#plot-batch"):
                plot.remove()
            self.query_one("#body Grid", Grid).mount(boundary, after="#plot-loss")
        boundary.show(message.grid, message.probs, message.epoch)

    def _draw_batches(self, h, colour) -> None:
        if self.planar:
            return
        batches, epoch = self.state.batches, len(h) + 1
        if not self.running and not batches and h:     # ended between epochs: the last epoch's curve
            batches, epoch = self.state.last_batches, len(h)
        short = bool(h) and not batches and not self.state.last_batches
        self.query_one("#plot-batch", BatchPlot).draw(batches, epoch, colour, short)

    def _draw_epochs(self, widget, title, epochs, train, val, train_c, val_c, markers=False, log=False) -> None:
        earlier = []
        if self.compare:
            key = "val_" + title if any(r.get("val_" + title) is not None for r in self.state.history) else title
            for i, run in enumerate(self.app.session_runs[-4:]):
                if run is not self.current_run:
                    rows = [r for r in run["history"] if r.get(key) is not None]
                    earlier.append((f"{run['label']} ({key})", [r["epoch"] for r in rows], [r[key] for r in rows], i))
        self.query_one(f"#{widget}", EpochPlot).draw(title, epochs, train, val, train_c, val_c, log=log,
                                                     state=self.state if markers else None, earlier=earlier,
                                                     hint="  [l] log scale" if markers else "",
                                                     markers=getattr(self.app, "markers", {}).get(self.app.theme))

    # -- controls ---------------------------------------------------------------------------------------

    def action_pause(self) -> None:
        if not self.running:
            return
        if self.control.paused:
            self.control.resume()
            self._say("resumed")
        else:
            self.control.pause()
            self._say("paused (space resumes)")

    def action_stop(self) -> None:
        if self.running:
            self.control.stop()
            self._say("stopping after this batch...")

    def action_runs(self) -> None:
        """The Runs tab, its table focused: enter on a run resumes it."""
        self.query_one(TabbedContent).active = "tab-runs"
        table = self.query_one(RunsTable)
        table.focus()
        table.scroll_visible()

    @on(DataTable.RowSelected, "#runs")
    def run_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.offer_resume(Path(event.row_key.value))

    def offer_resume(self, folder: Path) -> None:
        """Ask before resuming the run in ``folder`` from its last checkpoint, or (a run that did
        all its epochs) how many epochs to train it on to."""
        if self.running:
            self.notify("A run is training: stop it (s) before resuming another", severity="warning")
            return
        from engine.checkpoint import LAST, read_checkpoint

        from .dialogs import Ask, PromptScreen

        try:
            checkpoint = read_checkpoint(folder / LAST)
            exp = engine.Experiment.from_toml(folder / "experiment.toml")
        except engine.SpecError as exc:
            self.notify(printable(exc), title="Cannot resume", severity="error", timeout=10, markup=False)
            return
        done, name = checkpoint.epoch, folder.name
        if checkpoint.state.get("early_stopped"):
            self.notify(printable(f"{name} ended by early stopping at epoch {done}: there is nothing to resume"),
                        severity="warning", markup=False)
            return
        if done >= exp.train.epochs:
            def more(answer: str | None) -> None:
                if answer is None:
                    return
                try:
                    epochs = int(answer)
                except ValueError:
                    self.notify(f"a whole number of epochs, more than {done}", title="Not resumed",
                                severity="error", markup=False)
                    return
                self.resume_run(folder, epochs)

            self.app.push_screen(PromptScreen(printable(f"{name} completed its {done} epochs. Train it on to how "
                                                        "many epochs?"), str(2 * done)), more)
            return
        self.app.push_screen(Ask(printable(f"Resume {name} after epoch {done} of {exp.train.epochs}, from its "
                                           f"checkpoint? It goes on in {folder}."),
                                 (("resume", "Resume", "primary"), ("cancel", "Cancel", "default"))),
                             lambda answer: answer == "resume" and self.resume_run(folder))

    def resume_run(self, folder: Path, epochs: int | None = None) -> None:
        """Go on with the saved run in ``folder`` on this dashboard (engine.checkpoint.resume_plan
        says what cannot be resumed, and why)."""
        try:
            exp, checkpoint = engine.checkpoint.resume_plan(folder, epochs)
        except (engine.SpecError, engine.BackendUnavailable) as exc:
            self.notify(printable(exc), title="Cannot resume", severity="error", timeout=10, markup=False)
            return
        self.experiment = exp
        self.start((folder, checkpoint))

    def action_restart(self) -> None:
        """Train again from fresh weights (the seed's), stopping the current run first."""
        if self.running:
            self.restart_pending = True
            self.control.stop()
        else:
            self.start()

    def action_lr(self, factor: float) -> None:
        if self.running:
            scale = self.control.scale_learning_rate(factor)
            self.notify(f"learning rate x{scale:g} from the next batch")
            self._status2()

    def action_compare(self) -> None:
        """Overlay (or hide) the curves of this session's earlier runs."""
        self.compare = not self.compare
        self.dirty_epochs = True
        self.redraw(force=True)   # at once, not at the next tick
        self.notify("comparing with earlier runs" if self.compare else "comparison hidden")

    def action_log(self) -> None:
        self.log_scale = not self.log_scale
        self.dirty_epochs = True
        self.redraw(force=True)   # at once, not at the next tick

    def action_save_run(self) -> None:
        """The run is kept under runs/ already: ctrl+s copies its folder where you say (or, when it
        could not be recorded there, saves it anew)."""
        if self.running or self.result is None:
            self.notify("Save the run when it has ended (s stops it)", severity="warning")
            return
        from .dialogs import PromptScreen

        def chosen(folder: str | None) -> None:
            if folder:
                self.save_run(folder)

        title = f"Copy the run folder ({self.folder}) to" if self.folder else "Save the run folder to"
        self.app.push_screen(PromptScreen(title, str(default_folder(self.experiment))), chosen)

    def save_run(self, folder: str) -> None:
        r = self.result
        if self.folder is not None and Path(self.folder).is_dir():
            try:
                copy_run(Path(self.folder), Path(folder))
            except (RunFolderError, OSError) as exc:
                self.notify(printable(exc), title="Cannot save", severity="error", timeout=10, markup=False)
                return
            self.notify(printable(f"Run copied to {folder}"), markup=False)
            return
        try:
            recorder = RunRecorder(folder, self.experiment, r.data, r.model, source=getattr(self, "source", None))
        except RunFolderError as exc:
            self.notify(printable(exc), title="Cannot save", severity="error", timeout=10, markup=False)
            return
        for e in self.state.events:
            recorder(e)
        try:
            recorder.finish(r.metrics, interrupted=r.reason == "stopped")
        except RunFolderError as exc:
            self.notify(printable(exc), title="Saved in part", severity="error", timeout=15, markup=False)
            return
        self.notify(printable(f"Run saved to {folder}"), markup=False)

    def stop_then(self, then) -> None:
        """Stop the run and call ``then(folder)`` once it is written (the app quitting)."""
        self.then = then
        self.control.stop()

    def on_unmount(self) -> None:
        self.control.stop()


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _outcome(result) -> dict | None:
    """End-of-run figures for a classification run with a test set: the trainer's evaluation
    (computed once, in the worker thread), with the mistakes' images."""
    ev = result.evaluation
    if ev is None or ev.confusion_matrix is None:
        return None
    return {"confusion": ev.confusion(), "misclassified": mistake_samples(ev, result.data)}
