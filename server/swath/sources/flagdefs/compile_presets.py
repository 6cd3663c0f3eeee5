"""Writes sources/flagdefs/presets_compiled.json, the presets' validated form (see presets.py).

python -m swath.sources.flagdefs.compile_presets
"""

from __future__ import annotations

import json
import sys

from swath.sources.flagdefs.presets import (
    COMPILED,
    COMPILED_FORMAT,
    parse_preset,
    preset_names,
    preset_text,
    sha256,
)


def data_text() -> str:
    """presets_compiled.json for the preset files as they are."""
    presets = {
        name: {
            "sha256": sha256(preset_text(name)),
            "config": parse_preset(name).model_dump(mode="json", exclude_unset=True),
        }
        for name in sorted(preset_names())
    }
    return json.dumps({"format": COMPILED_FORMAT, "presets": presets}, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    del argv
    COMPILED.write_text(data_text(), encoding="utf-8")
    print(f"wrote {COMPILED}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
