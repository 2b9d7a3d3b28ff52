"""Editing in the builder as a person's hands do it (Textual's Pilot): every view of the
experiment follows every change, wherever it came from; undo and redo; letters typed outside
the layer stack are never commands; jump keys; focus always visible."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.css.query import NoMatches
from textual.widgets import Input, Select, Static

import engine
import engine.presets
from nntui.app import make_app
from nntui.screens.build import BuildScreen
from nntui.screens.train import TrainScreen
from nntui.widgets.fields import Field

from .conftest import recorded_run, wait_until


def field(screen, path):
    return next(f for f in screen.query(Field) if f.path == path)


def shown(screen, path) -> str | None:
    """What the builder's control for ``path`` shows (None while its form is being rebuilt)."""
    try:
        control = field(screen, path).query_one("Input, Select")
    except (StopIteration, NoMatches):
        return None
    return str(control.value)


def status(screen) -> str:
    return str(screen.query_one("#status", Static).render())


def stack_rows(screen) -> list[str]:
    table = screen.query_one("#stack")
    return [" ".join(str(c) for c in table.get_row_at(i)[1:3]).strip() for i in range(table.row_count)]


def moons(epochs=2):
    return engine.Experiment.from_dict({
        "name": "moons-wide", "data": {"name": "moons", "samples": 300},
        "model": {"layers": [{"units": 512, "activation": "relu"}, {"units": 512, "activation": "relu"},
                             {"units": 2, "activation": "softmax"}]},
        "optimizer": {"name": "adam"}, "train": {"epochs": epochs, "batch_size": 64}})


@pytest.fixture(autouse=True)
def _config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


@pytest.mark.asyncio
async def test_a_demonstration_loaded_from_the_dashboard_is_what_the_builder_shows_and_trains():
    app = make_app(experiment=moons())
    async with app.run_test(size=(120, 40)) as pilot:
        build = app.screen
        await pilot.press("a")                       # unsaved changes: the demonstration asks first
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen) and not app.screen.running)
        await pilot.press("D")
        await pilot.pause()
        await pilot.press("c")                       # the third demonstration: vanishing gradients, ReLU
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDiscard"
        await pilot.click("#discard")
        await wait_until(pilot, lambda: app._train_screen() is not None and app._train_screen().experiment.name != "moons-wide")
        train = app._train_screen()                  # (this demonstration opens the Inside view over it)
        demo = train.experiment
        assert demo.data.name == "digits" and len(demo.model.layers) == 11
        await wait_until(pilot, lambda: not train.running)
        app.action_build()
        await pilot.pause()
        assert app.screen is build
        await wait_until(pilot, lambda: shown(build, "data.name") == "digits", seconds=10)
        assert len(stack_rows(build)) == len(demo.model.layers) + 1            # the input row, then every layer
        await wait_until(pilot, lambda: shown(build, "optimizer.learning_rate") == f"{demo.optimizer.learning_rate:g}",
                         seconds=10)
        assert app.draft.experiment == demo


@pytest.mark.asyncio
async def test_an_edit_shows_its_consequences_at_once():
    """No timer between a key and what it changes: the totals, the status and the advice are
    up to date at the first refresh after the key."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        build = app.screen
        before = str(build.query_one("#totals").render())
        await pilot.press("c")                           # copy the 64-unit layer
        await pilot.pause()
        after = str(build.query_one("#totals").render())
        assert before.startswith("4,810 params") and after.startswith("8,970 params"), after
        await pilot.press("down")                        # the output layer, in the editor
        await pilot.pause()
        await type_into(pilot, build, "model.layers[2].units", "7")
        assert str(build.query_one("#totals").render()).startswith("8,775 params")
        assert "cannot train" in status(build) and "got 7" in status(build) and "Press o" in status(build)
        build.query_one("#stack").focus()
        await pilot.press("o")                           # the advice's fix
        await pilot.pause()
        assert "ready" in status(build), status(build)


@pytest.mark.asyncio
@pytest.mark.parametrize("path, keys, text, value", [
    ("model.layers[0].units", "128", "128", 128),      # cleared, the model is invalid until the digits come
    ("optimizer.learning_rate", "0.0025", "0.0025", 0.0025),
    ("train.epochs", ["1", "2", "backspace", "7"], "17", 17),
    ("train.batch_size", ["6", "4", "left", "1", "end", "0"], "6140", 6140),
])
async def test_keys_typed_in_one_burst_after_clearing_a_field_all_arrive(path, keys, text, value):
    """A fast typist or a paste: the keys arrive before the app has answered the first one, and
    the editing keys (ctrl+u, backspace, arrows) act in their place among the characters (Textual
    ran them after the characters behind them). The clearing makes the draft invalid for a
    moment; no form is rebuilt under the typing."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        build = app.screen
        target = path.split(".")[0]
        if target != "model":
            await pilot.press({"optimizer": "alt+o", "train": "alt+t"}[target])
            await pilot.pause()
        box = field(build, path).query_one(Input)
        box.focus()
        await pilot.pause()
        for key in ["ctrl+u", *keys]:                      # as a terminal sends them: no wait between
            app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause(0.3)
        assert box.value == text and app.draft.get(path) == value, (box.value, app.draft.get(path))
        assert field(build, path).query_one(Input) is box and app.focused is box, "the field was not rebuilt"
        assert "ready" in status(build), status(build)


async def type_into(pilot, screen, path, text):
    box = field(screen, path).query_one(Input)
    box.focus()
    await pilot.pause()
    await pilot.press("ctrl+u", *list(text))
    await pilot.pause()


@pytest.mark.asyncio
async def test_letters_typed_outside_the_stack_are_never_commands():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        build = app.screen
        layers = [dict(layer) for layer in app.draft.layers]
        select = field(build, "data.name").query_one(Select)
        select.focus()
        await pilot.pause()
        await pilot.press("enter")
        options = [v for _, v in select._options]
        steps = options.index("moons") - options.index(select.value)
        await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
        await pilot.pause()
        assert app.draft.get("data.name") == "moons"
        assert app.focused is field(build, "data.name").query_one(Select), "focus stays on what was chosen"
        await pilot.press(*"data/adct", "D", "S", "f")     # a path typed in the wrong place
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen)
        assert [layer["units"] for layer in app.draft.layers] == [layer["units"] for layer in layers]
        build.query_one("#stack").focus()
        await pilot.press("d")                               # in the stack, d deletes
        await pilot.pause()
        assert len(app.draft.layers) == len(layers) - 1


@pytest.mark.asyncio
async def test_undo_and_redo_every_kind_of_edit_and_say_what():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        build = app.screen
        start = app.draft.experiment
        await pilot.press("a", "c")                                    # two layers more
        await type_into(pilot, build, "optimizer.learning_rate", "0.05")
        build.query_one("#stack").focus()
        deleted = build.selected
        await pilot.press("d")
        await pilot.pause()
        assert len(app.draft.layers) == 3
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert f"undid: delete layer {deleted}" in status(build)
        assert len(app.draft.layers) == 4 and len(stack_rows(build)) == 5
        await pilot.press("ctrl+z")                                     # typing "0.05" was one step
        await pilot.pause()
        assert "undid: edit optimizer.learning_rate" in status(build)
        assert shown(build, "optimizer.learning_rate") == "0.001"
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert "redid: edit optimizer.learning_rate" in status(build)
        assert shown(build, "optimizer.learning_rate") == "0.05"
        await pilot.press("ctrl+z", "ctrl+z", "ctrl+z")
        await pilot.pause()
        assert app.draft.experiment == start and not app.draft.dirty
        await pilot.press("ctrl+z")                                     # nothing left: says so
        await pilot.pause()
        assert app.draft.experiment == start


@pytest.mark.asyncio
async def test_jump_keys_reach_each_panel():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        build = app.screen
        for key, path in (("alt+d", "data.name"), ("alt+o", "model.loss"), ("alt+s", "schedule.name"),
                          ("alt+t", "name"), ("alt+e", "early_stopping"), ("alt+l", "model.layers[0].units")):
            await pilot.press(key)
            await pilot.pause()
            control = field(build, path).query_one("Input, Select, Checkbox")
            assert app.focused is control, (key, app.focused)
        await pilot.press("alt+m")
        assert app.focused is build.query_one("#stack")


def long_run():
    return engine.with_overrides(engine.presets.load_preset("spiral-relu"), epochs=100000)


@pytest.mark.asyncio
async def test_every_dashboard_run_is_kept_under_runs_and_listed_with_earlier_ones(tmp_path):
    import json

    from nntui.widgets.results import RunsTable
    app = make_app(experiment=moons(epochs=2))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen) and not app.screen.running)
        folders = sorted((tmp_path / "runs").iterdir())
        assert len(folders) == 1 and folders[0].name.endswith("-moons-wide")
        metrics = json.loads((folders[0] / "metrics.json").read_text())
        assert metrics["epochs_run"] == 2 and metrics["interrupted"] is False
        assert (folders[0] / "report.md").exists() and (folders[0] / "model.npz").exists()
        assert f"kept in runs/{folders[0].name}" in str(app.screen.query_one("#status2").render())
    app = make_app(experiment=engine.with_overrides(moons(), epochs=1))     # a later session
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen) and not app.screen.running)
        table = app.screen.query_one(RunsTable)
        labels = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert labels[0] == "moons-wide" and labels[1] == folders[0].name, labels   # this session's, then runs/
        assert len(list((tmp_path / "runs").iterdir())) == 2


@pytest.mark.asyncio
@pytest.mark.parametrize("choice", ["keep", "drop", "cancel"])
async def test_quit_while_training_asks_and_keeps_the_run_if_told(tmp_path, choice):
    import json
    app = make_app(experiment=long_run())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        train = app.screen
        await wait_until(pilot, lambda: len(train.state.history) >= 2)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmQuitRun" and app.focused.id == "cancel"
        await pilot.click(f"#{choice}")
        if choice == "cancel":
            await pilot.pause(0.2)
            assert train.running and app.is_running
            train.action_stop()
            await wait_until(pilot, lambda: not train.running)
            return
        await wait_until(pilot, lambda: not app.is_running, seconds=30)
    runs = list((tmp_path / "runs").iterdir()) if (tmp_path / "runs").exists() else []
    if choice == "keep":
        assert len(runs) == 1
        metrics = json.loads((runs[0] / "metrics.json").read_text())
        assert metrics["interrupted"] is True and metrics["epochs_run"] >= 2
    else:
        assert runs == []


@pytest.mark.asyncio
async def test_an_unfinished_draft_is_saved_on_quit_and_opens_again_to_be_fixed(tmp_path):
    import tomllib
    path = tmp_path / "lecture.toml"
    app = make_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        build = app.screen
        await type_into(pilot, build, "model.layers[0].units", "6a")
        assert "cannot train" in status(build)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert "does not train yet" in str(app.screen.query_one("Static").render())
        await pilot.click("#save")
        await wait_until(pilot, lambda: not app.is_running, seconds=10)
    saved = tomllib.loads(path.read_text())
    assert saved["model"]["layers"][0]["units"] == "6a" and path.read_text().startswith("# a draft")
    app = make_app(path)                                         # nntui lecture.toml, the next day
    async with app.run_test(size=(120, 40)) as pilot:
        build = app.screen
        assert "must be a positive integer" in status(build)
        assert shown(build, "model.layers[0].units") == "6a"
        await type_into(pilot, build, "model.layers[0].units", "6")
        assert "ready" in status(build)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert engine.Experiment.from_toml(path).model.layers[0].units == 6


@pytest.mark.asyncio
async def test_the_name_follows_the_data_and_names_the_run(tmp_path):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        build = app.screen
        app.draft.set_dataset("moons")                        # as the dataset field does
        await pilot.pause()
        assert app.draft.get("name") == "moons-mlp" and shown(build, "name") == "moons-mlp"
        build.query_one("#stack").focus()
        await pilot.press("o")                                # two classes: the output layer follows
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen) and not app.screen.running)
        (folder,) = (tmp_path / "runs").iterdir()
        assert folder.name.endswith("-moons-mlp")
        assert "moons-mlp" in (folder / "report.md").read_text().splitlines()[0]


@pytest.mark.asyncio
async def test_an_offline_download_failure_is_shown_whole(tmp_path, monkeypatch):
    """The status line is one row: the whole message (where to put the files, data.path) is in
    the Events log, which comes to the front."""
    from textual.widgets import Log

    from engine.data import download
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(download, "MIRRORS", {k: ["http://127.0.0.1:9/"] for k in download.MIRRORS})
    exp = engine.Experiment.from_dict({**engine.presets.load_preset("fashion-mnist-small").to_dict(),
                                       "data": {"name": "fashion-mnist"}})
    app = make_app(experiment=exp)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        train = app.screen
        await wait_until(pilot, lambda: not train.running, seconds=60)
        text = " ".join(str(line) for line in train.query_one(Log).lines)
        assert "could not download" in text and "data.path" in text and "by hand" in text
        assert train.query_one("TabbedContent").active == "tab-events"


@pytest.mark.asyncio
async def test_reduce_on_plateau_is_switched_on_in_the_schedule_panel_and_undone():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        build = app.screen
        await pilot.press("alt+s")
        await pilot.pause()
        box = field(build, "reduce_lr_on_plateau").query_one("Checkbox")
        box.focus()
        await pilot.press("space")
        await pilot.pause()
        assert app.draft.experiment.reduce_lr_on_plateau == engine.PlateauSpec()     # Keras's defaults
        assert field(build, "reduce_lr_on_plateau.patience") is not None
        assert "reduce on plateau on" in str(build.query_one("#status").render())
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.draft.experiment.reduce_lr_on_plateau is None


@pytest.mark.asyncio
async def test_a_stopped_run_in_the_runs_tab_resumes_and_trains_on_to_the_same_end(tmp_path):
    """Enter on a stopped run in the Runs tab asks, then goes on from its checkpoint in its folder
    and ends as the run that was never stopped; on a finished run it asks how far to train it on."""
    import numpy as np
    from textual.widgets import TabbedContent

    from engine.reports.history import read_history
    from nntui.widgets.results import RunsTable

    def exp(epochs):
        return engine.Experiment.from_dict({
            "name": "resumable", "seed": 1, "data": {"name": "digits"},
            "model": {"layers": [{"units": 32, "activation": "relu"}, {"type": "dropout", "rate": 0.2},
                                 {"units": 10, "activation": "softmax"}]},
            "optimizer": {"name": "adam"}, "train": {"epochs": epochs, "batch_size": 64, "threads": 1}})

    for epochs in (6, 8):
        recorded_run(tmp_path / f"whole-{epochs}", exp(epochs))
    cut = tmp_path / "runs" / "20260101-000000-resumable"
    recorded_run(cut, exp(6), stop_after=3)
    assert len(read_history(cut)) == 3

    def same_as(whole):
        strip = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
        assert strip(read_history(cut)) == strip(read_history(whole))
        with np.load(cut / "model.npz") as a, np.load(whole / "model.npz") as b:
            assert all(np.array_equal(a[k], b[k]) for k in a.files if not k.startswith("__"))

    app = make_app(experiment=moons(epochs=1))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen) and not app.screen.running)
        train = app.screen
        for answer, epochs in (("resume", 6), ("8", 8)):
            train.query_one(TabbedContent).active = "tab-runs"
            table = train.query_one(RunsTable)
            keys = [row.value for row in table.rows]
            table.focus()
            table.move_cursor(row=keys.index(str(Path("runs") / cut.name)))
            await pilot.press("enter")
            await pilot.pause()
            if answer == "resume":
                assert type(app.screen).__name__ == "Ask" and "after epoch 3 of 6" in str(
                    app.screen.query_one(Static).render())
                await pilot.click("#resume")
            else:
                assert type(app.screen).__name__ == "PromptScreen"
                await pilot.press(*["backspace"] * 4, *answer, "enter")
            await wait_until(pilot, lambda: train.result is not None and not train.running
                             and len(train.state.history) == epochs)
            assert train.folder == Path("runs") / cut.name and train.result.metrics["epochs_run"] == epochs
            same_as(tmp_path / f"whole-{epochs}")
