"""The points desk: points from kernel events and recorded work, caps, replays and expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicgrid import Actor, Engine, ManualClock, Registry, load_registry
from civicgrid.domain.earning import AwardOutcome, EarningRule
from civicgrid.domain.expiry import ExpiryKind, ExpiryPolicy
from civicgrid.domain.ledger import Ledger, LedgerError
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData
from civicgrid.plugins.builtin import earning
from civicgrid.plugins.manager import BUILTIN_PLUGINS
from civicgrid.workflows.points import PointsDesk

DAY = timedelta(days=1)
AT = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
ROLES = {"w1": {"grid_worker"}, "leader-5": {"household_leader"}}
RESIDENT = Actor(id="resident-9", roles={"resident"})
LEADER = Actor(id="leader-5", roles={"household_leader"}, levels={"grid"})
VOLUNTEER = Actor(id="volunteer-21", roles={"volunteer"})


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-ins plus the default earning rules, whether or not listed as built-in yet."""
    builtin = {name for name, _ in BUILTIN_PLUGINS}
    mine = [("civicgrid.earning", earning)]
    return load_registry(entry_points=False, plugins=[p for p in mine if p[0] not in builtin])


def roles_of(person: str) -> set[str]:
    """The roles of the people in these tests."""
    return ROLES.get(person, set())


def desk_for(registry: Registry, ledger: Ledger | None = None) -> PointsDesk:
    """A desk over the default rules with these tests' roles."""
    return PointsDesk.from_registry(
        registry, Ledger() if ledger is None else ledger, roles_of=roles_of
    )


def test_the_default_rules_are_registered_by_the_builtin_plugin(registry: Registry) -> None:
    """Six default rules, each paying city and district points, credited to civicgrid.earning."""
    rules = registry.earning_rules
    assert set(rules) == {r.key for r in earning.DEFAULT_EARNING_RULES}
    assert {rules[k].plugin for k in rules} == {"civicgrid.earning"}
    assert all(set(r.amounts) == {"city_points", "district_points"} for r in rules.values())


def test_a_fulfilled_micro_wish_pays_the_volunteer_once_confirmed(
    registry: Registry, clock: ManualClock
) -> None:
    """发布 → 认领 → 达成 → 评价: the rating that closes the wish pays its claimant, once."""
    ledger = Ledger()
    desk = desk_for(registry, ledger)
    engine = Engine.from_registry(registry, clock=clock, observers=[desk])
    case = engine.open("micro_wishes", actor=LEADER, data={"category": "goods", "text": "收音机"})
    engine.fire(case, "claim", VOLUNTEER, assignee=VOLUNTEER.id)
    engine.fire(case, "fulfil", VOLUNTEER, at=clock.advance(DAY))
    assert len(ledger) == 0
    engine.fire(case, "rate", RESIDENT, data={"rating": "satisfied"})
    assert ledger.balance("person:volunteer-21:city_points") == 5
    assert ledger.balance("person:volunteer-21:district_points") == 5
    seq = case.events[-1].seq
    earned = ledger.transaction(f"earn:{case.id}:{seq}:micro_wish_fulfilled")
    assert earned.data["earner"] == "volunteer-21"
    for event in case.events:
        desk(case, event)
    assert len(ledger) == 1


def test_a_patrol_earns_up_to_the_day_cap_and_the_cut_is_recorded(registry: Registry) -> None:
    """Two patrols in a day: the first earns 2 and 2, the second is capped and books nothing."""
    desk = desk_for(registry)
    (first,) = desk.record("patrol", key="log-1", person="w1", at=AT)
    (second,) = desk.record("patrol", key="log-2", person="w1", at=AT + timedelta(hours=2))
    assert (first.outcome, second.outcome) == (AwardOutcome.FULL, AwardOutcome.CAPPED)
    assert desk.ledger.balance("person:w1:city_points") == 2
    (third,) = desk.record("patrol", key="log-3", person="w1", at=AT + DAY)
    assert third.outcome is AwardOutcome.FULL
    assert [a.outcome for a in desk.awards] == [
        AwardOutcome.FULL,
        AwardOutcome.CAPPED,
        AwardOutcome.FULL,
    ]


def test_a_partial_award_books_up_to_the_cap_and_says_so_in_the_ledger(
    registry: Registry,
) -> None:
    """Hours served: 6 h then 5 h in a day against a cap of 8: the second books 2 of 5."""
    desk = desk_for(registry)
    desk.record("hours_served", key="h-1", person="w1", at=AT, quantity=6 * 60)
    (award,) = desk.record("hours_served", key="h-2", person="w1", at=AT, quantity=5 * 60 + 59)
    assert award.outcome is AwardOutcome.PARTIAL
    booked = desk.ledger.transaction("earn:h-2:hours_served")
    assert booked.data["amounts"] == {"city_points": 2, "district_points": 2}
    assert booked.data["due"] == {"city_points": 5, "district_points": 5}
    assert booked.data["capped"] == {"city_points": "day", "district_points": "day"}


def test_recording_an_activity_twice_awards_nothing_twice(registry: Registry) -> None:
    """The same patrol log id again is skipped before any cap is checked."""
    desk = desk_for(registry)
    desk.record("patrol", key="log-1", person="w1", at=AT)
    assert desk.record("patrol", key="log-1", person="w1", at=AT) == ()
    assert len(desk.ledger) == 1


def test_an_ineligible_earner_is_recorded_and_paid_nothing(registry: Registry) -> None:
    """A resident's patrol is assessed as ineligible: nothing booked, the reason kept."""
    desk = desk_for(registry)
    (award,) = desk.record("patrol", key="log-9", person="resident-9", at=AT)
    assert award.outcome is AwardOutcome.INELIGIBLE
    assert len(desk.ledger) == 0


def test_a_desk_rebuilt_on_a_ledger_keeps_counting_its_caps(registry: Registry) -> None:
    """Caps come from the ledger: a new desk over the same ledger sees today's patrol."""
    ledger = Ledger()
    desk_for(registry, ledger).record("patrol", key="log-1", person="w1", at=AT)
    (again,) = desk_for(registry, ledger).record("patrol", key="log-2", person="w1", at=AT)
    assert again.outcome is AwardOutcome.CAPPED


def test_a_reversed_award_frees_room_under_the_cap(registry: Registry) -> None:
    """A patrol's points reversed on the ledger: a later patrol that day earns again."""
    desk = desk_for(registry)
    desk.record("patrol", key="log-1", person="w1", at=AT)
    desk.ledger.reverse("earn:log-1:patrol", at=AT)
    (again,) = desk.record("patrol", key="log-2", person="w1", at=AT)
    assert again.outcome is AwardOutcome.FULL


def test_a_desk_refuses_bad_rules_and_policies(registry: Registry) -> None:
    """A rule in an undeclared currency and two policies for one currency: both named."""
    odd = EarningRule(key="odd", label_zh="odd", label_en="odd", activity="x", amounts={"stars": 1})
    policy = ExpiryPolicy(
        key="p",
        label_zh="p",
        label_en="p",
        currency="city_points",
        kind=ExpiryKind.END_OF_YEAR,
        count=1,
    )
    with pytest.raises(InvalidData) as bad:
        PointsDesk(Ledger(), [odd], policies=[policy, policy])
    assert {p.path for p in bad.value.problems} == {"rules.odd.amounts.stars", "policies.p"}


def test_tick_books_what_lapsed_once_first_earned_first_spent(registry: Registry) -> None:
    """Earned 2025 and 2026, some spent; at 2027 only 2025's rest lapses, and only once."""
    policy = ExpiryPolicy(
        key="year_after",
        label_zh="次年年底清零",
        label_en="end of the following year",
        currency="city_points",
        kind=ExpiryKind.END_OF_YEAR,
        count=1,
    )
    ledger = Ledger()
    desk = PointsDesk.from_registry(registry, ledger, roles_of=roles_of, policies=[policy])
    old = datetime(2025, 12, 31, 20, tzinfo=DEFAULT_TZ)
    desk.record("patrol", key="log-1", person="w1", at=old)
    desk.record("patrol", key="log-2", person="w1", at=old + DAY)
    from civicgrid.domain.ledger import Account, AccountKind  # noqa: PLC0415

    ledger.open(
        Account(id="sink:redeemed:city_points", currency="city_points", kind=AccountKind.SINK)
    )
    ledger.transfer(
        key="redeem:r1",
        at=old + 2 * DAY,
        kind="redeem",
        source="person:w1:city_points",
        target="sink:redeemed:city_points",
        amount=1,
    )
    assert desk.tick(datetime(2026, 12, 31, 23, tzinfo=DEFAULT_TZ)) == ()
    new_year = datetime(2027, 1, 1, 8, tzinfo=DEFAULT_TZ)
    (lapsed,) = desk.tick(new_year)
    assert (lapsed.kind, lapsed.postings[0].amount) == ("expire", -1)
    assert desk.tick(new_year) == ()
    assert ledger.balance("person:w1:city_points") == 2
    assert ledger.balance("sink:expired:city_points") == 1
    assert ledger.balance("person:w1:district_points") == 4


def test_tick_refuses_an_instant_before_the_ledger_and_books_nothing(registry: Registry) -> None:
    """A tick earlier than the last transaction is refused by the ledger, whole."""
    policy = ExpiryPolicy(
        key="m",
        label_zh="一个月",
        label_en="one month",
        currency="city_points",
        kind=ExpiryKind.AFTER_MONTHS,
        count=1,
    )
    desk = PointsDesk.from_registry(registry, Ledger(), roles_of=roles_of, policies=[policy])
    desk.record("patrol", key="log-1", person="w1", at=AT)
    desk.record("patrol", key="log-2", person="w1", at=AT + 40 * DAY)
    with pytest.raises(LedgerError):
        desk.tick(AT + 35 * DAY)
    assert len(desk.ledger) == 2
