"""Built-in plugin ``civicgrid.guards``: guards several methods share.

``feedback_given`` carries "every matter gets feedback" (事事有反馈, DOMAIN.md X): a case may
not be declined or closed without a written answer to the resident.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard

__all__ = ["feedback_given", "register_guards"]


def feedback_given(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["feedback"]`` holds a non-blank answer for the resident."""
    feedback = (data or {}).get("feedback")
    return isinstance(feedback, str) and bool(feedback.strip())


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the shared guards."""
    return [
        Guard(
            name="feedback_given",
            check=feedback_given,
            label_zh="须填写对群众的答复（data.feedback）",
            label_en="a written answer to the resident is required (data.feedback)",
        )
    ]
