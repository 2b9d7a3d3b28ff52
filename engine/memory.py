"""What fits: the memory this machine can still give, and what a model needs, checked before
anything is allocated so that a model too large is refused with figures instead of a
MemoryError or the kernel's out-of-memory killer."""

from __future__ import annotations

from .errors import SpecError

#: state arrays per parameter, by optimizer (Keras's slots): SGD's velocity only with momentum
OPTIMIZER_SLOTS = {"sgd": 1, "adagrad": 1, "rmsprop": 1, "adam": 2, "adamax": 2}


def available_memory() -> int:
    """Bytes this machine can still give (psutil); a huge figure where it cannot tell."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001  psutil missing or unsupported here: do not refuse
        return 1 << 62


def gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:,.1f} GiB"


def model_memory(exp, input_dim: int, itemsize: int = 4) -> tuple[int, int, int]:
    """(bytes, parameters, index of the largest dense layer) that training ``exp`` needs for its
    weights: weights, gradients, optimizer state, the best weights kept for early stopping, the
    float64 draw of the largest initial kernel, and a batch's activations forward and back."""
    params, biggest, biggest_i, width, units = 0, 0, -1, input_dim, []
    for i, layer in enumerate(exp.model.layers):
        if layer.type == "dense":
            n = width * layer.units + layer.units
            if n > biggest:
                biggest, biggest_i = n, i
            params += n
            width = layer.units
            units.append(layer.units)
        elif layer.type == "batchnorm":
            params += 4 * width
    slots = OPTIMIZER_SLOTS.get(exp.optimizer.name, 2)
    if exp.optimizer.name == "sgd" and not (exp.optimizer.momentum or 0):
        slots = 0
    best = 1 if exp.early_stopping is not None and exp.early_stopping.restore_best_weights else 0
    copies = 2 + slots + best                      # weights, gradients, state, best weights
    activations = 4 * max(exp.train.batch_size, 512) * (input_dim + sum(units))
    return params * itemsize * copies + biggest * 8 + activations * itemsize, params, biggest_i


def check_model_fits(exp, input_dim: int, itemsize: int = 4) -> None:
    """SpecError naming the largest layer when the model cannot fit in the available memory."""
    need, params, i = model_memory(exp, input_dim, itemsize)
    free = available_memory()
    if need > free:
        raise SpecError(f"model.layers[{i}].units",
                        f"the model has {params:,} parameters and training it needs about {gib(need)} of memory "
                        f"(weights, gradients, {exp.optimizer.name} state); this machine has {gib(free)} "
                        "available. Use fewer units")
