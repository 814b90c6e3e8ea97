"""A day's commit whose acknowledgement is lost is retried under its key and stored once."""

from __future__ import annotations

from typing import Any

import pytest

from civicgrid.plugins.registry import load_registry
from civicgrid.simulation import simulate
from civicgrid.store import MemoryStore
from civicgrid.store.errors import StorageFault
from civicgrid.store.protocol import Batch


class LosingAcks(MemoryStore):
    """Commits each keyed batch, then reports the connection lost the first ``times`` times."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.times = times
        self.keys: list[str | None] = []

    def append_many(self, batch: Batch, *, key: str | None = None) -> dict[str, int]:
        """Commit, then lose the acknowledgement while ``times`` lasts."""
        self.keys.append(key)
        versions = super().append_many(batch, key=key)
        if self.times > 0:
            self.times -= 1
            raise StorageFault("server", "connection", "connection lost", "连接中断", "EOF")
        return versions


def contents(store: MemoryStore) -> dict[str, list[Any]]:
    """Every stream with its records."""
    return {stream: [r.data for r in store.read(stream)] for stream in store.streams()}


def test_a_lost_acknowledgement_is_retried_and_stored_once() -> None:
    """Every commit loses its first acknowledgement: the run equals one that lost none."""
    registry = load_registry(entry_points=False)
    common: dict[str, Any] = {"days": 3, "seed": 1, "scale": 0.003, "registry": registry}
    calm, lossy = MemoryStore(), LosingAcks(times=2)
    simulate("chenghua", store=calm, **common)
    simulate("chenghua", store=lossy, **common)
    assert contents(lossy) == contents(calm)
    assert lossy.keys[:3] == ["sim:begin", "sim:begin", "sim:begin"]
    assert lossy.keys[-1] == "sim:day:2"


def test_a_connection_lost_for_good_stops_the_run_with_the_fault() -> None:
    """After the retries the fault reaches the caller; committed days stay committed."""
    registry = load_registry(entry_points=False)
    store = LosingAcks(times=100)
    with pytest.raises(StorageFault):
        simulate("chenghua", store=store, days=2, seed=1, scale=0.003, registry=registry)
    assert store.version("sim:meta") == 1
    assert store.version("sim:days") == 0
