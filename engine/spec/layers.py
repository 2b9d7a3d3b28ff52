"""[model] and [[model.layers]]: dense, dropout and batchnorm layers, the loss and transfer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from ..names import ACTIVATIONS, INITIALIZERS, LOSSES
from ..registry import Registry
from .checks import _bool, _check_keys, _float, _int, _names, _str, _table


@dataclass(frozen=True)
class DenseSpec:
    units: int
    activation: str = "relu"
    initializer: str = "glorot_uniform"
    init_scale: float | None = None    # stddev (random_normal), limit (random_uniform), value (constant)
    negative_slope: float = 0.01       # leaky_relu only
    l1: float = 0.0
    l2: float = 0.0
    trainable: bool = True
    type: str = "dense"

    @classmethod
    def parse(cls, raw: dict, path: str) -> "DenseSpec":
        _check_keys(raw, path, _names(cls), "a dense layer")
        if "units" not in raw:
            raise SpecError(f"{path}.units", "is required for a dense layer (a positive integer)")
        scale = raw.get("init_scale")
        return cls(
            units=_int(raw["units"], f"{path}.units"),
            activation=ACTIVATIONS.canonical(raw.get("activation", cls.activation), f"{path}.activation"),
            initializer=INITIALIZERS.canonical(raw.get("initializer", cls.initializer), f"{path}.initializer"),
            init_scale=None if scale is None else _float(scale, f"{path}.init_scale", 0.0, 1e6),
            negative_slope=_float(raw.get("negative_slope", cls.negative_slope),
                                  f"{path}.negative_slope", 0.0, 1.0),
            l1=_float(raw.get("l1", 0.0), f"{path}.l1", 0.0),
            l2=_float(raw.get("l2", 0.0), f"{path}.l2", 0.0),
            trainable=_bool(raw.get("trainable", True), f"{path}.trainable"),
        )

    def to_dict(self) -> dict:
        out = {"type": "dense", "units": self.units, "activation": self.activation,
               "initializer": self.initializer}
        if self.init_scale is not None:
            out["init_scale"] = self.init_scale
        if self.activation == "leaky_relu" or self.negative_slope != 0.01:
            out["negative_slope"] = self.negative_slope
        out.update(l1=self.l1, l2=self.l2, trainable=self.trainable)
        return out


@dataclass(frozen=True)
class DropoutSpec:
    rate: float = 0.5
    type: str = "dropout"

    @classmethod
    def parse(cls, raw: dict, path: str) -> "DropoutSpec":
        _check_keys(raw, path, _names(cls), "a dropout layer")
        return cls(rate=_float(raw.get("rate", cls.rate), f"{path}.rate", 0.0, 1.0, hi_open=True))

    def to_dict(self) -> dict:
        return {"type": "dropout", "rate": self.rate}


@dataclass(frozen=True)
class BatchNormSpec:
    momentum: float = 0.99
    epsilon: float = 1e-3
    trainable: bool = True
    type: str = "batchnorm"

    @classmethod
    def parse(cls, raw: dict, path: str) -> "BatchNormSpec":
        _check_keys(raw, path, _names(cls), "a batchnorm layer")
        return cls(
            momentum=_float(raw.get("momentum", cls.momentum), f"{path}.momentum", 0.0, 1.0, hi_open=True),
            epsilon=_float(raw.get("epsilon", cls.epsilon), f"{path}.epsilon", 0.0, 1.0, lo_open=True),
            trainable=_bool(raw.get("trainable", True), f"{path}.trainable"),
        )

    def to_dict(self) -> dict:
        return {"type": "batchnorm", "momentum": self.momentum, "epsilon": self.epsilon,
                "trainable": self.trainable}


LayerSpec = DenseSpec | DropoutSpec | BatchNormSpec
LAYER_TYPES = Registry("layer type")
LAYER_TYPES.add("dense", DenseSpec, ("linear_layer", "fully_connected", "fc"))
LAYER_TYPES.add("dropout", DropoutSpec)
LAYER_TYPES.add("batchnorm", BatchNormSpec, ("batch_norm", "batchnormalization", "batch_normalization", "bn"))


def parse_layer(raw: Any, path: str) -> LayerSpec:
    raw = _table(raw, path)
    cls = LAYER_TYPES.get(raw.get("type", "dense"), f"{path}.type")
    raw["type"] = cls.type
    return cls.parse(raw, path)


@dataclass(frozen=True)
class ModelSpec:
    layers: tuple[LayerSpec, ...] = ()
    loss: str = "sparse_categorical_crossentropy"
    label_smoothing: float = 0.0
    transfer_from: str = ""            # a saved model.npz whose weights start this model
    transfer_layers: tuple[int, ...] = ()   # layer indices to take (empty: every layer with weights)

    @classmethod
    def parse(cls, raw: Any, path: str = "model") -> "ModelSpec":
        raw = _table(raw, path)
        _check_keys(raw, path, _names(cls))
        layers_raw = raw.get("layers", [])
        if not isinstance(layers_raw, list) or not layers_raw:
            raise SpecError(f"{path}.layers", "needs at least one layer ([[model.layers]] tables)")
        layers = tuple(parse_layer(layer, f"{path}.layers[{i}]") for i, layer in enumerate(layers_raw))
        tl = raw.get("transfer_layers", [])
        if not isinstance(tl, list):
            raise SpecError(f"{path}.transfer_layers", f"must be a list of layer indices, got {tl!r}")
        transfer_layers = tuple(_int(v, f"{path}.transfer_layers[{i}]", 0) for i, v in enumerate(tl))
        spec = cls(
            layers=layers,
            loss=LOSSES.canonical(raw.get("loss", cls.loss), f"{path}.loss"),
            label_smoothing=_float(raw.get("label_smoothing", 0.0), f"{path}.label_smoothing",
                                   0.0, 1.0, hi_open=True),
            transfer_from=_str(raw.get("transfer_from", ""), f"{path}.transfer_from"),
            transfer_layers=transfer_layers,
        )
        spec.check(path)
        return spec

    def check(self, path: str = "model") -> None:
        """Checks that need the whole stack (the data-dependent ones live in Experiment.check_data)."""
        if not self.layers:
            raise SpecError(f"{path}.layers", "needs at least one layer")
        last = len(self.layers) - 1
        if not isinstance(self.layers[last], DenseSpec):
            raise SpecError(f"{path}.layers[{last}]", "the last layer must be dense (the output layer); "
                            f"got {self.layers[last].type}")
        for i, layer in enumerate(self.layers[:-1]):
            if isinstance(layer, DenseSpec) and layer.activation == "softmax":
                raise SpecError(f"{path}.layers[{i}].activation",
                                "softmax belongs on the output layer only")
        for i, idx in enumerate(self.transfer_layers):
            if idx > last:
                raise SpecError(f"{path}.transfer_layers[{i}]", f"no layer {idx}: the model has layers 0..{last}")
        if self.transfer_layers and not self.transfer_from:
            raise SpecError(f"{path}.transfer_layers", "needs model.transfer_from (the model.npz to take weights from)")

    @property
    def output(self) -> DenseSpec:
        return self.layers[-1]  # type: ignore[return-value]

    def to_dict(self) -> dict:
        out: dict = {"loss": self.loss, "label_smoothing": self.label_smoothing}
        if self.transfer_from:
            out["transfer_from"] = self.transfer_from
            out["transfer_layers"] = list(self.transfer_layers)
        out["layers"] = [layer.to_dict() for layer in self.layers]
        return out
