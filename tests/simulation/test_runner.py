"""Tests of the simulation's day loop, what it commits and the summary it returns."""

from __future__ import annotations

import gc
import json
from datetime import date

import pytest

from civicgrid.errors import InvalidData, UnknownMethod
from civicgrid.plugins.registry import Registry, load_registry
from civicgrid.report.indicators import IndicatorBuilder
from civicgrid.simulation import LEDGER, Summary, accounts_for, simulate
from civicgrid.simulation.runner import FULL_COLLECTIONS_AFTER
from civicgrid.store import MemoryStore, read_events, read_transactions
from civicgrid.store.streams import load_ledger
from civicgrid.workflows.clock import FixedClock
from civicgrid.workflows.engine import Engine

SCALE = 0.003
"""A Chenghua of about 4,400 residents: a dozen requests a day."""


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-in registry, without entry points."""
    return load_registry(entry_points=False)


@pytest.fixture(scope="module")
def run(registry: Registry) -> tuple[MemoryStore, Summary]:
    """Six days of a small Chenghua with 53522, into memory."""
    store = MemoryStore()
    summary = simulate("chenghua", days=6, seed=7, store=store, scale=SCALE, registry=registry)
    return store, summary


def test_the_store_holds_meta_units_days_cases_and_the_ledger(
    run: tuple[MemoryStore, Summary],
) -> None:
    """A run writes the agreed streams: one meta record, units, a record a day, cases, points."""
    store, _ = run
    meta = store.read("sim:meta")
    assert len(meta) == 1
    assert meta[0].data["methods"] == {"requests": "immediate_53522", "deliberation": None}
    assert meta[0].data["days"] == 6
    assert meta[0].data["tz"] == "Asia/Shanghai"
    days = [r.data for r in store.read("sim:days")]
    assert [d["day"] for d in days] == list(range(6))
    assert days[0]["date"] == "2026-01-01"
    units = [r.data for r in store.read("district:units")]
    assert units[0][1] is None
    assert units[0][2] == "district"
    assert store.streams("case:")
    assert store.version("ledger:points") == sum(d["transactions"] for d in days)


def test_every_opening_event_records_channel_category_and_unit(
    run: tuple[MemoryStore, Summary],
) -> None:
    """Cases are opened through the request desk, so indicators can read where they came from."""
    store, _ = run
    for stream in store.streams("case:")[:20]:
        opened = read_events(store, stream.removeprefix("case:"))[0]
        assert {"channel", "category", "unit"} <= set(opened.data or {})


def test_the_summary_matches_indicators_rebuilt_from_the_store(
    run: tuple[MemoryStore, Summary], registry: Registry
) -> None:
    """The summary's figures equal those folded from the stored events alone."""
    store, summary = run
    as_of = summary.indicators.as_of
    assert as_of is not None
    engine = Engine.from_registry(registry, clock=FixedClock(as_of))
    builder = IndicatorBuilder.for_engine(engine)
    for stream in store.streams("case:"):
        builder.extend(read_events(store, stream.removeprefix("case:")))
    rebuilt = builder.indicators(as_of=as_of)
    figures = summary.to_dict()
    assert (
        figures["requests"]
        == rebuilt.received
        == sum(r.data["requests"] for r in store.read("sim:days"))
    )
    assert figures["closed"] == rebuilt.closed
    assert figures["satisfaction"] == rebuilt.satisfaction
    assert figures["events"] == sum(store.version(s) for s in store.streams("case:"))


def test_the_stored_ledger_replays_with_derived_accounts_and_sums_to_zero(
    run: tuple[MemoryStore, Summary],
) -> None:
    """Accounts declared from the transactions' ids replay the ledger; every currency nets to 0."""
    store, summary = run
    transactions = read_transactions(store, LEDGER)
    ledger = load_ledger(store, LEDGER, accounts=accounts_for(transactions))
    for currency in ledger.currencies:
        assert ledger.total(currency) == 0
    assert summary.to_dict()["points_earned"]["city_points"] > 0


def test_closed_cases_are_dropped_and_only_open_ones_are_counted(
    run: tuple[MemoryStore, Summary],
) -> None:
    """The last day's open-case count equals the cases not yet in a terminal step."""
    _, summary = run
    assert summary.open_cases == summary.indicators.in_progress


def test_the_summary_prints_a_bilingual_table_and_json(run: tuple[MemoryStore, Summary]) -> None:
    """The text form labels figures in Chinese and English; the JSON form parses."""
    _, summary = run
    text = summary.to_text()
    assert "办结率 / completion rate" in text
    assert "积分发放 / points earned" in text
    assert json.loads(summary.to_json())["method"] == "immediate_53522"


@pytest.mark.parametrize("method", ["four_orders", "micro_wishes", "grid_whistle"])
def test_other_request_methods_run_to_rated_closures(registry: Registry, method: str) -> None:
    """Any installed request method can be chosen; its cases close on the resident's rating."""
    summary = simulate(
        "hefei",
        days=4,
        seed=2,
        store=MemoryStore(),
        scale=0.002,
        requests_method=method,
        registry=registry,
    )
    assert summary.indicators.received > 0
    assert summary.indicators.outcomes.get("closed", 0) > 0
    assert summary.indicators.rated > 0


def test_an_unknown_method_is_refused_before_anything_is_written(registry: Registry) -> None:
    """A method that is not installed raises UnknownMethod and leaves the store empty."""
    store = MemoryStore()
    with pytest.raises(UnknownMethod):
        simulate(
            "chenghua",
            days=1,
            seed=1,
            store=store,
            scale=SCALE,
            requests_method="nope",
            registry=registry,
        )
    assert store.streams() == []


def test_a_method_without_a_rating_is_refused(registry: Registry) -> None:
    """A method with no rated way to ``closed`` (a deliberation method) is not a request method."""
    store = MemoryStore()
    with pytest.raises(InvalidData, match="requests_method"):
        simulate(
            "chenghua",
            days=1,
            seed=1,
            store=store,
            scale=SCALE,
            requests_method="six_foot_lane",
            registry=registry,
        )
    assert store.streams() == []


def test_bad_days_seed_and_scale_are_reported_together(registry: Registry) -> None:
    """Zero days, a text seed and a huge scale are all named in one error."""
    with pytest.raises(InvalidData) as caught:
        simulate(
            "chenghua",
            days=0,
            seed="x",  # type: ignore[arg-type]
            store=MemoryStore(),
            scale=99.0,
            registry=registry,
        )
    assert {p.path for p in caught.value.problems} == {"days", "seed", "scale"}


def test_a_store_holding_a_run_is_not_overwritten(registry: Registry) -> None:
    """A second fresh run into the same store is refused and the first run stays as it was."""
    store = MemoryStore()
    simulate("chenghua", days=1, seed=1, store=store, scale=SCALE, registry=registry)
    before = store.version("sim:days")
    with pytest.raises(InvalidData, match="already holds a run"):
        simulate(
            "chenghua",
            days=1,
            seed=1,
            store=store,
            scale=SCALE,
            registry=registry,
            start=date(2026, 2, 1),
        )
    assert store.version("sim:days") == before


def test_full_collections_are_rarer_during_the_run_and_restored_after(
    registry: Registry,
) -> None:
    """The collector's thresholds change only while the days run, even when a day fails."""
    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    simulate(
        "hefei",
        days=2,
        seed=1,
        store=MemoryStore(),
        scale=0.01,
        registry=registry,
        progress=lambda _done, _days: seen.append(gc.get_threshold()),
    )
    assert seen
    assert all(t == (*before[:2], max(before[2], FULL_COLLECTIONS_AFTER)) for t in seen)
    assert gc.get_threshold() == before

    def fail(_done: int, _days: int) -> None:
        raise RuntimeError("the caller's progress bar broke")

    with pytest.raises(RuntimeError, match="progress bar"):
        simulate(
            "hefei", days=2, seed=1, store=MemoryStore(), scale=0.01, registry=registry,
            progress=fail,
        )  # fmt: skip
    assert gc.get_threshold() == before
