"""Built-in plugin ``civicgrid.five_steps``: D2 "五步议事法" Five Steps, and its guard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.method import Method

__all__ = ["agreement_recorded", "register_guards", "register_methods"]


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
