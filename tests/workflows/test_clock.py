"""Clocks: manual, fixed and system time, always timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    DEFAULT_TZ,
    CivicGridError,
    Clock,
    ClockError,
    FixedClock,
    ManualClock,
    NaiveDatetimeError,
    SystemClock,
)

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)


def test_manual_clock_starts_where_it_is_told() -> None:
    """A manual clock tells its starting instant until it is moved."""
    clock = ManualClock(MONDAY)
    assert clock.now() == MONDAY
    assert clock.now() == MONDAY


def test_manual_clock_advances_by_a_timedelta() -> None:
    """``advance`` with a timedelta moves the clock and returns the new instant."""
    clock = ManualClock(MONDAY)
    moved = clock.advance(timedelta(hours=5, minutes=30))
    assert moved == MONDAY + timedelta(hours=5, minutes=30)
    assert clock.now() == moved


def test_manual_clock_advances_by_a_calendar_month() -> None:
    """``advance(relativedelta(months=1))`` is calendar arithmetic, not thirty days."""
    clock = ManualClock(datetime(2026, 1, 31, 9, 0, tzinfo=DEFAULT_TZ))
    assert clock.advance(relativedelta(months=1)) == datetime(2026, 2, 28, 9, 0, tzinfo=DEFAULT_TZ)
    monday = ManualClock(MONDAY)
    assert monday.advance(relativedelta(months=1)) == datetime(
        2026, 12, 23, 9, 0, tzinfo=DEFAULT_TZ
    )


def test_manual_clock_may_stand_still() -> None:
    """Advancing by nothing, or setting the current instant, is allowed."""
    clock = ManualClock(MONDAY)
    assert clock.advance(timedelta(0)) == MONDAY
    assert clock.set(MONDAY) == MONDAY


def test_manual_clock_sets_a_later_instant_in_another_zone() -> None:
    """``set`` accepts any later aware instant, whatever its zone."""
    clock = ManualClock(MONDAY)
    later = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert clock.set(later) == later
    assert clock.now() == MONDAY + timedelta(hours=1)


@pytest.mark.parametrize(
    "delta",
    [timedelta(seconds=-1), timedelta(days=-3), relativedelta(months=-1), relativedelta(hours=-1)],
    ids=["one-second", "three-days", "one-month", "one-hour-relative"],
)
def test_manual_clock_refuses_to_go_backwards(delta: timedelta | relativedelta) -> None:
    """A negative step raises ClockError and leaves the clock where it was."""
    clock = ManualClock(MONDAY)
    with pytest.raises(ClockError) as caught:
        clock.advance(delta)
    assert clock.now() == MONDAY
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, CivicGridError)
    assert "forwards only" in str(caught.value)
    assert "手动时钟只能向前" in str(caught.value)


def test_manual_clock_refuses_to_be_set_earlier() -> None:
    """``set`` to an earlier instant raises ClockError and changes nothing."""
    clock = ManualClock(MONDAY)
    with pytest.raises(ClockError):
        clock.set(MONDAY - timedelta(microseconds=1))
    assert clock.now() == MONDAY


def test_manual_clock_refuses_a_naive_start() -> None:
    """A manual clock cannot start at a datetime without a timezone."""
    with pytest.raises(NaiveDatetimeError) as caught:
        ManualClock(datetime(2026, 11, 23, 9, 0))  # noqa: DTZ001
    assert caught.value.field == "start"


def test_manual_clock_refuses_a_naive_target() -> None:
    """``set`` refuses a datetime without a timezone."""
    clock = ManualClock(MONDAY)
    with pytest.raises(NaiveDatetimeError):
        clock.set(datetime(2026, 11, 24, 9, 0))  # noqa: DTZ001
    assert clock.now() == MONDAY


@settings(max_examples=50, deadline=None)
@given(steps=st.lists(st.integers(min_value=0, max_value=10**7), max_size=20))
def test_manual_clock_adds_up_its_steps(steps: list[int]) -> None:
    """Any sequence of forward steps ends at the start plus their sum, never going back."""
    clock = ManualClock(MONDAY)
    previous = clock.now()
    for seconds in steps:
        now = clock.advance(timedelta(seconds=seconds))
        assert now >= previous
        previous = now
    assert clock.now() == MONDAY + timedelta(seconds=sum(steps))


def test_fixed_clock_never_moves() -> None:
    """A fixed clock tells the same instant every time."""
    clock = FixedClock(MONDAY)
    assert clock.now() == MONDAY
    assert clock.now() is clock.now()


def test_fixed_clock_refuses_a_naive_instant() -> None:
    """A fixed clock needs a timezone-aware instant."""
    with pytest.raises(NaiveDatetimeError):
        FixedClock(datetime(2026, 11, 23, 9, 0))  # noqa: DTZ001


def test_system_clock_tells_aware_shanghai_time() -> None:
    """The system clock returns the current time in Asia/Shanghai (UTC+8)."""
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is DEFAULT_TZ
    assert str(now.tzinfo) == "Asia/Shanghai"
    assert now.utcoffset() == timedelta(hours=8)
    assert before <= now <= after


def test_system_clock_takes_another_zone() -> None:
    """A system clock may be given another timezone."""
    now = SystemClock(UTC).now()
    assert now.tzinfo is UTC


def test_every_clock_is_a_clock() -> None:
    """The three clocks satisfy the Clock protocol."""
    for clock in (SystemClock(), FixedClock(MONDAY), ManualClock(MONDAY)):
        assert isinstance(clock, Clock)
        assert clock.now().tzinfo is not None
        assert repr(clock)
