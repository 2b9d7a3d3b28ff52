"""The TUI through Textual's Pilot: keys in, screen state and saved files out."""

import pytest

import engine
from nntui.app import make_app
from nntui.screens.build import BuildScreen
from nntui.screens.train import TrainScreen
from nntui.widgets.fields import Field

pytestmark = pytest.mark.usefixtures("in_tmp")   # runs/ of the dashboard go there

def field(app, path):
    return next(f for f in app.screen.query(Field) if f.path == path)


async def type_into(pilot, app, path, text):
    """Focus a field's input and replace its text by typing."""
    from textual.widgets import Input
    box = field(app, path).query_one(Input)
    box.focus()
    await pilot.pause()
    box.value = ""
    await pilot.press(*list(text))
    await pilot.pause()


async def choose(pilot, app, path, value):
    """Open a field's select with enter and pick ``value`` with the arrow keys."""
    from textual.widgets import Select
    sel = field(app, path).query_one(Select)
    sel.focus()
    await pilot.pause()
    options = [v for _, v in sel._options]
    steps = options.index(value) - options.index(sel.value)
    await pilot.press("enter")
    await pilot.press(*(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    await pilot.pause()
    assert app.draft.get(path) == value


@pytest.mark.asyncio
async def test_build_the_lecture_model_by_keys_save_and_reload(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert isinstance(app.screen, BuildScreen)
        await choose(pilot, app, "data.name", "fashion-mnist")
        await pilot.press("escape")                 # back to the stack
        await pilot.press("down", "a")              # a dense layer after layer 0 -> 3 layers
        assert len(app.draft.layers) == 3
        for i, units in ((0, "512"), (1, "512")):
            app.screen.query_one("#stack").move_cursor(row=i + 1)
            await pilot.pause()
            await type_into(pilot, app, f"model.layers[{i}].units", units)
        await pilot.press("escape", "o")            # fit the output layer to fashion-mnist's 10 classes
        await choose(pilot, app, "optimizer.name", "rmsprop")
        assert app.draft.error is None, app.draft.error
        exp = app.draft.experiment
        assert [layer.units for layer in exp.model.layers] == [512, 512, 10]
        assert [layer.activation for layer in exp.model.layers] == ["relu", "relu", "softmax"]
        assert app.screen.query_one("#totals").render().plain.startswith("669,706 params")
        app.path = tmp_path / "lecture.toml"
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = engine.Experiment.from_toml(tmp_path / "lecture.toml")
    assert saved == exp
    again = make_app(tmp_path / "lecture.toml")
    async with again.run_test(size=(120, 40)) as pilot:
        assert again.draft.experiment == saved and not again.draft.dirty


@pytest.mark.asyncio
async def test_bad_value_shows_the_reason_and_blocks_training(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await type_into(pilot, app, "model.layers[0].units", "0")
        f = field(app, "model.layers[0].units")
        assert f.has_class("-invalid")
        assert "must be a positive integer, got 0" in str(f.query_one(".reason").render())
        assert "cannot train" in str(app.screen.query_one("#status").render())
        await pilot.press("escape", "t")
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen)          # training did not start
        await type_into(pilot, app, "model.layers[0].units", "32")
        assert not field(app, "model.layers[0].units").has_class("-invalid")


@pytest.mark.asyncio
async def test_train_from_the_builder_and_come_back(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    exp = engine.presets.load_preset("digits")
    app = make_app(experiment=engine.with_overrides(exp, epochs=3))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TrainScreen)
        for _ in range(200):
            await pilot.pause(0.05)
            if not app.screen.running:
                break
        status = str(app.screen.query_one("#status").render())
        assert "completed after 3 epochs" in status and "test accuracy" in status
        await pilot.press("b")
        assert isinstance(app.screen, BuildScreen)


@pytest.mark.asyncio
async def test_quit_asks_about_unsaved_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a")
        assert app.draft.dirty
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDiscard"
        await pilot.click("#cancel")
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen) and app.is_running


@pytest.mark.asyncio
async def test_first_use_download_shows_a_progress_bar_in_the_tui(tmp_path, monkeypatch):
    from textual.widgets import ProgressBar

    from engine.data import download

    from .test_download import Server, idx_files

    files, sums = idx_files()
    server = Server(files)
    try:
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
        monkeypatch.setenv("NNTUI_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("NNTUI_MIRROR", server.base + "/good/")
        monkeypatch.setitem(download.MIRRORS, "mnist", ("http://127.0.0.1:9/",))
        monkeypatch.setitem(download.SHA256, "mnist", sums)
        exp = engine.Experiment.from_dict({"data": {"name": "mnist"}, "train": {"epochs": 1},
                                           "model": {"layers": [{"units": 10, "activation": "softmax"}]}})
        app = make_app(experiment=exp)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("t")
            for _ in range(200):
                await pilot.pause(0.05)
                if not app.screen.running:
                    break
            bar = app.screen.query_one("#download", ProgressBar)
            assert bar.display and bar.percentage == 1.0
            assert "downloading t10k-labels-idx1-ubyte.gz" in str(app.screen.query_one("#download-label").render())
            assert "completed after 1 epochs" in str(app.screen.query_one("#status").render())
    finally:
        server.close()


@pytest.mark.asyncio
async def test_theme_choice_is_remembered_and_no_color_is_for_the_session(tmp_path, monkeypatch):
    from nntui import themes

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.theme == "nntui-dark"
        assert {"nntui-dark", "nntui-light", "nntui-contrast", "nntui-ansi"} <= set(app.available_themes)
        app.theme = "nntui-contrast"
        await pilot.pause()
    assert themes.load_settings()["theme"] == "nntui-contrast"
    again = make_app()
    async with again.run_test(size=(120, 40)):
        assert again.theme == "nntui-contrast"
    monkeypatch.setenv("NO_COLOR", "1")
    plain = make_app()
    async with plain.run_test(size=(120, 40)):
        assert plain.theme == "nntui-dark"      # drawn in greys (tests/test_no_color.py checks the cells)
    assert themes.load_settings()["theme"] == "nntui-contrast", "NO_COLOR is for the session, not saved"
    monkeypatch.delenv("NO_COLOR")
    after = make_app()
    async with after.run_test(size=(120, 40)):
        assert after.theme == "nntui-contrast"


@pytest.mark.asyncio
async def test_open_through_the_file_picker_and_load_a_preset(tmp_path, monkeypatch):
    from textual.widgets import Input

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "spiral.toml"
    engine.presets.load_preset("spiral-tanh").to_toml(path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        picker = app.screen
        picker.query_one("#path", Input).value = str(path)
        await pilot.press("enter")
        await pilot.pause()
        assert app.path == path and app.draft.experiment.name == "spiral-tanh"
        assert [layer.get("activation") for layer in app.draft.layers] == ["tanh", "tanh", "softmax"]
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Preset: digits" in commands and "Save experiment as" in commands and "Train" in commands
        app.load_experiment(engine.presets.load_preset("digits"), None)
        await pilot.pause()
        assert app.draft.experiment.name == "digits" and app.path is None


@pytest.mark.asyncio
async def test_mouse_buttons_edit_the_stack(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.click("#b-add")
        await pilot.click("#b-duplicate")
        assert len(app.draft.layers) == 4
        await pilot.click("#b-up")
        await pilot.click("#b-delete")
        assert len(app.draft.layers) == 3
        assert app.draft.error is None


@pytest.mark.asyncio
async def test_schedule_panel_plots_the_planned_rate(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    app = make_app(experiment=engine.presets.load_preset("digits"))   # exponential 0.9 / epoch over 30 epochs
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#panels").active = "tab-schedule"
        await pilot.pause()
        data = app.screen.query_one("#lr-plot").data
        assert data[0] == 0.003 and abs(data[-1] - 0.003 * 0.9 ** (30 - 1 / 41)) < 1e-6
        assert "lr 0.003 -> 0.000128 over 30 epochs" in str(app.screen.query_one("#lr-caption").render())


@pytest.mark.asyncio
async def test_a_new_file_name_opens_the_default_and_saves_there(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    target = tmp_path / "new.toml"
    app = make_app(target)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("a", "ctrl+s")
        await pilot.pause()
    assert len(engine.Experiment.from_toml(target).model.layers) == 3


def test_cli_reports_a_bad_file_before_the_app_starts(tmp_path, capsys):
    from nntui.cli import main

    bad = tmp_path / "bad.toml"
    bad.write_text("[model\n")
    assert main([str(bad)]) == 2
    assert "bad.toml: not valid TOML" in capsys.readouterr().err


@pytest.mark.asyncio
async def test_dashboard_controls_lr_stop_save_restart(tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    exp = engine.with_overrides(engine.presets.load_preset("spiral-relu"), epochs=100000)
    app = make_app(experiment=exp)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        screen = app.screen
        for _ in range(100):
            await pilot.pause(0.05)
            if len(screen.state.history) >= 2:
                break
        await pilot.press("minus")                          # halve the learning rate mid-run
        for _ in range(100):
            await pilot.pause(0.05)
            if any(e.kind == "lr_changed" for e in screen.state.events):
                break
        change = next(e for e in screen.state.events if e.kind == "lr_changed")
        assert change.scale == 0.5 and change.lr == pytest.approx(0.005)
        await pilot.press("s")                               # stop keeps the model
        for _ in range(100):
            await pilot.pause(0.05)
            if not screen.running:
                break
        assert screen.result.reason == "stopped"
        assert "stopped after" in str(screen.query_one("#status").render())
        assert screen.query_one("#confusion").row_count == 2 + 2    # two classes, the macro and weighted averages
        await pilot.press("ctrl+s")
        await pilot.pause()
        from textual.widgets import Input
        app.screen.query_one("#answer", Input).value = str(tmp_path / "run")
        await pilot.press("enter")
        await pilot.pause()
        metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
        assert metrics["interrupted"] is True and metrics["epochs_run"] == len(screen.state.history)
        events = (tmp_path / "run" / "events.jsonl").read_text()
        assert '"lr_changed"' in events and '"finished"' in events
        before = screen.state
        await pilot.press("r")                               # restart from fresh weights
        await pilot.pause(0.3)
        # a new run, from epoch 1, on fresh weights: its first epoch's loss is above the stopped
        # run's last (the epoch count alone races: spiral epochs take milliseconds)
        h = screen.state.history
        assert screen.running and screen.state is not before
        assert not h or (h[0]["epoch"] == 1 and h[0]["loss"] > before.history[-1]["loss"])
        await pilot.press("s")
        for _ in range(100):
            await pilot.pause(0.05)
            if not screen.running:
                break


@pytest.mark.asyncio
async def test_decision_boundary_map_for_2d_data(tmp_path, monkeypatch):
    import numpy as np

    from nntui.widgets.boundary import BoundaryMap

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    app = make_app(experiment=engine.with_overrides(engine.presets.load_preset("spiral-relu"), epochs=40))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("t")
        screen = app.screen
        for _ in range(400):
            await pilot.pause(0.05)
            if not screen.running:
                break
        await pilot.pause(0.2)
        bmap = screen.query_one(BoundaryMap)
        assert "epoch 40" in bmap.border_title
        grid, probs = bmap.grid, bmap.probs
        assert probs.shape == (grid.height, grid.width, 2)
        # the map is the model's view: where the plane holds training points, the map's class
        # agrees with their labels about as often as the test accuracy says
        cls = probs.argmax(axis=2)[grid.train_cells[:, 0], grid.train_cells[:, 1]]
        assert np.mean(cls == grid.train_labels) > 0.9
        assert screen.result.metrics["test_accuracy"] > 0.9
        img = bmap.pixels()
        assert img.shape == (grid.height, grid.width, 3) and len({tuple(p) for p in img.reshape(-1, 3)}) > 10


@pytest.mark.asyncio
async def test_session_runs_compare_and_mistakes(tmp_path, monkeypatch):
    from nntui.widgets.samples import SampleStrip

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    relu = engine.with_overrides(engine.presets.load_preset("digits"), epochs=4)
    app = make_app(experiment=relu)

    async def run_to_end(pilot):
        await pilot.press("t")
        for _ in range(400):
            await pilot.pause(0.05)
            if not app.screen.running:
                break
        await pilot.pause(0.2)

    async with app.run_test(size=(120, 40)) as pilot:
        await run_to_end(pilot)
        mistakes = app.screen.query_one("#mistakes", SampleStrip).samples
        assert 1 <= len(mistakes) <= 6 and mistakes[0]["image"].shape == (8, 8)
        assert mistakes[0]["top"][0][0] != mistakes[0]["true"]          # a mistake: top class is not the truth
        await pilot.press("b")
        tanh = dict(relu.to_dict())
        tanh["model"]["layers"][0]["activation"] = "tanh"
        tanh["name"] = "digits-tanh"
        app.load_experiment(engine.Experiment.from_dict(tanh), None)
        await pilot.pause()
        await run_to_end(pilot)
        assert [r["label"] for r in app.session_runs] == ["digits", "digits-tanh"]
        assert app.screen.query_one("#runs").row_count == 2
        await pilot.press("c")
        await pilot.pause(0.6)                                           # a redraw with the overlay
        assert app.screen.compare
        app.save_screenshot(str(tmp_path / "compare.svg"))


@pytest.mark.asyncio
async def test_the_unsaved_changes_question_moves_with_arrows_and_starts_on_cancel(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmDiscard"
        assert app.focused.id == "cancel", "enter right away is the safe choice"
        await pilot.press("right")
        assert app.focused.id == "cancel", "right from the last button stays there, it does not wrap to Save"
        await pilot.press("left")
        assert app.focused.id == "discard"
        await pilot.press("left")
        assert app.focused.id == "save"
        await pilot.press("left")
        assert app.focused.id == "save", "nor left from the first to Cancel"
        await pilot.press("right")
        assert app.focused.id == "discard"
        await pilot.press("right", "enter")              # Cancel
        await pilot.pause()
        assert isinstance(app.screen, BuildScreen) and app.is_running and app.draft.dirty


@pytest.mark.parametrize("n", [9, 10, 16, 17, 18, 41, 100, 469])
def test_the_last_epoch_or_batch_keeps_its_label_at_every_width(n):
    """Ticks a step apart from the last one crowded it, and plotext then kept one of the two by the
    plot's width: the batch plot's axis ended at 16 or at 17 for the same 17 batches. Every tick
    chosen for a width is labelled at that width, the first and the last always."""
    import plotext

    from nntui.widgets.axes import epoch_ticks
    xs = list(range(1, n + 1))
    for width in (25, 33, 40, 55, 78, 150):
        ticks = epoch_ticks(xs, width)
        assert ticks[0] == 1 and ticks[-1] == n and 2 <= len(ticks) <= 9
        plt = plotext
        plt.clf()
        plt.plotsize(width, 8)
        plt.plot(xs, [0.1] * n, marker="braille")
        plt.xticks(ticks)
        labels = plt.build().splitlines()[-1]
        assert plotext.uncolorize(labels).split() == [str(t) for t in ticks], (width, labels)   # none dropped


@pytest.mark.asyncio
async def test_class_weight_is_chosen_in_the_training_panel_and_saved(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.draft.experiment.train.class_weight is None and not app.draft.dirty
        await pilot.press("alt+t")
        await pilot.pause()
        await choose(pilot, app, "train.class_weight", "balanced")
        assert app.draft.experiment.train.class_weight == "balanced"
        path = tmp_path / "weighted.toml"
        app.draft.experiment.to_toml(path)
        assert engine.Experiment.from_toml(path).train.class_weight == "balanced"
        await choose(pilot, app, "train.class_weight", "none")
        assert app.draft.experiment.train.class_weight is None
