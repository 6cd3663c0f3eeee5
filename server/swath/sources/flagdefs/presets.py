"""Presets: descriptions of flag systems many repositories share, shipped as data.

A preset is a `.swath/flags.yaml` like any user's (presets/NAME.yaml beside this module),
so each one doubles as an example to copy. It is applied when `.swath/flags.yaml` names
it (`preset: k8s-feature-gates`), or by itself when its `detect` signature is found in
the workspace (`detect_presets: false` turns that off).

What a preset adds to the repository's own configuration: its `systems`, `call_names`,
`kill_switches`, `permanent` and `ignore_keys`, and its `files.extra` / `files.exclude`
globs. Everything else (environment, overrides, limits) stays the repository's. A system
of the repository's own with the same name wins over the preset's, and a preset found
only by detection never parses a file that one of the repository's systems already
reads: an automatic guess must not give a flag a second, disagreeing definition.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from swath.sources.flagdefs import globs, scanworker
from swath.sources.flagdefs.config import FlagsConfig, SystemSpec, load_config
from swath.sources.flagdefs.preset_names import FOLDER as FOLDER
from swath.sources.flagdefs.preset_names import PACKAGE as PACKAGE
from swath.sources.flagdefs.preset_names import preset_names as preset_names
from swath.spec.datafile import read_section, text_sha256

# Detection reads files only until one carries the signature; these bound the worst case
# (a signature that is nowhere: on the 20,000-file bench tree, reading its 6,668 Python
# files for the Enum signature took 137 ms, more than the rest of detection together).
# Files whose names say flags come first, so a cap rarely hides a real signature.
MAX_DETECT_FILES = 2000
MAX_DETECT_BYTES = 1_000_000
_LIKELY = re.compile(r"(?i)(feature|flag|toggle|preview|mode|gate|setting|config|option)")


class PresetError(ValueError):
    """A shipped preset does not validate: a packaging bug, reported with its file and line."""


@dataclass
class Applied:
    name: str
    why: str  # "named in .swath/flags.yaml" or "detected: <path> holds <signature>"


@dataclass
class Resolution:
    config: FlagsConfig
    applied: list[Applied] = field(default_factory=list)


@functools.cache
def preset_text(name: str) -> str:
    return resources.files(PACKAGE).joinpath(FOLDER, f"{name}.yaml").read_text(encoding="utf-8")


# The presets in their validated form, so that an audit does not parse them: detection
# loads all eight at every run, and ruamel's pure-Python round-trip parser took ~80 ms of
# CPU for their 18 KB (unleash-server's young-history audit: 1.4 s in all). Taken when a
# preset's text has the stored sha256 and the stored form validates; else the preset is
# parsed. tests/flags/test_presets.py checks the file is what parsing makes; regenerate it
# with `python -m swath.sources.flagdefs.compile_presets` after changing a preset (or the
# configuration's models).
COMPILED = Path(__file__).with_name("presets_compiled.json")
COMPILED_FORMAT = 1


@functools.cache
def _compiled() -> dict[str, Any]:
    return read_section(COMPILED, COMPILED_FORMAT, "presets")


def parse_preset(name: str) -> FlagsConfig:
    path = f"presets/{name}.yaml"
    cfg, errors = load_config(preset_text(name), path, {})
    if errors:
        raise PresetError("; ".join(str(e) for e in errors))
    return cfg


@functools.cache
def load_preset(name: str) -> FlagsConfig:
    entry = _compiled().get(name)
    if isinstance(entry, dict) and entry.get("sha256") == text_sha256(preset_text(name)):
        try:
            return FlagsConfig.model_validate(entry["config"])
        except (KeyError, ValidationError):
            pass
    return parse_preset(name)


def detected_by(
    cfg: FlagsConfig,
    files: list[str],
    read_bytes: Callable[[str], bytes | None],
    names: list[str] | None = None,
) -> str | None:
    """Where the preset's signature is, or None. Bytes, not text: a signature that is
    nowhere means reading every candidate file, and decoding them doubled the cost."""
    spec = cfg.detect
    if spec is None:
        return None
    needles = [s.encode("utf-8") for s in spec.contains]
    rx = re.compile(spec.regex.encode("utf-8"), re.MULTILINE) if spec.regex else None
    candidates = _candidates(files, tuple(spec.files), names)
    candidates.sort(key=lambda p: _LIKELY.search(p.rsplit("/", 1)[-1]) is None)
    for n, path in enumerate(candidates):
        if n >= MAX_DETECT_FILES:
            break
        try:
            data = read_bytes(path)
        except (OSError, ValueError):
            continue
        if data is None or len(data) > MAX_DETECT_BYTES:
            continue
        hit = next((s for s in needles if s in data), None)
        if hit is not None:
            return f"{path} holds {hit.decode('utf-8')!r}"
        if rx is not None and (m := rx.search(data)) is not None:
            found = m.group(0).decode("utf-8", "replace").strip()[:60]
            return f"{path} matches {found!r}"
    return None


def _candidates(
    files: list[str], patterns: tuple[str, ...], names: list[str] | None = None
) -> list[str]:
    """`globs.select`, with `**/NAME-GLOB` patterns (most signatures: go.mod, package.json,
    requirements*.txt) matched on the file name alone by one regex: pathspec's full-path
    regexes for eight presets over 20,000 paths cost ~110 ms, this a tenth of it."""
    by_name = [p[3:] for p in patterns if p.startswith("**/") and "/" not in p[3:]]
    rest = tuple(p for p in patterns if not (p.startswith("**/") and "/" not in p[3:]))
    out: list[str] = []
    if by_name:
        rx = re.compile("|".join(f"(?:{fnmatch.translate(n)})" for n in by_name))
        names = names if names is not None else [f.rsplit("/", 1)[-1] for f in files]
        out = [f for f, n in zip(files, names, strict=True) if rx.match(n)]
    if rest:
        seen = set(out)
        out += [f for f in globs.select(files, rest) if f not in seen]
    return out


def fast_reader(root: str) -> Callable[[str], bytes | None]:
    """Raw bytes of a workspace file as the reference scan reads them (regular files only,
    no symlinks, nothing over MAX_DETECT_BYTES)."""
    prefix = root.rstrip("/") + "/"
    return lambda rel: scanworker.read_file(prefix + rel, MAX_DETECT_BYTES)


def resolve(
    cfg: FlagsConfig, files: list[str], read_bytes: Callable[[str], bytes | None]
) -> Resolution:
    """The repository's configuration with its named and detected presets merged in."""
    out = Resolution(config=cfg)
    chosen: list[tuple[str, FlagsConfig, bool]] = []  # (name, preset, detected only)
    for name in cfg.preset:
        chosen.append((name, load_preset(name), False))
        out.applied.append(Applied(name, "named in the configuration"))
    if cfg.detect_presets:
        names = [f.rsplit("/", 1)[-1] for f in files]  # once for every preset
        for name in sorted(preset_names() - set(cfg.preset)):
            preset = load_preset(name)
            where = detected_by(preset, files, read_bytes, names)
            if where is not None:
                chosen.append((name, preset, True))
                out.applied.append(Applied(name, f"detected: {where}"))
    if chosen:
        out.config = merge(cfg, chosen)
    return out


def merge(cfg: FlagsConfig, presets: list[tuple[str, FlagsConfig, bool]]) -> FlagsConfig:
    own_names = {s.name for s in cfg.systems}
    own_files = [f for s in cfg.systems for f in s.files]
    systems = list(cfg.systems)
    data = cfg.model_copy(deep=True)
    for _, preset, detected_only in presets:
        for system in preset.systems:
            if system.name in own_names or system.name in {s.name for s in systems}:
                continue
            if detected_only:
                # Leave the repository's own definition files to its own systems, and a
                # guess that finds no file to read is no error in the report.
                update = {"exclude": [*system.exclude, *own_files], "optional": True}
                system = system.model_copy(update=update)
            systems.append(system)
        data.call_names = [*data.call_names, *preset.call_names]
        data.kill_switches = [*data.kill_switches, *preset.kill_switches]
        data.permanent = [*data.permanent, *preset.permanent]
        data.ignore_keys = [*data.ignore_keys, *preset.ignore_keys]
        data.files.extra = [*data.files.extra, *preset.files.extra]
        data.files.exclude = [*data.files.exclude, *preset.files.exclude]
    data.systems = systems
    return data


def system_origin(system: SystemSpec, applied: list[Applied]) -> str | None:
    """The preset a merged system came from (for `swath flags test`)."""
    for a in applied:
        if any(s.name == system.name for s in load_preset(a.name).systems):
            return a.name
    return None
