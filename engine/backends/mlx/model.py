"""The MLX backend: the same models as the NumPy backend, gradients by autodiff, the whole
training step (forward, loss with penalties, backward, optimizer update, dropout's random key,
batch-norm statistics) compiled with mx.compile.

All MLX arrays are created where the model is built: build it in the thread that trains (the
trainer does). The random key is an input and an output of the compiled step, so dropout draws
fresh masks every step in any thread; the last partial batch compiles once (MLX caches each input
shape) and is reused every epoch."""

from __future__ import annotations

import mlx.core as mx
import numpy as np

from ...nn import losses as L
from ...spec import Experiment
from ..plan import initial_weights
from ..protocol import ModelBase
from . import ops
from .optimizers import init_state, update

EVAL_CHUNK = 4096
#: on a GPU, steps queued between two synchronisations with the host: the loss and the correct
#: count are summed on the device and read every DEFER_GPU steps (and at each progress event)
DEFER_GPU = 16


def _device():
    return mx.gpu if mx.is_available(mx.gpu) else mx.cpu


class MlxModel(ModelBase):
    backend = "mlx"
    EVAL_CHUNK = EVAL_CHUNK

    def __init__(self, exp: Experiment, input_dim: int, dtype=np.float32, compiled: bool = True,
                 defer: int | None = None):
        if np.dtype(dtype) != np.float32:
            raise ValueError("the mlx backend computes in float32")
        self._common(exp, input_dim, np.float32)
        self.mx_device = _device()
        mx.set_default_device(self.mx_device)
        self.device = "gpu" if self.mx_device == mx.gpu else "cpu"
        self.plan = ops.Plan.of(exp)
        self.trainable_keys = [f"{p.index}.{n}" for p in self.plans for n in p.trainable_names()]
        self.frozen_keys = [f"{p.index}.{n}" for p in self.plans for n in p.gradient_names()
                            if n not in p.trainable_names()]
        self.stat_keys = [f"{p.index}.{n}" for p in self.plans for n in ("moving_mean", "moving_variance")
                          if n in p.weight_shapes()]
        opt = exp.optimizer
        self.opt_name, self.opt_settings = opt.name, opt.hyperparameters()
        self.key = mx.random.key(exp.seed + 1)
        self.iterations = 0
        self.set_weights(initial_weights(exp, input_dim))
        self.opt_state = init_state(self.opt_name, self.opt_settings, self.trainable)
        self.compiled = compiled
        self.traces = 0
        self._step = mx.compile(self._step_fn) if compiled else self._step_fn
        # defer: queued steps per host synchronisation (default: DEFER_GPU on a GPU, none on a CPU,
        # where the host and the device are the same cores); tests set it to check the path on a CPU
        self.defer = (DEFER_GPU if self.device == "gpu" else 0) if defer is None else int(defer)
        self._data: tuple | None = None
        self._window: tuple | None = None
        self._queued = 0
        self._alive = mx.array(True)

    # -- the step ---------------------------------------------------------------------------------

    class_weights = None      # an array per class, set by the trainer (read when the step is traced)

    def set_class_weights(self, weights) -> None:
        self.class_weights = None if weights is None else mx.array(np.asarray(weights, dtype=np.float32))
        self._step = mx.compile(self._step_fn) if self.compiled else self._step_fn   # traced anew with them

    def _loss_fn(self, trainable, frozen, stats, key, x, t):
        out, logits, new_stats = ops.forward(self.plan, trainable, frozen, stats, x, True, key)
        loss = ops.data_loss(self.plan, out, logits, t, self.class_weights) + ops.penalty(self.plan, trainable, frozen)
        return loss, out, new_stats

    def _step_fn(self, trainable, frozen, stats, opt_state, key, x, t, lr, step, alive):
        self.traces += 1  # compiled: this Python body runs only when MLX traces a new input shape
        key, sub = mx.random.split(key)
        (loss, out, new_stats), grads = mx.value_and_grad(self._loss_fn)(trainable, frozen, stats, sub, x, t)
        # A non-finite loss leaves everything as it was (the trainer then reports divergence), and
        # so does every step queued after one (``alive`` false), until the host has looked.
        go = mx.logical_and(mx.isfinite(loss), alive)
        new_params, new_opt = update(self.opt_name, self.opt_settings, trainable, grads, opt_state, lr, step)
        keep = lambda new, old: {k: mx.where(go, new[k], old[k]) for k in old}  # noqa: E731
        new_params = keep(new_params, trainable)
        new_opt = {name: keep(new_opt[name], opt_state[name]) for name in opt_state}
        stats = {**stats, **keep(new_stats, {k: stats[k] for k in new_stats})}
        return loss, ops.correct(self.plan, out, t), new_params, stats, new_opt, key, go

    def train_step(self, x, y, lr: float) -> tuple[float, int]:
        """One optimizer step on a batch: (loss with penalties, correct predictions). A non-finite
        loss is returned without touching the weights."""
        x = mx.array(np.asarray(x, dtype=np.float32))
        t = mx.array(self._targets(y))
        loss, ok, params, stats, opt_state, key, _ = self._step(
            self.trainable, self.frozen, self.stats, self.opt_state, self.key, x, t,
            mx.array(lr, dtype=mx.float32), mx.array(self.iterations + 1, dtype=mx.float32), self._alive)
        loss_value = float(loss.item())
        self.key = key
        if np.isfinite(loss_value):
            self.trainable, self.stats, self.opt_state = params, stats, opt_state
            self.iterations += 1
        return loss_value, int(ok.item()) if self.loss in L.CLASSIFICATION else 0

    # -- queued steps (a GPU): the training set on the device, the host synchronising every few ----

    def put_training_data(self, x, y) -> None:
        """The training set on the device, once a run: each queued step gathers its batch there."""
        self._data = (mx.array(np.asarray(x, dtype=np.float32)), mx.array(self._targets(y)))
        self._window = None

    def queue_step(self, rows, lr: float) -> None:
        """One step on ``rows`` (a slice or an index array) of the training set put on the device,
        without waiting for it: the loss and the correct count are added up on the device for the
        next :meth:`flush`. After a non-finite loss the queued steps change nothing."""
        dx, dt = self._data
        if isinstance(rows, slice):
            x, t = dx[rows], dt[rows]
        else:
            index = mx.array(np.asarray(rows, dtype=np.uint32))
            x, t = mx.take(dx, index, axis=0), mx.take(dt, index, axis=0)
        if self._window is None:
            zero = mx.array(0.0, dtype=mx.float32)
            self._window = (zero, mx.array(0, dtype=mx.int32), mx.array(True), mx.array(0, dtype=mx.int32), zero)
        loss_sum, right, alive, good, bad = self._window
        loss, ok, params, stats, opt_state, key, go = self._step(
            self.trainable, self.frozen, self.stats, self.opt_state, self.key, x, t,
            mx.array(lr, dtype=mx.float32), mx.array(self.iterations + 1, dtype=mx.float32), alive)
        self.trainable, self.stats, self.opt_state, self.key = params, stats, opt_state, key
        self.iterations += 1
        self._queued += 1
        n = x.shape[0]
        self._window = (loss_sum + mx.where(go, loss * n, 0.0), right + mx.where(go, ok, 0).astype(mx.int32), go,
                        good + go.astype(mx.int32), mx.where(mx.logical_and(alive, mx.logical_not(go)), loss, bad))
        mx.async_eval(self._window, self.trainable, self.opt_state, self.stats, self.key)  # the device starts now

    def flush(self) -> tuple[float, int, int, float]:
        """Wait for the queued steps: (sum of loss x batch size, correct predictions, steps that
        ran before the first non-finite loss, that loss or 0), and start a new window."""
        if self._window is None:
            return 0.0, 0, 0, 0.0
        loss_sum, right, _alive, good, bad = self._window
        self._window = None
        mx.eval(loss_sum, right, good, bad)
        good_steps = int(good.item())
        self.iterations -= self._queued - good_steps     # the steps after a non-finite loss did nothing
        self._queued = 0
        return float(loss_sum.item()), int(right.item()), good_steps, float(bad.item())

    # -- the protocol the trainer and scripts use --------------------------------------------------

    def get_weights(self) -> dict[str, np.ndarray]:
        arrays = {**self.trainable, **self.frozen, **self.stats}
        mx.eval(arrays)
        return {k: np.array(arrays[k]) for k in sorted(arrays, key=_order)}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        expected = {f"{p.index}.{n}": s for p in self.plans for n, s in p.weight_shapes().items()}
        for key, shape in expected.items():
            if key not in weights:
                raise KeyError(f"set_weights: missing {key!r}")
            if tuple(np.shape(weights[key])) != tuple(shape):
                raise ValueError(f"set_weights: {key} has shape {np.shape(weights[key])}, expected {shape}")
        conv = lambda keys: {k: mx.array(np.asarray(weights[k], dtype=np.float32)) for k in keys}  # noqa: E731
        self.trainable, self.frozen, self.stats = conv(self.trainable_keys), conv(self.frozen_keys), conv(self.stat_keys)

    def get_training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """What training goes on from besides the weights, for a checkpoint: (the optimizer's
        state and the dropout key as arrays, the step count)."""
        mx.eval(self.opt_state, self.key)
        arrays = {f"{slot}/{k}": np.array(v) for slot, values in self.opt_state.items() for k, v in values.items()}
        arrays["key"] = np.array(self.key)
        return arrays, {"iterations": self.iterations}

    def set_training_state(self, arrays: dict[str, np.ndarray], info: dict) -> None:
        """Go on from :meth:`get_training_state`'s values (of a model of the same experiment)."""
        state = {}
        for slot, values in self.opt_state.items():
            state[slot] = {}
            for k, v in values.items():
                saved = arrays.get(f"{slot}/{k}")
                if saved is None:
                    raise KeyError(f"optimizer state: missing {slot}/{k}")
                if tuple(saved.shape) != tuple(v.shape):
                    raise ValueError(f"optimizer state {slot}/{k}: shape {saved.shape}, expected {tuple(v.shape)}")
                state[slot][k] = mx.array(saved.astype(np.float32))
        if "key" not in arrays:
            raise KeyError("optimizer state: missing key")
        self.opt_state, self.key = state, mx.array(arrays["key"])
        self.iterations = int(info["iterations"])

    def count_params(self) -> tuple[int, int]:
        total = sum(int(np.prod(s)) for p in self.plans for s in p.weight_shapes().values())
        return total, sum(int(v.size) for v in self.trainable.values())

    def weights_finite(self) -> bool:
        return all(bool(mx.all(mx.isfinite(v)).item()) for v in self.trainable.values())

    def loss_and_gradients(self, x, y) -> tuple[float, dict[str, np.ndarray]]:
        """Loss (penalties included) and the gradient of every weight that has one, frozen too, in
        training mode, without changing any state but the dropout key."""
        x = mx.array(np.asarray(x, dtype=np.float32))
        t = mx.array(self._targets(y))
        self.key, sub = mx.random.split(self.key)
        params = {**self.trainable, **self.frozen}

        def fn(p):
            return self._loss_fn(p, {}, self.stats, sub, x, t)[0]

        loss, grads = mx.value_and_grad(fn)(params)
        mx.eval(loss, grads)
        return float(loss.item()), {k: np.array(grads[k]) for k in sorted(grads, key=_order)}

    def _forward_eval(self, x):
        return ops.forward(self.plan, self.trainable, self.frozen, self.stats, x, False)

    def _predict_chunk(self, x: np.ndarray) -> np.ndarray:
        return np.array(self._forward_eval(mx.array(x))[0])

    def _eval_chunk(self, x, y, keep: bool) -> tuple[np.ndarray | None, float, int, float]:
        t = mx.array(self._targets(y))
        out, logits, _ = self._forward_eval(mx.array(x))
        loss = float(ops.data_loss(self.plan, out, logits, t).item())
        kept = np.array(out) if keep else None
        if self.loss in L.CLASSIFICATION:
            return kept, loss, int(ops.correct(self.plan, out, t).item()), 0.0
        return kept, loss, 0, float(mx.mean(mx.abs(out - t)).item())

    def _penalty_value(self) -> float:
        return float(ops.penalty(self.plan, self.trainable, self.frozen).item())

    def describe_device(self) -> str:
        return f"mlx {mx.__version__}, {self.device}"


def _order(key: str):
    index, name = key.split(".", 1)
    return int(index), name
