"""The event store contract: the same tests run against every implementation."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import Actor, CivicGridError, Engine, InvalidData, ManualClock, Registry
from civicgrid.domain.ledger import Account, AccountKind, Ledger, Posting, Transaction
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.store.codec import (
    case_stream,
    encode_events,
    encode_transactions,
    ledger_stream,
)
from civicgrid.store.errors import ConcurrencyConflict, UnknownStream
from civicgrid.store.protocol import EventStore, StoredRecord
from civicgrid.store.streams import (
    append_events,
    append_transactions,
    load_case,
    load_ledger,
    read_events,
    read_transactions,
)
from civicgrid.workflows.case import Case
from store_support import STORES, open_store

START = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
DATA = {
    "feedback": "已答复居民：问题已处理",
    "plan": "制定解决方案并报街道协调",
    "waiting_for": "home",
    "agreement": "协商一致",
    "rating": "satisfied",
}
"""What a handler records with each action: whatever the 53522 guards ask for."""


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> Iterator[EventStore]:
    """A fresh store of one implementation."""
    with open_store(request.param) as fresh:
        yield fresh


def closed_case(registry: Registry) -> tuple[Engine, Case]:
    """Run a 53522 case to its end on a manual clock, with warnings and breaches on the way."""
    clock = ManualClock(START)
    engine = Engine.from_registry(registry, clock=clock)
    method = registry.methods["immediate_53522"]
    handler = Actor(
        id="worker-1",
        roles=frozenset(role.key for role in method.roles),
        levels=frozenset(level.key for level in method.escalation),
    )
    case = engine.open("immediate_53522", actor=handler, data={"text": "3栋楼道灯不亮"})
    for _ in range(20):
        clock.set(clock.now() + timedelta(hours=3))
        engine.tick()
        for trigger in engine.permitted(case, handler):
            if trigger in {"withdraw", "escalate", "reopen"}:
                continue
            try:
                engine.fire(case, trigger, handler, data=DATA)
            except CivicGridError:
                continue
            break
        if case.is_closed:
            break
    assert case.is_closed
    return engine, case


# --------------------------------------------------------------------------- records


def test_the_store_keeps_the_protocol(store: EventStore) -> None:
    """Every implementation is an EventStore."""
    assert isinstance(store, EventStore)


def test_appended_records_are_read_back_in_order_with_their_versions(store: EventStore) -> None:
    """Two appends give versions 1..3 and the records come back in order."""
    assert store.append("case:a", [{"n": 1}, {"n": 2}], expected_version=0) == 2
    assert store.append("case:a", [["三", None, 3.5, True]], expected_version=2) == 3
    assert store.read("case:a") == [
        StoredRecord(1, {"n": 1}),
        StoredRecord(2, {"n": 2}),
        StoredRecord(3, ["三", None, 3.5, True]),
    ]
    assert store.version("case:a") == 3


def test_reading_from_a_version_skips_the_records_before_it(store: EventStore) -> None:
    """read(from_version=3) starts at the third record."""
    store.append("s", list(range(5)), expected_version=0)
    assert store.read("s", 3) == [StoredRecord(3, 2), StoredRecord(4, 3), StoredRecord(5, 4)]
    assert store.read("s", 6) == []


def test_a_limit_reads_a_stream_page_by_page(store: EventStore) -> None:
    """read(from_version, limit) returns at most ``limit`` records: pages cover the stream."""
    store.append("s", list(range(7)), expected_version=0)
    assert store.read("s", 1, limit=3) == [StoredRecord(v, v - 1) for v in (1, 2, 3)]
    assert store.read("s", 6, limit=3) == [StoredRecord(6, 5), StoredRecord(7, 6)]
    assert store.read("s", 8, limit=3) == []
    pages, start = [], 1
    while page := store.read("s", start, limit=2):
        pages.append([r.version for r in page])
        start = page[-1].version + 1
    assert pages == [[1, 2], [3, 4], [5, 6], [7]]


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "2"])
def test_a_limit_that_is_not_a_page_size_is_refused(store: EventStore, limit: object) -> None:
    """``limit`` must be a whole number ≥ 1 (or None), named in the error."""
    with pytest.raises(InvalidData, match="limit"):
        store.read("s", 1, limit=limit)  # type: ignore[arg-type]


def test_an_unknown_stream_reads_empty_at_version_zero(store: EventStore) -> None:
    """A stream never written holds nothing, at version 0, and is not listed."""
    assert store.read("case:nobody") == []
    assert store.version("case:nobody") == 0
    assert store.streams() == []


def test_streams_are_listed_sorted_and_filtered_by_prefix(store: EventStore) -> None:
    """streams(prefix) lists the names that start with it, sorted."""
    for name in ["case:b", "ledger:city", "case:a", "units:chenghua", "cases"]:
        store.append(name, [1], expected_version=0)
    assert store.streams("case:") == ["case:a", "case:b"]
    assert store.streams() == ["case:a", "case:b", "cases", "ledger:city", "units:chenghua"]
    assert store.streams("zzz") == []


def test_a_stale_expected_version_is_refused_and_stores_nothing(store: EventStore) -> None:
    """Appending at version 1 to a stream at 2 raises a conflict naming both; nothing changes."""
    store.append("case:a", ["x", "y"], expected_version=0)
    with pytest.raises(ConcurrencyConflict) as caught:
        store.append("case:a", ["z"], expected_version=1)
    assert (caught.value.stream, caught.value.expected, caught.value.actual) == ("case:a", 1, 2)
    assert "case:a" in str(caught.value)
    assert caught.value.message_zh
    assert [r.data for r in store.read("case:a")] == ["x", "y"]


def test_an_expected_version_ahead_of_the_stream_is_refused(store: EventStore) -> None:
    """Expecting version 5 of an unknown stream is a conflict; the stream stays unknown."""
    with pytest.raises(ConcurrencyConflict):
        store.append("case:a", ["x"], expected_version=5)
    assert store.version("case:a") == 0
    assert store.streams() == []


def test_an_empty_append_checks_the_version_and_stores_nothing(store: EventStore) -> None:
    """No records: the version is checked, nothing is written, no stream is created."""
    assert store.append("case:a", [], expected_version=0) == 0
    assert store.streams() == []
    store.append("case:a", ["x"], expected_version=0)
    assert store.append("case:a", [], expected_version=1) == 1
    with pytest.raises(ConcurrencyConflict):
        store.append("case:a", [], expected_version=0)


def test_append_many_commits_every_stream_together(store: EventStore) -> None:
    """A case and a ledger written by one command advance together."""
    store.append("ledger:city", ["t1"], expected_version=0)
    versions = store.append_many({"case:a": (["e1", "e2"], 0), "ledger:city": (["t2"], 1)})
    assert versions == {"case:a": 2, "ledger:city": 2}
    assert [r.data for r in store.read("ledger:city")] == ["t1", "t2"]


def test_append_many_stores_nothing_when_one_stream_conflicts(store: EventStore) -> None:
    """One stale stream refuses the whole batch: the others are not written either."""
    store.append("ledger:city", ["t1"], expected_version=0)
    with pytest.raises(ConcurrencyConflict) as caught:
        store.append_many({"case:a": (["e1"], 0), "ledger:city": (["t2"], 0)})
    assert caught.value.stream == "ledger:city"
    assert store.version("case:a") == 0
    assert [r.data for r in store.read("ledger:city")] == ["t1"]
    assert store.streams() == ["ledger:city"]


def test_records_json_cannot_hold_are_refused_naming_each(store: EventStore) -> None:
    """A set and a NaN are refused with their positions; nothing of the batch is stored."""
    with pytest.raises(InvalidData) as caught:
        store.append_many({"case:b": (["fine"], 0), "case:a": (["ok", {1, 2}, math.nan], 0)})
    assert [p.path for p in caught.value.problems] == ["records[1]", "records[2]"]
    assert store.streams() == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.append("", ["x"], expected_version=0), "stream"),
        (lambda s: s.append("case:a", ["x"], expected_version=-1), "expected_version"),
        (lambda s: s.append("case:a", ["x"], expected_version=True), "expected_version"),
        (lambda s: s.append("case:a", "xyz", expected_version=0), "records"),
        (lambda s: s.read("case:a", 0), "from_version"),
        (lambda s: s.version(""), "stream"),
        (lambda s: s.append_many({"case:a": ["x"]}), "case:a"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(
    store: EventStore, call: Callable[[EventStore], object], field: str
) -> None:
    """Each bad argument raises InvalidData whose problem names it; nothing is stored."""
    with pytest.raises(InvalidData) as caught:
        call(store)
    assert [p.path for p in caught.value.problems] == [field]
    assert store.streams() == []


def test_what_is_read_is_a_copy_of_what_was_appended(store: EventStore) -> None:
    """Changing the appended object, or a record read, changes nothing stored."""
    record: dict[str, Any] = {"items": [1, 2]}
    store.append("s", [record], expected_version=0)
    record["items"].append(3)
    store.read("s")[0].data["items"].append(4)
    assert store.read("s")[0].data == {"items": [1, 2]}


# --------------------------------------------------------------------------- events


def test_a_case_round_trips_event_for_event(store: EventStore, registry: Registry) -> None:
    """The stored events of a closed 53522 case equal the recorded ones exactly."""
    _, case = closed_case(registry)
    events = list(case.events)
    assert append_events(store, case.id, events[:4], expected_version=0) == 4
    assert append_events(store, case.id, events[4:], expected_version=4) == len(events)
    assert read_events(store, case.id) == events
    assert [e.at.utcoffset() for e in read_events(store, case.id)] == [
        e.at.utcoffset() for e in events
    ]
    assert read_events(store, case.id, 5) == events[4:]


def test_a_case_loaded_from_the_store_equals_the_original(
    store: EventStore, registry: Registry
) -> None:
    """load_case replays the stored events into the same step, level and history."""
    engine, case = closed_case(registry)
    append_events(store, case.id, case.events, expected_version=0)
    loaded = load_case(store, engine, case.id)
    assert (loaded.id, loaded.step, loaded.level, loaded.assignee) == (
        case.id,
        case.step,
        case.level,
        case.assignee,
    )
    assert list(loaded.events) == list(case.events)


def test_loading_an_unknown_case_names_its_stream(store: EventStore, registry: Registry) -> None:
    """An unknown case raises UnknownStream with the stream's name."""
    engine, _ = closed_case(registry)
    with pytest.raises(UnknownStream) as caught:
        load_case(store, engine, "nobody")
    assert caught.value.stream == "case:nobody"


def test_events_that_do_not_follow_the_stream_are_refused(
    store: EventStore, registry: Registry
) -> None:
    """Events of another case, or not numbered from the expected version, store nothing."""
    _, case = closed_case(registry)
    events = list(case.events)
    with pytest.raises(InvalidData) as caught:
        append_events(store, case.id, events[1:3], expected_version=0)
    assert [p.path for p in caught.value.problems] == ["events[0]", "events[1]"]
    with pytest.raises(InvalidData):
        append_events(store, "other", events[:1], expected_version=0)
    assert store.streams() == []


def test_a_second_writer_of_a_case_gets_the_conflict(store: EventStore, registry: Registry) -> None:
    """Two writers appending the same next event: the second is refused, the first kept."""
    _, case = closed_case(registry)
    events = list(case.events)
    append_events(store, case.id, events[:2], expected_version=0)
    append_events(store, case.id, events[2:3], expected_version=2)
    with pytest.raises(ConcurrencyConflict):
        append_events(store, case.id, events[2:3], expected_version=2)
    assert read_events(store, case.id) == events[:3]


# --------------------------------------------------------------------------- ledgers


def points_ledger() -> Ledger:
    """A city-points ledger with an issuer, two volunteers and a reversal."""
    ledger = Ledger(
        accounts=[
            Account(id="issuer", currency="city_points", kind=AccountKind.ISSUER),
            Account(id="vol-1", currency="city_points", owner="志愿者甲"),
            Account(id="vol-2", currency="city_points"),
        ]
    )
    ledger.transfer(
        key="earn-1",
        at=START,
        kind="earn",
        source="issuer",
        target="vol-1",
        amount=20,
        memo="清理楼道",
        data={"case": "req-1", "seq": 12},
    )
    ledger.transfer(
        key="earn-2",
        at=START + timedelta(hours=1),
        kind="earn",
        source="issuer",
        target="vol-2",
        amount=5,
    )
    ledger.reverse("earn-2", at=START + timedelta(hours=2))
    return ledger


def test_ledger_transactions_round_trip_exactly(store: EventStore) -> None:
    """Stored transactions come back equal, each with its seq, memo, data and reversal."""
    ledger = points_ledger()
    booked = list(ledger)
    append_transactions(store, "city", booked[:1], expected_version=0)
    append_transactions(store, "city", booked[1:], expected_version=1)
    loaded = read_transactions(store, "city")
    assert loaded == booked
    assert [t.seq for t in loaded] == [1, 2, 3]
    assert loaded[2].reverses == "earn-2"


def test_a_ledger_loaded_from_the_store_has_the_same_balances(store: EventStore) -> None:
    """load_ledger replays the transactions over the declared accounts."""
    ledger = points_ledger()
    append_transactions(store, "city", ledger, expected_version=0)
    loaded = load_ledger(store, "city", accounts=ledger.accounts())
    for account in ledger.accounts():
        assert loaded.balance(account.id) == ledger.balance(account.id)
    assert loaded.total("city_points") == 0
    with pytest.raises(UnknownStream):
        load_ledger(store, "district")


def test_a_transaction_stored_out_of_its_place_is_refused(store: EventStore) -> None:
    """A booked transaction whose seq is not the version it would get stores nothing."""
    booked = list(points_ledger())
    with pytest.raises(InvalidData) as caught:
        append_transactions(store, "city", booked[1:], expected_version=0)
    assert caught.value.problems[0].path == "transactions[0].seq"
    assert store.version(ledger_stream("city")) == 0


def test_a_command_commits_its_case_events_and_ledger_together(
    store: EventStore, registry: Registry
) -> None:
    """Points earned on closing a case are stored with the closing event, or neither is."""
    _, case = closed_case(registry)
    events = list(case.events)
    earned = Transaction(
        key=f"earn:{case.id}",
        at=events[-1].at,
        kind="earn",
        postings=[Posting(account="issuer", amount=-10), Posting(account="vol-1", amount=10)],
    )
    batch = {
        case_stream(case.id): (encode_events(case.id, events, 0), 0),
        ledger_stream("city"): (encode_transactions([earned], 0), 0),
    }
    other = next(iter(points_ledger()))
    append_transactions(store, "city", [other], expected_version=0)
    with pytest.raises(ConcurrencyConflict):
        store.append_many(batch)
    assert read_events(store, case.id) == []
    assert store.version(ledger_stream("city")) == 1
    batch[ledger_stream("city")] = (encode_transactions([earned], 1), 1)
    assert store.append_many(batch) == {case_stream(case.id): len(events), "ledger:city": 2}
    assert read_events(store, case.id) == events
    assert read_transactions(store, "city") == [other, earned]


# --------------------------------------------------------------------------- invariant


APPENDS = st.lists(
    st.tuples(
        st.sampled_from(["case:a", "case:b", "ledger:city"]),
        st.lists(st.integers(0, 99), max_size=3),
        st.sampled_from(["right", "stale", "ahead"]),
    ),
    max_size=25,
)


@pytest.mark.parametrize("kind", STORES)
@settings(max_examples=40, deadline=None)
@given(appends=APPENDS)
def test_each_stream_holds_exactly_its_successful_appends_in_order(
    kind: str, appends: list[tuple[str, list[int], str]]
) -> None:
    """Random appends with right, stale and early versions: conflicts leave no trace."""
    model: dict[str, list[int]] = {}
    with open_store(kind) as store:
        for stream, records, which in appends:
            current = len(model.get(stream, []))
            expected = {"right": current, "stale": current - 1, "ahead": current + 1}[which]
            if expected < 0:
                continue
            if which == "right":
                assert store.append(stream, records, expected_version=expected) == current + len(
                    records
                )
                if records:
                    model.setdefault(stream, []).extend(records)
            else:
                with pytest.raises(ConcurrencyConflict):
                    store.append(stream, records, expected_version=expected)
        assert store.streams() == sorted(model)
        for stream, records in model.items():
            assert [r.data for r in store.read(stream)] == records
            assert store.version(stream) == len(records)
