"""Per-period rankings from the ledger and the awards booked from them (DOMAIN.md P6, P7).

Chenghua selects every quarter the hundred best micro grids and micro-grid workers
(百佳优秀微网格 / 百佳优秀微网格员) and rewards micro-grid projects with awards instead of
subsidies (以奖代补); Huichuan selects outstanding household leaders (优秀联户长) and, by
building, the most beautiful families, stairwell units and buildings (最美家庭/单元/楼栋).

A :class:`RankingRule` says which accounts compete (a currency and an account-id prefix such
as ``micro_grid:``) and which transaction kinds count as earnings. :func:`rank` reads one
:class:`RankingPeriod` of the ledger in a single pass and scores each account by what it *earned*
in the period — not its balance: redemptions and expiries do not lower a score, and a
reversal of an earning booked in the period nets against the period it is booked in (so a
closed period's ranking never changes after its awards are booked).

Ties are broken by a declared, total rule (:data:`TIE_BREAK`): higher score first; then the
account whose score reached its final figure earlier (the instant of the last transaction
that changed it); then fewer reversals; then account id. The order therefore depends only on
the transactions, never on the order accounts were opened or transactions were listed.

:func:`book_awards` books one ``kind="award"`` transaction per ranked account, keyed by the
ranking, period and account, with the ranking, period and rank in its ``data``: booking the
same awards again books nothing new.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection
from datetime import datetime, tzinfo

import attrs
from dateutil.relativedelta import relativedelta

from civicgrid.domain.ledger import AccountKind, Ledger, Transaction
from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "BEST_HOUSEHOLD_LEADERS",
    "BUILTIN_RANKINGS",
    "MOST_BEAUTIFUL_BUILDINGS",
    "MOST_BEAUTIFUL_FAMILIES",
    "MOST_BEAUTIFUL_UNITS",
    "TIE_BREAK",
    "TOP_MICRO_GRIDS",
    "TOP_MICRO_GRID_WORKERS",
    "RankedEntry",
    "Ranking",
    "RankingPeriod",
    "RankingRule",
    "book_awards",
    "rank",
]

TIE_BREAK: tuple[tuple[str, str], ...] = (
    ("积分高者在前", "higher score first"),
    ("先达到最终积分者在前", "earlier to reach the final score first"),
    ("冲正次数少者在前", "fewer reversals first"),
    ("账户编号顺序", "account id, in code-point order"),
)
"""The declared tie-break, in order (Chinese, English); it makes every ranking a total order."""


# --------------------------------------------------------------------------- periods


@attrs.frozen(kw_only=True)
class RankingPeriod:
    """A span of time ``start <= at < end`` with a key (``2024Q1``, ``2024``)."""

    key: str
    start: datetime
    end: datetime

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        key: object = self.key
        if not isinstance(key, str) or not key:
            problems.append(Problem("key", "must be a non-empty string"))
        for field in ("start", "end"):
            value: object = getattr(self, field)
            if not isinstance(value, datetime) or value.utcoffset() is None:
                problems.append(Problem(field, "must be a timezone-aware datetime"))
        if not problems and self.end <= self.start:
            problems.append(Problem("end", "must be after start"))
        if problems:
            raise InvalidData(f"period {self.key!r}", problems)

    @classmethod
    def quarter(cls, year: int, quarter: int, *, tz: tzinfo = DEFAULT_TZ) -> RankingPeriod:
        """Return quarter 1–4 of ``year``, from midnight of its first day in ``tz``."""
        if quarter not in {1, 2, 3, 4}:
            raise InvalidData("period", [Problem("quarter", f"must be 1 to 4, not {quarter!r}")])
        start = datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
        return cls(key=f"{year}Q{quarter}", start=start, end=start + relativedelta(months=3))

    @classmethod
    def quarter_of(cls, instant: datetime, *, tz: tzinfo = DEFAULT_TZ) -> RankingPeriod:
        """Return the quarter (in ``tz``) that ``instant`` falls in."""
        local = require_aware(instant, "instant").astimezone(tz)
        return cls.quarter(local.year, (local.month - 1) // 3 + 1, tz=tz)

    @classmethod
    def year(cls, year: int, *, tz: tzinfo = DEFAULT_TZ) -> RankingPeriod:
        """Return the calendar year in ``tz`` (for annual selections such as 最美家庭)."""
        start = datetime(year, 1, 1, tzinfo=tz)
        return cls(key=f"{year}", start=start, end=start + relativedelta(years=1))


# --------------------------------------------------------------------------- rules


def _kinds(value: Collection[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen(kw_only=True)
class RankingRule:
    """Which accounts compete, on which earnings, and how many are selected.

    Accounts compete when they are HOLDER accounts in ``currency`` whose id starts with
    ``prefix`` (``micro_grid:`` for ``micro_grid:mg12:district_points``). Only transactions of
    ``earning_kinds`` count, and reversals of them.
    """

    key: str
    label_zh: str
    label_en: str
    currency: str
    prefix: str
    size: int = 100
    earning_kinds: frozenset[str] = attrs.field(default=frozenset({"earn"}), converter=_kinds)

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("key", "label_zh", "label_en", "currency", "prefix")
            if not isinstance(getattr(self, field), str) or not getattr(self, field)
        ]
        size: object = self.size
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            problems.append(Problem("size", f"must be a whole number >= 1, not {size!r}"))
        if not self.earning_kinds or "reverse" in self.earning_kinds:
            problems.append(
                Problem("earning_kinds", "must name at least one kind, and not 'reverse'")
            )
        if problems:
            raise InvalidData(f"ranking rule {self.key!r}", problems)


TOP_MICRO_GRIDS = RankingRule(
    key="top_micro_grids",
    label_zh="百佳优秀微网格",
    label_en="top 100 micro grids",
    currency="district_points",
    prefix="micro_grid:",
)
TOP_MICRO_GRID_WORKERS = RankingRule(
    key="top_micro_grid_workers",
    label_zh="百佳优秀微网格员",
    label_en="top 100 micro-grid workers",
    currency="district_points",
    prefix="person:",
)
BEST_HOUSEHOLD_LEADERS = RankingRule(
    key="best_household_leaders",
    label_zh="优秀联户长",
    label_en="outstanding household leaders",
    currency="city_points",
    prefix="person:",
    size=10,
)
MOST_BEAUTIFUL_FAMILIES = RankingRule(
    key="most_beautiful_families",
    label_zh="最美家庭",
    label_en="most beautiful families",
    currency="city_points",
    prefix="household:",
    size=10,
)
MOST_BEAUTIFUL_UNITS = RankingRule(
    key="most_beautiful_units",
    label_zh="最美单元",
    label_en="most beautiful stairwell units",
    currency="city_points",
    prefix="unit:",
    size=10,
)
MOST_BEAUTIFUL_BUILDINGS = RankingRule(
    key="most_beautiful_buildings",
    label_zh="最美楼栋",
    label_en="most beautiful buildings",
    currency="city_points",
    prefix="building:",
    size=10,
)
BUILTIN_RANKINGS: tuple[RankingRule, ...] = (
    TOP_MICRO_GRIDS,
    TOP_MICRO_GRID_WORKERS,
    BEST_HOUSEHOLD_LEADERS,
    MOST_BEAUTIFUL_FAMILIES,
    MOST_BEAUTIFUL_UNITS,
    MOST_BEAUTIFUL_BUILDINGS,
)
"""P6's quarterly top 100s and P7's selections; sizes and currencies are defaults to evolve.

Workers and household leaders share the ``person:`` prefix: pass ``eligible`` to :func:`rank`
(the people holding the seat, from a roster) to tell them apart.
"""


# --------------------------------------------------------------------------- ranking


@attrs.frozen(kw_only=True)
class RankedEntry:
    """One account's place: its score, when it reached it, and how many reversals it had."""

    rank: int
    account: str
    owner: str
    score: int
    reached_at: datetime
    reversals: int


@attrs.frozen(kw_only=True)
class Ranking:
    """A rule applied to a period: the selected entries, best first."""

    rule: RankingRule
    period: RankingPeriod
    entries: tuple[RankedEntry, ...]
    competitors: int
    """How many accounts earned anything (positively or not) in the period."""


def rank(
    ledger: Ledger,
    rule: RankingRule,
    period: RankingPeriod,
    *,
    eligible: Collection[str] | None = None,
) -> Ranking:
    """Rank the accounts ``rule`` selects by what they earned in ``period`` (one pass).

    ``eligible`` restricts the competitors to these account ids or owners (e.g. the people
    seated as household leaders). Only positive scores are ranked. Ties: :data:`TIE_BREAK`.
    """
    kinds = rule.earning_kinds
    competes: dict[str, bool] = {}
    score: dict[str, int] = {}
    reached: dict[str, datetime] = {}
    reversals: dict[str, int] = {}
    wanted = None if eligible is None else frozenset(eligible)

    def admit(account_id: str) -> bool:
        account = ledger.account(account_id)
        ok = (
            account.kind is AccountKind.HOLDER
            and account.currency == rule.currency
            and account_id.startswith(rule.prefix)
        )
        if ok and wanted is not None:
            ok = account_id in wanted or _owner(account_id, account.owner) in wanted
        competes[account_id] = ok
        return ok

    # The ledger books in time order, so the last change seen is the latest: no comparison.
    known = competes.get
    points = score.get
    for transaction in ledger.transactions(start=period.start, end=period.end):
        if transaction.kind in kinds:
            reversal = False
        elif transaction.reverses is not None and (
            ledger.transaction(transaction.reverses).kind in kinds
        ):
            reversal = True
        else:
            continue
        at = transaction.at
        for posting in transaction.postings:
            account_id = posting.account
            ok = known(account_id)
            if ok is None:
                ok = admit(account_id)
            if ok:
                score[account_id] = points(account_id, 0) + posting.amount
                reached[account_id] = at
                if reversal:
                    reversals[account_id] = reversals.get(account_id, 0) + 1

    best = heapq.nsmallest(
        rule.size,
        (a for a, s in score.items() if s > 0),
        key=lambda a: (-score[a], reached[a], reversals.get(a, 0), a),
    )
    entries = tuple(
        RankedEntry(
            rank=place,
            account=account_id,
            owner=_owner(account_id, ledger.account(account_id).owner),
            score=score[account_id],
            reached_at=reached[account_id],
            reversals=reversals.get(account_id, 0),
        )
        for place, account_id in enumerate(best, start=1)
    )
    return Ranking(rule=rule, period=period, entries=entries, competitors=len(score))


def _owner(account_id: str, owner: str | None) -> str:
    """Return the declared owner, else the id without its ``:<currency>`` suffix."""
    if owner:
        return owner
    return account_id.rpartition(":")[0] or account_id


# --------------------------------------------------------------------------- awards


def book_awards(
    ledger: Ledger,
    ranking: Ranking,
    *,
    at: datetime,
    source: str,
    amount: Callable[[RankedEntry], int],
    target: Callable[[RankedEntry], str] | None = None,
) -> tuple[Transaction, ...]:
    """Book an ``award`` from ``source`` to each ranked account; return the ones newly booked.

    ``amount`` gives each entry's award (0 books nothing for it); ``target`` the account that
    receives it (the ranked account by default — a 以奖代补 award may go to the micro grid's
    project account instead). Keys are ``award:<ranking>:<period>:<account>``, so running the
    same awards again books nothing new; a refused award (``source`` short of funds) stops
    the run with the ledger's error, the awards already booked staying booked and the rest
    bookable by running again.
    """
    require_aware(at, "at")
    booked: list[Transaction] = []
    for entry in ranking.entries:
        value = amount(entry)
        if value == 0:
            continue
        key = f"award:{ranking.rule.key}:{ranking.period.key}:{entry.account}"
        try:
            ledger.transaction(key)
        except KeyError:
            pass
        else:
            continue
        booked.append(
            ledger.transfer(
                key=key,
                at=at,
                kind="award",
                source=source,
                target=entry.account if target is None else target(entry),
                amount=value,
                memo=f"{ranking.rule.label_zh} {ranking.period.key} #{entry.rank}",
                data={
                    "ranking": ranking.rule.key,
                    "period": ranking.period.key,
                    "rank": entry.rank,
                    "score": entry.score,
                },
            )
        )
    return tuple(booked)
