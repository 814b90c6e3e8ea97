"""Append a million realistic events to the in-memory and the SQLite event stores.

The events are real: 53522马上办 cases run by ``bench/requests.py``'s driver on a manual
clock (openings, transitions with the handlers' data, warnings, breaches). They are written in
time order, ``--batch`` events per transaction (one simulated interval's commands), each batch
one ``append_many`` over the cases it touches with their expected versions. A third row is the
floor: plain ``sqlite3`` ``executemany`` of the same JSON texts into a bare table, same batches.
As in ``bench/requests.py`` the cyclic GC is off while timing: with a million events alive,
its full collections walk them all and would be measured instead of the stores.

    .venv/bin/python bench/store.py                     # 1,000,000 events
    .venv/bin/python bench/store.py --events 100000     # quick check
    .venv/bin/python bench/store.py --postgres postgresql://user@host:port/db   # and PostgreSQL
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from civicgrid.store.codec import case_stream, encode_events
from civicgrid.store.memory import MemoryStore
from civicgrid.store.protocol import EventStore
from civicgrid.store.records import encode_records
from civicgrid.store.sqlite import SQLiteStore
from civicgrid.store.streams import read_events

EVENTS_PER_REQUEST = 6.8
"""About how many events a 53522 request records under the driver (measured)."""


def generate(events: int, seed: int) -> list[tuple[Any, ...]]:
    """Run enough 53522 requests to record ``events`` events; return them in time order."""
    spec = importlib.util.spec_from_file_location(
        "bench_requests", Path(__file__).with_name("requests.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_requests"] = module
    spec.loader.exec_module(module)
    count = int(events / EVENTS_PER_REQUEST) + 1000
    days = max(1, count // 10_000)
    _, cases = module.simulate(count, days, "immediate_53522", seed)
    raw = [event for case in cases for event in case.events]
    raw.sort(key=lambda event: event.at)
    return raw[:events]


def batches(raw: list[tuple[Any, ...]], size: int) -> list[dict[str, list[tuple[Any, ...]]]]:
    """Split the events into batches of ``size``, each grouped by case in time order."""
    out = []
    for start in range(0, len(raw), size):
        grouped: dict[str, list[tuple[Any, ...]]] = {}
        for event in raw[start : start + size]:
            grouped.setdefault(event[0], []).append(event)
        out.append(grouped)
    return out


def write(store: EventStore, work: list[dict[str, list[tuple[Any, ...]]]]) -> float:
    """Append every batch with expected versions; return the seconds taken."""
    versions: dict[str, int] = {}
    gc.collect()
    gc.disable()
    begun = time.perf_counter()
    for grouped in work:
        batch = {}
        for case_id, events in grouped.items():
            seen = versions.get(case_id, 0)
            batch[case_stream(case_id)] = (encode_events(case_id, events, seen), seen)
            versions[case_id] = seen + len(events)
        store.append_many(batch)
    seconds = time.perf_counter() - begun
    gc.enable()
    return seconds


def floor(path: Path, work: list[dict[str, list[tuple[Any, ...]]]]) -> float:
    """Plain sqlite3: the same JSON texts, executemany per batch, no version checks."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("CREATE TABLE records (stream INTEGER, version INTEGER, data TEXT)")
    ids: dict[str, int] = {}
    versions: dict[str, int] = {}
    gc.collect()
    gc.disable()
    begun = time.perf_counter()
    for grouped in work:
        rows: list[tuple[int, int, str]] = []
        for case_id, events in grouped.items():
            seen = versions.get(case_id, 0)
            texts = encode_records(case_id, encode_events(case_id, events, seen))
            stream = ids.setdefault(case_id, len(ids) + 1)
            rows.extend((stream, seen + k, text) for k, text in enumerate(texts, start=1))
            versions[case_id] = seen + len(events)
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO records VALUES (?, ?, ?)", rows)
        connection.execute("COMMIT")
    seconds = time.perf_counter() - begun
    gc.enable()
    connection.close()
    return seconds


def size_of(path: Path) -> int:
    """Bytes of a SQLite file with its WAL and shared-memory files."""
    return sum(
        os.path.getsize(f) for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if f.exists()
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Generate, write to each store, check, print the figures; always exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000, help="events per transaction")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", metavar="URL", help="also an empty PostgreSQL database")
    args = parser.parse_args(argv)

    print(f"generating {args.events:,} events of 53522 cases …", flush=True)
    raw = generate(args.events, args.seed)
    work = batches(raw, args.batch)
    texts = encode_records("x", encode_events(raw[0][0], [raw[0]], 0))
    print(f"{len(raw):,} events in {len(work):,} batches; e.g. {texts[0]}")

    results: dict[str, float] = {}
    memory = MemoryStore()
    results["memory"] = write(memory, work)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "store.db"
        with SQLiteStore(path) as store:
            results["sqlite"] = write(store, work)
            size = size_of(path)
            sample = raw[0][0]
            assert read_events(store, sample) == read_events(memory, sample)
            stored = sum(store.version(name) for name in store.streams("case:"))
            assert stored == len(raw), (stored, len(raw))
        if args.postgres:
            from civicgrid.store.postgres import PostgresStore  # noqa: PLC0415 - optional extra

            with PostgresStore(args.postgres) as postgres:
                if postgres.streams():
                    print("the PostgreSQL database is not empty", file=sys.stderr)
                    return 1
                results["postgres"] = write(postgres, work)
                assert read_events(postgres, sample) == read_events(memory, sample)
        plain = Path(directory) / "plain.db"
        results["plain sqlite3"] = floor(plain, work)
        plain_size = size_of(plain)

    n = len(raw)
    print(f"\n{'store':<15} {'seconds':>8} {'events/s':>10}")
    for name, seconds in results.items():
        print(f"{name:<15} {seconds:8.2f} {n / seconds:10,.0f}")
    print(f"\nSQLite file: {size / 1e6:.1f} MB, {size / n:.0f} bytes per event")
    print(f"plain table: {plain_size / 1e6:.1f} MB, {plain_size / n:.0f} bytes per event")
    print(f"SQLite / memory time: {results['sqlite'] / results['memory']:.2f}x")
    print(f"SQLite / plain sqlite3 time: {results['sqlite'] / results['plain sqlite3']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
