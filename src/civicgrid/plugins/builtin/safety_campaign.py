"""Built-in plugin ``civicgrid.safety_campaign``: I6 Chengdu's hundred-day safety campaign.

社区发现 → 街道呼叫 → 集中派单 → 协同整治 (DOMAIN.md I6, seeds/004). The central dispatch must
name the departments ordered to rectify the hazard (``dispatch_order_recorded``), in the same
form as the grid whistle's call, so a hazard's ledger says who was ordered to act.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.builtin.grid_whistle import departments_named
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.method import Method

__all__ = [
    "dispatch_order_recorded",
    "register_guards",
    "register_methods",
]


def dispatch_order_recorded(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when the dispatch names the departments ordered to rectify (``data["departments"]``)."""
    departments_named(data)
    return True


@hookimpl
def register_methods() -> list[Method]:
    """Provide the safety-campaign method, loaded from its method file."""
    return [builtin_method("safety_campaign")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guard the central dispatch uses."""
    return [
        Guard(
            name="dispatch_order_recorded",
            check=dispatch_order_recorded,
            label_zh="集中派单须列明责任部门（data.departments）",
            label_en="the dispatch must name the departments ordered to act (data.departments)",
        )
    ]
