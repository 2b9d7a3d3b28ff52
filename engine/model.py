"""Backend-agnostic model pieces: the layer plan, seeded initial weights, the Keras-like summary,
saving and loading model.npz (no pickle), and transfer of weights by layer index."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import write_atomic
from .errors import SpecError
from .initializers import initial_kernel
from .spec import BatchNormSpec, DenseSpec, DropoutSpec, Experiment


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


def initial_weights(exp: Experiment, input_dim: int, dtype=np.float32) -> dict[str, np.ndarray]:
    """Every weight, drawn layer by layer from one generator seeded by ``exp.seed``; the same
    numbers for every backend."""
    rng = np.random.default_rng(exp.seed)
    out: dict[str, np.ndarray] = {}
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
    rows = [{"index": None, "layer": "Input", "output_shape": (None, input_dim), "params": 0, "trainable": 0}]
    for p in plan_layers(exp.model, input_dim):
        shapes = p.weight_shapes()
        params = sum(int(np.prod(s)) for s in shapes.values())
        trainable = sum(int(np.prod(shapes[n])) for n in p.trainable_names())
        if isinstance(p.spec, DenseSpec):
            name = f"Dense {p.spec.activation}" + ("" if p.spec.trainable else " (frozen)")
        elif isinstance(p.spec, DropoutSpec):
            name = f"Dropout {p.spec.rate:g}"
        else:
            name = "BatchNorm" + ("" if p.spec.trainable else " (frozen)")
        rows.append({"index": p.index, "layer": name, "output_shape": (None, p.units),
                     "params": params, "trainable": trainable})
    return rows


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

META_KEYS = ("__experiment__", "__input_dim__", "__meta__")


def save_model(model, path: str | Path, scaler: dict | None = None, meta: dict | None = None) -> Path:
    """Write model.npz atomically: the weights by layer index ("0.kernel", ...), the experiment
    TOML that rebuilds the model, the input size and the data scaling; loadable without pickle."""
    arrays = {k: np.asarray(v) for k, v in model.get_weights().items()}
    arrays["__experiment__"] = np.array(model.experiment.to_toml_string())
    arrays["__input_dim__"] = np.array(model.input_dim)
    arrays["__meta__"] = np.array(json.dumps(meta or {}))
    for key, value in (scaler or {}).items():
        arrays[f"__scaler_{key}__"] = np.asarray(value)

    def write(fh):
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        fh.write(buf.getvalue())

    return write_atomic(path, write)


WEIGHT_KEY = re.compile(r"^(\d+)\.(kernel|bias|gamma|beta|moving_mean|moving_variance)$")
NOT_OURS = "not an nntui model file"


def read_model_file(path: str | Path) -> tuple[Experiment, int, dict[str, np.ndarray], dict]:
    """(experiment, input_dim, weights, scaler) from a model.npz. Anything else (a text file, a
    damaged archive, other arrays, weights that are not real numbers) is a SpecError naming the file."""
    from .data.tabular import read_npz_arrays
    from .errors import DataError

    path = Path(path)
    if not path.is_file():
        raise SpecError("", "model file not found", str(path))
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                raise SpecError("", f"{NOT_OURS} (not an .npz archive); a run folder's model.npz is one", str(path))
        files = read_npz_arrays(path, "model file")
    except DataError as exc:
        raise SpecError("", f"{NOT_OURS}: {str(exc).removeprefix(f'{path}: ')}", str(path)) from None
    except OSError as exc:
        raise SpecError("", f"cannot read: {exc.strerror or exc}", str(path)) from None
    for need in ("__experiment__", "__input_dim__"):
        if need not in files:
            raise SpecError("", f"{NOT_OURS} (no {need} entry)", str(path))
    text, dim = files["__experiment__"], files["__input_dim__"]
    if text.dtype.kind != "U" or text.ndim != 0:
        raise SpecError("", f"{NOT_OURS} (__experiment__ is not the experiment's TOML text)", str(path))
    if dim.ndim != 0 or dim.dtype.kind not in "iu" or int(dim) < 1:
        raise SpecError("", f"{NOT_OURS} (__input_dim__ must be a positive integer, got {dim!r})", str(path))
    exp = Experiment.from_toml_string(str(text), source=f"{path}[__experiment__]")
    input_dim = int(dim)
    scaler = {k[len("__scaler_"):-2]: v for k, v in files.items() if k.startswith("__scaler_")}
    if "kind" in scaler:
        scaler["kind"] = str(scaler["kind"])
    weights = {}
    for k, v in files.items():
        if k.startswith("__"):
            continue
        if not WEIGHT_KEY.match(k):
            raise SpecError("", f"{NOT_OURS} (unexpected array {k!r}; weights are named like 0.kernel, 0.bias)",
                            str(path))
        if v.dtype.kind not in "fiu" or not np.isfinite(v).all():
            raise SpecError("", f"array {k!r} must hold finite real numbers, got {v.dtype}", str(path))
        weights[k] = v
    if not weights:
        raise SpecError("", f"{NOT_OURS} (it holds no weights)", str(path))
    return exp, input_dim, weights, scaler


def transfer_weights(model, source: str | Path, layers: tuple[int, ...] = ()) -> list[int]:
    """Copy the weights of ``layers`` (default: every layer of the source that has weights) from a
    saved model into ``model`` by layer index, checking that shapes agree. Returns the layers copied."""
    try:
        _, _, src, _ = read_model_file(source)
    except SpecError as exc:
        raise SpecError("model.transfer_from", exc.reason, exc.source) from None
    have = sorted({int(k.split(".")[0]) for k in src})
    chosen = list(layers) or have
    mine = model.get_weights()
    for i in chosen:
        src_keys = {k.split(".", 1)[1]: v for k, v in src.items() if int(k.split(".")[0]) == i}
        dst_keys = {k.split(".", 1)[1]: v for k, v in mine.items() if int(k.split(".")[0]) == i}
        if not src_keys:
            raise SpecError("model.transfer_layers", f"layer {i} of {source} has no weights "
                            f"(layers with weights: {have})")
        if set(src_keys) != set(dst_keys):
            raise SpecError("model.transfer_layers", f"layer {i} differs in kind: {source} has "
                            f"{sorted(src_keys)}, this model has {sorted(dst_keys) or 'no weights'}")
        for name, value in src_keys.items():
            if value.shape != dst_keys[name].shape:
                raise SpecError("model.transfer_layers", f"layer {i} {name}: shape {value.shape} in "
                                f"{source} does not fit {dst_keys[name].shape} here")
            mine[f"{i}.{name}"] = value
    model.set_weights(mine)
    return chosen
