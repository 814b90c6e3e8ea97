"""``Ledger.forget``: a long-running process drops stored history and keeps everything else."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.ledger import (
    Account,
    AccountKind,
    ForgottenHistory,
    InsufficientBalance,
    Ledger,
    LedgerError,
    UnknownAccount,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData

START = datetime(2026, 1, 5, 9, tzinfo=DEFAULT_TZ)
PEOPLE = ("p1", "p2", "p3")


def ledger_of() -> Ledger:
    """An issuer, a sink and three holders of city points."""
    ledger = Ledger()
    ledger.open(Account(id="issuer:city_points", currency="city_points", kind=AccountKind.ISSUER))
    ledger.open(
        Account(id="sink:redeemed:city_points", currency="city_points", kind=AccountKind.SINK)
    )
    for person in PEOPLE:
        ledger.open(Account(id=f"person:{person}:city_points", currency="city_points"))
    return ledger


move = st.tuples(st.booleans(), st.sampled_from(PEOPLE), st.integers(1, 9), st.integers(0, 30))


def book(ledger: Ledger, moves: list[tuple[bool, str, int, int]], first: int = 0) -> None:
    """Earn or redeem per move, each some hours after the last; refusals change nothing."""
    at = ledger.last_at or START
    for n, (earn, person, amount, hours) in enumerate(moves, start=first):
        at += timedelta(hours=hours)
        holder = f"person:{person}:city_points"
        source, target = (
            ("issuer:city_points", holder) if earn else (holder, "sink:redeemed:city_points")
        )
        with contextlib.suppress(InsufficientBalance):
            ledger.transfer(
                key=f"t{n}",
                at=at,
                kind="earn" if earn else "redeem",
                source=source,
                target=target,
                amount=amount,
            )


def balances(ledger: Ledger) -> dict[str, int]:
    """Every account's balance now."""
    return {a.id: ledger.balance(a.id) for a in ledger.accounts()}


@settings(max_examples=120, deadline=None)
@given(before=st.lists(move, max_size=30), after=st.lists(move, max_size=30), cut=st.floats(0, 1))
def test_forgetting_keeps_balances_numbering_and_idempotency(
    before: list[tuple[bool, str, int, int]],
    after: list[tuple[bool, str, int, int]],
    cut: float,
) -> None:
    """A ledger that forgets part of its history books exactly as one that keeps it all."""
    whole, forgetful = ledger_of(), ledger_of()
    book(whole, before)
    book(forgetful, before)
    upto = int(cut * len(forgetful))
    held = forgetful.forget(upto)
    assert held == len(forgetful) - upto
    assert (balances(forgetful), len(forgetful)) == (balances(whole), len(whole))
    assert forgetful.since(upto) == whole.since(upto)
    for transaction in whole.since(0)[:upto]:
        assert forgetful.booked(transaction.key)
        with pytest.raises(ForgottenHistory):
            forgetful.transaction(transaction.key)
        with pytest.raises(ForgottenHistory):
            forgetful.post(transaction)
        with pytest.raises(ForgottenHistory):
            forgetful.reverse(transaction.key, at=forgetful.last_at or START)
    book(whole, after, first=len(before))
    book(forgetful, after, first=len(before))
    assert forgetful.since(upto) == whole.since(upto)
    assert balances(forgetful) == balances(whole)
    assert forgetful.total("city_points") == 0
    if upto:
        horizon = whole.since(0)[upto - 1].at
        for account in whole.accounts():
            for transaction in whole.since(upto):
                assert forgetful.balance(account.id, as_of=transaction.at) == whole.balance(
                    account.id, as_of=transaction.at
                )
            assert forgetful.balance(account.id, as_of=horizon) == whole.balance(
                account.id, as_of=horizon
            )
            with pytest.raises(ForgottenHistory):
                forgetful.balance(account.id, as_of=horizon - timedelta(seconds=1))


def test_forget_refuses_a_count_out_of_range_and_changes_nothing() -> None:
    """``upto`` beyond what was booked, negative or not a number is refused, naming it."""
    ledger = ledger_of()
    book(ledger, [(True, "p1", 5, 1), (True, "p2", 3, 1)])
    for upto in (-1, 3, 1.5, True):
        with pytest.raises(InvalidData, match="upto"):
            ledger.forget(upto)  # type: ignore[arg-type]
    assert len(list(ledger)) == 2
    assert ledger.forget(1) == 1
    assert ledger.forget(0) == 1  # forgetting fewer than already forgotten: nothing happens
    with pytest.raises(ForgottenHistory):
        ledger.since(0)
    with pytest.raises(ForgottenHistory):
        ledger.transactions()
    assert [t.key for t in ledger] == ["t1"]


def test_forgetting_keys_lets_a_key_be_booked_again() -> None:
    """``keep_keys=False`` drops the keys too: the caller, not the ledger, refuses old keys."""
    ledger = ledger_of()
    book(ledger, [(True, "p1", 5, 1)])
    (first,) = list(ledger)
    ledger.forget(1, keep_keys=False)
    assert not ledger.booked(first.key)
    with pytest.raises(KeyError):
        ledger.transaction(first.key)
    again = ledger.transfer(
        key=first.key,
        at=first.at + timedelta(hours=1),
        kind="earn",
        source="issuer:city_points",
        target="person:p1:city_points",
        amount=5,
    )
    assert again.seq == 2
    assert ledger.balance("person:p1:city_points") == 10


def test_an_empty_account_closes_once_its_transactions_are_forgotten() -> None:
    """A spent hold leaves the ledger; a balance or a held transaction keeps it open."""
    ledger = ledger_of()
    ledger.open(Account(id="hold:r1:city_points", currency="city_points", kind=AccountKind.HOLD))
    book(ledger, [(True, "p1", 5, 1)])
    at = ledger.last_at or START
    ledger.transfer(
        key="h",
        at=at,
        kind="hold",
        source="person:p1:city_points",
        target="hold:r1:city_points",
        amount=5,
    )
    with pytest.raises(LedgerError, match="holds 5"):
        ledger.close("hold:r1:city_points")
    ledger.transfer(
        key="f",
        at=at,
        kind="redeem",
        source="hold:r1:city_points",
        target="sink:redeemed:city_points",
        amount=5,
    )
    with pytest.raises(LedgerError, match="still held"):
        ledger.close("hold:r1:city_points")
    ledger.forget(len(ledger))
    ledger.close("hold:r1:city_points")
    assert "hold:r1:city_points" not in {a.id for a in ledger.accounts()}
    assert ledger.total("city_points") == 0
    with pytest.raises(UnknownAccount):
        ledger.balance("hold:r1:city_points")
