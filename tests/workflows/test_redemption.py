"""Redemption on the kernel (P1, P2, P4): reserve holds points and stock; fulfil, cancel, expire."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from civicgrid import Actor, Engine, GuardRefused, ManualClock, Registry, load_registry
from civicgrid.domain.catalogue import (
    Issuer,
    IssuerKind,
    NotEligible,
    RedemptionStatus,
    RewardCatalogue,
    RewardItem,
    RewardKind,
)
from civicgrid.domain.ledger import Account, AccountKind, InsufficientBalance, Ledger
from civicgrid.domain.people import Appointment, Roster, Seat
from civicgrid.errors import InvalidData, OpenRefused, RoleRefused, TriggerNotAllowed
from civicgrid.plugins.builtin import redemption as redemption_plugin
from civicgrid.plugins.manager import BUILTIN_PLUGINS
from civicgrid.workflows.redemption import (
    LimitReached,
    OutOfStock,
    RedemptionConflict,
    RedemptionDesk,
    UnknownRedemption,
)

DAY = timedelta(days=1)
P1 = Actor(id="p1", roles={"volunteer"})
P2 = Actor(id="p2", roles={"volunteer"})
STAFF = Actor(id="museum-desk", roles={"issuer_staff"})
STRANGER = Actor(id="p9", roles={"resident"})


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-ins plus Points Redemption, whether or not it is listed yet."""
    mine = ("civicgrid.redemption", redemption_plugin)
    listed = {name for name, _ in BUILTIN_PLUGINS}
    return load_registry(entry_points=False, plugins=[] if mine[0] in listed else [mine])


def _items() -> RewardCatalogue:
    city = Issuer(id="chengdu", kind=IssuerKind.CITY, name_zh="成都市礼遇资源库")
    shop = Issuer(id="shop-17", kind=IssuerKind.MERCHANT, name_zh="红城星店·十七号")
    museum = RewardItem(
        id="museum-ticket",
        issuer="chengdu",
        kind=RewardKind.TICKET,
        name_zh="成都自然博物馆门票",
        cost={"city_points": 200},
        stock=3,
        valid_from=date(2026, 1, 1),
        limit_per_person=2,
    )
    rice = RewardItem(
        id="rice",
        issuer="chengdu",
        kind=RewardKind.GOODS,
        name_zh="大米一袋",
        cost={"city_points": 50, "district_points": 30},
        stock=10,
        valid_from=date(2026, 1, 1),
    )
    haircut = RewardItem(
        id="haircut-20",
        issuer="shop-17",
        kind=RewardKind.DISCOUNT,
        name_zh="理发八折",
        cost={"district_points": 20},
        stock=100,
        valid_from=date(2026, 1, 1),
        seats={Seat.HOUSEHOLD_LEADER},
    )
    return RewardCatalogue([city, shop], [museum, rice, haircut])


@pytest.fixture
def ledger(clock: ManualClock) -> Ledger:
    """p1 earned 500 city and 100 district points, p2 150 city points."""
    book = Ledger()
    for currency in ("city_points", "district_points"):
        book.open(Account(id=f"issuer:{currency}", currency=currency, kind=AccountKind.ISSUER))
        for person in ("p1", "p2"):
            book.open(Account(id=f"person:{person}:{currency}", currency=currency))
    at = clock.now() - DAY
    for key, person, currency, amount in (
        ("a", "p1", "city_points", 500),
        ("b", "p1", "district_points", 100),
        ("c", "p2", "city_points", 150),
    ):
        book.transfer(
            key=f"earn:{key}",
            at=at,
            kind="earn",
            source=f"issuer:{currency}",
            target=f"person:{person}:{currency}",
            amount=amount,
        )
    return book


@pytest.fixture
def desk(registry: Registry, clock: ManualClock, ledger: Ledger) -> RedemptionDesk:
    """A desk over the catalogue; p1 is a household leader."""
    engine = Engine.from_registry(registry, clock=clock)
    leader = Appointment(person="p1", role=Seat.HOUSEHOLD_LEADER, start=date(2026, 1, 1), unit="b3")
    return RedemptionDesk(engine, ledger, _items(), roster=Roster(appointments=[leader]))


def _balances(ledger: Ledger) -> dict[str, int]:
    return {a.id: ledger.balance(a.id) for a in ledger.accounts()}


def test_the_method_has_chinese_steps_and_a_seven_day_hold(registry: Registry) -> None:
    """The method is P1 data: 预约 → 兑付/取消/逾期, the hold a 7-day deadline firing expire."""
    method = registry.methods["redemption"]
    assert method.initial == "reserved"
    assert [s.label_zh for s in method.steps] == [
        "预约兑换，积分和库存已冻结",
        "已兑付核销",
        "已取消，冻结已释放",
        "逾期未兑付，冻结已释放",
    ]
    (hold,) = method.deadlines
    assert (hold.key, hold.breach_trigger, hold.duration) == (
        "hold",
        "expire",
        hold.duration,
    )
    assert hold.duration is not None
    assert hold.duration.days == 7


def test_reserving_holds_points_in_every_currency_and_the_stock(
    desk: RedemptionDesk, ledger: Ledger
) -> None:
    """A dual-priced item holds both currencies in hold:<id>:<currency>; stock drops by one."""
    redemption = desk.reserve("r1", person="p1", item="rice", actor=P1)
    assert redemption.status is RedemptionStatus.RESERVED
    assert redemption.cost == {"city_points": 50, "district_points": 30}
    assert ledger.balance("person:p1:city_points") == 450
    assert ledger.balance("person:p1:district_points") == 70
    assert ledger.balance("hold:r1:city_points") == 50
    assert ledger.balance("hold:r1:district_points") == 30
    assert ledger.transaction("redeem:r1:hold").kind == "hold"
    assert desk.stock("rice").remaining == 9
    assert desk.case("r1").step == "reserved"
    assert desk.case("r1").data == {
        "person": "p1",
        "item": "rice",
        "issuer": "chengdu",
        "quantity": 1,
        "cost": {"city_points": 50, "district_points": 30},
    }


def test_fulfilling_spends_the_held_points_and_consumes_the_stock(
    desk: RedemptionDesk, ledger: Ledger, clock: ManualClock
) -> None:
    """兑付: hold → sink:redeemed:<currency>; the stock is consumed, not returned."""
    desk.reserve("r1", person="p1", item="rice", actor=P1, quantity=2)
    clock.advance(timedelta(hours=3))
    done = desk.fulfil("r1", actor=STAFF)
    assert done.status is RedemptionStatus.FULFILLED
    assert done.ended_at == clock.now()
    assert ledger.balance("hold:r1:city_points") == 0
    assert ledger.balance("sink:redeemed:city_points") == 100
    assert ledger.balance("sink:redeemed:district_points") == 60
    assert ledger.balance("person:p1:city_points") == 400
    level = desk.stock("rice")
    assert (level.held, level.consumed, level.remaining) == (0, 2, 8)
    assert desk.case("r1").step == "fulfilled"
    assert ledger.total("city_points") == 0


def test_cancelling_releases_the_points_and_the_stock(desk: RedemptionDesk, ledger: Ledger) -> None:
    """取消: the points go back to the holder, the stock to the shelf; the reason is kept."""
    before = ledger.balance("person:p1:city_points")
    desk.reserve("r1", person="p1", item="museum-ticket", actor=P1)
    done = desk.cancel("r1", actor=P1, reason="改期")
    assert (done.status, done.reason) == (RedemptionStatus.CANCELLED, "改期")
    assert ledger.balance("person:p1:city_points") == before
    assert ledger.balance("hold:r1:city_points") == 0
    assert ledger.transaction("redeem:r1:release").data["why"] == "cancelled"
    assert desk.stock("museum-ticket").remaining == 3


def test_a_hold_not_collected_in_seven_days_expires_on_tick(
    desk: RedemptionDesk, ledger: Ledger, clock: ManualClock
) -> None:
    """逾期: the deadline's breach fires expire and the hold is released, at the due instant."""
    reserved_at = clock.now()
    desk.reserve("r1", person="p1", item="museum-ticket", actor=P1)
    assert desk.tick(reserved_at + 7 * DAY) == []
    expired = desk.tick(reserved_at + 7 * DAY + timedelta(seconds=1))
    assert [r.id for r in expired] == ["r1"]
    assert expired[0].status is RedemptionStatus.EXPIRED
    assert expired[0].ended_at == reserved_at + 7 * DAY
    assert ledger.balance("person:p1:city_points") == 500
    assert desk.stock("museum-ticket").remaining == 3
    assert desk.case("r1").step == "expired"
    assert desk.tick(reserved_at + 30 * DAY) == []


def test_a_late_fulfilment_finds_the_hold_expired(
    desk: RedemptionDesk, ledger: Ledger, clock: ManualClock
) -> None:
    """Handing over after the hold ran out is refused: the expiry is recorded first."""
    desk.reserve("r1", person="p1", item="museum-ticket", actor=P1)
    clock.advance(8 * DAY)
    with pytest.raises(TriggerNotAllowed):
        desk.fulfil("r1", actor=STAFF)
    assert desk.redemption("r1").status is RedemptionStatus.EXPIRED
    assert ledger.balance("person:p1:city_points") == 500
    assert "sink:redeemed:city_points" not in _balances(ledger)


def test_a_release_after_later_bookings_is_booked_at_the_ledger_s_last_instant(
    desk: RedemptionDesk, ledger: Ledger, clock: ManualClock
) -> None:
    """The ledger books in time order: an expiry found late is booked then, its instant kept."""
    start = clock.now()
    desk.reserve("r1", person="p1", item="museum-ticket", actor=P1)
    later = start + 10 * DAY
    ledger.transfer(
        key="earn:late",
        at=later,
        kind="earn",
        source="issuer:city_points",
        target="person:p1:city_points",
        amount=10,
    )
    desk.tick(later + DAY)
    release = ledger.transaction("redeem:r1:release")
    assert release.at == later
    assert release.data["at"] == (start + 7 * DAY).isoformat()
    assert ledger.balance("person:p1:city_points") == 510


def test_the_same_redemption_id_reserves_once(desk: RedemptionDesk, ledger: Ledger) -> None:
    """Idempotent: submitted twice, held once; the same id for something else is refused."""
    first = desk.reserve("r1", person="p1", item="rice", actor=P1)
    again = desk.reserve("r1", person="p1", item="rice", actor=P1)
    assert again is first
    assert ledger.balance("person:p1:city_points") == 450
    assert desk.stock("rice").remaining == 9
    with pytest.raises(RedemptionConflict) as error:
        desk.reserve("r1", person="p1", item="museum-ticket", actor=P1)
    assert error.value.redemption is first
    assert len(desk) == 1


def test_not_enough_points_changes_nothing(desk: RedemptionDesk, ledger: Ledger) -> None:
    """p2 has 150 city points and no district points: both refusals leave all as it was."""
    before = _balances(ledger)
    with pytest.raises(InsufficientBalance) as error:
        desk.reserve("r1", person="p2", item="museum-ticket", actor=P2)
    assert error.value.account == "person:p2:city_points"
    with pytest.raises(InsufficientBalance):
        desk.reserve("r2", person="p2", item="rice", actor=P2)
    assert _balances(ledger) == before
    assert desk.stock("museum-ticket").remaining == 3
    assert len(desk) == 0
    with pytest.raises(UnknownRedemption):
        desk.redemption("r1")


def test_stock_and_the_per_person_limit_are_enforced(desk: RedemptionDesk) -> None:
    """Three tickets, two per person: p1's third is refused, then the shelf runs out."""
    desk.reserve("r1", person="p1", item="museum-ticket", actor=P1, quantity=2)
    with pytest.raises(LimitReached) as limit:
        desk.reserve("r2", person="p1", item="museum-ticket", actor=P1)
    assert limit.value.had == 2
    with pytest.raises(OutOfStock) as stock:
        desk.reserve("r3", person="p2", item="museum-ticket", actor=P2, quantity=2)
    assert (stock.value.wanted, stock.value.remaining) == (2, 1)
    assert "库存不足" in (stock.value.message_zh or "")
    assert desk.stock("museum-ticket").remaining == 1


def test_a_household_leader_discount_is_refused_to_others(desk: RedemptionDesk) -> None:
    """P4: p1 (a household leader) may take the 红城星店 discount; p2 may not."""
    assert desk.reserve("r1", person="p1", item="haircut-20", actor=P1).holds
    with pytest.raises(NotEligible):
        desk.reserve("r2", person="p2", item="haircut-20", actor=P2)


def test_refusals_by_role_quantity_and_guard(desk: RedemptionDesk, ledger: Ledger) -> None:
    """An actor without an open role, a zero quantity, a stranger cancelling: all refused."""
    before = _balances(ledger)
    with pytest.raises(OpenRefused):
        desk.reserve("r1", person="p1", item="rice", actor=STAFF)
    with pytest.raises(InvalidData) as error:
        desk.reserve("r1", person="p1", item="rice", actor=P1, quantity=0)
    assert [p.path for p in error.value.problems] == ["quantity"]
    assert _balances(ledger) == before
    desk.reserve("r1", person="p1", item="rice", actor=P1)
    with pytest.raises(GuardRefused):
        desk.cancel("r1", actor=STRANGER)
    with pytest.raises(RoleRefused):
        desk.fulfil("r1", actor=P1)
    assert desk.redemption("r1").holds
    assert desk.cancel("r1", actor=STAFF).status is RedemptionStatus.CANCELLED
    with pytest.raises(TriggerNotAllowed):
        desk.fulfil("r1", actor=STAFF)
    assert ledger.balance("person:p1:city_points") == 500


def test_a_transition_fired_on_the_engine_directly_still_moves_the_points(
    desk: RedemptionDesk, ledger: Ledger
) -> None:
    """The case is the truth: a cancel fired without the desk releases the hold all the same."""
    desk.reserve("r1", person="p1", item="rice", actor=P1)
    with desk.lock:
        desk.engine.fire(desk.case("r1"), "cancel", P1)
    assert desk.redemption("r1").status is RedemptionStatus.CANCELLED
    assert ledger.balance("person:p1:city_points") == 500


def _restart(
    desk: RedemptionDesk, registry: Registry, clock: ManualClock, ledger: Ledger
) -> tuple[RedemptionDesk, Engine]:
    """A new process: an engine and desk over the same ledger, cases replayed from events."""
    engine = Engine.from_registry(registry, clock=clock)
    fresh = RedemptionDesk(engine, ledger, _items())
    return fresh, engine


def test_a_restored_desk_books_the_next_move_of_a_held_redemption(
    desk: RedemptionDesk, registry: Registry, clock: ManualClock, ledger: Ledger
) -> None:
    """After a restart, restore() takes back a reservation: fulfilling it spends the hold."""
    desk.reserve("r1", person="p1", item="rice", actor=P1)
    desk.reserve("r2", person="p1", item="museum-ticket", actor=P1)
    desk.fulfil("r2", actor=STAFF)
    fresh, engine = _restart(desk, registry, clock, ledger)
    for redemption_id in ("r1", "r2"):
        events = list(desk.case(redemption_id).events)
        fresh.restore(engine.replay(events))
    assert fresh.redemption("r1").status is RedemptionStatus.RESERVED
    assert fresh.redemption("r2").status is RedemptionStatus.FULFILLED
    assert (fresh.stock("rice").held, fresh.stock("museum-ticket").consumed) == (1, 1)
    before = _balances(ledger)
    fresh.fulfil("r1", actor=STAFF)
    after = _balances(ledger)
    assert after["hold:r1:city_points"] == 0
    assert after["sink:redeemed:city_points"] == before["sink:redeemed:city_points"] + 50
    assert fresh.stock("rice").consumed == 1


def test_restore_refuses_a_case_held_already_or_of_another_method(
    desk: RedemptionDesk, registry: Registry, clock: ManualClock, ledger: Ledger
) -> None:
    """The same case twice, or a case of another method, is refused and changes nothing."""
    desk.reserve("r1", person="p1", item="rice", actor=P1)
    with pytest.raises(InvalidData, match="holds it already"):
        desk.restore(desk.case("r1"))
    engine = desk.engine
    other = engine.open("five_steps", actor=Actor(id="r", roles={"resident"}), case_id="t1")
    with pytest.raises(InvalidData, match="five_steps"):
        desk.restore(other)
    assert desk.stock("rice").held == 1


def test_forgetting_closed_redemptions_keeps_stock_limits_and_ids(
    desk: RedemptionDesk, ledger: Ledger
) -> None:
    """Closed ones leave memory; the stock, the per-person limit and their ids still count."""
    desk.reserve("m1", person="p1", item="museum-ticket", actor=P1)
    desk.fulfil("m1", actor=STAFF)
    desk.reserve("m2", person="p1", item="museum-ticket", actor=P1)
    desk.reserve("r1", person="p1", item="rice", actor=P1)
    desk.cancel("r1", actor=P1)
    assert desk.forget_closed() == 2
    assert [r.id for r in desk] == ["m2"]
    assert desk.stock("museum-ticket").remaining == 1
    with pytest.raises(LimitReached):
        desk.reserve("m3", person="p1", item="museum-ticket", actor=P1)
    with pytest.raises(InvalidData, match="forgotten"):
        desk.reserve("m1", person="p1", item="museum-ticket", actor=P1)
    before = _balances(ledger)
    desk.fulfil("m2", actor=STAFF)
    assert (
        _balances(ledger)["sink:redeemed:city_points"] == before["sink:redeemed:city_points"] + 200
    )
