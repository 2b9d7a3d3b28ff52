"""What early stopping and a search can watch, and which way each improves: written once, below
both the [early_stopping] and the [search] tables."""

from __future__ import annotations

MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy", "val_mae", "mae")


def direction_of(monitor: str) -> str:
    """'max' for an accuracy, 'min' for a loss or an error."""
    return "max" if monitor.endswith("accuracy") else "min"
