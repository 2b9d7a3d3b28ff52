"""nntui's compute engine: experiment spec, NumPy and MLX backends, trainer. Imports no UI."""

import os as _os
import sys as _sys

if "numpy" not in _sys.modules:
    # OpenBLAS's idle worker busy-waits ~2^28 cycles after each product, on the core the optimizer
    # update and the activations need next; 2^16 keeps it warm between the products of one step and
    # then lets it sleep (measured: the update 0.59 -> 0.32 ms at batch 32). Read once, when NumPy
    # loads OpenBLAS, so scripts that import numpy first can export it themselves.
    _os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "16")

from . import events, presets
from .api import build_model, load_model
from .backends import BackendChoice, resolve_backend
from .backends.plan import summary_rows, summary_text
from .control import TrainingControl
from .data import Dataset, load_data
from .errors import BackendUnavailable, DataError, SpecError
from .nn.activations import ACTIVATIONS
from .nn.initializers import INITIALIZERS
from .nn.losses import LOSSES
from .nn.optimizers import OPTIMIZERS
from .nn.schedules import SCHEDULES, learning_rate_at
from .saving import save_model, transfer_weights
from .spec import (
    BatchNormSpec,
    DataSpec,
    DenseSpec,
    DropoutSpec,
    EarlyStoppingSpec,
    Experiment,
    ModelSpec,
    OptimizerSpec,
    ScheduleSpec,
    TrainSpec,
    with_overrides,
)
from .trainer import TrainResult, train

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS", "INITIALIZERS", "LOSSES", "OPTIMIZERS", "SCHEDULES", "BackendChoice",
    "BackendUnavailable", "BatchNormSpec", "DataError", "DataSpec", "Dataset", "DenseSpec",
    "DropoutSpec", "EarlyStoppingSpec", "Experiment", "ModelSpec", "OptimizerSpec", "ScheduleSpec",
    "SpecError", "TrainResult", "TrainSpec", "TrainingControl", "build_model", "events",
    "learning_rate_at", "load_data", "load_model", "presets", "resolve_backend", "save_model", "summary_rows",
    "summary_text", "train", "transfer_weights", "with_overrides",
]
