"""The entry points scripts use: build_model and load_model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .backends import model_class, resolve_backend
from .backends.plan import check_model_fits
from .errors import SpecError
from .saving import read_model_file, transfer_weights
from .spec import Experiment


def build_model(exp: Experiment, input_dim: int, backend: str | None = None, dtype=np.float32, **options):
    """A model for ``exp`` on ``backend`` (default: the experiment's, 'auto' resolved), weights
    seeded by ``exp.seed`` and, if the spec says so, transferred from a saved model. ``options``
    go to the backend (mlx: ``compiled=False`` runs the step eagerly)."""
    choice = resolve_backend(backend or exp.backend)
    check_model_fits(exp, input_dim, np.dtype(dtype).itemsize)
    model = model_class(choice.name)(exp, input_dim, dtype=dtype, **options)
    model.choice = choice
    if exp.model.transfer_from:
        transfer_weights(model, exp.model.transfer_from, exp.model.transfer_layers)
    return model


def load_model(path: str | Path, backend: str | None = "numpy", dtype=np.float32):
    """Rebuild a saved model (model.npz) with its weights; ``model.scaler`` holds the data scaling."""
    exp, input_dim, weights, scaler = read_model_file(path)
    choice = resolve_backend(backend or exp.backend)
    model = model_class(choice.name)(exp, input_dim, dtype=dtype)
    model.choice = choice
    try:
        model.set_weights(weights)
    except (KeyError, ValueError, TypeError) as exc:   # weights that do not fit the stored experiment
        raise SpecError("", f"the weights do not fit the model it describes: {exc}", str(path)) from None
    model.scaler = scaler
    return model
