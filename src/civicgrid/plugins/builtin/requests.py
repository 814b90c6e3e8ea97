"""Built-in plugin ``civicgrid.requests``: guards every request method shares.

* ``rating_closes`` and ``rating_reopens`` read the resident's verdict (群众评单) from
  ``data["rating"]`` (``satisfied``, ``basically_satisfied``, ``unsatisfied``): the first two
  close a case, an unsatisfied one reopens it. A method names the first on its ``rate``
  transition to the closed step and the second on ``reopen`` back to handling, so the same
  rating call either closes or reopens, and the reopen is an event the indicators count.
* ``acts_at_case_level`` carries the ladder of I4 (小事不出网格 …): the actor must act at the
  case's current level or a level above it on the method's ladder (:attr:`civicgrid.Actor.levels`,
  which :func:`civicgrid.actor_for` derives from the kinds of the units their seats serve). A
  grid worker cannot close a case escalated to the subdistrict; a community worker may step in
  on a grid-level case. Levels not on the method's ladder count only when equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicgrid.domain.requests import Rating
from civicgrid.errors import Refusal
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard

__all__ = [
    "acts_at_case_level",
    "rating_closes",
    "rating_of",
    "rating_reopens",
    "register_guards",
]

_RATINGS = {rating.value: rating for rating in Rating}


def rating_of(data: Mapping[str, Any] | None) -> Rating:
    """Return the rating in ``data["rating"]``, or refuse with the values allowed."""
    value = (data or {}).get("rating")
    rating = _RATINGS.get(value) if isinstance(value, str) else None
    if rating is None:
        allowed = ", ".join(_RATINGS)
        raise Refusal(
            f"data.rating must be one of {allowed}, got {value!r}",
            f"data.rating 须为 {allowed} 之一（满意、基本满意、不满意），实际为 {value!r}",
        )
    return rating


def rating_closes(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when the resident is satisfied or basically satisfied."""
    return rating_of(data).closes


def rating_reopens(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when the resident is unsatisfied: the case goes back to be handled again."""
    return not rating_of(data).closes


def acts_at_case_level(case: Case, actor: Actor, _data: Mapping[str, Any] | None) -> bool:
    """Pass when the actor acts at the case's level or above it (or the case has no level)."""
    level = case.level
    if level is None or level in actor.levels:
        return True
    ladder = case.method.escalation
    keys = [rung.key for rung in ladder]
    if level in keys and not actor.levels.isdisjoint(keys[keys.index(level) + 1 :]):
        return True
    held = ", ".join(sorted(actor.levels)) or "none"
    raise Refusal(
        f"the case is at level {level!r}; {actor.id!r} acts at: {held}",
        f"该事项当前在 {level!r} 层级办理；{actor.id!r} 可办理的层级：{held}",
    )


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the rating and level guards."""
    return [
        Guard(
            name="rating_closes",
            check=rating_closes,
            label_zh="群众评价为满意或基本满意方可办结（data.rating）",
            label_en="the resident must be satisfied or basically satisfied (data.rating)",
        ),
        Guard(
            name="rating_reopens",
            check=rating_reopens,
            label_zh="群众评价不满意时重新办理（data.rating）",
            label_en="an unsatisfied resident reopens the case (data.rating)",
        ),
        Guard(
            name="acts_at_case_level",
            check=acts_at_case_level,
            label_zh="须由事项当前层级或更高层级的人员办理",
            label_en="only someone acting at the case's current level or above may do this",
        ),
    ]
