"""`swath flags test [--preset NAME | --config FILE] [PATH...]`: try a flag configuration.

Prints what each definition and reference pattern matches, and for a pattern matching
nothing the syntax tree of the lines it was meant for. Exit 0 when every pattern matched,
1 when one matched nothing or failed, 2 when the configuration itself is invalid.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from swath.sources.flagdefs.config import CONFIG_PATHS, FlagsConfig, load_config
from swath.sources.flagdefs.listing import scan_paths
from swath.sources.flagdefs.presets import (
    detected_by,
    fast_reader,
    load_preset,
    preset_names,
    resolve,
)
from swath.sources.flagdefs.trial import PatternTrial, TrialReport, run_trial
from swath.workspace import Workspace

EXIT_OK, EXIT_NO_MATCH, EXIT_USAGE = 0, 1, 2
MAX_MATCHES_SHOWN = 20


def load(root: Path, args: argparse.Namespace, err: TextIO) -> FlagsConfig | None:
    candidates = [args.config] if args.config else list(CONFIG_PATHS)
    text, rel = None, candidates[0]
    for cand in candidates:
        p = Path(cand) if Path(cand).is_absolute() else root / cand
        if p.is_file():
            text, rel = p.read_text(encoding="utf-8"), cand
            break
    if text is None:
        print(f"swath: {rel}: no such file", file=err)
        return None
    cfg, errors = load_config(text, rel, {})
    if errors:
        print("swath: invalid flag configuration:", file=err)
        for e in errors:
            print(str(e), file=err)
        return None
    return cfg


def cmd_flags_test(root: Path, args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    if args.preset:
        if args.preset not in preset_names():
            names = ", ".join(sorted(preset_names()))
            print(f"swath: no preset {args.preset!r}; there are: {names}", file=sys.stderr)
            return EXIT_USAGE
        cfg: FlagsConfig | None = load_preset(args.preset)
    else:
        cfg = load(root, args, sys.stderr)
    if cfg is None:
        return EXIT_USAGE
    ws = Workspace(root)
    files = scan_paths(ws)
    only = [ws.relpath(p) for p in args.paths] if args.paths else None
    if args.preset:
        where = detected_by(cfg, files, fast_reader(str(ws.root)))
        print(
            f"preset {args.preset}: {cfg.description}\n  signature "
            + (f"found: {where}" if where else "not found (the audit applies it only when named)"),
            file=out,
        )
        print(file=out)
    else:
        # What the audit will use: the file's own systems and every preset it names or
        # that is detected.
        resolution = resolve(cfg, files, fast_reader(str(ws.root)))
        cfg = resolution.config
        for a in resolution.applied:
            print(
                f"preset {a.name} also applies ({a.why}): swath flags test --preset {a.name}",
                file=out,
            )
    report = run_trial(cfg, files, ws.read_text, only)
    print_report(report, out)
    return EXIT_OK if report.all_match and report.trials else EXIT_NO_MATCH


def print_report(report: TrialReport, out: TextIO) -> None:
    for note in report.notes:
        print(note, file=out)
    for t in report.trials:
        _print_trial(t, out)


def _print_trial(t: PatternTrial, out: TextIO) -> None:
    where = f"{len(t.files)} file{'s' if len(t.files) != 1 else ''}"
    head = f"{t.system} · {t.role} {t.number}: {t.summary}"
    if t.error:
        print(f"{head}\n  error: {t.error}\n", file=out)
        return
    print(f"{head}\n  {len(t.matches)} match(es) in {where}", file=out)
    for m in t.matches[:MAX_MATCHES_SHOWN]:
        state = f"  {m.state} ({m.state_text!r})" if m.state is not None else ""
        print(f"  {m.path}:{m.line + 1}  {m.key}{state}", file=out)
    if len(t.matches) > MAX_MATCHES_SHOWN:
        print(f"  … {len(t.matches) - MAX_MATCHES_SHOWN} more", file=out)
    _print_dynamic(t, out)
    if not t.matches and not t.dynamic and t.optional:
        print("  (optional: a way of reading flags this code need not use)", file=out)
    elif not t.matches and not t.dynamic:
        if not t.files:
            print("  no file to try it on", file=out)
        if t.pattern_tree:
            print("  the pattern alone parses as:", file=out)
            for row in t.pattern_tree:
                print(f"    {row}", file=out)
            print(
                "  (when that is not the node kind of the code below, give the pattern as "
                "{context: CODE AROUND IT, selector: KIND}; see docs/flags.md)",
                file=out,
            )
        for s in t.samples:
            lines = ", ".join(str(n + 1) for n in s.lines)
            print(f"  syntax tree of {s.path} lines {lines} ({s.why}):", file=out)
            for row in s.tree:
                print(f"    {row}", file=out)
    print(file=out)


def _print_dynamic(t: PatternTrial, out: TextIO) -> None:
    if t.role != "reference" or t.anchors is None:
        return
    if t.key_is_a_name:
        return  # `Feature.$KEY`: code cannot build that name at run time
    if not t.anchors:
        print(
            "  reads with a key built at run time: not looked for (the pattern names no word "
            "to pick the files by, only node kinds)",
            file=out,
        )
        return
    words = " + ".join("/".join(g) for g in t.anchors)
    if not t.dynamic:
        print(f"  no read with a key built at run time (in files holding {words})", file=out)
        return
    print(
        f"  {len(t.dynamic)} read(s) with a key built at run time (in files holding {words}); "
        "no definition they may read is advised for deletion:",
        file=out,
    )
    for d in t.dynamic[:MAX_MATCHES_SHOWN]:
        print(f"  {d.path}:{d.line + 1}  {d.scope()}  `{d.quote}`", file=out)
    if len(t.dynamic) > MAX_MATCHES_SHOWN:
        print(f"  … {len(t.dynamic) - MAX_MATCHES_SHOWN} more", file=out)
