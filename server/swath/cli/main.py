"""`swath`: the command line.

Exit codes: 0 done, 1 run failed (or cancelled, or out of budget), 2 bad usage or invalid
workflow, 3 the run finished with findings at or above `--fail-on`.
"""

from __future__ import annotations

import gc
import os
import sys

TYPE_CHECKING = False  # not `typing`'s: a command handed off imports neither typing nor re
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from swath.cli import commands as commands
# `commands` (the engine, the store, the loader), asyncio and the rest are imported once a
# command is known to run: `swath --help` and a usage error need none of them. Not even the
# parser before `cli.warm` has had its say: a command handed to the workspace's warm process
# imports nothing else of Swath.

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _enter(directory: str) -> None:
    """`-C DIR`: every relative path after it is DIR's, as with `git -C`."""
    from swath.cli.usage import UsageError

    target = os.path.expanduser(directory)
    if not os.path.isdir(target):
        what = "does not exist" if not os.path.exists(target) else "is a file, not a folder"
        raise UsageError(f"-C {directory}: {what}; pass the folder of a project")
    os.chdir(target)


# The collector's own setting, for `swath lsp`: a long-lived server keeps the usual one.
_DEFAULT_THRESHOLD = gc.get_threshold()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line `swath ARGS`; `argv` given (a caller in Python): always run here."""
    if argv is None:
        from swath.cli.warm import hand_off

        code = hand_off(sys.argv[1:])
        if code is not None:
            return code
    return run_here(argv)


def run_here(argv: Sequence[str] | None) -> int:
    """The command, in this process (also the warm process's child's way to run it)."""
    from swath.gcpause import one_shot_collector

    with one_shot_collector():
        return _main_tuned(argv)


def _main_tuned(argv: Sequence[str] | None) -> int:
    from swath.cli.parser import build_parser, parse
    from swath.cli.usage import UsageError

    parser = build_parser()
    args = parse(parser, argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.workspace:
            _enter(args.workspace)
            args.workspace = None  # now the current folder
        return _main(parser, args)
    except UsageError as exc:
        print(f"swath: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return _closed_pipe()
    except KeyboardInterrupt:  # a second Ctrl-C while finishing up
        return EXIT_FAILED


def _closed_pipe() -> int:
    """Whoever read stdout (`| head`) has gone: no traceback, and no second error when
    Python flushes stdout on exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_FAILED


def _main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    import logging

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command == "lsp":
        from swath.lsp.setup import serve

        gc.set_threshold(*_DEFAULT_THRESHOLD)  # a server lives long: the usual collector
        return serve(args.tcp)
    if args.command == "flags":
        from swath.cli import commands, flags_test  # the flag machinery, for this command only

        return flags_test.cmd_flags_test(commands.workspace_of(args), args)
    if args.command == "workflows" and args.wf_command is None:
        parser.parse_args(["workflows", "--help"])
    import asyncio

    return asyncio.run(_dispatch(args))


async def _dispatch(args: argparse.Namespace) -> int:
    import asyncio

    from swath.cli import commands
    from swath.cli.stopping import Stopper

    gc.freeze()  # what the imports made lives to the end: no collection walks it again

    handler = {
        "run": commands.cmd_run,
        "plan": commands.cmd_plan,
        "runs": commands.cmd_runs,
        "show": commands.cmd_show,
        "resume": commands.cmd_resume,
        "gc": commands.cmd_gc,
        "workflows": commands.cmd_workflows,
        "new": commands.cmd_new,
    }[args.command]
    cancel = asyncio.Event()
    stopper = Stopper(asyncio.get_running_loop(), cancel)
    stopper.install()
    try:
        code = await handler(args, cancel)
    finally:
        stopper.uninstall()
    return stopper.leave(code)


if __name__ == "__main__":
    raise SystemExit(main())
