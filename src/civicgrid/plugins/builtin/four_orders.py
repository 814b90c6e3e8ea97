"""Built-in plugin ``civicgrid.four_orders``: I2 "四单制" Four Orders (Huichuan, Zunyi).

群众点单 → 社区派单 → 联户长接单 → 群众评单 (DOMAIN.md I2, seeds/002): a resident orders a
service or states a micro-wish, the community dispatches it to one household leader (联户长,
about ten linked households each, G4), who accepts and serves it, and the resident rates the
result. Huichuan reports 500 micro-wishes collected and 485 completed (97%); the completion
rate is read from the cases' states, never typed in.

The dispatched household leader is the case's assignee (``fire(..., assignee=...)``), and the
guard ``dispatched_to_actor`` lets only them accept, serve, hand back or refer up the order.
A rating closes the case (``rate``) or, unsatisfied, reopens it at 联户长接单 (``reopen``).
The time limits in the method file are the library's defaults; the document sets none.
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

__all__ = ["dispatched_to_actor", "register_guards", "register_methods"]


def dispatched_to_actor(case: Case, actor: Actor, _data: Mapping[str, Any] | None) -> bool:
    """Pass when ``actor`` is the one the order was dispatched to (the case's assignee)."""
    assignee = case.assignee
    if assignee == actor.id:
        return True
    if assignee is None:
        raise Refusal(
            "the order was dispatched to no one: dispatch it with assignee=<household leader>",
            "该单尚未派给具体联户长：派单时须指定承办人（assignee）",
        )
    raise Refusal(
        f"the order was dispatched to {assignee!r}, not to {actor.id!r}",
        f"该单已派给 {assignee!r}，不是 {actor.id!r}",
    )


@hookimpl
def register_methods() -> list[Method]:
    """Provide Four Orders, loaded from its method file."""
    return [builtin_method("four_orders")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guard that keeps an order with the household leader it was dispatched to."""
    return [
        Guard(
            name="dispatched_to_actor",
            check=dispatched_to_actor,
            label_zh="只有被派单的承办人可以接单、办理",
            label_en="only the one the order was dispatched to (the assignee) may act on it",
        )
    ]
