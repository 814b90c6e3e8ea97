"""What only the PostgreSQL store does: a server, a schema version, other processes."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack

import pytest

from civicgrid.errors import InvalidData
from civicgrid.store.errors import SchemaError, StoreError
from civicgrid.store.postgres import PostgresStore
from civicgrid.store.schema import SCHEMA_VERSION

psycopg = pytest.importorskip("psycopg")

READER = """
import json, sys
from civicgrid.store.postgres import PostgresStore
with PostgresStore(sys.argv[1]) as store:
    print(json.dumps({name: [list(r) for r in store.read(name)] for name in store.streams()}))
"""

RACER = """
import sys
from civicgrid.store.errors import ConcurrencyConflict
from civicgrid.store.postgres import PostgresStore
me = sys.argv[2]
with PostgresStore(sys.argv[1]) as store:
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


def run_sql(url: str, statement: str) -> list[tuple[object, ...]]:
    """Run one statement on its own connection; return its rows (none for a command)."""
    with psycopg.connect(url, autocommit=True) as raw:
        cursor = raw.execute(statement)
        return cursor.fetchall() if cursor.description else []


def test_a_new_database_records_the_schema_version(postgres_url: str) -> None:
    """The meta table holds schema_version, and reopening keeps it."""
    with PostgresStore(postgres_url) as store:
        assert store.schema_version == SCHEMA_VERSION
    with PostgresStore(postgres_url) as store:
        assert store.schema_version == SCHEMA_VERSION
    rows = run_sql(postgres_url, "SELECT value FROM meta WHERE key = 'schema_version'")
    assert rows == [(str(SCHEMA_VERSION),)]


def test_a_newer_schema_version_is_refused_not_guessed_at(postgres_url: str) -> None:
    """A database recorded at a version above the library's raises SchemaError, untouched."""
    PostgresStore(postgres_url).close()
    newer = SCHEMA_VERSION + 1
    run_sql(postgres_url, f"UPDATE meta SET value = '{newer}'")  # noqa: S608 - an int
    with pytest.raises(SchemaError) as caught:
        PostgresStore(postgres_url)
    assert (caught.value.found, caught.value.supported) == (SCHEMA_VERSION + 1, SCHEMA_VERSION)
    assert "upgrade civicgrid" in str(caught.value)
    assert caught.value.message_zh


def test_a_database_that_is_not_a_store_is_refused(postgres_url: str) -> None:
    """Someone else's tables are not written into: no meta table, no store."""
    run_sql(postgres_url, "CREATE TABLE people (name text)")
    with pytest.raises(SchemaError, match="not a civicgrid event store"):
        PostgresStore(postgres_url)
    tables = run_sql(
        postgres_url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    assert tables == [("people",)]


def test_a_store_written_by_one_connection_is_read_by_another(postgres_url: str) -> None:
    """A second store on the same database sees every committed record, and appends on."""
    with PostgresStore(postgres_url) as writer, PostgresStore(postgres_url) as reader:
        writer.append_many({"case:a": ([["opened", "居民"], 2], 0), "ledger:city": ([{}], 0)})
        assert reader.streams() == ["case:a", "ledger:city"]
        assert [r.data for r in reader.read("case:a")] == [["opened", "居民"], 2]
        assert reader.append("case:a", [3], expected_version=2) == 3
        assert writer.version("case:a") == 3


def test_another_process_reads_what_this_one_wrote(postgres_url: str) -> None:
    """A subprocess opening the database sees every committed record."""
    with PostgresStore(postgres_url) as store:
        store.append_many({"case:a": ([["opened", "居民"], 2], 0), "ledger:city": ([{}], 0)})
    result = subprocess.run(
        [sys.executable, "-c", READER, postgres_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(result.stdout) == {
        "case:a": [[1, ["opened", "居民"]], [2, 2]],
        "ledger:city": [[1, {}]],
    }


def test_two_processes_racing_on_one_stream_never_both_win(postgres_url: str) -> None:
    """Twenty rounds: both read the same version, both append; exactly one wins each time."""
    PostgresStore(postgres_url).close()
    winners: list[str] = []
    names = ("p1", "p2")
    with ExitStack() as stack:
        racers = [
            stack.enter_context(
                subprocess.Popen(
                    [sys.executable, "-c", RACER, postgres_url, name],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for name in names
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
            won = [name for name, answer in zip(names, answers, strict=True) if answer == ["won"]]
            lost = [answer for answer in answers if answer[0] == "conflict"]
            assert len(won) == 1, answers
            assert lost == [["conflict", str(3 * rnd), str(3 * rnd + 3)]]
            winners.append(won[0])
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.close()
    with PostgresStore(postgres_url) as store:
        records = [r.data for r in store.read("case:race")]
    assert records == [[name, str(rnd), k] for rnd, name in enumerate(winners) for k in range(3)]


def test_records_keep_their_exact_json_text(postgres_url: str) -> None:
    """Records are stored as the compact JSON text, key order and Chinese text kept."""
    with PostgresStore(postgres_url) as store:
        store.append("case:a", [{"z": 1, "a": "三栋"}], expected_version=0)
        assert list(store.read("case:a")[0].data) == ["z", "a"]
    assert run_sql(postgres_url, "SELECT data FROM records") == [('{"z":1,"a":"三栋"}',)]


def test_a_closed_store_refuses_to_be_used(postgres_url: str) -> None:
    """After close (twice is harmless), reading raises a StoreError."""
    store = PostgresStore(postgres_url)
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.version("case:a")


def test_the_password_is_masked_in_the_url_and_errors() -> None:
    """A server that does not answer gives a StoreError whose URL hides the password."""
    with pytest.raises(StoreError) as caught:
        PostgresStore("postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2")
    assert "secret" not in str(caught.value)
    assert "u:***@127.0.0.1:1" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "timeout", "field"),
    [("sqlite:/tmp/x.db", 1.0, "url"), ("postgresql://u@h/db", 0, "timeout")],
)
def test_bad_arguments_are_refused_naming_the_field(url: str, timeout: float, field: str) -> None:
    """Not a PostgreSQL URL, or no time to wait: InvalidData naming the field."""
    with pytest.raises(InvalidData) as caught:
        PostgresStore(url, timeout=timeout)
    assert [p.path for p in caught.value.problems] == [field]


def test_without_psycopg_the_store_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without psycopg: a StoreError naming the postgres extra, not a bare ImportError."""
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(StoreError, match=r"civicgrid\[postgres\]"):
        PostgresStore("postgresql://u@127.0.0.1:1/db")
