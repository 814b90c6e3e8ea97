"""Reward catalogues and redemptions (DOMAIN.md P1, P2, P4): what points can buy, and from whom.

An :class:`Issuer` offers :class:`RewardItem` records: Chengdu's city and district catalogues
(P1 双积分、双兑换, each priced in its own currency), the 礼遇资源库 with its Natural History
Museum tickets (P2), the pioneer merchant circle and the 红城星店 shops whose discounts are for
household leaders only (P4). An item has a cost in one or more currencies, a stock (how many the
issuer put up), a validity window (``valid_from`` inclusive, ``valid_until`` exclusive) and an
eligibility: the seats of which the redeemer must hold one on the day (none: anyone).

The item's *remaining* stock is never stored here: it follows from the redemptions reserved
and fulfilled against it (:class:`civicgrid.workflows.redemption.RedemptionDesk`), so it cannot
be typed in and drift. A :class:`Redemption` is the record of one such claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from types import MappingProxyType

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.people import Roster, Seat
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "Issuer",
    "IssuerKind",
    "NotEligible",
    "NotOnOffer",
    "Redemption",
    "RedemptionStatus",
    "RewardCatalogue",
    "RewardItem",
    "RewardKind",
    "UnknownReward",
]


class IssuerKind(Labelled):
    """Who puts rewards up: the city, a district, a merchant circle, a shop, a community."""

    CITY = "city"
    DISTRICT = "district"
    MERCHANT_CIRCLE = "merchant_circle"
    MERCHANT = "merchant"
    COMMUNITY = "community"


_ISSUER_LABELS: dict[IssuerKind, tuple[str, str]] = {
    IssuerKind.CITY: ("市级礼遇资源库", "city reward catalogue"),
    IssuerKind.DISTRICT: ("区级兑换目录", "district catalogue"),
    IssuerKind.MERCHANT_CIRCLE: ("先锋商圈", "pioneer merchant circle"),
    IssuerKind.MERCHANT: ("商家（红城星店）", "merchant (red-city star shop)"),
    IssuerKind.COMMUNITY: ("社区", "community"),
}
register_labels(_ISSUER_LABELS)


class RewardKind(Labelled):
    """What an item is: a ticket, goods, a discount, a service."""

    TICKET = "ticket"
    GOODS = "goods"
    DISCOUNT = "discount"
    SERVICE = "service"


_REWARD_LABELS: dict[RewardKind, tuple[str, str]] = {
    RewardKind.TICKET: ("门票", "ticket"),
    RewardKind.GOODS: ("实物", "goods"),
    RewardKind.DISCOUNT: ("折扣优惠", "discount"),
    RewardKind.SERVICE: ("服务", "service"),
}
register_labels(_REWARD_LABELS)


class RedemptionStatus(Labelled):
    """Where a redemption stands; only a reserved one still holds points and stock."""

    RESERVED = "reserved"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


_STATUS_LABELS: dict[RedemptionStatus, tuple[str, str]] = {
    RedemptionStatus.RESERVED: ("已冻结，待兑付", "reserved, points and stock held"),
    RedemptionStatus.FULFILLED: ("已兑付", "fulfilled"),
    RedemptionStatus.CANCELLED: ("已取消，冻结已释放", "cancelled, hold released"),
    RedemptionStatus.EXPIRED: ("逾期未兑付，冻结已释放", "expired, hold released"),
}
register_labels(_STATUS_LABELS)


# --------------------------------------------------------------------------- errors


class UnknownReward(CivicGridError, LookupError):
    """No item (or issuer) with this id is in the catalogue."""

    def __init__(
        self, item_id: str, what_en: str = "reward item", what_zh: str = "兑换项目"
    ) -> None:
        self.item_id = item_id
        super().__init__(f"unknown {what_en} {item_id!r}", f"未知{what_zh} {item_id!r}")


class NotOnOffer(CivicGridError, ValueError):
    """The item is not offered on that day (before ``valid_from`` or from ``valid_until``)."""

    def __init__(self, item: RewardItem, day: date) -> None:
        self.item = item
        self.day = day
        until = item.valid_until.isoformat() if item.valid_until else "…"
        super().__init__(
            f"{item.id!r} is offered from {item.valid_from.isoformat()} until {until}, "
            f"not on {day.isoformat()}",
            f"{item.name_zh}（{item.id}）兑换期为 {item.valid_from.isoformat()} 至 {until}，"
            f"{day.isoformat()} 不在兑换期内",
        )


class NotEligible(CivicGridError, ValueError):
    """The person holds none of the seats the item is reserved for on that day."""

    def __init__(self, item: RewardItem, person: str, day: date) -> None:
        self.item = item
        self.person = person
        self.day = day
        seats_en = ", ".join(sorted(item.seats))
        seats_zh = "、".join(_seat_zh(s) for s in sorted(item.seats))
        super().__init__(
            f"{item.id!r} is for {seats_en} only; {person!r} holds none of them on "
            f"{day.isoformat()}",
            f"{item.name_zh}（{item.id}）仅限{seats_zh}兑换，"
            f"{person!r} 于 {day.isoformat()} 不符合",
        )


def _seat_zh(seat: str) -> str:
    try:
        return Seat(seat).label_zh
    except ValueError:
        return seat


# --------------------------------------------------------------------------- entities


def _is_key(value: object) -> bool:
    return isinstance(value, str) and bool(value)


@attrs.frozen(kw_only=True)
class Issuer:
    """Who offers rewards and honours them (the city, a district, a shop of 红城星店)."""

    id: str
    kind: IssuerKind
    name_zh: str
    name_en: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        if not _is_key(self.id):
            problems.append(Problem("id", "must be a non-empty string"))
        kind: object = self.kind
        if not isinstance(kind, IssuerKind):
            problems.append(Problem("kind", f"must be an IssuerKind, not {kind!r}"))
        if not _is_key(self.name_zh):
            problems.append(Problem("name_zh", "must be a non-empty string"))
        if problems:
            raise InvalidData(f"issuer {self.id!r}", problems)


def _cost(value: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(value))


def _seats(value: Iterable[str]) -> frozenset[str]:
    return frozenset((value,) if isinstance(value, str) else value)


def _cost_problems(cost: Mapping[str, object], path: str = "cost") -> list[Problem]:
    problems: list[Problem] = []
    if not cost:
        problems.append(Problem(path, "must name at least one currency"))
    for currency, amount in cost.items():
        if not _is_key(currency):
            problems.append(Problem(path, f"currency keys must be non-empty, not {currency!r}"))
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            problems.append(
                Problem(f"{path}.{currency}", f"must be a whole number > 0: {amount!r}")
            )
    return problems


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


@attrs.frozen(kw_only=True)
class RewardItem:
    """One reward: its cost per currency, the stock put up, when and to whom it is offered.

    ``cost`` is in each currency's smallest unit (``{"city_points": 200}``; an item payable in
    both Chengdu currencies names both). ``stock`` is how many the issuer put up; what remains
    is derived from redemptions. ``seats`` are the seats (:class:`Seat` values) of which the
    redeemer must hold one on the day, e.g. ``{"household_leader"}`` for a 红城星店 discount;
    empty means anyone. ``limit_per_person`` caps how many one person may hold or have had.
    """

    id: str
    issuer: str
    kind: RewardKind
    name_zh: str
    name_en: str = ""
    cost: Mapping[str, int] = attrs.field(converter=_cost)
    stock: int
    valid_from: date
    valid_until: date | None = None
    seats: frozenset[str] = attrs.field(default=frozenset(), converter=_seats)
    limit_per_person: int | None = None

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        problems.extend(
            Problem(field, "must be a non-empty string")
            for field in ("id", "issuer", "name_zh")
            if not _is_key(getattr(self, field))
        )
        kind: object = self.kind
        if not isinstance(kind, RewardKind):
            problems.append(Problem("kind", f"must be a RewardKind, not {kind!r}"))
        problems.extend(_cost_problems(self.cost))
        stock: object = self.stock
        if not isinstance(stock, int) or isinstance(stock, bool) or stock < 0:
            problems.append(Problem("stock", f"must be a whole number >= 0, not {stock!r}"))
        if not _is_date(self.valid_from):
            problems.append(Problem("valid_from", f"must be a date, not {self.valid_from!r}"))
        until: object = self.valid_until
        if until is not None and not _is_date(until):
            problems.append(Problem("valid_until", f"must be a date or None, not {until!r}"))
        elif isinstance(until, date) and _is_date(self.valid_from) and until <= self.valid_from:
            problems.append(Problem("valid_until", "must be after valid_from"))
        problems.extend(
            Problem("seats", f"must be non-empty strings, not {seat!r}")
            for seat in self.seats
            if not _is_key(seat)
        )
        limit: object = self.limit_per_person
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 1
        ):
            problems.append(Problem("limit_per_person", f"must be >= 1 or None, not {limit!r}"))
        if problems:
            raise InvalidData(f"reward item {self.id!r}", problems)

    def offered_on(self, day: date) -> bool:
        """Whether ``day`` falls in the validity window."""
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)

    def cost_of(self, quantity: int) -> dict[str, int]:
        """Return the cost of ``quantity`` items, per currency."""
        return {currency: amount * quantity for currency, amount in self.cost.items()}


@attrs.frozen(kw_only=True)
class Redemption:
    """One claim on a reward: who, what, how many, at what cost, and where it stands.

    ``cost`` is the total held (the item's cost times ``quantity``). ``ended_at`` is when it
    was fulfilled, cancelled or expired; ``reason`` says why it was cancelled.
    """

    id: str
    person: str
    item: str
    quantity: int
    cost: Mapping[str, int] = attrs.field(converter=_cost)
    reserved_at: datetime
    status: RedemptionStatus = RedemptionStatus.RESERVED
    ended_at: datetime | None = None
    reason: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        problems.extend(
            Problem(field, "must be a non-empty string")
            for field in ("id", "person", "item")
            if not _is_key(getattr(self, field))
        )
        quantity: object = self.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            problems.append(Problem("quantity", f"must be a whole number >= 1, not {quantity!r}"))
        problems.extend(_cost_problems(self.cost))
        for field in ("reserved_at", "ended_at"):
            value: object = getattr(self, field)
            if value is None and field == "ended_at":
                continue
            if not isinstance(value, datetime) or value.utcoffset() is None:
                problems.append(Problem(field, "must be a timezone-aware datetime"))
        if problems:
            raise InvalidData(f"redemption {self.id!r}", problems)

    @property
    def holds(self) -> bool:
        """Whether points and stock are still held for it."""
        return self.status is RedemptionStatus.RESERVED


# --------------------------------------------------------------------------- the catalogue


class RewardCatalogue:
    """Issuers and their items; answers what is on offer to whom on a day.

    One catalogue may hold several issuers' lists (the city's 礼遇资源库 and a district's
    catalogue side by side, P1), each item naming its issuer.
    """

    __slots__ = ("_issuers", "_items")

    def __init__(self, issuers: Iterable[Issuer] = (), items: Iterable[RewardItem] = ()) -> None:
        self._issuers: dict[str, Issuer] = {}
        self._items: dict[str, RewardItem] = {}
        for issuer in issuers:
            self.add_issuer(issuer)
        for item in items:
            self.add(item)

    def add_issuer(self, issuer: Issuer) -> None:
        """Add an issuer; a second issuer with the same id is refused."""
        if issuer.id in self._issuers:
            raise InvalidData("catalogue", [Problem("issuers", f"duplicate id {issuer.id!r}")])
        self._issuers[issuer.id] = issuer

    def add(self, item: RewardItem) -> None:
        """Add an item of a known issuer; a second item with the same id is refused."""
        problems: list[Problem] = []
        if item.id in self._items:
            problems.append(Problem("items", f"duplicate id {item.id!r}"))
        if item.issuer not in self._issuers:
            problems.append(Problem(f"items.{item.id}.issuer", f"unknown issuer {item.issuer!r}"))
        if problems:
            raise InvalidData("catalogue", problems)
        self._items[item.id] = item

    def __iter__(self) -> Iterator[RewardItem]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def issuer(self, issuer_id: str) -> Issuer:
        """Return the issuer, or raise :class:`UnknownReward`."""
        try:
            return self._issuers[issuer_id]
        except KeyError:
            raise UnknownReward(issuer_id, "issuer", "发放方") from None

    def item(self, item_id: str) -> RewardItem:
        """Return the item, or raise :class:`UnknownReward`."""
        try:
            return self._items[item_id]
        except KeyError:
            raise UnknownReward(item_id) from None

    def items(
        self, *, issuer: str | None = None, on: date | None = None, currency: str | None = None
    ) -> tuple[RewardItem, ...]:
        """Return the items of ``issuer``, offered on ``on``, priced in ``currency``."""
        return tuple(
            item
            for item in self._items.values()
            if (issuer is None or item.issuer == issuer)
            and (on is None or item.offered_on(on))
            and (currency is None or currency in item.cost)
        )

    def eligible(self, item: RewardItem, person: str, on: date, roster: Roster | None) -> bool:
        """Whether ``person`` may redeem ``item`` on ``on`` (holds one of its seats then)."""
        if not item.seats:
            return True
        if roster is None:
            return False
        return any(a.role in item.seats for a in roster.seats_of(person, on=on))

    def check(
        self, item_id: str, person: str, on: date, roster: Roster | None = None
    ) -> RewardItem:
        """Return the item if ``person`` may redeem it on ``on``; raise why not otherwise.

        :class:`UnknownReward`, :class:`NotOnOffer`, :class:`NotEligible` (an item reserved
        for some seats needs a ``roster`` to tell who holds them).
        """
        item = self.item(item_id)
        if not item.offered_on(on):
            raise NotOnOffer(item, on)
        if not self.eligible(item, person, on, roster):
            raise NotEligible(item, person, on)
        return item
