"""Soak: once warmed up, a long simulation's memory stays flat and its speed holds.

The soak is ``bench/soak.py`` (loaded here with importlib, as a script): Chenghua for
:data:`DAYS` simulated days at a small scale on a new SQLite file, memory and throughput
sampled from the progress callback. The run itself happens in a fresh interpreter (the
script with ``--json``), so the resident set size is the soak's own and not whatever earlier
tests in this pytest process left behind; the verdicts are recomputed here from its samples.
A closed case, transaction or award left in memory grows RSS with every simulated day, and
a city running the simulation for a year would run out of memory: that is what is guarded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from script_support import load_script

ROOT = Path(__file__).resolve().parents[2]
SOAK = ROOT / "bench" / "soak.py"
PRESET, DAYS, SCALE, SAMPLES = "chenghua", 120, 0.03, 12
"""About 14,000 requests and 94,000 events: 10 s of CPU, growth shows well above the noise."""
DECAY_LIMIT = 0.25
"""Throughput, by CPU time, may fall at most this much from the first to the second half."""


def load_soak() -> ModuleType:
    """Import bench/soak.py, which is a script, not a package module."""
    return load_script("bench/soak.py", "civicgrid_bench_soak")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """The soak script as a module."""
    return load_soak()


@pytest.fixture(scope="module")
def soaked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One soak in a fresh interpreter: its samples and figures, read back from its JSON."""
    out = tmp_path_factory.mktemp("soak") / "soak.json"
    command = [
        sys.executable, str(SOAK), "--preset", PRESET, "--days", str(DAYS),
        "--scale", str(SCALE), "--samples", str(SAMPLES), "--json", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def _rss(sample: dict[str, Any]) -> str:
    return f"day {sample['day']} {sample['rss_bytes'] / 2**20:.1f} MiB"


def test_memory_at_the_end_is_within_ten_percent_of_the_middle(
    bench: ModuleType, soaked: dict[str, Any]
) -> None:
    """After the warm-up, RSS at the end is at most 10% above RSS at the middle of the run."""
    figures = bench.figures(soaked["samples"], days=DAYS, warmup=bench.WARMUP)
    start, middle, end = figures["start"], figures["middle"], figures["end"]
    assert figures["flat"], (
        f"RSS grew {figures['growth']:+.1%} from the middle to the end: "
        f"{_rss(start)}, {_rss(middle)}, {_rss(end)}"
    )


def test_throughput_does_not_decay(bench: ModuleType, soaked: dict[str, Any]) -> None:
    """Events per CPU second in the later windows stay within 25% of the earlier ones.

    CPU time, not the wall clock: the machine is shared, and other work slows the wall clock
    in one window and not the next (the wall-clock decay is printed, not asserted).
    """
    figures = bench.figures(soaked["samples"], days=DAYS, warmup=bench.WARMUP)
    decay = figures["cpu_throughput_decay"]
    assert decay is not None
    rates = [round(s["events_per_cpu_second"] or 0) for s in soaked["samples"]]
    assert decay < DECAY_LIMIT, f"throughput fell {decay:.1%}: events/CPU s by window {rates}"


def test_the_windows_count_every_committed_event_once(
    bench: ModuleType, soaked: dict[str, Any]
) -> None:
    """The windows' events add up to the run's, one sample before the run and one per window.

    The throughput figures are only as good as their counts: a window that missed a day's
    ``sim:days`` record, or counted one twice, would show a false slowdown or speed-up.
    """
    samples = soaked["samples"]
    assert [s["day"] for s in samples] == [0, *bench.sample_days(DAYS, SAMPLES)]
    assert sum(s["window_events"] for s in samples) == soaked["events"] > 0
    assert sum(s["window_days"] for s in samples) == DAYS
    assert [s["events"] for s in samples][-1] == soaked["events"]


def test_the_soak_prints_start_middle_end_and_both_verdicts(
    bench: ModuleType, soaked: dict[str, Any]
) -> None:
    """The printed figures name memory at start, middle and end and give both verdict lines."""
    text = "\n".join(bench.report(soaked))
    for line in (
        f"warm-up: the first {DAYS // 10} days (10% of the run)",
        f"memory at start (day {soaked['start']['day']}):",
        f"memory at middle (day {DAYS // 2}):",
        f"memory at end (day {DAYS}):",
        "end within 10% of middle: " + ("yes" if soaked["flat"] else "no"),
        "throughput decay: ",
    ):
        assert line in text


def _samples(rss_mib: Sequence[float], rates: Sequence[float]) -> list[dict[str, Any]]:
    """Samples every 10 days (day 0 first) with the given RSS and events per second."""
    return [
        {
            "day": 10 * n,
            "rss_bytes": int(rss * 2**20),
            "events_per_second": rate or None,
            "events_per_cpu_second": rate or None,
        }
        for n, (rss, rate) in enumerate(zip(rss_mib, rates, strict=True))
    ]


def test_the_verdict_takes_start_after_the_warm_up_and_compares_end_with_middle(
    bench: ModuleType,
) -> None:
    """Growth during the warm-up is allowed; 10% more from middle to end is not.

    A run of 100 days sampled every 10: the start is day 10 (the warm-up is 10 days), the
    middle day 50, the end day 100; throughput is compared between the windows after the
    warm-up, first half against second half.
    """
    warming = [30, 60, 70, 70, 71, 72, 72, 73, 74, 75, 77]
    rates = [0, 500, 1000, 1000, 1000, 1000, 900, 900, 900, 900, 900]
    flat = bench.figures(_samples(warming, rates), days=100, warmup=0.1)
    assert (flat["warmup_days"], flat["start"]["day"]) == (10, 10)
    assert (flat["middle"]["day"], flat["end"]["day"]) == (50, 100)
    assert flat["growth"] == pytest.approx(77 / 72 - 1, rel=1e-6)
    assert flat["flat"] is True
    assert flat["throughput_decay"] == pytest.approx(0.1)

    growing = [30, 60, 70, 75, 80, 85, 90, 95, 100, 105, 110]
    figures = bench.figures(_samples(growing, rates), days=100, warmup=0.1)
    assert figures["growth"] == pytest.approx(110 / 85 - 1, rel=1e-6)
    assert figures["flat"] is False
    at_limit = [72, 72, 72, 72, 72, 72, 72, 72, 72, 72, 72 * (1 + bench.GROWTH_LIMIT)]
    assert bench.figures(_samples(at_limit, rates), days=100, warmup=0.1)["flat"] is True
