"""The time bank (DOMAIN.md P3, 时间银行, Wuwei Shuangqiao): hours served, banked, drawn on.

A volunteer's service is deposited, in minutes, when the *recipient* confirms it (a
:class:`ServiceConfirmation`: who served whom, how long, doing what); the volunteer draws on
the balance when they receive service themselves (a :class:`ServiceReceipt`). The community
backs the bank: deposits come out of its account ``timebank:<community>`` and withdrawals go
back into it, so the account may go below zero (overdraft): minus its balance is the hours
the community owes its volunteers. A volunteer's minutes are in ``person:<id>:time_bank``,
which never goes below zero.

Every movement is a ledger transaction (kind ``deposit`` or ``withdraw``, key
``timebank:<community>:deposit:<confirmation id>`` / ``…:withdraw:<receipt id>``), so a
confirmation submitted twice is deposited once, and :meth:`TimeBank.report` is derived from
the ledger, never typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

import attrs

from civicgrid.domain.ledger import (
    TIME_BANK_MINUTES,
    Account,
    AccountKind,
    Ledger,
    Transaction,
    UnknownAccount,
)
from civicgrid.domain.people import Roster
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "ServiceConfirmation",
    "ServiceReceipt",
    "TimeBank",
    "TimeBankReport",
]

CURRENCY = TIME_BANK_MINUTES.key
_INSTANT = timedelta(microseconds=1)


def _record_problems(
    record: ServiceConfirmation | ServiceReceipt, people: tuple[str, ...]
) -> list[Problem]:
    problems: list[Problem] = []
    for field in ("id", *people, "what"):
        value: object = getattr(record, field)
        if not isinstance(value, str) or not value:
            problems.append(Problem(field, "must be a non-empty string"))
    minutes: object = record.minutes
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        problems.append(
            Problem("minutes", f"must be a whole number of minutes > 0, not {minutes!r}")
        )
    at: object = record.at
    if not isinstance(at, datetime) or at.utcoffset() is None:
        problems.append(Problem("at", "must be a timezone-aware datetime"))
    return problems


@attrs.frozen(kw_only=True)
class ServiceConfirmation:
    """The recipient's confirmation that ``volunteer`` served them ``minutes`` doing ``what``.

    The recipient confirms, never the volunteer: a confirmation by oneself is refused.
    """

    id: str
    volunteer: str
    recipient: str
    minutes: int
    what: str
    at: datetime

    def __attrs_post_init__(self) -> None:
        problems = _record_problems(self, ("volunteer", "recipient"))
        if self.volunteer == self.recipient:
            problems.append(
                Problem("recipient", f"{self.recipient!r} cannot confirm their own service")
            )
        if problems:
            raise InvalidData(f"service confirmation {self.id!r}", problems)


@attrs.frozen(kw_only=True)
class ServiceReceipt:
    """``person`` received ``minutes`` of service (``what``, from ``provider`` if known)."""

    id: str
    person: str
    minutes: int
    what: str
    at: datetime
    provider: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = _record_problems(self, ("person",))
        provider: object = self.provider
        if provider is not None and (not isinstance(provider, str) or not provider):
            problems.append(Problem("provider", "must be a non-empty string or None"))
        if provider == self.person:
            problems.append(Problem("provider", "a person cannot serve themself from the bank"))
        if problems:
            raise InvalidData(f"service receipt {self.id!r}", problems)


def _balances(value: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class TimeBankReport:
    """The community's position and each person's balance, in minutes, as of an instant."""

    community: str
    as_of: datetime | None
    deposited: int
    withdrawn: int
    community_balance: int
    """The backing account's balance: minus what the community owes (overdraft below 0)."""
    balances: Mapping[str, int] = attrs.field(converter=_balances)
    """Minutes held by each person who served or was served through this bank."""

    @property
    def outstanding(self) -> int:
        """Minutes deposited and not yet drawn: what the community backs."""
        return self.deposited - self.withdrawn

    @property
    def outstanding_hours(self) -> float:
        """The outstanding minutes in hours (for display; the ledger counts minutes)."""
        return self.outstanding / TIME_BANK_MINUTES.per_unit


class TimeBank:
    """A community's time bank on a shared ledger; people must be known to ``roster``.

    Accounts are opened as needed: the community's (a FUND with overdraft) and each person's
    ``person:<id>:time_bank`` (a HOLDER). Deposits and withdrawals are booked at the record's
    instant, so they follow the ledger's rule that time runs forward.
    """

    __slots__ = ("_account", "_community", "_ledger", "_roster")

    def __init__(self, ledger: Ledger, *, community: str, roster: Roster) -> None:
        if not community:
            raise InvalidData("time bank", [Problem("community", "must be a non-empty string")])
        self._ledger = ledger
        self._community = community
        self._roster = roster
        self._account = ledger.open(
            Account(
                id=f"timebank:{community}",
                currency=CURRENCY,
                kind=AccountKind.FUND,
                owner=community,
                label="time bank backing",
                overdraft=True,
            )
        ).id

    @property
    def account(self) -> str:
        """The community's backing account id, ``timebank:<community>``."""
        return self._account

    def person_account(self, person: str) -> str:
        """Return ``person``'s time-bank account id (``person:<id>:time_bank``)."""
        return f"person:{person}:{CURRENCY}"

    def _open(self, person: str) -> str:
        self._roster.person(person)
        return self._ledger.open(
            Account(id=self.person_account(person), currency=CURRENCY, owner=f"person:{person}")
        ).id

    def deposit(self, confirmation: ServiceConfirmation) -> Transaction:
        """Deposit the confirmed minutes to the volunteer; the community backs them.

        Refused with :class:`~civicgrid.UnknownPerson` when the volunteer or the recipient is
        not in the roster; the same confirmation again books nothing new.
        """
        self._roster.person(confirmation.recipient)
        target = self._open(confirmation.volunteer)
        return self._ledger.transfer(
            key=f"timebank:{self._community}:deposit:{confirmation.id}",
            at=confirmation.at,
            kind="deposit",
            source=self._account,
            target=target,
            amount=confirmation.minutes,
            memo=confirmation.what,
            data={
                "volunteer": confirmation.volunteer,
                "recipient": confirmation.recipient,
                "confirmation": confirmation.id,
            },
        )

    def withdraw(self, receipt: ServiceReceipt) -> Transaction:
        """Draw the minutes of a service received from the person's balance.

        Refused whole with :class:`~civicgrid.InsufficientBalance` when the person holds fewer
        minutes, and with :class:`~civicgrid.UnknownPerson` for someone not in the roster.
        """
        source = self._open(receipt.person)
        return self._ledger.transfer(
            key=f"timebank:{self._community}:withdraw:{receipt.id}",
            at=receipt.at,
            kind="withdraw",
            source=source,
            target=self._account,
            amount=receipt.minutes,
            memo=receipt.what,
            data={"person": receipt.person, "provider": receipt.provider, "receipt": receipt.id},
        )

    def balance(self, person: str, *, as_of: datetime | None = None) -> int:
        """Return the minutes ``person`` holds (0 for someone who never used the bank)."""
        self._roster.person(person)
        try:
            return self._ledger.balance(self.person_account(person), as_of=as_of)
        except UnknownAccount:
            return 0

    def report(self, *, as_of: datetime | None = None) -> TimeBankReport:
        """Return the community's position and per-person balances, derived from the ledger.

        Reversals count against what they reverse (a reversed deposit is not deposited).
        """
        end = None if as_of is None else as_of + _INSTANT
        deposited = withdrawn = 0
        people: set[str] = set()
        for t in self._ledger.transactions(account=self._account, end=end):
            # A reversal's postings are already negated: count it under what it reverses.
            kind = t.kind if t.reverses is None else self._ledger.transaction(t.reverses).kind
            into = sum(p.amount for p in t.postings if p.account == self._account)
            if kind == "deposit":
                deposited -= into
            elif kind == "withdraw":
                withdrawn += into
            people.update(p.account for p in t.postings if p.account != self._account)
        return TimeBankReport(
            community=self._community,
            as_of=as_of,
            deposited=deposited,
            withdrawn=withdrawn,
            community_balance=self._ledger.balance(self._account, as_of=as_of),
            balances={_person_of(a): self._ledger.balance(a, as_of=as_of) for a in sorted(people)},
        )


def _person_of(account: str) -> str:
    """Return the person id of ``person:<id>:time_bank`` (other ids as they are)."""
    return account.removeprefix("person:").removesuffix(f":{CURRENCY}")
