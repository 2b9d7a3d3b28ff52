"""The layer plan both backends build from: each layer's index, kind and shapes, the seeded
initial weights (the same numbers for NumPy and MLX) and the Keras-like summary."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import SpecError
from ..memory import available_memory, gib
from ..spec import BatchNormSpec, DenseSpec, DropoutSpec, Experiment


@dataclass(frozen=True)
class LayerPlan:
    index: int
    spec: object
    fan_in: int
    units: int          # output width

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        if isinstance(self.spec, DenseSpec):
            return {"kernel": (self.fan_in, self.units), "bias": (self.units,)}
        if isinstance(self.spec, BatchNormSpec):
            n = self.fan_in
            return {"gamma": (n,), "beta": (n,), "moving_mean": (n,), "moving_variance": (n,)}
        return {}

    def trainable_names(self) -> tuple[str, ...]:
        if isinstance(self.spec, DenseSpec):
            return ("kernel", "bias") if self.spec.trainable else ()
        if isinstance(self.spec, BatchNormSpec):
            return ("gamma", "beta") if self.spec.trainable else ()
        return ()

    def gradient_names(self) -> tuple[str, ...]:
        """Weights that have a gradient (frozen or not): all but batch-norm statistics."""
        if isinstance(self.spec, DenseSpec):
            return ("kernel", "bias")
        if isinstance(self.spec, BatchNormSpec):
            return ("gamma", "beta")
        return ()


def plan_layers(model_spec, input_dim: int) -> list[LayerPlan]:
    plans, width = [], input_dim
    for i, layer in enumerate(model_spec.layers):
        units = layer.units if isinstance(layer, DenseSpec) else width
        plans.append(LayerPlan(i, layer, width, units))
        width = units
    return plans


def initial_weights(exp: Experiment, input_dim: int, dtype=None) -> dict:
    """Every weight (float32 unless ``dtype``), drawn layer by layer from one generator seeded by
    ``exp.seed``; the same numbers for every backend."""
    # NumPy loads here: the plan's shapes, summary and memory estimate (the builder's) need none
    import numpy as np

    from ..nn.initializers import initial_kernel

    dtype = dtype or np.float32
    rng = np.random.default_rng(exp.seed)
    out = {}
    for p in plan_layers(exp.model, input_dim):
        if isinstance(p.spec, DenseSpec):
            out[f"{p.index}.kernel"] = initial_kernel(p.spec.initializer, rng, p.fan_in, p.units,
                                                      p.spec.init_scale, dtype)
            out[f"{p.index}.bias"] = np.zeros(p.units, dtype=dtype)
        elif isinstance(p.spec, BatchNormSpec):
            out[f"{p.index}.gamma"] = np.ones(p.fan_in, dtype=dtype)
            out[f"{p.index}.beta"] = np.zeros(p.fan_in, dtype=dtype)
            out[f"{p.index}.moving_mean"] = np.zeros(p.fan_in, dtype=dtype)
            out[f"{p.index}.moving_variance"] = np.ones(p.fan_in, dtype=dtype)
    return out


def summary_rows(exp: Experiment, input_dim: int) -> list[dict]:
    """One row per layer: index, name, output shape, parameters, trainable parameters."""
    return layer_rows(exp.model.layers, input_dim)


def layer_rows(layers, input_dim: int | None) -> list[dict]:
    """The summary's rows for layers of which some may be unknown (None: a draft's layer that does
    not parse): such a layer's figures are None, and so is every width after it that depends on
    it (a dense layer after it knows its output, not its parameters)."""
    rows = [{"index": None, "layer": "Input", "output_shape": (None, input_dim), "params": 0, "trainable": 0}]
    width = input_dim
    for i, spec in enumerate(layers):
        if spec is None:
            rows.append({"index": i, "layer": "?", "output_shape": (None, None), "params": None, "trainable": None})
            width = None
            continue
        units = spec.units if isinstance(spec, DenseSpec) else width
        if width is None:
            rows.append({"index": i, "layer": _name(spec), "output_shape": (None, units), "params": None,
                         "trainable": None})
            width = units
            continue
        p = LayerPlan(i, spec, width, units)
        shapes = p.weight_shapes()
        params = sum(math.prod(s) for s in shapes.values())
        trainable = sum(math.prod(shapes[n]) for n in p.trainable_names())
        rows.append({"index": i, "layer": _name(spec), "output_shape": (None, units), "params": params,
                     "trainable": trainable})
        width = units
    return rows


def _name(spec) -> str:
    if isinstance(spec, DenseSpec):
        return f"Dense {spec.activation}" + ("" if spec.trainable else " (frozen)")
    if isinstance(spec, DropoutSpec):
        return f"Dropout {spec.rate:g}"
    return "BatchNorm" + ("" if spec.trainable else " (frozen)")


def summary_text(exp: Experiment, input_dim: int) -> str:
    rows = summary_rows(exp, input_dim)
    lines = [f"{'#':>3}  {'Layer':<24}{'Output shape':<16}{'Params':>12}", "-" * 55]
    for r in rows:
        idx = "" if r["index"] is None else str(r["index"])
        lines.append(f"{idx:>3}  {r['layer']:<24}{str(r['output_shape']):<16}{r['params']:>12,}")
    total = sum(r["params"] for r in rows)
    trainable = sum(r["trainable"] for r in rows)
    lines += ["-" * 55, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}"]
    return "\n".join(lines)


# -- saving and loading ----------------------------------------------------------------------


#: optimizer state arrays per trained weight (Keras's slots); SGD keeps a velocity only with momentum
OPTIMIZER_SLOTS = {"sgd": 1, "adagrad": 1, "rmsprop": 1, "adam": 2, "adamax": 2, "adamw": 2, "nadam": 2}


def model_memory(exp: Experiment, input_dim: int, itemsize: int = 4) -> tuple[int, int, int]:
    """(bytes, parameters, index of the largest dense layer) that training ``exp`` needs: weights,
    gradients, optimizer state and the best weights kept for early stopping, the float64 draw of
    the largest initial kernel, and a batch's activations forward and back."""
    plans = plan_layers(exp.model, input_dim)
    sizes = [sum(math.prod(shape) for shape in p.weight_shapes().values()) for p in plans]
    params = sum(sizes)
    biggest_i = max((p.index for p in plans if isinstance(p.spec, DenseSpec)), key=lambda i: sizes[i])   # has units
    slots = OPTIMIZER_SLOTS.get(exp.optimizer.name, 2)
    if exp.optimizer.name == "sgd" and not exp.optimizer.momentum:
        slots = 0
    best = int(exp.early_stopping is not None and exp.early_stopping.restore_best_weights)
    copies = 2 + slots + best
    widths = input_dim + sum(p.units for p in plans if isinstance(p.spec, DenseSpec))
    activations = 4 * max(exp.train.batch_size, 512) * widths
    return params * itemsize * copies + sizes[biggest_i] * 8 + activations * itemsize, params, biggest_i


def check_model_fits(exp: Experiment, input_dim: int, itemsize: int = 4) -> None:
    """SpecError naming the largest layer when training the model cannot fit in the memory available."""
    need, params, i = model_memory(exp, input_dim, itemsize)
    free = available_memory()
    if need > free:
        raise SpecError(f"model.layers[{i}].units",
                        f"the model has {params:,} parameters and training it needs about {gib(need)} of memory "
                        f"(weights, gradients, {exp.optimizer.name} state); this machine has {gib(free)} "
                        "available. Use fewer units")
