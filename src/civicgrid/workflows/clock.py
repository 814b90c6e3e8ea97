"""Clocks: the kernel never reads the system time itself, a clock is passed in.

Three are provided: :class:`SystemClock` for production, :class:`FixedClock` for a frozen
instant, and :class:`ManualClock`, advanced by hand, for simulations and tests. Every clock
returns timezone-aware datetimes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Protocol, runtime_checkable

from dateutil.relativedelta import relativedelta

from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.errors import ClockError

__all__ = ["Clock", "FixedClock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current instant, timezone-aware."""

    def now(self) -> datetime:
        """Return the current instant."""
        ...


class SystemClock:
    """The machine's clock, in ``tz`` (Asia/Shanghai unless told otherwise)."""

    def __init__(self, tz: tzinfo = DEFAULT_TZ) -> None:
        self.tz = tz

    def now(self) -> datetime:
        """Return the system time now, in this clock's timezone."""
        return datetime.now(self.tz)

    def __repr__(self) -> str:
        return f"SystemClock(tz={self.tz!s})"


class FixedClock:
    """A clock stopped at one instant."""

    def __init__(self, at: datetime) -> None:
        self.at = require_aware(at, "at")

    def now(self) -> datetime:
        """Return the fixed instant."""
        return self.at

    def __repr__(self) -> str:
        return f"FixedClock({self.at.isoformat()})"


class ManualClock:
    """A clock that moves only when told to, and only forwards.

    ``advance`` takes a ``timedelta`` or a ``relativedelta`` ("one month later" is calendar
    arithmetic, not 30 days).
    """

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "start")

    def now(self) -> datetime:
        """Return the clock's current instant."""
        return self._now

    def advance(self, delta: timedelta | relativedelta) -> datetime:
        """Move forward by ``delta`` and return the new instant; a negative step is refused."""
        target = self._now + delta
        self.set(target)
        return self._now

    def set(self, at: datetime) -> datetime:
        """Move to ``at``, which must not be earlier than now."""
        require_aware(at, "at")
        if at < self._now:
            raise ClockError(
                f"a manual clock runs forwards only: {at.isoformat()} is before "
                f"{self._now.isoformat()}",
                f"手动时钟只能向前：{at.isoformat()} 早于 {self._now.isoformat()}",
            )
        self._now = at
        return at

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"
