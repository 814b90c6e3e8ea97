"""``civicgrid report STORE``: rebuild a simulation run's summary and HTML report from its store."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from typing import Any, TextIO

from civicgrid.cli.common import EXIT_OK, EXIT_USAGE
from civicgrid.errors import InvalidData
from civicgrid.plugins.registry import Registry
from civicgrid.report.comparison import Comparison, Value
from civicgrid.report.html import run_indicators, summary_table, write_report
from civicgrid.report.loading import Run, load_run, open_store
from civicgrid.store.errors import StoreError

__all__ = ["add_parsers", "summary_data"]


def add_parsers(commands: Any) -> None:
    """Add ``report STORE [--out DIR] [--json]`` to the command line."""
    report = commands.add_parser(
        "report",
        help="rebuild a simulation run's summary and HTML report from its store",
        description="Read a simulation run from its store alone, print the summary table (the "
        "one civicgrid simulate prints) and, with --out, write report.html. Exit status: 0 on "
        "success, 1 when the library reports an error (the report extra missing, say), 2 when "
        "STORE cannot be read or holds no run.",
    )
    report.add_argument(
        "store",
        metavar="STORE",
        help="sqlite:PATH, the path of a .sqlite or .db file, or postgresql://user@host:port/db",
    )
    report.add_argument("--out", metavar="DIR", help="write report.html into DIR")
    report.add_argument("--json", action="store_true", help="print one JSON object")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    try:
        store = open_store(args.store)
    except StoreError as exc:
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        run = load_run(store, events=False, ledger=False)
        # One case stream at a time, closed cases retired: a year of a district fits in memory.
        builder = run_indicators(run, registry, store)
    except (StoreError, InvalidData) as exc:
        print(f"civicgrid: {args.store}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        store.close()
    table = summary_table(run, registry, builder)
    path = (
        None
        if args.out is None
        else write_report(run, args.out, registry=registry, builder=builder)
    )
    if args.json:
        data = summary_data(run, table)
        data["store"] = args.store
        data["report"] = None if path is None else str(path)
        json.dump(data, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    meta = run.meta
    out.write(
        f"模拟运行 simulation run: {args.store}\n"
        f"方案 preset {meta.preset}, 种子 seed {meta.seed}, 开始 start {meta.start.isoformat()}, "
        f"已提交 committed {len(run.days)}/{meta.days} 天 days\n\n"
    )
    out.write(table.to_text() + "\n")
    if path is not None:
        out.write(f"\n报告 report: {path}\n")
    return EXIT_OK


def summary_data(run: Run, table: Comparison) -> dict[str, Any]:
    """Return the summary as JSON-able data: the run's meta and each column's figures.

    Rates are fractions, durations seconds, a missing figure ``null``.
    """
    meta = run.meta
    return {
        "meta": {
            "preset": meta.preset,
            "seed": meta.seed,
            "days": meta.days,
            "start": meta.start.isoformat(),
            "methods": {"requests": meta.requests_method, "deliberation": meta.deliberation_method},
            "tz": meta.tz,
            "library": meta.library,
        },
        "days_committed": len(run.days),
        "indicators": {
            column: {key: _json(value) for key, value in table.column(column).items()}
            for column in table.columns
        },
    }


def _json(value: Value) -> int | float | None:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value
