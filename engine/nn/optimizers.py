"""Optimizers (NumPy), with Keras's formulas and defaults. Each works in place on one flat
vector holding every trainable parameter, so an update is a handful of whole-array operations,
split over two cores for large models (engine.parallel).

Decaying state (momentum, Adam's averages) drifts into float32 subnormals where gradients vanish,
and x86 arithmetic on subnormals is many times slower. Every ``flush_every`` steps, state entries
below 1e-30 are set to zero: far below float32 rounding of any update they take part in (eps is
1e-7), and never reached as a subnormal in between."""

from __future__ import annotations

import math

import numpy as np

from .. import names
from ..registry import Registry
from .parallel import split_run

OPTIMIZERS: Registry[type["Optimizer"]] = Registry.implementing(names.OPTIMIZERS)

FLUSH_BELOW = 1e-30
#: the update goes over the vectors in pieces of this many entries, each through all its passes
#: before the next: a piece of the weights, the gradient, the state and the scratch (512 KB each:
#: 2 MB for RMSprop, 2.5 for Adam) stays in the core's L2 from one pass to the next, where passes
#: over the whole vectors (2.7 MB each for the lecture model) each stream them from L3 or memory.
#: Smaller pieces cost more Python and, on two threads, more handing over of the GIL
BLOCK = 1 << 17
_SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)


class Optimizer:
    #: this optimizer's settings and their defaults (learning rate included), from engine.names
    defaults: dict = {}

    def __init__(self, size: int, dtype=np.float32, **settings):
        self.settings = {**self.defaults, **settings}
        self.dtype = np.dtype(dtype)
        self.size = size
        self.iterations = 0
        self._scratch = np.empty(size, dtype=self.dtype)
        self.state: dict[str, np.ndarray] = {}
        #: the weight tensors' places in the flat vector, for clipnorm (the model sets them)
        self.segments: list[tuple[int, int]] = [(0, size)]
        decay = self.decay()
        self.flush_every = 0 if decay is None else max(
            1, int(math.log(FLUSH_BELOW / _SMALLEST_NORMAL) / -math.log(max(decay, 1e-6))))

    def decay(self) -> float | None:
        """The smallest factor any state entry is multiplied by in one step (None: no decaying state)."""
        return None

    def _zeros(self, name: str, fill: float = 0.0) -> np.ndarray:
        arr = np.full(self.size, fill, dtype=self.dtype)
        self.state[name] = arr
        return arr

    def gradient_scale(self) -> float:
        """The factor this optimizer wants the next step's gradient multiplied by (the model
        scales its output delta, which costs nothing next to scaling every parameter's gradient)."""
        return 1.0

    def apply(self, w: np.ndarray, g: np.ndarray, lr: float, prescaled: bool = False) -> None:
        """Update ``w`` in place from gradient ``g`` (which may be overwritten) at rate ``lr``;
        ``prescaled``: ``g`` is already multiplied by :meth:`gradient_scale`."""
        k = self.gradient_scale()           # the factor g carries (or is given now)
        if not prescaled and k != 1.0:
            g *= self.dtype.type(k)
        s = self.settings
        if s.get("clipnorm") or s.get("global_clipnorm") or s.get("clipvalue"):
            self._clip(g, k)
        if s.get("weight_decay"):
            # decoupled weight decay, before the update as Keras applies it: w <- w - w wd lr
            w *= self.dtype.type(1.0 - s["weight_decay"] * float(lr))
        self.iterations += 1
        c = self._constants(float(lr))
        kernel, t, block = self._kernel, self._scratch, BLOCK

        def run(lo: int, hi: int) -> None:     # one thread's share, piece by piece
            for a in range(lo, hi, block):
                b = min(hi, a + block)
                kernel(w[a:b], g[a:b], t[lo:lo + b - a], a, b, *c)

        split_run(run, self.size)
        self._after_step()

    def _clip(self, g: np.ndarray, k: float) -> None:
        """Keras's clipping of the gradient g / k (g carries the factor k): each weight tensor to
        norm clipnorm, or all of them together to global_clipnorm (g c / max(norm, c)); then
        every value into [-clipvalue, clipvalue]."""
        s = self.settings
        if s.get("clipnorm"):
            c = s["clipnorm"]
            for lo, hi in self.segments:
                part = g[lo:hi]
                norm = math.sqrt(float(np.dot(part, part))) / k
                if norm > c:
                    part *= self.dtype.type(c / norm)
        elif s.get("global_clipnorm"):
            c = s["global_clipnorm"]
            norm = math.sqrt(float(np.dot(g, g))) / k
            if norm > c:
                g *= self.dtype.type(c / norm)
        if s.get("clipvalue"):
            v = self.dtype.type(s["clipvalue"] * k)
            np.clip(g, -v, v, out=g)

    def _constants(self, lr: float) -> tuple:
        """Per-step scalars for the kernel, as float32 (or the model's dtype)."""
        return (self.dtype.type(lr),)

    def _kernel(self, w, g, t, lo, hi, *c) -> None:
        """The update on one slice [lo, hi) of the flat vectors; ``t`` is scratch."""
        raise NotImplementedError

    def _after_step(self) -> None:
        if self.flush_every and self.iterations % self.flush_every == 0:
            for arr in self.state.values():
                np.copyto(arr, 0, where=np.abs(arr) < FLUSH_BELOW)

    #: attributes besides the state arrays that the next step depends on (RMSprop's sigma, Nadam's
    #: product), kept by get_state so that a checkpoint continues bit for bit
    SCALARS: tuple[str, ...] = ()

    def get_state(self) -> dict[str, np.ndarray]:
        """Everything the next step depends on, as arrays (copies): the step count, the state
        vectors and the SCALARS (engine.checkpoint saves it)."""
        return {"iterations": np.array(self.iterations), **{k: v.copy() for k, v in self.state.items()},
                **{k: np.array(getattr(self, k)) for k in self.SCALARS}}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Go on from a :meth:`get_state` (of an optimizer of the same kind and size)."""
        missing = [k for k in ("iterations", *self.state, *self.SCALARS) if k not in state]
        if missing:
            raise KeyError(f"optimizer state: missing {', '.join(missing)}")
        for k, v in self.state.items():
            if np.shape(state[k]) != v.shape:
                raise ValueError(f"optimizer state {k}: shape {np.shape(state[k])}, expected {v.shape}")
        self.iterations = int(state["iterations"])
        for k, v in self.state.items():
            np.copyto(v, state[k], casting="same_kind")
        for k in self.SCALARS:
            setattr(self, k, float(state[k]))


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Plain:    w <- w - lr g
    Momentum: v <- mu v - lr g;  w <- w + v
    Nesterov: v <- mu v - lr g;  w <- w + mu v - lr g"""

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.mu = self.dtype.type(self.settings["momentum"])
        self.nesterov = bool(self.settings["nesterov"])
        if self.mu:
            self.v = self._zeros("velocity")

    def decay(self):
        return self.settings["momentum"] or None

    def _kernel(self, w, g, t, lo, hi, lr):
        g *= lr  # g now holds lr g
        if not self.mu:
            w -= g
            return
        v = self.v[lo:hi]
        v *= self.mu
        v -= g
        if self.nesterov:
            np.multiply(v, self.mu, out=t)
            t -= g
            w += t
        else:
            w += v


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """a <- a + g^2;  w <- w - lr g / sqrt(a + eps);  a starts at initial_accumulator_value."""

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.a = self._zeros("accumulator", self.settings["initial_accumulator_value"])
        self.eps = self.dtype.type(self.settings["epsilon"])

    def _kernel(self, w, g, t, lo, hi, lr):
        a = self.a[lo:hi]
        np.multiply(g, g, out=t)
        a += t
        np.add(a, self.eps, out=t)
        np.sqrt(t, out=t)
        np.divide(g, t, out=t)
        t *= lr
        w -= t


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """v <- rho v + (1 - rho) g^2
    without momentum: w <- w - lr g / sqrt(v + eps)
    with momentum:    m <- mu m + lr g / sqrt(v + eps);  w <- w - m

    The same numbers with fewer passes over memory: the state is kept as s = v / sigma, with the
    scalar sigma <- rho sigma each step (so the decay costs no pass), and gradients arrive scaled by
    k = sqrt((1 - rho) / sigma), so that s <- s + q^2 for q = k g, and lr g / sqrt(v + eps) equals
    lr / sqrt(1 - rho) * q / sqrt(s + eps / sigma). Whenever sigma falls below 1e-12 it is folded
    back into s (s <- sigma s, sigma <- 1), where entries below 1e-30 are flushed to zero."""

    RENORMALIZE_BELOW = 1e-12
    SCALARS = ("sigma",)      # the state "velocity" is s; v is velocity()

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.s = self._zeros("velocity")
        self.sigma = 1.0
        self.rho = float(self.settings["rho"])
        self.mu = self.dtype.type(self.settings["momentum"])
        if self.mu:
            self.m = self._zeros("momentum")

    def decay(self):
        return self.settings["momentum"] or None  # s itself never decays; see _after_step

    def velocity(self) -> np.ndarray:
        """v, the moving average of g^2, as Keras defines it."""
        return self.s * self.dtype.type(self.sigma)

    def gradient_scale(self) -> float:
        return math.sqrt((1.0 - self.rho) / (self.rho * self.sigma))

    def _constants(self, lr):
        sigma = self.rho * self.sigma
        return (self.dtype.type(lr / math.sqrt(1.0 - self.rho)), self.dtype.type(self.settings["epsilon"] / sigma))

    def _kernel(self, w, q, t, lo, hi, factor, eps_over_sigma):
        s = self.s[lo:hi]
        np.multiply(q, q, out=t)
        s += t
        np.add(s, eps_over_sigma, out=t)
        np.sqrt(t, out=t)
        np.divide(q, t, out=t)
        t *= factor
        if self.mu:
            m = self.m[lo:hi]
            m *= self.mu
            m += t
            w -= m
        else:
            w -= t

    def _after_step(self):
        self.sigma *= self.rho
        if self.sigma < self.RENORMALIZE_BELOW:
            self.s *= self.dtype.type(self.sigma)
            np.copyto(self.s, 0, where=self.s < FLUSH_BELOW)
            self.sigma = 1.0
        super()._after_step()

def _moments(m, v, g, t, one_minus_b1, one_minus_b2) -> None:
    """Adam's and Nadam's moment averages in place: m <- m + (1 - b1)(g - m), v <- v + (1 - b2)(g^2 - v)
    (``t`` is scratch)."""
    np.subtract(g, m, out=t)
    t *= one_minus_b1
    m += t
    np.multiply(g, g, out=t)
    t -= v
    t *= one_minus_b2
    v += t


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """m <- m + (1 - b1)(g - m);  v <- v + (1 - b2)(g^2 - v)
    w <- w - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)   (bias-corrected)"""

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.m = self._zeros("m")
        self.v = self._zeros("v")

    def decay(self):
        return min(self.settings["beta_1"], self.settings["beta_2"])

    def _constants(self, lr):
        b1, b2, t = self.settings["beta_1"], self.settings["beta_2"], self.iterations
        f = self.dtype.type
        return (f(lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)), f(1 - b1), f(1 - b2), f(self.settings["epsilon"]))

    def _kernel(self, w, g, t, lo, hi, alpha, one_minus_b1, one_minus_b2, eps):
        m, v = self.m[lo:hi], self.v[lo:hi]
        _moments(m, v, g, t, one_minus_b1, one_minus_b2)
        np.sqrt(v, out=t)
        t += eps
        np.divide(m, t, out=t)
        t *= alpha
        w -= t


@OPTIMIZERS.register("adamax")
class Adamax(Optimizer):
    """m <- b1 m + (1 - b1) g;  u <- max(b2 u, |g|);  w <- w - lr / (1 - b1^t) * m / (u + eps)"""

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.m = self._zeros("m")
        self.u = self._zeros("u")

    def decay(self):
        return min(self.settings["beta_1"], self.settings["beta_2"])

    def _constants(self, lr):
        b1, b2 = self.settings["beta_1"], self.settings["beta_2"]
        f = self.dtype.type
        return (f(lr / (1 - b1 ** self.iterations)), f(1 - b1), f(b2), f(self.settings["epsilon"]))

    def _kernel(self, w, g, t, lo, hi, alpha, one_minus_b1, b2, eps):
        m, u = self.m[lo:hi], self.u[lo:hi]
        np.subtract(g, m, out=t)
        t *= one_minus_b1
        m += t
        u *= b2
        np.abs(g, out=t)
        np.maximum(u, t, out=u)
        np.add(u, eps, out=t)
        np.divide(m, t, out=t)
        t *= alpha
        w -= t


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): the update is Adam's, and each
    step first takes w <- w - w weight_decay lr (weight_decay 0.004 unless set, Keras's)."""


@OPTIMIZERS.register("nadam")
class Nadam(Optimizer):
    """Adam with Nesterov momentum, Keras's rule (Dozat, with Keras's momentum schedule):
    u_t = b1 (1 - 0.5 * 0.96^t);  P_t = u_1 u_2 ... u_t
    m <- m + (1 - b1)(g - m);  v <- v + (1 - b2)(g^2 - v)
    m_hat = u_(t+1) m / (1 - P_t u_(t+1)) + (1 - u_t) g / (1 - P_t);  v_hat = v / (1 - b2^t)
    w <- w - lr m_hat / (sqrt(v_hat) + eps)"""

    SCALARS = ("u_product",)

    def __init__(self, size, dtype=np.float32, **settings):
        super().__init__(size, dtype, **settings)
        self.m = self._zeros("m")
        self.v = self._zeros("v")
        self.u_product = 1.0

    def decay(self):
        return min(self.settings["beta_1"], self.settings["beta_2"])

    def _constants(self, lr):
        b1, b2, t = self.settings["beta_1"], self.settings["beta_2"], self.iterations
        u_t, u_next = b1 * (1 - 0.5 * 0.96 ** t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
        self.u_product *= u_t                       # P_t (this step's, once per step)
        c_m = u_next / (1 - self.u_product * u_next)
        c_g = (1 - u_t) / (1 - self.u_product)
        f = self.dtype.type
        return (f(lr * c_m), f(c_g / c_m), f(1 - b1), f(1 - b2), f(1 / (1 - b2 ** t)), f(self.settings["epsilon"]))

    def _kernel(self, w, g, t, lo, hi, lr_c_m, g_over_m, one_minus_b1, one_minus_b2, v_scale, eps):
        m, v = self.m[lo:hi], self.v[lo:hi]
        _moments(m, v, g, t, one_minus_b1, one_minus_b2)
        np.multiply(v, v_scale, out=t)        # v_hat
        np.sqrt(t, out=t)
        t += eps
        g *= g_over_m                         # m_hat / c_m = m + (c_g / c_m) g, in g's place
        g += m
        np.divide(g, t, out=t)
        t *= lr_c_m
        w -= t

def make_optimizer(name: str, size: int, dtype=np.float32, **settings) -> Optimizer:
    return OPTIMIZERS.get(name)(size, dtype, **settings)
