"""The ``civicgrid`` command: parses arguments, calls the library, prints.

Exit status: 0 on success, 1 when the library reports an error or a file named cannot be
read or written, 2 for bad usage or an unknown key (a method or grid scheme that is not
installed). ``grid check`` exits 1 when a finding is at error severity, and 2 when its file
cannot be read or is invalid.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from typing import TextIO

from civicgrid.cli import demo, grid, methods, report, requests, simulate
from civicgrid.cli.common import EXIT_ERROR, EXIT_USAGE
from civicgrid.errors import CivicGridError, UnknownMethod
from civicgrid.plugins.manager import PluginSpec
from civicgrid.plugins.registry import load_registry

__all__ = ["main"]


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    plugins: Iterable[PluginSpec] = (),
) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    ``plugins`` are registered after the discovered ones, as with
    :func:`~civicgrid.plugins.registry.load_registry`: for tests and for applications that
    embed the command with their own plugins.
    """
    out = stdout or sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(out)
        return EXIT_USAGE
    try:
        registry = load_registry(blocked=args.block, plugins=plugins)
        return int(args.handler(args, registry, out))
    except BrokenPipeError:
        # The reader went away (`civicgrid methods --json | head`): stop quietly, as
        # the Python documentation recommends, without a traceback at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except UnknownMethod as exc:
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CivicGridError as exc:
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        # A path the user named cannot be read or written (--report into a file, say).
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="civicgrid",
        description="Community governance methods on one kernel (党建引领基层治理).",
    )
    parser.add_argument(
        "--block",
        action="append",
        default=[],
        metavar="PLUGIN",
        help="do not load the plugin with this name (repeatable), e.g. civicgrid.six_self",
    )
    commands = parser.add_subparsers(dest="command")
    for module in (methods, demo, grid, requests, simulate, report):
        module.add_parsers(commands)
    return parser
