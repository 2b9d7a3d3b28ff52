"""Backpropagation for one sample and one weight, step by step, in the NumPy backend's own
numbers: the forward pass layer by layer (each unit's z and a), the loss, and for the chosen
weight w (from input i into unit u of a dense layer) the chain rule

    dL/dw = dL/da_u * da_u/dz_u * dz_u/dw,   dz_u/dw = a_i (the input it multiplies)

with each factor's value, their product beside the backend's own gradient and a finite-difference
estimate, and the update w - lr dL/dw. Where the output's activation and loss are fused (softmax
or sigmoid with cross-entropy) dL/dz_u = p_u - t_u is one factor, as the backend computes it.
A layer's L1/L2 penalty adds its own term to the kernel's gradient, shown apart. Evaluation mode:
dropout passes everything, batch norm uses its moving statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .backends.numpy.layers import Dense
from .backends.numpy.model import NumpyModel
from .errors import SpecError


@dataclass
class LayerTrace:
    index: int           # the layer's place in the stack (engine numbering)
    kind: str            # dense, dropout, batchnorm
    activation: str
    z: np.ndarray | None  # a dense layer's pre-activations for the sample
    a: np.ndarray        # its outputs


@dataclass
class Derivation:
    sample: np.ndarray
    target: np.ndarray
    layers: list[LayerTrace]
    loss: float
    layer: int
    unit: int
    weight: int
    w: float
    fused: bool
    dL_da: float | None       # None where fused: then dL/dz is computed directly
    da_dz: float | None
    dL_dz: float
    dz_dw: float
    penalty_term: float
    product: float            # the chain rule's product (plus the penalty term)
    backend_grad: float       # the backend's own dL/dw from its backward pass
    finite_difference: float
    lr: float
    notes: list[str] = field(default_factory=list)

    @property
    def updated(self) -> float:
        return self.w - self.lr * self.product


def derive(exp, x: np.ndarray, y, layer: int, unit: int, weight: int, weights: dict | None = None,
           h: float = 1e-6) -> Derivation:
    """The derivation for sample ``x`` (one row) with label or target ``y``, for the weight from
    input ``weight`` into unit ``unit`` of dense layer ``layer`` (the stack's numbering)."""
    model = NumpyModel(exp, x.shape[-1], dtype=np.float64)
    if weights is not None:
        model.set_weights(weights)
    dense = {lay.index: lay for lay in model.layers if isinstance(lay, Dense)}
    if layer not in dense:
        raise SpecError("--layer", f"layer {layer} is not a dense layer; dense layers: "
                        f"{', '.join(map(str, sorted(dense)))}")
    target_layer = dense[layer]
    n_in, n_out = target_layer.params["kernel"].shape
    if not 0 <= unit < n_out:
        raise SpecError("--unit", f"layer {layer} has units 0 to {n_out - 1}, got {unit}")
    if not 0 <= weight < n_in:
        raise SpecError("--weight", f"unit {unit} of layer {layer} has inputs 0 to {n_in - 1}, got {weight}")
    xb = np.asarray(x, dtype=np.float64).reshape(1, -1)
    t = model._targets(np.asarray([y]))
    # forward, one layer after another, as the backend's forward pass runs them (evaluation mode)
    out, traces = xb, []
    for lay in model.layers:
        out = lay.forward(out, False, False)
        if isinstance(lay, Dense):
            z = lay.x @ lay.params["kernel"] + lay.params["bias"]    # the layer computed a from it in place
            traces.append(LayerTrace(lay.index, "dense", lay.spec.activation, z[0].copy(), out[0].copy()))
        else:
            traces.append(LayerTrace(lay.index, type(lay).__name__.lower(), "", None, out[0].copy()))
    grad = np.empty_like(out)
    loss = float(model._loss(out, t, grad)) + model._penalty()
    # backward: the backend's own pass, noting dL/d(output) of every layer on the way down
    d_out = {}
    d = grad
    for i in range(len(model.layers) - 1, -1, -1):
        lay = model.layers[i]
        d_out[lay.index] = d.copy()
        if isinstance(lay, Dense) and lay.is_output:
            d = lay.backward(d, True, True, dz_ready=model.fused)
        else:
            d = lay.backward(d, True, True)
    backend_grad = float(target_layer.grads["kernel"][weight, unit])
    fused = target_layer.is_output and model.fused
    trace = next(tr for tr in traces if tr.index == layer)
    x_in = float(target_layer.x[0, weight])
    notes = []
    z_keep = trace.z.reshape(1, -1) if target_layer.activation.needs_z else None
    if fused:
        dL_da = da_dz = None
        dL_dz = float(d_out[layer][0, unit])
        notes.append(f"{target_layer.spec.activation} with {exp.model.loss} is computed from the logits: "
                     "dL/dz = p - t, one factor")
    elif target_layer.spec.activation == "softmax":   # not element-wise: every output depends on every z
        dL_da = float(d_out[layer][0, unit])
        da_dz = None
        dL_dz = float(target_layer.activation.backward(trace.a.reshape(1, -1).copy(), d_out[layer].copy(), z_keep)[0, unit])
        notes.append("softmax couples its units: dL/dz_u = sum over k of dL/da_k da_k/dz_u")
    else:
        dL_da = float(d_out[layer][0, unit])
        ones = np.ones_like(d_out[layer])
        da_dz = float(target_layer.activation.backward(trace.a.reshape(1, -1).copy(), ones, z_keep)[0, unit])
        dL_dz = dL_da * da_dz
    w = float(target_layer.params["kernel"][weight, unit])
    spec = target_layer.spec
    penalty = 2 * spec.l2 * w + spec.l1 * float(np.sign(w))
    product = dL_dz * x_in + penalty
    kernel, labels = target_layer.params["kernel"], np.asarray([y])
    kernel[weight, unit] = w + h
    up = model.evaluate(xb, labels)["loss"]         # evaluation mode, penalties included
    kernel[weight, unit] = w - h
    down = model.evaluate(xb, labels)["loss"]
    kernel[weight, unit] = w
    if penalty:
        notes.append(f"the layer's penalty adds 2 l2 w + l1 sign(w) = {penalty:.6g} to the kernel's gradient")
    return Derivation(xb[0], t[0], traces, loss, layer, unit, weight, w, fused, dL_da, da_dz, dL_dz, x_in, penalty,
                      product, backend_grad, (up - down) / (2 * h), exp.optimizer.learning_rate, notes)
