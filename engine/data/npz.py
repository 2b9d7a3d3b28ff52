"""Your own data in NPZ archives (arrays x and y, optionally x_test and y_test), read without
pickle, every member's declared size checked against the memory available before it is loaded."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..memory import check_fits
from .tabular import Table, _targets


def read_npz(path: str | Path, task: str = "auto") -> Table:
    """Arrays ``x`` and ``y``, optionally ``x_test`` and ``y_test``; images (n, h, w) are flattened."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    with open(path, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise DataError(f"{path}: not a readable .npz archive (not a zip file); save one with "
                            "numpy.savez(path, x=..., y=...)")
    arrays = read_npz_arrays(path)
    for need in ("x", "y"):
        if need not in arrays:
            raise DataError(f"{path}: no array {need!r}; the archive holds {', '.join(sorted(arrays)) or 'nothing'} "
                            "(expected x, y and optionally x_test, y_test)")
    if ("x_test" in arrays) != ("y_test" in arrays):
        raise DataError(f"{path}: x_test and y_test come together; the archive has only one of them")
    x, y = arrays["x"], arrays["y"]
    for name in ("y", "y_test"):
        if name in arrays and arrays[name].ndim == 0:
            raise DataError(f"{path}: {name} must have one value per row, got a single value")
    image_shape = tuple(x.shape[1:3]) if x.ndim == 3 else None
    x = _features(path, "x", x)
    y_test = arrays.get("y_test")
    x_test = None if "x_test" not in arrays else _features(path, "x_test", arrays["x_test"])
    if len(y) != len(x):
        raise DataError(f"{path}: x has {len(x)} rows but y has {len(y)}")
    if x_test is not None:
        if x_test.shape[1] != x.shape[1]:
            raise DataError(f"{path}: x_test has {x_test.shape[1]} features per row, x has {x.shape[1]}")
        if len(y_test) != len(x_test):
            raise DataError(f"{path}: x_test has {len(x_test)} rows but y_test has {len(y_test)}")
    if len(x) == 0:
        raise DataError(f"{path}: x has no rows")
    n = len(y)
    both = y if y_test is None else np.concatenate([y, y_test])
    if both.ndim > 1 and not (both.ndim == 2 and both.shape[1] == 1):
        if task == "classification":
            raise DataError(f"{path}: y has shape {y.shape}; class labels are one value per row")
        if not np.issubdtype(both.dtype, np.number) or both.dtype.kind == "c":
            raise DataError(f"{path}: y must be real numbers for multi-output regression, got {both.dtype}")
        with np.errstate(over="ignore"):
            yy = both.astype(np.float32)
        if not np.isfinite(yy).all():
            raise DataError(f"{path}: y holds a missing or infinite value (or one beyond float32)")
        return Table(x, yy[:n], "regression", [], x_test, None if y_test is None else yy[n:], image_shape)
    both = both.reshape(-1)
    if both.dtype.kind == "c":
        raise DataError(f"{path}: y must hold real numbers or text labels, got {both.dtype}")
    numeric = np.issubdtype(both.dtype, np.number)
    if numeric and not np.isfinite(both).all():
        raise DataError(f"{path}: y holds a missing or infinite value at row {int(np.argmin(np.isfinite(both)))}")
    if not numeric and both.dtype.kind not in "US":
        raise DataError(f"{path}: y must be numbers or text labels, got {both.dtype}")
    yy, resolved, names = _targets(path, both.astype(np.float64) if numeric else both.astype(str), numeric, task, "y")
    return Table(x, yy[:n], resolved, names, x_test, None if y_test is None else yy[n:], image_shape)


def npz_shapes(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each member's declared shape and dtype, read from its .npy header without loading it."""
    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with zf.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                          else np.lib.format.read_array_header_2_0)
                shape, _, dtype = reader(fh)
            out[info.filename[:-4]] = (shape, dtype)
    return out


def read_npz_arrays(path: Path, what: str = "archive") -> dict[str, np.ndarray]:
    """Every array of an .npz file, without pickle; a damaged archive or one that declares more
    than this machine's memory is a DataError naming the file (and the member)."""
    try:
        shapes = npz_shapes(path)
        for name, (shape, dtype) in shapes.items():
            check_fits(int(np.prod(shape, dtype=np.float64)) * dtype.itemsize,
                       f"{path}: array {name!r} of shape {shape}")
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc) or "Object arrays" in str(exc):
            raise DataError(f"{path}: cannot read without pickle (object arrays are not allowed)") from None
        raise DataError(f"{path}: not a readable .npz {what}: {exc}") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError, TypeError, SyntaxError,
            NotImplementedError) as exc:
        raise DataError(f"{path}: not a readable .npz {what} (damaged or incomplete?): "
                        f"{exc.__class__.__name__}: {exc}") from None


def _features(path, name, a) -> np.ndarray:
    if not np.issubdtype(a.dtype, np.number) or a.dtype.kind == "c":
        raise DataError(f"{path}: {name} must hold real numbers, got {a.dtype}")
    if a.ndim < 2:
        raise DataError(f"{path}: {name} must have one row per sample (2 or more dimensions), got shape {a.shape}")
    if a.shape[0] == 0:
        raise DataError(f"{path}: {name} has no rows")
    if 0 in a.shape[1:]:
        raise DataError(f"{path}: {name} has no features (shape {a.shape})")
    a = a.reshape(a.shape[0], -1)
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        r, c = np.argwhere(~np.isfinite(a))[0]
        raise DataError(f"{path}: {name} holds a missing or infinite value at row {r}, column {c}")
    return a
