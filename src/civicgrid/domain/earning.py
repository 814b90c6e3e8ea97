"""Earning rules (DOMAIN.md P8, P1): how many points an activity earns, as data.

A city's points rules (积分管理试行办法) say which activities earn points, how many, in which
currency, for whom, and how many at most per day and per period. An :class:`EarningRule`
says the same as data: the activity it matches (an event of a working method, or a named
activity a desk records directly such as ``patrol``), the amount per currency (Chengdu's dual
points, 双积分: one activity can earn city and district points at once), the caps, the roles
eligible and who earns (the actor of the event or the case's assignee).

:func:`assess` is the pure computation: an :class:`Activity`, the earner's roles and what the
earner already earned under the rule that day and period give an :class:`Award` saying what to
book in each currency and why anything was cut. **Partial awards happen**: an activity that
would pass a cap books the part up to the cap, and the award records the cap that cut it
(``Grant.capped``); at a cap already reached it books nothing. :class:`EarnedTally` folds the
ledger's earn transactions (and their reversals) into the totals the caps are checked
against, so caps follow from the ledger, not from a separate counter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, tzinfo
from types import MappingProxyType
from typing import Any

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.ledger import Posting, Transaction
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "Activity",
    "Award",
    "AwardOutcome",
    "CapPeriod",
    "EarnedTally",
    "Earner",
    "EarningRule",
    "Grant",
    "assess",
    "award_transaction",
    "holder_account",
    "issuer_account",
]


class Earner(Labelled):
    """Who an event earns points for."""

    ACTOR = "actor"
    """The person who fired the transition (the patroller, the mediator)."""
    ASSIGNEE = "assignee"
    """The case's assignee after the event (the volunteer who claimed a micro-wish)."""


class CapPeriod(Labelled):
    """The calendar period a period cap counts over, in the rule's timezone."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"

    def key_of(self, day: date) -> str:
        """Return the period holding ``day``: ``2026-03``, ``2026-Q1`` or ``2026``."""
        if self is CapPeriod.MONTH:
            return f"{day.year}-{day.month:02d}"
        if self is CapPeriod.QUARTER:
            return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        return str(day.year)


class AwardOutcome(Labelled):
    """What came of an activity under one rule."""

    FULL = "full"
    PARTIAL = "partial"
    """A cap cut the award: the part up to the cap was booked."""
    CAPPED = "capped"
    """A cap was already reached: nothing was booked."""
    INELIGIBLE = "ineligible"
    """The earner holds none of the rule's roles."""
    NO_EARNER = "no_earner"
    """The rule pays the assignee and the case had none."""


_LABELS: dict[Labelled, tuple[str, str]] = {
    Earner.ACTOR: ("操作人", "the actor"),
    Earner.ASSIGNEE: ("承办人", "the assignee"),
    CapPeriod.MONTH: ("每月", "a month"),
    CapPeriod.QUARTER: ("每季度", "a quarter"),
    CapPeriod.YEAR: ("每年", "a year"),
    AwardOutcome.FULL: ("足额计分", "awarded in full"),
    AwardOutcome.PARTIAL: ("达上限，部分计分", "cut at a cap"),
    AwardOutcome.CAPPED: ("已达上限，不计分", "cap already reached"),
    AwardOutcome.INELIGIBLE: ("不符合计分对象", "earner not eligible"),
    AwardOutcome.NO_EARNER: ("无承办人", "no assignee to award"),
}
register_labels(_LABELS)


def _amounts(value: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(value))


def _data(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _roles(value: Iterable[str]) -> frozenset[str]:
    return frozenset((value,) if isinstance(value, str) else value)


@attrs.frozen(kw_only=True)
class EarningRule:
    """One line of a points rule: an activity, what it earns, its caps and who may earn.

    Give either ``activity`` (a named activity recorded directly: ``patrol``,
    ``mediation``, ``meeting_attended``, ``hours_served``) or ``method`` with a ``trigger``
    and/or ``target`` step (an event of a working method). ``amounts`` is points per currency
    for each ``per`` units of the activity's quantity (``per=60`` with a quantity in minutes
    pays per whole hour). ``day_caps`` and ``period_caps`` bound what one earner earns under
    this rule in a day and in a calendar ``period`` (days and periods in ``tz``). Empty
    ``roles`` means anyone may earn.
    """

    key: str
    label_zh: str
    label_en: str
    amounts: Mapping[str, int] = attrs.field(converter=_amounts)
    activity: str | None = None
    method: str | None = None
    trigger: str | None = None
    target: str | None = None
    earner: Earner = Earner.ACTOR
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_roles)
    per: int = 1
    day_caps: Mapping[str, int] = attrs.field(factory=dict, converter=_amounts)
    period_caps: Mapping[str, int] = attrs.field(factory=dict, converter=_amounts)
    period: CapPeriod = CapPeriod.MONTH
    tz: tzinfo = DEFAULT_TZ
    plugin: str | None = attrs.field(default=None, eq=False)
    """The plugin that registered the rule, set by the registry."""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("key", "label_zh", "label_en"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(field, "must be a non-empty string"))
        if (self.activity is None) == (self.method is None):
            problems.append(Problem("activity", "give exactly one of activity or method"))
        if self.method is not None and self.trigger is None and self.target is None:
            problems.append(Problem("trigger", "a method rule needs a trigger or a target step"))
        if self.activity is not None and (self.trigger or self.target):
            problems.append(Problem("trigger", "trigger and target belong to method rules"))
        if not self.amounts:
            problems.append(Problem("amounts", "must name at least one currency"))
        for name in ("amounts", "day_caps", "period_caps"):
            for currency, amount in getattr(self, name).items():
                if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
                    problems.append(Problem(f"{name}.{currency}", f"must be > 0, not {amount!r}"))
                elif name != "amounts" and currency not in self.amounts:
                    problems.append(Problem(f"{name}.{currency}", "caps a currency not earned"))
        per: object = self.per
        if not isinstance(per, int) or isinstance(per, bool) or per < 1:
            problems.append(Problem("per", f"must be a whole number >= 1, not {per!r}"))
        earner: object = self.earner
        if not isinstance(earner, Earner):
            problems.append(Problem("earner", f"must be an Earner, not {earner!r}"))
        period: object = self.period
        if not isinstance(period, CapPeriod):
            problems.append(Problem("period", f"must be a CapPeriod, not {period!r}"))
        if problems:
            raise InvalidData(f"earning rule {self.key!r}", problems)

    def matches(self, activity: Activity) -> bool:
        """Whether ``activity`` is the kind this rule pays for."""
        if self.activity is not None:
            return activity.name == self.activity
        return (
            activity.method == self.method
            and (self.trigger is None or activity.trigger == self.trigger)
            and (self.target is None or activity.target == self.target)
        )


@attrs.frozen(kw_only=True)
class Activity:
    """Work recorded: a named activity, or an event of a method (``name`` is then ``None``).

    ``key`` identifies it for idempotency (``<case id>:<event seq>`` for an event);
    ``quantity`` counts units (minutes served, 1 for a patrol).
    """

    key: str
    at: datetime
    actor: str
    name: str | None = None
    method: str | None = None
    trigger: str | None = None
    target: str | None = None
    assignee: str | None = None
    quantity: int = 1
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=_data)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("key", "actor"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(field, "must be a non-empty string"))
        at: object = self.at
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            problems.append(Problem("at", "must be a timezone-aware datetime"))
        quantity: object = self.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            problems.append(Problem("quantity", f"must be a whole number >= 1, not {quantity!r}"))
        if problems:
            raise InvalidData(f"activity {self.key!r}", problems)

    def earner(self, rule: EarningRule) -> str | None:
        """Return who earns under ``rule``: the actor or the assignee (``None`` if none)."""
        return self.actor if rule.earner is Earner.ACTOR else self.assignee


@attrs.frozen(kw_only=True)
class Grant:
    """One currency's part of an award: what the rule gives and what is booked."""

    currency: str
    due: int
    amount: int
    capped: str | None = None
    """``"day"`` or ``"period"`` when a cap cut ``amount`` below ``due``."""


@attrs.frozen(kw_only=True)
class Award:
    """What one rule makes of one activity: the grants to book, or why nothing is booked."""

    rule: str
    activity: str
    earner: str | None
    at: datetime
    day: date
    period: str
    outcome: AwardOutcome
    grants: tuple[Grant, ...] = ()

    @property
    def booked(self) -> dict[str, int]:
        """The amounts to book, by currency (only those above zero)."""
        return {g.currency: g.amount for g in self.grants if g.amount > 0}


def assess(
    rule: EarningRule,
    activity: Activity,
    *,
    roles: Iterable[str],
    earned_today: Mapping[str, int],
    earned_in_period: Mapping[str, int],
) -> Award:
    """Apply ``rule`` to ``activity`` for an earner with ``roles`` and what they earned already.

    ``earned_today`` and ``earned_in_period`` are the earner's totals under this rule, by
    currency, for the activity's day and period. Each currency is cut to the tighter of the
    two caps left; the outcome is PARTIAL when any currency was cut, CAPPED when nothing is left.
    """
    _require_match(rule, activity)
    day = activity.at.astimezone(rule.tz).date()
    return _assess_matched(
        rule,
        activity,
        day=day,
        period=rule.period.key_of(day),
        roles=roles,
        earned_today=earned_today,
        earned_in_period=earned_in_period,
    )


def _require_match(rule: EarningRule, activity: Activity) -> None:
    """Raise ``ValueError`` (a caller's mistake) unless ``rule`` matches ``activity``."""
    if not rule.matches(activity):
        raise ValueError(f"rule {rule.key!r} does not match activity {activity.key!r}")


def _assess_matched(
    rule: EarningRule,
    activity: Activity,
    *,
    day: date,
    period: str,
    roles: Iterable[str],
    earned_today: Mapping[str, int],
    earned_in_period: Mapping[str, int],
) -> Award:
    """:func:`assess` for a rule known to match, with the activity's ``day`` and ``period``.

    The callers checked ``rule.matches(activity)`` and computed ``day`` in ``rule.tz`` (and
    ``period`` from it) already, so neither is done again here.
    """
    earner = activity.earner(rule)
    grants: list[Grant] = []
    if earner is None:
        outcome = AwardOutcome.NO_EARNER
    elif rule.roles and not rule.roles.intersection(roles):
        outcome = AwardOutcome.INELIGIBLE
    else:
        units = activity.quantity // rule.per
        for currency, amount in rule.amounts.items():
            due = amount * units
            granted, capped = due, None
            day_cap = rule.day_caps.get(currency)
            if day_cap is not None:
                left = max(day_cap - earned_today.get(currency, 0), 0)
                if granted > left:
                    granted, capped = left, "day"
            period_cap = rule.period_caps.get(currency)
            if period_cap is not None:
                left = max(period_cap - earned_in_period.get(currency, 0), 0)
                if granted > left:
                    granted, capped = left, "period"
            grants.append(Grant(currency=currency, due=due, amount=granted, capped=capped))
        if not any(g.amount for g in grants):
            outcome = AwardOutcome.CAPPED
        elif any(g.capped for g in grants):
            outcome = AwardOutcome.PARTIAL
        else:
            outcome = AwardOutcome.FULL
    return Award(
        rule=rule.key,
        activity=activity.key,
        earner=earner,
        at=activity.at,
        day=day,
        period=period,
        outcome=outcome,
        grants=tuple(grants),
    )


def issuer_account(currency: str) -> str:
    """Return the agreed id of a currency's issuer account: ``issuer:<currency>``."""
    return f"issuer:{currency}"


def holder_account(owner: str, currency: str) -> str:
    """Return a holder's account id: ``<owner>:<currency>`` (``person:p1:city_points``)."""
    return f"{owner}:{currency}"


def award_transaction(
    award: Award, *, key: str, owner: str, at: datetime | None = None
) -> Transaction | None:
    """Return the earn transaction booking ``award`` to ``owner``'s accounts, or ``None``.

    One posting from each currency's issuer and one to the owner's holder account; ``data``
    keeps the rule, earner, activity, day, period, amounts and any cap that cut a grant, which
    is what :class:`EarnedTally` reads back.
    """
    booked = award.booked
    if not booked:
        return None
    postings: list[Posting] = []
    for currency, amount in booked.items():
        postings.append(Posting(account=issuer_account(currency), amount=-amount))
        postings.append(Posting(account=holder_account(owner, currency), amount=amount))
    return Transaction(
        key=key,
        at=award.at if at is None else at,
        kind="earn",
        postings=tuple(postings),
        memo=f"{award.rule}: {award.activity}",
        data={
            "rule": award.rule,
            "earner": award.earner,
            "activity": award.activity,
            "day": award.day.isoformat(),
            "period": award.period,
            "amounts": dict(booked),
            "due": {g.currency: g.due for g in award.grants},
            "capped": {g.currency: g.capped for g in award.grants if g.capped},
        },
    )


class EarnedTally:
    """What each earner earned under each rule per day and per period, folded from the ledger.

    Fold every transaction in booking order with :meth:`fold`: an ``earn`` transaction with
    rule data adds its amounts; the reversal of one subtracts them, so a cancelled award frees
    its room under the caps.
    """

    __slots__ = ("_by_day", "_by_period", "_earns", "_earns_by_period")

    def __init__(self) -> None:
        self._by_day: dict[tuple[str, str, str], dict[str, int]] = {}
        self._by_period: dict[tuple[str, str, str], dict[str, int]] = {}
        self._earns: dict[str, Mapping[str, Any]] = {}
        # The keys of ``_earns`` by (rule, period) of their data, each key under exactly one,
        # so :meth:`prune` visits only the periods it may drop, not every earn held.
        self._earns_by_period: dict[tuple[str, str], set[str]] = {}

    def fold(self, transaction: Transaction) -> None:
        """Count ``transaction`` if it is an earn under a rule or the reversal of one."""
        if transaction.kind == "earn" and "rule" in transaction.data:
            key, data = transaction.key, transaction.data
            replaced = self._earns.get(key)
            self._earns[key] = data
            self._add(data, 1)
            if replaced is not None:  # booked again under a key forgotten by the ledger
                self._earns_by_period.get(_rule_period(replaced), set()).discard(key)
            self._earns_by_period.setdefault(_rule_period(data), set()).add(key)
        elif transaction.reverses is not None and transaction.reverses in self._earns:
            self._add(self._earns[transaction.reverses], -1)

    def _add(self, data: Mapping[str, Any], sign: int) -> None:
        earner, rule = str(data["earner"]), str(data["rule"])
        for index, slot in ((self._by_day, data["day"]), (self._by_period, data["period"])):
            totals = index.setdefault((earner, rule, str(slot)), {})
            for currency, amount in data["amounts"].items():
                totals[currency] = totals.get(currency, 0) + sign * int(amount)

    def prune(self, before: date, periods: Mapping[str, str]) -> None:
        """Forget totals no assessment dated ``before`` or later can read.

        Drops the days before ``before`` and, per rule key, the periods before
        ``periods[rule]`` (the period holding ``before``), with the earns booked in both: a
        reversal of one of those can no longer free room under a cap, and needs none, since
        only the current day and period are read. Keeps memory flat in a long-running desk.
        """
        first = before.isoformat()
        for key in [k for k in self._by_day if k[2] < first]:
            del self._by_day[key]
        for key in [k for k in self._by_period if k[1] in periods and k[2] < periods[k[1]]]:
            del self._by_period[key]
        past = [
            slot
            for slot in self._earns_by_period
            if slot[0] in periods and slot[1] < periods[slot[0]]
        ]
        for slot in past:
            keys = self._earns_by_period[slot]
            stale = {key for key in keys if str(self._earns[key]["day"]) < first}
            for earn in stale:
                del self._earns[earn]
            keys -= stale
            if not keys:
                del self._earns_by_period[slot]

    def earned_on(self, earner: str, rule: str, day: date) -> Mapping[str, int]:
        """Return what ``earner`` earned under ``rule`` on ``day``, by currency."""
        return self._by_day.get((earner, rule, day.isoformat()), {})

    def earned_in(self, earner: str, rule: str, period: str) -> Mapping[str, int]:
        """Return what ``earner`` earned under ``rule`` in ``period`` (a CapPeriod key)."""
        return self._by_period.get((earner, rule, period), {})

    def assess(
        self, rule: EarningRule, activity: Activity, roles: Callable[[str], Iterable[str]]
    ) -> Award:
        """Run :func:`assess` with this tally's totals and ``roles(earner)``."""
        _require_match(rule, activity)
        return self.assess_matched(rule, activity, activity.at.astimezone(rule.tz).date(), roles)

    def assess_matched(
        self,
        rule: EarningRule,
        activity: Activity,
        day: date,
        roles: Callable[[str], Iterable[str]],
    ) -> Award:
        """:meth:`assess` for a caller that checked ``rule.matches(activity)`` already.

        ``day`` is the activity's date in ``rule.tz`` (``activity.at.astimezone(rule.tz)``),
        which the caller computed once per rule; the result is the same as :meth:`assess`.
        The points desk uses it, having picked the rules by their match.
        """
        earner = activity.earner(rule)
        period = rule.period.key_of(day)
        return _assess_matched(
            rule,
            activity,
            day=day,
            period=period,
            roles=roles(earner) if earner is not None else (),
            earned_today=self.earned_on(earner or "", rule.key, day),
            earned_in_period=self.earned_in(earner or "", rule.key, period),
        )


def _rule_period(data: Mapping[str, Any]) -> tuple[str, str]:
    """Return the (rule, period) an earn's data counts under, as :meth:`EarnedTally.prune` reads."""
    return str(data["rule"]), str(data["period"])
