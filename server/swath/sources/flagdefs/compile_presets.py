"""Writes sources/flagdefs/presets_compiled.json, the presets' validated form (see presets.py).

python -m swath.sources.flagdefs.compile_presets
"""

from __future__ import annotations

from swath.sources.flagdefs.presets import (
    COMPILED,
    COMPILED_FORMAT,
    parse_preset,
    preset_names,
    preset_text,
)
from swath.spec import datafile


def data_text() -> str:
    """presets_compiled.json for the preset files as they are."""
    presets = {
        name: {
            "sha256": datafile.text_sha256(preset_text(name)),
            "config": parse_preset(name).model_dump(mode="json", exclude_unset=True),
        }
        for name in sorted(preset_names())
    }
    return datafile.section_text(COMPILED_FORMAT, "presets", presets)


def main(argv: list[str] | None = None) -> int:
    del argv
    return datafile.write(COMPILED, data_text())


if __name__ == "__main__":
    raise SystemExit(main())
