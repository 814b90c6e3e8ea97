"""Redemption on the kernel (DOMAIN.md P1, P2, P4): reserve → fulfil, or cancel/expire.

:class:`RedemptionDesk` runs each redemption as a case of the ``redemption`` method (the case
id is the redemption id) and keeps the ledger and the stock in step with the case:

* **reserve** checks the item (on offer, the person eligible, the per-person limit, enough
  stock, enough points in every currency of the cost), then books one transaction moving the
  cost from the holder's accounts (``person:<id>:<currency>``) to ``hold:<id>:<currency>``,
  takes the stock and opens the case: all of it under the desk's lock, so it either fully
  happens or nothing changes. The same redemption id again returns the first reservation.
* **fulfil** moves the held points to ``sink:redeemed:<currency>``; the stock is consumed.
* **cancel**, or the hold expiring (the method's deadline fires ``expire`` on ``tick``),
  moves the held points back and returns the stock.

The case is the truth: the desk listens to the engine, and whatever moves a redemption case
to ``fulfilled``, ``cancelled`` or ``expired`` (the desk, a deadline breach, a direct
``fire``) books the matching transaction, once (idempotency keys ``redeem:<id>:hold``,
``redeem:<id>:fulfil``, ``redeem:<id>:release``). Remaining stock is never stored: it is the
item's stock less what reservations hold and fulfilments consumed.

The engine is not thread-safe: share it between threads only through the desk (its methods
take the lock), or hold :attr:`RedemptionDesk.lock` around your own calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from datetime import datetime
from typing import Any

import attrs

from civicgrid.domain.catalogue import (
    Redemption,
    RedemptionStatus,
    RewardCatalogue,
    RewardItem,
)
from civicgrid.domain.ledger import (
    Account,
    AccountKind,
    InsufficientBalance,
    Ledger,
    LedgerError,
    Posting,
    Transaction,
)
from civicgrid.domain.people import Roster
from civicgrid.domain.time import require_aware
from civicgrid.errors import CivicGridError, InvalidData, ObserverError, OpenRefused, Problem
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.engine import Engine
from civicgrid.workflows.event import Event, EventKind

__all__ = [
    "LimitReached",
    "OutOfStock",
    "RedemptionConflict",
    "RedemptionDesk",
    "StockLevel",
    "UnknownRedemption",
    "person_owner",
]

_ENDS = {
    "fulfilled": RedemptionStatus.FULFILLED,
    "cancelled": RedemptionStatus.CANCELLED,
    "expired": RedemptionStatus.EXPIRED,
}


def person_owner(person: str) -> str:
    """Return the agreed owner prefix of a person's accounts: ``person:<id>``."""
    return f"person:{person}"


# --------------------------------------------------------------------------- errors


class OutOfStock(CivicGridError, ValueError):
    """Fewer items remain than were asked for; nothing was reserved."""

    def __init__(self, item: RewardItem, wanted: int, remaining: int) -> None:
        self.item = item
        self.wanted = wanted
        self.remaining = remaining
        super().__init__(
            f"{item.id!r}: {wanted} wanted, {remaining} left",
            f"{item.name_zh}（{item.id}）库存不足：需要 {wanted}，剩余 {remaining}",
        )


class LimitReached(CivicGridError, ValueError):
    """The person already holds or had as many of the item as one person may."""

    def __init__(self, item: RewardItem, person: str, had: int) -> None:
        self.item = item
        self.person = person
        self.had = had
        super().__init__(
            f"{item.id!r} is limited to {item.limit_per_person} per person; {person!r} has {had}",
            f"{item.name_zh}（{item.id}）每人限兑 {item.limit_per_person}，{person!r} 已有 {had}",
        )


class RedemptionConflict(CivicGridError, ValueError):
    """A redemption id already used was submitted for another person, item or quantity."""

    def __init__(self, redemption: Redemption) -> None:
        self.redemption = redemption
        super().__init__(
            f"redemption id {redemption.id!r} is already used for {redemption.quantity} × "
            f"{redemption.item!r} by {redemption.person!r}",
            f"兑换编号 {redemption.id!r} 已用于 {redemption.person!r} 兑换 {redemption.item!r}",
        )


class UnknownRedemption(CivicGridError, LookupError):
    """No redemption with this id was reserved at this desk."""

    def __init__(self, redemption_id: str) -> None:
        self.redemption_id = redemption_id
        super().__init__(f"unknown redemption {redemption_id!r}", f"未知的兑换 {redemption_id!r}")


@attrs.frozen(kw_only=True)
class StockLevel:
    """An item's stock as the redemptions leave it: put up, held, consumed, remaining."""

    item: str
    stock: int
    held: int
    consumed: int

    @property
    def remaining(self) -> int:
        """What can still be reserved."""
        return self.stock - self.held - self.consumed


# --------------------------------------------------------------------------- the desk


class RedemptionDesk:
    """Reserve, fulfil and cancel redemptions of catalogue items; expire them on ``tick``.

    ``roster`` tells who holds which seat (for items reserved to household leaders, P4);
    ``owner`` maps a person id to the owner part of their account ids (``person:<id>`` by
    default: ``person:p1:city_points``). The holders' accounts must be open in ``ledger``;
    the desk opens the hold and ``sink:redeemed:<currency>`` accounts itself.
    """

    __slots__ = (
        "_cases",
        "_catalogue",
        "_consumed",
        "_engine",
        "_forgotten",
        "_held",
        "_ledger",
        "_lock",
        "_method",
        "_owner",
        "_redemptions",
        "_roster",
        "_spent",
    )

    def __init__(
        self,
        engine: Engine,
        ledger: Ledger,
        catalogue: RewardCatalogue,
        *,
        roster: Roster | None = None,
        method: str = "redemption",
        owner: Callable[[str], str] = person_owner,
    ) -> None:
        engine.compiled(method)
        self._engine = engine
        self._ledger = ledger
        self._catalogue = catalogue
        self._roster = roster
        self._method = method
        self._owner = owner
        self._lock = threading.RLock()
        self._redemptions: dict[str, Redemption] = {}
        self._cases: dict[str, Case] = {}
        self._held: dict[str, int] = {}
        self._consumed: dict[str, int] = {}
        self._spent: dict[tuple[str, str], int] = {}
        self._forgotten: set[str] = set()
        engine.subscribe(self._observe)

    @property
    def lock(self) -> threading.RLock:
        """The lock around the engine, the stock and the desk's bookings."""
        return self._lock

    @property
    def engine(self) -> Engine:
        """The engine the redemption cases run on (hold :attr:`lock` to use it directly)."""
        return self._engine

    @property
    def catalogue(self) -> RewardCatalogue:
        """The catalogue the items come from."""
        return self._catalogue

    # ------------------------------------------------------------------ reading

    def redemption(self, redemption_id: str) -> Redemption:
        """Return the redemption as it now stands, or raise :class:`UnknownRedemption`."""
        try:
            return self._redemptions[redemption_id]
        except KeyError:
            raise UnknownRedemption(redemption_id) from None

    def case(self, redemption_id: str) -> Case:
        """Return the kernel case of the redemption."""
        self.redemption(redemption_id)
        return self._cases[redemption_id]

    def __iter__(self) -> Iterator[Redemption]:
        """Yield every redemption, in the order reserved."""
        with self._lock:
            return iter(list(self._redemptions.values()))

    def __len__(self) -> int:
        return len(self._redemptions)

    def stock(self, item_id: str) -> StockLevel:
        """Return the item's stock: put up, held by reservations, consumed, remaining."""
        item = self._catalogue.item(item_id)
        with self._lock:
            return StockLevel(
                item=item.id,
                stock=item.stock,
                held=self._held.get(item.id, 0),
                consumed=self._consumed.get(item.id, 0),
            )

    def account(self, person: str, currency: str) -> str:
        """Return the id of ``person``'s account in ``currency``."""
        return f"{self._owner(person)}:{currency}"

    # ------------------------------------------------------------------ reserving

    def reserve(
        self,
        redemption_id: str,
        *,
        person: str,
        item: str,
        actor: Actor,
        quantity: int = 1,
        at: datetime | None = None,
    ) -> Redemption:
        """Hold the points and the stock for ``quantity`` of ``item`` and open the case.

        ``actor`` opens the case (the person, or a community worker on their behalf) and must
        hold one of the method's open roles. Refused, changing nothing, with
        :class:`UnknownReward`, :class:`NotOnOffer`, :class:`NotEligible`,
        :class:`LimitReached`, :class:`OutOfStock`, :class:`OpenRefused`,
        :class:`~civicgrid.UnknownAccount` or :class:`~civicgrid.InsufficientBalance`.
        The same ``redemption_id`` with the same person, item and quantity returns the
        redemption already made (whatever it has become); with others,
        :class:`RedemptionConflict`.
        """
        with self._lock:
            existing = self._redemptions.get(redemption_id)
            if existing is not None:
                if (existing.person, existing.item, existing.quantity) != (person, item, quantity):
                    raise RedemptionConflict(existing)
                return existing
            if redemption_id in self._forgotten:
                raise InvalidData(
                    f"redemption {redemption_id!r}",
                    [Problem("redemption_id", "was used by a redemption the desk has forgotten")],
                )
            at = self._now(at)
            wanted = self._check(redemption_id, person, item, quantity, at, actor)
            cost = wanted.cost_of(quantity)
            redemption = Redemption(
                id=redemption_id,
                person=person,
                item=wanted.id,
                quantity=quantity,
                cost=cost,
                reserved_at=at,
            )
            self._hold(redemption, at)
            self._redemptions[redemption_id] = redemption
            self._held[wanted.id] = self._held.get(wanted.id, 0) + quantity
            data = {
                "person": person,
                "item": wanted.id,
                "issuer": wanted.issuer,
                "quantity": quantity,
                "cost": dict(cost),
            }
            try:
                case = self._engine.open(
                    self._method, actor=actor, at=at, case_id=redemption_id, data=data
                )
            except ObserverError as error:
                # The case is open all the same; keep it so the desk stays in step.
                if isinstance(error.case, Case):
                    self._cases[redemption_id] = error.case
                raise
            self._cases[redemption_id] = case
            return redemption

    def _check(
        self,
        redemption_id: str,
        person: str,
        item_id: str,
        quantity: int,
        at: datetime,
        actor: Actor,
    ) -> RewardItem:
        """Everything that can refuse a reservation, checked before anything changes."""
        given: object = quantity
        if not isinstance(given, int) or isinstance(given, bool) or given < 1:
            raise InvalidData(
                f"redemption {redemption_id!r}",
                [Problem("quantity", f"must be a whole number >= 1, not {quantity!r}")],
            )
        day = at.astimezone(self._engine.tz).date()
        item = self._catalogue.check(item_id, person, day, self._roster)
        if item.limit_per_person is not None:
            had = self._spent.get((person, item.id), 0) + sum(
                r.quantity
                for r in self._redemptions.values()
                if r.person == person
                and r.item == item.id
                and r.status in (RedemptionStatus.RESERVED, RedemptionStatus.FULFILLED)
            )
            if had + quantity > item.limit_per_person:
                raise LimitReached(item, person, had)
        remaining = item.stock - self._held.get(item.id, 0) - self._consumed.get(item.id, 0)
        if remaining < quantity:
            raise OutOfStock(item, quantity, remaining)
        open_roles = self._engine.compiled(self._method).open_roles
        if open_roles.isdisjoint(actor.roles):
            raise OpenRefused(
                self._method,
                actor.id,
                f"needs one of the roles {sorted(open_roles)}",
                f"需要以下角色之一：{'、'.join(sorted(open_roles))}",
            )
        for currency, amount in item.cost_of(quantity).items():
            account = self.account(person, currency)
            balance = self._ledger.balance(account)
            if balance < amount:
                raise InsufficientBalance(f"redeem:{redemption_id}:hold", account, balance, -amount)
        return item

    def _hold(self, redemption: Redemption, at: datetime) -> None:
        postings: list[Posting] = []
        for currency, amount in redemption.cost.items():
            hold = self._ledger.open(
                Account(
                    id=f"hold:{redemption.id}:{currency}",
                    currency=currency,
                    kind=AccountKind.HOLD,
                    owner=self._owner(redemption.person),
                    label=f"redemption {redemption.id}",
                )
            )
            postings.append(
                Posting(account=self.account(redemption.person, currency), amount=-amount)
            )
            postings.append(Posting(account=hold.id, amount=amount))
        self._book(f"redeem:{redemption.id}:hold", "hold", postings, at, redemption)

    # ------------------------------------------------------------------ ending

    def fulfil(self, redemption_id: str, *, actor: Actor, at: datetime | None = None) -> Redemption:
        """Hand the reward over: the held points are spent, the stock consumed."""
        return self._fire(redemption_id, "fulfil", actor, at, None)

    def cancel(
        self, redemption_id: str, *, actor: Actor, at: datetime | None = None, reason: str = ""
    ) -> Redemption:
        """Cancel a reservation: the points go back to the holder, the stock to the shelf."""
        return self._fire(redemption_id, "cancel", actor, at, {"reason": reason})

    def tick(self, now: datetime | None = None) -> list[Redemption]:
        """Run the engine's deadlines up to ``now``; return the redemptions that expired."""
        with self._lock:
            events = self._engine.tick(now)
            return [
                self._sync(self._cases[event.case_id])
                for event in events
                if event.trigger == "expire" and event.case_id in self._cases
            ]

    def _fire(
        self,
        redemption_id: str,
        trigger: str,
        actor: Actor,
        at: datetime | None,
        data: Mapping[str, Any] | None,
    ) -> Redemption:
        with self._lock:
            case = self.case(redemption_id)
            at = self._now(at)
            try:
                self._engine.fire(case, trigger, actor, at=at, data=data)
            finally:
                # Also when refused: a hold that expired before ``at`` was recorded first.
                self._sync(case)
            return self._redemptions[redemption_id]

    def _observe(self, case: Case, event: Event) -> None:
        if event.kind is EventKind.TRANSITION and event.case_id in self._cases:
            with self._lock:
                self._sync(case)

    def _sync(self, case: Case) -> Redemption:
        """Book what the case's step calls for and has not been booked (at most once)."""
        redemption = self._redemptions[case.id]
        status = _ENDS.get(case.step)
        if status is None or not redemption.holds:
            return redemption
        event = case.events[-1]
        at = event.at
        reason = str((event.data or {}).get("reason") or "")
        postings: list[Posting] = []
        for currency, amount in redemption.cost.items():
            hold = f"hold:{redemption.id}:{currency}"
            if status is RedemptionStatus.FULFILLED:
                target = self._ledger.open(
                    Account(
                        id=f"sink:redeemed:{currency}", currency=currency, kind=AccountKind.SINK
                    )
                ).id
            else:
                target = self.account(redemption.person, currency)
            postings.append(Posting(account=hold, amount=-amount))
            postings.append(Posting(account=target, amount=amount))
        if status is RedemptionStatus.FULFILLED:
            self._book(f"redeem:{redemption.id}:fulfil", "redeem", postings, at, redemption)
            self._consumed[redemption.item] = self._consumed.get(redemption.item, 0) + (
                redemption.quantity
            )
        else:
            data = {"why": status.value}
            self._book(f"redeem:{redemption.id}:release", "release", postings, at, redemption, data)
        self._held[redemption.item] -= redemption.quantity
        ended = attrs.evolve(redemption, status=status, ended_at=at, reason=reason)
        self._redemptions[redemption.id] = ended
        return ended

    def forget_closed(self) -> int:
        """Drop the fulfilled, cancelled and expired redemptions from memory; return how many.

        For a long-running desk whose cases and ledger a store holds (the simulation calls it
        after each commit, after the ledger's :meth:`~civicgrid.Ledger.forget`, so the empty
        hold accounts are closed too). Stock and per-person limits still count what was
        fulfilled, and a forgotten id cannot be reserved again; :meth:`redemption`, iteration
        and ``len`` see only the redemptions still held.
        """
        with self._lock:
            closed = [r for r in self._redemptions.values() if not r.holds]
            for redemption in closed:
                if redemption.status is RedemptionStatus.FULFILLED:
                    slot = (redemption.person, redemption.item)
                    self._spent[slot] = self._spent.get(slot, 0) + redemption.quantity
                for currency in redemption.cost:
                    # The hold is empty now; once the ledger forgot its transactions, it goes.
                    with suppress(LedgerError):
                        self._ledger.close(f"hold:{redemption.id}:{currency}")
                del self._redemptions[redemption.id]
                self._cases.pop(redemption.id, None)
                self._forgotten.add(redemption.id)
            return len(closed)

    def restore(self, case: Case) -> Redemption:
        """Take back a redemption case this desk's process made before a restart.

        After a restart the ledger and the cases are rebuilt from the store, but the desk
        remembers nothing: ``restore`` reads the redemption from the case's opening event
        (person, item, quantity, cost) and its step, so the desk books the case's next move
        and counts its stock again. It books nothing itself (what the case did before is in
        the ledger already). A case of another method, or one the desk already holds, is
        refused with :class:`~civicgrid.errors.InvalidData`.
        """
        with self._lock:
            if case.method_key != self._method:
                raise InvalidData(
                    f"redemption {case.id!r}",
                    [Problem("case", f"is a {case.method_key!r} case, not {self._method!r}")],
                )
            if case.id in self._redemptions:
                raise InvalidData(
                    f"redemption {case.id!r}", [Problem("case", "the desk holds it already")]
                )
            opened = case.events[0]
            data = opened.data or {}
            cost = data.get("cost")
            status = _ENDS.get(case.step, RedemptionStatus.RESERVED)
            ended = None if status is RedemptionStatus.RESERVED else case.events[-1].at
            redemption = Redemption(
                id=case.id,
                person=str(data.get("person") or ""),
                item=str(data.get("item") or ""),
                quantity=data.get("quantity", 0),
                cost=cost if isinstance(cost, Mapping) else {},
                reserved_at=opened.at,
                status=status,
                ended_at=ended,
            )
            self._redemptions[case.id] = redemption
            self._cases[case.id] = case
            if status is RedemptionStatus.RESERVED:
                self._held[redemption.item] = self._held.get(redemption.item, 0) + (
                    redemption.quantity
                )
            elif status is RedemptionStatus.FULFILLED:
                self._consumed[redemption.item] = self._consumed.get(redemption.item, 0) + (
                    redemption.quantity
                )
            return redemption

    # ------------------------------------------------------------------ helpers

    def _now(self, at: datetime | None) -> datetime:
        if at is None:
            return self._engine.clock.now()
        require_aware(at, "at")
        return at

    def _book(
        self,
        key: str,
        kind: str,
        postings: list[Posting],
        at: datetime,
        redemption: Redemption,
        extra: Mapping[str, Any] | None = None,
    ) -> Transaction:
        """Post at ``at``, or at the ledger's last instant if others booked later meanwhile.

        The ledger books in time order; a hold that expired at its due instant is released
        when ``tick`` runs, maybe after later bookings. The true instant stays in ``data``.
        """
        data = {
            "redemption": redemption.id,
            "item": redemption.item,
            "person": redemption.person,
            "at": at.isoformat(),
            **(extra or {}),
        }
        instant = at
        for _ in range(3):
            try:
                return self._ledger.post(
                    Transaction(key=key, at=instant, kind=kind, postings=postings, data=data)
                )
            except LedgerError as error:
                if type(error) is not LedgerError:
                    raise
                # Refused as earlier than the last booked: book at that instant instead.
                last = self._ledger.last_at
                instant = at if last is None else max(at, last)
        raise LedgerError(
            f"could not book {key!r}: the ledger kept moving past {at.isoformat()}",
            f"无法记账 {key!r}：账本时间持续前移",
        )
