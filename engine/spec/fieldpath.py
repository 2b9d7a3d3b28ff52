"""Field paths into an experiment's dict: "model.layers[0].units" -> ["model", "layers", 0, "units"]
(the builder's fields and the search space name fields this way)."""

from __future__ import annotations

import re
from typing import Any

_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def split_path(path: str) -> list:
    """"model.layers[0].units" -> ["model", "layers", 0, "units"] (ValueError if malformed)."""
    out: list = []
    for part in path.split("."):
        m = _PART.match(part)
        if not m:
            raise ValueError(f"malformed field path {path!r}")
        out.append(m.group(1))
        out += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return out


def get_path(tree: Any, path: str) -> Any:
    node = tree
    for key in split_path(path):
        if isinstance(key, int):
            if not isinstance(node, list) or key >= len(node):
                raise KeyError(path)
        elif not isinstance(node, dict) or key not in node:
            raise KeyError(path)
        node = node[key]
    return node


def set_path(tree: Any, path: str, value: Any) -> None:
    keys = split_path(path)
    get_path(tree, path)            # it must exist
    node = tree
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
