"""Issue 6 acceptance: the ledger's invariants under any sequence of points operations."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.domain.earning import EarningRule
from civicgrid.domain.expiry import ExpiryKind, ExpiryPolicy, LotBook
from civicgrid.domain.ledger import Account, AccountKind, InsufficientBalance, Ledger, LedgerError
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.workflows.points import PointsDesk

START = datetime(2024, 12, 30, 9, tzinfo=DEFAULT_TZ)
PEOPLE = ("p1", "p2", "p3")
CURRENCIES = ("city_points", "district_points")
RULE = EarningRule(
    key="patrol",
    label_zh="网格巡查",
    label_en="grid patrol",
    activity="patrol",
    amounts={"city_points": 3, "district_points": 2},
    day_caps={"city_points": 12},
)
POLICIES = (
    ExpiryPolicy(
        key="month",
        label_zh="一个月",
        label_en="one month",
        currency="city_points",
        kind=ExpiryKind.AFTER_MONTHS,
        count=1,
    ),
    ExpiryPolicy(
        key="year",
        label_zh="年底",
        label_en="year end",
        currency="district_points",
        kind=ExpiryKind.END_OF_YEAR,
        count=0,
    ),
)

operation = st.tuples(
    st.sampled_from(["earn", "redeem", "reverse", "expire", "repeat"]),
    st.sampled_from(PEOPLE),
    st.integers(1, 8),
    st.integers(0, 24 * 20),
    st.integers(0, 10_000),
)


def sink(currency: str) -> str:
    """The redeemed sink of ``currency``."""
    return f"sink:redeemed:{currency}"


def snapshot(ledger: Ledger) -> dict[str, int]:
    """Every account's balance."""
    return {a.id: ledger.balance(a.id) for a in ledger.accounts()}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations=st.lists(operation, max_size=40))
def test_any_sequence_keeps_the_ledger_balanced_replayable_and_idempotent(
    operations: list[tuple[str, str, int, int, int]],
) -> None:
    """Earn, redeem, reverse, expire and repeat in any order: every invariant of issue 6 holds."""
    ledger = Ledger()
    desk = PointsDesk(ledger, [RULE], policies=POLICIES)
    for currency in CURRENCIES:
        ledger.open(Account(id=sink(currency), currency=currency, kind=AccountKind.SINK))
        for person in PEOPLE:
            ledger.open(
                Account(
                    id=f"person:{person}:{currency}", currency=currency, owner=f"person:{person}"
                )
            )
    now = START
    for n, (kind, person, amount, hours, pick) in enumerate(operations):
        now += timedelta(hours=hours)
        before, count = snapshot(ledger), len(ledger)
        booked = list(ledger)
        try:
            if kind == "earn":
                desk.record("patrol", key=f"log-{n}", person=person, at=now, quantity=amount)
            elif kind == "redeem":
                currency = CURRENCIES[pick % 2]
                ledger.open(
                    Account(
                        id=f"person:{person}:{currency}",
                        currency=currency,
                        owner=f"person:{person}",
                    )
                )
                ledger.transfer(
                    key=f"redeem:{n}",
                    at=now,
                    kind="redeem",
                    source=f"person:{person}:{currency}",
                    target=sink(currency),
                    amount=amount,
                )
            elif kind == "reverse" and booked:
                ledger.reverse(booked[pick % len(booked)].key, at=now)
            elif kind == "expire":
                desk.tick(now)
            elif kind == "repeat" and booked:
                again = booked[pick % len(booked)]
                assert ledger.post(again) is ledger.transaction(again.key)
                assert (snapshot(ledger), len(ledger)) == (before, count)
        except LedgerError:
            assert (snapshot(ledger), len(ledger)) == (before, count)

    for currency in CURRENCIES:
        assert ledger.total(currency) == 0
    for account in ledger.accounts():
        if not account.may_go_negative:
            assert ledger.balance(account.id) >= 0
    replayed = Ledger.replay(ledger, accounts=ledger.accounts())
    assert snapshot(replayed) == snapshot(ledger)
    for instant in {t.at for t in ledger}:
        for account in ledger.accounts():
            assert replayed.balance(account.id, as_of=instant) == ledger.balance(
                account.id, as_of=instant
            )
    holders = {a.id for a in ledger.accounts(kind=AccountKind.HOLDER)}
    lots = LotBook.of(ledger, holders.__contains__)
    for holder in holders:
        assert sum(lot.remaining for lot in lots.lots(holder)) == ledger.balance(holder)
    for transaction in list(ledger):
        ledger.post(transaction)
    assert snapshot(ledger) == snapshot(replayed)
    desk.tick(now)
    assert desk.tick(now) == ()
    assert all(ledger.total(currency) == 0 for currency in CURRENCIES)


def test_many_threads_spending_one_account_book_exactly_what_it_affords() -> None:
    """100 points, 8 threads each trying 30 spends of 3: exactly 33 pass, 1 point is left."""
    ledger = Ledger(
        accounts=[
            Account(id="issuer:city_points", currency="city_points", kind=AccountKind.ISSUER),
            Account(id="person:p1:city_points", currency="city_points"),
            Account(id=sink("city_points"), currency="city_points", kind=AccountKind.SINK),
        ]
    )
    ledger.transfer(
        key="earn:1",
        at=START,
        kind="earn",
        source="issuer:city_points",
        target="person:p1:city_points",
        amount=100,
    )
    passed: list[str] = []
    barrier = threading.Barrier(8)

    def spend(thread: int) -> None:
        barrier.wait()
        for attempt in range(30):
            key = f"redeem:{thread}:{attempt}"
            try:
                ledger.transfer(
                    key=key,
                    at=START,
                    kind="redeem",
                    source="person:p1:city_points",
                    target=sink("city_points"),
                    amount=3,
                )
            except InsufficientBalance:
                continue
            passed.append(key)

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 33
    assert ledger.balance("person:p1:city_points") == 1
    assert ledger.total("city_points") == 0
