"""Playground's feature inputs and every unit's picture. The features are checked against their
formulas and against what they teach (XOR is linearly separable in x1*x2, not in x1, x2); the
pictures against a forward pass computed here from the weights, the dead and saturated marks
against units made dead or saturated on purpose, the output's picture against the decision map;
the views through Pilot and a snapshot."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.data.features import featurize
from engine.data.loading import scale_with
from engine.plane import DARK as DARK_GROUND
from engine.plane import PlaneGrid, UnitMaps

from .conftest import recorded_run, wait_until

pytestmark = pytest.mark.usefixtures("in_tmp")


def experiment(features=None, layers=((8, "tanh"), (6, "relu")), name="spiral", epochs=30, seed=0, lr=0.01):
    data = {"name": name, "samples": 400, "noise": 0.05}
    if features is not None:
        data["features"] = features
    task = "regression" if name in ("plane", "multi-gaussian") else "classification"
    out = [{"units": 1, "activation": "linear"}] if task == "regression" else [{"units": 2, "activation": "softmax"}]
    return engine.Experiment.from_dict({
        "seed": seed, "data": data,
        "model": {"layers": [{"units": u, "activation": a} for u, a in layers] + out,
                  **({"loss": "mse"} if task == "regression" else {})},
        "optimizer": {"name": "adam", "learning_rate": lr}, "train": {"epochs": epochs, "batch_size": 32}})


# -- the feature inputs ----------------------------------------------------------------------------------

def test_each_feature_is_its_formula():
    p = np.array([[0.5, -2.0], [3.0, 0.25]], dtype=np.float32)
    names = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
    want = np.array([[0.5, -2.0, 0.25, 4.0, -1.0, np.sin(0.5), np.sin(-2.0)],
                     [3.0, 0.25, 9.0, 0.0625, 0.75, np.sin(3.0), np.sin(0.25)]])
    assert np.allclose(featurize(names, p), want, rtol=1e-6)


def test_the_spec_reads_playgrounds_names_and_refuses_what_is_not_one():
    spec = experiment(["x1²", "X1X2", "sin_x2"]).data
    assert spec.features == ("x1^2", "x1*x2", "sin(x2)") and spec.inputs == spec.features
    assert engine.Experiment.from_toml_string(experiment(["x1²"]).to_toml_string()).data.features == ("x1^2",)
    assert experiment(["x1", "x2"]).data.features == ()          # the default, said out loud
    assert engine.data.static_info(experiment(["x1", "x1*x2", "sin(x1)"]).data).n_features == 3
    for raw, says in ((["x3"], "data.features[0]: unknown feature 'x3'"), ([], "non-empty list"),
                      (["x1²", "x1sq"], "names x1^2 more than once"), ("x1", "non-empty list")):
        with pytest.raises(engine.SpecError, match=says.replace("[", r"\[").replace("^", r"\^")):
            experiment(raw)
    with pytest.raises(engine.SpecError, match="applies only to the 2D sets"):
        engine.Experiment.from_dict({"data": {"name": "digits", "features": ["x1"]},
                                     "model": {"layers": [{"units": 10, "activation": "softmax"}]}})


def test_a_saved_model_featurizes_raw_points_as_training_did(tmp_path):
    exp = experiment(["x1", "x1*x2", "sin(x2)"], name="xor", epochs=3)
    recorded_run(tmp_path / "run", exp)
    data = engine.load_data(exp.data)
    model = engine.load_model(tmp_path / "run" / "model.npz")
    assert list(model.scaler["features"]) == ["x1", "x1*x2", "sin(x2)"]
    assert np.allclose(scale_with(model.scaler, data.points_train), data.x_train, atol=1e-6)
    grid = PlaneGrid(data, 5, 4)
    by_hand = (featurize(["x1", "x1*x2", "sin(x2)"], grid.points) - model.scaler["offset"]) * model.scaler["scale"]
    assert np.allclose(grid.inputs, by_hand, atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_xor_is_linear_in_x1_times_x2_and_not_in_x1_x2(seed):
    """Playground's lesson: a model with no hidden layer separates XOR given x1*x2, and cannot
    given the point alone (a line splits at most three of its four quadrants right: 75%)."""
    def accuracy(features, name="xor"):
        exp = experiment(features, layers=(), name=name, epochs=40, seed=seed, lr=0.05)
        return engine.train(exp).metrics["test_accuracy"]
    assert accuracy(["x1*x2"]) >= 0.9
    assert accuracy(None) <= 0.8
    assert accuracy(["x1^2", "x2^2"], "circles") >= 0.95 and accuracy(None, "circles") <= 0.7   # a radius


# -- every unit's picture ----------------------------------------------------------------------------------

def forward_by_hand(weights, x, activations):
    out, a = [], x.astype(np.float64)
    for i, act in enumerate(activations):
        z = a @ weights[f"{i}.kernel"].astype(np.float64) + weights[f"{i}.bias"]
        a = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0),
             "softmax": lambda v: np.exp(v - v.max(1, keepdims=True)) / np.exp(v - v.max(1, keepdims=True)).sum(1, keepdims=True)}[act](z)
        out.append(a)
    return out


def test_each_units_picture_is_its_activation_over_the_plane():
    exp = experiment(["x1", "x2", "x1^2"], epochs=5)
    data = engine.load_data(exp.data)
    model = engine.build_model(exp, data.n_features)
    engine.train(exp, data=data, model=model)
    maps = UnitMaps(exp, data, width=9, height=6)
    pictures = maps.measure(model, 5)
    expect = forward_by_hand(model.get_weights(), maps.grid.inputs, ["tanh", "relu", "softmax"])
    for lay, a in zip(pictures["layers"], expect):
        assert lay["maps"].shape == (a.shape[1], 6, 9)
        assert np.allclose(lay["maps"], a.T.reshape(-1, 6, 9), atol=1e-5)
    # the output's picture is the decision map's class probabilities
    assert np.allclose(np.moveaxis(pictures["layers"][-1]["maps"], 0, 2),
                       PlaneGrid(data, 9, 6).probabilities(model), atol=1e-6)
    assert pictures["layers"][0]["inputs"] == ["x1", "x2", "x1^2"]
    assert pictures["layers"][1]["inputs"] == [f"0.{u}" for u in range(8)]


def test_units_made_dead_or_saturated_are_marked_and_no_others():
    exp = experiment(epochs=1)
    data = engine.load_data(exp.data)
    model = engine.build_model(exp, data.n_features)
    w = model.get_weights()
    w["0.kernel"][:, 3] *= 500.0           # a tanh unit at its flat ends nearly everywhere
    w["1.kernel"][:, 4] = 0.0              # a ReLU unit that never fires
    w["1.bias"][4] = -1.0
    model.set_weights(w)
    pictures = UnitMaps(exp, data).measure(model, 0)
    tanh, relu = pictures["layers"][0], pictures["layers"][1]
    assert tanh["saturated"].tolist() == [u == 3 for u in range(8)]
    assert relu["dead"][4] and relu["maps"][4].max() == 0.0
    assert not tanh["dead"].any() and not relu["saturated"].any()


def test_the_report_of_a_2d_run_draws_every_unit(tmp_path):
    recorded_run(tmp_path / "run", experiment(epochs=3))
    svg = (tmp_path / "run" / "units.svg").read_text()
    assert "dense 0 tanh" in svg and "dense 1 relu" in svg and "decision" in svg
    assert svg.count("<rect") > 8 * 16 * 12      # every map's pixels
    assert "units.svg" in (tmp_path / "run" / "report.md").read_text()
    digits = engine.with_overrides(engine.presets.load_preset("digits"), epochs=1)
    recorded_run(tmp_path / "digits", digits)
    assert not (tmp_path / "digits" / "units.svg").exists()


def test_a_single_sigmoid_output_is_drawn_as_the_two_classes_decision_map(tmp_path):
    # one sigmoid unit holds class 1's probability; its map had been coloured by a division by
    # zero (k = 1 class), every pixel rgb(-9223372036854775808, ...) in units.svg
    import re

    from engine.plane import CLASS_COLOURS, LIGHT, boundary_pixels
    p = np.array([[[0.9], [0.2]]])                          # one row, two pixels
    img = boundary_pixels(None, p, LIGHT, points=False)
    for pixel, cls, sure in ((img[0, 0], 1, 0.9), (img[0, 1], 0, 0.8)):
        w = 0.15 + 0.55 * (sure - 0.5) / 0.5                # the class's colour by confidence over the ground
        want = np.array(LIGHT) * (1 - w) + np.array(CLASS_COLOURS[cls]) * w
        assert np.abs(pixel - want).max() <= 1
    exp = engine.Experiment.from_dict({
        "seed": 0, "data": {"name": "moons", "samples": 300},
        "model": {"loss": "binary_crossentropy", "layers": [{"units": 8, "activation": "tanh"},
                                                            {"units": 1, "activation": "sigmoid"}]},
        "train": {"epochs": 3}})
    recorded_run(tmp_path / "run", exp)
    svg = (tmp_path / "run" / "units.svg").read_text()
    assert "decision" in svg
    channels = [int(v) for v in re.findall(r"-?\d+", " ".join(re.findall(r"rgb\(([^)]*)\)", svg)))]
    assert channels and all(0 <= v <= 255 for v in channels)


def test_the_inside_gallery_draws_a_single_sigmoid_output_as_the_decision_map():
    # the Inside view drew one sigmoid unit as a unit's activation (orange to blue) while units.svg
    # and the dashboard drew it as the two classes' decision map
    from engine.plane import CLASS_COLOURS
    from nntui.widgets.units import NEGATIVE_CHARS, POSITIVE_CHARS, UnitGallery

    exp = engine.Experiment.from_dict({
        "seed": 0, "data": {"name": "moons", "samples": 300},
        "model": {"loss": "binary_crossentropy", "layers": [{"units": 8, "activation": "tanh"},
                                                            {"units": 1, "activation": "sigmoid"}]},
        "train": {"epochs": 3}})
    data = engine.load_data(exp.data)
    model = engine.build_model(exp, data.n_features)
    engine.train(exp, data=data, model=model)
    maps = UnitMaps(exp, data, width=12, height=8)
    pictures = maps.measure(model, 3)
    p1 = PlaneGrid(data, 12, 8).probabilities(model)[..., 1]       # class 1 by the model's own predict
    assert 0.05 < (p1 > 0.5).mean() < 0.95                          # both classes on the plane
    gallery = UnitGallery()
    for colour in (True, False):
        gallery.pictures, gallery.colour = pictures, colour
        lines = gallery._map_lines(pictures["layers"][-1], 0)
        assert len(lines) == 4
        for r, line in enumerate(lines):
            for c in range(12):
                top, bottom = p1[2 * r, c], p1[2 * r + 1, c]
                if min(abs(top - 0.5), abs(bottom - 0.5)) < 1e-3:
                    continue                                         # on the boundary: either class
                if colour:     # each half block: the predicted class's colour by confidence over the ground
                    style = line.spans[c].style
                    for p, drawn in ((top, style.color), (bottom, style.bgcolor)):
                        cls = int(p > 0.5)
                        w = 0.15 + 0.55 * (max(p, 1 - p) - 0.5) / 0.5
                        want = np.array(DARK_GROUND) * (1 - w) + np.array(CLASS_COLOURS[cls]) * w
                        assert np.abs(np.array(drawn.get_truecolor()) - want).max() <= 2, (r, c, p)
                elif (top > 0.5) == (bottom > 0.5):   # without colour: class 1's symbol, or class 0's
                    assert line.plain[c] == (POSITIVE_CHARS[-1] if top > 0.5 else NEGATIVE_CHARS[-1])
    gallery.pictures = pictures
    assert "dense 1 sigmoid (output: decision map)  1 unit\n" in gallery._text().plain


# -- the views ----------------------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_the_inside_view_shows_every_unit_and_the_chosen_units_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from nntui.app import make_app
    from nntui.screens.inside import InsideScreen
    from nntui.screens.train import TrainScreen
    from nntui.widgets.units import UnitGallery

    app = make_app(experiment=experiment(["x1", "x2", "sin(x1)"], epochs=20))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TrainScreen) and not app.screen.running)
        await pilot.pause(0.3)
        await pilot.press("i")
        await pilot.pause(0.7)
        inside = app.screen
        assert isinstance(inside, InsideScreen)
        pictures = app.run_state.units
        assert pictures["epoch"] == 20 and [lay["maps"].shape[0] for lay in pictures["layers"]] == [8, 6, 2]
        gallery = inside.query_one(UnitGallery)
        drawn = gallery.render().plain
        assert "dense 0 tanh" in drawn and "dense 1 relu" in drawn and "decision map" in drawn
        final = engine.load_model(next((tmp_path / "runs").iterdir()) / "model.npz").get_weights()
        weights = str(inside.query_one("#unit-weights").render())
        assert "dense 0 unit 0 (tanh)" in weights and "sin(x1)" in weights
        assert f"{final['0.kernel'][2, 0]:+9.4f}" in weights          # sin(x1)'s weight into unit 0
        await pilot.press("full_stop", "full_stop")                  # unit 2
        weights = str(inside.query_one("#unit-weights").render())
        assert inside.unit_index == 2 and f"{final['0.kernel'][0, 2]:+9.4f}" in weights
        await pilot.press("down")                                    # the next layer: its units' weights
        await pilot.pause()
        weights = str(inside.query_one("#unit-weights").render())
        assert "dense 1 unit 2 (relu)" in weights and "0.7" in weights     # inputs named by unit
        y0, y1, x0, x1, layer, unit = next(h for h in gallery.hits if h[4:] == (0, 5))
        await pilot.click(UnitGallery, offset=(x0 + 2, y0 + 1))           # a click on dense 0's unit 5
        await pilot.pause()
        assert (inside.layer_index, inside.unit_index) == (0, 5)
        assert "dense 0 unit 5" in str(inside.query_one("#unit-weights").render())


@pytest.mark.asyncio
async def test_the_builder_ticks_each_feature_and_the_input_width_follows(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from nntui.app import make_app
    from nntui.widgets.fields import Field

    app = make_app(experiment=experiment())
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("alt+d")                 # the data panel
        await pilot.pause()
        ticks = {f.label: f for f in app.screen.query(Field) if f.label.startswith("input ")}
        assert list(ticks) == ["input x1", "input x2", "input x1^2", "input x2^2", "input x1*x2",
                               "input sin(x1)", "input sin(x2)"]
        assert ticks["input x1"].control.value and not ticks["input x1*x2"].control.value
        ticks["input x1*x2"].control.value = True
        await pilot.pause()
        assert app.draft.get("data.features") == ["x1", "x2", "x1*x2"]
        assert engine.data.static_info(app.draft.experiment.data).n_features == 3
        stack = app.screen.query_one("#stack")
        assert "(3 -> 8)" in " ".join(str(c) for c in stack.get_row_at(0)) or \
            any("3" in str(c) for c in stack.get_row_at(0)), stack.get_row_at(0)
        ticks["input x1*x2"].control.value = False
        await pilot.pause()
        assert app.draft.get("data.features") is None


@pytest.mark.asyncio
async def test_without_colour_the_optimizer_paths_are_symbols(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("NO_COLOR", "1")
    from nntui.app import make_app
    from nntui.screens.optimizers import SurfaceMap

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("O")
        screen = app.screen
        await wait_until(pilot, lambda: bool(screen.paths))
        screen.playing = False
        screen.step = 60
        screen.draw()
        await pilot.pause()
        view = screen.query_one(SurfaceMap)
        drawn = view.render().plain.split("\n")
        rows, cols = view.size.height, view.size.width
        heads = {}
        for i, name in enumerate(screen.names):
            if name in screen.chosen:
                r, c = view._pixel(*screen.paths[name].points[60], rows, cols)
                heads.setdefault((r // 2, c), set()).add(str(i + 1))
        assert len(heads) >= 3
        for (r, c), symbols in heads.items():       # each optimizer's symbol where it is now
            assert drawn[r][c] in symbols, (r, c, symbols)
        r, c = view._pixel(*screen.surface.minimum, rows, cols)
        assert drawn[r // 2][c] in {"*"} | heads.get((r // 2, c), set())     # the minimum, unless one is there
        assert "1 sgd" in str(screen.query_one("#figures").render())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_the_units_as_they_look(snap_compare, monkeypatch, tmp_path, size):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    from nntui.app import make_app
    from nntui.screens.inside import InsideScreen

    async def trained_then_inside(pilot):
        app = pilot.app
        await pilot.press("t")
        for _ in range(1200):
            if getattr(app.screen, "running", True) is False:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        await pilot.press("i")
        await pilot.pause(0.7)
        assert isinstance(app.screen, InsideScreen)
        app.screen.query_one("#units").scroll_visible(animate=False)
        await pilot.pause()

    assert snap_compare(make_app(experiment=experiment(epochs=10)), terminal_size=size, run_before=trained_then_inside)
