"""The experiment being edited: a plain dict the forms may put any value into (a half-typed
number included), checked after every change. Valid drafts give an Experiment; invalid ones give
the SpecError naming the field, which blocks training until fixed."""

from __future__ import annotations

import copy

from engine import Experiment, SpecError
from engine.data import static_info
from engine.nn.optimizers import OPTIMIZERS
from engine.nn.schedules import SCHEDULES
from engine.spec import DataSpec
from engine.spec.fieldpath import split_path

LAYER_DEFAULTS = {
    "dense": {"type": "dense", "units": 64, "activation": "relu", "initializer": "he_normal", "l1": 0.0, "l2": 0.0,
              "trainable": True},
    "dropout": {"type": "dropout", "rate": 0.5},
    "batchnorm": {"type": "batchnorm", "momentum": 0.99, "epsilon": 0.001, "trainable": True},
}
def default_experiment() -> Experiment:
    return Experiment.from_dict({
        "name": "digits-mlp",
        "data": {"name": "digits"},
        "model": {"layers": [dict(LAYER_DEFAULTS["dense"]), {"units": 10, "activation": "softmax",
                                                             "initializer": "glorot_uniform"}]},
        "optimizer": {"name": "adam"}, "train": {"epochs": 20, "batch_size": 32}})


class Draft:
    def __init__(self, exp: Experiment | None = None):
        self.load(exp or default_experiment())

    def load(self, exp: Experiment) -> None:
        self.data = exp.to_dict()
        self.data.setdefault("early_stopping", None)
        self.saved = copy.deepcopy(self.data)
        self.check()

    # -- reading and writing fields ----------------------------------------------------------------

    def get(self, path: str, default=None):
        node = self.data
        for part in split_path(path):
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def set(self, path: str, value) -> None:
        parts = split_path(path)
        node = self.data
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
        self.check()

    @property
    def layers(self) -> list[dict]:
        return self.data["model"]["layers"]

    @property
    def dirty(self) -> bool:
        return self.data != self.saved

    def mark_saved(self) -> None:
        self.saved = copy.deepcopy(self.data)

    # -- checking ----------------------------------------------------------------------------------

    def check(self) -> None:
        raw = {k: v for k, v in self.data.items() if not (k == "early_stopping" and v is None)}
        try:
            self.experiment, self.error = Experiment.from_dict(raw), None
        except SpecError as exc:
            self.experiment, self.error = None, exc

    def error_for(self, path: str) -> str | None:
        """The reason, if the current error is about the field at ``path``."""
        if self.error is None:
            return None
        return self.error.reason if _same_field(self.error.field, path) else None

    def data_info(self):
        try:
            return static_info(DataSpec.parse(self.data["data"]))
        except SpecError:
            return None

    # -- structural edits --------------------------------------------------------------------------

    def add_layer(self, index: int, kind: str = "dense") -> int:
        """Insert a new layer at ``index`` (clamped); returns where it went."""
        index = max(0, min(index, len(self.layers)))
        self.layers.insert(index, dict(LAYER_DEFAULTS[kind]))
        self.check()
        return index

    def duplicate_layer(self, index: int) -> int:
        self.layers.insert(index + 1, copy.deepcopy(self.layers[index]))
        self.check()
        return index + 1

    def delete_layer(self, index: int) -> int:
        if len(self.layers) > 1:
            del self.layers[index]
        self.check()
        return min(index, len(self.layers) - 1)

    def move_layer(self, index: int, step: int) -> int:
        j = index + step
        if 0 <= j < len(self.layers):
            self.layers[index], self.layers[j] = self.layers[j], self.layers[index]
            self.check()
            return j
        return index

    def set_layer_type(self, index: int, kind: str) -> None:
        if self.layers[index].get("type", "dense") != kind:
            self.layers[index] = dict(LAYER_DEFAULTS[kind])
            self.check()

    def match_output(self) -> bool:
        """Set the output layer's units to what the data needs; False if nothing to do."""
        info = self.data_info()
        if info is None:
            return False
        want = 1 if self.data["model"]["loss"] == "binary_crossentropy" else info.n_classes
        last = next((layer for layer in reversed(self.layers) if layer.get("type", "dense") == "dense"), None)
        if last is None or last.get("units") == want:
            return False
        last["units"] = want
        if info.task == "classification" and want > 1 and last.get("activation") not in ("softmax",):
            last["activation"] = "softmax"
        self.check()
        return True

    def set_optimizer(self, name: str) -> None:
        """Switch optimizer: exactly its own settings, at its defaults (Keras's, learning rate included)."""
        self.data["optimizer"] = {"name": name, **OPTIMIZERS.get(name).defaults}
        self.check()

    def set_schedule(self, name: str) -> None:
        unit = self.data["schedule"].get("unit", "epoch")
        self.data["schedule"] = {"name": name, "unit": unit, **SCHEDULES.get(name).defaults}
        self.check()

    def set_dataset(self, name: str) -> None:
        old = self.data["data"]
        keep = {k: old[k] for k in ("scale", "validation_split", "test_split", "seed") if k in old}
        if name in ("csv", "npz", "fashion-mnist", "mnist"):
            keep["path"] = old.get("path", "") if old.get("name") == name else ""
        if name in ("csv", "npz") and not keep.get("path"):
            keep["path"] = f"data.{name}"
        self.data["data"] = DataSpec.parse({"name": name, **keep}).to_dict()
        self.check()

    def set_early_stopping(self, on: bool) -> None:
        from engine.spec import EarlyStoppingSpec

        self.data["early_stopping"] = EarlyStoppingSpec().to_dict() if on else None
        self.check()


def _same_field(error_field: str, path: str) -> bool:
    try:
        return split_path(error_field) == split_path(path)
    except ValueError:        # not a field path (a file-level error, a search-space key in quotes)
        return False
