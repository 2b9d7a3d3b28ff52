"""Loading a DataSpec into scaled float32 train / validation / test arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from ..errors import DataError
from .catalog import DataInfo, static_info
from .download import fetch, is_cached
from .features import featurize
from .idx import load_idx
from .npz import read_npz
from .synthetic import GENERATORS, generate
from .tabular import read_csv

__all__ = ["Dataset", "load_data", "split_stratified", "scale_with"]


@dataclass
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    task: str = "classification"
    name: str = ""
    image_shape: tuple[int, int] | None = None
    #: x_scaled = (features(x_raw) - offset) * scale, fitted on the training part only; its
    #: "features" (a 2D set's data.features) name what the model sees of a raw point
    scaler: dict = field(default_factory=dict)
    #: the raw training rows where they are points of a plane (two raw columns): what the
    #: decision and unit maps sample around; None otherwise
    points_train: np.ndarray | None = None

    @property
    def planar(self) -> bool:
        """The raw inputs are 2D points (a 2D set, or a file of two feature columns)."""
        return self.points_train is not None

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Classes for classification; target columns for regression."""
        if self.task == "regression":
            return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])
        return len(self.class_names)

    def scale(self, x_raw: np.ndarray) -> np.ndarray:
        """Apply this dataset's fitted scaling to raw inputs (e.g. new samples to predict)."""
        return scale_with(self.scaler, x_raw)


def scale_with(scaler: dict, x_raw) -> np.ndarray:
    """Raw inputs (images are flattened) scaled as a dataset's training part was: the ``scaler``
    a Dataset fitted, or the one a saved model carries (``engine.load_model(p).scaler``)."""
    x = np.asarray(x_raw, dtype=np.float32)
    x = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
    if scaler and "features" in scaler:
        x = featurize(np.atleast_1d(scaler["features"]), x)
    if not scaler or str(scaler["kind"]) == "none":
        return x
    with np.errstate(over="ignore", invalid="ignore"):
        out = ((x - scaler["offset"]) * scaler["scale"]).astype(np.float32)
        if not np.isfinite(out).all():   # values near float32's limits: the difference needs float64
            out = ((x.astype(np.float64) - scaler["offset"].astype(np.float64))
                   * scaler["scale"].astype(np.float64)).astype(np.float32)
    return out


def split_stratified(y: np.ndarray, fraction: float, rng: np.random.Generator,
                     stratify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held_out) with ``fraction`` of each class held out (of all rows if not stratified)."""
    n = len(y)
    if fraction <= 0:
        return np.arange(n), np.arange(0)
    if n == 0:
        return np.arange(0), np.arange(0)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(n)]
    held, shuffled = [], []
    for idx in groups:
        idx = rng.permutation(idx)
        shuffled.append(idx)
        held.append(idx[: int(round(fraction * len(idx)))])
    want = int(round(fraction * n))
    if want and not sum(len(h) for h in held):
        # every class too small to give a row of its own (50 rows of 10 classes at 0.1): the
        # fraction of all rows, taken from the classes in turn
        turns = [idx[i] for i in range(max(map(len, shuffled))) for idx in shuffled if i < len(idx)]
        held = [np.array(turns[:want], dtype=np.int64)]
    held_out = np.sort(np.concatenate(held))
    mask = np.ones(n, dtype=bool)
    mask[held_out] = False
    return np.flatnonzero(mask), held_out


def _fit_scaler(kind: str, x: np.ndarray, per_feature: bool) -> dict:
    if kind == "none":
        return {"kind": "none"}
    axis = 0 if per_feature else None
    if kind == "minmax":
        lo, hi = x.min(axis=axis).astype(np.float64), x.max(axis=axis).astype(np.float64)
        offset, span = lo, hi - lo     # in float64: near float32's limits the span would overflow
    else:
        offset, span = x.mean(axis=axis, dtype=np.float64), x.std(axis=axis, dtype=np.float64)
    span = np.where(span > 0, span, 1.0)
    return {"kind": kind, "offset": np.asarray(offset, dtype=np.float32),
            "scale": np.asarray(1.0 / span, dtype=np.float32)}


def _raw(spec, progress=None):
    """(x_train, y_train, x_test or None, y_test or None, info) before splitting and scaling."""
    info = static_info(spec)
    rng = np.random.default_rng([spec.seed, 7])
    if spec.name == "digits":
        with resources.files(__package__).joinpath("digits.npz").open("rb") as fh, np.load(fh) as z:
            return z["x"], z["y"].astype(np.int64), None, None, info
    if spec.name in ("fashion-mnist", "mnist"):
        if not spec.path and not is_cached(spec.name):
            fetch(spec.name, progress=progress)   # first use: download into the cache, verified
        x_tr, y_tr, x_te, y_te = load_idx(spec.name, spec.path)
        return x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64), info
    if spec.name in GENERATORS:
        x, y = generate(spec.name, spec.samples, spec.noise, rng, spec.classes)
        return x, y, None, None, info
    if spec.name == "csv":
        table = read_csv(spec.path, spec.target, spec.header, spec.delimiter, spec.task)
    else:
        table = read_npz(spec.path, spec.task)
    k = table.y.shape[1] if table.task == "regression" else len(table.class_names)
    info = DataInfo(table.x.shape[1], k, table.task, tuple(table.class_names), table.image_shape)
    return table.x, table.y, table.x_test, table.y_test, info


def load_data(spec, *, subset: int | None = None, progress=None) -> Dataset:
    """Load, split (stratified, from ``spec.seed``) and scale a dataset. ``subset`` keeps only the
    first n training rows (quick experiments and tests); ``progress(file, done, total)`` hears
    about a first-use download."""
    x_tr, y_tr, x_te, y_te, info = _raw(spec, progress)
    rows = len(x_tr)
    x_tr = np.asarray(x_tr).reshape(rows, int(np.prod(np.shape(x_tr)[1:])))
    features = x_tr.shape[1]
    classification = info.task == "classification"
    rng = np.random.default_rng([spec.seed, 11])
    if x_te is None:
        keep, test = split_stratified(y_tr, spec.test_split, rng, classification)
        x_te, y_te = x_tr[test], y_tr[test]
        x_tr, y_tr = x_tr[keep], y_tr[keep]
        if spec.test_split > 0 and not len(test):
            raise DataError(f"data.test_split: {spec.test_split:g} of {rows:,} rows holds out no test row"
                            f"{' of any class' if classification else ''}; add rows, raise it, or set "
                            "data.test_split = 0 (no test metrics)")
    x_te = np.asarray(x_te).reshape(len(x_te), features)
    if subset is not None:
        x_tr, y_tr = x_tr[:subset], y_tr[:subset]
    before = len(x_tr)
    keep, val = split_stratified(y_tr, spec.validation_split, rng, classification)
    x_val, y_val = x_tr[val], y_tr[val]
    x_tr, y_tr = x_tr[keep], y_tr[keep]
    if not len(x_tr):
        raise DataError(f"data.validation_split {spec.validation_split:g} and data.test_split {spec.test_split:g} "
                        f"leave no training rows of the {rows:,}; lower them (each is a fraction below 1)")
    if spec.validation_split > 0 and not len(x_val):
        raise DataError(f"data.validation_split: {spec.validation_split:g} of {before:,} training rows holds out "
                        "no validation row; add rows, raise it, or set data.validation_split = 0")

    names = getattr(spec, "features", ())
    scaler = _fit_scaler(spec.scale, featurize(names, x_tr) if names else x_tr,
                         per_feature=info.image_shape is None)
    if names:
        scaler["features"] = np.asarray(names)
    ds = Dataset(x_tr, y_tr, x_val, y_val, x_te, y_te, list(info.class_names), info.task,
                 spec.name, info.image_shape, scaler,
                 np.asarray(x_tr, dtype=np.float32) if features == 2 else None)
    ds.x_train, ds.x_val, ds.x_test = ds.scale(x_tr), ds.scale(x_val), ds.scale(x_te)
    for part, a in (("training", ds.x_train), ("validation", ds.x_val), ("test", ds.x_test)):
        if not np.isfinite(a).all():
            raise DataError(f"data.scale {spec.scale}: the scaled {part} inputs overflow float32 "
                            "(values near its limits); rescale the data before loading it")
    if info.task == "regression":
        ds.y_train, ds.y_val, ds.y_test = (np.asarray(a, dtype=np.float32) for a in (y_tr, y_val, y_te))
    return ds
