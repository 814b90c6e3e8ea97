"""Kill test: a simulation killed with SIGKILL at random moments leaves whole days only.

A small Chenghua run goes through the command line (``civicgrid simulate --store sqlite:PATH``,
``--resume`` after each kill) in a subprocess that is killed again and again: at a seeded
random moment after it starts, or inside a day's commit (the driver holds the transaction
open after its rows are written, so the kill lands before ``COMMIT``). After every kill the
store must reopen with every committed day intact and nothing of a half-written one, its
cases replaying, its ledger summing to zero; resumed to the end it must hold exactly what an
uninterrupted run with the same seed writes.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest

from civicgrid.plugins.registry import Registry, load_registry
from civicgrid.report.loading import load_run
from civicgrid.simulation import simulate
from civicgrid.simulation.agents import accounts_for
from civicgrid.simulation.arrivals import day_start
from civicgrid.store import MemoryStore, SQLiteStore, load_case, load_ledger, read_transactions
from civicgrid.store.protocol import EventStore
from civicgrid.workflows.clock import ManualClock
from civicgrid.workflows.engine import Engine

DAYS = 10
SEED = 5
SCALE = 0.03
"""A Chenghua of about 44,000 residents: some 130 requests and 8,000 events in ten days."""
START = date(2026, 1, 1)
ARGS = ["simulate", "--preset", "chenghua", "--days", str(DAYS), "--seed", str(SEED)]
CHAINS = 4
KILLS_PER_CHAIN = 6
"""Four stores, each killed six times: 24 kills, half of them inside a day's commit."""
PER_DAY = 0.1
"""Roughly how long one simulated day takes here, to spread the random kills over a run."""
SETUP = 0.2
"""Roughly how long a run takes to set up, or to rebuild its open cases when resuming."""
AHEAD = 3
"""A kill lands within the next few commits, so each store is killed on many days."""

DRIVER = """
import sys, time
import civicgrid.cli.simulate as command
from civicgrid.cli import main
from civicgrid.store.sqlite import SQLiteStore

pause_at = int(sys.argv[1])
original = SQLiteStore._write
calls = 0

def _write(self, connection, encoded):
    global calls
    versions = original(self, connection, encoded)
    calls += 1
    if calls == pause_at:
        print("in-commit", flush=True)
        time.sleep(120)
    return versions

def simulate(*args, **kwargs):
    print("simulating", flush=True)
    return run(*args, **kwargs)

SQLiteStore._write = _write
run, command.simulate = command.simulate, simulate
sys.exit(main(sys.argv[2:]))
"""
"""``civicgrid simulate`` saying when the simulation starts; it stops in its ``pause_at``-th commit.

With ``pause_at`` > 0 its rows are written and the transaction open (``COMMIT`` not yet
run) when it says ``in-commit``; the registry is loaded by then, as ``main`` does it.
"""


@attrs.frozen(kw_only=True)
class Reference:
    """An uninterrupted run: every stream's records, and each stream's length after n days."""

    records: dict[str, list[Any]]
    lengths: list[dict[str, int]]
    """``lengths[n]``: every stream's version once ``n`` days are committed."""


def contents(store: EventStore) -> dict[str, list[Any]]:
    """Return every stream of ``store`` with its records, for comparing two runs."""
    return {stream: [r.data for r in store.read(stream)] for stream in store.streams()}


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The registry the command line loads."""
    return load_registry()


@pytest.fixture(scope="module")
def reference(registry: Registry) -> Reference:
    """Run the simulation once without interruption, noting the store after every day."""
    store = MemoryStore()
    lengths: list[dict[str, int]] = []

    def note(_done: int, _total: int) -> None:
        lengths.append({stream: store.version(stream) for stream in store.streams()})

    simulate(
        "chenghua", days=DAYS, seed=SEED, store=store, scale=SCALE, registry=registry, progress=note
    )
    setup = ("sim:meta", "district:units", "district:organisations")
    lengths.insert(0, {stream: lengths[0][stream] for stream in setup})
    return Reference(records=contents(store), lengths=lengths)


def command(path: Path, pause_at: int) -> list[str]:
    """Return the driver's command line: a fresh run into ``path``, or ``--resume`` of its run."""
    with SQLiteStore(path) as store:
        begun = store.version("sim:meta") > 0
    tail = ["--resume"] if begun else ["--scale", str(SCALE)]
    return [
        sys.executable,
        "-c",
        DRIVER,
        str(pause_at),
        *ARGS,
        "--store",
        f"sqlite:{path}",
        *tail,
    ]


def commits_left(path: Path) -> int:
    """Return how many commits the next run into ``path`` makes (the setup, then one a day)."""
    with SQLiteStore(path) as store:
        setup = 0 if store.version("sim:meta") else 1
        return setup + DAYS - store.version("sim:days")


def run_and_kill(path: Path, rng: random.Random, *, mid_commit: bool) -> bool:
    """Run the driver into ``path`` and SIGKILL it; return False if it finished first."""
    left = min(AHEAD, commits_left(path))
    pause_at = rng.randint(1, left) if mid_commit else 0
    with subprocess.Popen(
        command(path, pause_at), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            said = process.stdout.readline().strip()
            if said != "simulating":
                _, errors = process.communicate(timeout=60)
                pytest.fail(f"the run did not start ({said!r}): {errors}")
            if mid_commit:
                assert process.stdout.readline().strip() == "in-commit"
            else:
                time.sleep(rng.uniform(0.0, SETUP + PER_DAY * left))
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    if process.returncode == 0:
        return False
    assert process.returncode == -signal.SIGKILL
    return True


def check_whole_days(path: Path, reference: Reference, engine: Engine) -> int:
    """Check the store at ``path`` after a kill; return its number of committed days."""
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with SQLiteStore(path) as store:
        committed = store.version("sim:days")
        days = [record.data for record in store.read("sim:days")]
        assert [day["day"] for day in days] == list(range(committed))
        # A day is all there or not at all: the store is the uninterrupted run cut after it.
        expected = reference.lengths[committed] if store.version("sim:meta") else {}
        assert {stream: store.version(stream) for stream in store.streams()} == expected
        assert contents(store) == {
            stream: reference.records[stream][:length] for stream, length in expected.items()
        }
        end = day_start(START, committed)
        for stream in store.streams("case:"):
            case = load_case(store, engine, stream.removeprefix("case:"), track=False)
            assert case.events[-1].at <= end, stream
        if store.version("ledger:points"):
            transactions = read_transactions(store, "points")
            assert max(t.at for t in transactions) <= end
            accounts = accounts_for(transactions)
            ledger = load_ledger(store, "points", accounts=accounts)
            for currency in {account.currency for account in accounts}:
                assert ledger.total(currency) == 0
        if expected:
            run = load_run(store)
            assert len(run.days) == committed
            assert len(run.events) == sum(
                length for stream, length in expected.items() if stream.startswith("case:")
            )
    return committed


@pytest.mark.parametrize("chain", range(CHAINS))
def test_a_run_killed_at_random_moments_keeps_whole_days_and_resumes_to_the_same_store(
    registry: Registry, reference: Reference, tmp_path: Path, chain: int
) -> None:
    """Six SIGKILLs, each followed by checks, then --resume gives the uninterrupted run."""
    rng = random.Random(f"kill:{chain}")  # noqa: S311 - seeded test timing, not secrets
    engine = Engine.from_registry(registry, clock=ManualClock(day_start(START, 0)))
    path = tmp_path / "run0.db"
    kills = mid_commit_kills = finished = 0
    while kills < KILLS_PER_CHAIN:
        mid_commit = kills % 2 == 1
        before = check_whole_days(path, reference, engine)
        if before == DAYS:  # finished before a kill (or killed on its way out): start anew
            finished += 1
            path = tmp_path / f"run{finished}.db"
            continue
        if not run_and_kill(path, rng, mid_commit=mid_commit):
            continue
        kills += 1
        mid_commit_kills += mid_commit
        assert check_whole_days(path, reference, engine) >= before
    assert mid_commit_kills == KILLS_PER_CHAIN // 2
    last = subprocess.run(command(path, 0), capture_output=True, text=True, check=False)
    assert last.returncode == 0, last.stderr
    assert check_whole_days(path, reference, engine) == DAYS
    with SQLiteStore(path) as store:
        assert contents(store) == reference.records


def test_a_kill_inside_a_day_commit_leaves_that_day_out_entirely(
    registry: Registry, reference: Reference, tmp_path: Path
) -> None:
    """Killed with day 3's rows written but not committed, the store ends at day 2, whole."""
    path = tmp_path / "run.db"
    engine = Engine.from_registry(registry, clock=ManualClock(day_start(START, 0)))
    with SQLiteStore(path):
        pass
    # Commit 1 is the setup, commit k + 2 is day k: stop inside day 3's.
    with subprocess.Popen(
        command(path, 5), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "simulating"
        assert process.stdout.readline().strip() == "in-commit"
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert check_whole_days(path, reference, engine) == 3
