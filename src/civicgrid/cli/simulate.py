"""``civicgrid simulate`` and ``civicgrid compare``: run a district on a simulated clock.

``simulate`` runs one preset with one request method into a store (in memory, ``sqlite:PATH``
or a ``postgresql://…`` URL) and prints the summary; ``--resume`` continues an interrupted
run from its last committed day. ``compare`` runs several methods on the same district and
arrivals (same seed), each into its own in-memory store, and prints one table side by side.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from civicgrid.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, day
from civicgrid.errors import InvalidData, Problem
from civicgrid.plugins.registry import Registry
from civicgrid.report.comparison import compare_methods
from civicgrid.report.loading import POSTGRES_SCHEMES, open_postgres, read_meta
from civicgrid.simulation.agents import driven_as
from civicgrid.simulation.presets import PRESETS
from civicgrid.simulation.runner import simulate
from civicgrid.simulation.summary import Summary
from civicgrid.store.errors import StoreError
from civicgrid.store.memory import MemoryStore
from civicgrid.store.protocol import EventStore
from civicgrid.store.sqlite import SQLiteStore

__all__ = ["add_parsers", "open_store"]

DEFAULT_METHOD = "immediate_53522"


def add_parsers(commands: Any) -> None:
    """Add ``simulate`` and ``compare`` to the command line."""
    run = commands.add_parser(
        "simulate",
        help="simulate a district's requests on a simulated clock (模拟)",
        description="Simulate a preset district with a request method, commit each simulated "
        "day to a store and print the summary. Exit status: 0 on success, 1 when the library "
        "reports an error (or the report cannot be written), 2 for bad usage.",
    )
    _common(run, days_default=None, seed_default=None)
    run.add_argument("--method", metavar="KEY", help=f"request method (default {DEFAULT_METHOD})")
    run.add_argument(
        "--deliberation",
        metavar="KEY",
        help="also simulate topics raised for deliberation with this method (e.g. five_steps)",
    )
    run.add_argument(
        "--store",
        metavar="STORE",
        default="memory",
        help="where events go: sqlite:PATH, postgresql://user@host:port/db, "
        "or memory (the default)",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --store from its last committed day",
    )
    run.add_argument("--start", type=day, metavar="YYYY-MM-DD", help="first day (2026-01-01)")
    run.add_argument("--report", metavar="DIR", help="write the HTML report into DIR")
    run.set_defaults(handler=_simulate)

    compare = commands.add_parser(
        "compare",
        help="run methods side by side on the same district and arrivals (比较)",
        description="Run each method on the same preset, seed and arrivals, each into its own "
        "in-memory store, and print their indicators in one table. A request method (one "
        "with a resident's rating on the way to closed, e.g. immediate_53522) runs on the "
        "day's requests; a deliberation method (e.g. five_steps) on the topics residents "
        "raise, meeting on its calendar days.",
    )
    _common(compare, days_default=30, seed_default=1)
    compare.add_argument(
        "--methods",
        required=True,
        metavar="A,B",
        help="comma-separated method keys",
    )
    compare.set_defaults(handler=_compare)


def _common(parser: argparse.ArgumentParser, *, days_default: Any, seed_default: Any) -> None:
    parser.add_argument("--preset", choices=sorted(PRESETS), help="district (default chenghua)")
    parser.add_argument(
        "--days", type=_positive, default=days_default, help="simulated days (default 30)"
    )
    parser.add_argument("--seed", type=int, default=seed_default, help="random seed (default 1)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the district's figures (default 1)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def open_store(spec: str) -> EventStore:
    """Open (or create) the store named by ``spec``: ``memory``, ``sqlite:PATH`` or a URL.

    A ``postgresql://`` or ``postgres://`` URL opens a PostgreSQL store (the optional extra);
    a server that cannot be reached raises :class:`~civicgrid.store.errors.StoreError`.
    """
    if spec == "memory":
        return MemoryStore()
    if spec.startswith("sqlite:") and len(spec) > len("sqlite:"):
        return SQLiteStore(spec.removeprefix("sqlite:"))
    if spec.startswith(POSTGRES_SCHEMES):
        return open_postgres(spec)
    expected = "expected sqlite:PATH, postgresql://… or memory"
    raise InvalidData("store", [Problem("store", f"{expected}, not {spec!r}")])


def _progress(stream: TextIO) -> Callable[[int, int], None] | None:
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        filled = 30 * done // total
        stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} 天 days")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def _simulate(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    try:
        store = open_store(args.store)
    except InvalidData as exc:
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:
        print(f"civicgrid: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        options: dict[str, Any] = {}
        if args.resume:
            try:
                options = _resume_options(args, store)
            except InvalidData as exc:
                print(f"civicgrid: {args.store} holds no run to resume: {exc}", file=sys.stderr)
                return EXIT_USAGE
        else:
            options = {
                "preset": args.preset or "chenghua",
                "days": args.days or 30,
                "seed": 1 if args.seed is None else args.seed,
                "requests_method": args.method or DEFAULT_METHOD,
                "deliberation_method": args.deliberation,
            }
            if args.start is not None:
                options["start"] = args.start
        try:
            summary = simulate(
                store=store,
                scale=args.scale,
                resume=args.resume,
                registry=registry,
                progress=_progress(sys.stderr),
                **options,
            )
        except KeyboardInterrupt:
            print(
                f"\ncivicgrid: interrupted; every committed day is in {args.store}"
                + (" (resume with --resume)" if args.store != "memory" else ""),
                file=sys.stderr,
            )
            return EXIT_ERROR
        _print(summary, args.json, out)
        if args.report:
            return _report(store, args.report)
        return EXIT_OK
    finally:
        store.close()


def _resume_options(args: argparse.Namespace, store: EventStore) -> dict[str, Any]:
    """Return ``simulate``'s arguments for resuming the run in ``store``.

    What the command line gives wins over the stored ``sim:meta``; a store without a readable
    ``sim:meta`` raises :class:`~civicgrid.errors.InvalidData`.
    """
    stored = store.read("sim:meta")
    if not stored:
        raise InvalidData("sim:meta", [Problem("", "the store holds no run")])
    meta = read_meta(stored[0].data)
    return {
        "preset": args.preset or meta.preset,
        "days": args.days or meta.days,
        "seed": meta.seed if args.seed is None else args.seed,
        "requests_method": args.method or meta.requests_method,
        "deliberation_method": args.deliberation or meta.deliberation_method,
        "start": args.start or meta.start,
    }


def _print(summary: Summary, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(summary.to_json() + "\n")
    else:
        out.write(summary.to_text() + "\n")


def _report(store: EventStore, directory: str) -> int:
    """Write the HTML report through ``civicgrid.report.html.write_report``, if installed."""
    try:
        from civicgrid.report.html import write_report  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
    except ImportError:
        print(
            "civicgrid: the HTML report is not available (civicgrid.report.html.write_report "
            "is missing); the run is in the store",
            file=sys.stderr,
        )
        return EXIT_ERROR
    write_report(store, directory)
    return EXIT_OK


def _compare(args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    keys = list(dict.fromkeys(key.strip() for key in args.methods.split(",") if key.strip()))
    if not keys:
        print("civicgrid: --methods names no method", file=sys.stderr)
        return EXIT_USAGE
    methods = [registry.method(key) for key in keys]
    kinds = {method.key: driven_as(method) for method in methods}
    cannot = [key for key, kind in kinds.items() if kind is None]
    if cannot:
        print(
            f"civicgrid: cannot simulate {', '.join(cannot)}: no way to its last step "
            "(无法模拟：没有到达终点步骤的路径)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    summaries: dict[str, Summary] = {}
    for key in keys:
        requests = kinds[key] == "requests"
        summaries[key] = simulate(
            args.preset or "chenghua",
            days=args.days,
            seed=args.seed,
            store=MemoryStore(),
            requests_method=key if requests else None,
            deliberation_method=None if requests else key,
            scale=args.scale,
            registry=registry,
        )
    if args.json:
        data = {key: summary.to_dict() for key, summary in summaries.items()}
        out.write(json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n")
        return EXIT_OK
    table = compare_methods(
        {key: summary.indicators_of(key) for key, summary in summaries.items()}, methods=methods
    )
    first = next(iter(summaries.values()))
    out.write(
        f"比较 / comparison: {first.meta['preset']}, {first.days} 天 / days, "
        f"种子 / seed {first.meta['seed']}\n\n{table.to_text()}\n"
    )
    return EXIT_OK
