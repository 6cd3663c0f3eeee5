"""Things found by name: the built-ins plus third parties' through an entry-point group.

Targets are `"package.module:Attribute"` strings, imported only when asked for, so listing
names (for validation and completion) stays cheap. A class is instantiated on `get`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from functools import lru_cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _installed() -> Any:  # EntryPoints (3.12+) or SelectableGroups (3.11): both `select`
    """Every installed distribution's entry points, read once for all the registries (each
    `entry_points(group=...)` reads every distribution's metadata again)."""
    return entry_points()


class EntryPointRegistry:
    def __init__(self, group: str, builtin: dict[str, str], kind: str) -> None:
        self.group = group
        self.builtin = builtin
        self.kind = kind
        self._available: dict[str, str] | None = None

    def register(self, name: str, target: str) -> None:
        self.builtin[name] = target
        self._available = None

    def available(self) -> dict[str, str]:
        if self._available is None:
            found = dict(self.builtin)
            for ep in _installed().select(group=self.group):
                found.setdefault(ep.name, ep.value)  # a plug-in never shadows a built-in
            self._available = found
        return self._available

    def names(self) -> set[str]:
        return set(self.available())

    def declared(self, attribute: str) -> dict[str, Any]:
        """Each registered class's `attribute` (e.g. its options model), where it has one.

        Imports the classes but does not instantiate them; one that fails to import is
        left out here (running it reports the error).
        """
        found: dict[str, Any] = {}
        for name, target in self.available().items():
            module, _, attr = target.partition(":")
            try:
                obj = getattr(import_module(module), attr)
            except Exception:  # a broken plug-in must not stop validating the rest
                log.warning("cannot import %s %r (%s)", self.kind, name, target, exc_info=True)
                continue
            value = getattr(obj, attribute, None)
            if value is not None:
                found[name] = value
        return found

    def declared_lazily(self, attribute: str) -> LazyDeclared:
        """`declared`, importing a class only when its name is looked up: validating a
        workflow asks for the few it uses (a review need not import the flag analyzers)."""
        return LazyDeclared(self, attribute)

    def get(self, name: str) -> Any:
        target = self.available().get(name)
        if target is None:
            raise KeyError(
                f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self.available()))}"
            )
        module, _, attr = target.partition(":")
        obj = getattr(import_module(module), attr)
        return obj() if isinstance(obj, type) else obj


class LazyDeclared(Mapping[str, Any]):
    """A read-only mapping name -> the class's `attribute`, imported on lookup. Iterating
    (the JSON Schema does) imports them all, as `EntryPointRegistry.declared` does."""

    def __init__(self, registry: EntryPointRegistry, attribute: str) -> None:
        self._registry, self._attribute = registry, attribute
        self._one: dict[str, Any] = {}
        self._all: dict[str, Any] | None = None

    def __getitem__(self, name: str) -> Any:
        if self._all is not None:
            return self._all[name]
        if name not in self._one:
            target = self._registry.available().get(name)
            if target is None:
                raise KeyError(name)
            module, _, attr = target.partition(":")
            try:
                obj = getattr(import_module(module), attr)
            except Exception:  # as `declared`: a broken plug-in is reported when it runs
                log.warning(
                    "cannot import %s %r (%s)", self._registry.kind, name, target, exc_info=True
                )
                obj = None
            self._one[name] = getattr(obj, self._attribute, None)
        value = self._one[name]
        if value is None:
            raise KeyError(name)
        return value

    def _everything(self) -> dict[str, Any]:
        if self._all is None:
            self._all = self._registry.declared(self._attribute)
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())
