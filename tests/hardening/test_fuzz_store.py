"""Fuzzing store contents read back: garbage records in a run's streams.

A store outlives the code that wrote it: a file edited by hand, a half-migrated database, a
record written by a buggy version. What is read back is therefore outside data. A real run's
streams (``sim:meta``, ``district:units``, ``case:<id>``, ``ledger:points``, ``sim:days``) with
records replaced, retyped, cut or dropped, and streams of generated garbage, read through
:func:`~civicgrid.store.streams.read_events`, :func:`~civicgrid.store.streams.load_case`,
:func:`~civicgrid.store.streams.read_transactions`,
:func:`~civicgrid.store.streams.load_ledger` and :func:`~civicgrid.report.loading.load_run`,
must come back whole or raise a :class:`~civicgrid.errors.CivicGridError` (``InvalidData`` or
``StoreError`` for a bad record, naming it) — never ``KeyError``, ``TypeError`` or
``IndexError``.
"""

from __future__ import annotations

import copy
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import Engine, ManualClock, Registry, load_registry
from civicgrid.domain.account_ids import accounts_for
from civicgrid.domain.ledger import LedgerError
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import CivicGridError, InvalidData, ReplayError, UnknownMethod
from civicgrid.report.loading import DAYS_STREAM, META_STREAM, UNITS_STREAM, Run, load_run
from civicgrid.simulation.runner import simulate
from civicgrid.store.errors import StorageFault, StoreError
from civicgrid.store.memory import MemoryStore
from civicgrid.store.sqlite import SQLiteStore
from civicgrid.store.streams import load_case, load_ledger, read_events, read_transactions
from hardening_support import FUZZ, Tally, json_paths, not_of_type

DOOR = "store contents"
MAX_SECONDS = 2.0
LEDGER_STREAM = "ledger:points"
REGISTRY: Registry = load_registry(entry_points=False)


def _recorded_run() -> dict[str, list[Any]]:
    """A real run's streams: one simulated day at a hundredth of the district."""
    store = MemoryStore()
    simulate("chenghua", days=1, seed=1, store=store, scale=0.01, registry=REGISTRY)
    return {name: [record.data for record in store.read(name)] for name in store.streams()}


RUN = _recorded_run()
CASES = sorted(name for name in RUN if name.startswith("case:"))
STREAMS = [META_STREAM, UNITS_STREAM, DAYS_STREAM, LEDGER_STREAM, *CASES[:20]]


def _store(streams: dict[str, list[Any]]) -> MemoryStore:
    store = MemoryStore()
    store.append_many(
        {name: (records, 0) for name, records in streams.items() if records}  # all or none
    )
    return store


def _engine() -> Engine:
    return Engine.from_registry(
        REGISTRY, clock=ManualClock(datetime(2026, 1, 1, tzinfo=DEFAULT_TZ))
    )


def _outcome(read: Callable[[], object]) -> object:
    """Run one read; return what it gives or the CivicGridError it raises, in good time."""
    started = time.perf_counter()
    try:
        result = read()
    except CivicGridError as exc:
        result = exc
    assert time.perf_counter() - started < MAX_SECONDS
    return result


# --------------------------------------------------------------------------- strategies

_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(
        [
            "opened",
            "transition",
            "breached",
            "2026-01-01T09:00:00+08:00",
            "2026-01-01T09:00:00",
            "2026-01-01",
            "Asia/Shanghai",
            "Mars/Base",
            "community",
            "points",
            "city_points",
            "immediate_53522",
        ]
    )
)
JSON_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from(["day", "date", "seed", "methods", "requests", "key", "postings"])
            | st.text(max_size=5),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@st.composite
def mutated_runs(draw: st.DrawFn) -> tuple[dict[str, list[Any]], str]:
    """The recorded run with one record of one stream damaged; returns it and the stream."""
    streams = copy.deepcopy(RUN)
    name = draw(st.sampled_from(STREAMS))
    records = streams[name]
    index = draw(st.integers(0, len(records) - 1))
    operation = draw(st.sampled_from(["replace", "inner", "inner", "drop", "truncate", "clone"]))
    if operation == "replace":
        records[index] = draw(JSON_VALUES)
    elif operation == "drop":
        del records[index]
    elif operation == "clone":
        records.insert(index, copy.deepcopy(records[draw(st.integers(0, len(records) - 1))]))
    elif operation == "truncate" and isinstance(records[index], list):
        records[index] = records[index][: draw(st.integers(0, len(records[index])))]
    else:
        paths = list(json_paths(records[index]))
        if not paths:
            records[index] = draw(JSON_VALUES)
        else:
            path = draw(st.sampled_from(paths))
            parent = records[index]
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict) and draw(st.booleans()):
                del parent[path[-1]]
            else:
                original = parent[path[-1]]
                parent[path[-1]] = draw(JSON_VALUES.filter(not_of_type(type(original))))
    return streams, name


# --------------------------------------------------------------------------- checks

RECORD_ERRORS = (InvalidData, StoreError, LedgerError)
"""What a damaged record may raise when read back (a ledger that no longer balances is a
LedgerError naming the transaction)."""


NAMED_AS = {META_STREAM: "sim:meta", DAYS_STREAM: "sim:days", LEDGER_STREAM: "'points'"}
"""How a refusal names each damaged stream. ``district:units`` is missing: a bad unit record
is refused as ``unit 'x'`` or ``unit tree`` without its stream (report/loading.py, reported)."""


def _check_run(result: object, tally: Tally, damaged: str | None = None) -> None:
    if isinstance(result, Run):
        tally.add("fuzz", DOOR, "loaded")
        return
    tally.add("fuzz", DOOR, "refused")
    assert isinstance(result, RECORD_ERRORS), repr(result)
    if isinstance(result, InvalidData) and damaged is not None and damaged != UNITS_STREAM:
        assert NAMED_AS.get(damaged, repr(damaged)) in result.what, result


def _check_case(store: MemoryStore, stream: str, tally: Tally) -> None:
    """Read the case's events back, then replay them: whole, or an error naming the record."""
    case_id = stream.removeprefix("case:")
    events = _outcome(lambda: read_events(store, case_id))
    if isinstance(events, CivicGridError):
        assert isinstance(events, InvalidData), repr(events)
        assert stream in str(events), events
        assert all(problem.path for problem in events.problems) or any(
            "must be a list" in problem.message for problem in events.problems
        ), events
        tally.add("fuzz", DOOR, "refused")
        return
    case = _outcome(lambda: load_case(store, _engine(), case_id))
    if isinstance(case, CivicGridError):
        assert isinstance(case, ReplayError | UnknownMethod | StoreError), repr(case)
        tally.add("fuzz", DOOR, "refused")
    else:
        tally.add("fuzz", DOOR, "loaded")


def _check_ledger(store: MemoryStore, tally: Tally) -> None:
    transactions = _outcome(lambda: read_transactions(store, "points"))
    if isinstance(transactions, CivicGridError):
        assert isinstance(transactions, InvalidData), repr(transactions)
        assert "points" in transactions.what, transactions
        tally.add("fuzz", DOOR, "refused")
        return
    assert isinstance(transactions, list)
    ledger = _outcome(lambda: load_ledger(store, "points", accounts=accounts_for(transactions)))
    if isinstance(ledger, CivicGridError):
        assert isinstance(ledger, RECORD_ERRORS), repr(ledger)
        tally.add("fuzz", DOOR, "refused")
    else:
        tally.add("fuzz", DOOR, "loaded")


# --------------------------------------------------------------------------- tests


def test_the_recorded_run_reads_back_whole() -> None:
    """The baseline: the undamaged run loads, every case replays, the ledger balances."""
    store = _store(RUN)
    run = load_run(store)
    assert run.tree is not None
    assert run.ledger is not None
    assert len(run.days) == 1
    for stream in CASES:
        assert load_case(store, _engine(), stream.removeprefix("case:")).id == stream[5:]


@settings(FUZZ)
@given(damage=mutated_runs())
def test_a_damaged_record_reads_back_or_is_named(
    damage: tuple[dict[str, list[Any]], str], tally: Tally
) -> None:
    """One damaged record: the run, the case and the ledger load or raise a record error."""
    streams, name = damage
    store = _store(streams)
    _check_run(_outcome(lambda: load_run(store)), tally, damaged=name)
    if name.startswith("case:"):
        _check_case(store, name, tally)
    elif name == LEDGER_STREAM:
        _check_ledger(store, tally)


@settings(FUZZ)
@given(
    streams=st.fixed_dictionaries(
        {},
        optional={
            META_STREAM: st.lists(JSON_VALUES, min_size=1, max_size=2),
            UNITS_STREAM: st.lists(JSON_VALUES, max_size=3),
            DAYS_STREAM: st.lists(JSON_VALUES, max_size=3),
            LEDGER_STREAM: st.lists(JSON_VALUES, max_size=3),
            "case:c1": st.lists(JSON_VALUES, max_size=3),
        },
    )
)
def test_generated_garbage_streams_read_back_or_are_named(
    streams: dict[str, list[Any]], tally: Tally
) -> None:
    """Streams of generated garbage: each reader gives a value or a CivicGridError."""
    store = _store(streams)
    _check_run(_outcome(lambda: load_run(store)), tally)
    if streams.get("case:c1"):
        _check_case(store, "case:c1", tally)
    if streams.get(LEDGER_STREAM):
        _check_ledger(store, tally)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (["opened", "2026-01-01T09:00:00+08:00", "r1", "immediate_53522", None, 5], "target"),
        (["opened", "2026-01-01T09:00:00", "r1", "immediate_53522", None, "new"], "at"),
        (["opened", 20260101, "r1", "immediate_53522", None, "new"], "at"),
        (["shouted", "2026-01-01T09:00:00+08:00", "r1", "x", None, "new"], "kind"),
        ([["opened"], "2026-01-01T09:00:00+08:00", "r1", "x", None, "new"], "kind"),
        (["opened", "2026-01-01T09:00:00+08:00", "r1", "x", None, "new", 1, None, []], "data"),
        (["opened", "2026-01-01T09:00:00+08:00", {"id": 1}, "x", None, "new"], "actor"),
        ({"kind": "opened"}, ""),
        (["opened"], ""),
    ],
)
def test_a_malformed_event_record_names_its_field(record: Any, field: str) -> None:
    """Regression: a stored event of the wrong shape is InvalidData naming stream and field.

    It used to pass as an Event with a naive time or a number for a step, or to fail with a
    bare problem holding Python's own message.
    """
    store = _store({"case:c1": [record]})
    with pytest.raises(InvalidData) as caught:
        read_events(store, "c1")
    assert "'case:c1'" in caught.value.what
    assert field in [problem.path for problem in caught.value.problems]


def test_a_record_that_is_not_json_in_sqlite_is_a_store_error(tmp_path: Path) -> None:
    """A record whose stored text is not JSON (edited by hand) is a StoreError naming it."""
    path = tmp_path / "run.sqlite"
    store = SQLiteStore(path)
    store.append_many({name: (records, 0) for name, records in RUN.items() if records})
    store.close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE records SET data = '{not json' WHERE version = 1")
    connection.close()
    store = SQLiteStore(path)
    try:
        with pytest.raises(StorageFault, match="not JSON") as caught:
            read_events(store, CASES[0].removeprefix("case:"))
        assert caught.value.fault == "corrupt"
    finally:
        store.close()
