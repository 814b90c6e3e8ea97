"""The points ledger (DOMAIN.md P1–P8, S4): double-entry, append-only, idempotent.

Every movement of points, time-bank minutes or micro-fund money is a :class:`Transaction`: a
set of :class:`Posting` records, one per account touched, whose amounts sum to zero in each
currency. Amounts are whole numbers in the currency's smallest unit (a point, a minute, a
fen), never floats. A transaction carries an idempotency ``key``: posting the same key again
books nothing and returns the transaction already booked, so a volunteer activity or a
redemption submitted twice counts once; the same key with different postings is refused.
Nothing is ever edited: a correction is a reversing transaction (:meth:`Ledger.reverse`).

Accounts are declared with a kind. Holders' accounts (a volunteer's points, a household's
time-bank minutes) may not go below zero; an issuer's account (where city points come from),
and any account declared ``overdraft=True``, may. A transaction that would take a holder below
zero is refused whole: a failed transaction books nothing.

The ledger is in memory and thread-safe (one lock around booking, so two redemptions of the
last points cannot both pass the balance check). A store persists its transactions; replaying
them into a fresh ledger (:meth:`Ledger.replay`) gives the same balances.
"""

from __future__ import annotations

import enum
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Any

import attrs

from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "BUILTIN_CURRENCIES",
    "CITY_POINTS",
    "DISTRICT_POINTS",
    "MICRO_FUND_FEN",
    "TIME_BANK_MINUTES",
    "Account",
    "AccountKind",
    "Currency",
    "ForgottenHistory",
    "IdempotencyConflict",
    "InsufficientBalance",
    "Ledger",
    "LedgerError",
    "Posting",
    "Transaction",
    "UnbalancedTransaction",
    "UnknownAccount",
]


# --------------------------------------------------------------------------- errors


class LedgerError(CivicGridError, ValueError):
    """A transaction was refused; the ledger is exactly as it was."""


class UnbalancedTransaction(LedgerError):
    """The postings of a transaction do not sum to zero in some currency."""

    def __init__(self, key: str, sums: Mapping[str, int]) -> None:
        self.key = key
        self.sums = dict(sums)
        off = ", ".join(f"{c}: {v:+d}" for c, v in sorted(self.sums.items()))
        super().__init__(
            f"transaction {key!r} does not balance ({off})",
            f"交易 {key!r} 借贷不平（{off}）",
        )


class InsufficientBalance(LedgerError):
    """A posting would take an account that may not go negative below zero."""

    def __init__(self, key: str, account: str, balance: int, amount: int) -> None:
        self.key = key
        self.account = account
        self.balance = balance
        self.amount = amount
        super().__init__(
            f"transaction {key!r}: account {account!r} holds {balance}, cannot give {-amount}",
            f"交易 {key!r}：账户 {account!r} 余额 {balance}，不足 {-amount}",
        )


class UnknownAccount(LedgerError, LookupError):
    """A posting names an account that was never opened."""

    def __init__(self, account: str) -> None:
        self.account = account
        super().__init__(f"unknown account {account!r}", f"未知账户 {account!r}")


class IdempotencyConflict(LedgerError):
    """A key already booked was submitted again with different contents."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"idempotency key {key!r} was already booked with different postings",
            f"幂等键 {key!r} 已用于另一笔不同的交易",
        )


class ForgottenHistory(LedgerError, LookupError):
    """The history asked for was dropped by :meth:`Ledger.forget` (a store holds it)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"{what} lies in the forgotten part of the ledger: read it from the store",
            f"{what} 属于已从内存中移除的账目：请从存储中读取",
        )


# --------------------------------------------------------------------------- currencies


@attrs.frozen(kw_only=True)
class Currency:
    """A unit the ledger counts: city points, time-bank minutes, micro-fund fen.

    Amounts are whole numbers of the smallest unit; ``per_unit`` says how many make one
    display unit (100 fen to the yuan, 60 minutes to the hour, 1 point to the point).
    """

    key: str
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str
    per_unit: int = 1

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        key: object = self.key
        if not isinstance(key, str) or not key:
            problems.append(Problem("key", "must be a non-empty string"))
        per_unit: object = self.per_unit
        if not isinstance(per_unit, int) or isinstance(per_unit, bool) or per_unit < 1:
            problems.append(Problem("per_unit", f"must be a whole number >= 1, not {per_unit!r}"))
        if problems:
            raise InvalidData(f"currency {self.key!r}", problems)


CITY_POINTS = Currency(
    key="city_points", label_zh="市级积分", label_en="city points", unit_zh="分", unit_en="point"
)
DISTRICT_POINTS = Currency(
    key="district_points",
    label_zh="区级积分",
    label_en="district points",
    unit_zh="分",
    unit_en="point",
)
TIME_BANK_MINUTES = Currency(
    key="time_bank",
    label_zh="时间银行",
    label_en="time bank",
    unit_zh="分钟",
    unit_en="minute",
    per_unit=60,
)
MICRO_FUND_FEN = Currency(
    key="micro_fund",
    label_zh="微基金",
    label_en="micro-fund",
    unit_zh="分",
    unit_en="fen",
    per_unit=100,
)
BUILTIN_CURRENCIES: tuple[Currency, ...] = (
    CITY_POINTS,
    DISTRICT_POINTS,
    TIME_BANK_MINUTES,
    MICRO_FUND_FEN,
)
"""Chengdu's dual points (P1 双积分), the time bank in minutes (P3) and micro-funds in fen (P5)."""


# --------------------------------------------------------------------------- accounts


class AccountKind(enum.StrEnum):
    """What an account is for; only issuers may go negative unless an account says so."""

    HOLDER = "holder"
    """A volunteer's, household's, worker's or micro grid's balance: never below zero."""
    ISSUER = "issuer"
    """Where a currency comes from (the city's points issue); its balance is minus the total
    issued, so every currency sums to zero."""
    HOLD = "hold"
    """Points or stock reserved for a redemption until it is fulfilled or released."""
    FUND = "fund"
    """A pool: a micro-fund, the community's backing of the time bank."""
    SINK = "sink"
    """Where spent or expired amounts go (redeemed rewards, expired points)."""

    @property
    def label_zh(self) -> str:
        """The Chinese label."""
        return _KIND_ZH[self]


_KIND_ZH = {
    AccountKind.HOLDER: "个人/集体账户",
    AccountKind.ISSUER: "发行账户",
    AccountKind.HOLD: "冻结账户",
    AccountKind.FUND: "资金池",
    AccountKind.SINK: "核销账户",
}


@attrs.frozen(kw_only=True)
class Account:
    """One account in one currency; ``owner`` is the person, organisation or unit it belongs to.

    ``overdraft`` lets a non-issuer account go below zero (a community that backs its time
    bank may owe hours). Issuers may always go negative.
    """

    id: str
    currency: str
    kind: AccountKind = AccountKind.HOLDER
    owner: str | None = None
    label: str = ""
    overdraft: bool = False

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("id", "currency"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(field, "must be a non-empty string"))
        kind: object = self.kind
        if not isinstance(kind, AccountKind):
            problems.append(Problem("kind", f"must be an AccountKind, not {kind!r}"))
        if problems:
            raise InvalidData(f"account {self.id!r}", problems)

    @property
    def may_go_negative(self) -> bool:
        """Whether a posting may take this account below zero."""
        return self.kind is AccountKind.ISSUER or self.overdraft


# --------------------------------------------------------------------------- transactions


@attrs.frozen(kw_only=True)
class Posting:
    """An amount (in the currency's smallest unit) into (+) or out of (−) one account."""

    account: str
    amount: int

    def __attrs_post_init__(self) -> None:
        account: object = self.account
        amount: object = self.amount
        problems: list[Problem] = []
        if not isinstance(account, str) or not account:
            problems.append(Problem("account", "must be a non-empty string"))
        if not isinstance(amount, int) or isinstance(amount, bool):
            problems.append(Problem("amount", f"must be a whole number, not {amount!r}"))
        elif amount == 0:
            problems.append(Problem("amount", "must not be zero"))
        if problems:
            raise InvalidData("posting", problems)


def _postings(value: Iterable[Posting]) -> tuple[Posting, ...]:
    return tuple(value)


def _data(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class Transaction:
    """A balanced set of postings booked at one instant, under one idempotency key.

    ``kind`` says what happened (``earn``, ``redeem``, ``hold``, ``release``, ``expire``,
    ``reverse``, ``award``, ``donate``, ``grant``, ``deposit``, ``withdraw`` … a city may use
    its own words); ``reverses`` names the transaction a reversal undoes; ``data`` keeps what
    it came from (the case and event that earned the points, the ranking an award came from).
    ``seq`` is its position in the ledger, set when booked.
    """

    key: str
    at: datetime
    kind: str
    postings: tuple[Posting, ...] = attrs.field(converter=_postings)
    memo: str = ""
    reverses: str | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=_data)
    seq: int = attrs.field(default=0, eq=False)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        key: object = self.key
        if not isinstance(key, str) or not key:
            problems.append(Problem("key", "must be a non-empty idempotency key"))
        at: object = self.at
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            problems.append(Problem("at", "must be a timezone-aware datetime"))
        kind: object = self.kind
        if not isinstance(kind, str) or not kind:
            problems.append(Problem("kind", "must be a non-empty string"))
        postings: tuple[object, ...] = self.postings
        if len(postings) < 2:
            problems.append(Problem("postings", "a transaction moves an amount between accounts"))
        problems.extend(
            Problem(f"postings[{i}]", "must be a Posting")
            for i, posting in enumerate(postings)
            if not isinstance(posting, Posting)
        )
        if problems:
            raise InvalidData(f"transaction {self.key!r}", problems)

    def same_booking(self, other: Transaction) -> bool:
        """Whether ``other`` books the same thing (ignoring ``seq`` and ``data``)."""
        return (
            self.key == other.key
            and self.at == other.at
            and self.kind == other.kind
            and sorted((p.account, p.amount) for p in self.postings)
            == sorted((p.account, p.amount) for p in other.postings)
            and self.reverses == other.reverses
        )


_TRANSACTION_FIELDS = tuple(a.name for a in attrs.fields(Transaction) if a.name != "seq")


def _numbered(transaction: Transaction, seq: int) -> Transaction:
    """Copy ``transaction`` with its ``seq``, without validating it again.

    ``attrs.evolve`` would run ``__attrs_post_init__`` a second time: about 30% of booking an
    earning, measured with ``bench/ledger.py``, for a transaction already checked when made.
    """
    booked = object.__new__(Transaction)
    for name in _TRANSACTION_FIELDS:
        object.__setattr__(booked, name, getattr(transaction, name))
    object.__setattr__(booked, "seq", seq)
    return booked


# --------------------------------------------------------------------------- the ledger


class Ledger:
    """Accounts and an append-only list of transactions; balances as of any instant.

    Transactions must be booked in time order per ledger (an earlier ``at`` than the last
    booked is refused), which keeps "balance as of" a binary search. Reading a balance is
    O(log n) in the account's postings.
    """

    __slots__ = (
        "_accounts",
        "_balances",
        "_by_key",
        "_currencies",
        "_forgotten",
        "_forgotten_keys",
        "_history",
        "_horizon",
        "_instants",
        "_last_at",
        "_lock",
        "_transactions",
    )

    def __init__(
        self,
        currencies: Iterable[Currency] = BUILTIN_CURRENCIES,
        accounts: Iterable[Account] = (),
    ) -> None:
        self._currencies: dict[str, Currency] = {}
        for currency in currencies:
            if currency.key in self._currencies:
                raise InvalidData("ledger", [Problem("currencies", f"duplicate {currency.key!r}")])
            self._currencies[currency.key] = currency
        self._accounts: dict[str, Account] = {}
        self._balances: dict[str, int] = {}
        self._history: dict[str, tuple[list[datetime], list[int]]] = {}
        self._transactions: list[Transaction] = []
        self._instants: list[datetime] = []
        self._by_key: dict[str, Transaction] = {}
        self._forgotten = 0
        self._forgotten_keys: set[str] = set()
        self._horizon: datetime | None = None
        self._last_at: datetime | None = None
        self._lock = threading.RLock()
        for account in accounts:
            self.open(account)

    # ----------------------------------------------------------------------- accounts

    @property
    def currencies(self) -> Mapping[str, Currency]:
        """The declared currencies, by key."""
        return MappingProxyType(self._currencies)

    def open(self, account: Account) -> Account:
        """Open an account; opening the same account again is a no-op, a different one refused."""
        with self._lock:
            existing = self._accounts.get(account.id)
            if existing is not None:
                if existing != account:
                    raise LedgerError(
                        f"account {account.id!r} is already open with other settings",
                        f"账户 {account.id!r} 已以不同设置开立",
                    )
                return existing
            if account.currency not in self._currencies:
                raise LedgerError(
                    f"account {account.id!r}: unknown currency {account.currency!r} "
                    f"(declared: {', '.join(sorted(self._currencies))})",
                    f"账户 {account.id!r}：未声明的币种 {account.currency!r}",
                )
            self._accounts[account.id] = account
            self._balances[account.id] = 0
            self._history[account.id] = ([], [])
            return account

    def account(self, account_id: str) -> Account:
        """Return the account, or raise :class:`UnknownAccount`."""
        try:
            return self._accounts[account_id]
        except KeyError:
            raise UnknownAccount(account_id) from None

    def accounts(
        self, *, currency: str | None = None, kind: AccountKind | None = None
    ) -> tuple[Account, ...]:
        """Return the open accounts, filtered by currency and kind."""
        return tuple(
            a
            for a in self._accounts.values()
            if (currency is None or a.currency == currency) and (kind is None or a.kind is kind)
        )

    # ----------------------------------------------------------------------- booking

    def post(self, transaction: Transaction) -> Transaction:
        """Book ``transaction`` and return it as booked (with its ``seq``).

        Idempotent: a key already booked returns the booked transaction when the contents are
        the same, and raises :class:`IdempotencyConflict` when they differ. Refused whole,
        booking nothing, with :class:`UnknownAccount`, :class:`UnbalancedTransaction`,
        :class:`InsufficientBalance` or :class:`LedgerError` (earlier than the last booked).
        """
        with self._lock:
            booked = self._by_key.get(transaction.key)
            if booked is not None:
                if booked.same_booking(transaction):
                    return booked
                raise IdempotencyConflict(transaction.key)
            if transaction.key in self._forgotten_keys:
                raise ForgottenHistory(f"transaction {transaction.key!r}, booked already,")
            last = self._last_at
            if last is not None and transaction.at < last:
                raise LedgerError(
                    f"transaction {transaction.key!r} at {transaction.at.isoformat()} is before "
                    f"the last booked ({last.isoformat()})",
                    f"交易 {transaction.key!r} 早于最近一笔已记账交易",
                )
            if transaction.reverses in self._forgotten_keys:
                raise ForgottenHistory(f"transaction {transaction.reverses!r}, to be reversed,")
            if transaction.reverses is not None and transaction.reverses not in self._by_key:
                raise LedgerError(
                    f"transaction {transaction.key!r} reverses unknown {transaction.reverses!r}",
                    f"交易 {transaction.key!r} 冲正的交易 {transaction.reverses!r} 不存在",
                )
            accounts = self._accounts
            sums: dict[str, int] = {}
            moves: dict[str, int] = {}
            for posting in transaction.postings:
                account = accounts.get(posting.account)
                if account is None:
                    raise UnknownAccount(posting.account)
                sums[account.currency] = sums.get(account.currency, 0) + posting.amount
                moves[posting.account] = moves.get(posting.account, 0) + posting.amount
            if any(sums.values()):
                raise UnbalancedTransaction(transaction.key, sums)
            balances = self._balances
            for account_id, amount in moves.items():
                after = balances[account_id] + amount
                if after < 0 and not accounts[account_id].may_go_negative:
                    raise InsufficientBalance(
                        transaction.key, account_id, balances[account_id], amount
                    )
            booked = _numbered(transaction, self._forgotten + len(self._transactions) + 1)
            at = transaction.at
            for account_id, amount in moves.items():
                balances[account_id] += amount
                instants, running = self._history[account_id]
                instants.append(at)
                running.append(balances[account_id])
            self._transactions.append(booked)
            self._instants.append(at)
            self._by_key[booked.key] = booked
            self._last_at = at
            return booked

    def forget(self, upto: int, *, keep_keys: bool = True) -> int:
        """Drop the first ``upto`` booked transactions from memory; return how many are held.

        For a long-running process whose transactions a store holds already (the simulation
        calls it after each commit): balances, accounts, the numbering (``len``, ``since``) and
        the idempotency of every key stay, so memory no longer grows with history. What was
        dropped cannot be read back here: ``transaction``, ``reverse``, ``since`` and
        ``transactions`` reaching into it, and a balance as of an instant before the last
        dropped transaction, raise :class:`ForgottenHistory`; iterating yields the
        transactions still held. Forgetting fewer than already forgotten is a no-op.

        ``keep_keys=False`` forgets the dropped transactions' keys too, so memory stays flat
        even with millions of them; a key posted again after that is booked again. Use it only
        when every poster refuses its own old keys itself (the points desk refuses activities
        before its :meth:`~civicgrid.PointsDesk.forget` horizon; the redemption desk refuses a
        forgotten redemption id), as the simulation does.
        """
        with self._lock:
            total = self._forgotten + len(self._transactions)
            given: object = upto
            if not isinstance(given, int) or isinstance(given, bool) or not 0 <= given <= total:
                raise InvalidData(
                    "ledger", [Problem("upto", f"must be a whole number in [0, {total}]")]
                )
            drop = upto - self._forgotten
            if drop <= 0:
                return len(self._transactions)
            gone = self._transactions[:drop]
            horizon = gone[-1].at
            for transaction in gone:
                del self._by_key[transaction.key]
                if keep_keys:
                    self._forgotten_keys.add(transaction.key)
            del self._transactions[:drop]
            del self._instants[:drop]
            for instants, running in self._history.values():
                # Keep the last posting before the horizon as the base of later balances.
                cut = bisect_left(instants, horizon) - 1
                if cut > 0:
                    del instants[:cut]
                    del running[:cut]
            self._forgotten = upto
            self._horizon = horizon
            return len(self._transactions)

    def close(self, account_id: str) -> None:
        """Remove an empty account no held transaction touches (a spent redemption's hold).

        For a long-running process: with :meth:`forget`, an account used once (one hold per
        redemption) leaves memory once its transactions are stored. Refused with
        :class:`LedgerError`, changing nothing, when the balance is not zero or a transaction
        still held here posts to it; an unknown account raises :class:`UnknownAccount`.
        Posting to a closed account afterwards is refused as to any unknown account.
        """
        with self._lock:
            self.account(account_id)
            if self._balances[account_id]:
                raise LedgerError(
                    f"account {account_id!r} holds {self._balances[account_id]}: not closed",
                    f"账户 {account_id!r} 余额不为零，不能关闭",
                )
            if any(p.account == account_id for t in self._transactions for p in t.postings):
                raise LedgerError(
                    f"account {account_id!r} has transactions still held: forget them first",
                    f"账户 {account_id!r} 仍有内存中的交易，不能关闭",
                )
            del self._accounts[account_id]
            del self._balances[account_id]
            del self._history[account_id]

    def booked(self, key: str) -> bool:
        """Whether a transaction was booked under ``key`` (forgotten ones included)."""
        return key in self._by_key or key in self._forgotten_keys

    def transfer(
        self,
        *,
        key: str,
        at: datetime,
        kind: str,
        source: str,
        target: str,
        amount: int,
        memo: str = "",
        data: Mapping[str, Any] | None = None,
    ) -> Transaction:
        """Book ``amount`` from ``source`` to ``target`` (the common two-posting case)."""
        given: object = amount
        if not isinstance(given, int) or isinstance(given, bool) or given <= 0:
            raise InvalidData(
                "transfer", [Problem("amount", f"must be a whole number > 0, not {amount!r}")]
            )
        return self.post(
            Transaction(
                key=key,
                at=at,
                kind=kind,
                postings=(
                    Posting(account=source, amount=-amount),
                    Posting(account=target, amount=amount),
                ),
                memo=memo,
                data=data or {},
            )
        )

    def reverse(
        self, key: str, *, at: datetime, reversal_key: str | None = None, memo: str = ""
    ) -> Transaction:
        """Book the reversal of transaction ``key``: every posting negated, ``reverses`` set.

        A transaction is reversed at most once (the reversal's key defaults to
        ``reverse:<key>``, so reversing twice books once). The reversal is refused like any
        transaction when it would take a holder below zero (points already spent).
        """
        with self._lock:
            original = self._by_key.get(key)
            if original is None and key in self._forgotten_keys:
                raise ForgottenHistory(f"transaction {key!r}, to be reversed,")
            if original is None:
                raise LedgerError(
                    f"no transaction {key!r} to reverse", f"不存在可冲正的交易 {key!r}"
                )
            return self.post(
                Transaction(
                    key=reversal_key or f"reverse:{key}",
                    at=at,
                    kind="reverse",
                    postings=tuple(
                        Posting(account=p.account, amount=-p.amount) for p in original.postings
                    ),
                    memo=memo or f"reversal of {key}",
                    reverses=key,
                )
            )

    # ----------------------------------------------------------------------- reading

    def balance(
        self, account_id: str, *, as_of: datetime | date | None = None, tz: tzinfo = DEFAULT_TZ
    ) -> int:
        """Return the balance now, or as of an instant (a date means its end, in ``tz``)."""
        self.account(account_id)
        if as_of is None:
            return self._balances[account_id]
        if not isinstance(as_of, datetime):
            as_of = datetime.combine(as_of + timedelta(days=1), time(), tz)
        horizon = self._horizon
        if horizon is not None and as_of < horizon:
            raise ForgottenHistory(f"the balance of {account_id!r} as of {as_of.isoformat()}")
        instants, running = self._history[account_id]
        i = bisect_right(instants, as_of)
        return running[i - 1] if i else 0

    def total(self, currency: str) -> int:
        """Return the sum of every account in ``currency``: always 0 (a check, not a figure)."""
        return sum(self._balances[a.id] for a in self._accounts.values() if a.currency == currency)

    @property
    def last_at(self) -> datetime | None:
        """The instant of the last booked transaction (``None`` when nothing is booked).

        Bookings must not be earlier than this.
        """
        with self._lock:
            return self._last_at

    def since(self, seq: int) -> tuple[Transaction, ...]:
        """Return the transactions booked after the ``seq``-th, in booking order."""
        with self._lock:
            if seq < self._forgotten:
                raise ForgottenHistory(f"transaction {max(seq, 0) + 1}")
            return tuple(self._transactions[seq - self._forgotten :])

    def __len__(self) -> int:
        """Return the number of transactions booked, forgotten ones included."""
        return self._forgotten + len(self._transactions)

    def __iter__(self) -> Iterator[Transaction]:
        """Yield every booked transaction held (not forgotten), in booking order."""
        return iter(list(self._transactions))

    def transaction(self, key: str) -> Transaction:
        """Return the transaction booked under ``key`` (``KeyError`` if none).

        A forgotten one raises :class:`ForgottenHistory` (also a ``LookupError``).
        """
        found = self._by_key.get(key)
        if found is None:
            if key in self._forgotten_keys:
                raise ForgottenHistory(f"transaction {key!r}")
            raise KeyError(key)
        return found

    def transactions(
        self,
        *,
        account: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[Transaction, ...]:
        """Return transactions touching ``account`` with ``start <= at < end``, in order.

        Transactions are booked in time order, so the period is found by binary search.
        """
        with self._lock:
            horizon = self._horizon
            if horizon is not None and (start is None or start <= horizon):
                raise ForgottenHistory(f"transactions from {start or 'the first'}")
            first = 0 if start is None else bisect_left(self._instants, start)
            last = len(self._instants) if end is None else bisect_left(self._instants, end)
            window = self._transactions[first:last]
        if account is None:
            return tuple(window)
        return tuple(t for t in window if any(p.account == account for p in t.postings))

    @classmethod
    def replay(
        cls,
        transactions: Iterable[Transaction],
        *,
        currencies: Iterable[Currency] = BUILTIN_CURRENCIES,
        accounts: Iterable[Account] = (),
    ) -> Ledger:
        """Rebuild a ledger from stored transactions; raises as :meth:`post` would on bad data."""
        ledger = cls(currencies, accounts)
        for transaction in transactions:
            ledger.post(attrs.evolve(transaction, seq=0))
        return ledger
