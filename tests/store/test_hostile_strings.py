"""Hostile strings in every text field: round-trip exactly, or refused alike by every store.

The rule (see :mod:`civicgrid.store.protocol`): any Unicode text round-trips unchanged
through memory, SQLite and PostgreSQL (quotes, SQL, backslashes, JSON syntax, NUL and
control characters inside records, CJK, emoji, bidi marks, noncharacters, a mebibyte).
Text UTF-8 cannot encode (a lone surrogate) is refused before anything is written, with
InvalidData naming the field; stream names and keys must also be 1..512 characters without
NUL. Each input is tried on every store, and the outcomes must be identical. The fields:
a record's values and mapping keys, a stream's name, an idempotency key, every text field
of a case event and of a ledger transaction. Each input is counted in the hardening tally.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.ledger import Posting, Transaction
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData
from civicgrid.store.protocol import EventStore, StoredRecord
from civicgrid.store.records import MAX_NAME
from civicgrid.store.streams import (
    append_events,
    append_transactions,
    read_events,
    read_transactions,
)
from civicgrid.workflows.event import Event, EventKind
from hardening_support import FUZZ, Tally
from store_support import STORES, open_store

START = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)


PG_ENV = "CIVICGRID_TEST_POSTGRES_URL"
HOSTILE: dict[str, str] = {
    "quotes": 'it\'s "quoted" `back` \'\' ""',
    "sql injection": "x'); DROP TABLE records; -- \" OR 1=1; DELETE FROM streams; /*",
    "sql wildcards": "%_\\% LIKE '%' ESCAPE '\\'",
    "backslashes and escapes": "\\ \\\\ \\u0000 \\n \\\" \\' \\x00",
    "json syntax": '{"a":[1,2]}, ]} null "\\"',
    "nul": "before\x00after",
    "control characters": "".join(map(chr, range(1, 32))) + "\x7f\x85",
    "cjk and emoji": "居民议事 漢字 𠀀𪚥 😀👨‍👩‍👧‍👦 🇨🇳",
    "bidi and zero-width": "\u202eevil\u202c\u200b\u200d\ufeff",
    "noncharacters": "\ufffe\uffff\U0010ffff",
    "the name limit": "n" * MAX_NAME,
    "one over the name limit": "n" * (MAX_NAME + 1),
    "one mebibyte": "长" * (2**20 // 3 + 1),
    "lone high surrogate": "\ud800",
    "lone low surrogate": "ok \udfff ok",
    "undecodable bytes": b"caf\xe9 \xff".decode("utf-8", "surrogateescape"),
}
"""Strings that break naive storage code, by what they are."""

FIELDS = (
    "record value",
    "record key",
    "stream name",
    "idempotency key",
    "event fields",
    "transaction fields",
)
"""The text fields a store keeps, directly or through the typed helpers."""

_numbers = itertools.count()


def is_text(value: str) -> bool:
    """Whether UTF-8 can encode ``value`` (no lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def member(name: str) -> str:
    """How a problem's path names a mapping's member: ``.memo``, or ``['a key']``."""
    if name.isidentifier() and len(name) <= 40:
        return f".{name}"
    text = repr(name)
    return f"[{text}]" if len(text) <= 42 else f"[{text[:40]}…]"


def expected_refusal(field: str, value: str) -> list[str] | None:
    """The fields InvalidData names for ``value`` in ``field``, or None when it round-trips.

    Every record is checked, so a bad value refused in three records is named three times;
    within a record, the first field holding it (an event's actor is its record's [2]).
    """
    if field in {"stream name", "idempotency key"}:
        usable = is_text(value) and "\x00" not in value and 0 < len(value) <= MAX_NAME
        return None if usable else [{"stream name": "stream", "idempotency key": "key"}[field]]
    if is_text(value):
        return None
    return {
        "record value": ["records[0]", "records[1].v", "records[2][0]"],
        "record key": ["records[0]"],
        "event fields": ["records[0][2]"],
        "transaction fields": ["records[0].memo"],
    }[field]


# --------------------------------------------------------------------------- writers


def record_value(store: EventStore, value: str, n: int) -> object:
    """Append the value bare, in a mapping and in a list; return what is read back."""
    records = [value, {"v": value, "nested": [value, {"deeper": value}]}, [value, 1]]
    assert store.append(f"value:{n}", records, expected_version=0) == 3
    back = [r.data for r in store.read(f"value:{n}")]
    assert back == records
    return back


def record_key(store: EventStore, value: str, n: int) -> object:
    """Append a mapping keyed by the value (after another key); keys keep their order."""
    records = [{"z": 1, value: "x"}]
    store.append(f"key:{n}", records, expected_version=0)
    back = store.read(f"key:{n}")[0].data
    assert back == records[0]
    assert list(back) == ["z", value]
    return back


def stream_name(store: EventStore, value: str, n: int) -> object:
    """Use the value as a stream's name: append, read, version and list by prefix."""
    assert store.append(value, [n], expected_version=0) == 1
    assert store.read(value) == [StoredRecord(1, n)]
    assert store.version(value) == 1
    assert value in store.streams(value)
    return store.streams(value)


def idempotency_key(store: EventStore, value: str, n: int) -> object:
    """Use the value as an idempotency key: the retry returns the version, stores nothing."""
    assert store.append(f"keyed:{n}", ["x"], expected_version=0, key=value) == 1
    assert store.append(f"keyed:{n}", ["x"], expected_version=0, key=value) == 1
    assert store.version(f"keyed:{n}") == 1
    return store.read(f"keyed:{n}")


def event_fields(store: EventStore, value: str, n: int) -> object:
    """An event whose every text field (and data key and value) is the value."""
    event = Event(
        f"case-{n}",
        1,
        EventKind.TRANSITION,
        START,
        value,
        value,
        value,
        value,
        value,
        value,
        {"note": value, value: [value]},
    )
    append_events(store, f"case-{n}", [event], expected_version=0)
    back = read_events(store, f"case-{n}")
    assert back == [event]
    return back


def transaction_fields(store: EventStore, value: str, n: int) -> object:
    """A transaction whose memo and data (keys and values) are the value."""
    transaction = Transaction(
        key=f"t-{n}",
        at=START,
        kind="earn",
        postings=[Posting(account="issuer", amount=-5), Posting(account="vol-1", amount=5)],
        memo=value,
        data={"note": value, value: value},
    )
    append_transactions(store, f"city-{n}", [transaction], expected_version=0)
    back = read_transactions(store, f"city-{n}")
    assert back == [transaction]
    assert (back[0].memo, dict(back[0].data)) == (value, {"note": value, value: value})
    return back


WRITERS: dict[str, Callable[[EventStore, str, int], object]] = {
    "record value": record_value,
    "record key": record_key,
    "stream name": stream_name,
    "idempotency key": idempotency_key,
    "event fields": event_fields,
    "transaction fields": transaction_fields,
}


@pytest.fixture(scope="module")
def stores() -> Iterator[dict[str, EventStore]]:
    """One store of each implementation for the module (PostgreSQL when there is a server)."""
    kinds = [k for k in STORES if k != "postgres" or os.environ.get(PG_ENV)]
    with ExitStack() as stack:
        yield {kind: stack.enter_context(open_store(kind)) for kind in kinds}


def outcome(store: EventStore, field: str, value: str, n: int) -> tuple[str, Any]:
    """Write ``value`` into ``field``: ("round-tripped", what was read) or ("refused", paths)."""
    before = store.streams()
    try:
        return "round-tripped", WRITERS[field](store, value, n)
    except InvalidData as error:
        assert store.streams() == before, "a refused write stored something"
        return "refused", [problem.path for problem in error.problems]


# --------------------------------------------------------------------------- the table


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_strings_round_trip_or_are_refused_alike_in_memory_sqlite_and_postgres(
    stores: dict[str, EventStore], field: str, name: str, tally: Tally
) -> None:
    """Each hostile string in each field: every store gives the documented outcome.

    That is an exact round trip, or InvalidData naming the field with nothing stored; and
    the same in memory, SQLite and PostgreSQL.
    """
    value = HOSTILE[name]
    n = next(_numbers)
    refused = expected_refusal(field, value)
    outcomes = {kind: outcome(store, field, value, n) for kind, store in stores.items()}
    for kind, (result, _) in outcomes.items():
        tally.add("hostile strings", kind, result)
    assert len({repr(o) for o in outcomes.values()}) == 1, outcomes
    result, detail = next(iter(outcomes.values()))
    if refused is None:
        assert result == "round-tripped"
    else:
        assert (result, detail) == ("refused", refused)


def test_a_refusal_names_the_field_and_says_why(stores: dict[str, EventStore]) -> None:
    """The problem names the nested field and the offending character, in every store."""
    for store in stores.values():
        with pytest.raises(InvalidData) as caught:
            store.append("s", [{"memo": {"text": "ok \ud800"}}], expected_version=0)
        (problem,) = caught.value.problems
        assert problem.path == "records[0].memo.text"
        assert "lone surrogate '\\ud800'" in problem.message
        with pytest.raises(InvalidData) as caught:
            store.streams("pre\udc80")
        assert [p.path for p in caught.value.problems] == ["prefix"]


# --------------------------------------------------------------------------- fuzzed

HOSTILE_CHARACTERS = st.sampled_from(
    ["\x00", "\ud800", "\udfff", "'", '"', "\\", "%", "_", ";", "-", "😀", "居", "\u202e"]
)
TEXT = st.lists(st.one_of(HOSTILE_CHARACTERS, st.characters()), max_size=40).map("".join)
"""Text of up to 40 characters, about half of them from the hostile few (a plain
``st.text`` alphabet would pick them too rarely to matter)."""


@settings(FUZZ)
@given(value=TEXT, mapping_key=TEXT, name=TEXT, key=TEXT)
def test_fuzzed_text_round_trips_or_is_refused_alike_in_memory_sqlite_and_postgres(
    stores: dict[str, EventStore], value: str, mapping_key: str, name: str, key: str, tally: Tally
) -> None:
    """Generated text, hostile characters mixed in, in records, stream names and keys.

    As a record's value and mapping key, a stream's name and an idempotency key: every store
    agrees, text UTF-8 can hold comes back exactly, the rest is refused naming the field.
    """
    n = next(_numbers)
    stream = f"fuzz{n}:{name}"
    records = [value, {mapping_key: value}]
    keyed = f"fuzz{n}:{key}"
    if not (is_text(stream) and "\x00" not in stream and len(stream) <= MAX_NAME):
        expected: list[str] | None = ["stream"]
    elif not is_text(value) and not is_text(mapping_key):
        expected = ["records[0]", "records[1]"]
    elif not is_text(value):
        expected = ["records[0]", f"records[1]{member(mapping_key)}"]
    elif not is_text(mapping_key):
        expected = ["records[1]"]
    elif not is_text(keyed) or "\x00" in keyed:
        expected = ["key"]
    else:
        expected = None
    outcomes: dict[str, tuple[str, Any]] = {}
    for kind, store in stores.items():
        try:
            store.append(stream, records, expected_version=0, key=keyed)
            assert store.append(stream, records, expected_version=0, key=keyed) == 2
            outcomes[kind] = ("round-tripped", [r.data for r in store.read(stream)])
            assert store.streams(f"fuzz{n}:") == [stream]
        except InvalidData as error:
            outcomes[kind] = ("refused", [p.path for p in error.problems])
            assert store.version(f"fuzz{n}:") == 0
        tally.add("hostile strings", kind, outcomes[kind][0])
    assert len({repr(o) for o in outcomes.values()}) == 1, outcomes
    result, detail = next(iter(outcomes.values()))
    if expected is None:
        assert (result, detail) == ("round-tripped", records)
    else:
        assert (result, detail) == ("refused", expected)
