"""Built-in plugin ``civicgrid.six_self``: D1 "六自" Six Self, and its vote guard."""

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

__all__ = ["majority_in_favour", "register_guards", "register_methods"]


def majority_in_favour(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data`` records more votes for than against (自决 by show of hands).

    Owners' votes under Civil Code art. 278 have their own thresholds; this guard is for
    residents' decisions that need a simple majority of those voting.
    """
    return _votes(data, "votes_for") > _votes(data, "votes_against")


def _votes(data: Mapping[str, Any] | None, name: str) -> int:
    value = (data or {}).get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Refusal(
            f"data.{name} must be a whole number of votes, got {value!r}",
            f"data.{name} 须为票数（非负整数），实际为 {value!r}",
        )
    return value


@hookimpl
def register_methods() -> list[Method]:
    """Provide Six Self, loaded from its method file."""
    return [builtin_method("six_self")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guard the decide step uses."""
    return [
        Guard(
            name="majority_in_favour",
            check=majority_in_favour,
            label_zh="赞成票须多于反对票",
            label_en="more votes for than against are required",
        )
    ]
