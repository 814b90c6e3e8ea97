"""Tests that an interrupted simulation resumes to what an uninterrupted one writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from civicgrid.errors import InvalidData
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


class Interrupt(Exception):
    """Stands for Ctrl-C arriving after a given committed day."""


def stop_after(days: int):  # type: ignore[no-untyped-def]
    """Return a progress callback that interrupts the run once ``days`` days are committed."""

    def progress(done: int, _total: int) -> None:
        if done == days:
            raise Interrupt

    return progress


@pytest.mark.parametrize("method", ["immediate_53522", "four_orders"])
def test_a_run_stopped_after_k_days_and_resumed_equals_an_uninterrupted_one(
    registry: Registry, method: str
) -> None:
    """N days straight and K days then resumed to N store the same records in every stream."""
    whole, parts = MemoryStore(), MemoryStore()
    expected = simulate(
        "chenghua",
        days=7,
        seed=3,
        store=whole,
        scale=SCALE,
        requests_method=method,
        registry=registry,
    )
    with pytest.raises(Interrupt):
        simulate(
            "chenghua",
            days=7,
            seed=3,
            store=parts,
            scale=SCALE,
            requests_method=method,
            registry=registry,
            progress=stop_after(3),
        )
    assert parts.version("sim:days") == 3
    resumed = simulate(
        "chenghua",
        days=7,
        seed=3,
        store=parts,
        scale=SCALE,
        requests_method=method,
        registry=registry,
        resume=True,
    )
    assert contents(parts) == contents(whole)
    assert resumed == expected
    assert resumed.days_this_run == 4


def test_a_sqlite_run_resumes_in_a_new_store_object(registry: Registry, tmp_path: Path) -> None:
    """The store is reopened from its file, as after a killed process, and the run completes."""
    path = tmp_path / "run.db"
    with SQLiteStore(path) as store, pytest.raises(Interrupt):
        simulate(
            "hefei",
            days=5,
            seed=9,
            store=store,
            scale=0.002,
            registry=registry,
            progress=stop_after(2),
        )
    with SQLiteStore(path) as store:
        simulate("hefei", days=5, seed=9, store=store, scale=0.002, registry=registry, resume=True)
        resumed = contents(store)
    whole = MemoryStore()
    simulate("hefei", days=5, seed=9, store=whole, scale=0.002, registry=registry)
    assert resumed == contents(whole)


def test_resuming_with_other_arguments_is_refused_and_changes_nothing(registry: Registry) -> None:
    """A resume whose seed or method differ from the stored run names the fields, writes nothing."""
    store = MemoryStore()
    simulate("chenghua", days=2, seed=1, store=store, scale=SCALE, registry=registry)
    before = contents(store)
    with pytest.raises(InvalidData) as caught:
        simulate(
            "chenghua",
            days=2,
            seed=2,
            store=store,
            scale=SCALE,
            registry=registry,
            requests_method="four_orders",
            resume=True,
        )
    assert {p.path for p in caught.value.problems} == {"seed", "methods"}
    assert contents(store) == before


def test_resuming_an_empty_store_is_refused(registry: Registry) -> None:
    """There is nothing to resume in an empty store."""
    with pytest.raises(InvalidData, match="no run to resume"):
        simulate("chenghua", days=2, seed=1, store=MemoryStore(), registry=registry, resume=True)


def test_resuming_a_finished_run_adds_nothing(registry: Registry) -> None:
    """A run already at its last day resumes to the same store and summary."""
    store = MemoryStore()
    first = simulate("chenghua", days=2, seed=1, store=store, scale=SCALE, registry=registry)
    before = contents(store)
    again = simulate(
        "chenghua", days=2, seed=1, store=store, scale=SCALE, registry=registry, resume=True
    )
    assert contents(store) == before
    assert again == first
    assert again.days_this_run == 0
