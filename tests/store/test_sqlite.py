"""What only the SQLite store does: a file, a schema version, WAL, other processes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from civicgrid.store.errors import SchemaError
from civicgrid.store.schema import SCHEMA_VERSION
from civicgrid.store.sqlite import SQLiteStore

READER = """
import json, sys
from civicgrid.store.sqlite import SQLiteStore
with SQLiteStore(sys.argv[1]) as store:
    print(json.dumps({name: [list(r) for r in store.read(name)] for name in store.streams()}))
"""

RACER = """
import sys
from civicgrid.store.errors import ConcurrencyConflict
from civicgrid.store.sqlite import SQLiteStore
me = sys.argv[2]
with SQLiteStore(sys.argv[1]) as store:
    for line in sys.stdin:
        command, rnd = line.split()
        if command == "read":
            seen = store.version("case:race")
            print("ready", flush=True)
        else:
            try:
                store.append("case:race", [[me, rnd, k] for k in range(3)], expected_version=seen)
                print("won", flush=True)
            except ConcurrencyConflict as error:
                print("conflict", error.expected, error.actual, flush=True)
"""


def test_a_new_file_records_the_schema_version_and_uses_wal(tmp_path: Path) -> None:
    """The meta table holds schema_version and the journal is WAL."""
    with SQLiteStore(tmp_path / "s.db") as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.journal_mode == "wal"
    with sqlite3.connect(tmp_path / "s.db") as raw:
        row = raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert row == (str(SCHEMA_VERSION),)


def test_a_reopened_file_reads_everything_written_before(tmp_path: Path) -> None:
    """Close, reopen: every stream and record is there and appends go on."""
    with SQLiteStore(tmp_path / "s.db") as store:
        store.append_many({"case:a": ([1, 2], 0), "ledger:city": ([{"k": "三"}], 0)})
    with SQLiteStore(tmp_path / "s.db") as store:
        assert store.streams() == ["case:a", "ledger:city"]
        assert [r.data for r in store.read("case:a")] == [1, 2]
        assert store.append("case:a", [3], expected_version=2) == 3


def test_a_newer_schema_version_is_refused_not_guessed_at(tmp_path: Path) -> None:
    """A file recorded at a version above the library's raises SchemaError, untouched."""
    SQLiteStore(tmp_path / "s.db").close()
    with sqlite3.connect(tmp_path / "s.db") as raw:
        raw.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
        )
    with pytest.raises(SchemaError) as caught:
        SQLiteStore(tmp_path / "s.db")
    assert (caught.value.found, caught.value.supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert "upgrade civicgrid" in str(caught.value)


def test_a_database_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    """Someone else's SQLite file is not written into."""
    with sqlite3.connect(tmp_path / "other.db") as raw:
        raw.execute("CREATE TABLE people (name TEXT)")
    with pytest.raises(SchemaError, match="not a civicgrid event store"):
        SQLiteStore(tmp_path / "other.db")
    with sqlite3.connect(tmp_path / "other.db") as raw:
        tables = raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [("people",)]


def test_a_closed_store_refuses_to_be_used(tmp_path: Path) -> None:
    """After close, reading raises a StoreError rather than a bare sqlite3 error."""
    store = SQLiteStore(tmp_path / "s.db")
    store.close()
    store.close()
    with pytest.raises(Exception, match="closed"):
        store.version("case:a")


def test_another_process_reads_what_this_one_wrote(tmp_path: Path) -> None:
    """A subprocess opening the file sees every committed record."""
    path = tmp_path / "s.db"
    with SQLiteStore(path) as store:
        store.append_many({"case:a": ([["opened", "居民"], 2], 0), "ledger:city": ([{}], 0)})
        result = subprocess.run(
            [sys.executable, "-c", READER, str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    assert json.loads(result.stdout) == {
        "case:a": [[1, ["opened", "居民"]], [2, 2]],
        "ledger:city": [[1, {}]],
    }


def test_two_processes_racing_on_one_stream_never_both_win(tmp_path: Path) -> None:
    """Twenty rounds: both read the same version, both append; exactly one wins each time."""
    path = tmp_path / "s.db"
    SQLiteStore(path).close()
    winners: list[str] = []
    with ExitStack() as stack:
        racers = [
            stack.enter_context(
                subprocess.Popen(
                    [sys.executable, "-c", RACER, str(path), name],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for name in ("p1", "p2")
        ]
        for rnd in range(20):
            answers: list[list[str]] = []
            for command in ("read", "go"):
                for racer in racers:
                    assert racer.stdin is not None
                    racer.stdin.write(f"{command} {rnd}\n")
                    racer.stdin.flush()
                for racer in racers:
                    assert racer.stdout is not None
                    answer = racer.stdout.readline().split()
                    if command == "read":
                        assert answer == ["ready"]
                    else:
                        answers.append(answer)
            names = ("p1", "p2")
            won = [name for name, answer in zip(names, answers, strict=True) if answer == ["won"]]
            lost = [answer for answer in answers if answer[0] == "conflict"]
            assert len(won) == 1, answers
            assert lost == [["conflict", str(3 * rnd), str(3 * rnd + 3)]]
            winners.append(won[0])
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.close()
    with SQLiteStore(path) as store:
        records = [r.data for r in store.read("case:race")]
    assert records == [[name, str(rnd), k] for rnd, name in enumerate(winners) for k in range(3)]
