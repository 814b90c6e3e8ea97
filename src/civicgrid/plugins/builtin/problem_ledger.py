"""Built-in plugin ``civicgrid.problem_ledger``: I7 the problem ledger's closed loop.

Huichuan's 问题收集 → 处置 → 反馈 (DOMAIN.md I7, seeds/002), with the monthly joint meeting
(基层党建联席会议) that takes up what the buildings cannot solve. Tabling a problem records which
meeting took it up (``meeting_recorded``); the meeting is the community's, so a problem already
referred to the subdistrict is not tabled back down to it. The monthly cadence is a deadline of
one calendar month, explained in the method file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicgrid.errors import Refusal
from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.method import Method

__all__ = ["meeting_recorded", "register_guards", "register_methods"]

_ABOVE_THE_MEETING = frozenset({"subdistrict"})
"""Levels above the community, whose monthly joint meeting takes problems up."""


def meeting_recorded(case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["meeting"]`` names the joint meeting and the case is not above it."""
    if case.level in _ABOVE_THE_MEETING:
        raise Refusal(
            f"the case is already at level {case.level!r}, above the community's joint meeting",
            f"该问题已在 {case.level!r} 层级办理，不再退回社区党建联席会议",
        )
    meeting = (data or {}).get("meeting")
    return isinstance(meeting, str) and bool(meeting.strip())


@hookimpl
def register_methods() -> list[Method]:
    """Provide the problem-ledger method, loaded from its method file."""
    return [builtin_method("problem_ledger")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guard that records the monthly meeting taking a problem up."""
    return [
        Guard(
            name="meeting_recorded",
            check=meeting_recorded,
            label_zh="须写明列入哪次党建联席会议（data.meeting）",
            label_en="the joint meeting that takes it up must be named (data.meeting)",
        )
    ]
