"""The in-memory event store: the contract with nothing durable, for tests and simulations.

Records are kept as the same compact JSON text the SQLite store writes, so what is read back
is a fresh parsed copy (never the object appended, which the caller may go on changing) and
anything the durable stores would refuse is refused here too.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from civicgrid.store.errors import ConcurrencyConflict, KeyConflict
from civicgrid.store.protocol import Batch, JSONValue, StoredRecord
from civicgrid.store.records import (
    batch_digest,
    check_batch,
    check_key,
    check_prefix,
    check_stream,
    check_version,
    decode,
    page_end,
)

__all__ = ["MemoryStore"]


class MemoryStore:
    """Streams in a dict, one lock around every write; thread-safe, gone when dropped."""

    __slots__ = ("_keys", "_lock", "_streams")

    def __init__(self) -> None:
        self._streams: dict[str, list[str]] = {}
        self._keys: dict[str, tuple[str, dict[str, int]]] = {}
        self._lock = threading.Lock()

    def append(
        self,
        stream: str,
        records: Sequence[JSONValue],
        *,
        expected_version: int,
        key: str | None = None,
    ) -> int:
        """Append ``records`` if ``stream`` is at ``expected_version``; return the new version."""
        return self.append_many({stream: (records, expected_version)}, key=key)[stream]

    def append_many(self, batch: Batch, *, key: str | None = None) -> dict[str, int]:
        """Append to several streams, each checked first: all are stored or none is."""
        encoded = check_batch(batch)
        check_key(key)
        digest = batch_digest(encoded) if key is not None else ""
        with self._lock:
            if key is not None and key in self._keys:
                committed, first = self._keys[key]
                if committed != digest:
                    raise KeyConflict(key)
                return dict(first)
            streams = self._streams
            for stream, (_, expected) in encoded.items():
                actual = len(streams.get(stream, ()))
                if actual != expected:
                    raise ConcurrencyConflict(stream, expected, actual)
            versions: dict[str, int] = {}
            for stream, (texts, expected) in encoded.items():
                if texts:
                    streams.setdefault(stream, []).extend(texts)
                versions[stream] = expected + len(texts)
            if key is not None:
                self._keys[key] = (digest, dict(versions))
            return versions

    def read(
        self, stream: str, from_version: int = 1, limit: int | None = None
    ) -> list[StoredRecord]:
        """Return the records of ``stream`` from ``from_version`` on, at most ``limit``."""
        check_stream(stream)
        check_version(from_version, "from_version", least=1)
        end = page_end(from_version, limit)
        texts = self._streams.get(stream, ())
        return [
            StoredRecord(version, decode(text))
            for version, text in enumerate(texts[from_version - 1 : end - 1], start=from_version)
        ]

    def version(self, stream: str) -> int:
        """Return the number of the last record of ``stream``, 0 if it holds none."""
        check_stream(stream)
        return len(self._streams.get(stream, ()))

    def streams(self, prefix: str = "") -> list[str]:
        """Return the names of the streams holding records that start with ``prefix``, sorted."""
        check_prefix(prefix)
        with self._lock:
            names = list(self._streams)
        return sorted(name for name in names if name.startswith(prefix))

    def close(self) -> None:
        """Nothing to release: the records live as long as the store."""
