"""NumPy layers: explicit forward and backward. Layers write gradients into the views they are
given and never update weights; buffers are kept per batch size so a step allocates little."""

from __future__ import annotations

import numpy as np

from ...nn.activations import make_activation


class Layer:
    """``params``/``grads`` map names to views into the model's flat vectors; ``state`` holds
    non-trainable arrays (batch-norm statistics)."""

    trainable = True

    def __init__(self, index: int, units: int):
        self.index = index
        self.units = units
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self._buffers: dict[tuple, np.ndarray] = {}

    def buffer(self, name: str, shape: tuple, dtype) -> np.ndarray:
        key = (name, shape)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = np.empty(shape, dtype=dtype)
        return buf

    def forward(self, x: np.ndarray, training: bool, update_stats: bool) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray, want_params: bool, want_input: bool, scale: float = 1.0) -> np.ndarray | None:
        """Gradient wrt the input (if ``want_input``); parameter gradients go to ``self.grads``.
        ``dout`` may carry a constant factor ``scale`` (see Dense)."""
        raise NotImplementedError

    def penalty(self) -> float:
        return 0.0


class Dense(Layer):
    """y = act(x W + b); W is (in, out). L1/L2 penalties on the kernel: l1 sum|W| + l2 sum W^2."""

    def __init__(self, index, spec, is_output: bool):
        super().__init__(index, spec.units)
        self.spec = spec
        self.activation = make_activation(spec.activation, spec.negative_slope)
        self.trainable = spec.trainable
        self.is_output = is_output
        self.l1, self.l2 = spec.l1, spec.l2
        self._ones: dict[int, np.ndarray] = {}

    def forward(self, x, training, update_stats):
        w, b = self.params["kernel"], self.params["bias"]
        z = self.buffer("z", (x.shape[0], self.units), w.dtype)
        np.dot(x, w, out=z)
        z += b
        self.x = x
        if self.is_output or self.activation.needs_z:  # the logits for a fused loss; z for GELU's derivative
            self.z = z
            self.a = self.activation.forward(z, out=self.buffer("a", z.shape, z.dtype))
        else:
            self.a = self.activation.forward(z, out=z)
        return self.a

    def backward(self, dout, want_params, want_input, dz_ready=False, scale=1.0):
        """``scale``: the factor the incoming gradient carries (the optimizer's gradient scale),
        applied to the penalty terms too."""
        dz = dout if dz_ready else self.activation.backward(
            self.a, dout, self.z if self.activation.needs_z else None)
        w = self.params["kernel"]
        if want_params:
            gw = self.grads["kernel"]
            np.dot(self.x.T, dz, out=gw)
            if self.l2:
                gw += (2 * self.l2 * scale) * w
            if self.l1:
                gw += (self.l1 * scale) * np.sign(w)
            ones = self._ones.get(len(dz))
            if ones is None:
                ones = self._ones[len(dz)] = np.ones(len(dz), dz.dtype)
            np.dot(ones, dz, out=self.grads["bias"])  # the column sums, as a GEMV (twice np.sum's speed)
        if not want_input:
            return None
        dx = self.buffer("dx", self.x.shape, w.dtype)
        return np.dot(dz, w.T, out=dx)

    def penalty(self):
        w = self.params["kernel"]
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.abs(w).sum(dtype=np.float64))
        if self.l2:
            total += self.l2 * float(np.dot(w.ravel(), w.ravel()))
        return total


class Dropout(Layer):
    """Inverted dropout: at training each unit is kept with probability 1 - rate and scaled by
    1 / (1 - rate); at evaluation the layer is the identity."""

    trainable = False

    def __init__(self, index, spec, units, rng: np.random.Generator):
        super().__init__(index, units)
        self.rate = spec.rate
        self.rng = rng

    def forward(self, x, training, update_stats):
        self.mask = None
        if not training or self.rate == 0:
            return x
        u = self.buffer("mask", x.shape, x.dtype)
        self.rng.random(dtype=u.dtype, out=u)
        keep = u >= self.rate
        np.multiply(keep, 1.0 / (1.0 - self.rate), out=u)
        self.mask = u
        out = self.buffer("out", x.shape, x.dtype)
        return np.multiply(x, u, out=out)

    def backward(self, dout, want_params, want_input, scale=1.0):
        if not want_input:
            return None
        if self.mask is None:
            return dout
        return np.multiply(dout, self.mask, out=self.buffer("dx", dout.shape, dout.dtype))


class BatchNorm(Layer):
    """y = gamma (x - mu) / sqrt(var + eps) + beta, with the batch's mean and (biased) variance in
    training and moving averages at evaluation: m <- momentum m + (1 - momentum) batch_stat.
    A frozen batch-norm layer always uses its moving averages (Keras's transfer-learning rule)."""

    def __init__(self, index, spec, units):
        super().__init__(index, units)
        self.momentum, self.eps = spec.momentum, spec.epsilon
        self.trainable = spec.trainable

    def forward(self, x, training, update_stats):
        gamma, beta = self.params["gamma"], self.params["beta"]
        self.batch_mode = training and self.trainable
        if self.batch_mode:
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            if update_stats:
                m = self.momentum
                mm, mv = self.state["moving_mean"], self.state["moving_variance"]
                mm *= m
                mm += (1 - m) * mean
                mv *= m
                mv += (1 - m) * var
        else:
            mean, var = self.state["moving_mean"], self.state["moving_variance"]
        self.inv_std = (1.0 / np.sqrt(var + self.eps)).astype(x.dtype)
        xhat = self.buffer("xhat", x.shape, x.dtype)
        np.subtract(x, mean, out=xhat)
        xhat *= self.inv_std
        self.xhat = xhat
        out = self.buffer("out", x.shape, x.dtype)
        np.multiply(xhat, gamma, out=out)
        out += beta
        return out

    def backward(self, dout, want_params, want_input, scale=1.0):
        xhat, gamma = self.xhat, self.params["gamma"]
        if want_params:
            np.einsum("ij,ij->j", dout, xhat, out=self.grads["gamma"])
            np.sum(dout, axis=0, out=self.grads["beta"])
        if not want_input:
            return None
        dx = self.buffer("dx", dout.shape, dout.dtype)
        if not self.batch_mode:  # statistics are constants
            return np.multiply(dout, gamma * self.inv_std, out=dx)
        # dx = inv_std / B * (B dxhat - sum(dxhat) - xhat sum(dxhat xhat)),  dxhat = dout gamma
        b = dout.shape[0]
        dxhat = np.multiply(dout, gamma, out=dx)
        s1 = dxhat.sum(axis=0)
        s2 = np.einsum("ij,ij->j", dxhat, xhat)
        dxhat *= b
        dxhat -= s1
        dxhat -= xhat * s2
        dxhat *= self.inv_std / b
        return dxhat
