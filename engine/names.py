"""The names the experiment spec accepts for each family of the network's parts, their aliases,
and the defaults of each optimizer's and schedule's settings. Plain data, no array library: an
experiment is read and checked (``nntui presets``, the builder's validation, a report) without
loading NumPy. engine.nn holds the implementations, each registered against a name here, and
refuses one this table does not name (tests/test_names.py checks both ways)."""

from __future__ import annotations

from .registry import Registry

ACTIVATIONS: Registry[None] = Registry("activation")
ACTIVATIONS.add("linear", None, ("identity", "none"))
ACTIVATIONS.add("sigmoid", None, ("logistic",))
ACTIVATIONS.add("tanh", None)
ACTIVATIONS.add("relu", None)
ACTIVATIONS.add("leaky_relu", None, ("leakyrelu", "lrelu"))
ACTIVATIONS.add("softmax", None)
ACTIVATIONS.add("elu", None)
ACTIVATIONS.add("selu", None)
ACTIVATIONS.add("gelu", None)
ACTIVATIONS.add("gelu_tanh", None, ("gelu_approximate", "approximate_gelu"))
ACTIVATIONS.add("swish", None, ("silu",))

INITIALIZERS: Registry[None] = Registry("initializer")
INITIALIZERS.add("zeros", None, ("zero",))
INITIALIZERS.add("constant", None)
INITIALIZERS.add("random_normal", None, ("normal",))
INITIALIZERS.add("random_uniform", None, ("uniform",))
INITIALIZERS.add("glorot_normal", None, ("xavier_normal",))
INITIALIZERS.add("glorot_uniform", None, ("xavier_uniform", "glorot", "xavier"))
INITIALIZERS.add("he_normal", None, ("kaiming_normal",))
INITIALIZERS.add("he_uniform", None, ("kaiming_uniform",))
INITIALIZERS.add("lecun_normal", None)

LOSSES: Registry[None] = Registry("loss")
LOSSES.add("sparse_categorical_crossentropy", None,
           ("sparse_cce", "sparse_categorical_cross_entropy", "sparse_crossentropy"))
LOSSES.add("categorical_crossentropy", None, ("cce", "categorical_cross_entropy", "crossentropy", "cross_entropy"))
LOSSES.add("binary_crossentropy", None, ("bce", "binary_cross_entropy"))
LOSSES.add("mse", None, ("mean_squared_error", "squared_error"))

#: the settings every optimizer has, as Keras's base optimizer does: decoupled weight decay and
#: gradient clipping (per weight tensor's norm, the global norm, each value); 0 is off (TOML has
#: no None). A file leaves out the ones at their optimizer's default.
COMMON = {"weight_decay": 0.0, "clipnorm": 0.0, "global_clipnorm": 0.0, "clipvalue": 0.0}
_ADAM = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}

#: each optimizer's settings and their defaults (Keras's), the learning rate included: the spec
#: allows exactly these keys
OPTIMIZERS: Registry[dict] = Registry("optimizer")
OPTIMIZERS.add("sgd", {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False, **COMMON}, ("gradient_descent",))
OPTIMIZERS.add("adagrad", {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7, **COMMON})
OPTIMIZERS.add("rmsprop", {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, **COMMON},
               ("rms_prop",))
OPTIMIZERS.add("adam", {**_ADAM, **COMMON})
OPTIMIZERS.add("adamax", {**_ADAM, **COMMON})
OPTIMIZERS.add("adamw", {**_ADAM, **COMMON, "weight_decay": 0.004}, ("adam_w",))    # Keras's AdamW default
OPTIMIZERS.add("nadam", {**_ADAM, **COMMON})

#: each learning-rate schedule's settings and their defaults
SCHEDULES: Registry[dict] = Registry("schedule")
SCHEDULES.add("constant", {}, ("none", "fixed"))
SCHEDULES.add("exponential", {"decay_rate": 0.96, "decay_every": 1.0, "staircase": False},
              ("exponential_decay", "exp"))
SCHEDULES.add("inverse_time", {"decay_rate": 0.5, "decay_every": 1.0, "staircase": False},
              ("inverse_time_decay", "time_based"))
SCHEDULES.add("step", {"decay_rate": 0.5, "decay_every": 10.0}, ("step_decay", "piecewise"))
SCHEDULES.add("cyclical", {"max_lr": 0.01, "step_size": 2.0}, ("triangular", "clr"))
SCHEDULES.add("cosine_restarts", {"period": 10.0, "period_mult": 2.0, "min_lr": 0.0},
              ("sgdr", "cosine_decay_restarts", "warm_restarts"))
