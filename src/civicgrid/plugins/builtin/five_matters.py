"""Built-in plugin ``civicgrid.five_matters``: I3 "五事工作法" Five Matters, and its guard.

Wuhu's method (DOMAIN.md I3, seeds/000): 居民提事 → 网格听事 → 小区议事 → 协同办事 → 群众评事.
The compound's deliberation must record what it decided (``resolution_recorded``), so the joint
handling that follows, and the residents' appraisal of it, refer to a written decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.method import Method

__all__ = ["register_guards", "register_methods", "resolution_recorded"]


def resolution_recorded(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["resolution"]`` records what the compound decided (议事结果)."""
    resolution = (data or {}).get("resolution")
    return isinstance(resolution, str) and bool(resolution.strip())


@hookimpl
def register_methods() -> list[Method]:
    """Provide Five Matters, loaded from its method file."""
    return [builtin_method("five_matters")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guard the compound's deliberation uses."""
    return [
        Guard(
            name="resolution_recorded",
            check=resolution_recorded,
            label_zh="须记录小区议事结果（data.resolution）",
            label_en="what the compound decided must be recorded (data.resolution)",
        )
    ]
