"""The ledger core: booking, idempotency, refusals that leave it as it was, balances as of."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from civicgrid.domain.ledger import (
    Account,
    AccountKind,
    Currency,
    IdempotencyConflict,
    InsufficientBalance,
    Ledger,
    LedgerError,
    Posting,
    Transaction,
    UnbalancedTransaction,
    UnknownAccount,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData

AT = datetime(2026, 3, 1, 9, tzinfo=DEFAULT_TZ)
ISSUER = "issuer:city_points"
P1 = "person:p1:city_points"
P2 = "person:p2:city_points"


@pytest.fixture
def ledger() -> Ledger:
    """The city issuer and two volunteers' accounts."""
    return Ledger(
        accounts=[
            Account(id=ISSUER, currency="city_points", kind=AccountKind.ISSUER),
            Account(id=P1, currency="city_points"),
            Account(id=P2, currency="city_points"),
            Account(id="person:p1:district_points", currency="district_points"),
        ]
    )


def earn(ledger: Ledger, key: str, amount: int, at: datetime = AT) -> Transaction:
    """Earn ``amount`` city points into p1."""
    return ledger.transfer(key=key, at=at, kind="earn", source=ISSUER, target=P1, amount=amount)


def test_an_earning_moves_points_from_the_issuer_and_sums_to_zero(ledger: Ledger) -> None:
    """10 points to p1: the issuer is at -10, the currency at 0, the transaction is seq 1."""
    booked = earn(ledger, "earn:1", 10)
    assert (ledger.balance(P1), ledger.balance(ISSUER), ledger.total("city_points")) == (10, -10, 0)
    assert booked.seq == 1


def test_the_same_key_books_once_and_different_contents_are_refused(ledger: Ledger) -> None:
    """Posting a key again returns the booked transaction; other postings under it conflict."""
    first = earn(ledger, "earn:1", 10)
    assert earn(ledger, "earn:1", 10) is first
    with pytest.raises(IdempotencyConflict) as conflict:
        earn(ledger, "earn:1", 11)
    assert conflict.value.key == "earn:1"
    assert (len(ledger), ledger.balance(P1)) == (1, 10)


def test_a_holder_cannot_go_below_zero_and_the_refusal_books_nothing(ledger: Ledger) -> None:
    """p1 holds 5 and gives 6: refused naming the account; both balances unchanged."""
    earn(ledger, "earn:1", 5)
    with pytest.raises(InsufficientBalance) as refused:
        ledger.transfer(key="t", at=AT, kind="transfer", source=P1, target=P2, amount=6)
    assert (refused.value.account, refused.value.balance, refused.value.amount) == (P1, 5, -6)
    assert "余额" in str(refused.value)
    assert (ledger.balance(P1), ledger.balance(P2), len(ledger)) == (5, 0, 1)


def test_an_unbalanced_transaction_is_refused_with_its_sums(ledger: Ledger) -> None:
    """+3 against -2 does not balance: the sums are named and nothing is booked."""
    lopsided = Transaction(
        key="bad",
        at=AT,
        kind="earn",
        postings=[Posting(account=ISSUER, amount=-2), Posting(account=P1, amount=3)],
    )
    with pytest.raises(UnbalancedTransaction) as refused:
        ledger.post(lopsided)
    assert refused.value.sums == {"city_points": 1}
    assert len(ledger) == 0


def test_each_currency_must_balance_on_its_own(ledger: Ledger) -> None:
    """City points out, district points in: both currencies are off, refused."""
    crossed = Transaction(
        key="x",
        at=AT,
        kind="earn",
        postings=[
            Posting(account=ISSUER, amount=-2),
            Posting(account="person:p1:district_points", amount=2),
        ],
    )
    with pytest.raises(UnbalancedTransaction):
        ledger.post(crossed)


def test_an_unknown_account_is_refused(ledger: Ledger) -> None:
    """A posting to an account never opened is a LookupError naming it."""
    with pytest.raises(UnknownAccount) as refused:
        ledger.transfer(key="t", at=AT, kind="earn", source=ISSUER, target="nobody", amount=1)
    assert isinstance(refused.value, LookupError)
    assert refused.value.account == "nobody"


def test_an_instant_before_the_last_booked_is_refused(ledger: Ledger) -> None:
    """Transactions are booked in time order."""
    earn(ledger, "earn:1", 1)
    with pytest.raises(LedgerError):
        earn(ledger, "earn:0", 1, at=AT - timedelta(seconds=1))
    assert len(ledger) == 1


def test_a_reversal_negates_once_and_is_refused_when_points_are_spent(ledger: Ledger) -> None:
    """Reversing twice books once; reversing an earn already spent is refused whole."""
    earn(ledger, "earn:1", 4)
    reversal = ledger.reverse("earn:1", at=AT)
    assert ledger.reverse("earn:1", at=AT) is reversal
    assert (reversal.reverses, ledger.balance(P1)) == ("earn:1", 0)
    earn(ledger, "earn:2", 4)
    ledger.transfer(key="t", at=AT, kind="transfer", source=P1, target=P2, amount=3)
    with pytest.raises(InsufficientBalance):
        ledger.reverse("earn:2", at=AT)
    with pytest.raises(LedgerError):
        ledger.reverse("never", at=AT)


def test_balances_as_of_an_instant_and_a_date(ledger: Ledger) -> None:
    """A date means its end in Shanghai; before the first posting the balance is 0."""
    earn(ledger, "earn:1", 3)
    earn(ledger, "earn:2", 4, at=AT + timedelta(days=1))
    assert ledger.balance(P1, as_of=AT - timedelta(seconds=1)) == 0
    assert ledger.balance(P1, as_of=AT) == 3
    assert ledger.balance(P1, as_of=date(2026, 3, 1)) == 3
    assert ledger.balance(P1, as_of=date(2026, 3, 2)) == 7


def test_transactions_filter_by_account_and_window(ledger: Ledger) -> None:
    """Only p2's transfer touches p2; the window is start-inclusive and end-exclusive."""
    earn(ledger, "earn:1", 3)
    ledger.transfer(
        key="t", at=AT + timedelta(hours=1), kind="transfer", source=P1, target=P2, amount=1
    )
    assert [t.key for t in ledger.transactions(account=P2)] == ["t"]
    assert [t.key for t in ledger.transactions(start=AT, end=AT + timedelta(hours=1))] == ["earn:1"]


def test_opening_accounts_is_idempotent_and_checked(ledger: Ledger) -> None:
    """The same account again is a no-op; other settings or an undeclared currency refused."""
    assert ledger.open(Account(id=P1, currency="city_points")).id == P1
    with pytest.raises(LedgerError):
        ledger.open(Account(id=P1, currency="city_points", overdraft=True))
    with pytest.raises(LedgerError, match="unknown currency"):
        ledger.open(Account(id="x", currency="stars"))
    assert len(ledger.accounts(currency="city_points", kind=AccountKind.HOLDER)) == 2


def test_bad_values_are_refused_naming_the_field() -> None:
    """Zero postings, naive instants, zero transfers and bad currencies name their fields."""
    with pytest.raises(InvalidData) as bad:
        Posting(account="", amount=0)
    assert {p.path for p in bad.value.problems} == {"account", "amount"}
    with pytest.raises(InvalidData) as naive:
        Transaction(key="k", at=datetime(2026, 1, 1), kind="earn", postings=[])  # noqa: DTZ001
    assert {p.path for p in naive.value.problems} == {"at", "postings"}
    with pytest.raises(InvalidData):
        Currency(key="c", label_zh="c", label_en="c", unit_zh="c", unit_en="c", per_unit=0)
    with pytest.raises(InvalidData):
        Ledger().transfer(key="k", at=AT, kind="earn", source="a", target="b", amount=0)


def test_replay_rebuilds_every_balance(ledger: Ledger) -> None:
    """Replaying the transactions into a fresh ledger gives the same balances."""
    earn(ledger, "earn:1", 3)
    ledger.transfer(key="t", at=AT, kind="transfer", source=P1, target=P2, amount=2)
    again = Ledger.replay(ledger, accounts=ledger.accounts())
    assert {a.id: again.balance(a.id) for a in again.accounts()} == {
        a.id: ledger.balance(a.id) for a in ledger.accounts()
    }
