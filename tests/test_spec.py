"""The experiment file: round trip, aliases, and a clear error naming the field for bad input."""

import textwrap
from pathlib import Path

import pytest

import engine
import engine.presets
from engine import Experiment, SpecError

ROOT = Path(__file__).resolve().parents[1]

USER_FILE = textwrap.dedent("""\
    # what a user writes: comments, aliases, defaults left out
    seed = 7
    backend = "numpy"

    [data]
    name = "Fashion-MNIST"
    path = "/data/fmnist"
    validation_split = 0.2

    [model]
    loss = "sparse_categorical_crossentropy"
    label_smoothing = 0.1

    [[model.layers]]
    units = 256
    activation = "relu"
    initializer = "kaiming_normal"
    l2 = 0.001

    [[model.layers]]
    type = "dropout"
    rate = 0.5

    [[model.layers]]
    type = "batch_norm"

    [[model.layers]]
    type = "dense"
    units = 10
    activation = "softmax"

    [optimizer]
    name = "SGD"
    learning_rate = 0.05
    momentum = 0.9
    nesterov = true

    [schedule]
    name = "sgdr"
    period = 5

    [train]
    epochs = 12
    batch_size = 128

    [early_stopping]
    monitor = "val_accuracy"
    patience = 2
    restore_best_weights = true
    """)


def test_user_file_parses_with_aliases_resolved(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text(USER_FILE)
    exp = Experiment.from_toml(path)
    assert exp.data.name == "fashion-mnist"
    assert exp.model.layers[0].initializer == "he_normal"
    assert exp.model.layers[2].type == "batchnorm" and exp.model.layers[2].momentum == 0.99
    assert exp.optimizer.name == "sgd" and exp.optimizer.nesterov is True and exp.optimizer.rho is None
    assert exp.schedule.name == "cosine_restarts" and exp.schedule.period_mult == 2.0
    assert exp.early_stopping.direction == "max"


@pytest.mark.parametrize("source", ["user", *sorted(p.name for p in (ROOT / "examples").glob("*.toml"))])
def test_round_trip_is_exact(tmp_path, source):
    if source == "user":
        exp = Experiment.from_toml_string(USER_FILE)
    else:
        exp = Experiment.from_toml(ROOT / "examples" / source)
    out = exp.to_toml(tmp_path / "again.toml")
    again = Experiment.from_toml(out)
    assert again == exp
    assert again.to_toml_string() == exp.to_toml_string()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary file left behind"


@pytest.mark.parametrize("name", engine.presets.preset_names())
def test_every_preset_round_trips(name):
    """Saved and reloaded: a 2D set's experiment once wrote classes = 0, which its parser refuses."""
    exp = engine.presets.load_preset(name)
    assert Experiment.from_dict(exp.to_dict()) == exp
    assert Experiment.from_toml_string(exp.to_toml_string()) == exp


def test_constructor_checks_like_the_parser():
    exp = Experiment(model=engine.ModelSpec(layers=(engine.DenseSpec(10, activation="softmax", initializer="xavier"),)))
    assert exp.model.layers[0].initializer == "glorot_uniform"
    with pytest.raises(SpecError, match=r"model\.layers\[0\]\.units"):
        Experiment(model=engine.ModelSpec(layers=(engine.DenseSpec(0),)))


def base():
    return {"model": {"layers": [{"units": 32}, {"units": 10, "activation": "softmax"}]}}


def with_(path, value):
    d = base()
    node = d
    keys = path.split(".")
    for k in keys[:-1]:
        if k.isdigit():
            node = node[int(k)]
        else:
            node = node.setdefault(k, {})
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return d


BAD = [
    (with_("model.layers.0.units", 0), r"model\.layers\[0\]\.units: must be a positive integer, got 0"),
    (with_("model.layers.0.units", "64"), r"model\.layers\[0\]\.units: must be a positive integer, got '64'"),
    (with_("model.layers.0.unit", 64), r"model\.layers\[0\]\.unit: unknown key of a dense layer; valid keys: units"),
    (with_("model.layers.0.activation", "relu6"), r"model\.layers\[0\]\.activation: unknown activation 'relu6'; valid: linear, sigmoid"),
    (with_("model.layers.0.initializer", "he"), r"model\.layers\[0\]\.initializer: unknown initializer 'he'; valid: zeros"),
    (with_("model.layers.0.type", "conv2d"), r"model\.layers\[0\]\.type: unknown layer type 'conv2d'; valid: dense, dropout, batchnorm"),
    (with_("model.layers.0", {"type": "dropout", "rate": 1.0}), r"model\.layers\[0\]\.rate: must be a number in \[0, 1\), got 1\.0"),
    (with_("model.layers.0", {"type": "dropout", "units": 3}), r"model\.layers\[0\]\.units: unknown key of a dropout layer; valid keys: rate, type"),
    (with_("model.layers.0.l2", -1), r"model\.layers\[0\]\.l2: must be a number >= 0, got -1"),
    (with_("model.layers.0.trainable", "yes"), r"model\.layers\[0\]\.trainable: must be true or false, got 'yes'"),
    (with_("model.layers.1", {"type": "dropout"}), r"model\.layers\[1\]: the last layer must be dense"),
    (with_("model.layers.0.activation", "softmax"), r"model\.layers\[0\]\.activation: softmax belongs on the output layer only"),
    (with_("model.layers", []), r"model\.layers: needs at least one layer"),
    (with_("model.loss", "hinge"), r"model\.loss: unknown loss 'hinge'; valid: sparse_categorical_crossentropy"),
    (with_("model.label_smoothing", 1.5), r"model\.label_smoothing: must be a number in \[0, 1\)"),
    (with_("model.layers.1.units", 3), r"model\.layers\[1\]\.units: must be 10 \(the data's classes\) for sparse_categorical_crossentropy, got 3"),
    (with_("model.loss", "binary_crossentropy"), r"model\.loss: binary_crossentropy needs 2 classes, the data has 10"),
    (with_("optimizer", {"name": "adam", "rho": 0.9}), r"optimizer\.rho: is not a setting of adam; adam has: learning_rate, beta_1, beta_2, epsilon"),
    (with_("optimizer", {"name": "lion"}), r"optimizer\.name: unknown optimizer 'lion'; valid: sgd, adagrad, rmsprop, adam, adamax, adamw, nadam"),
    (with_("optimizer", {"name": "sgd", "learning_rate": 0}), r"optimizer\.learning_rate: must be a number in \(0, 1000\], got 0"),
    (with_("optimizer", {"name": "sgd", "momentum": 1.0}), r"optimizer\.momentum: must be a number in \[0, 1\), got 1\.0"),
    (with_("schedule", {"name": "exponential", "max_lr": 1}), r"schedule\.max_lr: is not a setting of the exponential schedule; it has: unit, decay_rate, decay_every, staircase"),
    (with_("schedule", {"name": "cyclical", "max_lr": 0.0001}), r"schedule\.max_lr: must be above optimizer\.learning_rate \(0\.001\)"),
    (with_("schedule", {"name": "constant", "unit": "batch"}), r"schedule\.unit: must be one of epoch, step; got 'batch'"),
    (with_("train", {"epochs": -2}), r"train\.epochs: must be a positive integer, got -2"),
    (with_("train", {"batchsize": 32}), r"train\.batchsize: unknown key; valid keys: epochs, batch_size, shuffle"),
    (with_("early_stopping", {"monitor": "val_acc"}), r"early_stopping\.monitor: must be one of val_loss, val_accuracy, loss, accuracy"),
    (with_("early_stopping", {"patience": -1}), r"early_stopping\.patience: must be an integer >= 0, got -1"),
    (dict(with_("early_stopping", {}), data={"validation_split": 0.0}), r"early_stopping\.monitor: 'val_loss' needs a validation split"),
    (with_("data", {"name": "cifar10"}), r"data\.name: unknown dataset 'cifar10'; valid: digits, fashion-mnist"),
    (with_("data", {"name": "digits", "noise": 0.2}), r"data\.noise: applies only to the synthetic sets"),
    (with_("data", {"name": "moons", "classes": 3}), r"data\.classes: applies only to spiral and gaussians"),
    (with_("data", {"validation_split": 1.0}), r"data\.validation_split: must be a number in \[0, 1\), got 1\.0"),
    (with_("data", {"name": "csv"}), r"data\.path: the csv dataset needs a file path"),
    (with_("data", {"scale": "log"}), r"data\.scale: unknown scaling 'log'; valid: minmax, standardize, none"),
    (with_("backend", "cuda"), r"backend: unknown backend 'cuda'; valid: auto, numpy, mlx"),
    (with_("seed", -1), r"seed: must be an integer >= 0, got -1"),
    (with_("epochs", 3), r"epochs: unknown key; valid keys: name, description, seed"),
    ({"data": {"name": "digits"}}, r"model: is required"),
]


@pytest.mark.parametrize("raw,message", BAD, ids=[m.split(":")[0].replace("\\", "") for _, m in BAD])
def test_bad_input_names_the_field(raw, message):
    with pytest.raises(SpecError, match=message):
        Experiment.from_dict(raw)


def test_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\nloss = 1\n")
    with pytest.raises(SpecError, match=r"bad\.toml: not valid TOML: .*line 1"):
        Experiment.from_toml(bad)
    with pytest.raises(SpecError, match=r"missing\.toml: file not found"):
        Experiment.from_toml(tmp_path / "missing.toml")
    bad.write_text('[model]\nloss = "mse"\n[[model.layers]]\nunits = 0\n')
    with pytest.raises(SpecError, match=r"bad\.toml: model\.layers\[0\]\.units: must be a positive integer, got 0"):
        Experiment.from_toml(bad)


def test_overrides_are_checked():
    exp = Experiment.from_dict(base())
    assert engine.with_overrides(exp, epochs=3, seed=5, batch_size=7).train.epochs == 3
    with pytest.raises(SpecError, match=r"train\.epochs"):
        engine.with_overrides(exp, epochs=0)


def test_registries_list_aliases():
    assert engine.OPTIMIZERS.canonical("RMSProp") == "rmsprop"
    assert engine.LOSSES.canonical("cce") == "categorical_crossentropy"
    assert engine.ACTIVATIONS.canonical("LeakyReLU") == "leaky_relu"
    assert engine.SCHEDULES.canonical("warm_restarts") == "cosine_restarts"
    assert engine.INITIALIZERS.canonical("xavier_normal") == "glorot_normal"


def test_the_settings_table_covers_every_optimizer_and_schedule_setting():
    """What each setting allows is written once (engine/spec/settings.py); the parser and the
    app's forms read it, so every registry setting must be there, and a value outside its range is
    refused by name."""
    from engine.nn.optimizers import OPTIMIZERS
    from engine.nn.schedules import SCHEDULES
    from engine.spec import OPTIMIZER_SETTINGS, SCHEDULE_SETTINGS, schedule_setting

    for name in OPTIMIZERS.names():
        for key, default in OPTIMIZERS.get(name).defaults.items():
            assert OPTIMIZER_SETTINGS[key].check(default, key) == default
    for name in SCHEDULES.names():
        for key, default in SCHEDULES.get(name).defaults.items():
            assert key in SCHEDULE_SETTINGS and schedule_setting(name, key).check(default, key) == default
    with pytest.raises(engine.SpecError, match=r"schedule.decay_rate: must be a number in \(0, 1\]"):
        engine.Experiment.from_dict({"model": {"layers": [{"units": 10, "activation": "softmax"}]},
                                     "schedule": {"name": "exponential", "decay_rate": 1.5}})


def test_weight_decay_and_clipping_are_settings_of_every_optimizer():
    base = {"model": {"layers": [{"units": 10, "activation": "softmax"}]}}
    exp = engine.Experiment.from_dict({**base, "optimizer": {"name": "sgd", "clipnorm": 1.0, "weight_decay": 0.01}})
    assert exp.optimizer.to_dict() == {"name": "sgd", "learning_rate": 0.01, "momentum": 0.0, "nesterov": False,
                                       "weight_decay": 0.01, "clipnorm": 1.0}      # the unset ones left out
    assert engine.Experiment.from_dict({**base, "optimizer": exp.optimizer.to_dict()}) == exp
    adamw = engine.Experiment.from_dict({**base, "optimizer": {"name": "adamw", "weight_decay": 0.0}})
    assert adamw.optimizer.to_dict()["weight_decay"] == 0.0       # written: it differs from AdamW's 0.004
    with pytest.raises(engine.SpecError, match=r"optimizer\.global_clipnorm: only one of clipnorm"):
        engine.Experiment.from_dict({**base, "optimizer": {"name": "adam", "clipnorm": 1, "global_clipnorm": 1}})
    with pytest.raises(engine.SpecError, match=r"optimizer\.clipvalue"):
        engine.Experiment.from_dict({**base, "optimizer": {"name": "adam", "clipvalue": -1}})
    with pytest.raises(engine.SpecError, match=r"optimizer\.weight_decay"):
        engine.Experiment.from_dict({**base, "optimizer": {"name": "adam", "weight_decay": 1.5}})
