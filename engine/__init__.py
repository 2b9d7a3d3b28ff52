"""nntui's compute engine: experiment spec, NumPy and MLX backends, trainer. Imports no UI."""

from . import events
from .activations import ACTIVATIONS
from .api import build_model, load_model
from .backends import BackendChoice, resolve_backend
from .control import TrainingControl
from .data import Dataset, load_data
from .errors import BackendUnavailable, DataError, SpecError
from .initializers import INITIALIZERS
from .losses import LOSSES
from .model import save_model, summary_rows, summary_text, transfer_weights
from .optimizers import OPTIMIZERS
from .schedules import SCHEDULES, learning_rate_at
from .spec import (BatchNormSpec, DataSpec, DenseSpec, DropoutSpec, EarlyStoppingSpec, Experiment,
                   ModelSpec, OptimizerSpec, ScheduleSpec, TrainSpec, with_overrides)
from .trainer import TrainResult, train

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS", "INITIALIZERS", "LOSSES", "OPTIMIZERS", "SCHEDULES", "BackendChoice",
    "BackendUnavailable", "BatchNormSpec", "DataError", "DataSpec", "Dataset", "DenseSpec",
    "DropoutSpec", "EarlyStoppingSpec", "Experiment", "ModelSpec", "OptimizerSpec", "ScheduleSpec",
    "SpecError", "TrainResult", "TrainSpec", "TrainingControl", "build_model", "events",
    "learning_rate_at", "load_data", "load_model", "resolve_backend", "save_model", "summary_rows",
    "summary_text", "train", "transfer_weights", "with_overrides",
]
