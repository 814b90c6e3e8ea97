"""Which steps of a deliberation method wait for its meeting days (议事日, DOMAIN.md D2–D4).

A deliberation method says *what* happens to a topic; a :class:`MeetingRule` says *when* its
council meets. A :class:`MeetingSchedule` joins the two: topics in one of ``steps`` move on
only at a meeting, which starts at ``hour`` on each day the rule holds one (weekly on
Thursday evenings for 周四来说事, monthly for Five Steps' consultation). Plugins register
schedules through the ``register_meeting_schedules`` hook; the simulation then lets a topic
in a meeting step wait for the next meeting, so two methods are measured on how long their
residents wait as well as on what they decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time, tzinfo

import attrs

from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.errors import InvalidData, Problem
from civicgrid.workflows.calendar import DEFAULT_CALENDAR, WorkCalendar
from civicgrid.workflows.meeting_days import MeetingRule

__all__ = ["MeetingSchedule"]

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _keys(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


@attrs.frozen(kw_only=True)
class MeetingSchedule:
    """The meeting days of one deliberation method, and the steps that wait for them.

    ``method`` is the method's key, ``rule`` when its council meets, ``steps`` the steps a
    topic leaves only at a meeting, and ``hour`` (0–23, local time) when a meeting starts.
    A registry refuses a schedule naming a method or a step no plugin provides.
    """

    method: str
    rule: MeetingRule
    steps: frozenset[str] = attrs.field(converter=_keys)
    hour: int = 19
    """Library default: meetings start at 19:00, after working hours."""
    plugin: str | None = attrs.field(default=None, eq=False)
    """The plugin that registered the schedule (set by the registry)."""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        method: object = self.method
        if not isinstance(method, str) or not _KEY.match(method):
            problems.append(Problem("method", f"must be a method key, not {method!r}"))
        rule: object = self.rule
        if not isinstance(rule, MeetingRule):
            problems.append(Problem("rule", f"must be a MeetingRule, not {rule!r}"))
        if not self.steps:
            problems.append(Problem("steps", "name at least one step that waits for a meeting"))
        steps: frozenset[object] = self.steps
        problems.extend(
            Problem("steps", f"must be step keys, not {step!r}")
            for step in sorted(steps, key=repr)
            if not isinstance(step, str) or not _KEY.match(step)
        )
        hour: object = self.hour
        if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
            problems.append(Problem("hour", f"must be a whole hour 0–23, not {hour!r}"))
        if problems:
            raise InvalidData(f"meeting schedule of {method!r}", problems)

    @property
    def key(self) -> str:
        """The schedule's key in a registry: its method's key (one schedule per method)."""
        return self.method

    def next_meeting(
        self,
        after: datetime,
        *,
        calendar: WorkCalendar = DEFAULT_CALENDAR,
        tz: tzinfo = DEFAULT_TZ,
    ) -> datetime | None:
        """Return when the first meeting starting at or after ``after`` begins.

        ``None`` when the rule holds no meeting in the ten years ahead. Days are read in
        ``tz`` (Asia/Shanghai by default), as the rule's calendar days are local days.
        """
        require_aware(after, "after")
        local = after.astimezone(tz)
        today = local.date()
        start = time(self.hour)
        if local.time() <= start and self.rule.is_meeting_day(today, calendar=calendar):
            return datetime.combine(today, start, tz)
        following = self.rule.next_after(today, 1, calendar=calendar)
        if not following:
            return None
        return datetime.combine(following[0].held, start, tz)
