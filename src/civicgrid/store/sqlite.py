"""The SQLite event store: the embedded default, one file, standard library only.

The file is in WAL mode, so readers (in this process or another) never block the writer and
see only committed transactions. Each ``append``/``append_many`` is one ``BEGIN IMMEDIATE``
transaction: it takes the write lock first, then checks every stream's version, so of two
processes that read the same version and append, the second waits for the first and then
finds the version moved: it gets :class:`~civicgrid.store.errors.ConcurrencyConflict` and
nothing of its write is stored. The ``UNIQUE (stream, version)`` constraint stands behind
the check. A batch costs a few statements whatever its size: one lookup of every stream's
version, then ``executemany`` for new streams, version updates and records. An idempotency
key is looked up and recorded inside the same transaction.

``synchronous=NORMAL`` (the default here) keeps every committed transaction through a crash
or kill of the process; after a power failure the last transactions may be lost, never half
of one. Pass ``synchronous="FULL"`` for that too, at the cost of an fsync per commit.

When the file fails under the store, the call raises
:class:`~civicgrid.store.errors.StorageFault` naming the file and the fault, never a bare
``sqlite3`` exception, and the transaction is rolled back (by SQLite's journal, whatever
state the process or disk was left in):

* **disk full** (``"full"``): the write is not stored; what was committed stays readable,
  and appends go on once there is room again;
* **read-only** (``"read-only"``): a file, directory or filesystem that cannot be written
  opens for reading (when its schema is current) and refuses appends; ``read_only=True``
  opens a file without ever writing to it (nor migrating it);
* **damaged** (``"corrupt"``): a file that is not a SQLite database is refused on opening,
  untouched; a database with damaged pages raises on the first read or write that meets
  them;
* **locked** (``"locked"``): a write waits up to ``timeout`` seconds for another process's
  write lock, then gives up with nothing stored; reads never wait (WAL);
* **killed** mid-write: the next opening finds every committed transaction and nothing of
  the one in flight.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from itertools import chain, count, repeat
from pathlib import Path
from typing import Final

from civicgrid.errors import InvalidData, Problem
from civicgrid.store.errors import (
    ConcurrencyConflict,
    KeyConflict,
    SchemaError,
    StorageFault,
    StoreError,
)
from civicgrid.store.protocol import Batch, JSONValue, StoredRecord
from civicgrid.store.records import (
    batch_digest,
    check_batch,
    check_key,
    check_prefix,
    check_stream,
    check_version,
    decode_rows,
    decode_versions,
    encode_versions,
    page_end,
)
from civicgrid.store.schema import SCHEMA_VERSION, migrate, schema_version

__all__ = ["SQLiteStore"]

_CHUNK: Final = 500
"""Stream names per ``IN (...)`` lookup, well under SQLite's limit on parameters."""
_SYNCHRONOUS: Final = ("OFF", "NORMAL", "FULL", "EXTRA")


class SQLiteStore:
    """An event store in one SQLite file (created and migrated on opening).

    ``timeout`` is how long a write waits for another process's write lock (``busy_timeout``)
    before giving up with :class:`~civicgrid.store.errors.StorageFault` (``"locked"``).
    ``read_only`` opens an existing file without writing to it: appends are refused, and a
    file at an older schema version is refused rather than migrated. One connection is
    shared by the threads of a process, behind a lock; each process opens its own store.
    Use it as a context manager, or call :meth:`close`.
    """

    __slots__ = (
        "_closed",
        "_connection",
        "_lock",
        "_path",
        "_read_only",
        "_synchronous",
        "_timeout",
    )

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float = 30.0,
        synchronous: str = "NORMAL",
        read_only: bool = False,
    ) -> None:
        problems: list[Problem] = []
        if synchronous.upper() not in _SYNCHRONOUS:
            problems.append(Problem("synchronous", f"must be one of {', '.join(_SYNCHRONOUS)}"))
        wait: object = timeout
        if not isinstance(wait, int | float) or isinstance(wait, bool) or not wait >= 0:
            problems.append(
                Problem("timeout", f"must be a number of seconds >= 0, not {timeout!r}")
            )
        self._path = os.fspath(path)
        if read_only and self._path in {"", ":memory:"}:
            problems.append(Problem("read_only", "an in-memory database cannot be read-only"))
        if problems:
            raise InvalidData("SQLite store", problems)
        self._timeout = float(timeout)
        self._synchronous = synchronous.upper()
        self._read_only = read_only
        self._lock = threading.Lock()
        self._closed = False
        self._connection: sqlite3.Connection | None = self._connect()

    def _connect(self) -> sqlite3.Connection:
        """Open the file, set its pragmas and bring its schema to the current version."""
        readonly = f"{Path(self._path).absolute().as_uri()}?mode=ro" if self._read_only else ""
        try:
            connection = sqlite3.connect(
                readonly or self._path,
                uri=self._read_only,
                timeout=self._timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as error:
            raise self._fault(error) from error
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            if self._read_only:
                self._check_current(connection)
            else:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute(f"PRAGMA synchronous = {self._synchronous}")
                migrate(connection, self._path)
        except BaseException as error:
            connection.close()
            if isinstance(error, sqlite3.Error):
                raise self._fault(error) from error
            raise
        return connection

    def _check_current(self, connection: sqlite3.Connection) -> None:
        found = schema_version(connection, self._path)
        if found != SCHEMA_VERSION:
            newer = found > SCHEMA_VERSION
            raise SchemaError(
                self._path,
                found,
                SCHEMA_VERSION,
                f"schema version {found} is newer than this library supports "
                f"({SCHEMA_VERSION}): upgrade civicgrid to open it"
                if newer
                else f"schema version {found} must be upgraded to {SCHEMA_VERSION}, which a "
                "read-only store does not do: open it once without read_only",
                f"存储格式版本 {found} 高于本库支持的版本 {SCHEMA_VERSION}：请升级 civicgrid"
                if newer
                else f"存储格式版本 {found} 需升级到 {SCHEMA_VERSION}，只读方式不会升级："
                "请先以可写方式打开一次",
            )

    # ------------------------------------------------------------------ introspection

    @property
    def path(self) -> str:
        """The file the store lives in."""
        return self._path

    @property
    def read_only(self) -> bool:
        """Whether the store was opened read-only."""
        return self._read_only

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        with self._lock:
            try:
                return schema_version(self._open(), self._path)
            except sqlite3.Error as error:
                raise self._fault(error) from error

    @property
    def journal_mode(self) -> str:
        """SQLite's journal mode for the file: ``wal`` (``memory`` for ``:memory:``)."""
        with self._lock:
            try:
                return str(self._open().execute("PRAGMA journal_mode").fetchone()[0])
            except sqlite3.Error as error:
                raise self._fault(error) from error

    # ------------------------------------------------------------------ writing

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
        """Append to several streams in one transaction: all are stored or none is."""
        encoded = check_batch(batch)
        check_key(key)
        with self._lock:
            connection = self._open()
            if self._read_only:
                raise StorageFault(
                    self._path,
                    "read-only",
                    "the store was opened read-only: it cannot be written",
                    "存储以只读方式打开：不可写入",
                    "read_only=True",
                )
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise self._fault(error) from error
            try:
                versions = self._write_once(connection, encoded, key)
                connection.execute("COMMIT")
            except BaseException as error:
                self._rollback(connection)
                if isinstance(error, sqlite3.Error):
                    raise self._fault(error) from error
                raise
            return versions

    def _write_once(
        self,
        connection: sqlite3.Connection,
        encoded: dict[str, tuple[list[str], int]],
        key: str | None,
    ) -> dict[str, int]:
        """Write the batch, unless ``key`` was committed: then return what that commit did."""
        if key is None:
            return self._write(connection, encoded)
        digest = batch_digest(encoded)
        row = connection.execute(
            "SELECT digest, versions FROM keys WHERE key = ?", (key,)
        ).fetchone()
        if row is not None:
            if row[0] != digest:
                raise KeyConflict(key)
            return decode_versions(row[1])
        versions = self._write(connection, encoded)
        connection.execute(
            "INSERT INTO keys (key, digest, versions) VALUES (?, ?, ?)",
            (key, digest, encode_versions(versions)),
        )
        return versions

    def _rollback(self, connection: sqlite3.Connection) -> None:
        """Roll back what is open; when even that fails, drop the connection (that rolls back)."""
        try:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
        except sqlite3.Error:
            connection.close()
            self._connection = None

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
        appended: list[tuple[int, int, list[str]]] = []
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
            appended.append((stream_id, expected, texts))
        # Rows are made as SQLite takes them, not kept in a list: a day's commit holds
        # thousands, and each kept tuple would count towards the next garbage collection.
        rows = chain.from_iterable(
            zip(repeat(stream_id), count(expected + 1), texts)
            for stream_id, expected, texts in appended
        )
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

    def read(
        self, stream: str, from_version: int = 1, limit: int | None = None
    ) -> list[StoredRecord]:
        """Return the records of ``stream`` from ``from_version`` on, at most ``limit``."""
        check_stream(stream)
        check_version(from_version, "from_version", least=1)
        until = page_end(from_version, limit)
        with self._lock:
            try:
                rows = (
                    self._open()
                    .execute(
                        "SELECT r.version, r.data FROM records AS r"
                        " JOIN streams AS s ON s.id = r.stream"
                        " WHERE s.name = ? AND r.version >= ? AND r.version < ?"
                        " ORDER BY r.version",
                        (stream, from_version, until),
                    )
                    .fetchall()
                )
            except sqlite3.Error as error:
                raise self._fault(error) from error
        return decode_rows(str(self._path), stream, rows)

    def version(self, stream: str) -> int:
        """Return the number of the last record of ``stream``, 0 if it holds none."""
        check_stream(stream)
        with self._lock:
            try:
                row = (
                    self._open()
                    .execute("SELECT version FROM streams WHERE name = ?", (stream,))
                    .fetchone()
                )
            except sqlite3.Error as error:
                raise self._fault(error) from error
        return 0 if row is None else int(row[0])

    def streams(self, prefix: str = "") -> list[str]:
        """Return the names of the streams holding records that start with ``prefix``, sorted."""
        check_prefix(prefix)
        out: list[str] = []
        with self._lock:
            try:
                rows = self._open().execute(
                    "SELECT name FROM streams WHERE name >= ? ORDER BY name", (prefix,)
                )
                for (name,) in rows:
                    if not name.startswith(prefix):
                        break
                    out.append(name)
            except sqlite3.Error as error:
                raise self._fault(error) from error
        return out

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Close the connection; closing twice is harmless, using a closed store is not."""
        with self._lock:
            self._closed = True
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
        """Return the connection, opened again if a failed rollback dropped it."""
        if self._closed:
            raise StoreError(f"{self._path}: the store is closed", f"{self._path}：存储已关闭")
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def _fault(self, error: sqlite3.Error) -> StoreError:
        """Say what SQLite's ``error`` means for this file, in the store's words."""
        name = str(getattr(error, "sqlite_errorname", "") or "")
        for prefix, fault, english, chinese in _FAULTS:
            if name.startswith(prefix):
                wait = f"{self._timeout:g}"
                return StorageFault(
                    self._path,
                    fault,
                    english.format(timeout=wait),
                    chinese.format(timeout=wait),
                    str(error),
                )
        return StoreError(
            f"{self._path}: SQLite refused the operation ({name or type(error).__name__}: {error})",
            f"{self._path}：SQLite 拒绝了该操作（{name or type(error).__name__}：{error}）",
        )


_FAULTS: Final = (
    (
        "SQLITE_FULL",
        "full",
        "the disk is full (or the file reached its size limit): the write was not stored",
        "磁盘已满（或文件已达大小上限）：本次写入未保存",
    ),
    (
        "SQLITE_READONLY",
        "read-only",
        (
            "the file cannot be written (a read-only file, directory or filesystem): "
            "nothing was stored"
        ),
        "文件不可写（只读的文件、目录或文件系统）：未保存任何内容",
    ),
    (
        "SQLITE_CORRUPT",
        "corrupt",
        "the file is damaged: restore it from a backup",
        "文件已损坏：请从备份恢复",
    ),
    (
        "SQLITE_NOTADB",
        "corrupt",
        "the file is not a SQLite database (or its header is damaged); it was left as it is",
        "该文件不是 SQLite 数据库（或文件头已损坏）；文件未被改动",
    ),
    (
        "SQLITE_BUSY",
        "locked",
        (
            "another process held the write lock longer than the timeout ({timeout} s): "
            "nothing was stored, try again"
        ),
        "另一进程持有写锁超过超时时间（{timeout} 秒）：未保存任何内容，请重试",
    ),
    (
        "SQLITE_LOCKED",
        "locked",
        "the database is locked by another connection of this process: nothing was stored",
        "数据库被本进程的另一连接锁定：未保存任何内容",
    ),
    (
        "SQLITE_CANTOPEN",
        "io",
        "cannot open the file (a missing directory, no permission, or no such file)",
        "无法打开文件（目录不存在、无权限或文件不存在）",
    ),
    (
        "SQLITE_IOERR",
        "io",
        "the operating system reported an input/output error: the operation did not happen",
        "操作系统报告输入/输出错误：操作未完成",
    ),
)
"""SQLite's error names (by prefix), the fault each one is, and what to tell the caller."""
