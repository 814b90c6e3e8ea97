"""Reward catalogues (P1, P2, P4): issuers, items, costs, validity windows and eligibility."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from civicgrid.domain.catalogue import (
    Issuer,
    IssuerKind,
    NotEligible,
    NotOnOffer,
    Redemption,
    RedemptionStatus,
    RewardCatalogue,
    RewardItem,
    RewardKind,
    UnknownReward,
)
from civicgrid.domain.people import Appointment, Roster, Seat
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData

CITY = Issuer(id="chengdu", kind=IssuerKind.CITY, name_zh="成都市礼遇资源库")
DISTRICT = Issuer(id="chenghua", kind=IssuerKind.DISTRICT, name_zh="成华区积分兑换")
SHOP = Issuer(id="shop-17", kind=IssuerKind.MERCHANT, name_zh="红城星店·十七号")

MUSEUM = RewardItem(
    id="museum-ticket",
    issuer="chengdu",
    kind=RewardKind.TICKET,
    name_zh="成都自然博物馆门票",
    name_en="Chengdu Natural History Museum ticket",
    cost={"city_points": 200},
    stock=50,
    valid_from=date(2026, 1, 1),
    valid_until=date(2027, 1, 1),
    limit_per_person=2,
)
DUAL = RewardItem(
    id="rice",
    issuer="chenghua",
    kind=RewardKind.GOODS,
    name_zh="大米一袋",
    cost={"city_points": 50, "district_points": 30},
    stock=10,
    valid_from=date(2026, 1, 1),
)
DISCOUNT = RewardItem(
    id="haircut-20",
    issuer="shop-17",
    kind=RewardKind.DISCOUNT,
    name_zh="理发八折",
    cost={"district_points": 20},
    stock=100,
    valid_from=date(2026, 1, 1),
    seats={Seat.HOUSEHOLD_LEADER},
)


def catalogue() -> RewardCatalogue:
    """The city's 礼遇资源库, a district catalogue and a 红城星店 shop side by side."""
    return RewardCatalogue([CITY, DISTRICT, SHOP], [MUSEUM, DUAL, DISCOUNT])


def roster() -> Roster:
    """p1 is a household leader through 2026; p2 holds no seat."""
    leader = Appointment(
        person="p1",
        role=Seat.HOUSEHOLD_LEADER,
        start=date(2026, 1, 1),
        end=date(2027, 1, 1),
        unit="b3",
    )
    return Roster(appointments=[leader])


def test_every_kind_and_status_has_both_labels() -> None:
    """Issuer kinds, reward kinds and redemption statuses are labelled in both languages."""
    for enum in (IssuerKind, RewardKind, RedemptionStatus):
        for member in enum:
            assert member.label_zh
            assert member.label_en
    assert IssuerKind.MERCHANT_CIRCLE.label_zh == "先锋商圈"


def test_items_are_listed_by_issuer_day_and_currency() -> None:
    """P1: a dual-priced item shows in both currencies; P2's tickets are the city's."""
    items = catalogue()
    assert items.items(issuer="chengdu") == (MUSEUM,)
    assert {i.id for i in items.items(currency="district_points")} == {"rice", "haircut-20"}
    assert items.items(on=date(2027, 3, 1)) == (DUAL, DISCOUNT)
    assert DUAL.cost_of(3) == {"city_points": 150, "district_points": 90}
    assert len(items) == 3


def test_the_validity_window_is_start_inclusive_end_exclusive() -> None:
    """An item is on offer from valid_from through the day before valid_until."""
    items = catalogue()
    assert items.check("museum-ticket", "p2", date(2026, 1, 1)) is MUSEUM
    assert items.check("museum-ticket", "p2", date(2026, 12, 31)) is MUSEUM
    with pytest.raises(NotOnOffer) as error:
        items.check("museum-ticket", "p2", date(2027, 1, 1))
    assert error.value.item is MUSEUM
    assert "2027-01-01" in (error.value.message_zh or "")
    with pytest.raises(NotOnOffer):
        items.check("museum-ticket", "p2", date(2025, 12, 31))


def test_a_household_leader_discount_is_for_household_leaders_on_the_day() -> None:
    """P4: the 红城星店 discount needs the household-leader seat held that day."""
    items, people = catalogue(), roster()
    assert items.check("haircut-20", "p1", date(2026, 6, 1), people) is DISCOUNT
    with pytest.raises(NotEligible) as error:
        items.check("haircut-20", "p2", date(2026, 6, 1), people)
    assert error.value.person == "p2"
    assert "联户长" in (error.value.message_zh or "")
    with pytest.raises(NotEligible):
        items.check("haircut-20", "p1", date(2027, 1, 1), people)
    with pytest.raises(NotEligible):
        items.check("haircut-20", "p1", date(2026, 6, 1))


def test_unknown_items_and_issuers_are_refused_by_name() -> None:
    """Looking up or adding against an unknown id names it."""
    items = catalogue()
    with pytest.raises(UnknownReward, match="nope"):
        items.item("nope")
    with pytest.raises(UnknownReward, match="issuer"):
        items.issuer("nope")
    stray = RewardItem(
        id="x",
        issuer="ghost",
        kind=RewardKind.GOODS,
        name_zh="x",
        cost={"city_points": 1},
        stock=1,
        valid_from=date(2026, 1, 1),
    )
    with pytest.raises(InvalidData) as error:
        items.add(stray)
    assert [p.path for p in error.value.problems] == ["items.x.issuer"]
    with pytest.raises(InvalidData, match="duplicate"):
        items.add(MUSEUM)
    with pytest.raises(InvalidData, match="duplicate"):
        items.add_issuer(CITY)
    assert len(items) == 3


def test_a_bad_item_lists_every_problem_by_field() -> None:
    """Cost, stock, window and limit are all checked at once."""
    with pytest.raises(InvalidData) as error:
        RewardItem(
            id="",
            issuer="chengdu",
            kind="ticket",  # type: ignore[arg-type]
            name_zh="门票",
            cost={"city_points": 0, "district_points": 1.5},  # type: ignore[dict-item]
            stock=-1,
            valid_from=date(2026, 1, 1),
            valid_until=date(2026, 1, 1),
            limit_per_person=0,
        )
    paths = {p.path for p in error.value.problems}
    assert paths == {
        "id",
        "kind",
        "cost.city_points",
        "cost.district_points",
        "stock",
        "valid_until",
        "limit_per_person",
    }


def test_an_item_needs_a_cost() -> None:
    """An item priced in no currency is refused."""
    with pytest.raises(InvalidData, match="at least one currency"):
        RewardItem(
            id="free",
            issuer="chengdu",
            kind=RewardKind.GOODS,
            name_zh="免费",
            cost={},
            stock=1,
            valid_from=date(2026, 1, 1),
        )


def test_a_redemption_record_is_validated() -> None:
    """A redemption needs an aware instant and a positive quantity; a reserved one holds."""
    at = datetime(2026, 6, 1, 9, tzinfo=DEFAULT_TZ)
    held = Redemption(
        id="r1", person="p1", item="rice", quantity=1, cost={"city_points": 50}, reserved_at=at
    )
    assert held.holds
    with pytest.raises(InvalidData) as error:
        Redemption(
            id="r2",
            person="p1",
            item="rice",
            quantity=0,
            cost={"city_points": 50},
            reserved_at=datetime(2026, 6, 1),  # noqa: DTZ001
        )
    assert {p.path for p in error.value.problems} == {"quantity", "reserved_at"}
