"""Optimizers (NumPy), with Keras's formulas and defaults. Each works in place on one flat
float32 vector holding every trainable parameter, so an update is a handful of whole-array
operations instead of a Python loop over layers.

Decaying state (RMSprop's and Adam's averages, momentum) drifts into float32 subnormals where
gradients vanish, and x86 arithmetic on subnormals is many times slower. Every few steps
(``flush_every``) state entries below 1e-30 are set to zero: far below float32 rounding of any
update they take part in (eps is 1e-7), and never reached as a subnormal in between."""

from __future__ import annotations

import math

import numpy as np

from .registry import Registry

OPTIMIZERS: Registry[type["Optimizer"]] = Registry("optimizer")

FLUSH_BELOW = 1e-30
_SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)


class Optimizer:
    #: this optimizer's settings and their defaults (learning rate included); the spec allows exactly these
    defaults: dict = {}

    def __init__(self, size: int, dtype=np.float32, **settings):
        self.settings = {**self.defaults, **settings}
        self.dtype = np.dtype(dtype)
        self.iterations = 0
        self._scratch = np.empty(size, dtype=self.dtype)
        self.state: dict[str, np.ndarray] = {}
        decay = self.decay()
        self.flush_every = 0 if decay is None else max(
            1, int(math.log(FLUSH_BELOW / _SMALLEST_NORMAL) / -math.log(max(decay, 1e-6))))

    def decay(self) -> float | None:
        """The smallest factor any state entry is multiplied by in one step (None: no decaying state)."""
        return None

    def _zeros(self, name: str, fill: float = 0.0) -> np.ndarray:
        arr = np.full(self._scratch.shape, fill, dtype=self.dtype)
        self.state[name] = arr
        return arr

    def apply(self, w: np.ndarray, g: np.ndarray, lr: float) -> None:
        """Update ``w`` in place from gradient ``g`` (which may be overwritten) at rate ``lr``."""
        self.iterations += 1
        self._update(w, g, self.dtype.type(lr))
        if self.flush_every and self.iterations % self.flush_every == 0:
            for arr in self.state.values():
                np.copyto(arr, 0, where=np.abs(arr) < FLUSH_BELOW)

    def _update(self, w, g, lr):
        raise NotImplementedError

    def get_state(self) -> dict[str, np.ndarray]:
        return {"iterations": np.array(self.iterations), **{k: v.copy() for k, v in self.state.items()}}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.iterations = int(state["iterations"])
        for k, v in self.state.items():
            np.copyto(v, state[k])


@OPTIMIZERS.register("sgd", "gradient_descent")
class SGD(Optimizer):
    """Plain:    w <- w - lr g
    Momentum: v <- mu v - lr g;  w <- w + v
    Nesterov: v <- mu v - lr g;  w <- w + mu v - lr g"""

    defaults = {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.mu = self.dtype.type(self.settings["momentum"])
        if self.mu:
            self.v = self._zeros("velocity")

    def decay(self):
        return self.settings["momentum"] or None

    def _update(self, w, g, lr):
        g *= lr  # g now holds lr g
        if not self.mu:
            w -= g
            return
        v = self.v
        v *= self.mu
        v -= g
        if self.settings["nesterov"]:
            np.multiply(v, self.mu, out=self._scratch)
            self._scratch -= g
            w += self._scratch
        else:
            w += v


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """a <- a + g^2;  w <- w - lr g / sqrt(a + eps);  a starts at initial_accumulator_value."""

    defaults = {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.a = self._zeros("accumulator", self.settings["initial_accumulator_value"])

    def _update(self, w, g, lr):
        t = self._scratch
        np.multiply(g, g, out=t)
        self.a += t
        np.add(self.a, self.dtype.type(self.settings["epsilon"]), out=t)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= lr
        w -= t


@OPTIMIZERS.register("rmsprop", "rms_prop")
class RMSprop(Optimizer):
    """v <- rho v + (1 - rho) g^2
    without momentum: w <- w - lr g / sqrt(v + eps)
    with momentum:    m <- mu m + lr g / sqrt(v + eps);  w <- w - m"""

    defaults = {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7}

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.v = self._zeros("velocity")
        self.mu = self.dtype.type(self.settings["momentum"])
        if self.mu:
            self.m = self._zeros("momentum")
        self.one_minus_rho = self.dtype.type(1 - self.settings["rho"])
        self.eps = self.dtype.type(self.settings["epsilon"])

    def decay(self):
        return min(self.settings["rho"], self.settings["momentum"] or 1.0)

    def _update(self, w, g, lr):
        t, v = self._scratch, self.v
        # v += (1 - rho) (g^2 - v), which is rho v + (1 - rho) g^2
        np.multiply(g, g, out=t)
        t -= v
        t *= self.one_minus_rho
        v += t
        np.add(v, self.eps, out=t)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= lr
        if self.mu:
            self.m *= self.mu
            self.m += t
            w -= self.m
        else:
            w -= t


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """m <- m + (1 - b1)(g - m);  v <- v + (1 - b2)(g^2 - v)
    w <- w - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)   (bias-corrected)"""

    defaults = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.m = self._zeros("m")
        self.v = self._zeros("v")

    def decay(self):
        return min(self.settings["beta_1"], self.settings["beta_2"])

    def _update(self, w, g, lr):
        b1, b2, eps = self.settings["beta_1"], self.settings["beta_2"], self.settings["epsilon"]
        t_ = self.iterations
        alpha = self.dtype.type(lr * math.sqrt(1 - b2 ** t_) / (1 - b1 ** t_))
        t, m, v = self._scratch, self.m, self.v
        np.subtract(g, m, out=t)
        t *= self.dtype.type(1 - b1)
        m += t
        np.multiply(g, g, out=t)
        t -= v
        t *= self.dtype.type(1 - b2)
        v += t
        np.sqrt(v, out=t)
        t += self.dtype.type(eps)
        np.divide(m, t, out=t)
        t *= alpha
        w -= t


@OPTIMIZERS.register("adamax")
class Adamax(Optimizer):
    """m <- b1 m + (1 - b1) g;  u <- max(b2 u, |g|);  w <- w - lr / (1 - b1^t) * m / (u + eps)"""

    defaults = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.m = self._zeros("m")
        self.u = self._zeros("u")

    def decay(self):
        return min(self.settings["beta_1"], self.settings["beta_2"])

    def _update(self, w, g, lr):
        b1, b2, eps = self.settings["beta_1"], self.settings["beta_2"], self.settings["epsilon"]
        t, m, u = self._scratch, self.m, self.u
        np.subtract(g, m, out=t)
        t *= self.dtype.type(1 - b1)
        m += t
        u *= self.dtype.type(b2)
        np.abs(g, out=t)
        np.maximum(u, t, out=u)
        np.add(u, self.dtype.type(eps), out=t)
        np.divide(m, t, out=t)
        t *= self.dtype.type(lr / (1 - b1 ** self.iterations))
        w -= t


def make_optimizer(name: str, size: int, dtype=np.float32, **settings) -> Optimizer:
    return OPTIMIZERS.get(name)(size, dtype, **settings)
