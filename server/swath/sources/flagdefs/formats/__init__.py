"""The flag file formats: one module each, in this package, and one registration per format.

A format is a module here (`flagd.py`, `launchdarkly.py`, …) that ends with a `register(...)`
call naming everything the rest of the audit needs from it: how to recognise a parsed
document, how to parse it, where it stands among the others (`order`), the byte marks that
make a JSON file worth sniffing, the file name globs it usually has, and the SDK methods that
read its flags. Adding a format is writing that module: every module of this package is
loaded when the formats are first asked for, so there is no list to add its name to.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from swath.items.flags import CallName, ParseResult
from swath.sources.flagdefs.structured import Document

# Any two marks of any format in a JSON file's head make it a candidate.
SNIFF_MIN_MARKS = 2


@dataclass(frozen=True)
class FileFormat:
    name: str
    looks_like: Callable[[Any], bool]
    # Tried in this order, lowest first: a more specific shape before a looser one (a flagd
    # file is also "a map of objects"); equal orders go by name.
    order: int
    parse: Callable[[Document, str, str], ParseResult]
    sniff_marks: tuple[bytes, ...] = ()
    sniff_together: tuple[bytes, ...] = ()  # all of these, alone, also make a candidate
    include: tuple[str, ...] = ()  # file-name globs added to the default selection
    call_names: tuple[CallName, ...] = ()


_registry: dict[str, FileFormat] = {}


def register(fmt: FileFormat) -> FileFormat:
    _registry[fmt.name] = fmt
    return fmt


@functools.cache
def _load_modules() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def registered() -> list[FileFormat]:
    """Every format, in the order documents are tried against them."""
    _load_modules()
    return sorted(_registry.values(), key=lambda f: (f.order, f.name))


def looks_sniffable(head: bytes) -> bool:
    formats = registered()
    marks = {m for f in formats for m in f.sniff_marks}
    if sum(m in head for m in marks) >= SNIFF_MIN_MARKS:
        return True
    return any(f.sniff_together and all(m in head for m in f.sniff_together) for f in formats)


def include_globs() -> list[str]:
    return [g for f in registered() for g in f.include]


def call_names() -> list[CallName]:
    return [c for f in registered() for c in f.call_names]


def sdk_names(
    family: str, bools: tuple[str, ...], values: tuple[str, ...] = (), negated: tuple[str, ...] = ()
) -> tuple[CallName, ...]:
    """An SDK's methods: yes/no checks, value getters, and checks that answer 'is it off?'."""
    out = [CallName(name=n, family=family) for n in bools]
    out += [CallName(name=n, family=family, returns="value") for n in values]
    out += [CallName(name=n, family=family, negated=True) for n in negated]
    return tuple(out)
