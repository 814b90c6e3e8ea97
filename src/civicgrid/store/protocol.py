"""The contract every event store keeps: named streams of versioned records.

A **stream** is named by what it holds (``case:<id>``, ``ledger:<name>``, ``units:<tree>``)
and holds **records** numbered from 1; its **version** is the number of the last record (0
for a stream that holds none). A record is JSON-able data: what is read back is the parsed
JSON (tuples come back as lists, mapping keys as strings), never the object appended.

Appending names the version the writer last saw. When the stream is elsewhere the append
raises :class:`~civicgrid.store.errors.ConcurrencyConflict` and stores nothing, so two
writers that decided on the same state cannot both win. ``append_many`` commits several
streams (a case and a ledger touched by one command) in one transaction: all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

__all__ = ["Batch", "EventStore", "JSONValue", "StoredRecord"]

JSONValue = Any
"""A value JSON can hold: ``None``, bool, int, float (finite), str, lists and str-keyed dicts."""

Batch = Mapping[str, tuple[Sequence[JSONValue], int]]
"""What ``append_many`` takes: ``{stream: (records, expected_version)}``."""


class StoredRecord(NamedTuple):
    """One record as read back: its version in its stream and its data (parsed JSON)."""

    version: int
    data: JSONValue


@runtime_checkable
class EventStore(Protocol):
    """Streams of versioned records with expected-version checks; see the module docstring.

    Implementations: :class:`~civicgrid.store.memory.MemoryStore` and
    :class:`~civicgrid.store.sqlite.SQLiteStore`. Bad arguments (an empty stream name, a
    negative or non-integer version, a record JSON cannot hold) raise
    :class:`~civicgrid.errors.InvalidData` naming the field, before anything is written.
    """

    def append(self, stream: str, records: Sequence[JSONValue], *, expected_version: int) -> int:
        """Append ``records`` atomically if ``stream`` is at ``expected_version``.

        Return the new version. Appending no records checks the version and stores nothing.
        """
        ...

    def append_many(self, batch: Batch) -> dict[str, int]:
        """Append to several streams in one transaction: all are stored or none is.

        Each stream is checked against its expected version; return each one's new version.
        """
        ...

    def read(self, stream: str, from_version: int = 1) -> list[StoredRecord]:
        """Return the records of ``stream`` from ``from_version`` on, in order (none if unknown)."""
        ...

    def version(self, stream: str) -> int:
        """Return the version of ``stream``: the number of its last record, 0 if none."""
        ...

    def streams(self, prefix: str = "") -> list[str]:
        """Return the names of the streams holding records that start with ``prefix``, sorted."""
        ...

    def close(self) -> None:
        """Release what the store holds open; closing twice is harmless."""
        ...
