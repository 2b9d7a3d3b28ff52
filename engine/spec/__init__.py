"""The experiment spec: frozen dataclasses for everything a run needs, read from and written to
TOML, one table per file (data, layers, training, search), the field checks and field paths
below them. Parsing names the field (``model.layers[2].units``) in every error."""

from .checks import _bool, _check_keys, _choice, _float, _int, _names, _str, _table  # noqa: F401
from .data import DATASETS, FILE_DATASETS, HEADERS, SCALINGS, SYNTHETIC, TASKS, DataSpec
from .experiment import BACKENDS, Experiment, read_toml_table, with_overrides
from .layers import LAYER_TYPES, BatchNormSpec, DenseSpec, DropoutSpec, LayerSpec, ModelSpec, parse_layer
from .monitors import MONITORS, direction_of, monitors_for
from .search import SearchSpec
from .settings import OPTIMIZER_SETTINGS, SCHEDULE_SETTINGS, Setting, schedule_setting
from .training import MODES, SCHEDULE_UNITS, EarlyStoppingSpec, OptimizerSpec, PlateauSpec, ScheduleSpec, TrainSpec

__all__ = ["Experiment", "DataSpec", "ModelSpec", "DenseSpec", "DropoutSpec", "BatchNormSpec",
           "OptimizerSpec", "ScheduleSpec", "TrainSpec", "EarlyStoppingSpec", "PlateauSpec", "LayerSpec", "SearchSpec",
           "with_overrides", "DATASETS", "FILE_DATASETS", "SYNTHETIC", "SCALINGS", "BACKENDS", "LAYER_TYPES",
           "MONITORS", "monitors_for", "MODES", "SCHEDULE_UNITS", "direction_of", "parse_layer", "HEADERS", "TASKS",
           "OPTIMIZER_SETTINGS", "SCHEDULE_SETTINGS", "Setting", "schedule_setting", "read_toml_table"]
