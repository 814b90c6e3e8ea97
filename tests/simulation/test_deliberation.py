"""Topics raised for deliberation in a simulated district wait for their method's meetings."""

from __future__ import annotations

from typing import Any

import pytest

from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.plugins.registry import Registry, load_registry
from civicgrid.simulation import simulate
from civicgrid.store import MemoryStore
from civicgrid.store.protocol import EventStore
from civicgrid.store.streams import read_events

SCALE = 0.02
"""A Hefei of about 20,000 residents: half a dozen topics a day."""


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-in registry, without entry points."""
    return load_registry(entry_points=False)


def contents(store: EventStore, prefix: str = "") -> dict[str, list[Any]]:
    """Return the streams of ``store`` starting with ``prefix``, with their records."""
    return {stream: [r.data for r in store.read(stream)] for stream in store.streams(prefix)}


@pytest.fixture(scope="module")
def five_steps_run(registry: Registry) -> tuple[MemoryStore, Any]:
    """Forty days of Five Steps alone on a small Hefei."""
    store = MemoryStore()
    summary = simulate(
        "hefei",
        days=40,
        seed=5,
        store=store,
        scale=SCALE,
        requests_method=None,
        deliberation_method="five_steps",
        registry=registry,
    )
    return store, summary


def test_consultation_happens_only_at_the_monthly_meeting(
    five_steps_run: tuple[MemoryStore, Any], registry: Registry
) -> None:
    """Every topic leaving 组织协商 by agreement does so on a first Saturday, 09:00–11:00."""
    store, _ = five_steps_run
    schedule = registry.meeting_schedules["five_steps"]
    agreed = 0
    for stream in store.streams("case:"):
        for event in read_events(store, stream.removeprefix("case:")):
            if event.trigger != "agree":
                continue
            local = event.at.astimezone(DEFAULT_TZ)
            assert schedule.rule.is_meeting_day(local.date(), calendar=registry.calendar)
            assert 9 <= local.hour < 11
            agreed += 1
    assert agreed > 0


def test_the_summary_counts_every_topic_and_no_request(
    five_steps_run: tuple[MemoryStore, Any],
) -> None:
    """Topics are counted under deliberation; the requests column is empty."""
    store, summary = five_steps_run
    topics = sum(record.data["topics"] for record in store.read("sim:days"))
    assert topics == len(store.streams("case:t")) > 0
    assert summary.deliberation is not None
    assert summary.deliberation.received == topics
    assert summary.indicators.received == 0
    assert summary.method is None
    assert summary.deliberation_method == "five_steps"


def test_requests_arrive_the_same_with_deliberation_on_or_off(registry: Registry) -> None:
    """Topics draw from their own generator: request methods compare on the same arrivals."""
    alone, both = MemoryStore(), MemoryStore()
    common: dict[str, Any] = {"days": 3, "seed": 2, "scale": 0.005, "registry": registry}
    simulate("hefei", store=alone, **common)
    simulate("hefei", store=both, deliberation_method="six_self", **common)
    requests_alone = contents(alone, "case:r")
    assert requests_alone == contents(both, "case:r")
    assert contents(both, "case:t")


class Interrupt(Exception):
    """Stands for Ctrl-C after a committed day."""


def test_a_deliberation_run_resumes_to_the_uninterrupted_one(registry: Registry) -> None:
    """Requests and topics together: stopped after 6 days and resumed equals 12 days straight."""
    whole, parts = MemoryStore(), MemoryStore()
    common: dict[str, Any] = {
        "days": 12,
        "seed": 9,
        "scale": 0.01,
        "registry": registry,
        "deliberation_method": "five_steps",
    }
    expected = simulate("hefei", store=whole, **common)

    def stop(done: int, _total: int) -> None:
        if done == 6:
            raise Interrupt

    with pytest.raises(Interrupt):
        simulate("hefei", store=parts, progress=stop, **common)
    resumed = simulate("hefei", store=parts, resume=True, **common)
    assert contents(parts) == contents(whole)
    assert resumed.deliberation is not None
    assert expected.deliberation is not None
    assert resumed.deliberation.received == expected.deliberation.received
