"""The points desk (DOMAIN.md P1, P8; issue 6 parts 2 and 3): points from recorded work.

A :class:`PointsDesk` books earn transactions into a :class:`~civicgrid.domain.ledger.Ledger`
by the city's earning rules, and expiry transactions by its expiry policies. It earns from
two sources only, so points follow from recorded work, never from typing a number:

* the kernel's events: pass the desk to an engine as an observer (``observer(case, event)``)
  and a request closed or a micro-wish fulfilled awards points by the rules naming that
  method's trigger or target step;
* named activities a desk records directly (a patrol, a mediation, a meeting attended,
  hours served) with :meth:`PointsDesk.record`, each under the caller's activity id.

Idempotency keys are ``earn:<case id>:<event seq>:<rule>`` (``earn:<activity id>:<rule>``
for recorded activities), and a key already in the ledger is skipped before any cap is
checked, so replaying events or recording an activity twice awards nothing twice. Every
assessment, booked or not (ineligible, capped, no assignee), is kept in :attr:`awards` with
its outcome; a booked award's transaction ``data`` says which cap cut it.

:meth:`PointsDesk.tick` books the expiries that fell due, at the tick's instant, rebuilding
first-earned-first-spent lots from the ledger each time, so redemptions booked by anyone
else count. Both refuse like the ledger: an instant earlier than the last booked
transaction raises :class:`~civicgrid.domain.ledger.LedgerError` (an engine reports that as
an :class:`~civicgrid.errors.ObserverError`, the event recorded all the same).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from civicgrid.domain.earning import (
    Activity,
    Award,
    EarnedTally,
    EarningRule,
    award_transaction,
    holder_account,
    issuer_account,
)
from civicgrid.domain.expiry import ExpiryPolicy, LotBook, due, expired_account
from civicgrid.domain.ledger import Account, AccountKind, Ledger, Transaction
from civicgrid.domain.time import require_aware
from civicgrid.errors import InvalidData, Problem
from civicgrid.workflows.event import EventKind

if TYPE_CHECKING:
    from civicgrid.workflows.case import Case
    from civicgrid.workflows.event import Event

__all__ = ["PointsDesk", "person_owner"]


def person_owner(person: str) -> str:
    """Return the default owner of a person's accounts: ``person:<id>``."""
    return f"person:{person}"


def _no_roles(_person: str) -> Iterable[str]:
    return ()


class PointsDesk:
    """Awards points by earning rules and books expiries, into one ledger.

    ``roles_of(person)`` gives an earner's roles for rules limited to roles (none by default,
    so such rules award nothing until it is given); ``owner_of(person)`` names the owner part
    of their account ids (``person:<id>`` by default). Accounts are opened as needed.
    ``keep_awards=False`` keeps no list of assessments (:attr:`awards` stays empty), for a
    long-running desk whose ledger already records every award booked.
    """

    def __init__(
        self,
        ledger: Ledger,
        rules: Iterable[EarningRule],
        *,
        policies: Iterable[ExpiryPolicy] = (),
        roles_of: Callable[[str], Iterable[str]] = _no_roles,
        owner_of: Callable[[str], str] = person_owner,
        keep_awards: bool = True,
    ) -> None:
        self._ledger = ledger
        self._rules: dict[str, EarningRule] = {}
        self._policies: dict[str, ExpiryPolicy] = {}
        problems: list[Problem] = []
        for rule in rules:
            if rule.key in self._rules:
                problems.append(Problem(f"rules.{rule.key}", "key given twice"))
            self._rules[rule.key] = rule
            problems.extend(
                Problem(f"rules.{rule.key}.amounts.{c}", "currency not declared in the ledger")
                for c in rule.amounts
                if c not in ledger.currencies
            )
        for policy in policies:
            if policy.currency in self._policies:
                problems.append(Problem(f"policies.{policy.key}", "a second policy for a currency"))
            elif policy.currency not in ledger.currencies:
                problems.append(Problem(f"policies.{policy.key}", "currency not declared"))
            self._policies[policy.currency] = policy
        if problems:
            raise InvalidData("points desk", problems)
        for currency in {c for r in self._rules.values() for c in r.amounts}:
            ledger.open(
                Account(id=issuer_account(currency), currency=currency, kind=AccountKind.ISSUER)
            )
        for currency in self._policies:
            ledger.open(
                Account(id=expired_account(currency), currency=currency, kind=AccountKind.SINK)
            )
        self._roles_of = roles_of
        self._owner_of = owner_of
        self._lock = threading.RLock()
        self._tally = EarnedTally()
        self._seen = 0
        self._awards: list[Award] = []
        self._keep_awards = keep_awards
        self._horizon: date | None = None
        self._clear_after: datetime | None = None
        # The rules matching each kind of activity: rules are frozen and fixed at __init__,
        # and EarningRule.matches reads only the four fields of the kind.
        self._matching: dict[tuple[str | None, ...], tuple[EarningRule, ...]] = {}
        # Holder accounts built so far, by id, so an award does not build and validate one
        # again each time (still opened each time: someone may have closed it). One entry per
        # earner and currency, like the ledger's accounts: it grows with earners, not history.
        self._holders: dict[str, Account] = {}
        self._catch_up()

    @classmethod
    def from_registry(cls, registry: Any, ledger: Ledger, **kwargs: Any) -> PointsDesk:
        """Build a desk over every earning rule of a registry (``registry.earning_rules``)."""
        return cls(ledger, registry.earning_rules.values(), **kwargs)

    @property
    def ledger(self) -> Ledger:
        """The ledger the desk books into."""
        return self._ledger

    @property
    def rules(self) -> Mapping[str, EarningRule]:
        """The earning rules, by key."""
        return dict(self._rules)

    @property
    def awards(self) -> tuple[Award, ...]:
        """Every assessment made by this desk, in order (none when ``keep_awards=False``)."""
        return tuple(self._awards)

    def _catch_up(self) -> None:
        """Fold into the cap tally whatever the ledger booked since last seen."""
        if len(self._ledger) > self._seen:
            for transaction in self._ledger.since(self._seen):
                self._tally.fold(transaction)
            self._seen = len(self._ledger)

    # ----------------------------------------------------------------------- earning

    def __call__(self, case: Case, event: Event) -> None:
        """Observe an engine event (the desk is an engine observer)."""
        self.observe(case, event)

    def observe(self, case: Case, event: Event) -> tuple[Award, ...]:
        """Award points for ``event`` of ``case`` by every rule naming its method and step."""
        if event.kind not in (EventKind.OPENED, EventKind.TRANSITION):
            return ()
        activity = Activity(
            key=f"{event.case_id}:{event.seq}",
            at=event.at,
            actor=event.actor,
            method=case.method_key,
            trigger=event.trigger if event.kind is EventKind.TRANSITION else None,
            target=event.target,
            assignee=event.assignee,
            data={"case": event.case_id, "seq": event.seq},
        )
        return self._award(activity, None)

    def record(
        self,
        activity: str,
        *,
        key: str,
        person: str,
        at: datetime,
        quantity: int = 1,
        booked_at: datetime | None = None,
    ) -> tuple[Award, ...]:
        """Award points for a named activity (``patrol`` …) done by ``person`` at ``at``.

        ``key`` identifies the activity (a patrol log id): recording it again awards nothing.
        Caps count the day and period of ``at``; the transaction is booked at ``booked_at``
        (default ``at``), which must not be before the ledger's last transaction.
        """
        require_aware(at, "at")
        if booked_at is not None:
            require_aware(booked_at, "booked_at")
        done = Activity(key=key, at=at, actor=person, name=activity, quantity=quantity)
        return self._award(done, booked_at)

    def forget(self, before: date) -> None:
        """Forget the cap totals of days and periods before ``before``: memory stays flat.

        For a long-running desk (the simulation calls it each day, after the ledger's
        :meth:`~civicgrid.Ledger.forget`). Activities dated before ``before`` are refused
        afterwards with :class:`~civicgrid.errors.InvalidData` naming ``at``, since their
        caps can no longer be read.
        """
        with self._lock:
            self._catch_up()
            periods = {key: rule.period.key_of(before) for key, rule in self._rules.items()}
            self._tally.prune(before, periods)
            if self._horizon is None or before > self._horizon:
                self._horizon = before
                # After the horizon's start in every rule's timezone: surely not before it.
                self._clear_after = max(
                    (datetime.combine(before, time(), rule.tz) for rule in self._rules.values()),
                    default=None,
                )

    def _rules_for(self, activity: Activity) -> tuple[EarningRule, ...]:
        """Return the rules paying for ``activity``, in rule order (looked up once per kind)."""
        kind = (activity.name, activity.method, activity.trigger, activity.target)
        rules = self._matching.get(kind)
        if rules is None:
            rules = tuple(rule for rule in self._rules.values() if rule.matches(activity))
            self._matching[kind] = rules
        return rules

    def _holder(self, owner: str, currency: str) -> Account:
        """Return the holder account of ``owner`` in ``currency``, as the desk opens it."""
        account_id = holder_account(owner, currency)
        account = self._holders.get(account_id)
        if account is None:
            account = Account(id=account_id, currency=currency, owner=owner)
            self._holders[account_id] = account
        return account

    def _award(self, activity: Activity, booked_at: datetime | None) -> tuple[Award, ...]:
        out: list[Award] = []
        rules = self._rules_for(activity)
        # The activity's date in each matching rule's timezone, converted once per rule.
        days = [activity.at.astimezone(rule.tz).date() for rule in rules]
        horizon, clear_after = self._horizon, self._clear_after
        if (
            horizon is not None
            and clear_after is not None
            and activity.at < clear_after
            and any(day < horizon for day in days)
        ):
            raise InvalidData(
                f"activity {activity.key!r}",
                [Problem("at", f"is before {horizon.isoformat()}, which the desk has forgotten")],
            )
        with self._lock:
            for rule, day in zip(rules, days, strict=True):
                key = f"earn:{activity.key}:{rule.key}"
                if self._booked(key):
                    continue
                self._catch_up()
                award = self._tally.assess_matched(rule, activity, day, self._roles_of)
                earner = award.earner
                if earner is not None:
                    owner = self._owner_of(earner)
                    transaction = award_transaction(award, key=key, owner=owner, at=booked_at)
                    if transaction is not None:
                        for currency in award.booked:
                            self._ledger.open(self._holder(owner, currency))
                        self._ledger.post(transaction)
                        self._catch_up()
                if self._keep_awards:
                    self._awards.append(award)
                out.append(award)
        return tuple(out)

    def _booked(self, key: str) -> bool:
        return self._ledger.booked(key)

    # ----------------------------------------------------------------------- expiry

    def tick(self, now: datetime) -> tuple[Transaction, ...]:
        """Book every expiry due at or before ``now``, at ``now``; return what was booked.

        Idempotent: lots already lapsed have nothing left, so a second tick books nothing.
        Points given back to a lapsed lot later (a cancelled redemption) lapse at the next
        tick, under the key with ``:2``, ``:3`` … appended.
        """
        require_aware(now, "now")
        if not self._policies:
            return ()
        ledger = self._ledger
        with self._lock:
            tracked: dict[str, bool] = {}

            def is_tracked(account_id: str) -> bool:
                known = tracked.get(account_id)
                if known is None:
                    account = ledger.account(account_id)
                    known = tracked[account_id] = (
                        account.kind is AccountKind.HOLDER and account.currency in self._policies
                    )
                return known

            book = LotBook.of(ledger, is_tracked)
            booked: list[Transaction] = []
            for account_id in book.accounts():
                policy = self._policies[ledger.account(account_id).currency]
                for expiry in due(book, account_id, policy, now):
                    key, n = expiry.key, 1
                    while self._booked(key):
                        n += 1
                        key = f"{expiry.key}:{n}"
                    booked.append(ledger.post(expiry.transaction(at=now, key=key)))
            return tuple(booked)
