"""Built-in plugin ``civicgrid.five_steps``: D2 "五步议事法" Five Steps, and its guard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.meeting_days import Frequency, MeetingRule, Weekday
from civicgrid.workflows.meeting_schedule import MeetingSchedule
from civicgrid.workflows.method import Method

__all__ = [
    "CONSULTATION_DAYS",
    "agreement_recorded",
    "register_guards",
    "register_meeting_schedules",
    "register_methods",
]

CONSULTATION_DAYS = MeetingRule(
    key="five_steps_consultation",
    label_zh="每月组织协商",
    label_en="Monthly consultation",
    frequency=Frequency.MONTHLY,
    weekdays=(Weekday.SATURDAY,),
    nth=1,
    source="D2, 000",
)
"""D2 (000) says consultation is organised but not when. Library default, matching the
method's "consulted within the month" deadline: the first Saturday of each month, kept on
holidays (a weekend meeting suits owners who work)."""


def agreement_recorded(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["agreement"]`` records what the consultation agreed (协商意见)."""
    agreement = (data or {}).get("agreement")
    return isinstance(agreement, str) and bool(agreement.strip())


@hookimpl
def register_methods() -> list[Method]:
    """Provide Five Steps, loaded from its method file."""
    return [builtin_method("five_steps")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guard the consultation step uses."""
    return [
        Guard(
            name="agreement_recorded",
            check=agreement_recorded,
            label_zh="须记录协商意见（data.agreement）",
            label_en="the agreement reached must be recorded (data.agreement)",
        )
    ]


@hookimpl
def register_meeting_schedules() -> list[MeetingSchedule]:
    """Topics wait in consultation (组织协商) for the monthly meeting, which opens at 09:00."""
    return [MeetingSchedule(method="five_steps", rule=CONSULTATION_DAYS, steps={"consult"}, hour=9)]
