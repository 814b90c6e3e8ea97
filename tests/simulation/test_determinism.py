"""Tests that a seed fixes a simulation's events byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from civicgrid.plugins.registry import Registry, load_registry
from civicgrid.simulation import simulate
from civicgrid.store import MemoryStore, SQLiteStore
from civicgrid.store.protocol import EventStore

SCALE = 0.003
"""A Chenghua of about 4,400 residents: a dozen requests a day."""


def contents(store: EventStore) -> dict[str, list[Any]]:
    """Return every stream of ``store`` with its records, for comparing two runs."""
    return {stream: [r.data for r in store.read(stream)] for stream in store.streams()}


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-in registry, without entry points."""
    return load_registry(entry_points=False)


def test_the_same_seed_writes_the_same_streams_into_two_memory_stores(registry: Registry) -> None:
    """Two runs with one seed store identical records in every stream."""
    first, second = MemoryStore(), MemoryStore()
    for store in (first, second):
        simulate("chenghua", days=5, seed=11, store=store, scale=SCALE, registry=registry)
    assert contents(first) == contents(second)


def test_the_same_seed_writes_the_same_rows_into_sqlite(registry: Registry, tmp_path: Path) -> None:
    """A run into SQLite stores what the same run stores in memory, read back from the file."""
    memory = MemoryStore()
    simulate("hefei", days=4, seed=5, store=memory, scale=0.002, registry=registry)
    with SQLiteStore(tmp_path / "run.db") as sqlite:
        simulate("hefei", days=4, seed=5, store=sqlite, scale=0.002, registry=registry)
    with SQLiteStore(tmp_path / "run.db") as reopened:
        assert contents(reopened) == contents(memory)


def test_another_seed_gives_other_arrivals(registry: Registry) -> None:
    """Different seeds give different runs (the seed is not ignored)."""
    first, second = MemoryStore(), MemoryStore()
    simulate("chenghua", days=3, seed=1, store=first, scale=SCALE, registry=registry)
    simulate("chenghua", days=3, seed=2, store=second, scale=SCALE, registry=registry)
    assert contents(first) != contents(second)


def test_methods_compared_on_one_seed_receive_the_same_requests(registry: Registry) -> None:
    """Two methods on the same seed see the same arrivals: same ids, channels and units."""
    runs = {}
    for method in ("immediate_53522", "problem_ledger"):
        store = MemoryStore()
        simulate(
            "chenghua",
            days=3,
            seed=4,
            store=store,
            scale=SCALE,
            requests_method=method,
            registry=registry,
        )
        runs[method] = {s: store.read(s)[0].data[-1] for s in store.streams("case:")}
    first, second = runs.values()
    assert first.keys() == second.keys()
    for case_id, data in first.items():
        assert {k: data[k] for k in ("channel", "unit", "category")} == {
            k: second[case_id][k] for k in ("channel", "unit", "category")
        }
