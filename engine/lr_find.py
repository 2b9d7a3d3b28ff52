"""The learning-rate finder (Smith's range test, as fastai's lr_find and Lightning's Tuner run it):
from fresh weights, a few hundred training steps whose rate grows exponentially from ``start``
to ``end``; the loss, smoothed, against the rate on a log axis; the suggestion is the rate where
the smoothed loss falls fastest (the steepest descent, in loss per decade of rate). The sweep
stops once the smoothed loss exceeds DIVERGE times its best (it has exploded: larger rates say
nothing more). It trains a model of its own: the experiment's weights, anyone's model, are not
touched."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .api import build_model
from .data import Dataset, load_data

#: fastai's defaults: the average's factor, when a sweep has exploded, the rates
BETA = 0.98
DIVERGE = 4.0
START, END, STEPS = 1e-7, 10.0, 200
#: the first and last points left out of the suggestion (the average's start-up; the explosion)
SKIP_BEGIN, SKIP_END = 10, 1


@dataclass
class LrFind:
    batch_size: int
    rates: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)      # each step's loss
    smoothed: list[float] = field(default_factory=list)    # the bias-corrected moving average
    suggestion: float | None = None
    exploded: bool = False                                 # stopped early: the loss blew up

    def to_dict(self) -> dict:
        return {"batch_size": self.batch_size, "suggestion": self.suggestion, "exploded": self.exploded,
                "rates": self.rates, "losses": self.losses, "smoothed": self.smoothed}


def steepest(rates: list[float], smoothed: list[float]) -> float | None:
    """The rate where the smoothed loss falls fastest against log10(rate): the slope over a
    third of a decade each side (the average still carries the batches' noise, which a slope
    from one step to the next magnifies)."""
    lo, hi = SKIP_BEGIN, len(smoothed) - SKIP_END
    if hi - lo < 5:
        return None
    r, s = np.log10(np.asarray(rates[lo:hi])), np.asarray(smoothed[lo:hi])
    per_decade = (len(r) - 1) / max(r[-1] - r[0], 1e-12)
    w = max(1, min(len(r) // 4, round(per_decade / 3)))
    slope = (s[2 * w:] - s[:-2 * w]) / (r[2 * w:] - r[:-2 * w])
    return float(10 ** r[w + int(np.argmin(slope))])


def lr_find(exp, data: Dataset | None = None, batch_size: int | None = None, start: float = START,
            end: float = END, steps: int = STEPS, backend: str | None = None,
            progress=None) -> LrFind:
    """Sweep the rate from ``start`` to ``end`` over ``steps`` steps of ``batch_size`` (default:
    the experiment's) on a fresh model; ``progress(step, rate, smoothed)`` after each step."""
    if not (0 < start < end and math.isfinite(end)):
        raise ValueError(f"the sweep needs 0 < start < end, got {start:g} and {end:g}")
    data = data if data is not None else load_data(exp.data)
    model = build_model(exp, data.n_features, backend=backend)
    bs = batch_size or exp.train.batch_size
    x = data.x_train.astype(model.dtype, copy=False)
    y = data.y_train
    rng = np.random.default_rng([exp.seed, 3])
    result = LrFind(bs)
    order, at = rng.permutation(len(x)), 0
    average, best = 0.0, math.inf
    if exp.train.class_weight is not None and data.task == "classification":
        from .nn.losses import labels_of
        model.set_class_weights(exp.train.class_weights(data.class_names, labels_of(exp.model.loss, y)))
    with np.errstate(all="ignore"):
        for i in range(steps):
            if at + bs > len(x):                          # a new epoch's order (a short last batch is left out)
                order, at = rng.permutation(len(x)), 0
            rows = order[at:at + bs]
            at += bs
            rate = start * (end / start) ** (i / max(1, steps - 1))
            loss, _ = model.train_step(x[rows], y[rows], rate)
            if not math.isfinite(loss):
                result.exploded = True
                break
            average = BETA * average + (1 - BETA) * loss
            smooth = average / (1 - BETA ** (i + 1))
            result.rates.append(rate)
            result.losses.append(float(loss))
            result.smoothed.append(smooth)
            best = min(best, smooth)
            if progress is not None:
                progress(i + 1, rate, smooth)
            if smooth > DIVERGE * best:
                result.exploded = True
                break
    result.suggestion = steepest(result.rates, result.smoothed)
    return result
