"""Benchmark: the Chenghua simulation for a quarter, a half and a year, per store (issue 7).

What is measured
----------------
``civicgrid.simulation.simulate("chenghua", days=N, seed=…, store=…, scale=…)``, end to end:
the preset's district, arrivals at its declared rate (about one request per resident per
year: ~1.5 million a year at scale 1), workers, deadlines, meetings, points, every simulated
day committed to the store in one transaction, and the summary folded at the end. Each
configuration (store × length) runs in a fresh child process, so its peak resident set size
(``ru_maxrss``, which includes the interpreter and the library) is its own; the child's
resident size just before the run is printed too. Wall time is measured in the child around
``simulate`` alone; events per second are the run's stored events over that time. The
stores: ``sqlite`` (a new file in a temporary directory), ``memory`` and ``postgres`` (a new
schema on ``--postgres URL``, or on a throwaway server started with ``scripts/postgres.py``
when PostgreSQL's programs are installed; skipped with a note otherwise). The cyclic
garbage collector is left on, as ``civicgrid simulate`` runs; ``--no-gc`` turns it off
during the run to see what it costs.

Targets (issue 7): the year (365 days) at scale 1 on SQLite under 60 s and under 1 GiB peak,
and SQLite within 1.5x of the in-memory store's time.

The floor
---------
After each SQLite run, the run's own records (every event and transaction it committed, in
commit order) are written again with nothing but the standard library: each record
``json.dumps``-ed and ``executemany``-inserted into a bare table of a new file, one
transaction per simulated day, as the store does, with no checks, no versions and no
simulation. That is the least any pure-Python program storing these records as JSON rows in
SQLite could spend, measured in the same run on the same machine. A second floor stores one
row per stream per day (the day's events of a case as one JSON array): the most compact
batching that still keeps each command's records together. Both are given per record and
projected to the year at scale 1 (records grow with days × scale); ``--no-floor`` skips
them. A target is reported "met" or
"missed" only when the run it speaks of was measured; otherwise the line says "not measured"
and gives a linear projection from the longest run that was. The script always exits 0.

    .venv/bin/python bench/simulation.py                               # the full benchmark
    .venv/bin/python bench/simulation.py --scale 0.1                   # a tenth of the district
    .venv/bin/python bench/simulation.py --days-list 91 --stores sqlite
    .venv/bin/python bench/simulation.py --postgres postgresql://user@host:port/db --json
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

STORES = ("sqlite", "memory", "postgres")
YEAR = 365
WALL_TARGET = 60.0
MEMORY_TARGET = 1024**3
RATIO_TARGET = 1.5


def _rss_bytes() -> int:
    """Return this process's peak resident set size in bytes (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def _current_rss() -> int:
    """Return this process's resident set size in bytes now (0 without /proc)."""
    with suppress(OSError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize()
    return 0


def child(store_spec: str, days: int, scale: float, seed: int, *, gc_off: bool) -> dict[str, Any]:
    """Run one simulation in this process and return its figures (called in the child)."""
    from civicgrid.plugins.registry import load_registry  # noqa: PLC0415
    from civicgrid.report.loading import open_postgres  # noqa: PLC0415
    from civicgrid.simulation import simulate  # noqa: PLC0415
    from civicgrid.store.memory import MemoryStore  # noqa: PLC0415
    from civicgrid.store.protocol import EventStore  # noqa: PLC0415
    from civicgrid.store.sqlite import SQLiteStore  # noqa: PLC0415

    registry = load_registry(entry_points=False)
    store: EventStore
    if store_spec == "memory":
        store = MemoryStore()
    elif store_spec.startswith("sqlite:"):
        store = SQLiteStore(store_spec.removeprefix("sqlite:"))
    else:
        store = open_postgres(store_spec)
    gc.collect()
    before = _current_rss()
    if gc_off:
        gc.disable()
    begun = time.perf_counter()
    summary = simulate(
        "chenghua", days=days, seed=seed, store=store, scale=scale, registry=registry
    )
    wall = time.perf_counter() - begun
    gc.enable()
    store.close()
    return {
        "days": days,
        "scale": scale,
        "wall_seconds": wall,
        "events": summary.events,
        "transactions": summary.transactions,
        "requests": summary.indicators.received,
        "closed": summary.indicators.closed,
        "open_cases": summary.open_cases,
        "events_per_second": summary.events / wall,
        "rss_before_bytes": before,
        "peak_rss_bytes": _rss_bytes(),
    }


def _postgres_script() -> Any:
    """Load scripts/postgres.py (a script, not a package module)."""
    path = Path(__file__).parents[1] / "scripts" / "postgres.py"
    spec = importlib.util.spec_from_file_location("civicgrid_pg_script", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def postgres_server(given: str | None, notes: list[str]) -> Iterator[str | None]:
    """Yield the server URL to use (given, or a throwaway one), or None with a note why not."""
    try:
        import psycopg  # noqa: F401, PLC0415
    except ImportError:
        notes.append("postgres skipped: psycopg is not installed (pip install -e '.[dev]')")
        yield None
        return
    if given:
        yield given
        return
    script = _postgres_script()
    if script.find_bindir() is None:
        notes.append("postgres skipped: PostgreSQL's programs are not installed (no --postgres)")
        yield None
        return
    try:
        server = script.start()
    except RuntimeError as error:
        notes.append(f"postgres skipped: could not start a throwaway server: {error}")
        yield None
        return
    notes.append("postgres: a throwaway server from scripts/postgres.py (fsync off)")
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """Create an empty schema; yield a URL whose search_path is it; drop it afterwards."""
    import psycopg  # noqa: PLC0415

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    joiner = "&" if "?" in url else "?"
    try:
        yield f"{url}{joiner}options={quote(f'-csearch_path={name}')}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")


FLOOR_DAYS_SQL = (
    "SELECT r.data FROM records r JOIN streams s ON r.stream = s.id"
    " WHERE s.name = 'sim:days' ORDER BY r.version"
)


def floor(path: Path) -> dict[str, Any]:
    """Write the run's records in ``path`` again with bare sqlite3; time encoding and inserts.

    Returns seconds for one row per record (``row_seconds``) and for one row per stream per
    day (``grouped_seconds``), with the counts. Rows are read a day at a time, decoded
    outside the timed sections, so memory stays small on a year's run.
    """
    source = sqlite3.connect(path)
    days = [json.loads(text) for (text,) in source.execute(FLOOR_DAYS_SQL)]
    per_day = [d["events"] + d["transactions"] + 1 for d in days]
    (total,) = source.execute("SELECT count(*) FROM records").fetchone()
    cursor = source.execute("SELECT stream, version, data FROM records ORDER BY rowid")
    # The first commit (meta, units, organisations) is the district, not the days: skipped.
    cursor.fetchmany(total - sum(per_day))
    dumps = json.dumps
    figures = {"records": 0, "grouped_rows": 0, "row_seconds": 0.0, "grouped_seconds": 0.0}
    with tempfile.TemporaryDirectory() as directory:
        target = sqlite3.connect(Path(directory) / "floor.sqlite", isolation_level=None)
        target.execute("PRAGMA journal_mode = WAL")
        target.execute("PRAGMA synchronous = NORMAL")
        for table in ("rows_", "grouped"):
            target.execute(
                f"CREATE TABLE {table} (stream INTEGER NOT NULL, version INTEGER NOT NULL,"
                " data TEXT NOT NULL, UNIQUE (stream, version))"
            )
        for count in per_day:
            day = [(s, v, json.loads(d)) for s, v, d in cursor.fetchmany(count)]
            figures["records"] += len(day)
            started = time.perf_counter()
            rows = [(s, v, dumps(o, ensure_ascii=False, separators=(",", ":"))) for s, v, o in day]
            target.execute("BEGIN")
            target.executemany("INSERT INTO rows_ VALUES (?, ?, ?)", rows)
            target.execute("COMMIT")
            middle = time.perf_counter()
            groups: dict[int, tuple[int, list[Any]]] = {}
            for stream, version, record in day:
                groups.setdefault(stream, (version, []))[1].append(record)
            grouped = [
                (s, v, dumps(items, ensure_ascii=False, separators=(",", ":")))
                for s, (v, items) in groups.items()
            ]
            target.execute("BEGIN")
            target.executemany("INSERT INTO grouped VALUES (?, ?, ?)", grouped)
            target.execute("COMMIT")
            figures["row_seconds"] += middle - started
            figures["grouped_seconds"] += time.perf_counter() - middle
            figures["grouped_rows"] += len(grouped)
        target.close()
    source.close()
    return figures


def run_child(spec: str, days: int, args: argparse.Namespace) -> dict[str, Any]:
    """Run one configuration in a fresh interpreter; return its figures or its error."""
    command = [
        sys.executable, __file__, "--child", spec, "--days-list", str(days),
        "--scale", str(args.scale), "--seed", str(args.seed),
    ]  # fmt: skip
    if args.no_gc:
        command.append("--no-gc")
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        return {"days": days, "error": done.stderr.strip()[-600:] or f"exit {done.returncode}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(store: str, days: int, args: argparse.Namespace, url: str | None) -> dict[str, Any]:
    """Run ``store`` for ``days`` days in a child on an empty store of that kind."""
    label = f"  {store:<8} {days:>4} days, scale {args.scale:g} …"
    print(label, end="", flush=True, file=sys.stderr)
    if store == "memory":
        result = run_child("memory", days, args)
    elif store == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "run.sqlite"
            result = run_child(f"sqlite:{path}", days, args)
            if path.exists():
                result["file_bytes"] = sum(
                    f.stat().st_size for f in Path(directory).iterdir() if f.is_file()
                )
            if "error" not in result and not args.no_floor:
                result["floor"] = floor(path)
    else:
        assert url is not None
        with fresh_schema(url) as schema_url:
            result = run_child(schema_url, days, args)
    shown = f"{result['wall_seconds']:.1f} s" if "wall_seconds" in result else "failed"
    print(f" {shown}", file=sys.stderr)
    return result


def _mib(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB"


def table(results: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Return the figures as text rows: store, days, requests, events, wall, memory."""
    head = (
        f"{'store':<9}{'days':>5}{'requests':>11}{'events':>12}{'wall s':>9}"
        f"{'events/s':>11}{'s/day':>8}{'peak RSS':>11}{'RSS before':>12}"
    )
    lines = [head]
    for store, rows in results.items():
        for row in rows:
            if "error" in row:
                lines.append(f"{store:<9}{row['days']:>5}  failed: {row['error']}")
                continue
            lines.append(
                f"{store:<9}{row['days']:>5}{row['requests']:>11,}{row['events']:>12,}"
                f"{row['wall_seconds']:>9.1f}{row['events_per_second']:>11,.0f}"
                f"{row['wall_seconds'] / row['days']:>8.2f}"
                f"{_mib(row['peak_rss_bytes']):>11}{_mib(row['rss_before_bytes']):>12}"
            )
    return lines


def floors(results: dict[str, list[dict[str, Any]]], scale: float) -> list[str]:
    """Return the floor lines of the SQLite runs: µs per record and the year projected."""
    lines = []
    for row in _ok(results.get("sqlite", [])):
        measured = row.get("floor")
        if not measured or "error" in measured or not measured["records"]:
            continue
        records, days = measured["records"], row["days"]
        year = records * YEAR / days / scale
        for name, label in (("row", "a row per record"), ("grouped", "a row per stream a day")):
            seconds = measured[f"{name}_seconds"]
            lines.append(
                f"floor, {label}, {days} days: {seconds:.1f} s for {records:,} records "
                f"({seconds / records * 1e6:.1f} µs each; the run took "
                f"{row['wall_seconds'] / records * 1e6:.1f}); the year at scale 1 "
                f"(~{year / 1e6:.1f} M records): {seconds / records * year:,.0f} s"
            )
    return lines


def _ok(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row for row in rows if "error" not in row]


def targets(results: dict[str, list[dict[str, Any]]], scale: float) -> list[str]:
    """Return the target lines: met/missed if measured, else "not measured" and a projection."""
    lines: list[str] = []
    sqlite = _ok(results.get("sqlite", []))
    year = [row for row in sqlite if row["days"] == YEAR and scale == 1.0]
    if year:
        wall, peak = year[0]["wall_seconds"], year[0]["peak_rss_bytes"]
        lines.append(f"SQLite year {wall:.1f} s, target < {WALL_TARGET:.0f} s: "
                     + ("target met" if wall < WALL_TARGET else "target missed"))  # fmt: skip
        lines.append(f"SQLite year peak {_mib(peak)}, target < 1 GiB: "
                     + ("target met" if peak < MEMORY_TARGET else "target missed"))  # fmt: skip
    elif sqlite:
        longest = max(sqlite, key=lambda row: row["days"])
        projected = longest["wall_seconds"] * YEAR / longest["days"] / scale
        lines.append(
            f"SQLite year < {WALL_TARGET:.0f} s: not measured (longest SQLite run: "
            f"{longest['days']} days at scale {scale:g}); linear projection to 365 days at "
            f"scale 1: {projected:,.0f} s (assumes cost ∝ days × scale)"
        )
        peaks = ", ".join(f"{r['days']} days {_mib(r['peak_rss_bytes'])}" for r in sqlite)
        lines.append(f"SQLite year < 1 GiB: not measured (peak at scale {scale:g}: {peaks})")
    else:
        lines.append("SQLite targets: not measured (no SQLite run)")
    memory = {row["days"]: row for row in _ok(results.get("memory", []))}
    common = [row for row in sqlite if row["days"] in memory]
    if common:
        row = max(common, key=lambda r: r["days"])
        ratio = row["wall_seconds"] / memory[row["days"]]["wall_seconds"]
        verdict = "target met" if ratio <= RATIO_TARGET else "target missed"
        where = f"{row['days']} days at scale {scale:g}"
        lines.append(f"SQLite / memory time ({where}): {ratio:.2f}x, target ≤ 1.5x: {verdict}")
    else:
        lines.append("SQLite / memory ≤ 1.5x: not measured (no common length)")
    return lines


def linearity(results: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Return seconds per simulated day at each length, per store: flat means linear cost."""
    lines = []
    for store, rows in results.items():
        ok = sorted(_ok(rows), key=lambda row: row["days"])
        if len(ok) > 1:
            per_day = ", ".join(f"{r['days']}: {r['wall_seconds'] / r['days']:.2f}" for r in ok)
            lines.append(f"{store} seconds per simulated day by length ({per_day})")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run every configuration in a child process and print the figures; always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days-list", default="91,182,365", help="lengths in days (91,182,365)")
    parser.add_argument("--scale", type=float, default=1.0, help="district scale (default 1)")
    parser.add_argument("--stores", default=",".join(STORES), help="sqlite,memory,postgres")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", metavar="URL", help="a server to use for the postgres runs")
    parser.add_argument("--no-gc", action="store_true", help="cyclic GC off during each run")
    parser.add_argument("--no-floor", action="store_true", help="skip the plain sqlite3 floor")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--child", metavar="STORE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    lengths = [int(part) for part in args.days_list.split(",") if part.strip()]
    if args.child:
        figures = child(args.child, lengths[0], args.scale, args.seed, gc_off=args.no_gc)
        print(json.dumps(figures))
        return 0
    stores = [name.strip() for name in args.stores.split(",") if name.strip()]
    unknown = sorted(set(stores) - set(STORES))
    if unknown:
        parser.error(f"unknown stores {unknown}; choose from {', '.join(STORES)}")

    notes: list[str] = []
    results: dict[str, list[dict[str, Any]]] = {}
    print(f"Chenghua, scale {args.scale:g}, seed {args.seed}, lengths {lengths}", file=sys.stderr)
    server = postgres_server(args.postgres, notes) if "postgres" in stores else nullcontext(None)
    with server as url:
        for store in stores:
            if store == "postgres" and url is None:
                continue
            results[store] = [measure(store, days, args, url) for days in lengths]

    target_lines = targets(results, args.scale)
    if args.json:
        data = {
            "python": platform.python_version(),
            "scale": args.scale,
            "seed": args.seed,
            "gc": not args.no_gc,
            "results": results,
            "targets": target_lines,
            "floors": floors(results, args.scale),
            "notes": notes,
        }
        print(json.dumps(data, indent=2))
        return 0
    print(f"\nPython {platform.python_version()}, GC {'off' if args.no_gc else 'on'}")
    print("\n".join(table(results)))
    for line in [*linearity(results), *floors(results, args.scale), *notes]:
        print(line)
    print()
    print("\n".join(target_lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
