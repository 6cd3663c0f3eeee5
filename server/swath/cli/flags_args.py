"""The `swath flags` command line: its arguments only.

`swath.cli.flags_test` runs the command and imports the flag configuration machinery;
building the parser for any command needs none of that.
"""

from __future__ import annotations

import argparse

from swath.sources.flagdefs.preset_names import preset_names


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    flags = sub.add_parser("flags", help="work on the flag audit's configuration")
    fsub = flags.add_subparsers(dest="flags_command", metavar="COMMAND", required=True)
    test = fsub.add_parser(
        "test", help="show what each pattern of .swath/flags.yaml (or a preset) matches"
    )
    which = test.add_mutually_exclusive_group()
    which.add_argument("--config", metavar="FILE", help="a flags.yaml other than .swath/flags.yaml")
    which.add_argument(
        "--preset",
        metavar="NAME",
        help=f"a shipped preset instead of .swath/flags.yaml ({', '.join(sorted(preset_names()))})",
    )
    test.add_argument("paths", nargs="*", metavar="PATH", help="only these files")
