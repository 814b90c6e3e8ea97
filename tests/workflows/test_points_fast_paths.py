"""The points desk's shortcuts (rules looked up per kind, days converted once) change nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.earning import (
    Activity,
    Award,
    CapPeriod,
    EarnedTally,
    Earner,
    EarningRule,
    award_transaction,
)
from civicgrid.domain.ledger import Ledger, Transaction
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData
from civicgrid.workflows.points import PointsDesk, person_owner

START = datetime(2026, 3, 30, 6, tzinfo=DEFAULT_TZ)
NEW_YORK_ISH = timezone(timedelta(hours=-5))


def rule(key: str, activity: str, **kwargs: Any) -> EarningRule:
    """An earning rule for ``activity`` named ``key``."""
    return EarningRule(key=key, label_zh=key, label_en=key, activity=activity, **kwargs)


RULES = [
    rule("patrol", "patrol", amounts={"city_points": 2}, day_caps={"city_points": 4}),
    rule(
        "patrol_far",
        "patrol",
        amounts={"district_points": 3},
        period_caps={"district_points": 10},
        period=CapPeriod.MONTH,
        tz=NEW_YORK_ISH,
    ),
    rule("mediation", "mediation", amounts={"city_points": 5}, roles={"mediator"}),
    rule("served", "hours_served", amounts={"city_points": 1}, per=60, earner=Earner.ASSIGNEE),
]


def roles_of(person: str) -> set[str]:
    """p1 mediates; nobody else holds a role."""
    return {"mediator"} if person == "p1" else set()


def reference(
    tally: EarnedTally, horizon: date | None, name: str, key: str, person: str, at: datetime
) -> tuple[tuple[Award, ...], list[Transaction]] | None:
    """What the desk did before its shortcuts: every rule checked, each day converted anew.

    ``None`` when the activity is refused for falling before the forgotten horizon, read as
    the desk read it: before the horizon in a matching rule's timezone, and before the
    horizon's start in the latest of all the rules' timezones.
    """
    activity = Activity(key=key, at=at, actor=person, name=name, quantity=90)
    matching = [r for r in RULES if r.matches(activity)]
    if horizon is not None:
        clear_after = max(datetime.combine(horizon, time(), r.tz) for r in RULES)
        if at < clear_after and any(at.astimezone(r.tz).date() < horizon for r in matching):
            return None
    awards = tuple(tally.assess(r, activity, roles_of) for r in matching)
    transactions: list[Transaction] = []
    for award, paying in zip(awards, matching, strict=True):
        if award.earner is not None:
            owner = person_owner(award.earner)
            booked = award_transaction(award, key=f"earn:{key}:{paying.key}", owner=owner)
            if booked is not None:
                transactions.append(booked)
    return awards, transactions


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["patrol", "mediation", "hours_served", "meeting_attended"]),
            st.sampled_from(["p1", "p2"]),
            st.integers(0, 20),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_the_desk_awards_as_every_matching_rule_assesses(
    steps: list[tuple[str, str, int, bool]],
) -> None:
    """Awards, bookings and refusals are those of assessing each matching rule in turn.

    Two rules pay for a patrol, one of them in a timezone thirteen hours behind, so the
    activity's day differs between the rules and the desk's forgotten horizon refuses some
    patrols by one rule's day only; a kind no rule pays for awards nothing.
    """
    ledger = Ledger()
    desk = PointsDesk(ledger, RULES, roles_of=roles_of)
    at, horizon = START, None
    for n, (name, person, hours, forget) in enumerate(steps):
        at += timedelta(hours=hours)
        if forget:
            desk.forget(at.date())
            horizon = at.date()
        tally = EarnedTally()
        for transaction in ledger:
            tally.fold(transaction)
        expected = reference(tally, horizon, name, f"a{n}", person, at)
        held = len(ledger)
        if expected is None:
            with pytest.raises(InvalidData, match="forgotten"):
                desk.record(name, key=f"a{n}", person=person, at=at, quantity=90)
            assert len(ledger) == held
            continue
        awards, transactions = expected
        assert desk.record(name, key=f"a{n}", person=person, at=at, quantity=90) == awards
        booked = list(ledger)[held:]
        assert [(t.key, t.at, t.postings, dict(t.data)) for t in booked] == [
            (t.key, t.at, t.postings, dict(t.data)) for t in transactions
        ]


def test_a_closed_holder_account_is_opened_again_by_the_next_award() -> None:
    """A holder account emptied and closed is opened again when its owner next earns."""
    ledger = Ledger()
    desk = PointsDesk(ledger, RULES[:1])
    desk.record("patrol", key="a", person="p1", at=START)
    ledger.reverse("earn:a:patrol", at=START)
    desk.forget(START.date())  # catches up with the ledger, as the simulation does each day
    ledger.forget(len(ledger))
    ledger.close("person:p1:city_points")
    desk.record("patrol", key="b", person="p1", at=START + timedelta(hours=1))
    assert ledger.balance("person:p1:city_points") == 2
