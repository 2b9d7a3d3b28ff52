"""What a model is to the trainer, the recorder, the evaluation and the app: the Model protocol
both backends implement, and ModelBase, the parts they share written once (targets from labels,
the summary, the chunked predict and evaluate loops). A backend supplies the maths of one chunk."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from ..nn import losses as L
from ..nn.metrics import RegressionErrors
from .plan import plan_layers, summary_text


@runtime_checkable
class Model(Protocol):
    backend: str
    device: str
    experiment: object
    input_dim: int
    dtype: np.dtype

    def get_weights(self) -> dict[str, np.ndarray]: ...
    def set_weights(self, weights: dict[str, np.ndarray]) -> None: ...
    def count_params(self) -> tuple[int, int]: ...
    def get_training_state(self) -> tuple[dict[str, np.ndarray], dict]: ...
    def set_training_state(self, arrays: dict[str, np.ndarray], info: dict) -> None: ...
    def summary(self) -> str: ...
    def weights_finite(self) -> bool: ...
    def train_step(self, x, y, lr: float) -> tuple[float, int]: ...
    def loss_and_gradients(self, x, y) -> tuple[float, dict[str, np.ndarray]]: ...
    def predict(self, x, batch_size: int = ...) -> np.ndarray: ...
    def evaluate(self, x, y, batch_size: int = ..., outputs: list | None = None) -> dict[str, float]: ...


class ModelBase:
    """The shared half of a backend's model. Subclasses call :meth:`_common` first and provide
    ``_eval_chunk`` (outputs if asked for, else None; loss, right, absolute error of one chunk), ``_predict_chunk``,
    ``_penalty_value`` and ``EVAL_CHUNK``."""

    EVAL_CHUNK = 2048
    #: steps the trainer queues between two synchronisations with the host (0: every step hands
    #: back its loss). A model with ``defer`` also has ``put_training_data``, ``queue_step`` and
    #: ``flush`` (the MLX backend on a GPU; engine.trainer).
    defer = 0

    def _common(self, exp, input_dim: int, dtype) -> None:
        self.experiment = exp
        self.input_dim = int(input_dim)
        self.dtype = np.dtype(dtype)
        self.loss = exp.model.loss
        self.smoothing = exp.model.label_smoothing
        self.plans = plan_layers(exp.model, input_dim)
        self.units_out = self.plans[-1].units
        k = self.units_out
        self._label_rows = (L.target_matrix(np.arange(k), self.loss, k, self.smoothing, self.dtype)
                            if self.loss in ("sparse_categorical_crossentropy", "categorical_crossentropy") else None)

    def _targets(self, y) -> np.ndarray:
        """The loss's target matrix: class labels become rows of the (smoothed) identity."""
        y = np.asarray(y)
        if self._label_rows is not None and y.ndim == 1:
            return np.take(self._label_rows, y, axis=0)
        return L.target_matrix(y, self.loss, self.units_out, self.smoothing, self.dtype)

    def summary(self) -> str:
        """The Keras-like table (printed, and returned)."""
        text = summary_text(self.experiment, self.input_dim)
        print(text)
        return text

    def _as_array(self, x) -> np.ndarray:
        return np.asarray(x, dtype=self.dtype)

    def predict(self, x, batch_size: int | None = None) -> np.ndarray:
        """Outputs in evaluation mode: probabilities for softmax/sigmoid outputs, else values."""
        x = self._as_array(x)
        step = batch_size or self.EVAL_CHUNK
        parts = [self._predict_chunk(x[i:i + step]) for i in range(0, len(x), step)]
        return np.concatenate(parts) if parts else np.empty((0, self.units_out), self.dtype)

    def evaluate(self, x, y, batch_size: int | None = None, outputs: list | None = None) -> dict[str, float]:
        """{"loss", "accuracy"} for classification, {"loss", "mae", "rmse", "r2"} for regression
        (engine.nn.metrics); the loss includes the L1/L2 penalties, as in training. ``outputs``: a list that receives every
        chunk's outputs, so that one pass also gives the predictions (engine/evaluation.py)."""
        x = self._as_array(x)
        n = len(x)
        if n == 0:
            return {}
        step = batch_size or self.EVAL_CHUNK
        total, right = 0.0, 0
        errors = None if self.loss in L.CLASSIFICATION else RegressionErrors()
        for i in range(0, n, step):
            xb, yb = x[i:i + step], y[i:i + step]
            out, loss, r, _ = self._eval_chunk(xb, yb, outputs is not None or errors is not None)
            if outputs is not None:
                outputs.append(out)
            if errors is not None:
                errors.add(out, self._targets(yb))
            total += loss * len(xb)
            right += r
        result = {"loss": total / n + self._penalty_value()}
        if errors is None:
            result["accuracy"] = right / n
        else:
            result.update(errors.figures())
        return result
