"""Optimizers on 2D test surfaces (engine.surfaces, `nntui optimizers`): each surface's gradient
against finite differences, each path against an independent implementation of the same rule
(MLX's optimizer functions on the same gradients), and the lecture's claims as the paths show
them: momentum crosses the narrow valley's floor less often than SGD, Adam leaves the saddle in
fewer steps than SGD, and Adagrad's steps shrink as its accumulator grows."""

import csv
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from engine.surfaces import SURFACES, compare, optimizer_names, run_path


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_each_gradient_is_its_functions(name):
    s = SURFACES[name]
    x0, x1, y0, y1 = s.box
    rng = np.random.default_rng(1)
    for x, y in zip(rng.uniform(x0, x1, 10), rng.uniform(y0, y1, 10)):
        h = 1e-6
        fd = ((s.f(x + h, y) - s.f(x - h, y)) / (2 * h), (s.f(x, y + h) - s.f(x, y - h)) / (2 * h))
        assert s.grad(x, y) == pytest.approx(fd, rel=1e-5, abs=1e-6)
    assert s.grad(*s.minimum) == pytest.approx((0.0, 0.0), abs=1e-12)


def _mlx_path(s, optimizer, points):
    """The same rule, MLX's version (engine/backends/mlx/optimizers.py, written separately), given
    the gradient at each point of the NumPy path: where it goes from there."""
    mx = pytest.importorskip("mlx.core")
    from engine.backends.mlx.optimizers import init_state, update
    from engine.names import OPTIMIZERS as DEFAULTS
    from engine.surfaces import VARIANTS, default_rate

    name, extra = VARIANTS.get(optimizer, (optimizer, {}))
    settings = {**DEFAULTS.get(name), **extra}
    settings.pop("learning_rate", None)
    params = {"w": mx.array(np.array(points[0], dtype=np.float32))}
    state = init_state(name, settings, params)
    out = [points[0]]
    for t, p in enumerate(points[:-1], start=1):
        g = {"w": mx.array(np.array(s.grad(*p), dtype=np.float32))}
        params, state = update(name, settings, params, g, state, mx.array(default_rate(s, optimizer)), mx.array(float(t)))
        out.append(tuple(np.array(params["w"]).tolist()))
    return np.array(out)


@pytest.mark.parametrize("optimizer", optimizer_names())
def test_each_path_is_what_the_other_backends_optimizer_does(optimizer):
    s = SURFACES["beale"]
    path = run_path(s, optimizer, 40)
    other = _mlx_path(s, optimizer, [tuple(p) for p in path.points])
    # float32 against float64: each step from the same point and gradient agrees to float32's precision
    assert np.allclose(other[1:], path.points[1:], rtol=2e-4, atol=1e-5)


def test_momentum_crosses_the_valley_floor_less_often_than_sgd():
    paths = {p.optimizer: p for p in compare(SURFACES["quadratic"], ["sgd", "momentum"], steps=60)}
    crossings = {k: int(np.sum(np.sign(p.steps[1:, 1]) != np.sign(p.steps[:-1, 1]))) for k, p in paths.items()}
    assert crossings["momentum"] < 0.6 * crossings["sgd"], crossings     # 22 against 59


@pytest.mark.parametrize("lr", [None, 0.05, 0.02])
def test_adam_leaves_the_saddle_in_fewer_steps_than_sgd(lr):
    def steps_out(p):
        out = np.abs(p.points[:, 1]) > 0.5
        return int(np.argmax(out)) if out.any() else math.inf

    paths = {p.optimizer: p for p in compare(SURFACES["saddle"], ["sgd", "adam"], steps=1000, lr=lr)}
    assert steps_out(paths["adam"]) < steps_out(paths["sgd"]) / 3, {k: steps_out(p) for k, p in paths.items()}


def test_adagrads_steps_shrink_as_its_accumulator_grows():
    p = run_path(SURFACES["quadratic"], "adagrad", 100)
    norms = np.linalg.norm(p.steps, axis=1)
    assert np.all(np.diff(norms) < 0) and norms[-1] < 0.2 * norms[0]
    # on the noisy plateau the gradients grow as it descends, yet each coordinate's rate, the step
    # over the gradient, only falls
    s = SURFACES["plateau"]
    p = run_path(s, "adagrad", 100, seed=3)
    rng = np.random.default_rng(3)
    grads = np.array([np.array(s.grad(*pt)) + rng.normal(0.0, s.noise, 2) for pt in p.points[:-1]])
    rates = -p.steps / grads
    assert np.all(np.diff(rates, axis=0) < 0)


def test_the_noisy_surface_is_noisy_and_seeded():
    a, b = run_path(SURFACES["plateau"], "sgd", 50), run_path(SURFACES["plateau"], "sgd", 50)
    c = run_path(SURFACES["plateau"], "sgd", 50, seed=1)
    assert np.array_equal(a.points, b.points) and not np.array_equal(a.points, c.points)


def test_nntui_optimizers_writes_the_picture_and_the_paths(tmp_path):
    from .test_headless import nntui

    r = nntui("optimizers", "--surface", "rosenbrock", "--optimizers", "sgd,momentum,adam", "--steps", "50",
              "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert "rosenbrock" in r.stdout and "momentum" in r.stdout
    root = ET.parse(tmp_path / "surface.svg").getroot()
    assert len([el for el in root.iter() if el.tag.endswith("polyline")]) == 3
    for name in ("sgd", "momentum", "adam"):
        rows = list(csv.DictReader((tmp_path / f"{name}.csv").open()))
        want = run_path(SURFACES["rosenbrock"], name, 50)
        assert len(rows) == 51 and [float(rows[-1]["x"]), float(rows[-1]["y"])] == want.points[-1].tolist()
    for bad, says in ((["--surface", "moon"], "unknown surface 'moon'; valid: quadratic"),
                      (["--optimizers", "sgd,lion"], "unknown optimizer 'lion'; valid: sgd, momentum"),
                      (["--start", "1"], "--start: two numbers X,Y"), (["--lr", "-1"], "--lr: must be a positive"),
                      (["--schedule", "warp"], "unknown")):
        r = nntui("optimizers", *bad)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr


@pytest.mark.asyncio
async def test_the_view_draws_the_engines_paths_and_obeys_its_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    # four frames a second, not twenty: Pilot waits after each key for a UI thread that is idle for
    # 20 ms, which frames of 50 ms kept it from for the whole second it waits at most
    monkeypatch.setattr("nntui.screens.optimizers.FRAME_SECONDS", 0.25)
    from nntui.app import make_app
    from nntui.screens.optimizers import STEPS, OptimizerScreen, SurfaceMap

    from .conftest import wait_until

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("O")                      # from the Build screen's layer stack
        screen = app.screen
        assert isinstance(screen, OptimizerScreen)
        await wait_until(pilot, lambda: screen.paths and screen.step > 3)
        await pilot.press("p")                      # pause, then step by hand
        here = screen.step
        await pilot.press("full_stop", "full_stop", "comma")
        assert screen.step == here + 1 and screen.query_one(SurfaceMap).step == here + 1
        s = SURFACES["quadratic"]
        for name in ("sgd", "adam"):
            assert np.array_equal(screen.paths[name].points, run_path(s, name, STEPS).points)
        await pilot.press("plus")                   # every rate doubled: the paths are the engine's at 2 lr
        await wait_until(pilot, lambda: np.array_equal(
            screen.paths["sgd"].points, run_path(s, "sgd", STEPS, lr=2 * s.lr).points))
        assert np.array_equal(screen.paths["adam"].points, run_path(s, "adam", STEPS, lr=2 * s.step).points)
        await pilot.press("shift+up")               # the start moves up a fortieth of the box
        await wait_until(pilot, lambda: screen.paths["sgd"].points[0][1] == pytest.approx(1.0 + 3.0 / 40))
        await pilot.click(SurfaceMap, offset=(5, 3))     # a click puts the start there
        await wait_until(pilot, lambda: screen.paths["sgd"].points[0][0] < -3.5)
        await pilot.press("d")                      # a schedule: the rates now fall step by step
        await wait_until(pilot, lambda: screen.schedule == "exponential"   # (the paths before it may end sooner)
                         and len(rates := screen.paths["sgd"].rates) > 50 and rates[50] < rates[0])
        screen.query_one("#surfaces").focus()
        await pilot.press("down")                   # another surface
        await wait_until(pilot, lambda: screen.surface.name == "rosenbrock"
                         and tuple(screen.paths["sgd"].points[0]) == SURFACES["rosenbrock"].start)
        assert "rosenbrock" in str(screen.query_one("#about").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, OptimizerScreen)


@pytest.mark.asyncio
async def test_an_optimizers_settings_are_edited_in_the_view(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setattr("nntui.screens.optimizers.FRAME_SECONDS", 0.25)     # as above
    from nntui.app import make_app
    from nntui.screens.optimizers import STEPS, OptimizerScreen

    from .conftest import wait_until

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("O")
        screen = app.screen
        await wait_until(pilot, lambda: bool(screen.paths))
        screen.playing = False                      # a still picture: Pilot waits out every frame
        screen.query_one("#optimizers").focus()
        await pilot.press("down")                   # momentum
        await pilot.press("h")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "PromptScreen")
        field = app.screen.query_one("Input")
        assert "momentum=0.9" in field.value
        field.value = "momentum=0.5"
        await pilot.press("enter")
        s = SURFACES["quadratic"]
        await wait_until(pilot, lambda: np.array_equal(
            screen.paths["momentum"].points, run_path(s, "momentum", STEPS, settings={"momentum": 0.5}).points))
        await pilot.press("h")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "PromptScreen")
        app.screen.query_one("Input").value = "beta_1=0.5"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OptimizerScreen) and screen.settings["momentum"] == {"momentum": 0.5}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_the_view_as_it_looks(snap_compare, monkeypatch, tmp_path, size):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    from nntui.app import make_app

    async def at_step_30(pilot):
        await pilot.press("O")
        screen = pilot.app.screen
        for _ in range(400):
            if screen.paths:
                break
            await pilot.pause(0.05)
        screen.playing = False
        screen.step = 30
        screen.draw()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=at_step_30)
