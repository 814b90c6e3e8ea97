"""Working-day deadlines on the official calendar, across the 2026 Spring Festival."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicgrid import (
    Actor,
    DeadlineStatus,
    Engine,
    EventKind,
    ManualClock,
    OfficialChineseCalendar,
    Registry,
)
from civicgrid.domain.time import DEFAULT_TZ

pytest.importorskip("chinese_calendar")

FRIDAY = datetime(2026, 2, 13, 10, 0, tzinfo=DEFAULT_TZ)
"""The last working day before the festival (rest days 2026-02-15 … 02-23)."""


@pytest.fixture
def festival_engine(registry: Registry) -> Engine:
    """An engine on the official calendar, its clock on the Friday before the festival."""
    return Engine.from_registry(
        registry, clock=ManualClock(FRIDAY), calendar=OfficialChineseCalendar()
    )


def test_five_working_days_skip_the_festival_and_count_the_make_up_saturday(
    festival_engine: Engine, community: Actor
) -> None:
    """Five Steps' five-working-day confirmation runs Fri 13th, Sat 14th (调休), 24th–27th."""
    case = festival_engine.open("five_steps", actor=community, at=FRIDAY)
    confirmation = case.deadlines["confirmation"]
    # 14 h left on Friday, 24 h on the make-up Saturday, then Feb 24, 25, 26 and 10 h of Feb 27.
    assert confirmation.due == datetime(2026, 2, 27, 10, 0, tzinfo=DEFAULT_TZ)
    # 80 % of 120 working hours is 96: 14 + 24 + 24 + 24 + 10 → Thursday 26th, 10:00.
    assert confirmation.warn_due == datetime(2026, 2, 26, 10, 0, tzinfo=DEFAULT_TZ)


def test_a_confirmation_on_the_last_day_is_on_time_and_one_second_later_is_not(
    festival_engine: Engine, community: Actor
) -> None:
    """At exactly the due instant the deadline is met; the breach is recorded after it."""
    due = datetime(2026, 2, 27, 10, 0, tzinfo=DEFAULT_TZ)
    on_time = festival_engine.open("five_steps", actor=community, at=FRIDAY)
    late = festival_engine.open("five_steps", actor=community, at=FRIDAY)
    for case in (on_time, late):
        festival_engine.fire(case, "sort", community, at=FRIDAY + timedelta(hours=1))
    festival_engine.fire(on_time, "confirm", community, at=due)
    assert on_time.deadlines["confirmation"].status is DeadlineStatus.MET
    breaches = [
        e for e in festival_engine.tick(due + timedelta(seconds=1)) if e.kind is EventKind.BREACHED
    ]
    assert [(e.case_id, e.at) for e in breaches] == [(late.id, due)]
