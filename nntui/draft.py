"""The experiment being edited: a plain dict the forms may put any value into (a half-typed
number included), checked after every change. Valid drafts give an Experiment; invalid ones give
the SpecError naming the field, which blocks training until fixed.

Every change goes through a method here, which names it ("delete layer 2") for undo and redo
and tells the one listener (the app, which brings every view of the draft up to date). Typing
in one field is one undo step, however many keys it took."""

from __future__ import annotations

import copy

from engine import Experiment, SpecError
from engine.data import static_info
from engine.data.catalog import PLANE_SETS
from engine.data.features import FEATURES, PLAIN
from engine.names import OPTIMIZERS, SCHEDULES
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


#: how many steps undo keeps
UNDO_DEPTH = 200


class Draft:
    def __init__(self, exp: Experiment | None = None):
        self.listener = None          # listener(what, structure): after every change
        self.load(exp or default_experiment())

    def load(self, exp: Experiment, what: str = "") -> None:
        """A new document: its own saved state and an empty history."""
        data = exp.to_dict()
        data.setdefault("early_stopping", None)
        data.setdefault("reduce_lr_on_plateau", None)
        self._reset(data)
        self._tell(what or f"loaded {exp.name or 'experiment'}", True)

    def _reset(self, data: dict) -> None:
        train = data.get("train")
        if isinstance(train, dict):
            train.setdefault("class_weight", "none")          # the form's choice, as the spec reads it
        opt = data.get("optimizer")
        if isinstance(opt, dict) and opt.get("name") in OPTIMIZERS.names():
            # every setting of the optimizer in its form, the ones a file leaves out at their defaults
            data["optimizer"] = {"name": opt["name"], **OPTIMIZERS.get(opt["name"]),
                                 **{k: v for k, v in opt.items() if k != "name"}}
        self.data = data
        self.saved = copy.deepcopy(self.data)
        self.undo_stack: list[tuple[str, dict]] = []
        self.redo_stack: list[tuple[str, dict]] = []
        self._typing: str | None = None     # the field path being typed into, one undo step
        self.check()

    def load_raw(self, raw: dict, what: str = "") -> None:
        """A file's table that is not a valid experiment yet, to be fixed here: what it sets laid
        over the defaults (its layers over each type's), its errors shown as for any edit.
        ValueError when it is not even shaped like an experiment."""
        if not isinstance(raw, dict):
            raise ValueError("not a table")
        base = default_experiment().to_dict()
        base["early_stopping"] = None
        base["reduce_lr_on_plateau"] = None
        for key, table in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES)):   # another one's settings
            name = raw.get(key, {}).get("name") if isinstance(raw.get(key), dict) else None
            if name is not None:
                base[key] = {"name": name, **(table.get(name) if name in table.names() else {})}
                if key == "schedule":
                    base[key].setdefault("unit", "epoch")
        name = raw.get("data", {}).get("name") if isinstance(raw.get("data"), dict) else None
        try:                                         # that dataset's own defaults under the file's values
            base["data"] = DataSpec.parse({"name": name, "path": "data.csv"}).to_dict() if name else base["data"]
        except SpecError:
            pass
        data = _merged(base, {k: v for k, v in raw.items() if k != "model"})
        model = raw.get("model", {})
        if not isinstance(model, dict):
            raise ValueError("[model] is not a table")
        layers = model.get("layers", base["model"]["layers"])
        if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
            raise ValueError("model.layers is not a list of tables")
        data["model"] = _merged(base["model"], {k: v for k, v in model.items() if k != "layers"})
        data["model"]["layers"] = [{**LAYER_DEFAULTS.get(layer.get("type", "dense"), {}), **layer} for layer in layers]
        if isinstance(raw.get("early_stopping"), dict):
            from engine.spec import EarlyStoppingSpec
            data["early_stopping"] = {**EarlyStoppingSpec().to_dict(), **raw["early_stopping"]}
        if isinstance(raw.get("reduce_lr_on_plateau"), dict):
            from engine.spec import PlateauSpec
            data["reduce_lr_on_plateau"] = {**PlateauSpec().to_dict(), **raw["reduce_lr_on_plateau"]}
        self._reset(data)
        self._tell(what or "loaded a draft", True)

    def as_table(self) -> dict:
        """The draft as TOML can hold it (valid or not): what saving a draft writes."""
        return _without_none({k: v for k, v in self.data.items() if not (k in ("early_stopping", "reduce_lr_on_plateau") and v is None)})

    # -- history -----------------------------------------------------------------------------------

    def _before(self, what: str, typing: str | None = None) -> None:
        """Keep the state before the change ``what`` for undo (a run of edits to one field: once)."""
        if typing is not None and typing == self._typing and self.undo_stack:
            return
        self._typing = typing
        self.undo_stack.append((what, copy.deepcopy(self.data)))
        del self.undo_stack[:-UNDO_DEPTH]
        self.redo_stack.clear()

    def _tell(self, what: str, structure: bool) -> None:
        if self.listener is not None:
            self.listener(what, structure)

    def _done(self, what: str, structure: bool = True) -> None:
        self.check()
        self._tell(what, structure)

    def undo(self) -> str | None:
        """Back one step; the name of what was undone, None when there is nothing to undo."""
        return self._swap(self.undo_stack, self.redo_stack, "undid")

    def redo(self) -> str | None:
        return self._swap(self.redo_stack, self.undo_stack, "redid")

    def _swap(self, source, target, verb) -> str | None:
        if not source:
            return None
        what, data = source.pop()
        target.append((what, self.data))
        self.data, self._typing = data, None
        self._done(f"{verb}: {what}")
        return what

    # -- reading and writing fields ----------------------------------------------------------------

    def get(self, path: str, default=None):
        node = self.data
        for part in split_path(path):
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def set(self, path: str, value, structure: bool = False) -> None:
        """One field's value (what the user typed, checked, not refused)."""
        if self.get(path, _MISSING) == value:
            return
        parts = split_path(path)
        self._before(f"edit {path}", typing=path)
        node = self.data
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
        self._done(f"edit {path}", structure)

    @property
    def layers(self) -> list[dict]:
        return self.data["model"]["layers"]

    @property
    def dirty(self) -> bool:
        return self.data != self.saved

    def mark_saved(self) -> None:
        self.saved = copy.deepcopy(self.data)
        self._tell("saved", False)

    # -- checking ----------------------------------------------------------------------------------

    def check(self) -> None:
        raw = {k: v for k, v in self.data.items() if not (k in ("early_stopping", "reduce_lr_on_plateau") and v is None)}
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
        self._before(f"add layer {index}")
        self.layers.insert(index, dict(LAYER_DEFAULTS[kind]))
        self._done(f"add layer {index}")
        return index

    def duplicate_layer(self, index: int) -> int:
        self._before(f"copy layer {index}")
        self.layers.insert(index + 1, copy.deepcopy(self.layers[index]))
        self._done(f"copy layer {index}")
        return index + 1

    def delete_layer(self, index: int) -> int:
        if len(self.layers) > 1:
            self._before(f"delete layer {index}")
            del self.layers[index]
            self._done(f"delete layer {index}")
        return min(index, len(self.layers) - 1)

    def move_layer(self, index: int, step: int) -> int:
        j = index + step
        if 0 <= j < len(self.layers):
            what = f"move layer {index} {'up' if step < 0 else 'down'}"
            self._before(what)
            self.layers[index], self.layers[j] = self.layers[j], self.layers[index]
            self._done(what)
            return j
        return index

    def set_layer_type(self, index: int, kind: str) -> None:
        if self.layers[index].get("type", "dense") != kind:
            self._before(f"make layer {index} {kind}")
            self.layers[index] = dict(LAYER_DEFAULTS[kind])
            self._done(f"make layer {index} {kind}")

    def _output_layer(self) -> int | None:
        return next((i for i in range(len(self.layers) - 1, -1, -1) if self.layers[i].get("type", "dense") == "dense"),
                    None)

    def output_mismatch(self) -> bool:
        """The draft's error is the output layer's width, which match_output fixes."""
        i = self._output_layer()
        return self.error is not None and i is not None and _same_field(self.error.field, f"model.layers[{i}].units")

    def match_output(self) -> bool:
        """Set the output layer's units to what the data needs; False if nothing to do."""
        info = self.data_info()
        if info is None:
            return False
        want = 1 if self.data["model"]["loss"] == "binary_crossentropy" else info.n_classes
        last = next((layer for layer in reversed(self.layers) if layer.get("type", "dense") == "dense"), None)
        if last is None or last.get("units") == want:
            return False
        self._before("match the output layer to the data")
        last["units"] = want
        if info.task == "classification" and want > 1 and last.get("activation") not in ("softmax",):
            last["activation"] = "softmax"
        self._done("match the output layer to the data")
        return True

    def set_optimizer(self, name: str) -> None:
        """Switch optimizer: exactly its own settings, at its defaults (Keras's, learning rate included)."""
        self._before(f"optimizer {name}")
        self.data["optimizer"] = {"name": name, **OPTIMIZERS.get(name)}
        self._done(f"optimizer {name}")

    def set_schedule(self, name: str) -> None:
        self._before(f"schedule {name}")
        unit = self.data["schedule"].get("unit", "epoch")
        self.data["schedule"] = {"name": name, "unit": unit, **SCHEDULES.get(name)}
        self._done(f"schedule {name}")

    def set_dataset(self, name: str) -> None:
        self._before(f"dataset {name}")
        old = self.data["data"]
        keep = {k: old[k] for k in ("scale", "validation_split", "test_split", "seed") if k in old}
        if name in ("csv", "npz", "fashion-mnist", "mnist"):
            keep["path"] = old.get("path", "") if old.get("name") == name else ""
        if name in ("csv", "npz") and not keep.get("path"):
            keep["path"] = f"data.{name}"
        if name in PLANE_SETS and old.get("features"):      # one 2D set for another: the same inputs
            keep["features"] = old["features"]
        self.data["data"] = DataSpec.parse({"name": name, **keep}).to_dict()
        if self.data.get("name", "") in ("", f"{old.get('name')}-mlp"):   # a name that only said the data
            self.data["name"] = f"{name}-mlp"
        self._done(f"dataset {name}")

    def has_feature(self, name: str) -> bool:
        features = self.get("data.features")
        return name in (features if isinstance(features, list) else PLAIN)

    def set_feature(self, name: str, on: bool) -> None:
        """A 2D set's input ``name`` (engine.data.features) on or off; the inputs stay in
        Playground's order, and x1, x2 alone are the default (no data.features)."""
        what = f"feature {name} {'on' if on else 'off'}"
        self._before(what)
        chosen = {n for n in FEATURES.names() if self.has_feature(n)}
        chosen = chosen | {name} if on else chosen - {name}
        features = [n for n in FEATURES.names() if n in chosen]
        if tuple(features) == PLAIN:
            self.data["data"].pop("features", None)
        else:
            self.data["data"]["features"] = features
        self._done(what)

    def set_plateau(self, on: bool) -> None:
        """[reduce_lr_on_plateau] on (at Keras's defaults) or off."""
        from engine.spec import PlateauSpec

        what = f"reduce on plateau {'on' if on else 'off'}"
        self._before(what)
        self.data["reduce_lr_on_plateau"] = PlateauSpec().to_dict() if on else None
        self._done(what)

    def set_early_stopping(self, on: bool) -> None:
        from engine.spec import EarlyStoppingSpec

        what = f"early stopping {'on' if on else 'off'}"
        self._before(what)
        self.data["early_stopping"] = EarlyStoppingSpec().to_dict() if on else None
        self._done(what)


_MISSING = object()


def _merged(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value if v is not None]
    return value


def _same_field(error_field: str, path: str) -> bool:
    try:
        return split_path(error_field) == split_path(path)
    except ValueError:        # not a field path (a file-level error, a search-space key in quotes)
        return False
