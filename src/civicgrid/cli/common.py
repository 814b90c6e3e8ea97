"""What every ``civicgrid`` subcommand shares: exit codes, argument types, tables."""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import TextIO

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_USAGE",
    "day",
    "figure",
    "percent",
    "table",
    "usage",
    "width",
]

EXIT_OK = 0


EXIT_ERROR = 1


EXIT_USAGE = 2


def usage(parser: argparse.ArgumentParser, out: TextIO) -> int:
    """Print a subcommand's help and return the usage exit status (for a bare group)."""
    parser.print_help(out)
    return EXIT_USAGE


def day(text: str) -> date:
    """Parse a ``YYYY-MM-DD`` argument, or fail as argparse expects."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def width(text: str) -> int:
    """Return the columns ``text`` takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(out: TextIO, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print an aligned plain-text table; Chinese characters count as two columns."""
    widths = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = [f"{c}{' ' * (w - width(str(c)))}" for c, w in zip(row, widths, strict=True)]
        out.write("  ".join(cells).rstrip() + "\n")


def percent(value: float | None) -> str:
    """Format a share as a percentage with one decimal, ``-`` for none."""
    return "-" if value is None else f"{value:.1%}"


def figure(value: float) -> str:
    """Format a measured figure: whole numbers without decimals."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")
