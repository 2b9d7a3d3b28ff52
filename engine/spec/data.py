"""[data]: which dataset, its file, scaling and splits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..data.catalog import DATASETS, FILE_DATASETS, PLANE_SETS, SYNTHETIC
from ..data.features import FEATURES, PLAIN
from ..errors import SpecError
from ..registry import Registry
from .checks import _check_keys, _choice, _float, _int, _names, _str, _table

SCALINGS = Registry("scaling")
SCALINGS.add("minmax", "minmax", ("min_max", "normalize"))
SCALINGS.add("standardize", "standardize", ("standard", "zscore", "z_score"))
SCALINGS.add("none", "none", ("raw",))


TASKS = ("auto", "classification", "regression")     # csv, npz: what the target is
HEADERS = ("auto", "yes", "no")                         # csv: whether the first row names the columns


@dataclass(frozen=True)
class DataSpec:
    name: str = "digits"
    path: str = ""                 # csv/npz file, or a folder holding IDX files
    scale: str = "minmax"
    validation_split: float = 0.1
    test_split: float = 0.2        # held out for datasets that ship no test set
    samples: int = 1000            # synthetic 2D sets only
    noise: float = 0.1             # synthetic 2D sets only
    classes: int = 0               # spiral and gaussians: number of classes (0: the set's default, 2)
    seed: int = 0                  # draws the synthetic sets and the splits, apart from the run's seed,
                                   # so that runs with different seeds see the same test set
    target: str | int = -1         # csv: the target column, by header name or index (-1: the last)
    task: str = "auto"             # csv, npz: auto | classification | regression
    header: str = "auto"           # csv: auto | yes | no (auto: a first row that is not all numbers)
    delimiter: str = ","           # csv
    features: tuple[str, ...] = ()  # 2D sets: the inputs the model sees (Playground's x1, x2,
                                   # x1^2, x2^2, x1*x2, sin(x1), sin(x2)); () is x1, x2

    SYNTHETIC_ONLY = ("samples", "noise", "classes")
    CSV_ONLY = ("target", "header", "delimiter")

    @classmethod
    def parse(cls, raw: Any, path: str = "data") -> "DataSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        name = DATASETS.canonical(raw.get("name", cls.name), f"{path}.name")
        if name not in SYNTHETIC:
            for key in cls.SYNTHETIC_ONLY:
                if key in raw:
                    raise SpecError(f"{path}.{key}", f"applies only to the synthetic sets "
                                    f"({', '.join(sorted(SYNTHETIC))}), not {name!r}")
        if "classes" in raw and name not in ("spiral", "gaussians"):
            raise SpecError(f"{path}.classes", f"applies only to spiral and gaussians, not {name!r}")
        if name in FILE_DATASETS and not raw.get("path"):
            raise SpecError(f"{path}.path", f"the {name} dataset needs a file path")
        for key in cls.CSV_ONLY:
            if key in raw and name != "csv":
                raise SpecError(f"{path}.{key}", f"applies only to csv files, not {name!r}")
        if "task" in raw and name not in FILE_DATASETS:
            raise SpecError(f"{path}.task", f"applies only to csv and npz files; {name!r} has a fixed task")
        target = raw.get("target", -1)
        if isinstance(target, bool) or not isinstance(target, (int, str)) or target == "":
            raise SpecError(f"{path}.target", f"must be a column name or index, got {target!r}")
        delimiter = _str(raw.get("delimiter", ","), f"{path}.delimiter")
        if len(delimiter) != 1 or delimiter in "\"\r\n":
            raise SpecError(f"{path}.delimiter", f"must be one character (not a quote or newline), got {delimiter!r}")
        features = cls._features(raw["features"], f"{path}.features", name) if "features" in raw else ()
        header = raw.get("header", "auto")
        header = {True: "yes", False: "no"}.get(header, header) if isinstance(header, bool) else header
        return cls(
            name=name,
            path=_str(raw.get("path", ""), f"{path}.path"),
            scale=SCALINGS.canonical(raw.get("scale", cls.scale), f"{path}.scale"),
            validation_split=_float(raw.get("validation_split", cls.validation_split),
                                    f"{path}.validation_split", 0.0, 1.0, hi_open=True),
            test_split=_float(raw.get("test_split", cls.test_split), f"{path}.test_split",
                              0.0, 1.0, hi_open=True),
            samples=_int(raw.get("samples", cls.samples), f"{path}.samples", 8),
            noise=_float(raw.get("noise", cls.noise), f"{path}.noise", 0.0, 10.0),
            classes=_int(raw.get("classes", cls.classes), f"{path}.classes", 0),
            seed=_int(raw.get("seed", 0), f"{path}.seed", 0),
            target=target,
            task=_choice(raw.get("task", "auto"), f"{path}.task", TASKS),
            header=_choice(header, f"{path}.header", HEADERS),
            delimiter=delimiter,
            features=features,
        )

    @staticmethod
    def _features(value: Any, path: str, name: str) -> tuple[str, ...]:
        if name not in PLANE_SETS:
            raise SpecError(path, f"applies only to the 2D sets ({', '.join(sorted(PLANE_SETS))}), not {name!r}")
        if not isinstance(value, list) or not value:
            raise SpecError(path, f"must be a non-empty list of feature names ({', '.join(FEATURES.names())}), "
                            f"got {value!r}")
        names = tuple(FEATURES.canonical(v, f"{path}[{i}]") for i, v in enumerate(value))
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise SpecError(path, f"names {', '.join(twice)} more than once")
        return () if names == PLAIN else names

    @property
    def inputs(self) -> tuple[str, ...]:
        """The features a 2D set feeds the model (x1, x2 unless data.features chooses others)."""
        return self.features or PLAIN

    def to_dict(self) -> dict:
        out = {"name": self.name, "path": self.path, "scale": self.scale,
               "validation_split": self.validation_split, "test_split": self.test_split,
               "seed": self.seed}
        if self.name in SYNTHETIC:
            out.update(samples=self.samples, noise=self.noise)
            if self.name in ("spiral", "gaussians"):   # the only sets with a number of classes to choose
                out["classes"] = self.classes
        if self.features:
            out["features"] = list(self.features)
        if self.name == "csv":
            out.update(target=self.target, header=self.header, delimiter=self.delimiter)
        if self.name in FILE_DATASETS:
            out["task"] = self.task
        return out
