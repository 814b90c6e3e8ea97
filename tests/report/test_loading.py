"""A simulation run read back from its store: meta, units, events, ledger, days; bad stores."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from civicgrid import DEFAULT_TZ, InvalidData, Registry
from civicgrid.domain.ledger import AccountKind, Posting, Transaction
from civicgrid.report.loading import NotARun, accounts_for, load_run, open_store
from civicgrid.store import MemoryStore, StoreError
from test_cli_report import METHOD, ODD_NAME, write_run


@pytest.fixture(scope="module")
def store(registry: Registry) -> MemoryStore:
    """Three days of eight requests, in memory."""
    memory = MemoryStore()
    write_run(memory, registry)
    return memory


def test_load_run_reads_meta_units_events_ledger_and_days(store: MemoryStore) -> None:
    """Every stream of the layout comes back, typed."""
    run = load_run(store)
    assert (run.meta.preset, run.meta.seed, run.meta.requests_method) == ("tiny", 1, METHOD)
    assert run.meta.deliberation_method is None
    assert run.tree is not None
    assert run.tree.unit("sd000000").name_zh == ODD_NAME
    assert len({e.case_id for e in run.events}) == 24
    assert [d.day for d in run.days] == [0, 1, 2]
    assert run.as_of == datetime(2026, 11, 26, tzinfo=DEFAULT_TZ)
    assert run.ledger is not None
    assert run.ledger.balance("sink:redeemed:city_points") == 10
    assert run.ledger.total("city_points") == 0


def test_a_store_without_meta_is_refused_as_not_a_run() -> None:
    """No sim:meta: NotARun, a StoreError and a LookupError, naming the stream."""
    with pytest.raises(NotARun, match="sim:meta") as caught:
        load_run(MemoryStore())
    assert isinstance(caught.value, StoreError)
    assert isinstance(caught.value, LookupError)
    assert caught.value.message_zh


def test_a_malformed_meta_names_each_bad_field() -> None:
    """A meta record missing its fields is InvalidData listing each."""
    memory = MemoryStore()
    memory.append("sim:meta", [{"preset": "x", "tz": "Mars/Base"}], expected_version=0)
    with pytest.raises(InvalidData) as caught:
        load_run(memory)
    fields = {p.path for p in caught.value.problems}
    assert {"methods.requests", "seed", "days", "start", "tz", "library"} <= fields


def test_accounts_are_declared_by_the_id_conventions() -> None:
    """issuer/hold/sink/fund/timebank prefixes set the kind; the currency is the id's tail."""
    at = datetime(2026, 11, 23, tzinfo=DEFAULT_TZ)
    pairs = [
        ("issuer:city_points", "person:p1:city_points"),
        ("hold:r1:city_points", "sink:redeemed:city_points"),
        ("fund:f1", "project:p:micro_fund"),
        ("timebank:c1", "person:p1:time_bank"),
    ]
    transactions = [
        Transaction(
            key=f"t{i}",
            at=at,
            kind="x",
            postings=(Posting(account=a, amount=-1), Posting(account=b, amount=1)),
        )
        for i, (a, b) in enumerate(pairs)
    ]
    accounts = {a.id: a for a in accounts_for(transactions)}
    assert accounts["issuer:city_points"].kind is AccountKind.ISSUER
    assert accounts["person:p1:city_points"].kind is AccountKind.HOLDER
    assert accounts["hold:r1:city_points"].kind is AccountKind.HOLD
    assert accounts["sink:redeemed:city_points"].kind is AccountKind.SINK
    assert (accounts["fund:f1"].kind, accounts["fund:f1"].currency) == (
        AccountKind.FUND,
        "micro_fund",
    )
    timebank = accounts["timebank:c1"]
    assert (timebank.kind, timebank.currency, timebank.overdraft) == (
        AccountKind.FUND,
        "time_bank",
        True,
    )


def test_an_account_naming_no_currency_is_refused() -> None:
    """An id whose tail is no declared currency: InvalidData naming the transaction."""
    at = datetime(2026, 11, 23, tzinfo=DEFAULT_TZ)
    bad = Transaction(
        key="t1",
        at=at,
        kind="x",
        postings=(Posting(account="issuer:gold", amount=-1), Posting(account="me:gold", amount=1)),
    )
    with pytest.raises(InvalidData, match=r"t1\.issuer:gold"):
        accounts_for([bad])


def test_open_store_never_creates_a_file(tmp_path: Path) -> None:
    """A missing path is a StoreError, and no file appears."""
    missing = f"{tmp_path}/none.sqlite"
    with pytest.raises(StoreError, match="no such store file"):
        open_store(f"sqlite:{missing}")
    assert not list(tmp_path.iterdir())
