"""``civicgrid grid check``: check a district against a grid scheme and print the findings."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from civicgrid.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    day,
    figure,
    usage,
)
from civicgrid.domain.findings import Finding, Severity, count_by_severity, worst
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData, UnknownScheme
from civicgrid.interchange.documents import load_district
from civicgrid.plugins.registry import Registry

__all__ = ["DEFAULT_GRID_SCHEME", "add_parsers"]


DEFAULT_GRID_SCHEME = "chengdu_3plus1"
"""The scheme ``grid check`` uses when neither ``--scheme`` nor the document names one."""


def add_parsers(commands: Any) -> None:
    """Add ``grid check`` to the command line."""
    grid = commands.add_parser("grid", help="check a district's grids (网格) against a scheme")
    grid.set_defaults(handler=lambda _a, _r, out: usage(grid, out))
    grid_actions = grid.add_subparsers(dest="action")
    check = grid_actions.add_parser(
        "check",
        help="check a unit table or district document against a grid scheme",
        description="Check a district against a grid scheme and print the findings. Exit "
        "status: 0 when no finding is an error, 1 when one is, 2 when FILE cannot be read or "
        "is invalid, or the scheme is not installed.",
    )
    check.add_argument(
        "file",
        metavar="FILE",
        help="a unit table (.csv) or a district document (.json); the suffix decides which",
    )
    check.add_argument(
        "--scheme",
        metavar="KEY",
        help=f"the grid scheme; default: the document's scheme, else {DEFAULT_GRID_SCHEME}",
    )
    check.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    check.add_argument(
        "--on",
        type=day,
        metavar="YYYY-MM-DD",
        help="the date terms and appointments are read on (default: today in Asia/Shanghai)",
    )
    check.set_defaults(handler=_grid_check)


def _grid_check(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    try:
        district = load_district(args.file)
        scheme = registry.grid_scheme(args.scheme or district.scheme or DEFAULT_GRID_SCHEME)
    except (InvalidData, UnknownScheme) as exc:
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"civicgrid: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    on = args.on or datetime.now(DEFAULT_TZ).date()
    findings = registry.check_grid(
        district.tree,
        scheme.key,
        organisations=district.organisations,
        roster=district.roster,
        on=on,
    )
    if args.json:
        data = registry.converter.unstructure(list(findings), list[Finding])
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(
            f"网格检查 grid check: {args.file} "
            f"({len(district.tree)} units 个单元, on {on.isoformat()})\n"
            f"方案 scheme: {scheme.key}\n  {scheme.label_zh}\n  {scheme.label_en}\n\n"
        )
        for finding in findings:
            _print_finding(finding, out)
        out.write(_summary(findings) + "\n")
    return EXIT_ERROR if worst(findings) is Severity.ERROR else EXIT_OK


def _print_finding(finding: Finding, out: TextIO) -> None:
    parts = [f"{finding.severity.value} {finding.severity.label_zh}", finding.rule]
    if finding.unit is not None:
        parts.append(f"unit {finding.unit}")
    if finding.subject is not None:
        parts.append(f"subject {finding.subject}")
    if finding.value is not None:
        parts.append(f"value {figure(finding.value)}")
    if finding.limit is not None:
        parts.append(f"limit {figure(finding.limit)}")
    out.write("  ".join(parts) + "\n")
    out.write(f"    {finding.message_zh}\n    {finding.message_en}\n")


def _summary(findings: Sequence[Finding]) -> str:
    if not findings:
        return "no findings 未发现问题"
    counts = count_by_severity(findings)
    per = ", ".join(
        f"{counts[s]} {s.value} {s.label_zh}" for s in sorted(Severity, key=lambda s: -s.rank)
    )
    noun = "finding" if len(findings) == 1 else "findings"
    return f"{len(findings)} {noun} 项发现: {per}"
