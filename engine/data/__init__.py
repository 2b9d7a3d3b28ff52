"""Datasets: load a DataSpec into scaled float32 train / validation / test arrays.

The names load on first use (PEP 562), as engine's own do: the spec reads the catalog
(engine.data.catalog) without bringing in NumPy and the readers."""

from __future__ import annotations

_WHERE = {
    "Dataset": "loading", "load_data": "loading", "scale_with": "loading", "split_stratified": "loading",
    "DataInfo": "catalog", "static_info": "catalog",
    "fetch": "download", "is_cached": "cache",
    "cache_root": "cache", "load_idx": "idx",
    "read_npz": "npz", "read_csv": "tabular",
    "GENERATORS": "synthetic", "generate": "synthetic",
}


def __getattr__(name: str):
    import importlib

    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))


__all__ = ["Dataset", "DataInfo", "load_data", "static_info", "cache_root", "split_stratified", "fetch",
           "is_cached", "scale_with"]
