"""The Train screen: the run in a thread worker on the engine's trainer, its events arriving as
messages; progress bars, the epoch log and the outcome. (The full dashboard with plots is the
next step.)"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Log, ProgressBar, Static

import engine
from nntui.headless import epoch_line, event_line

from ..messages import TrainingDone, TrainingEvent


class TrainScreen(Screen):
    BINDINGS = [Binding("space", "pause", "pause/resume"), Binding("s", "stop", "stop"),
                Binding("b", "app.build", "build")]
    DEFAULT_CSS = """
    TrainScreen Vertical#top { height: auto; padding: 0 1; }
    TrainScreen ProgressBar { width: 1fr; }
    TrainScreen #status { color: $text-muted; }
    TrainScreen Log { height: 1fr; border: round $panel; }
    """

    def __init__(self, experiment) -> None:
        super().__init__()
        self.experiment = experiment
        self.control = engine.TrainingControl()
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="top"):
            yield Label("data", id="download-label")
            yield ProgressBar(id="download", show_eta=False)
            yield Label("epoch", id="epoch-label")
            yield ProgressBar(id="epochs")
            yield Label("batch", id="batch-label")
            yield ProgressBar(id="batches")
            yield Static("starting...", id="status")
        yield Log(id="log")
        yield Footer()

    def on_mount(self) -> None:
        for w in ("#download", "#download-label"):
            self.query_one(w).display = False
        self.running = True
        self.train()

    @work(thread=True, exclusive=True)
    def train(self) -> None:
        try:
            result = engine.train(self.experiment, on_event=lambda e: self.post_message(TrainingEvent(e)),
                                  control=self.control)
            self.post_message(TrainingDone(result))
        except Exception as exc:  # shown in the UI, never kills the app
            self.post_message(TrainingDone(error=f"{exc.__class__.__name__}: {exc}"))

    def on_training_event(self, message: TrainingEvent) -> None:
        e = message.event
        log = self.query_one(Log)
        if e.kind == "download":
            bar = self.query_one("#download", ProgressBar)
            bar.display = self.query_one("#download-label").display = True
            self.query_one("#download-label", Label).update(f"downloading {e.file}")
            bar.update(total=e.total or None, progress=e.done)
        elif e.kind == "run_started":
            self.query_one("#epochs", ProgressBar).update(total=e.epochs, progress=0)
            self.query_one("#batches", ProgressBar).update(total=e.steps_per_epoch, progress=0)
            log.write_line(event_line(e))
        elif e.kind == "batch":
            self.query_one("#batches", ProgressBar).update(progress=e.batch)
            acc = "" if e.accuracy is None else f"  accuracy {e.accuracy:.4f}"
            self.query_one("#status", Static).update(
                f"epoch {e.epoch}  batch {e.batch}/{e.batches}  loss {e.loss:.4f}{acc}  "
                f"{e.samples_per_second:,.0f} samples/s  lr {e.lr:.3g}")
        elif e.kind == "epoch_end":
            self.query_one("#epochs", ProgressBar).update(progress=e.epoch)
            self.query_one("#batches", ProgressBar).update(progress=0)
            log.write_line(epoch_line(e))
        else:
            line = event_line(e)
            if line:
                log.write_line(line)

    def on_training_done(self, message: TrainingDone) -> None:
        self.running = False
        status = self.query_one("#status", Static)
        if message.error:
            status.update(f"[b red]training failed[/]: {message.error}")
        elif message.result.reason == "diverged":
            status.update("[b red]diverged[/]: the loss became NaN or infinite. Try a lower learning rate or "
                          "another initialization (he_normal for ReLU, glorot_uniform otherwise).")
        else:
            m = message.result.metrics
            acc = m.get("test_accuracy")
            status.update(f"[b]{message.result.reason}[/] after {m['epochs_run']} epochs: test loss "
                          f"{m['test_loss']:.4f}" + (f", test accuracy {acc:.4f}" if acc is not None else "")
                          + "   (b: back to Build)")

    def action_pause(self) -> None:
        if not self.running:
            return
        if self.control.paused:
            self.control.resume()
        else:
            self.control.pause()
            self.query_one("#status", Static).update("paused (space resumes)")

    def action_stop(self) -> None:
        if self.running:
            self.control.stop()

    def on_unmount(self) -> None:
        self.control.stop()
