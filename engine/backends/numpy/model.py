"""The NumPy backend: an MLP with hand-written backpropagation.

Every trainable parameter is a view into one flat vector (and its gradient a view into another),
so the optimizer updates the whole model with a few whole-array operations; frozen parameters live
in a second pair of vectors the optimizer never sees."""

from __future__ import annotations

import numpy as np

from ...nn import losses as L
from ...nn.optimizers import make_optimizer
from ...spec import BatchNormSpec, DenseSpec, Experiment
from ..plan import LayerPlan, initial_weights
from ..protocol import ModelBase
from .layers import BatchNorm, Dense, Dropout, Layer

EVAL_CHUNK = 2048


class NumpyModel(ModelBase):
    backend = "numpy"
    device = "cpu"
    EVAL_CHUNK = EVAL_CHUNK

    def __init__(self, exp: Experiment, input_dim: int, dtype=np.float32):
        self._common(exp, input_dim, dtype)
        self.plans: list[LayerPlan]
        self.dropout_rng = dropout_rng = np.random.default_rng([exp.seed, 1])
        last = len(self.plans) - 1
        self.layers: list[Layer] = []
        for p in self.plans:
            if isinstance(p.spec, DenseSpec):
                self.layers.append(Dense(p.index, p.spec, is_output=p.index == last))
            elif isinstance(p.spec, BatchNormSpec):
                self.layers.append(BatchNorm(p.index, p.spec, p.units))
            else:
                self.layers.append(Dropout(p.index, p.spec, p.units, dropout_rng))
        self.output = self.layers[-1]
        self.fused = L.fused(self.loss, exp.model.output.activation)
        self._allocate()
        opt = exp.optimizer
        self.optimizer = make_optimizer(opt.name, self.trainable_flat.size, self.dtype, **opt.hyperparameters())
        self.optimizer.segments = self.trainable_segments      # clipnorm clips each weight tensor
        # A layer needs its input gradient only if some layer below it has trainable weights.
        below = False
        self.needs_input_grad = []
        for p in self.plans:
            self.needs_input_grad.append(below)
            below = below or bool(p.trainable_names())
        self.set_weights(initial_weights(exp, input_dim, self.dtype))

    # -- storage --------------------------------------------------------------------------------

    def _allocate(self) -> None:
        sizes = {True: 0, False: 0}
        for p in self.plans:
            for name in p.gradient_names():
                sizes[name in p.trainable_names()] += int(np.prod(p.weight_shapes()[name]))
        self.trainable_flat = np.zeros(sizes[True], self.dtype)
        self.trainable_grad = np.zeros(sizes[True], self.dtype)
        self.frozen_flat = np.zeros(sizes[False], self.dtype)
        self.frozen_grad = np.zeros(sizes[False], self.dtype)
        offsets = {True: 0, False: 0}
        self.trainable_segments: list[tuple[int, int]] = []
        for p, layer in zip(self.plans, self.layers):
            shapes = p.weight_shapes()
            for name in p.gradient_names():
                t = name in p.trainable_names()
                n = int(np.prod(shapes[name]))
                o = offsets[t]
                flat, grad = (self.trainable_flat, self.trainable_grad) if t else (self.frozen_flat, self.frozen_grad)
                layer.params[name] = flat[o:o + n].reshape(shapes[name])
                layer.grads[name] = grad[o:o + n].reshape(shapes[name])
                if t:
                    self.trainable_segments.append((o, o + n))
                offsets[t] += n
            for name in ("moving_mean", "moving_variance"):
                if name in shapes:
                    layer.state[name] = np.zeros(shapes[name], self.dtype)

    def get_weights(self) -> dict[str, np.ndarray]:
        out = {}
        for layer in self.layers:
            for name, arr in {**layer.params, **layer.state}.items():
                out[f"{layer.index}.{name}"] = arr.copy()
        return out

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        for layer in self.layers:
            for name, arr in {**layer.params, **layer.state}.items():
                key = f"{layer.index}.{name}"
                if key not in weights:
                    raise KeyError(f"set_weights: missing {key!r}")
                value = np.asarray(weights[key])
                if value.shape != arr.shape:
                    raise ValueError(f"set_weights: {key} has shape {value.shape}, expected {arr.shape}")
                np.copyto(arr, value, casting="same_kind")

    def get_training_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """What training goes on from besides the weights, for a checkpoint: (the optimizer's
        state as arrays, the dropout generator's state as JSON-able values)."""
        return self.optimizer.get_state(), {"dropout_rng": self.dropout_rng.bit_generator.state}

    def set_training_state(self, arrays: dict[str, np.ndarray], info: dict) -> None:
        """Go on from :meth:`get_training_state`'s values (of a model of the same experiment)."""
        self.optimizer.set_state(arrays)
        self.dropout_rng.bit_generator.state = info["dropout_rng"]

    def count_params(self) -> tuple[int, int]:
        """(total, trainable)"""
        w = self.get_weights()
        total = sum(v.size for v in w.values())
        return total, int(self.trainable_flat.size)

    def weights_finite(self) -> bool:
        return bool(np.isfinite(self.trainable_flat).all())

    # -- computation ----------------------------------------------------------------------------

    def _forward(self, x: np.ndarray, training: bool, update_stats: bool = False) -> np.ndarray:
        a = x
        for layer in self.layers:
            a = layer.forward(a, training, update_stats)
        return a

    def _loss(self, out: np.ndarray, t: np.ndarray, grad: np.ndarray | None) -> float:
        if self.fused:
            act = self.output.activation
            lse = act.log_sum_exp() if hasattr(act, "log_sum_exp") else None
            return L.loss_from_logits(self.loss, self.output.z, t, out, grad, lse)
        return L.loss_from_outputs(self.loss, out, t, grad)

    def _penalty(self) -> float:
        return sum(layer.penalty() for layer in self.layers)

    def _backward(self, dlast: np.ndarray, all_params: bool, scale: float = 1.0) -> None:
        d = dlast
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            want_params = all_params or layer.trainable
            want_input = self.needs_input_grad[i] or (all_params and i > 0)
            if isinstance(layer, Dense) and layer.is_output:
                d = layer.backward(d, want_params, want_input, dz_ready=self.fused, scale=scale)
            else:
                d = layer.backward(d, want_params, want_input, scale=scale)
            if d is None:
                break

    def _as_input(self, x) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype != self.dtype or not x.flags.c_contiguous:
            x = np.ascontiguousarray(x, dtype=self.dtype)
        return x

    _as_array = _as_input

    class_weights: np.ndarray | None = None   # per class, set by the trainer from train.class_weight

    def set_class_weights(self, weights) -> None:
        self.class_weights = None if weights is None else np.asarray(weights, dtype=self.dtype)

    def _weigh(self, out, t, y, grad, value: float) -> float:
        """With class weights, the batch's loss is the mean of each sample's loss times its
        class's weight, and each sample's gradient row is scaled by it (rows are independent)."""
        if self.class_weights is None:
            return value
        sw = self.class_weights[L.labels_of(self.loss, y)]
        if grad is not None:
            grad *= sw[:, None]
        rows = L.per_row(self.loss, self.fused, getattr(self.output, "z", out), out, t)
        return float(np.mean(sw * rows))

    def train_step(self, x: np.ndarray, y: np.ndarray, lr: float) -> tuple[float, int]:
        """One optimizer step on a batch: returns (loss with penalties, correct predictions). A
        non-finite loss is returned without touching the weights."""
        x = self._as_input(x)
        out = self._forward(x, training=True, update_stats=True)
        t = self._targets(y)
        grad = self.output.buffer("dlast", out.shape, self.dtype)
        loss = self._weigh(out, t, y, grad, self._loss(out, t, grad)) + self._penalty()
        correct = L.correct_count(self.loss, out, y) if self.loss in L.CLASSIFICATION else 0
        if not np.isfinite(loss):
            return loss, correct
        # Gradients are linear in the output delta: scaling it (a batch x classes array) gives the
        # optimizer the gradient scale it asks for without a pass over every parameter.
        k = self.optimizer.gradient_scale()
        if k != 1.0:
            grad *= self.dtype.type(k)
        self._backward(grad, all_params=False, scale=k)
        self.optimizer.apply(self.trainable_flat, self.trainable_grad, lr, prescaled=True)
        return loss, correct

    def loss_and_gradients(self, x, y) -> tuple[float, dict[str, np.ndarray]]:
        """Loss (penalties included) and the gradient of every weight that has one, in training
        mode (dropout active, batch statistics), without changing any state but dropout's draws."""
        x = self._as_input(x)
        out = self._forward(x, training=True, update_stats=False)
        grad = np.empty_like(out)
        t = self._targets(y)
        loss = self._weigh(out, t, y, grad, self._loss(out, t, grad)) + self._penalty()
        self._backward(grad, all_params=True)
        grads = {}
        for layer in self.layers:
            for name, g in layer.grads.items():
                grads[f"{layer.index}.{name}"] = g.copy()
        return loss, grads

    def _predict_chunk(self, x: np.ndarray) -> np.ndarray:
        return self._forward(x, training=False).copy()

    def _eval_chunk(self, x, y, keep: bool) -> tuple[np.ndarray | None, float, int, float]:
        out = self._forward(x, training=False)
        t = self._targets(y)
        loss = self._loss(out, t, None)
        kept = out.copy() if keep else None     # the forward pass reuses its buffers
        if self.loss in L.CLASSIFICATION:
            return kept, loss, L.correct_count(self.loss, out, y), 0.0
        return kept, loss, 0, float(np.abs(out - t).mean())

    def _penalty_value(self) -> float:
        return self._penalty()
