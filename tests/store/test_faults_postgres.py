"""PostgreSQL faults, and the idempotency keys that make retrying after them safe.

The key contract runs against every store (memory, SQLite, PostgreSQL). The faults are real:
a backend terminated between calls and while a write waits, the acknowledgement of a
COMMIT swallowed by a proxy after the server committed, a server restarted (a second
throwaway server, so the session's own keeps running). Each gives the caller a
:class:`StorageFault` naming the server; the next call reconnects; a retry with the same key
books once. Each fault injected is counted in the hardening tally.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from civicgrid.errors import InvalidData
from civicgrid.store.errors import ConcurrencyConflict, KeyConflict, StorageFault
from civicgrid.store.postgres import MIGRATIONS, PostgresStore
from civicgrid.store.protocol import EventStore, StoredRecord
from civicgrid.store.schema import SCHEMA_VERSION
from hardening_support import Tally
from script_support import load_script
from store_support import STORES, open_store

psycopg = pytest.importorskip("psycopg")


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> Iterator[EventStore]:
    """A fresh store of each implementation."""
    with open_store(request.param) as fresh:
        yield fresh


def run_sql(url: str, statement: str, *params: object) -> list[tuple[Any, ...]]:
    """Run one statement on its own connection; return its rows (none for a command)."""
    with psycopg.connect(url, autocommit=True) as raw:
        cursor = raw.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def with_params(url: str, **params: str) -> str:
    """Add query parameters to a libpq URL."""
    joiner = "&" if "?" in url else "?"
    return url + joiner + "&".join(f"{name}={value}" for name, value in params.items())


def named(url: str) -> tuple[str, str]:
    """Return ``url`` with a unique application_name, and the name (to find its backend)."""
    name = f"victim-{uuid.uuid4().hex[:10]}"
    return with_params(url, application_name=name), name


def terminate(url: str, application: str) -> int:
    """Terminate the backends of ``application`` from a second connection; return how many."""
    rows = run_sql(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
        application,
    )
    return len(rows)


# --------------------------------------------------------------------------- key contract


def test_a_retry_with_a_committed_key_returns_the_first_versions_and_stores_nothing(
    store: EventStore,
) -> None:
    """The same write retried with its key: same versions, nothing stored again.

    Even after other writers moved the streams on, the retry answers what the first did.
    """
    batch = {"case:a": (["e1", "e2"], 0), "ledger:city": (["t1"], 0)}
    first = store.append_many(batch, key="cmd-1")
    assert first == {"case:a": 2, "ledger:city": 1}
    assert store.append_many(batch, key="cmd-1") == first
    store.append("case:a", ["e3"], expected_version=2)
    assert store.append_many(batch, key="cmd-1") == first
    assert store.append("s", ["x"], expected_version=0, key="one") == 1
    assert store.append("s", ["x"], expected_version=0, key="one") == 1
    assert [r.data for r in store.read("case:a")] == ["e1", "e2", "e3"]
    assert [r.data for r in store.read("ledger:city")] == ["t1"]
    assert [r.data for r in store.read("s")] == ["x"]


def test_a_key_reused_for_a_different_write_is_refused_and_stores_nothing(
    store: EventStore,
) -> None:
    """Other records, another expected version or other streams under a committed key."""
    store.append("case:a", ["e1"], expected_version=0, key="k")
    for stream, records, expected in [
        ("case:a", ["other"], 0),
        ("case:a", ["e1"], 1),
        ("case:b", ["e1"], 0),
    ]:
        with pytest.raises(KeyConflict) as caught:
            store.append(stream, records, expected_version=expected, key="k")
        assert caught.value.key == "k"
        assert caught.value.message_zh
    with pytest.raises(KeyConflict):
        store.append_many({"case:a": (["e1"], 0), "case:b": (["e1"], 0)}, key="k")
    assert store.streams() == ["case:a"]
    assert [r.data for r in store.read("case:a")] == ["e1"]


def test_a_refused_write_does_not_use_up_its_key(store: EventStore) -> None:
    """A conflict stores nothing, its key included: the corrected write may take the key."""
    store.append("case:a", ["e1"], expected_version=0)
    with pytest.raises(ConcurrencyConflict):
        store.append("case:a", ["e2"], expected_version=0, key="k")
    assert store.append("case:a", ["e2"], expected_version=1, key="k") == 2
    assert store.append("case:a", ["e2"], expected_version=1, key="k") == 2
    assert [r.data for r in store.read("case:a")] == ["e1", "e2"]


def test_an_empty_append_with_a_key_records_the_key(store: EventStore) -> None:
    """No records: the version is checked, the key recorded, no stream created."""
    assert store.append("case:a", [], expected_version=0, key="k") == 0
    assert store.append("case:a", [], expected_version=0, key="k") == 0
    with pytest.raises(KeyConflict):
        store.append("case:a", ["x"], expected_version=0, key="k")
    assert store.streams() == []


@pytest.mark.parametrize("key", ["", "a\x00b", "k" * 513, "lone \ud800", 7, b"bytes"], ids=repr)
def test_a_bad_key_is_refused_naming_the_key(store: EventStore, key: object) -> None:
    """Empty, NUL, over 512 characters, a lone surrogate, not a string: InvalidData("key")."""
    with pytest.raises(InvalidData) as caught:
        store.append("case:a", ["x"], expected_version=0, key=key)  # type: ignore[arg-type]
    assert [p.path for p in caught.value.problems] == ["key"]
    assert store.streams() == []


# --------------------------------------------------------------------------- connection faults


def test_a_connection_dropped_between_calls_is_a_clear_fault_then_reconnects(
    postgres_url: str, tally: Tally
) -> None:
    """The backend terminated while idle: a clear fault, then the store reconnects.

    The next call raises a connection fault naming the server; the one after connects again
    and finds everything committed.
    """
    url, application = named(postgres_url)
    with PostgresStore(url) as store:
        store.append("case:a", ["e1"], expected_version=0, key="k1")
        assert terminate(postgres_url, application) == 1
        with pytest.raises(StorageFault) as caught:
            store.version("case:a")
        assert caught.value.fault == "connection"
        assert "connects again on the next call" in str(caught.value)
        assert "重新连接" in str(caught.value)
        assert store.url in str(caught.value)
        assert store.read("case:a") == [StoredRecord(1, "e1")]
        assert store.append("case:a", ["e2"], expected_version=1, key="k2") == 2
    tally.add("faults", "postgres: connection dropped between calls", "survived")


def wait_for_lock_wait(url: str, application: str) -> None:
    """Wait until the backend of ``application`` is waiting for a lock."""
    for _ in range(200):
        rows = run_sql(
            url,
            "SELECT 1 FROM pg_stat_activity"
            " WHERE application_name = %s AND wait_event_type = 'Lock'",
            application,
        )
        if rows:
            return
        time.sleep(0.05)
    pytest.fail(f"{application} never waited for the lock")


def test_a_connection_dropped_mid_transaction_stores_nothing_and_the_retry_books_once(
    postgres_url: str, tally: Tally
) -> None:
    """The backend terminated while its write waits inside the transaction.

    The caller gets a connection fault; nothing of the write is stored; the retry with the
    same key reconnects and books it once.
    """
    url, application = named(postgres_url)
    batch = {"case:a": (["e2", "e3"], 1), "ledger:city": (["t1"], 0)}
    with PostgresStore(url) as store:
        store.append("case:a", ["e1"], expected_version=0)
        outcome: list[BaseException | dict[str, int]] = []

        def write() -> None:
            try:
                outcome.append(store.append_many(batch, key="cmd-7"))
            except Exception as error:  # handed to the test thread
                outcome.append(error)

        with (
            psycopg.connect(postgres_url, autocommit=True) as blocker,
            blocker.transaction(),
        ):
            blocker.execute("SELECT * FROM streams WHERE name = 'case:a' FOR UPDATE")
            writer = threading.Thread(target=write)
            writer.start()
            wait_for_lock_wait(postgres_url, application)
            assert terminate(postgres_url, application) == 1
            writer.join(timeout=30)
        assert len(outcome) == 1
        fault = outcome[0]
        assert isinstance(fault, StorageFault), fault
        assert fault.fault == "connection"
        assert store.version("case:a") == 1
        assert store.streams() == ["case:a"]
        assert store.append_many(batch, key="cmd-7") == {"case:a": 3, "ledger:city": 1}
        assert store.append_many(batch, key="cmd-7") == {"case:a": 3, "ledger:city": 1}
        assert [r.data for r in store.read("case:a")] == ["e1", "e2", "e3"]
        assert [r.data for r in store.read("ledger:city")] == ["t1"]
    tally.add("faults", "postgres: connection dropped mid-transaction", "survived")


class AckDropper:
    """A TCP proxy to the server that can swallow the acknowledgement of the next COMMIT.

    Armed, it forwards the server's messages until the CommandComplete of a ``COMMIT``, then
    closes both sides instead: the server has committed, the client never hears of it.
    """

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.stopping = threading.Event()
        self.armed = threading.Event()
        self.dropped = threading.Event()
        self.sockets: list[socket.socket] = []
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for target in (self._to_server, self._to_client):
                thread = threading.Thread(target=target, args=(client, server), daemon=True)
                self.threads.append(thread)
                thread.start()

    def _to_server(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while data := client.recv(65536):
                server.sendall(data)
        except OSError:
            pass
        self._hang_up(client, server)

    def _to_client(self, client: socket.socket, server: socket.socket) -> None:
        pending = b""
        try:
            while data := server.recv(65536):
                pending += data
                ready = bytearray()
                while len(pending) >= 5:
                    end = 1 + int.from_bytes(pending[1:5], "big")
                    if len(pending) < end:
                        break
                    message, pending = pending[:end], pending[end:]
                    if (
                        self.armed.is_set()
                        and message[:1] == b"C"
                        and message[5:].rstrip(b"\0") == b"COMMIT"
                    ):
                        self.armed.clear()
                        self.dropped.set()
                        client.sendall(ready)
                        self._hang_up(client, server)
                        return
                    ready += message
                client.sendall(ready)
        except OSError:
            pass
        self._hang_up(client, server)

    @staticmethod
    def _hang_up(*ends: socket.socket) -> None:
        for end in ends:
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def url(self, url: str) -> str:
        """``url`` rewritten to go through the proxy (plain TCP: no SSL or GSS to parse)."""
        parts = urlsplit(url)
        user = parts.netloc.rpartition("@")[0]
        netloc = f"{user}@127.0.0.1:{self.port}" if user else f"127.0.0.1:{self.port}"
        proxied = urlunsplit(parts._replace(netloc=netloc))
        return with_params(proxied, sslmode="disable", gssencmode="disable")

    def close(self) -> None:
        """Stop listening and close every connection."""
        self.stopping.set()
        self.threads[0].join(timeout=10)
        self.listener.close()
        for end in self.sockets:
            self._hang_up(end)
        for thread in self.threads:
            thread.join(timeout=10)
        for end in self.sockets:
            end.close()


@pytest.fixture
def ack_dropper(postgres_url: str) -> Iterator[AckDropper]:
    """A proxy in front of the test server that can swallow one COMMIT's acknowledgement."""
    parts = urlsplit(postgres_url)
    assert parts.hostname is not None
    assert parts.port is not None
    proxy = AckDropper(parts.hostname, parts.port)
    yield proxy
    proxy.close()


def test_a_lost_commit_acknowledgement_is_retried_with_the_key_and_booked_once(
    postgres_url: str, ack_dropper: AckDropper, tally: Tally
) -> None:
    """The server commits, the acknowledgement never arrives: the keyed retry books once.

    The caller gets a connection fault saying the outcome is unknown; the retry with the same
    key returns the versions of that commit and stores nothing again. (Without a key the
    retry is refused as a conflict: never booked twice either, but the caller cannot tell
    the stored write was its own.)
    """
    batch: dict[str, tuple[list[object], int]] = {
        "case:a": (["e1", "e2"], 0),
        "ledger:city": ([{"earn": 10}], 0),
    }
    with PostgresStore(ack_dropper.url(postgres_url)) as store:
        store.version("case:a")
        ack_dropper.armed.set()
        with pytest.raises(StorageFault) as caught:
            store.append_many(batch, key="close-case-a")
        assert ack_dropper.dropped.is_set()
        assert caught.value.fault == "connection"
        assert "may or may not have been committed" in str(caught.value)
        committed = run_sql(postgres_url, "SELECT count(*) FROM records")
        assert committed == [(3,)], "the server committed before the ack was lost"
        assert store.append_many(batch, key="close-case-a") == {"case:a": 2, "ledger:city": 1}
        with pytest.raises(ConcurrencyConflict):
            store.append_many(batch)
    assert run_sql(postgres_url, "SELECT count(*) FROM records") == [(3,)]
    assert run_sql(postgres_url, "SELECT key FROM keys") == [("close-case-a",)]
    tally.add("faults", "postgres: commit acknowledgement lost", "survived")


def test_two_attempts_racing_with_one_key_book_once(postgres_url: str) -> None:
    """Four attempts of one keyed write on four connections at once: booked once.

    Each answers the same versions (the advisory lock on the key serialises them), as a
    retry racing a first attempt whose connection is not yet gone would.
    """
    batch = {"case:a": ([f"e{n}" for n in range(50)], 0)}
    answers: list[dict[str, int] | BaseException] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        with PostgresStore(postgres_url) as store:
            barrier.wait()
            try:
                answers.append(store.append_many(batch, key="same"))
            except Exception as error:  # handed to the test thread
                answers.append(error)

    PostgresStore(postgres_url).close()
    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [{"case:a": 50}] * 4
    assert run_sql(postgres_url, "SELECT count(*) FROM records") == [(50,)]


# --------------------------------------------------------------------------- restart


def pg_script() -> ModuleType:
    """scripts/postgres.py, loaded once (tests/store/conftest.py may have loaded it)."""
    return load_script("scripts/postgres.py", "civicgrid_pg_script")


@pytest.fixture
def own_server(postgres_url: str) -> Iterator[Any]:
    """A second throwaway server of this test's own, to restart (stopped afterwards)."""
    script = pg_script()
    if script.find_bindir() is None:
        pytest.skip("PostgreSQL's programs are not here to start a second server")
    server = script.start()
    try:
        yield server
    finally:
        server.stop()


def pg_ctl(server: Any, command: str) -> None:
    """Stop, start or restart ``server`` with pg_ctl, as the user the server runs as.

    Started again on its own port and socket directory; stopped and restarted ``fast``
    (the backends are terminated, as in a real restart).
    """
    data = server.directory / "data"
    arguments = [str(server.bindir / "pg_ctl"), command, "-D", str(data), "-w"]
    if command in {"stop", "restart"}:
        arguments += ["-m", "fast"]
    if command in {"start", "restart"}:
        port = urlsplit(server.url).port
        options = f"-h 127.0.0.1 -k {server.directory} -p {port} -c fsync=off"
        arguments += ["-l", str(server.directory / "server.log"), "-o", options]
    pg_script()._run(arguments, cwd=server.directory)  # drops root, as the server needs


def test_a_server_restart_is_a_clear_fault_then_the_store_reconnects(
    own_server: Any, tally: Tally
) -> None:
    """Stop the server, start it, restart it: clear faults, then the store reconnects.

    While it is down, calls raise connection faults at once; once it is up the store
    connects again on its own, every committed record is there, keyed retries book once.
    """
    url = with_params(own_server.url, connect_timeout="5")
    with PostgresStore(url) as store:
        store.append_many({"case:a": (["e1"], 0), "ledger:city": (["t1"], 0)}, key="d1")
        pg_ctl(own_server, "stop")
        started = time.monotonic()
        for _ in range(2):
            with pytest.raises(StorageFault) as caught:
                store.append("case:a", ["e2"], expected_version=1, key="d2")
            assert caught.value.fault == "connection"
            assert "127.0.0.1" in str(caught.value)
        assert time.monotonic() - started < 10
        pg_ctl(own_server, "start")
        assert store.read("case:a") == [StoredRecord(1, "e1")]
        assert store.append("case:a", ["e2"], expected_version=1, key="d2") == 2
        pg_ctl(own_server, "restart")
        with pytest.raises(StorageFault) as caught:
            store.version("case:a")
        assert caught.value.fault == "connection"
        assert store.append("case:a", ["e2"], expected_version=1, key="d2") == 2
        assert store.append_many({"case:a": (["e1"], 0), "ledger:city": (["t1"], 0)}, key="d1") == {
            "case:a": 1,
            "ledger:city": 1,
        }
        assert [r.data for r in store.read("case:a")] == ["e1", "e2"]
        assert [r.data for r in store.read("ledger:city")] == ["t1"]
    tally.add("faults", "postgres: server stopped and started", "survived")
    tally.add("faults", "postgres: server restarted", "survived")


# --------------------------------------------------------------------------- migration


def test_a_version_one_database_is_migrated_in_place(postgres_url: str) -> None:
    """Tables made by the old DDL (schema 1) gain ``keys`` on opening; records stay."""
    with psycopg.connect(postgres_url, autocommit=True) as raw:
        for statement in MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
        raw.execute("INSERT INTO streams (name, version) VALUES ('case:a', 2)")
        raw.execute(
            "INSERT INTO records (stream, version, data)"
            " SELECT id, v, d FROM streams, (VALUES (1, '\"e1\"'), (2, '{\"n\":2}')) AS x (v, d)"
        )
    with PostgresStore(postgres_url) as store:
        assert store.schema_version == SCHEMA_VERSION == 2
        assert store.read("case:a") == [StoredRecord(1, "e1"), StoredRecord(2, {"n": 2})]
        assert store.append("case:a", ["e3"], expected_version=2, key="k") == 3
        assert store.append("case:a", ["e3"], expected_version=2, key="k") == 3
    assert run_sql(postgres_url, "SELECT key FROM keys") == [("k",)]
    assert run_sql(postgres_url, "SELECT value FROM meta") == [("2",)]
