"""What early stopping and a search can watch, and which way each improves: written once, below
both the [early_stopping] and the [search] tables."""

from __future__ import annotations

MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy", "val_mae", "mae", "val_rmse", "rmse", "val_r2", "r2")


def direction_of(monitor: str) -> str:
    """'max' for an accuracy or R², 'min' for a loss or an error."""
    return "max" if monitor.endswith("accuracy") or monitor.endswith("r2") else "min"
