"""Advice drawn from the classic material, shown only where it applies: each item is one fact
about the current experiment and its consequence."""

from __future__ import annotations

from dataclasses import dataclass

from .backends.plan import model_memory
from .data.cache import cache_root, is_cached
from .data.catalog import DOWNLOAD_MB
from .memory import available_memory, gib
from .names import OPTIMIZERS
from .spec import DenseSpec

#: learning rates above these are very large for the optimizer (Keras's defaults are 10-100x lower)
LARGE_LR = {"sgd": 1.0, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.01, "adamax": 0.02, "adamw": 0.01, "nadam": 0.01}


@dataclass(frozen=True)
class Advice:
    level: str          # "warning" | "info"
    text: str
    layer: int | None = None
    fix: str | None = None      # an action a front end can offer: "match_output" (the app binds it to o)


def advise(exp, n_classes: int | None = None, task: str | None = None,
           n_features: int | None = None) -> list[Advice]:
    out: list[Advice] = _resources(exp, n_features)
    layers = exp.model.layers
    dense = [(i, layer) for i, layer in enumerate(layers) if isinstance(layer, DenseSpec)]
    hidden = dense[:-1]
    for i, layer in dense:
        if layer.initializer == "zeros" or (layer.initializer == "constant" and i != dense[-1][0]):
            out.append(Advice("warning", f"Layer {i}: {layer.initializer} initialization gives every unit the same "
                              "weights and the same gradient, so the units stay identical (symmetry is never "
                              "broken). Use he_normal (ReLU) or glorot_uniform.", i))
    saturating = [i for i, layer in hidden if layer.activation in ("sigmoid", "tanh")]
    if len(saturating) >= 3:
        out.append(Advice("warning", f"{len(saturating)} sigmoid/tanh hidden layers: their derivatives are at most "
                          "0.25 / 1 and shrink the gradient layer by layer (vanishing gradients). ReLU with "
                          "he_normal, or batch norm, keeps it alive.", saturating[0]))
    selu = [i for i, layer in hidden if layer.activation == "selu" and layer.initializer != "lecun_normal"]
    if selu:
        out.append(Advice("info", f"Layer {selu[0]}: selu self-normalises only with lecun_normal weights "
                          f"(Klambauer et al.); {len(selu)} selu layer{'s' if len(selu) > 1 else ''} use another "
                          "initializer.", selu[0]))
    if n_classes and task != "regression":
        for i, layer in hidden:
            if layer.units < n_classes:
                out.append(Advice("warning", f"Layer {i}: {layer.units} units < {n_classes} classes: an information "
                                  "bottleneck; the classes must be told apart through fewer numbers than there "
                                  "are classes, and the loss stays high.", i))
    out_layer = exp.model.output
    loss = exp.model.loss
    last = len(layers) - 1
    if loss == "binary_crossentropy" and out_layer.activation == "softmax":
        out.append(Advice("warning", "Softmax with binary cross-entropy: a softmax over one unit is always 1. Use "
                          "one sigmoid unit, or softmax with categorical cross-entropy.", last))
    if loss in ("sparse_categorical_crossentropy", "categorical_crossentropy") and out_layer.activation == "sigmoid" \
            and out_layer.units > 2:
        out.append(Advice("warning", f"Sigmoid on {out_layer.units} classes with categorical cross-entropy: the "
                          "outputs are not a distribution. Use softmax.", last))
    if loss != "mse" and out_layer.activation in ("linear", "relu", "leaky_relu", "tanh", "elu", "selu", "gelu",
                                                  "gelu_tanh", "swish"):
        out.append(Advice("warning", f"A {out_layer.activation} output with {loss}: cross-entropy expects "
                          "probabilities. Use softmax (or sigmoid for one unit).", last))
    if n_classes and task:
        want = 1 if (task == "regression" and n_classes == 1) or loss == "binary_crossentropy" else n_classes
        if out_layer.units != want:
            out.append(Advice("warning", f"The output layer has {out_layer.units} units; this data needs {want} "
                              f"({'classes' if task == 'classification' else 'targets'}).", last, fix="match_output"))
    lr = exp.optimizer.learning_rate
    if lr > LARGE_LR[exp.optimizer.name]:
        out.append(Advice("warning", f"Learning rate {lr:g} is very large for {exp.optimizer.name} (default "
                          f"{_default_lr(exp.optimizer.name):g}): expect the loss to jump around or diverge."))
    if exp.data.scale == "none" and exp.data.name in ("digits", "fashion-mnist", "mnist"):
        out.append(Advice("info", "Inputs are not scaled: pixel values in the hundreds make the first layer's "
                          "gradients zig-zag. Use minmax."))
    return out


def _default_lr(name: str) -> float:
    return OPTIMIZERS.get(name)["learning_rate"]


def _resources(exp, n_features: int | None) -> list[Advice]:
    """What the run will need before it starts: a first download, and the memory of the model
    and its optimizer state against what this machine has (the engine's own estimate)."""
    out = []
    name = exp.data.name
    if name in DOWNLOAD_MB and not exp.data.path and not is_cached(name):
        out.append(Advice("info", f"Training downloads {name} first ({DOWNLOAD_MB[name]} MB, verified) into "
                          f"{cache_root() / name}; offline, put the four IDX files in a folder and set data.path "
                          "to it."))
    if n_features:
        need, params, i = model_memory(exp, n_features)
        free = available_memory()
        if need > free:
            out.append(Advice("warning", f"The model has {params:,} parameters: training needs about {gib(need)} "
                              f"(weights, gradients, {exp.optimizer.name} state) and this machine has {gib(free)} "
                              "available. It cannot start; use fewer units.", i))
        elif need > free / 4:
            out.append(Advice("info", f"The model needs about {gib(need)} of the {gib(free)} this machine has "
                              "available.", i))
    return out
