"""The SQLite store's schema: created and migrated by the library, its version recorded.

The ``meta`` table records ``schema_version``. Opening a file brings it to
:data:`SCHEMA_VERSION` by running the missing steps of :data:`MIGRATIONS` in one transaction;
a file recorded with a newer version is refused (:class:`~civicgrid.store.errors.SchemaError`)
rather than guessed at, and so is a database that holds tables but no ``meta``: it is not a
store, and writing into it would damage someone else's data.

Version 1: ``streams`` gives each stream name a small integer id and keeps its version, so
each record row carries two integers and its JSON text, not the stream's name; ``records``
is a rowid table, so the rowid is the order records were committed in across all streams,
with ``UNIQUE (stream, version)`` as the backstop of the expected-version check.

Version 2 adds ``keys``: each idempotency key committed, the digest of the write it named
(:func:`~civicgrid.store.records.batch_digest`) and the versions that write returned, as
compact JSON. A version 1 file gains the empty table when opened, in place.
"""

from __future__ import annotations

import sqlite3

from civicgrid.store.errors import SchemaError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate", "schema_version"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        (
            "CREATE TABLE streams ("
            " id INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL UNIQUE,"
            " version INTEGER NOT NULL CHECK (version >= 1))"
        ),
        (
            "CREATE TABLE records ("
            " stream INTEGER NOT NULL REFERENCES streams (id),"
            " version INTEGER NOT NULL CHECK (version >= 1),"
            " data TEXT NOT NULL,"
            " UNIQUE (stream, version))"
        ),
    ),
    (
        (
            "CREATE TABLE keys ("
            " key TEXT PRIMARY KEY,"
            " digest TEXT NOT NULL,"
            " versions TEXT NOT NULL) WITHOUT ROWID"
        ),
    ),
)
"""Step ``i`` brings a file from schema version ``i`` to ``i + 1`` (step 0 creates it)."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this library writes, and the newest it can open."""


def schema_version(connection: sqlite3.Connection, path: str) -> int:
    """Return the schema version recorded in the database (0 for an empty database)."""
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if "meta" not in tables:
        if tables:
            raise SchemaError(
                path,
                None,
                SCHEMA_VERSION,
                f"holds tables ({', '.join(sorted(tables))}) but no meta table: "
                "not a civicgrid event store",
                "包含其他数据表但没有 meta 表：不是 civicgrid 事件存储文件",
            )
        return 0
    row = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit():
        raise SchemaError(
            path,
            None,
            SCHEMA_VERSION,
            f"the meta table records no valid schema_version ({row and row[0]!r})",
            "meta 表中没有有效的 schema_version",
        )
    return int(row[0])


def migrate(connection: sqlite3.Connection, path: str) -> int:
    """Bring the database to :data:`SCHEMA_VERSION` in one transaction; return the one found.

    The connection must be in autocommit mode (``isolation_level=None``). A file already at
    the current version is only read: opening it does not wait for another process's write.
    """
    if schema_version(connection, path) == SCHEMA_VERSION:
        return SCHEMA_VERSION
    connection.execute("BEGIN IMMEDIATE")
    try:
        found = schema_version(connection, path)
        if found > SCHEMA_VERSION:
            raise SchemaError(
                path,
                found,
                SCHEMA_VERSION,
                f"schema version {found} is newer than this library supports "
                f"({SCHEMA_VERSION}): upgrade civicgrid to open it",
                f"存储格式版本 {found} 高于本库支持的版本 {SCHEMA_VERSION}：请升级 civicgrid",
            )
        for step in MIGRATIONS[found:]:
            for statement in step:
                connection.execute(statement)
        if found < SCHEMA_VERSION:
            connection.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return found
