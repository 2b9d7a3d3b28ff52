"""nntui's compute engine: experiment spec, NumPy and MLX backends, trainer. Imports no UI."""

import os as _os
import sys as _sys

if "numpy" not in _sys.modules:
    # OpenBLAS's idle worker busy-waits ~2^28 cycles after each product, on the core the optimizer
    # update and the activations need next; 2^16 keeps it warm between the products of one step and
    # then lets it sleep (measured: the update 0.59 -> 0.32 ms at batch 32). Read once, when NumPy
    # loads OpenBLAS, so scripts that import numpy first can export it themselves.
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "16")

# The public names load on first use (PEP 562): `import engine.events` or `engine.spec` alone
# does not bring in the trainer, the backends and the reports, and a command that lists presets
# pays for what it reads.
_WHERE = {
    "build_model": "api", "load_model": "api",
    "BackendChoice": "backends", "resolve_backend": "backends",
    "summary_rows": "backends.plan", "summary_text": "backends.plan",
    "TrainingControl": "control",
    "Dataset": "data", "load_data": "data",
    "BackendUnavailable": "errors", "DataError": "errors", "SpecError": "errors",
    "ACTIVATIONS": "nn.activations", "INITIALIZERS": "nn.initializers", "LOSSES": "nn.losses",
    "OPTIMIZERS": "nn.optimizers", "SCHEDULES": "nn.schedules", "learning_rate_at": "nn.schedules",
    "save_model": "saving", "transfer_weights": "saving",
    "TrainResult": "trainer", "train": "trainer",
    **{name: "spec" for name in ("BatchNormSpec", "DataSpec", "DenseSpec", "DropoutSpec", "EarlyStoppingSpec", "PlateauSpec",
                                 "Experiment", "ModelSpec", "OptimizerSpec", "ScheduleSpec", "TrainSpec",
                                 "with_overrides")},
}


def __getattr__(name: str):
    import importlib

    if name in _WHERE:
        value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    elif name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    else:
        try:                              # a subpackage: engine.presets, engine.data, engine.events, ...
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))


__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS", "INITIALIZERS", "LOSSES", "OPTIMIZERS", "SCHEDULES", "BackendChoice",
    "BackendUnavailable", "BatchNormSpec", "DataError", "DataSpec", "Dataset", "DenseSpec",
    "DropoutSpec", "EarlyStoppingSpec", "PlateauSpec", "Experiment", "ModelSpec", "OptimizerSpec", "ScheduleSpec",
    "SpecError", "TrainResult", "TrainSpec", "TrainingControl", "build_model", "events",
    "learning_rate_at", "load_data", "load_model", "presets", "resolve_backend", "save_model", "summary_rows",
    "summary_text", "train", "transfer_weights", "with_overrides",
]
