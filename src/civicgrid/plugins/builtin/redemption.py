"""Built-in plugin ``civicgrid.redemption``: points redeemed for rewards (DOMAIN.md P1, P2, P4).

A redemption reserves an item (预约兑换: points and stock held), is fulfilled by the issuer's
staff (兑付核销), or is cancelled, or expires when the hold runs out (seven calendar days, a
library default). :class:`civicgrid.workflows.redemption.RedemptionDesk` runs these cases and
moves the points and the stock; this plugin provides the method and its one guard:

* ``redeemer_or_staff``: a redemption is cancelled by the one who made it (the case's
  ``data["person"]`` is the actor's id) or by the issuer's staff or a community worker.
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

__all__ = ["STAFF_ROLES", "redeemer_or_staff", "register_guards", "register_methods"]

STAFF_ROLES: frozenset[str] = frozenset({"issuer_staff", "community_worker"})
"""Roles that may cancel anyone's redemption (the shop or venue, the community)."""


def redeemer_or_staff(case: Case, actor: Actor, _data: Mapping[str, Any] | None) -> bool:
    """Pass when ``actor`` made the redemption or holds a staff role."""
    person = (case.data or {}).get("person")
    if actor.id == person or not STAFF_ROLES.isdisjoint(actor.roles):
        return True
    raise Refusal(
        f"redemption {case.id!r} was made by {person!r}; {actor.id!r} may not cancel it",
        f"兑换 {case.id!r} 由 {person!r} 预约，{actor.id!r} 不能取消",
    )


@hookimpl
def register_methods() -> list[Method]:
    """Provide Points Redemption, loaded from its method file."""
    return [builtin_method("redemption")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guard that lets only the redeemer or the staff cancel."""
    return [
        Guard(
            name="redeemer_or_staff",
            check=redeemer_or_staff,
            label_zh="只有预约人或兑换点、社区工作人员可以取消",
            label_en="only the redeemer or the issuer's or community's staff may cancel",
        )
    ]
