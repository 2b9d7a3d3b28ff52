"""model.npz: saving a model (weights by layer index, the experiment that rebuilds it, the data
scaling; no pickle), reading one back with every field checked, and transferring weights by layer."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np

from .atomic import write_atomic
from .data.npz import read_npz_arrays
from .errors import DataError, SpecError
from .spec import Experiment


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
