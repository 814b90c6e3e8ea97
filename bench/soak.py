"""Soak: a long simulation of a large preset, memory and throughput sampled as it runs.

What is measured
----------------
``civicgrid.simulation.simulate(preset, days=N, seed=…, store=…, scale=…, progress=…)`` in
this process. The progress callback, told after each committed day, takes a sample on
``--samples`` days spread evenly over the run (and one before the first day): the resident
set size (``/proc/self/statm``; the peak ``ru_maxrss`` where there is no ``/proc``), with
``--trace`` the bytes tracemalloc sees allocated, and the throughput of the window since the
previous sample: the events the store's ``sim:days`` records say were committed in it,
divided by its wall time and by its CPU time (the sampling itself is not timed; the first
window includes building the district). The cyclic GC is left on, as
``civicgrid simulate`` runs; a ``gc.collect()`` before each sample takes garbage out of the
figure, and glibc's ``malloc_trim(0)`` returns the free heap pages the allocator kept, so the
figure is memory held rather than fragmentation (neither's time is counted).

Warm-up: the first ``--warmup`` share of the days (10% by default) fills the pipeline of
open cases, the workers' queues and the caches; memory is expected to grow then. The
**start** figure is the first sample at or after the warm-up, **middle** the sample nearest
half the run, **end** the last. Verdicts:

* ``end within 10% of middle: yes/no`` — yes when end RSS ≤ 1.10 × middle RSS (a fall is
  not a failure): memory stays flat once warm, whatever the number of closed cases;
* ``throughput decay: x%`` — mean events/s of the later half of the windows after the
  warm-up against the earlier half (a positive figure is a slowdown), by the wall clock and
  by CPU time (on a machine shared with other work, the CPU figure is the one to trust).

With ``--trace`` (slow: about five times the wall time) tracemalloc also takes a snapshot
at the middle and at the end sample and prints the top allocations by line at the end and
the lines that grew most from middle to end: where the memory goes, if it grows.

The store: ``sqlite`` (a new file in a temporary directory, the default), ``sqlite:PATH`` (a
new or empty file) or ``memory`` (``MemoryStore`` keeps every record in this process, so its
RSS grows with the run by design: use it to see the store's own share). The script exits 0;
``--json PATH`` also writes the samples and figures as JSON (``-`` for stdout), which
``scripts/hardening_report.py`` draws on ``docs/hardening.md``.

    .venv/bin/python bench/soak.py                                    # Chenghua, 180 days, 0.1
    .venv/bin/python bench/soak.py --preset hefei --days 365 --scale 0.1 --samples 24
    .venv/bin/python bench/soak.py --days 60 --scale 0.01 --trace     # where memory goes
    .venv/bin/python bench/soak.py --store memory --json soak.json
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import itertools
import json
import linecache
import math
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from civicgrid.plugins.registry import Registry, load_registry
from civicgrid.simulation import simulate
from civicgrid.store.memory import MemoryStore
from civicgrid.store.protocol import EventStore
from civicgrid.store.sqlite import SQLiteStore

__all__ = ["GROWTH_LIMIT", "WARMUP", "figures", "main", "rss_bytes", "soak"]

WARMUP = 0.1
"""The share of the days before the start figure: open cases, queues and caches fill up."""
GROWTH_LIMIT = 0.10
"""End may be at most this much above middle (RSS) for memory to count as flat."""
TRACE_FRAMES = 1
"""Frames tracemalloc keeps per allocation with ``--trace`` (1: attributed by line)."""


def rss_bytes() -> int:
    """Return this process's resident set size now (its peak where there is no /proc)."""
    with suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def release_free_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc ``malloc_trim``), if it can.

    Freed memory the allocator keeps is not memory the run holds; without this, RSS creeps
    with fragmentation while the objects alive stay flat (tracemalloc shows it). A no-op
    where there is no glibc.
    """
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def sample_days(days: int, samples: int) -> list[int]:
    """Return the days (counted as committed) to sample on: ``samples`` of them, evenly."""
    count = max(1, min(samples, days))
    return sorted({math.ceil(days * n / count) for n in range(1, count + 1)})


@contextmanager
def open_store(spec: str) -> Iterator[tuple[EventStore, str]]:
    """Yield a fresh store for ``spec`` (memory, sqlite, sqlite:PATH) and its description."""
    if spec == "memory":
        yield MemoryStore(), "memory"
        return
    if spec == "sqlite":
        with tempfile.TemporaryDirectory(prefix="civicgrid-soak-") as directory:
            store = SQLiteStore(Path(directory) / "soak.sqlite")
            try:
                yield store, "sqlite (a new file in a temporary directory)"
            finally:
                store.close()
        return
    if spec.startswith("sqlite:"):
        path = spec.removeprefix("sqlite:")
        store = SQLiteStore(path)
        try:
            yield store, f"sqlite:{path}"
        finally:
            store.close()
        return
    raise ValueError(f"unknown store {spec!r}: memory, sqlite or sqlite:PATH")


class _Sampler:
    """The progress callback: samples memory and the window's throughput on chosen days."""

    def __init__(self, store: EventStore, days: list[int], *, trace: bool, middle: int) -> None:
        self.store = store
        self.days = set(days)
        self.trace = trace
        self.middle = middle
        self.samples: list[dict[str, Any]] = []
        self.snapshots: dict[str, tracemalloc.Snapshot] = {}
        self.seen = 0
        self.events = 0
        self.window_start = time.perf_counter()
        self.window_cpu = time.process_time()
        self.window_events = 0
        self.window_days = 0
        self.running = 0.0

    def take(self, day: int) -> None:
        """Record one sample at ``day`` days committed (0: before the first)."""
        window = time.perf_counter() - self.window_start
        cpu = time.process_time() - self.window_cpu
        self.running += window
        gc.collect()
        release_free_heap()
        traced = tracemalloc.get_traced_memory()[0] if self.trace else None
        if self.trace and day in (self.middle, max(self.days)):
            self.snapshots["middle" if day == self.middle else "end"] = tracemalloc.take_snapshot()
        self.samples.append(
            {
                "day": day,
                "rss_bytes": rss_bytes(),
                "traced_bytes": traced,
                "events": self.events,
                "window_days": self.window_days,
                "window_events": self.window_events,
                "window_seconds": window,
                "window_cpu_seconds": cpu,
                "events_per_second": self.window_events / window if day and window else None,
                "events_per_cpu_second": self.window_events / cpu if day and cpu else None,
                "seconds": self.running,
            }
        )
        self.window_events = self.window_days = 0
        self.window_start = time.perf_counter()
        self.window_cpu = time.process_time()

    def __call__(self, done: int, total: int) -> None:
        """Count the day's committed events (from ``sim:days``) and sample if it is chosen."""
        self.window_days += 1
        for record in self.store.read("sim:days", self.seen + 1):
            self.seen = record.version
            counted = int(record.data["events"])
            self.window_events += counted
            self.events += counted
        if done in self.days:
            self.take(done)


def soak(
    preset: str = "chenghua",
    *,
    days: int = 180,
    scale: float = 0.1,
    store: str = "sqlite",
    samples: int = 18,
    seed: int = 1,
    warmup: float = WARMUP,
    trace: bool = False,
    registry: Registry | None = None,
    note: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the soak and return its samples and figures (see :func:`figures`) as plain data."""
    registry = registry or load_registry(entry_points=False)
    chosen = sample_days(days, samples)
    middle = min(chosen, key=lambda day: (abs(day - days / 2), day))
    with open_store(store) as (opened, described):
        sampler = _Sampler(opened, chosen, trace=trace, middle=middle)

        def progress(done: int, total: int) -> None:
            sampler(done, total)
            if note is not None and done in sampler.days:
                last = sampler.samples[-1]
                rate = last["events_per_second"] or 0.0
                note(f"  day {done:>4}/{total}: {last['rss_bytes'] / 2**20:,.0f} MiB, "
                     f"{rate:,.0f} events/s")  # fmt: skip

        if trace:
            tracemalloc.start(TRACE_FRAMES)
        try:
            sampler.take(0)
            began = time.perf_counter()
            summary = simulate(
                preset,
                days=days,
                seed=seed,
                store=opened,
                scale=scale,
                registry=registry,
                progress=progress,
            )
            wall = time.perf_counter() - began
        finally:
            if trace:
                tracemalloc.stop()
    result: dict[str, Any] = {
        "preset": preset,
        "days": days,
        "scale": scale,
        "seed": seed,
        "store": described,
        "warmup": warmup,
        "trace": trace,
        "gc": gc.isenabled(),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count() or 1} CPUs",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": wall,
        "events": summary.events,
        "requests": summary.indicators.received,
        "closed": summary.indicators.closed,
        "open_cases": summary.open_cases,
        "samples": sampler.samples,
    }
    result.update(figures(sampler.samples, days=days, warmup=warmup))
    if trace:
        result["allocations"] = _allocations(sampler.snapshots)
    return result


def figures(samples: Sequence[dict[str, Any]], *, days: int, warmup: float) -> dict[str, Any]:
    """Return start, middle and end samples, the growth, the verdict and the throughput decay.

    ``samples`` are those :func:`soak` takes (``day``, ``rss_bytes``, ``events_per_second``);
    the first one at or after ``warmup × days`` (but before the last) is the start.
    """
    taken = [s for s in samples if s["day"] > 0]
    if not taken:
        raise ValueError("no samples after the first day")
    warm_day = math.ceil(days * warmup)
    warm = [s for s in taken if s["day"] >= warm_day] or taken[-1:]
    start, end = warm[0], taken[-1]
    middle = min(warm, key=lambda s: (abs(s["day"] - days / 2), s["day"]))
    growth = (end["rss_bytes"] - middle["rss_bytes"]) / middle["rss_bytes"]
    ordered = sorted(samples, key=lambda s: s["day"])
    windows = [now for before, now in itertools.pairwise(ordered) if before["day"] >= warm_day]
    return {
        "warmup_days": warm_day,
        "start": start,
        "middle": middle,
        "end": end,
        "growth": growth,
        "flat": growth <= GROWTH_LIMIT,
        "throughput_decay": _decay(windows, "events_per_second"),
        "cpu_throughput_decay": _decay(windows, "events_per_cpu_second"),
    }


def _decay(windows: Sequence[dict[str, Any]], key: str) -> float | None:
    """Return 1 - (mean rate of the later half) / (mean rate of the earlier half)."""
    rates = [float(w[key]) for w in windows if w.get(key)]
    half = len(rates) // 2
    if not half:
        return None
    early = sum(rates[:half]) / half
    late = sum(rates[-half:]) / half
    return 1 - late / early


def _allocations(snapshots: dict[str, tracemalloc.Snapshot]) -> dict[str, list[dict[str, Any]]]:
    """Return the top lines by size at the end and the lines that grew most middle → end."""
    keep = (
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
        tracemalloc.Filter(False, linecache.__file__),
    )
    out: dict[str, list[dict[str, Any]]] = {}
    end = snapshots.get("end")
    if end is None:
        return out
    end = end.filter_traces(keep)
    out["top_at_end"] = [_stat(stat.traceback, stat.size, stat.count) for stat in
                         end.statistics("lineno")[:15]]  # fmt: skip
    middle = snapshots.get("middle")
    if middle is not None:
        grown = end.compare_to(middle.filter_traces(keep), "lineno")
        out["grown_middle_to_end"] = [
            {**_stat(diff.traceback, diff.size_diff, diff.count_diff), "size_now": diff.size}
            for diff in grown[:15]
        ]
    return out


def _stat(trace: tracemalloc.Traceback, size: int, count: int) -> dict[str, Any]:
    frame = trace[0]
    code = linecache.getline(frame.filename, frame.lineno).strip()
    return {"where": f"{frame.filename}:{frame.lineno}", "code": code, "bytes": size,
            "count": count}  # fmt: skip


def _mib(value: float) -> str:
    return f"{value / 2**20:,.1f} MiB"


def report(result: dict[str, Any]) -> list[str]:
    """Return the soak's printed lines: the samples, start/middle/end and the verdicts."""
    trace = result["trace"]
    gc_state = "on" if result["gc"] else "off"
    lines = [
        (
            f"Soak: {result['preset']}, {result['days']} days, scale {result['scale']:g}, "
            f"seed {result['seed']}, store {result['store']}"
        ),
        (
            f"Python {result['python']}, {result['machine']}, GC {gc_state}, "
            f"tracemalloc {'on' if trace else 'off'}"
        ),
        (
            f"{result['requests']:,} requests, {result['events']:,} events in "
            f"{result['wall_seconds']:.1f} s ({result['open_cases']:,} cases open at the end)"
        ),
        "",
        f"{'day':>5}{'events':>11}{'window s':>10}{'events/s':>10}{'/CPU s':>10}{'RSS':>13}"
        + (f"{'traced':>13}" if trace else ""),
    ]
    for s in result["samples"]:
        rate = f"{s['events_per_second']:,.0f}" if s["events_per_second"] else "—"
        cpu_rate = f"{s['events_per_cpu_second']:,.0f}" if s["events_per_cpu_second"] else "—"
        traced = f"{_mib(s['traced_bytes']):>13}" if trace else ""
        lines.append(
            f"{s['day']:>5}{s['window_events']:>11,}{s['window_seconds']:>10.1f}"
            f"{rate:>10}{cpu_rate:>10}{_mib(s['rss_bytes']):>13}{traced}"
        )
    start, middle, end = result["start"], result["middle"], result["end"]
    decay, cpu = result["throughput_decay"], result["cpu_throughput_decay"]
    flat = "yes" if result["flat"] else "no"
    lines += [
        "",
        f"warm-up: the first {result['warmup_days']} days ({result['warmup']:.0%} of the run)",
        f"memory at start (day {start['day']}): {_mib(start['rss_bytes'])}",
        f"memory at middle (day {middle['day']}): {_mib(middle['rss_bytes'])}",
        f"memory at end (day {end['day']}): {_mib(end['rss_bytes'])}",
        f"end within 10% of middle: {flat} ({result['growth']:+.1%})",
    ]
    if decay is None:
        lines.append("throughput decay: not measured (too few windows after the warm-up)")
    else:
        lines.append(f"throughput decay: {decay:.1%} (wall clock; {cpu:.1%} by CPU time)")
    allocations = result.get("allocations") or {}
    titles = {
        "top_at_end": "top allocations at the end, by line",
        "grown_middle_to_end": "grown most from middle to end, by line",
    }
    for key, title in titles.items():
        if allocations.get(key):
            lines += ["", f"{title}:"]
            lines += [
                f"  {a['bytes'] / 1024:>+10,.0f} KiB {a['count']:>+9,}  {a['where']}  "
                f"{a['code'][:70]}"
                for a in allocations[key]
            ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the soak, print its figures, and write the JSON when asked; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="chenghua", help="chenghua or hefei")
    parser.add_argument("--days", type=int, default=180, help="simulated days (180)")
    parser.add_argument("--scale", type=float, default=0.1, help="district scale (0.1)")
    parser.add_argument("--store", default="sqlite", help="sqlite, sqlite:PATH or memory")
    parser.add_argument("--samples", type=int, default=18, help="samples along the run (18)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=WARMUP, help="warm-up share (0.1)")
    parser.add_argument("--trace", action="store_true", help="tracemalloc on (slow)")
    parser.add_argument("--json", metavar="PATH", help="write the samples as JSON (- stdout)")
    args = parser.parse_args(argv)
    if not 0 <= args.warmup < 1:
        parser.error("--warmup must lie in [0, 1)")
    if args.store not in ("memory", "sqlite") and not args.store.startswith("sqlite:"):
        parser.error("--store must be memory, sqlite or sqlite:PATH")

    def note(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    result = soak(
        args.preset,
        days=args.days,
        scale=args.scale,
        store=args.store,
        samples=args.samples,
        seed=args.seed,
        warmup=args.warmup,
        trace=args.trace,
        note=note,
    )
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.json == "-":
        print(text)
        return 0
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    print("\n".join(report(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
