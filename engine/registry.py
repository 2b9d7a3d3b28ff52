"""Name-to-implementation tables, one per family (activations, losses, optimizers, ...)."""

from __future__ import annotations

from typing import Generic, Iterator, TypeVar

from .errors import SpecError

T = TypeVar("T")


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


class Registry(Generic[T]):
    """Canonical names with aliases; an unknown name is a SpecError listing the valid ones."""

    def __init__(self, family: str):
        self.family = family
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}
        self._names: Registry | None = None

    @classmethod
    def implementing(cls, names: Registry) -> Registry:
        """A registry of implementations of the names in ``names`` (engine.names): each takes
        its aliases from there, and a class its ``defaults`` (where the names hold settings)."""
        reg = cls(names.family)
        reg._names = names
        return reg

    def add(self, name: str, item: T, aliases: tuple[str, ...] = ()) -> T:
        if self._names is not None:
            if name not in self._names.names():
                raise ValueError(f"{self.family} {name!r} is not in engine.names")
            aliases = tuple(a for a, n in self._names.aliases().items() if n == name and a != name)
            settings = self._names.get(name)
            if isinstance(settings, dict):
                item.defaults = dict(settings)
        self._items[name] = item
        self._aliases[_key(name)] = name
        for alias in aliases:
            self._aliases[_key(alias)] = name
        return item

    def register(self, name: str, *aliases: str):
        """Decorator form of :meth:`add`."""

        def deco(item: T) -> T:
            return self.add(name, item, aliases)

        return deco

    def canonical(self, name: object, field: str = "") -> str:
        """The canonical spelling of ``name`` (aliases resolved), or a SpecError naming ``field``."""
        if isinstance(name, str) and _key(name) in self._aliases:
            return self._aliases[_key(name)]
        valid = ", ".join(self.names())
        raise SpecError(field or self.family, f"unknown {self.family} {name!r}; valid: {valid}")

    def get(self, name: str, field: str = "") -> T:
        return self._items[self.canonical(name, field)]

    def names(self) -> list[str]:
        return list(self._items)

    def aliases(self) -> dict[str, str]:
        return dict(self._aliases)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _key(name) in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)
