"""What early stopping and a search can watch, and which way each improves: written once, below
both the [early_stopping] and the [search] tables."""

from __future__ import annotations

MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy", "val_mae", "mae", "val_rmse", "rmse", "val_r2", "r2")


def direction_of(monitor: str) -> str:
    """'max' for an accuracy or R², 'min' for a loss or an error."""
    return "max" if monitor.endswith("accuracy") or monitor.endswith("r2") else "min"


def monitors_for(task: str | None) -> tuple[str, ...]:
    """What a run of ``task`` measures ('classification', 'regression'; None: not known yet, all)."""
    if task is None:
        return MONITORS
    theirs = ("mae", "rmse", "r2") if task == "regression" else ("accuracy",)
    return tuple(m for m in MONITORS if m.removeprefix("val_") in ("loss", *theirs))
