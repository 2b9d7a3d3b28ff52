"""Saving an experiment over the file the user wrote: their comments, key order, formatting and
spellings (an alias, ``header = true``) stay; only the values that now mean something else are
changed, added where the file left them to their defaults, or removed where a table is gone.
The diff is taken between what the original file means (parsed as any experiment, every default
filled in) and the experiment to save, and written into the file's own document with tomlkit.
What comes out is read back: where it would not mean the experiment exactly (a layout tomlkit
cannot extend in place), the plain full file is written instead, so nothing saved ever trains
something else than what was shown."""

from __future__ import annotations

from typing import Any

import tomlkit
from tomlkit.items import AoT, Table

from ..errors import SpecError


def preserving_toml(original: str | None, exp) -> str:
    """``exp`` as TOML text, written over ``original`` (the text of the file the user opened)
    where there is one that parses as an experiment; else ``exp.to_toml_string()``."""
    from .experiment import Experiment

    if not original:
        return exp.to_toml_string()
    after = exp.to_dict()
    try:
        doc = tomlkit.parse(original)
        before = Experiment.from_dict(doc.unwrap()).to_dict()
    except (SpecError, tomlkit.exceptions.TOMLKitError, ValueError, TypeError):
        return exp.to_toml_string()
    try:
        _apply(doc, before, after)
        text = tomlkit.dumps(doc)
        if Experiment.from_toml_string(text).to_dict() == after:
            return text
    except (SpecError, tomlkit.exceptions.TOMLKitError, ValueError, TypeError, KeyError):
        pass
    return exp.to_toml_string()


def _tomlable(value: Any):
    """A value as tomlkit items: tables for dicts, an array of tables for a list of dicts."""
    if isinstance(value, dict):
        table = tomlkit.table()
        for k, v in value.items():
            table[k] = _tomlable(v)
        return table
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        aot = tomlkit.aot()
        for v in value:
            aot.append(_tomlable(v))
        return aot
    return value


def _apply(container, before: dict, after: dict) -> None:
    """Make ``container`` (a part of the user's document) mean ``after`` where it meant ``before``."""
    for key, new in after.items():
        old = before.get(key, _ABSENT)
        here = container.get(key, _ABSENT) if hasattr(container, "get") else _ABSENT
        if old == new:                # as the file has it (or leaves it to its default): untouched
            continue
        if isinstance(new, dict) and isinstance(old, dict) and (here is _ABSENT or isinstance(here, Table)):
            if here is _ABSENT:       # a table the file leaves to its defaults: only what differs
                here = container[key] = tomlkit.table()
                here = container[key]
            _apply(here, old, new)
        elif (isinstance(new, list) and isinstance(old, list) and isinstance(here, AoT)
              and len(new) == len(old) == len(here) and all(isinstance(v, dict) for v in new)):
            for item, o, n in zip(here, old, new):
                _apply(item, o, n)
        else:
            container[key] = _tomlable(new)
    for key in before:
        if key not in after and key in container:
            del container[key]


_ABSENT = object()
