"""Learning-rate schedules: pure functions of the position in training, shared by every backend.

``t`` counts units of the schedule (epochs by default, or optimizer steps with unit = "step");
with unit "epoch" it advances by 1/steps_per_epoch each batch, so decays are smooth unless the
schedule is a staircase."""

from __future__ import annotations

import math

from .. import names
from ..registry import Registry

SCHEDULES: Registry = Registry.implementing(names.SCHEDULES)


class Schedule:
    defaults: dict = {}

    @staticmethod
    def rate(lr: float, t: float, **settings) -> float:
        raise NotImplementedError


@SCHEDULES.register("constant")
class Constant(Schedule):
    """lr(t) = lr"""

    @staticmethod
    def rate(lr, t):
        return lr


@SCHEDULES.register("exponential")
class Exponential(Schedule):
    """lr(t) = lr * decay_rate ^ (t / decay_every)   (exponent floored with staircase)"""

    @staticmethod
    def rate(lr, t, decay_rate, decay_every, staircase):
        p = t / decay_every
        return lr * decay_rate ** (math.floor(p) if staircase else p)


@SCHEDULES.register("inverse_time")
class InverseTime(Schedule):
    """lr(t) = lr / (1 + decay_rate * t / decay_every)   (t / decay_every floored with staircase)"""

    @staticmethod
    def rate(lr, t, decay_rate, decay_every, staircase):
        p = t / decay_every
        return lr / (1 + decay_rate * (math.floor(p) if staircase else p))


@SCHEDULES.register("step")
class Step(Schedule):
    """lr(t) = lr * decay_rate ^ floor(t / decay_every)   (drop by decay_rate every decay_every units)"""

    @staticmethod
    def rate(lr, t, decay_rate, decay_every):
        return lr * decay_rate ** math.floor(t / decay_every + 1e-9)


@SCHEDULES.register("cyclical")
class Cyclical(Schedule):
    """Triangular cycles between lr and max_lr (Smith 2017), step_size units up then down:
    c = floor(1 + t / (2 s)),  x = |t / s - 2 c + 1|,  lr(t) = lr + (max_lr - lr) max(0, 1 - x)"""

    @staticmethod
    def rate(lr, t, max_lr, step_size):
        cycle = math.floor(1 + t / (2 * step_size))
        x = abs(t / step_size - 2 * cycle + 1)
        return lr + (max_lr - lr) * max(0.0, 1 - x)


@SCHEDULES.register("cosine_restarts")
class CosineRestarts(Schedule):
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017): periods T_i = period *
    period_mult^i; within one, lr(t) = min_lr + (lr - min_lr) (1 + cos(pi t_cur / T_i)) / 2"""

    @staticmethod
    def rate(lr, t, period, period_mult, min_lr):
        t_cur, t_i = t, period
        while t_cur >= t_i - 1e-12:
            t_cur -= t_i
            t_i *= period_mult
        return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * t_cur / t_i)) / 2


def schedule_function(schedule, base_lr: float, steps_per_epoch: int):
    """``rate(step)`` for a ScheduleSpec: the optimizer step's (0-based) learning rate. Built once
    per run; the trainer calls it every step."""
    rate, settings = SCHEDULES.get(schedule.name).rate, schedule.settings()
    per = 1.0 / max(1, steps_per_epoch) if schedule.unit == "epoch" else 1.0
    if schedule.name == "constant":
        return lambda step: base_lr
    return lambda step: rate(base_lr, step * per, **settings)


def learning_rate_at(schedule, base_lr: float, step: int, steps_per_epoch: int) -> float:
    """The rate for optimizer step ``step`` (0-based) of a ScheduleSpec."""
    return schedule_function(schedule, base_lr, steps_per_epoch)(step)
