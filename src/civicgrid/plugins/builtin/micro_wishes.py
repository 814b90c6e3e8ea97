"""Built-in plugin ``civicgrid.micro_wishes``: I12 micro-wishes matched with volunteers.

Household leaders collect residents' micro-wishes (微心愿) door to door and offer red proxy
services (红色代办: medical affairs, subsistence allowance); "心愿+志愿" matches wishes and
volunteers both ways (DOMAIN.md I12, seeds/002). A wish is published (发布心愿), claimed by a
volunteer or matched to one by the community (认领心愿), fulfilled (心愿达成), and confirmed by
the resident's rating, which closes it or, unsatisfied, sends it back to the same volunteer.
A wish no one claims in seven days is flagged, and the community takes it up itself (社区兜底).

Two guards keep the matching honest:

* ``claimant_only``: the volunteer who fulfils (or gives back) a wish is the one who claimed
  it, i.e. the case's assignee, set on the ``claim``, ``match`` or ``take_up`` call.
* ``red_proxy_agent``: a proxy service (a case whose ``data["category"]`` is a proxy
  :class:`WishKind`) is claimed and done only by a party member, a household leader or a
  community worker, who handle the resident's papers on their behalf.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from civicgrid.errors import Refusal
from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.method import Method

__all__ = [
    "RED_PROXY_ROLES",
    "WishKind",
    "claimant_only",
    "red_proxy_agent",
    "register_guards",
    "register_methods",
]


class WishKind(enum.StrEnum):
    """The categories of a micro-wish; the values go in a request's ``category``."""

    GOODS = "goods"
    SERVICE = "service"
    PROXY_MEDICAL = "proxy_medical"
    PROXY_SUBSISTENCE = "proxy_subsistence"

    @property
    def label_zh(self) -> str:
        """The Chinese label."""
        return _LABELS[self][0]

    @property
    def label_en(self) -> str:
        """The English label."""
        return _LABELS[self][1]

    @property
    def is_proxy(self) -> bool:
        """Whether this is a red proxy service (红色代办) done on the resident's behalf."""
        return self in {WishKind.PROXY_MEDICAL, WishKind.PROXY_SUBSISTENCE}


_LABELS: dict[WishKind, tuple[str, str]] = {
    WishKind.GOODS: ("物品心愿", "a wish for goods"),
    WishKind.SERVICE: ("服务心愿", "a wish for a service"),
    WishKind.PROXY_MEDICAL: ("红色代办：医疗事务", "red proxy service: medical affairs"),
    WishKind.PROXY_SUBSISTENCE: (
        "红色代办：低保办理",
        "red proxy service: subsistence allowance",
    ),
}

_PROXY = frozenset(kind.value for kind in WishKind if kind.is_proxy)

RED_PROXY_ROLES: frozenset[str] = frozenset(
    {
        "in_service_member",
        "party_member_household_head",
        "household_leader",
        "community_worker",
        "secretary",
    }
)
"""Roles that may act as a red proxy agent: party members, household leaders, the community."""


def claimant_only(case: Case, actor: Actor, _data: Mapping[str, Any] | None) -> bool:
    """Pass when ``actor`` is the one who claimed the wish (the case's assignee)."""
    assignee = case.assignee
    if assignee == actor.id:
        return True
    if assignee is None:
        raise Refusal(
            "no one is named as the claimant: claim or match the wish with assignee=<volunteer>",
            "该心愿未登记认领人：认领或匹配时须指定认领人（assignee）",
        )
    raise Refusal(
        f"the wish was claimed by {assignee!r}, not by {actor.id!r}",
        f"该心愿由 {assignee!r} 认领，不是 {actor.id!r}",
    )


def red_proxy_agent(case: Case, actor: Actor, _data: Mapping[str, Any] | None) -> bool:
    """Pass unless the wish is a proxy service and ``actor`` holds no red proxy role."""
    category = (case.data or {}).get("category")
    if not isinstance(category, str) or category not in _PROXY:
        return True
    if not RED_PROXY_ROLES.isdisjoint(actor.roles):
        return True
    kind = WishKind(category)
    roles = ", ".join(sorted(RED_PROXY_ROLES))
    raise Refusal(
        f"{kind.label_en} is done by one of {roles}; {actor.id!r} holds none",
        f"{kind.label_zh}须由在职党员、党员中心户、联户长或社区工作人员代办，{actor.id!r} 不是",
    )


@hookimpl
def register_methods() -> list[Method]:
    """Provide Micro-Wishes, loaded from its method file."""
    return [builtin_method("micro_wishes")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the claimant and proxy-agent guards."""
    return [
        Guard(
            name="claimant_only",
            check=claimant_only,
            label_zh="只有认领该心愿的人（承办人）可以办理",
            label_en="only the one who claimed the wish (the assignee) may do this",
        ),
        Guard(
            name="red_proxy_agent",
            check=red_proxy_agent,
            label_zh="红色代办须由党员、联户长或社区工作者办理",
            label_en="a red proxy service is done by a party member or household leader",
        ),
    ]
