"""The event store: streams of records with expected-version checks, in memory or in SQLite.

A stream is named by what it holds (``case:<id>``, ``ledger:<name>``, ``units:<tree>`` …) and
holds ordered records numbered 1, 2, 3 …; its version is the number of the last. Appending
says which version the writer last saw, so two writers to the same stream cannot both win;
an optional idempotency key makes a retried append safe.
:mod:`~civicgrid.store.protocol` is the contract, :mod:`~civicgrid.store.memory` the
in-memory implementation, :mod:`~civicgrid.store.sqlite` the embedded default, and
:mod:`~civicgrid.store.streams` the typed helpers that store and load cases and ledgers.
"""

from typing import Any

from civicgrid.store.codec import case_stream, encode_events, encode_transactions, ledger_stream
from civicgrid.store.errors import (
    ConcurrencyConflict,
    KeyConflict,
    SchemaError,
    StorageFault,
    StoreError,
    UnknownStream,
)
from civicgrid.store.memory import MemoryStore
from civicgrid.store.protocol import EventStore, StoredRecord
from civicgrid.store.sqlite import SQLiteStore
from civicgrid.store.streams import (
    append_events,
    append_transactions,
    load_case,
    load_ledger,
    read_events,
    read_transactions,
)

__all__ = [
    "ConcurrencyConflict",
    "EventStore",
    "KeyConflict",
    "MemoryStore",
    "PostgresStore",
    "SQLiteStore",
    "SchemaError",
    "StorageFault",
    "StoreError",
    "StoredRecord",
    "UnknownStream",
    "append_events",
    "append_transactions",
    "case_stream",
    "encode_events",
    "encode_transactions",
    "ledger_stream",
    "load_case",
    "load_ledger",
    "read_events",
    "read_transactions",
]


def __getattr__(name: str) -> Any:
    # PostgresStore is loaded on first use, so civicgrid.store works without psycopg.
    if name == "PostgresStore":
        from civicgrid.store.postgres import PostgresStore  # noqa: PLC0415

        return PostgresStore
    raise AttributeError(f"module 'civicgrid.store' has no attribute {name!r}")
