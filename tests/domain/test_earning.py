"""Earning rules (P8, P1): matching, dual amounts, caps per day and period, eligibility."""

from __future__ import annotations

from datetime import date, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.domain.earning import (
    Activity,
    AwardOutcome,
    CapPeriod,
    EarnedTally,
    Earner,
    EarningRule,
    assess,
    award_transaction,
)
from civicgrid.domain.ledger import Account, AccountKind, Ledger
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData

AT = datetime(2026, 3, 31, 23, 30, tzinfo=DEFAULT_TZ)
PATROL = EarningRule(
    key="patrol",
    label_zh="网格巡查",
    label_en="grid patrol",
    activity="patrol",
    amounts={"city_points": 2, "district_points": 3},
    roles={"grid_worker"},
    day_caps={"city_points": 4},
    period_caps={"district_points": 9},
)
WISH = EarningRule(
    key="wish",
    label_zh="微心愿达成",
    label_en="micro-wish fulfilled",
    method="micro_wishes",
    target="closed",
    earner=Earner.ASSIGNEE,
    amounts={"city_points": 5},
)


def patrol(key: str = "a1", at: datetime = AT, quantity: int = 1) -> Activity:
    """A patrol by worker w1."""
    return Activity(key=key, at=at, actor="w1", name="patrol", quantity=quantity)


def test_one_activity_earns_in_both_currencies() -> None:
    """Dual points: a patrol earns city and district points by one rule."""
    award = assess(PATROL, patrol(), roles={"grid_worker"}, earned_today={}, earned_in_period={})
    assert award.outcome is AwardOutcome.FULL
    assert award.booked == {"city_points": 2, "district_points": 3}
    assert (award.day, award.period, award.earner) == (date(2026, 3, 31), "2026-03", "w1")


def test_the_day_is_read_in_asia_shanghai() -> None:
    """23:30 in Shanghai on 31 March is 15:30 UTC: still March, and still Q1."""
    rule = attrs.evolve(PATROL, period=CapPeriod.QUARTER)
    award = assess(
        rule,
        patrol(at=AT.astimezone(DEFAULT_TZ)),
        roles={"grid_worker"},
        earned_today={},
        earned_in_period={},
    )
    assert (award.day, award.period) == (date(2026, 3, 31), "2026-Q1")
    assert CapPeriod.YEAR.key_of(date(2026, 3, 31)) == "2026"


def test_a_cap_books_the_part_up_to_it_and_says_which() -> None:
    """City points at 3 of 4 today: 1 is booked, cut by the day cap; district is untouched."""
    award = assess(
        PATROL,
        patrol(),
        roles={"grid_worker"},
        earned_today={"city_points": 3},
        earned_in_period={"district_points": 7},
    )
    assert award.outcome is AwardOutcome.PARTIAL
    grants = {g.currency: (g.due, g.amount, g.capped) for g in award.grants}
    assert grants == {"city_points": (2, 1, "day"), "district_points": (3, 2, "period")}


def test_a_cap_already_reached_books_nothing() -> None:
    """Both caps reached: the outcome is CAPPED and no transaction is made."""
    award = assess(
        PATROL,
        patrol(),
        roles={"grid_worker"},
        earned_today={"city_points": 4},
        earned_in_period={"district_points": 9},
    )
    assert award.outcome is AwardOutcome.CAPPED
    assert award.booked == {}
    assert award_transaction(award, key="earn:a1:patrol", owner="person:w1") is None


def test_an_earner_without_an_eligible_role_earns_nothing() -> None:
    """A resident's patrol is not paid under a rule for grid workers."""
    award = assess(PATROL, patrol(), roles={"resident"}, earned_today={}, earned_in_period={})
    assert award.outcome is AwardOutcome.INELIGIBLE
    assert award.grants == ()


def test_a_method_rule_pays_the_assignee_and_needs_one() -> None:
    """The micro-wish rule pays the case's assignee; with none there is no earner."""
    closed = Activity(
        key="c1:5",
        at=AT,
        actor="resident-9",
        method="micro_wishes",
        trigger="rate",
        target="closed",
        assignee="volunteer-21",
    )
    assert assess(WISH, closed, roles=(), earned_today={}, earned_in_period={}).earner == (
        "volunteer-21"
    )
    orphan = attrs.evolve(closed, assignee=None)
    assert assess(WISH, orphan, roles=(), earned_today={}, earned_in_period={}).outcome is (
        AwardOutcome.NO_EARNER
    )
    assert not WISH.matches(attrs.evolve(closed, target="fulfilled"))


def test_per_counts_whole_units_of_the_quantity() -> None:
    """Hours served in minutes, paid per whole hour: 150 minutes earn two hours' points."""
    hours = EarningRule(
        key="hours",
        label_zh="服务时长",
        label_en="hours served",
        activity="hours_served",
        amounts={"city_points": 1},
        per=60,
    )
    served = Activity(key="h1", at=AT, actor="v1", name="hours_served", quantity=150)
    assert assess(hours, served, roles=(), earned_today={}, earned_in_period={}).booked == {
        "city_points": 2
    }


def test_assessing_an_activity_the_rule_does_not_match_is_an_error() -> None:
    """A rule only assesses what it matches."""
    with pytest.raises(ValueError, match="does not match"):
        assess(WISH, patrol(), roles=(), earned_today={}, earned_in_period={})


def test_a_bad_rule_lists_every_problem_by_field() -> None:
    """Activity and method both given, a zero amount, a cap on a currency not earned: all named."""
    with pytest.raises(InvalidData) as bad:
        EarningRule(
            key="x",
            label_zh="x",
            label_en="x",
            activity="patrol",
            method="m",
            amounts={"city_points": 0},
            day_caps={"district_points": 5},
            per=0,
        )
    paths = {p.path for p in bad.value.problems}
    assert paths == {
        "activity",
        "trigger",
        "amounts.city_points",
        "day_caps.district_points",
        "per",
    }


def test_a_method_rule_needs_a_trigger_or_target() -> None:
    """A method rule with neither would pay for every event of the method."""
    with pytest.raises(InvalidData) as bad:
        EarningRule(key="x", label_zh="x", label_en="x", method="m", amounts={"city_points": 1})
    assert [p.path for p in bad.value.problems] == ["trigger"]


def test_a_bad_activity_names_its_fields() -> None:
    """A naive instant and a zero quantity are refused together."""
    with pytest.raises(InvalidData) as bad:
        Activity(
            key="a",
            at=datetime(2026, 1, 1),  # noqa: DTZ001
            actor="w1",
            name="patrol",
            quantity=0,
        )
    assert {p.path for p in bad.value.problems} == {"at", "quantity"}


def test_labels_are_bilingual() -> None:
    """Every kind carries Chinese and English labels."""
    for kind in (*Earner, *CapPeriod, *AwardOutcome):
        assert kind.label_zh
        assert kind.label_en


def test_the_tally_follows_earns_and_their_reversals() -> None:
    """Booked earns count toward the caps; a reversed earn frees its room."""
    ledger = Ledger()
    for currency in ("city_points", "district_points"):
        ledger.open(Account(id=f"issuer:{currency}", currency=currency, kind=AccountKind.ISSUER))
        ledger.open(Account(id=f"person:w1:{currency}", currency=currency))
    tally = EarnedTally()
    award = tally.assess(PATROL, patrol(), lambda _p: {"grid_worker"})
    transaction = award_transaction(award, key="earn:a1:patrol", owner="person:w1")
    assert transaction is not None
    tally.fold(ledger.post(transaction))
    assert tally.earned_on("w1", "patrol", AT.date()) == {"city_points": 2, "district_points": 3}
    tally.fold(ledger.reverse("earn:a1:patrol", at=AT))
    assert tally.earned_in("w1", "patrol", "2026-03") == {"city_points": 0, "district_points": 0}


@given(
    earned=st.integers(0, 20),
    amount=st.integers(1, 10),
    cap=st.integers(1, 15),
    quantity=st.integers(1, 5),
)
def test_an_award_never_takes_an_earner_past_a_cap(
    earned: int, amount: int, cap: int, quantity: int
) -> None:
    """Whatever was earned before, what is booked never exceeds the room left under the cap."""
    rule = EarningRule(
        key="r",
        label_zh="r",
        label_en="r",
        activity="patrol",
        amounts={"city_points": amount},
        day_caps={"city_points": cap},
    )
    award = assess(
        rule,
        patrol(quantity=quantity),
        roles=(),
        earned_today={"city_points": earned},
        earned_in_period={},
    )
    (grant,) = award.grants
    assert grant.amount == min(amount * quantity, max(cap - earned, 0))
    assert (grant.capped is not None) == (grant.amount < grant.due)
