"""The contract every event store keeps: named streams of versioned records.

A **stream** is named by what it holds (``case:<id>``, ``ledger:<name>``, ``units:<tree>``)
and holds **records** numbered from 1; its **version** is the number of the last record (0
for a stream that holds none). A record is JSON-able data: what is read back is the parsed
JSON (tuples come back as lists, mapping keys as strings), never the object appended.

Appending names the version the writer last saw. When the stream is elsewhere the append
raises :class:`~civicgrid.store.errors.ConcurrencyConflict` and stores nothing, so two
writers that decided on the same state cannot both win. ``append_many`` commits several
streams (a case and a ledger touched by one command) in one transaction: all or nothing.

**Idempotency keys.** ``append`` and ``append_many`` take an optional ``key``: a name the
caller gives the write (``"sim:day:42"``, a request id), at most 512 characters. The key is
recorded in the same transaction as the records. Given again with a key already committed,
the call stores nothing and returns the versions of the first commit, without checking
expected versions (the stream has moved on by the first commit's records), so a write whose
acknowledgement was lost (a connection dropped while committing) can be retried safely and
is booked once. A retry must repeat the first attempt exactly: a key committed with other
streams, expected versions or records raises :class:`~civicgrid.store.errors.KeyConflict`
and stores nothing. Keys are kept as long as the store. A write without a key that is
retried after an unknown outcome gets a ``ConcurrencyConflict`` if the first attempt was
stored: never a double booking, but the caller must reload to find out.

**Text.** Every string (record values and mapping keys at any depth, stream names, keys)
round-trips exactly when it is Unicode text: quotes, backslashes, SQL, NUL and other control
characters (inside records), CJK, emoji, records of megabytes. Text UTF-8 cannot encode (a
lone surrogate such as ``"\ud800"``) is refused before anything is written, with
:class:`~civicgrid.errors.InvalidData` naming the field (``records[0].memo``, ``stream``,
``key``), by every implementation alike. Stream names and keys must also be non-empty, at
most 512 characters and free of NUL.

**Faults.** When the storage fails under a store (a full disk, a read-only or damaged file,
a lock held too long, a lost connection) the call raises
:class:`~civicgrid.store.errors.StorageFault` naming the file or server and the fault;
what was committed before stays committed, and nothing of a failed write is (for a
connection lost while committing, retry with the key to find out).
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

    Implementations: :class:`~civicgrid.store.memory.MemoryStore`,
    :class:`~civicgrid.store.sqlite.SQLiteStore` and
    :class:`~civicgrid.store.postgres.PostgresStore`. Bad arguments (an empty stream name, a
    negative or non-integer version, a record JSON cannot hold, text UTF-8 cannot encode)
    raise :class:`~civicgrid.errors.InvalidData` naming the field, before anything is written.
    """

    def append(
        self,
        stream: str,
        records: Sequence[JSONValue],
        *,
        expected_version: int,
        key: str | None = None,
    ) -> int:
        """Append ``records`` atomically if ``stream`` is at ``expected_version``.

        Return the new version. Appending no records checks the version and stores nothing
        (but records ``key``). With a ``key`` already committed, store nothing and return the
        version that commit returned.
        """
        ...

    def append_many(self, batch: Batch, *, key: str | None = None) -> dict[str, int]:
        """Append to several streams in one transaction: all are stored or none is.

        Each stream is checked against its expected version; return each one's new version.
        With a ``key`` already committed, store nothing and return that commit's versions.
        """
        ...

    def read(
        self, stream: str, from_version: int = 1, limit: int | None = None
    ) -> list[StoredRecord]:
        """Return the records of ``stream`` from ``from_version`` on, in order (none if unknown).

        ``limit`` returns at most that many (a page: read a long stream page by page, from the
        version after the last one read, without holding all of it).
        """
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
