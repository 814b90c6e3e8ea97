"""The SQLite event store: the embedded default, one file, standard library only.

The file is in WAL mode, so readers (in this process or another) never block the writer and
see only committed transactions. Each ``append``/``append_many`` is one ``BEGIN IMMEDIATE``
transaction: it takes the write lock first, then checks every stream's version, so of two
processes that read the same version and append, the second waits for the first and then
finds the version moved: it gets :class:`~civicgrid.store.errors.ConcurrencyConflict` and
nothing of its write is stored. The ``UNIQUE (stream, version)`` constraint stands behind
the check. A batch costs a few statements whatever its size: one lookup of every stream's
version, then ``executemany`` for new streams, version updates and records.

``synchronous=NORMAL`` (the default here) keeps every committed transaction through a crash
or kill of the process; after a power failure the last transactions may be lost, never half
of one. Pass ``synchronous="FULL"`` for that too, at the cost of an fsync per commit.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from itertools import count, repeat
from typing import Final

from civicgrid.errors import InvalidData, Problem
from civicgrid.store.errors import ConcurrencyConflict, StoreError
from civicgrid.store.protocol import Batch, JSONValue, StoredRecord
from civicgrid.store.records import check_batch, check_stream, check_version, decode
from civicgrid.store.schema import migrate, schema_version

__all__ = ["SQLiteStore"]

_CHUNK: Final = 500
"""Stream names per ``IN (...)`` lookup, well under SQLite's limit on parameters."""
_SYNCHRONOUS: Final = ("OFF", "NORMAL", "FULL", "EXTRA")


class SQLiteStore:
    """An event store in one SQLite file (created and migrated on opening).

    ``timeout`` is how long a write waits for another process's write lock (``busy_timeout``)
    before giving up with :class:`~civicgrid.store.errors.StoreError`. One connection is
    shared by the threads of a process, behind a lock; each process opens its own store.
    Use it as a context manager, or call :meth:`close`.
    """

    __slots__ = ("_connection", "_lock", "_path")

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float = 30.0, synchronous: str = "NORMAL"
    ) -> None:
        if synchronous.upper() not in _SYNCHRONOUS:
            raise InvalidData(
                "SQLite store",
                [Problem("synchronous", f"must be one of {', '.join(_SYNCHRONOUS)}")],
            )
        self._path = os.fspath(path)
        self._lock = threading.Lock()
        connection = sqlite3.connect(
            self._path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            migrate(connection, self._path)
        except BaseException:
            connection.close()
            raise
        self._connection: sqlite3.Connection | None = connection

    # ------------------------------------------------------------------ introspection

    @property
    def path(self) -> str:
        """The file the store lives in."""
        return self._path

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        with self._lock:
            return schema_version(self._open(), self._path)

    @property
    def journal_mode(self) -> str:
        """SQLite's journal mode for the file: ``wal`` (``memory`` for ``:memory:``)."""
        with self._lock:
            return str(self._open().execute("PRAGMA journal_mode").fetchone()[0])

    # ------------------------------------------------------------------ writing

    def append(self, stream: str, records: Sequence[JSONValue], *, expected_version: int) -> int:
        """Append ``records`` if ``stream`` is at ``expected_version``; return the new version."""
        return self.append_many({stream: (records, expected_version)})[stream]

    def append_many(self, batch: Batch) -> dict[str, int]:
        """Append to several streams in one transaction: all are stored or none is."""
        encoded = check_batch(batch)
        with self._lock:
            connection = self._open()
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                raise _busy(self._path, error) from error
            try:
                versions = self._write(connection, encoded)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            return versions

    def _write(
        self, connection: sqlite3.Connection, encoded: dict[str, tuple[list[str], int]]
    ) -> dict[str, int]:
        names = list(encoded)
        found: dict[str, tuple[int, int]] = {}
        for start in range(0, len(names), _CHUNK):
            chunk = names[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for name, stream_id, version in connection.execute(
                f"SELECT name, id, version FROM streams WHERE name IN ({marks})",  # noqa: S608
                chunk,
            ):
                found[name] = (stream_id, version)
        versions: dict[str, int] = {}
        for name, (_, expected) in encoded.items():
            actual = found[name][1] if name in found else 0
            if actual != expected:
                raise ConcurrencyConflict(name, expected, actual)
        next_id = connection.execute("SELECT coalesce(max(id), 0) + 1 FROM streams").fetchone()[0]
        new_streams: list[tuple[int, str, int]] = []
        moved: list[tuple[int, int]] = []
        rows: list[tuple[int, int, str]] = []
        for name, (texts, expected) in encoded.items():
            versions[name] = expected + len(texts)
            if not texts:
                continue
            if name in found:
                stream_id = found[name][0]
                moved.append((versions[name], stream_id))
            else:
                stream_id, next_id = next_id, next_id + 1
                new_streams.append((stream_id, name, versions[name]))
            rows.extend(zip(repeat(stream_id), count(expected + 1), texts, strict=False))
        try:
            connection.executemany(
                "INSERT INTO streams (id, name, version) VALUES (?, ?, ?)", new_streams
            )
            connection.executemany("UPDATE streams SET version = ? WHERE id = ?", moved)
            connection.executemany(
                "INSERT INTO records (stream, version, data) VALUES (?, ?, ?)", rows
            )
        except sqlite3.IntegrityError as error:
            raise StoreError(
                f"{self._path}: a stream version was taken during the write ({error})",
                f"{self._path}：写入期间数据流版本被占用（{error}）",
            ) from error
        return versions

    # ------------------------------------------------------------------ reading

    def read(self, stream: str, from_version: int = 1) -> list[StoredRecord]:
        """Return the records of ``stream`` from ``from_version`` on, in order."""
        check_stream(stream)
        check_version(from_version, "from_version", least=1)
        with self._lock:
            rows = self._open().execute(
                "SELECT r.version, r.data FROM records AS r JOIN streams AS s ON s.id = r.stream"
                " WHERE s.name = ? AND r.version >= ? ORDER BY r.version",
                (stream, from_version),
            )
            return [StoredRecord(version, decode(text)) for version, text in rows]

    def version(self, stream: str) -> int:
        """Return the number of the last record of ``stream``, 0 if it holds none."""
        check_stream(stream)
        with self._lock:
            row = (
                self._open()
                .execute("SELECT version FROM streams WHERE name = ?", (stream,))
                .fetchone()
            )
        return 0 if row is None else int(row[0])

    def streams(self, prefix: str = "") -> list[str]:
        """Return the names of the streams holding records that start with ``prefix``, sorted."""
        out: list[str] = []
        with self._lock:
            rows = self._open().execute(
                "SELECT name FROM streams WHERE name >= ? ORDER BY name", (prefix,)
            )
            for (name,) in rows:
                if not name.startswith(prefix):
                    break
                out.append(name)
        return out

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Close the connection; closing twice is harmless, using a closed store is not."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r})"

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError(f"{self._path}: the store is closed", f"{self._path}：存储已关闭")
        return self._connection


def _busy(path: str, error: sqlite3.OperationalError) -> StoreError:
    return StoreError(
        f"{path}: could not take the write lock ({error}); another process holds it",
        f"{path}：无法获得写锁（{error}），另一进程正在写入",
    )
