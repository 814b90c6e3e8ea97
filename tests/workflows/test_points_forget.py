"""A points desk that forgets past days awards exactly as one that remembers everything."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.earning import CapPeriod, EarningRule
from civicgrid.domain.ledger import Ledger
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData
from civicgrid.workflows.points import PointsDesk

START = datetime(2026, 1, 26, 8, tzinfo=DEFAULT_TZ)
PATROL = EarningRule(
    key="patrol",
    label_zh="网格巡查",
    label_en="grid patrol",
    activity="patrol",
    amounts={"city_points": 3, "district_points": 2},
    day_caps={"city_points": 6},
    period=CapPeriod.MONTH,
    period_caps={"district_points": 20},
)


def balances(ledger: Ledger) -> dict[str, int]:
    """Every account's balance."""
    return {a.id: ledger.balance(a.id) for a in ledger.accounts()}


@settings(max_examples=100, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["p1", "p2"]), st.integers(0, 30), st.integers(1, 3)),
        max_size=60,
    )
)
def test_forgetting_each_day_changes_no_award(steps: list[tuple[str, int, int]]) -> None:
    """Day and month caps bite the same when the desk and its ledger forget every night."""
    keeps, forgets = Ledger(), Ledger()
    remembering = PointsDesk(keeps, [PATROL])
    forgetful = PointsDesk(forgets, [PATROL], keep_awards=False)
    at, today = START, START.date()
    for n, (person, hours, quantity) in enumerate(steps):
        at += timedelta(hours=hours)
        if at.date() != today:
            today = at.date()
            forgets.forget(len(forgets))
            forgetful.forget(today)
        first = remembering.record("patrol", key=f"log{n}", person=person, at=at, quantity=quantity)
        second = forgetful.record("patrol", key=f"log{n}", person=person, at=at, quantity=quantity)
        assert first == second
    assert balances(forgets) == balances(keeps)
    assert len(forgets) == len(keeps)
    assert forgetful.awards == ()


def test_an_activity_before_the_forgotten_day_is_refused_and_books_nothing() -> None:
    """Its caps are gone, so it is refused naming ``at``; the ledger is untouched."""
    ledger = Ledger()
    desk = PointsDesk(ledger, [PATROL])
    desk.record("patrol", key="a", person="p1", at=START)
    desk.forget((START + timedelta(days=1)).date())
    before = (balances(ledger), len(ledger))
    with pytest.raises(InvalidData, match="at"):
        desk.record("patrol", key="b", person="p1", at=START + timedelta(hours=1))
    assert (balances(ledger), len(ledger)) == before
    again = desk.record("patrol", key="a", person="p1", at=START + timedelta(days=1))
    assert again == ()  # key "a" is booked already: idempotent, even once forgotten
