"""The Build screen's forms, one list of fields per panel (data, loss and optimizer, schedule,
training, early stopping), built from the spec's tables of names, choices and settings."""

from __future__ import annotations

from functools import partial

from engine.data.catalog import PLANE_SETS
from engine.data.features import FEATURES
from engine.names import LOSSES, OPTIMIZERS, SCHEDULES
from engine.spec import (
    BACKENDS,
    DATASETS,
    HEADERS,
    MODES,
    OPTIMIZER_SETTINGS,
    SCALINGS,
    SCHEDULE_UNITS,
    SYNTHETIC,
    TASKS,
    monitors_for,
    schedule_setting,
)

from ..widgets.fields import FieldSpec


def data_fields(d) -> list[FieldSpec]:
    name = d.get("data.name")
    fields = [FieldSpec(d, "data.name", "dataset", "choice", DATASETS.names(), apply=d.set_dataset)]
    if name in ("csv", "npz", "fashion-mnist", "mnist"):
        fields.append(FieldSpec(d, "data.path", "path", "str"))
    fields += [FieldSpec(d, "data.scale", "scaling", "choice", SCALINGS.names()),
               FieldSpec(d, "data.validation_split", "validation split", "float")]
    if name not in ("fashion-mnist", "mnist"):
        fields.append(FieldSpec(d, "data.test_split", "test split", "float"))
    if name in SYNTHETIC:
        fields += [FieldSpec(d, "data.samples", "samples", "int"), FieldSpec(d, "data.noise", "noise", "float")]
        if name in ("spiral", "gaussians"):
            fields.append(FieldSpec(d, "data.classes", "classes (0: 2)", "int"))
    if name in PLANE_SETS:      # Playground's feature inputs, each a tick
        fields += [FieldSpec(d, "data.features", f"input {f}", "bool", apply=partial(d.set_feature, f),
                             value=partial(d.has_feature, f)) for f in FEATURES.names()]
    if name == "csv":
        fields += [FieldSpec(d, "data.target", "target column", "target"),
                   FieldSpec(d, "data.header", "header", "choice", list(HEADERS)),
                   FieldSpec(d, "data.delimiter", "delimiter", "str")]
    if name in ("csv", "npz"):
        fields.append(FieldSpec(d, "data.task", "task", "choice", list(TASKS)))
    fields.append(FieldSpec(d, "data.seed", "data seed", "int"))
    return fields

def monitor_choices(d, table: str) -> list[str]:
    """The monitors this data's task measures (all while the task is not known), and the one set."""
    info = d.data_info()
    choices = list(monitors_for(info.task if info is not None else None))
    current = d.get(f"{table}.monitor")
    return choices + ([current] if current and current not in choices else [])

def optimizer_fields(d) -> list[FieldSpec]:
    fields = [FieldSpec(d, "model.loss", "loss", "choice", LOSSES.names(), structural=True),
              FieldSpec(d, "model.label_smoothing", "label smoothing", "float"),
              FieldSpec(d, "optimizer.name", "optimizer", "choice", OPTIMIZERS.names(), apply=d.set_optimizer)]
    for key in OPTIMIZERS.get(d.get("optimizer.name")):   # the spec's table says what each is
        fields.append(FieldSpec(d, f"optimizer.{key}", key.replace("_", " "), OPTIMIZER_SETTINGS[key].kind))
    return fields

def schedule_fields(d) -> list[FieldSpec]:
    fields = [FieldSpec(d, "schedule.name", "schedule", "choice", SCHEDULES.names(), apply=d.set_schedule),
              FieldSpec(d, "schedule.unit", "unit", "choice", list(SCHEDULE_UNITS))]
    name = d.get("schedule.name")
    for key in SCHEDULES.get(name):
        fields.append(FieldSpec(d, f"schedule.{key}", key.replace("_", " "), schedule_setting(name, key).kind))
    fields.append(FieldSpec(d, "reduce_lr_on_plateau", "reduce on plateau", "bool", apply=d.set_plateau))
    if d.get("reduce_lr_on_plateau") is not None:
        p = "reduce_lr_on_plateau"
        fields += [FieldSpec(d, f"{p}.monitor", "plateau monitor", "choice", monitor_choices(d, p)),
                   FieldSpec(d, f"{p}.factor", "factor", "float"), FieldSpec(d, f"{p}.patience", "patience", "int"),
                   FieldSpec(d, f"{p}.min_delta", "min delta", "float"),
                   FieldSpec(d, f"{p}.cooldown", "cooldown", "int"), FieldSpec(d, f"{p}.min_lr", "min lr", "float"),
                   FieldSpec(d, f"{p}.mode", "mode", "choice", list(MODES))]
    return fields

def train_fields(d) -> list[FieldSpec]:
    fields = [FieldSpec(d, "name", "name", "str"), FieldSpec(d, "train.epochs", "epochs", "int"),
              FieldSpec(d, "train.batch_size", "batch size", "int"), FieldSpec(d, "seed", "seed", "int"),
              FieldSpec(d, "train.shuffle", "shuffle", "bool"), FieldSpec(d, "backend", "backend", "choice", BACKENDS.names())]
    if not isinstance(d.get("train.class_weight"), dict):   # a table by class name is edited in the file
        fields.append(FieldSpec(d, "train.class_weight", "class weight", "choice", ["none", "balanced"]))
    return fields

def stopping_fields(d) -> list[FieldSpec]:
    on = d.get("early_stopping") is not None
    fields = [FieldSpec(d, "early_stopping", "early stopping", "bool", apply=d.set_early_stopping)]
    if on:
        fields += [FieldSpec(d, "early_stopping.monitor", "monitor", "choice", monitor_choices(d, "early_stopping")),
                   FieldSpec(d, "early_stopping.patience", "patience", "int"),
                   FieldSpec(d, "early_stopping.min_delta", "min delta", "float"),
                   FieldSpec(d, "early_stopping.mode", "mode", "choice", list(MODES)),
                   FieldSpec(d, "early_stopping.restore_best_weights", "restore best", "bool"),
                   FieldSpec(d, "early_stopping.smoothing", "smoothing", "int"),
                   FieldSpec(d, "early_stopping.start_from_epoch", "start from epoch", "int"),
                   FieldSpec(d, "early_stopping.baseline", "baseline", "optfloat")]
    return fields

# -- refreshing what depends on the draft -----------------------------------------------------------
