"""What the store suites share: every store implementation, opened fresh.

Import it as ``store_support`` from any test (``tests/`` is on the path through the root
conftest).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from civicgrid.store.memory import MemoryStore
from civicgrid.store.postgres import PostgresStore
from civicgrid.store.protocol import EventStore
from civicgrid.store.sqlite import SQLiteStore

__all__ = ["STORES", "open_store"]

STORES = ("memory", "postgres", "sqlite")
"""Every implementation of the store."""


@contextmanager
def open_store(kind: str) -> Iterator[EventStore]:
    """A fresh store of ``kind``; PostgreSQL's in a schema of its own, dropped afterwards.

    The server is named by CIVICGRID_TEST_POSTGRES_URL or started by tests/store/conftest.py;
    where there is none, the test is skipped with the reason.
    """
    if kind == "memory":
        yield MemoryStore()
        return
    if kind == "sqlite":
        with (
            tempfile.TemporaryDirectory() as directory,
            SQLiteStore(Path(directory) / "s.db") as store,
        ):
            yield store
        return
    url = os.environ.get("CIVICGRID_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL server for the store tests (see the terminal summary)")
    import psycopg  # noqa: PLC0415 - the optional extra

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        joiner = "&" if "?" in url else "?"
        with PostgresStore(f"{url}{joiner}options=-csearch_path%3D{schema}") as store:
            yield store
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
