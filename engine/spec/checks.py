"""Field checks: each returns the normalised value or raises SpecError naming the field."""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any, Mapping

from ..errors import SpecError


def _int(value: Any, path: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise SpecError(path, f"must be {what}, got {value!r}")
    return value


def _float(value: Any, path: str, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, hi_open: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and lo is not None:
        ok = value > lo if lo_open else value >= lo
    if ok and hi is not None:
        ok = value < hi if hi_open else value <= hi
    if not ok:
        if lo is not None and hi is not None:
            rng = f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        elif lo is not None:
            rng = f"{'>' if lo_open else '>='} {lo:g}"
        elif hi is not None:
            rng = f"{'<' if hi_open else '<='} {hi:g}"
        else:
            rng = "finite"
        raise SpecError(path, f"must be a number {rng}, got {value!r}")
    return float(value)


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, f"must be true or false, got {value!r}")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise SpecError(path, f"must be a string, got {value!r}")
    return value


def _choice(value: Any, path: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise SpecError(path, f"must be one of {', '.join(allowed)}; got {value!r}")
    return value.strip().lower()


def _table(raw: Any, path: str) -> dict:
    if not isinstance(raw, Mapping):
        raise SpecError(path, f"must be a table, got {type(raw).__name__} {raw!r}")
    return dict(raw)


def _check_keys(raw: Mapping, path: str, allowed: list[str], what: str = "") -> None:
    for key in raw:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            owner = f" of {what}" if what else ""
            raise SpecError(where, f"unknown key{owner}; valid keys: {', '.join(allowed)}")


def _names(cls) -> list[str]:
    return [f.name for f in fields(cls)]
