"""Built-in plugin ``civicgrid.participatory_planning``: D10 参与式社区规划, and its guard.

Chenghua's five steps (seed 003): 民意收集 → 议题产生 → 参与式设计 → 项目评审 → 实施运维. A project
completes with its rating recorded: ``data["excellent"]`` says whether it was rated an excellent
project (优秀项目), so the share of excellent projects (96 of 524 in Chenghua) is derived from
recorded events, never typed in twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from civicgrid.errors import Refusal
from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.event import EventKind
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.method import Method

__all__ = ["excellence_recorded", "excellent_projects", "register_guards", "register_methods"]


def excellence_recorded(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["excellent"]`` says (true or false) whether it was rated excellent."""
    value = (data or {}).get("excellent")
    if not isinstance(value, bool):
        raise Refusal(
            f"data.excellent must be true or false (rated an excellent project?), got {value!r}",
            f"data.excellent 须为 true 或 false（是否评为优秀项目），实际为 {value!r}",
        )
    return True


def excellent_projects(cases: Iterable[Case]) -> tuple[int, int]:
    """Return (projects completed, of which rated excellent), read from the cases' events.

    Cases of other methods are ignored, so a whole engine's cases may be passed.
    """
    completed = excellent = 0
    for case in cases:
        if case.method_key != "participatory_planning":
            continue
        for event in case.events:
            if event.kind is EventKind.TRANSITION and event.trigger == "complete":
                completed += 1
                excellent += bool((event.data or {}).get("excellent"))
    return completed, excellent


@hookimpl
def register_methods() -> list[Method]:
    """Provide participatory planning, loaded from its method file."""
    return [builtin_method("participatory_planning")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guard the completing transition uses."""
    return [
        Guard(
            name="excellence_recorded",
            check=excellence_recorded,
            label_zh="须记录是否评为优秀项目（data.excellent）",
            label_en="whether the project was rated excellent must be recorded (data.excellent)",
        )
    ]
