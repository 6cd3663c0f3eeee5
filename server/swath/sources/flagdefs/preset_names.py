"""The names of the shipped flag presets: the YAML files in `presets/`.

Apart from `presets` (which parses them, with the whole flag configuration machinery)
so that the command line can list them in its help without importing any of it.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = "swath.sources.flagdefs"
FOLDER = "presets"


def preset_names() -> frozenset[str]:
    # The package's own folder, not importlib.resources: building the parser for any command
    # would import it (and tempfile) for this one listing.
    folder = Path(__file__).parent / FOLDER
    return frozenset(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )
