"""Things found by name: the built-ins plus third parties' through an entry-point group.

Targets are `"package.module:Attribute"` strings, imported only when asked for, so listing
names (for validation and completion) stays cheap. A class is instantiated on `get`.
"""

from __future__ import annotations

import logging
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

log = logging.getLogger(__name__)


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
            for ep in entry_points(group=self.group):
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

    def get(self, name: str) -> Any:
        target = self.available().get(name)
        if target is None:
            raise KeyError(
                f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self.available()))}"
            )
        module, _, attr = target.partition(":")
        obj = getattr(import_module(module), attr)
        return obj() if isinstance(obj, type) else obj
