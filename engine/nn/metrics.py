"""Regression's figures over a whole set, added up chunk by chunk in float64 (never averaged over
batches): MAE, RMSE and R², with Keras's definitions.

- MAE = mean |y_hat - y| over every sample and output.
- RMSE = sqrt(mean (y_hat - y)^2) over every sample and output (Keras's RootMeanSquaredError;
  scikit-learn's root_mean_squared_error averages each output's RMSE instead: the same for one
  output, the usual case).
- R² = 1 - SS_res / SS_tot for each output (SS_tot about the set's own mean), averaged over the
  outputs (Keras's R2Score and scikit-learn's r2_score, multioutput "uniform_average"); an output
  whose targets are all alike scores 1 if predicted exactly and 0 otherwise (scikit-learn's
  force_finite)."""

from __future__ import annotations

import math

import numpy as np


class RegressionErrors:
    """Sums over the chunks seen so far, per output."""

    def __init__(self) -> None:
        self.n = 0
        self.abs = self.sq = self.t = self.tt = None

    def add(self, predicted: np.ndarray, target: np.ndarray) -> None:
        p = np.asarray(predicted, dtype=np.float64).reshape(len(predicted), -1)
        t = np.asarray(target, dtype=np.float64).reshape(len(target), -1)
        d = p - t
        sums = (np.abs(d).sum(axis=0), (d * d).sum(axis=0), t.sum(axis=0), (t * t).sum(axis=0))
        if self.abs is None:
            self.abs, self.sq, self.t, self.tt = sums
        else:
            for have, more in zip((self.abs, self.sq, self.t, self.tt), sums):
                have += more
        self.n += len(t)

    def figures(self) -> dict[str, float]:
        """{"mae", "rmse", "r2"} (empty before any chunk)."""
        if not self.n:
            return {}
        k = len(self.abs)
        mae = float(self.abs.sum()) / (self.n * k)
        rmse = math.sqrt(float(self.sq.sum()) / (self.n * k))
        ss_tot = np.maximum(self.tt - self.t * self.t / self.n, 0.0)
        r2 = [(1.0 - res / tot) if tot > 0 else (1.0 if res == 0 else 0.0) for res, tot in zip(self.sq, ss_tot)]
        return {"mae": mae, "rmse": rmse, "r2": float(np.mean(r2))}
