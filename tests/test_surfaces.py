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
                      (["--start", "1"], "--start: two numbers X,Y"), (["--lr", "-1"], "--lr: must be a positive")):
        r = nntui("optimizers", *bad)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr
