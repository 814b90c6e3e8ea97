"""SQLite storage faults: each a clear StorageFault (or a documented wait), nothing lost.

Every fault is real, not mocked: a full disk is a 1 MiB tmpfs, a read-only file is
``chattr +i`` (we run as root in CI, where permissions alone do not stop a write), a lock is
held by another process, a writer is SIGKILLed. After each, the file reopens with every
committed transaction intact and nothing of the failed one. Tests that need root (mount,
chattr) skip elsewhere, saying why. Each fault injected is counted in the hardening tally.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from civicgrid.store.errors import SchemaError, StorageFault
from civicgrid.store.protocol import StoredRecord
from civicgrid.store.schema import MIGRATIONS, SCHEMA_VERSION
from civicgrid.store.sqlite import SQLiteStore
from hardening_support import Tally

Batch = dict[str, tuple[list[object], int]]


def batch_of(number: int, *, streams: int = 3, per: int = 10, size: int = 1000) -> Batch:
    """Batch ``number`` of a run that writes ``per`` records to each of ``streams`` streams."""
    return {
        f"s{j}": ([[number, j, k, "记" * size] for k in range(per)], number * per)
        for j in range(streams)
    }


def assert_holds_batches(
    store: SQLiteStore, count: int, *, streams: int = 3, per: int = 10
) -> None:
    """The store holds exactly batches 0..count-1 of :func:`batch_of`, every record in place."""
    assert store.streams() == (sorted(f"s{j}" for j in range(streams)) if count else [])
    for j in range(streams):
        records = store.read(f"s{j}")
        assert [r.version for r in records] == list(range(1, count * per + 1))
        assert [r.data[:3] for r in records] == [
            [n, j, k] for n in range(count) for k in range(per)
        ]


def fingerprint(path: Path) -> str:
    """The SHA-256 of a file's bytes, to show it was left untouched."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- disk full


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for the test (root only), unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_refuses_the_write_and_keeps_every_committed_one(
    tiny_disk: Path, tally: Tally
) -> None:
    """Appending until the disk is full: the failing batch is refused whole, naming the file.

    What was committed reads back, survives a reopen while the disk is still full, and the
    refused batch, retried with its key once there is room, is stored exactly once.
    """
    ballast = tiny_disk / "ballast"
    ballast.write_bytes(b"\0" * 256 * 1024)
    path = tiny_disk / "s.db"
    committed = 0
    with SQLiteStore(path) as store:
        with pytest.raises(StorageFault) as caught:  # noqa: PT012 - the loop runs until full
            while True:
                store.append_many(batch_of(committed), key=f"batch-{committed}")
                committed += 1
        assert committed > 3
        fault = caught.value
        assert fault.fault == "full"
        assert str(path) in str(fault)
        assert "disk is full" in fault.message_en
        assert fault.message_zh
        assert "磁盘已满" in fault.message_zh
        assert_holds_batches(store, committed)
        with pytest.raises(StorageFault, match="disk is full"):
            store.append_many(batch_of(committed), key=f"batch-{committed}")
        assert_holds_batches(store, committed)
    with SQLiteStore(path) as store:
        assert_holds_batches(store, committed)
        ballast.unlink()
        again = store.append_many(batch_of(committed), key=f"batch-{committed}")
        assert again == {f"s{j}": (committed + 1) * 10 for j in range(3)}
        assert store.append_many(batch_of(committed), key=f"batch-{committed}") == again
    with SQLiteStore(path) as store:
        assert_holds_batches(store, committed + 1)
    tally.add("faults", "sqlite: disk full mid-transaction", "survived")


# --------------------------------------------------------------------------- read-only


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """Make files immutable with ``chattr +i`` (root only); made mutable again afterwards."""
    made: list[Path] = []

    def make(path: Path) -> None:
        done = subprocess.run(
            ["chattr", "+i", str(path)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            pytest.skip(f"cannot make a file immutable (needs root): {done.stderr.strip()}")
        made.append(path)

    yield make
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_a_read_only_file_reads_and_refuses_writes_clearly(
    tmp_path: Path, immutable: Callable[[Path], None], tally: Tally
) -> None:
    """An immutable file opens and reads; an append raises a read-only fault naming it.

    The file is untouched, and once writable again the store appends where it left off.
    """
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        store.append_many(batch_of(0))
    before = fingerprint(path)
    immutable(path)
    with SQLiteStore(path) as store:
        assert_holds_batches(store, 1)
        with pytest.raises(StorageFault) as caught:
            store.append_many(batch_of(1), key="batch-1")
        assert caught.value.fault == "read-only"
        assert str(path) in str(caught.value)
        assert "文件不可写" in str(caught.value)
        assert_holds_batches(store, 1)
    assert fingerprint(path) == before
    subprocess.run(["chattr", "-i", str(path)], check=True)
    with SQLiteStore(path) as store:
        store.append_many(batch_of(1), key="batch-1")
        assert_holds_batches(store, 2)
    tally.add("faults", "sqlite: read-only (immutable) file", "survived")


def test_a_store_opened_read_only_never_writes(tmp_path: Path, tally: Tally) -> None:
    """``read_only=True``: appends are refused before anything happens; reads see commits.

    Another store writing the same file meanwhile is seen, and the file's main database is
    never changed by the read-only one (a writer's checkpoint aside).
    """
    path = tmp_path / "s.db"
    with SQLiteStore(path) as writer:
        writer.append_many(batch_of(0))
        with SQLiteStore(path, read_only=True) as reader:
            assert reader.read_only
            assert_holds_batches(reader, 1)
            with pytest.raises(StorageFault) as caught:
                reader.append_many(batch_of(1))
            assert caught.value.fault == "read-only"
            assert "opened read-only" in str(caught.value)
            writer.append_many(batch_of(1))
            assert_holds_batches(reader, 2)
    tally.add("faults", "sqlite: store opened read-only", "survived")


def test_read_only_refuses_a_file_that_needs_migrating_and_leaves_it(tmp_path: Path) -> None:
    """A version 1 file opened read-only is refused with SchemaError, not migrated."""
    path = write_version_one(tmp_path / "v1.db")
    before = fingerprint(path)
    with pytest.raises(SchemaError) as caught:
        SQLiteStore(path, read_only=True)
    assert (caught.value.found, caught.value.supported) == (1, SCHEMA_VERSION)
    assert "without read_only" in str(caught.value)
    assert fingerprint(path) == before


def test_a_missing_file_opened_read_only_is_a_clear_fault(tmp_path: Path) -> None:
    """Read-only opening does not create the file: it raises an io fault naming it."""
    with pytest.raises(StorageFault) as caught:
        SQLiteStore(tmp_path / "missing.db", read_only=True)
    assert caught.value.fault == "io"
    assert "missing.db" in str(caught.value)
    assert not (tmp_path / "missing.db").exists()


# --------------------------------------------------------------------------- corruption


def _garbage_over_pages(data: bytes) -> bytes:
    return data[:8192] + random.Random(7).randbytes(8192) + data[16384:]  # noqa: S311


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "not a database": lambda data: b"not a database at all " * 200,
    "garbage header": lambda data: random.Random(1).randbytes(100) + data[100:],  # noqa: S311
    "garbage over the pages": _garbage_over_pages,
    "garbage after the first page": lambda data: (
        data[:4096] + random.Random(3).randbytes(len(data) - 4096)  # noqa: S311
    ),
    "truncated to half": lambda data: data[: len(data) // 2],
    "truncated to one page": lambda data: data[:4096],
}
"""Ways a store file is found damaged, each applied to a closed store of several pages."""


@pytest.mark.parametrize("damage", sorted(CORRUPTIONS))
def test_a_corrupted_file_gives_a_clear_fault_not_a_sqlite_error(
    tmp_path: Path, damage: str, tally: Tally
) -> None:
    """Opening or reading a damaged file raises StorageFault("corrupt") naming the file.

    Never a bare sqlite3 exception; opening does not write into the damaged file.
    """
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        for number in range(8):
            store.append_many(batch_of(number, size=200))
    path.write_bytes(CORRUPTIONS[damage](path.read_bytes()))
    before = fingerprint(path)
    with (  # noqa: PT012 - the fault comes at opening or at reading
        pytest.raises(StorageFault) as caught,
        SQLiteStore(path) as store,
    ):
        for stream in store.streams():
            store.read(stream)
        store.append_many(batch_of(8, size=200))
    assert caught.value.fault == "corrupt"
    assert str(path) in str(caught.value)
    assert caught.value.message_zh
    assert not isinstance(caught.value, sqlite3.Error)
    if damage in {"not a database", "garbage header"}:
        assert fingerprint(path) == before
    tally.add("faults", f"sqlite: corrupted file ({damage})", "survived")


# --------------------------------------------------------------------------- locks

HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
connection.execute("INSERT INTO meta (key, value) VALUES ('holder', 'was here')")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
print("released", flush=True)
sys.stdin.readline()
"""
"""Hold the write lock of a store file (a real write in flight) until told to let go."""


class LockHolder:
    """Another process holding a store's write lock, released on demand."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.say("") == "locked"

    def say(self, line: str | None) -> str:
        """Send ``line`` (none for ``None``/empty at start) and return the holder's answer."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        if line:
            self.process.stdin.write(line)
            self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def release(self) -> None:
        """Roll back the holder's write, letting the lock go."""
        assert self.say("release\n") == "released"

    def stop(self) -> None:
        """End the holder process and close its pipes."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        if not self.process.stdin.closed:
            self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


@pytest.fixture
def lock_holder() -> Iterator[Callable[[Path], LockHolder]]:
    """Start processes that hold a file's write lock; each is ended afterwards."""
    started: list[LockHolder] = []

    def start(path: Path) -> LockHolder:
        holder = LockHolder(path)
        started.append(holder)
        return holder

    yield start
    for holder in started:
        if holder.process.poll() is None:
            holder.process.kill()
        holder.stop()


def test_a_lock_held_too_long_gives_a_locked_fault_after_the_timeout(
    tmp_path: Path, lock_holder: Callable[[Path], LockHolder], tally: Tally
) -> None:
    """A write waits the store's timeout for another process's lock, then gives up cleanly.

    Meanwhile reading (and opening another store) does not wait; nothing of the refused
    write is stored; once the lock is released the same append goes through.
    """
    path = tmp_path / "s.db"
    with SQLiteStore(path) as setup:
        setup.append_many(batch_of(0))
    holder = lock_holder(path)
    with SQLiteStore(path, timeout=0.5) as store:
        started = time.monotonic()
        with pytest.raises(StorageFault) as caught:
            store.append_many(batch_of(1), key="batch-1")
        waited = time.monotonic() - started
        assert 0.45 <= waited < 10
        assert caught.value.fault == "locked"
        assert str(path) in str(caught.value)
        assert "longer than the timeout (0.5 s)" in str(caught.value)
        assert "写锁" in str(caught.value)
        assert_holds_batches(store, 1)
        with SQLiteStore(path, timeout=0.5) as other:
            assert_holds_batches(other, 1)
        holder.release()
        assert store.append_many(batch_of(1), key="batch-1") == {f"s{j}": 20 for j in range(3)}
        assert_holds_batches(store, 2)
    holder.stop()
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("SELECT count(*) FROM meta WHERE key = 'holder'").fetchone() == (0,)
    tally.add("faults", "sqlite: write lock held by another process", "survived")


def test_a_write_waits_for_a_lock_released_within_the_timeout(
    tmp_path: Path, lock_holder: Callable[[Path], LockHolder], tally: Tally
) -> None:
    """Released within the timeout, the other process's lock only delays the write."""
    path = tmp_path / "s.db"
    SQLiteStore(path).close()
    holder = lock_holder(path)
    releaser = threading.Timer(0.5, holder.release)
    with SQLiteStore(path, timeout=20) as store:
        started = time.monotonic()
        releaser.start()
        assert store.append_many(batch_of(0)) == {f"s{j}": 10 for j in range(3)}
        assert time.monotonic() - started >= 0.4
        releaser.join()
        assert_holds_batches(store, 1)
    holder.stop()
    tally.add("faults", "sqlite: write lock released within the timeout", "survived")


# --------------------------------------------------------------------------- kill

WRITER = """
import sys
from civicgrid.store.sqlite import SQLiteStore
path, streams, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with SQLiteStore(path) as store:
    number = store.version("s0") // per
    while True:
        store.append_many(
            {
                f"s{j}": ([[number, j, k] for k in range(per)], number * per)
                for j in range(streams)
            },
            key=f"batch-{number}",
        )
        print(number, flush=True)
        number += 1
"""
"""Append ever more large batches to a store, printing each batch's number once committed."""


def test_a_writer_killed_mid_write_loses_no_committed_batch_and_leaves_no_partial_one(
    tmp_path: Path, tally: Tally
) -> None:
    """SIGKILL a process appending 20 000-record batches, at random moments, six times.

    A batch takes about 0.2 s here, half encoding and half inside its transaction, and the
    kill comes 0 to 0.2 s after a commit, so most kills land in a transaction. After each
    the file reopens intact (integrity_check), holding every batch the writer reported
    committed and only whole batches; the next writer resumes after them.
    """
    path = tmp_path / "s.db"
    streams, per = 20, 1000
    rng = random.Random(9)  # noqa: S311 - repeatable, not secret
    reported = -1
    for _ in range(6):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(streams), str(per)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        for _ in range(rng.randint(1, 2)):
            reported = int(writer.stdout.readline())
        time.sleep(rng.uniform(0, 0.2))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
        writer.stdout.close()
        with closing(sqlite3.connect(path)) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        with SQLiteStore(path) as store:
            versions = {store.version(f"s{j}") for j in range(streams)}
            assert len(versions) == 1, versions
            (version,) = versions
            assert version % per == 0
            assert version // per >= reported + 1
            for j in (0, streams - 1):
                records = store.read(f"s{j}")
                assert [r.data[:3] for r in records] == [
                    [n, j, k] for n in range(version // per) for k in range(per)
                ]
        tally.add("faults", "sqlite: writer SIGKILLed mid-write", "survived")


# --------------------------------------------------------------------------- migration


def write_version_one(path: Path) -> Path:
    """Write a store file as version 1 of the schema made it, with a few records."""
    with closing(sqlite3.connect(path, isolation_level=None)) as raw:
        raw.execute("PRAGMA journal_mode = WAL")
        for statement in MIGRATIONS[0]:
            raw.execute(statement)
        raw.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
        raw.execute("INSERT INTO streams (id, name, version) VALUES (1, 'case:a', 2)")
        raw.executemany(
            "INSERT INTO records (stream, version, data) VALUES (1, ?, ?)",
            [(1, '["opened","居民"]'), (2, '{"n":2}')],
        )
    return path


def test_a_version_one_file_is_migrated_in_place_and_keeps_its_records(tmp_path: Path) -> None:
    """Opening a v1 file (the old DDL) adds the keys table; every record stays; keys work."""
    path = write_version_one(tmp_path / "v1.db")
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 2
        assert store.read("case:a") == [
            StoredRecord(1, ["opened", "居民"]),
            StoredRecord(2, {"n": 2}),
        ]
        assert store.append("case:a", [3], expected_version=2, key="k") == 3
        assert store.append("case:a", [3], expected_version=2, key="k") == 3
        assert [r.data for r in store.read("case:a")][2:] == [3]
    with closing(sqlite3.connect(path)) as raw:
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
        assert {"meta", "streams", "records", "keys"} <= tables
        assert raw.execute("SELECT key FROM keys").fetchall() == [("k",)]
