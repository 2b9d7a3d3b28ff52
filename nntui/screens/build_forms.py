"""The Build screen's forms, one list of fields per panel (data, loss and optimizer, schedule,
training, early stopping), built from the spec's tables of names, choices and settings."""

from __future__ import annotations

from engine.nn.losses import LOSSES
from engine.nn.optimizers import OPTIMIZERS
from engine.nn.schedules import SCHEDULES
from engine.spec import (
    BACKENDS,
    DATASETS,
    HEADERS,
    MODES,
    MONITORS,
    OPTIMIZER_SETTINGS,
    SCALINGS,
    SCHEDULE_UNITS,
    SYNTHETIC,
    TASKS,
    schedule_setting,
)

from ..widgets.fields import Field


def data_fields(d) -> list[Field]:
    name = d.get("data.name")
    fields = [Field(d, "data.name", "dataset", "choice", DATASETS.names(), apply=d.set_dataset)]
    if name in ("csv", "npz", "fashion-mnist", "mnist"):
        fields.append(Field(d, "data.path", "path", "str"))
    fields += [Field(d, "data.scale", "scaling", "choice", SCALINGS.names()),
               Field(d, "data.validation_split", "validation split", "float")]
    if name not in ("fashion-mnist", "mnist"):
        fields.append(Field(d, "data.test_split", "test split", "float"))
    if name in SYNTHETIC:
        fields += [Field(d, "data.samples", "samples", "int"), Field(d, "data.noise", "noise", "float")]
        if name in ("spiral", "gaussians"):
            fields.append(Field(d, "data.classes", "classes (0: 2)", "int"))
    if name == "csv":
        fields += [Field(d, "data.target", "target column", "target"),
                   Field(d, "data.header", "header", "choice", list(HEADERS)),
                   Field(d, "data.delimiter", "delimiter", "str")]
    if name in ("csv", "npz"):
        fields.append(Field(d, "data.task", "task", "choice", list(TASKS)))
    fields.append(Field(d, "data.seed", "data seed", "int"))
    return fields

def optimizer_fields(d) -> list[Field]:
    fields = [Field(d, "model.loss", "loss", "choice", LOSSES.names(), structural=True),
              Field(d, "model.label_smoothing", "label smoothing", "float"),
              Field(d, "optimizer.name", "optimizer", "choice", OPTIMIZERS.names(), apply=d.set_optimizer)]
    for key in OPTIMIZERS.get(d.get("optimizer.name")).defaults:   # the spec's table says what each is
        fields.append(Field(d, f"optimizer.{key}", key.replace("_", " "), OPTIMIZER_SETTINGS[key].kind))
    return fields

def schedule_fields(d) -> list[Field]:
    fields = [Field(d, "schedule.name", "schedule", "choice", SCHEDULES.names(), apply=d.set_schedule),
              Field(d, "schedule.unit", "unit", "choice", list(SCHEDULE_UNITS))]
    name = d.get("schedule.name")
    for key in SCHEDULES.get(name).defaults:
        fields.append(Field(d, f"schedule.{key}", key.replace("_", " "), schedule_setting(name, key).kind))
    return fields

def train_fields(d) -> list[Field]:
    return [Field(d, "name", "name", "str"), Field(d, "train.epochs", "epochs", "int"), Field(d, "train.batch_size", "batch size", "int"),
            Field(d, "seed", "seed", "int"), Field(d, "train.shuffle", "shuffle", "bool"),
            Field(d, "backend", "backend", "choice", BACKENDS.names())]

def stopping_fields(d) -> list[Field]:
    on = d.get("early_stopping") is not None
    fields = [Field(d, "early_stopping", "early stopping", "bool", apply=d.set_early_stopping)]
    if on:
        fields += [Field(d, "early_stopping.monitor", "monitor", "choice", list(MONITORS)),
                   Field(d, "early_stopping.patience", "patience", "int"),
                   Field(d, "early_stopping.min_delta", "min delta", "float"),
                   Field(d, "early_stopping.mode", "mode", "choice", list(MODES)),
                   Field(d, "early_stopping.restore_best_weights", "restore best", "bool"),
                   Field(d, "early_stopping.smoothing", "smoothing", "int")]
    return fields

# -- refreshing what depends on the draft -----------------------------------------------------------
