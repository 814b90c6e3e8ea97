"""Points expiry (issue 6, part 3): declared policies and first earned, first spent.

An :class:`ExpiryPolicy` says when points of one currency lapse: at the end of the year
``count`` years after the year they were earned (``count=1``: points earned in 2025 lapse
at 00:00 on 1 January 2027, Asia/Shanghai), or ``count`` months after the instant they were
earned, computed with dateutil's ``relativedelta`` in the policy's timezone. A month or year
that lands on a day the month does not have is clipped to the month's last day (dateutil
documents ``date(2003, 1, 31) + relativedelta(months=+1) == date(2003, 2, 28)``), so points
earned on 29 February 2024 with a twelve-month policy lapse on **28 February 2025** at the
same time of day, not on 1 March.

Expiry is first earned, first spent: :class:`LotBook` rebuilds each holder account's lots
from the ledger's transactions, one lot per amount received. Spending takes the oldest lots
first; the reversal of an earn takes back from the lot it made; the reversal of a spending
gives back to the lots it took from (so returned points keep their age); an expiry takes the
lots it names. :func:`due` groups what is left of each lapsed lot into the expiry
transactions to book; only what is left of a lot ever expires.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, time, tzinfo

import attrs
from dateutil.relativedelta import relativedelta

from civicgrid.domain.ledger import Posting, Transaction
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData, Problem

__all__ = ["ExpiryDue", "ExpiryKind", "ExpiryPolicy", "Lot", "LotBook", "due", "expired_account"]


class ExpiryKind(enum.StrEnum):
    """How an expiry policy counts."""

    END_OF_YEAR = "end_of_year"
    """At the end of the calendar year ``count`` years after the year earned."""
    AFTER_MONTHS = "after_months"
    """``count`` calendar months after the instant earned (``relativedelta``)."""

    @property
    def label_zh(self) -> str:
        """The Chinese label."""
        return {ExpiryKind.END_OF_YEAR: "逐年清零", ExpiryKind.AFTER_MONTHS: "按月有效期"}[self]

    @property
    def label_en(self) -> str:
        """The English label."""
        return {
            ExpiryKind.END_OF_YEAR: "at a year's end",
            ExpiryKind.AFTER_MONTHS: "months after earning",
        }[self]


@attrs.frozen(kw_only=True)
class ExpiryPolicy:
    """When points of ``currency`` lapse; one policy per currency."""

    key: str
    label_zh: str
    label_en: str
    currency: str
    kind: ExpiryKind
    count: int
    tz: tzinfo = DEFAULT_TZ

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("key", "label_zh", "label_en", "currency"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(field, "must be a non-empty string"))
        kind: object = self.kind
        if not isinstance(kind, ExpiryKind):
            problems.append(Problem("kind", f"must be an ExpiryKind, not {kind!r}"))
        count: object = self.count
        least = 0 if self.kind is ExpiryKind.END_OF_YEAR else 1
        if not isinstance(count, int) or isinstance(count, bool) or count < least:
            problems.append(Problem("count", f"must be a whole number >= {least}, not {count!r}"))
        if problems:
            raise InvalidData(f"expiry policy {self.key!r}", problems)

    def expires_at(self, earned_at: datetime) -> datetime:
        """Return the instant points earned at ``earned_at`` lapse (aware, in ``tz``)."""
        local = earned_at.astimezone(self.tz)
        if self.kind is ExpiryKind.END_OF_YEAR:
            return datetime.combine(
                local.date().replace(year=local.year + self.count + 1, month=1, day=1),
                time(),
                self.tz,
            )
        return local + relativedelta(months=self.count)


def expired_account(currency: str) -> str:
    """Return the agreed sink for lapsed points: ``sink:expired:<currency>``."""
    return f"sink:expired:{currency}"


@attrs.frozen(kw_only=True)
class Lot:
    """An amount received by a holder account: what it was, what is left and when it lapses."""

    account: str
    source: str
    """The key of the transaction that brought it in."""
    earned_at: datetime
    amount: int
    remaining: int


class _Lot:
    """A lot while the book is folded: mutable, slotted."""

    __slots__ = ("amount", "earned_at", "remaining", "source")

    def __init__(self, source: str, earned_at: datetime, amount: int) -> None:
        self.source = source
        self.earned_at = earned_at
        self.amount = amount
        self.remaining = amount


class LotBook:
    """Holder accounts' lots, rebuilt by folding the ledger's transactions in booking order."""

    __slots__ = ("_consumed", "_lots", "_made", "_tracked")

    def __init__(self, tracked: Callable[[str], bool]) -> None:
        """Track the accounts for which ``tracked(account id)`` is true."""
        self._tracked = tracked
        self._lots: dict[str, list[_Lot]] = {}
        self._made: dict[tuple[str, str], int] = {}
        self._consumed: dict[tuple[str, str], list[tuple[int, int]]] = {}

    @classmethod
    def of(cls, transactions: Iterable[Transaction], tracked: Callable[[str], bool]) -> LotBook:
        """Return the book after folding ``transactions``."""
        book = cls(tracked)
        for transaction in transactions:
            book.fold(transaction)
        return book

    def fold(self, transaction: Transaction) -> None:
        """Apply one transaction's postings to the tracked accounts' lots."""
        named = transaction.data.get("lots") if transaction.kind == "expire" else None
        for posting in transaction.postings:
            account = posting.account
            if not self._tracked(account):
                continue
            lots = self._lots.setdefault(account, [])
            if posting.amount > 0:
                self._receive(transaction, account, lots, posting.amount)
            else:
                self._give(transaction, account, lots, -posting.amount, named)

    def _receive(
        self, transaction: Transaction, account: str, lots: list[_Lot], amount: int
    ) -> None:
        taken = self._consumed.get((transaction.reverses or "", account), [])
        for index, part in reversed(taken):
            back = min(part, amount)
            lots[index].remaining += back
            amount -= back
            if not amount:
                return
        self._made[(transaction.key, account)] = len(lots)
        lots.append(_Lot(transaction.key, transaction.at, amount))

    def _give(
        self,
        transaction: Transaction,
        account: str,
        lots: list[_Lot],
        amount: int,
        named: object,
    ) -> None:
        order: list[int] = []
        if isinstance(named, Mapping):
            index_of = {lot.source: i for i, lot in enumerate(lots)}
            order.extend(index_of[s] for s in named if s in index_of)
        made = self._made.get((transaction.reverses or "", account))
        if made is not None:
            order.append(made)
        order.extend(range(len(lots)))
        taken: list[tuple[int, int]] = []
        for index in order:
            left = lots[index].remaining
            if left <= 0:
                continue
            part = min(left, amount)
            lots[index].remaining = left - part
            taken.append((index, part))
            amount -= part
            if not amount:
                break
        self._consumed[(transaction.key, account)] = taken

    def lots(self, account: str) -> tuple[Lot, ...]:
        """Return the account's lots, oldest first (spent ones included, with 0 remaining)."""
        return tuple(
            Lot(
                account=account,
                source=lot.source,
                earned_at=lot.earned_at,
                amount=lot.amount,
                remaining=lot.remaining,
            )
            for lot in self._lots.get(account, [])
        )

    def accounts(self) -> tuple[str, ...]:
        """Return the tracked accounts that have received anything."""
        return tuple(self._lots)


@attrs.frozen(kw_only=True)
class ExpiryDue:
    """Lapsed lots of one account with one expiry instant: one expiry transaction to book."""

    account: str
    currency: str
    policy: str
    expires_at: datetime
    lots: tuple[tuple[str, int], ...]
    """(source transaction key, amount left) of each lapsed lot."""

    @property
    def amount(self) -> int:
        """The total that lapses."""
        return sum(part for _, part in self.lots)

    @property
    def key(self) -> str:
        """The idempotency key: ``expire:<account>:<expiry instant>``."""
        return f"expire:{self.account}:{self.expires_at.isoformat()}"

    def transaction(self, *, at: datetime, key: str | None = None) -> Transaction:
        """Return the expiry transaction, booked at ``at`` (the tick), into the expired sink."""
        return Transaction(
            key=key or self.key,
            at=at,
            kind="expire",
            postings=(
                Posting(account=self.account, amount=-self.amount),
                Posting(account=expired_account(self.currency), amount=self.amount),
            ),
            memo=f"{self.policy}: lapsed at {self.expires_at.isoformat()}",
            data={
                "policy": self.policy,
                "expires_at": self.expires_at.isoformat(),
                "lots": dict(self.lots),
            },
        )


def due(book: LotBook, account: str, policy: ExpiryPolicy, now: datetime) -> tuple[ExpiryDue, ...]:
    """Return the expiries of ``account`` due at or before ``now`` under ``policy``, oldest first.

    Only what is left of each lot lapses; lots with the same expiry instant form one expiry.
    """
    groups: dict[datetime, list[tuple[str, int]]] = {}
    for lot in book.lots(account):
        if lot.remaining <= 0:
            continue
        lapses = policy.expires_at(lot.earned_at)
        if lapses <= now:
            groups.setdefault(lapses, []).append((lot.source, lot.remaining))
    return tuple(
        ExpiryDue(
            account=account,
            currency=policy.currency,
            policy=policy.key,
            expires_at=instant,
            lots=tuple(lots),
        )
        for instant, lots in sorted(groups.items())
    )
