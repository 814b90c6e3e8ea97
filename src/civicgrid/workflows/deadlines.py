"""Deadlines at run time: their rules compiled, their state on a case, their timeline.

A deadline's state is derived from the case's events by the same functions whether the case is
being run or replayed, so a rebuilt case has the same open deadlines with the same remaining
time. Warnings and breaches are recorded as events (they depend on when time passed);
starting, pausing, resuming and stopping follow from the transitions and are not.

Two timelines: calendar time (``duration``, a relativedelta applied in the engine's timezone)
and working time (``working_days``: only the hours of working days count, so a pause or a
weekend does not eat into the limit).
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta, tzinfo
from typing import cast

from dateutil.relativedelta import relativedelta

from civicgrid.workflows.calendar import WorkCalendar, add_working_time, working_time_between
from civicgrid.workflows.method import Deadline

__all__ = ["DeadlineAction", "DeadlineRule", "DeadlineState", "DeadlineStatus", "end_state"]


def _split(duration: relativedelta) -> tuple[relativedelta | timedelta | None, timedelta]:
    """Split a duration into its calendar part (``None`` if empty) and its elapsed part.

    Years, months and days move on the local calendar ("a month later" is the same day next
    month); hours, minutes and seconds are elapsed time, so a daylight-saving change never
    stretches or shrinks "5 hours".
    """
    elapsed = timedelta(hours=duration.hours, minutes=duration.minutes, seconds=duration.seconds)
    if not duration.years and not duration.months:
        # Days alone: a timedelta moves the local wall clock the same way, ~30x faster.
        return (timedelta(days=duration.days) if duration.days else None), elapsed
    dated = relativedelta(years=duration.years, months=duration.months, days=duration.days)
    return dated, elapsed


def _add(
    start: datetime, dated: relativedelta | timedelta | None, elapsed: timedelta, tz: tzinfo
) -> datetime:
    if dated is not None:
        # Move on the local calendar, then re-resolve the offset on the day reached.
        start = (start.astimezone(tz) + dated).replace(tzinfo=None).replace(tzinfo=tz)
    return (start.astimezone(UTC) + elapsed).astimezone(tz)


class DeadlineStatus(enum.StrEnum):
    """Where a deadline stands on a case."""

    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    """Stopped at or before its due instant."""
    BREACHED = "breached"
    """Its due instant passed while it was running."""


class DeadlineAction(enum.Enum):
    """What entering a step does to a deadline (compiled per transition)."""

    START = "start"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"


class DeadlineState:
    """One deadline on one case: owned and changed by the engine, read by everyone else."""

    __slots__ = (
        "due",
        "ended_at",
        "key",
        "remaining",
        "started_at",
        "status",
        "token",
        "warn_due",
        "warn_remaining",
        "warned",
    )

    def __init__(self, key: str, started_at: datetime, due: datetime, warn_due: datetime | None):
        self.key = key
        self.status = DeadlineStatus.RUNNING
        self.started_at = started_at
        self.due: datetime | None = due
        """The instant it breaches, while running; ``None`` while paused."""
        self.warn_due = warn_due
        self.warned = False
        self.remaining: timedelta | None = None
        """While paused: the time left on its timeline (working time for working days)."""
        self.warn_remaining: timedelta | None = None
        self.ended_at: datetime | None = None
        self.token = 0
        """Bumped on every change, so queued alarms of an older state are ignored."""

    @property
    def next_alarm(self) -> datetime | None:
        """The next instant at which the deadline warns or breaches, if it is running."""
        if self.status is not DeadlineStatus.RUNNING:
            return None
        if self.warn_due is not None and not self.warned:
            return self.warn_due
        return self.due

    def _key(self) -> tuple[object, ...]:
        return (
            self.key,
            self.status,
            self.started_at,
            self.due,
            self.warn_due,
            self.warned,
            self.remaining,
            self.warn_remaining,
            self.ended_at,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DeadlineState):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __repr__(self) -> str:
        when = self.due.isoformat() if self.due else f"{self.remaining} left"
        return f"DeadlineState({self.key!r}, {self.status.value}, {when})"


class DeadlineRule:
    """A :class:`~civicgrid.workflows.method.Deadline` compiled for fast use by the engine."""

    __slots__ = (
        "action",
        "breach_trigger",
        "dated",
        "definition",
        "elapsed",
        "key",
        "pause",
        "start",
        "stop",
        "warn_at",
        "warn_offset",
        "working",
    )

    def __init__(self, definition: Deadline) -> None:
        self.definition = definition
        self.key = definition.key
        self.start = frozenset(definition.start)
        self.stop = frozenset(definition.stop)
        self.pause = frozenset(definition.pause)
        self.working = (
            timedelta(days=definition.working_days) if definition.working_days is not None else None
        )
        self.dated, self.elapsed = (
            _split(definition.duration) if definition.duration is not None else (None, timedelta())
        )
        self.warn_at = definition.warn_at
        # With no calendar part, the warning's offset from the start is fixed: compute it once.
        self.warn_offset = (
            self.elapsed * self.warn_at
            if self.warn_at is not None and self.dated is None and self.working is None
            else None
        )
        self.action = definition.on_breach
        self.breach_trigger = definition.breach_trigger

    def action_on_entering(
        self, source: str | None, target: str, target_terminal: bool
    ) -> DeadlineAction | None:
        """Return what moving from ``source`` into ``target`` does to this deadline, if anything."""
        if target_terminal or target in self.stop:
            return DeadlineAction.STOP
        if target in self.start:
            return DeadlineAction.START
        if target in self.pause:
            return DeadlineAction.PAUSE
        if source is not None and source in self.pause:
            return DeadlineAction.RESUME
        return None

    # ------------------------------------------------------------------ the timeline

    def _advance(
        self, start: datetime, amount: timedelta, calendar: WorkCalendar, tz: tzinfo
    ) -> datetime:
        if self.working is not None:
            return add_working_time(calendar, start, amount, tz)
        return (start.astimezone(UTC) + amount).astimezone(tz)

    def _distance(self, a: datetime, b: datetime, calendar: WorkCalendar, tz: tzinfo) -> timedelta:
        if self.working is not None:
            return working_time_between(calendar, a, b, tz)
        return b.astimezone(UTC) - a.astimezone(UTC)

    def begin(self, at: datetime, calendar: WorkCalendar, tz: tzinfo) -> DeadlineState:
        """Start the deadline at ``at``: compute its due instant and warning point."""
        if self.working is None and self.dated is None:
            # The common case, hours and minutes of elapsed time: one trip through UTC.
            start = at.astimezone(UTC)
            due = (start + self.elapsed).astimezone(tz)
            offset = self.warn_offset
            warn = None if offset is None else (start + offset).astimezone(tz)
            return DeadlineState(self.key, at, due, warn)
        if self.working is not None:
            total = self.working
            due = add_working_time(calendar, at, total, tz)
        else:
            due = _add(at, self.dated, self.elapsed, tz)
            total = due.astimezone(UTC) - at.astimezone(UTC)
        warn_due = None
        if self.warn_at is not None:
            warn_due = self._advance(at, total * self.warn_at, calendar, tz)
        return DeadlineState(self.key, at, due, warn_due)

    def pause_state(
        self, state: DeadlineState, at: datetime, calendar: WorkCalendar, tz: tzinfo
    ) -> None:
        """Stop the clock at ``at``, keeping the time left (and the time to the warning)."""
        due = cast("datetime", state.due)  # running, so due is set
        state.remaining = self._distance(at, due, calendar, tz)
        if state.warn_due is not None and not state.warned:
            state.warn_remaining = self._distance(at, state.warn_due, calendar, tz)
            state.warn_due = None
        state.due = None
        state.status = DeadlineStatus.PAUSED
        state.token += 1

    def resume_state(
        self, state: DeadlineState, at: datetime, calendar: WorkCalendar, tz: tzinfo
    ) -> None:
        """Start the clock again at ``at`` with the time that was left."""
        remaining = cast("timedelta", state.remaining)  # paused, so remaining is set
        state.due = self._advance(at, remaining, calendar, tz)
        if state.warn_remaining is not None:
            state.warn_due = self._advance(at, state.warn_remaining, calendar, tz)
        state.remaining = None
        state.warn_remaining = None
        state.status = DeadlineStatus.RUNNING
        state.token += 1


def end_state(state: DeadlineState, at: datetime) -> None:
    """Stop a running or paused deadline at ``at``: it was met."""
    state.status = DeadlineStatus.MET
    state.ended_at = at
    state.token += 1
