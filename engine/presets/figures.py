"""The lecture's figures for the lecture-* presets, and what nntui reached on the same recipe
(figures.json: one real run each, its seed and machine recorded by bench/lecture_figures.py).
``measure`` reads the same figure from a finished run, for that script and for the slow tests
that hold each preset to a band around the lecture's figure."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

#: preset: (the figure's key, what it is called, the lecture's value or None where the lecture
#: states none we have)
LECTURE = {
    "lecture-first-network": ("test_accuracy", "test accuracy", 0.8649),
    "lecture-early-stopping": ("test_accuracy", "test accuracy", None),
    "lecture-capacity": ("test_accuracy", "test accuracy", None),
    "lecture-bottleneck": ("test_accuracy", "test accuracy", None),
    "lecture-l2": ("test_accuracy", "test accuracy", None),
    "lecture-dropout": ("test_accuracy", "test accuracy", None),
    "lecture-batchnorm-dropout": ("max_val_accuracy", "maximum validation accuracy", 0.8902),
}

#: the epoch the lecture's figure was reached at, where it says
LECTURE_EPOCH = {"lecture-batchnorm-dropout": 49}

#: the lecture's training loss by epoch where it states it (tf.keras 2's RMSprop)
LECTURE_LOSSES = {"lecture-first-network": (0.5095, 0.4145, 0.3935)}

FIGURES_FILE = Path(str(resources.files(__package__).joinpath("figures.json")))


def measure(name: str, result) -> dict:
    """The preset's figure from a TrainResult, with what explains it (the epoch reached, the
    epochs run, the training loss by epoch)."""
    key = LECTURE[name][0]
    history = result.history
    out = {"epochs_run": len(history), "loss": [round(r["loss"], 4) for r in history]}
    if key == "max_val_accuracy":
        best = max(history, key=lambda r: r["val_accuracy"])
        out.update(value=round(best["val_accuracy"], 4), epoch=best["epoch"])
    else:
        out["value"] = round(result.metrics[key], 4)
    return out


def recorded() -> dict:
    """figures.json: {preset: {"value", "seed", "backend", "cpu", ...}}; {} where absent."""
    try:
        return json.loads(FIGURES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def figure_line(name: str) -> str | None:
    """What `nntui presets` says under a lecture preset: the lecture's figure and nntui's."""
    if name not in LECTURE:
        return None
    _, what, lecture = LECTURE[name]
    run = recorded().get(name)
    said = f"lecture: {what} {lecture:.4f}" if lecture is not None else f"lecture: {what} not stated"
    if name in LECTURE_EPOCH:
        said += f" at epoch {LECTURE_EPOCH[name]}"
    if name in LECTURE_LOSSES:
        said += " (loss " + " / ".join(f"{v:.4f}" for v in LECTURE_LOSSES[name]) + ")"
    if run is None:
        return said + "; nntui: not recorded yet (python bench/lecture_figures.py)"
    at = f" at epoch {run['epoch']}" if "epoch" in run else ""
    loss = " (loss " + " / ".join(f"{v:.4f}" for v in run["loss"]) + ")" if name in LECTURE_LOSSES else ""
    return (f"{said}; nntui: {run['value']:.4f}{at}{loss}, seed {run['seed']}, {run['backend']}, "
            f"{run['epochs_run']} epochs, {run['cpu']}")
