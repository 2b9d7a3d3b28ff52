"""The columns of a run's history.csv: plain data, so that reading a run folder (`nntui report`)
builds none of the trainer's event classes."""

from __future__ import annotations

#: the columns of a classification run's history.csv, in order
HISTORY_FIELDS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds")
#: ...and of a regression run's: the error measures in the accuracy's place
REGRESSION_FIELDS = ("epoch", "loss", "mae", "rmse", "r2", "val_loss", "val_mae", "val_rmse", "val_r2", "lr",
                     "seconds")
#: what EpochEnded.history_row keeps (both tasks' columns: the other task's are None)
ROW_FIELDS = ("epoch", "loss", "accuracy", "mae", "rmse", "r2", "val_loss", "val_accuracy", "val_mae", "val_rmse",
              "val_r2", "lr", "seconds")


def history_fields(regression: bool) -> tuple[str, ...]:
    """history.csv's columns for a run of this task."""
    return REGRESSION_FIELDS if regression else HISTORY_FIELDS


def is_regression(row: dict) -> bool:
    """Whether a history row (or an epoch_end event's dict) is a regression run's."""
    return row.get("accuracy") is None and row.get("mae") is not None
