"""`nntui datasets`: every named dataset with its shape and where it comes from (embedded,
generated, cached or to be downloaded). Above the spec, so it is not loaded with the data package."""

from __future__ import annotations

from ..spec import DataSpec
from .cache import cache_root, is_cached
from .catalog import DATASETS, DOWNLOAD_MB, static_info


def list_datasets() -> list[dict]:
    """Every named dataset: samples, features, classes, task, and where it comes from (cached or not)."""
    rows = []
    for name in DATASETS:
        if name in ("csv", "npz"):
            rows.append({"name": name, "samples": "your file", "features": "-", "classes": "-",
                         "task": "inferred", "source": f"data.path ({'CSV, header optional' if name == 'csv' else 'arrays x, y'})"})
            continue
        info = static_info(DataSpec(name=name))
        if name in DOWNLOAD_MB:
            folder = cache_root() / name
            source = (f"cached in {folder}" if is_cached(name) else
                      f"not cached: downloads on first use ({DOWNLOAD_MB[name]} MB) to {folder}")
        else:
            source = "embedded" if name == "digits" else "generated (data.samples, data.noise, data.seed)"
        samples = f"{info.samples:,}" + (f" + {info.test_samples:,}" if info.test_samples else "")
        rows.append({"name": name, "samples": samples, "features": str(info.n_features),
                     "classes": "-" if info.task == "regression" else str(info.n_classes), "task": info.task,
                     "source": source})
    return rows
