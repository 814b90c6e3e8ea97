"""The benchmark's floor rewrites exactly the records the run committed, day by day.

``bench/simulation.py`` compares a run with the least a pure-Python program could spend
storing the same records (:func:`floor`); the comparison means something only if the floor
writes every record of the run's days, and nothing of the district written before them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import ModuleType

from civicgrid.plugins.registry import Registry
from civicgrid.simulation import simulate
from civicgrid.store.sqlite import SQLiteStore
from script_support import load_script


def load_bench() -> ModuleType:
    """Import bench/simulation.py, which is a script, not a package module."""
    return load_script("bench/simulation.py", "civicgrid_bench_simulation")


def test_floor_writes_every_record_of_the_days(tmp_path: Path, registry: Registry) -> None:
    """Events plus transactions plus one day record per day: the count the floor timed."""
    path = tmp_path / "run.sqlite"
    store = SQLiteStore(path)
    summary = simulate("chenghua", days=3, seed=2, store=store, scale=0.01, registry=registry)
    store.close()
    figures = load_bench().floor(path)
    assert figures["records"] == summary.events + summary.transactions + 3
    with sqlite3.connect(path) as connection:
        (streams,) = connection.execute(
            "SELECT count(DISTINCT stream) FROM records r JOIN streams s ON r.stream = s.id"
            " WHERE s.name LIKE 'case:%' OR s.name LIKE 'ledger:%' OR s.name = 'sim:days'"
        ).fetchone()
    # Grouping keeps at least one row per stream written and at most one per stream a day.
    assert streams <= figures["grouped_rows"] <= 3 * streams
    assert figures["row_seconds"] > 0
    assert figures["grouped_seconds"] > 0


def test_floor_of_an_empty_store_is_zero(tmp_path: Path) -> None:
    """A store with no simulated day has nothing to time (and does not fail)."""
    path = tmp_path / "empty.sqlite"
    SQLiteStore(path).close()
    figures = load_bench().floor(path)
    assert figures["records"] == 0
    assert figures["row_seconds"] == 0
