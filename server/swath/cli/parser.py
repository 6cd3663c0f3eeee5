"""The command line's grammar: every subcommand, its options and its help.

Apart from `main` (which runs what it parses) so that a command can build the parser again
(`swath new` runs the workflow it drafted with the same options a typed `swath run` gets)
without importing the entry point.
"""

from __future__ import annotations

import argparse
from typing import Sequence

from swath import __version__
from swath.cli import flags_args
from swath.cli.usage import FAIL_ON

# Commands whose PATH arguments may come after options (`run W -i K=V src/`).
TAKES_PATHS = ("run", "plan")


def _add_fail_on(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="never",
        metavar="LEVEL",
        help="exit 3 when a finding is at LEVEL or worse: error, warning, note or never "
        "(the default); a failed run exits 1 whatever LEVEL is",
    )


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-i",
        "--input",
        dest="inputs",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a workflow input (repeatable)",
    )
    p.add_argument(
        "--engine",
        choices=["auto", "static", "model"],
        default="auto",
        help="static: offline analyzers only; model: require a model; auto: model when configured",
    )
    p.add_argument("--concurrency", type=int, metavar="N", help="agents running at once (1-256)")
    p.add_argument(
        "--max-agents", type=int, metavar="N", help="refuse a plan that needs more agents"
    )
    p.add_argument(
        "--budget", type=float, metavar="USD", help="stop starting model agents past this spend"
    )
    p.add_argument(
        "--no-cache", action="store_true", help="ignore cached results (they are still written)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="swath",
        description="Dynamic workflows: discover in parallel, "
        "decide centrally, change with review.",
    )
    parser.add_argument("--version", action="version", version=f"swath {__version__}")
    parser.add_argument(
        "-C",
        "--workspace",
        metavar="DIR",
        help="run as if started in DIR, like `git -C`: relative paths are DIR's, and the "
        "workspace is the nearest folder holding .swath/ or .git at or above DIR",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a workflow")
    run.add_argument("workflow", help="built-in name, saved workflow name, or path to a YAML file")
    run.add_argument("paths", nargs="*", metavar="PATH", help="limit discovery to these paths")
    _add_run_options(run)
    run.add_argument("--format", choices=["text", "json", "markdown", "sarif"], default="text")
    run.add_argument(
        "-o", "--output", metavar="FILE", help="write the result here instead of stdout"
    )
    run.add_argument(
        "--batch",
        action="store_true",
        help="submit single-turn model steps as Message Batches at half price (split at the "
        "API's limits of 100,000 requests and 256 MB a batch; resume collects them)",
    )
    run.add_argument(
        "--fix-preview",
        action="store_true",
        help="print the edits findings carry as a unified diff (writes nothing); with "
        "--format json it is the report's `fix_preview`, with sarif it goes to stderr",
    )
    run.add_argument(
        "--fix",
        action="store_true",
        help="write the edits findings carry (the --fix-preview diff) to the working tree; "
        "refused on a git tree with uncommitted changes unless --allow-dirty",
    )
    run.add_argument(
        "--allow-dirty",
        action="store_true",
        help="with --fix: write even where git has uncommitted changes, or outside git",
    )
    _add_fail_on(run)

    plan = sub.add_parser("plan", help="show steps, agent counts and cost estimate; runs nothing")
    plan.add_argument("workflow")
    plan.add_argument("paths", nargs="*", metavar="PATH")
    _add_run_options(plan)
    plan.add_argument("--format", choices=["text", "json"], default="text")

    runs = sub.add_parser("runs", help="list recorded runs")
    runs.add_argument("--format", choices=["text", "json"], default="text")
    runs.add_argument("-n", "--limit", type=int, default=20)

    show = sub.add_parser("show", help="show a recorded run")
    show.add_argument("run_id", metavar="RUN")
    show.add_argument("--format", choices=["markdown", "json", "text", "sarif"], default="markdown")

    resume = sub.add_parser(
        "resume", help="finish an interrupted run, repeating only unfinished tasks"
    )
    resume.add_argument("run_id", metavar="RUN")
    resume.add_argument(
        "--budget",
        type=float,
        metavar="USD",
        help="a new budget for the rest of the run (one stopped by its budget goes on)",
    )
    resume.add_argument(
        "--concurrency", type=int, metavar="N", help="agents running at once for the rest"
    )
    resume.add_argument("--format", choices=["text", "json", "markdown", "sarif"], default="text")
    resume.add_argument("-o", "--output", metavar="FILE")
    _add_fail_on(resume)

    gc = sub.add_parser(
        "gc", help="drop old runs (the newest N of each workflow stay) and compact the store"
    )
    gc.add_argument(
        "--keep",
        type=int,
        default=None,
        metavar="N",
        help="runs to keep per workflow (default: $SWATH_KEEP_RUNS, else 20)",
    )

    wf = sub.add_parser("workflows", help="list, show or validate workflows")
    wsub = wf.add_subparsers(dest="wf_command", metavar="ACTION")
    wl = wsub.add_parser("list", help="built-in and saved workflows")
    wl.add_argument("--format", choices=["text", "json"], default="text")
    ws = wsub.add_parser("show", help="print a workflow's file and plan-relevant facts")
    ws.add_argument("name")
    wv = wsub.add_parser("validate", help="check workflow files; prints file:line:col: problem")
    wv.add_argument("files", nargs="+", metavar="FILE")

    new = sub.add_parser(
        "new",
        help="write a workflow file from a prompt (a model drafts it; offline, the closest "
        "shipped workflow is copied)",
    )
    new.add_argument("prompt")
    new.add_argument("--name", help="workflow name (default: derived from the prompt)")
    new.add_argument(
        "--yes", "-y", action="store_true", help="run the saved workflow without asking"
    )
    new.add_argument(
        "--offline",
        action="store_true",
        help="no model even if one is configured: start from the closest shipped workflow",
    )

    flags_args.add_parser(sub)

    lsp = sub.add_parser("lsp", help="the language server (stdio by default)")
    lsp.add_argument(
        "--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio (debugging)"
    )
    lsp.add_argument(
        "--stdio", action="store_true", help="stdio transport (the default; accepted for editors)"
    )
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Options and paths in any order: PATHs after `-i KEY=VALUE` join the others."""
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "command", None) in TAKES_PATHS:
        rest = [a for a in extra if a.startswith("-") and a != "-"]
        if not rest:
            args.paths = [*args.paths, *(a for a in extra if a != "--")]
            return args
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args
