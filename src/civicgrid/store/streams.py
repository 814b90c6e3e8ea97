"""Typed helpers: store a case's events or a ledger's transactions, and load them back.

They work with any :class:`~civicgrid.store.protocol.EventStore`, so the protocol stays
small. To commit a case and a ledger touched by one command together, build the batch with
the encoders and call ``append_many``::

    store.append_many({
        case_stream(case.id): (encode_events(case.id, new_events, seen), seen),
        ledger_stream("city"): (encode_transactions(booked, ledger_seen), ledger_seen),
    })
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from civicgrid.domain.ledger import BUILTIN_CURRENCIES, Account, Currency, Ledger, Transaction
from civicgrid.store.codec import (
    case_stream,
    decode_event,
    decode_transaction,
    encode_events,
    encode_transactions,
    ledger_stream,
)
from civicgrid.store.errors import UnknownStream
from civicgrid.store.protocol import EventStore
from civicgrid.workflows.case import Case
from civicgrid.workflows.engine import Engine
from civicgrid.workflows.event import Event

__all__ = [
    "append_events",
    "append_transactions",
    "iter_transactions",
    "load_case",
    "load_ledger",
    "read_events",
    "read_transactions",
]


def append_events(
    store: EventStore, case_id: str, events: Iterable[Sequence[Any]], *, expected_version: int
) -> int:
    """Append events of case ``case_id`` (seq ``expected_version + 1`` on); return the version.

    :class:`~civicgrid.store.errors.ConcurrencyConflict` if another writer moved the case first.
    """
    records = encode_events(case_id, events, expected_version)
    return store.append(case_stream(case_id), records, expected_version=expected_version)


def read_events(store: EventStore, case_id: str, from_seq: int = 1) -> list[Event]:
    """Return the stored events of case ``case_id`` from ``from_seq`` on (none if unknown)."""
    return [
        decode_event(case_id, version, data)
        for version, data in store.read(case_stream(case_id), from_seq)
    ]


def load_case(store: EventStore, engine: Engine, case_id: str, *, track: bool = True) -> Case:
    """Rebuild case ``case_id`` by replaying its stored events through ``engine``.

    With ``track`` its running deadlines join the engine's queue (see
    :meth:`~civicgrid.workflows.engine.Engine.replay`). An unknown case raises
    :class:`~civicgrid.store.errors.UnknownStream`.
    """
    events = read_events(store, case_id)
    if not events:
        raise UnknownStream(case_stream(case_id))
    return engine.replay(events, track=track)


def append_transactions(
    store: EventStore, ledger: str, transactions: Iterable[Transaction], *, expected_version: int
) -> int:
    """Append transactions to ledger ``ledger``'s stream; return the new version."""
    records = encode_transactions(transactions, expected_version)
    return store.append(ledger_stream(ledger), records, expected_version=expected_version)


def iter_transactions(
    store: EventStore, ledger: str, *, page: int = 10_000
) -> Iterator[Transaction]:
    """Yield the stored transactions of ledger ``ledger`` in order, ``page`` records at a time.

    Only one page is held, so a year of a district's points can be read in flat memory.
    """
    stream, start = ledger_stream(ledger), 1
    while records := store.read(stream, start, limit=page):
        for version, data in records:
            yield decode_transaction(ledger, version, data)
        start = records[-1].version + 1


def read_transactions(store: EventStore, ledger: str) -> list[Transaction]:
    """Return the stored transactions of ledger ``ledger``, each with its ``seq``."""
    return [
        decode_transaction(ledger, version, data)
        for version, data in store.read(ledger_stream(ledger))
    ]


def load_ledger(
    store: EventStore,
    ledger: str,
    *,
    currencies: Iterable[Currency] = BUILTIN_CURRENCIES,
    accounts: Iterable[Account] = (),
) -> Ledger:
    """Rebuild ledger ``ledger`` by replaying its stored transactions over ``accounts``.

    The accounts are declared by the caller (they are configuration, not history); a
    transaction naming an account not given raises as :meth:`Ledger.post` would. An unknown
    ledger raises :class:`~civicgrid.store.errors.UnknownStream`.
    """
    transactions = read_transactions(store, ledger)
    if not transactions:
        raise UnknownStream(ledger_stream(ledger))
    return Ledger.replay(transactions, currencies=currencies, accounts=accounts)
