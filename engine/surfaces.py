"""Optimizers on 2D test surfaces: the lecture's optimizer animations ("Momentum in practice",
"SGD optimizer zoo") computed by the engine's own optimizer classes on a 2-parameter vector, so
that a path drawn is exactly what that optimizer does with those gradients.

Each surface is f(x, y) with its gradient written by hand beside it (tests check them against
finite differences), a start point, a box to draw and a learning rate at which plain SGD makes
visible progress without diverging, and one for the adaptive optimizers, whose steps' length
the rate sets (Adam moves about lr a step whatever the gradient's size: one rate cannot suit
both, which is why Keras's defaults differ too):

- ``quadratic``: f = (x² + 20 y²) / 2, an ill-conditioned bowl whose narrow valley (along x)
  makes SGD zig-zag across it (y changes sign every step at the default rate);
- ``rosenbrock``: f = (1 - x)² + 100 (y - x²)², the curved banana valley, minimum (1, 1);
- ``beale``: f = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)², minimum (3, 0.5);
- ``saddle``: f = x² / 2 + y⁴ / 4 - y² / 2, a saddle at the origin between minima (0, ±1): a
  start a hair off the ridge shows who leaves a saddle fast (gradients there are tiny);
- ``plateau``: f = 1 - exp(-((x - 1)² + (y - 1)²) / 8), almost flat far from its minimum (1, 1),
  with noisy gradients (a stochastic gradient: the true one plus Gaussian noise, seeded)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .nn.optimizers import OPTIMIZERS, make_optimizer
from .nn.schedules import schedule_function


@dataclass(frozen=True)
class Surface:
    name: str
    f: Callable[[float, float], float]
    grad: Callable[[float, float], tuple[float, float]]
    start: tuple[float, float]
    box: tuple[float, float, float, float]      # x0, x1, y0, y1: what a picture shows
    minimum: tuple[float, float]
    lr: float                                  # the default rate of SGD and its momentum variants
    step: float                                # ...and of the adaptive ones (their steps' length)
    noise: float = 0.0                         # the stochastic gradient's standard deviation
    about: str = ""


def _quadratic():
    return Surface("quadratic", lambda x, y: 0.5 * (x * x + 20 * y * y), lambda x, y: (x, 20 * y),
                   (-4.0, 1.0), (-5.0, 5.0, -1.5, 1.5), (0.0, 0.0), 0.06, 0.1,
                   about="an ill-conditioned bowl: SGD zig-zags across its narrow valley; momentum crosses "
                         "the valley's floor less often, and overshoots along it")


def _rosenbrock():
    return Surface("rosenbrock", lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
                   lambda x, y: (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)),
                   (-1.5, 2.0), (-2.0, 2.0, -1.0, 3.0), (1.0, 1.0), 0.001, 0.05,
                   about="a curved valley: easy to reach, slow to follow to its minimum at (1, 1)")


def _beale_terms(x, y):
    return (1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y ** 3)


def _beale_grad(x, y):
    a, b, c = _beale_terms(x, y)
    gx = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y ** 3 - 1)
    gy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y * y
    return gx, gy


def _beale():
    return Surface("beale", lambda x, y: sum(t * t for t in _beale_terms(x, y)), _beale_grad,
                   (1.0, 1.4), (-1.0, 4.5, -1.5, 2.0), (3.0, 0.5), 0.005, 0.05,
                   about="flat shelves and steep walls: the minimum at (3, 0.5) sits in a narrow curved channel")


def _saddle():
    return Surface("saddle", lambda x, y: 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y,
                   lambda x, y: (x, y ** 3 - y), (1.5, 1e-3), (-2.0, 2.0, -1.6, 1.6), (0.0, 1.0), 0.05, 0.05,
                   about="a saddle at the origin: its gradient is tiny there, so who leaves it fast is who scales steps")


def _plateau():
    def f(x, y):
        return 1.0 - math.exp(-((x - 1) ** 2 + (y - 1) ** 2) / 8)

    def grad(x, y):
        e = math.exp(-((x - 1) ** 2 + (y - 1) ** 2) / 8) / 4
        return (x - 1) * e, (y - 1) * e

    return Surface("plateau", f, grad, (-2.5, -2.0), (-3.0, 3.0, -3.0, 3.0), (1.0, 1.0), 0.5, 0.05, noise=0.02,
                   about="nearly flat far from the minimum, with noisy (stochastic) gradients")


SURFACES: dict[str, Surface] = {s.name: s for s in (_quadratic(), _rosenbrock(), _beale(), _saddle(), _plateau())}

#: the optimizers a comparison runs: every one the engine has, with SGD also as Keras's momentum
#: and Nesterov variants (momentum 0.9), the lecture's "momentum" and "nesterov"
VARIANTS = {"momentum": ("sgd", {"momentum": 0.9}), "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True})}


def optimizer_names() -> list[str]:
    names = OPTIMIZERS.names()
    out = []
    for n in names:
        out.append(n)
        if n == "sgd":
            out += list(VARIANTS)
    return out


def default_rate(s: Surface, optimizer: str) -> float:
    """The surface's rate for ``optimizer``: SGD's (and its momentum variants'), or the adaptive
    optimizers' step length."""
    return s.lr if VARIANTS.get(optimizer, (optimizer,))[0] == "sgd" else s.step


def surface(name: str) -> Surface:
    if name not in SURFACES:
        raise KeyError(f"unknown surface {name!r}; valid: {', '.join(SURFACES)}")
    return SURFACES[name]


@dataclass
class Path:
    optimizer: str
    points: np.ndarray      # (steps + 1, 2): the start, then each step's position
    losses: np.ndarray      # f at each point
    rates: np.ndarray       # the learning rate of each step

    @property
    def steps(self) -> np.ndarray:
        return np.diff(self.points, axis=0)


def run_path(s: Surface, optimizer: str, steps: int, lr: float | None = None, start=None,
             settings: dict | None = None, schedule=None, seed: int = 0, limit: float = 1e6) -> Path:
    """``optimizer``'s path on ``s``: the engine's optimizer class stepping a 2-vector from
    ``start`` for ``steps`` steps at rate ``lr`` (default_rate by default; ``schedule``, a
    ScheduleSpec, scales it per step, one step an epoch). ``settings`` override the optimizer's
    Keras defaults. A path that leaves every sensible range (|x| > limit) stops there."""
    name, extra = VARIANTS.get(optimizer, (optimizer, {}))
    opt = make_optimizer(name, 2, np.float64, **{**extra, **(settings or {})})
    base = default_rate(s, optimizer) if lr is None else float(lr)
    rate = schedule_function(schedule, base, 1) if schedule is not None else (lambda step: base)
    w = np.array(s.start if start is None else start, dtype=np.float64)
    rng = np.random.default_rng(seed)
    points, rates = [w.copy()], []
    for t in range(steps):
        g = np.array(s.grad(float(w[0]), float(w[1])), dtype=np.float64)
        if s.noise:
            g += rng.normal(0.0, s.noise, 2)
        lr_t = rate(t)
        opt.apply(w, g, lr_t)
        rates.append(lr_t)
        points.append(w.copy())
        if not np.all(np.isfinite(w)) or np.abs(w).max() > limit:
            break
    pts = np.array(points)
    losses = np.array([s.f(float(x), float(y)) if np.isfinite([x, y]).all() else np.inf for x, y in pts])
    return Path(optimizer, pts, losses, np.array(rates))


def compare(s: Surface, optimizers: list[str] | None = None, steps: int = 200, **kw) -> list[Path]:
    return [run_path(s, name, steps, **kw) for name in (optimizers or optimizer_names())]


def grid(s: Surface, width: int, height: int) -> np.ndarray:
    """f on a ``height`` x ``width`` grid over the surface's box (row 0 at the top: y1)."""
    x0, x1, y0, y1 = s.box
    xs = np.linspace(x0, x1, width)
    ys = np.linspace(y1, y0, height)
    return np.array([[s.f(float(x), float(y)) for x in xs] for y in ys])


def levels(values: np.ndarray, bands: int = 12) -> np.ndarray:
    """Each value's contour band 0..bands-1, on a log scale above the surface's lowest value (the
    way contour plots of these surfaces are drawn: equal steps of log f show the valleys)."""
    low = float(np.min(values))
    v = np.log1p(np.maximum(values - low, 0.0))
    top = float(v.max()) or 1.0
    return np.minimum((v / top * bands).astype(int), bands - 1)
