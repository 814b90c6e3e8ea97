"""Organisations (DOMAIN.md O1–O3, O11, O12): party chains, committees, companies, groups.

An :class:`Organisation` has a kind (:class:`OrgKind`, the list of O12), the unit it serves (a
community, a compound, a micro grid …), an optional parent organisation (the party chain of O1:
社区党委 → 小区党总支 → 微网格党支部 → 党员中心户), the powers and duties its lists give it
(O11), and a term: ``start`` and ``end`` dates, with ``end`` required for a project-based
temporary party branch (临时党支部), which exists for one renovation and then closes.

:class:`Organisations` holds a district's organisations, validated together (unique ids, known
parents, no cycles), and answers what a check or a permission needs: which organisations serve
a unit on a date, which are below another, which hold a power.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "OrgKind",
    "Organisation",
    "Organisations",
    "UnknownOrganisation",
]


class OrgKind(Labelled):
    """The kinds of organisation of DOMAIN.md O12, party and otherwise."""

    PARTY_WORKING_COMMITTEE = "party_working_committee"
    PARTY_COMMITTEE = "party_committee"
    PARTY_GENERAL_BRANCH = "party_general_branch"
    PARTY_BRANCH = "party_branch"
    PARTY_GROUP = "party_group"
    PARTY_MEMBER_HOUSEHOLD = "party_member_household"
    TEMPORARY_PARTY_BRANCH = "temporary_party_branch"
    RESIDENTS_COMMITTEE = "residents_committee"
    OWNERS_COMMITTEE = "owners_committee"
    PROPERTY_COMPANY = "property_company"
    SOCIAL_ORGANISATION = "social_organisation"
    RESIDENT_UNIT = "resident_unit"
    NEW_EMPLOYMENT_GROUP = "new_employment_group"
    TRADE_ASSOCIATION = "trade_association"
    SOCIAL_ENTERPRISE = "social_enterprise"
    COMMUNITY_FOUNDATION = "community_foundation"
    MICRO_FUND = "micro_fund"
    COMMUNITY_PARTNER = "community_partner"
    SERVICE_CENTRE = "service_centre"

    @property
    def is_party(self) -> bool:
        """True for the kinds of the party chain (党组织), temporary branches included."""
        return self in _PARTY_KINDS


_ORG_LABELS: dict[OrgKind, tuple[str, str]] = {
    OrgKind.PARTY_WORKING_COMMITTEE: ("街道党工委", "subdistrict party working committee"),
    OrgKind.PARTY_COMMITTEE: ("党委", "party committee"),
    OrgKind.PARTY_GENERAL_BRANCH: ("党总支", "party general branch"),
    OrgKind.PARTY_BRANCH: ("党支部", "party branch"),
    OrgKind.PARTY_GROUP: ("党小组", "party group"),
    OrgKind.PARTY_MEMBER_HOUSEHOLD: ("党员中心户", "party-member household"),
    OrgKind.TEMPORARY_PARTY_BRANCH: ("临时党支部", "temporary party branch"),
    OrgKind.RESIDENTS_COMMITTEE: ("居民委员会", "residents' committee"),
    OrgKind.OWNERS_COMMITTEE: ("业主委员会", "owners' committee"),
    OrgKind.PROPERTY_COMPANY: ("物业服务企业", "property company"),
    OrgKind.SOCIAL_ORGANISATION: ("社会组织", "social organisation"),
    OrgKind.RESIDENT_UNIT: ("驻区单位", "resident unit"),
    OrgKind.NEW_EMPLOYMENT_GROUP: ("新就业群体", "new-employment group"),
    OrgKind.TRADE_ASSOCIATION: ("行业协会", "trade association"),
    OrgKind.SOCIAL_ENTERPRISE: ("社区社会企业", "community social enterprise"),
    OrgKind.COMMUNITY_FOUNDATION: ("社区基金会", "community foundation"),
    OrgKind.MICRO_FUND: ("社区微基金", "community micro-fund"),
    OrgKind.COMMUNITY_PARTNER: ("社区合伙人", "community partner"),
    OrgKind.SERVICE_CENTRE: ("党群服务中心", "party-mass service centre"),
}
register_labels(_ORG_LABELS)

_PARTY_KINDS = frozenset(
    {
        OrgKind.PARTY_WORKING_COMMITTEE,
        OrgKind.PARTY_COMMITTEE,
        OrgKind.PARTY_GENERAL_BRANCH,
        OrgKind.PARTY_BRANCH,
        OrgKind.PARTY_GROUP,
        OrgKind.PARTY_MEMBER_HOUSEHOLD,
        OrgKind.TEMPORARY_PARTY_BRANCH,
    }
)


class UnknownOrganisation(CivicGridError, LookupError):
    """No organisation with this id is known."""

    def __init__(self, org_id: str) -> None:
        self.org_id = org_id
        super().__init__(f"unknown organisation {org_id!r}", f"未知的组织 {org_id!r}")


def _keys(value: Iterable[str] | str) -> frozenset[str]:
    return frozenset((value,) if isinstance(value, str) else value)


@attrs.frozen(kw_only=True)
class Organisation:
    """One organisation, bound to the unit it serves, with its powers and term.

    ``powers`` are keys of its empowerment list (赋权清单, O11: ``dispatch`` 调度权,
    ``deliberation`` 议事权, ``appraisal`` 评议权 …) and ``duties`` keys of its duty list
    (职责清单). The people appointed to it act with its powers
    (:func:`civicgrid.actor_for`). ``red`` marks a "red property" company (红色物业) or a
    committee with a party-member majority, as a city defines it.

    The organisation exists from ``start`` (inclusive) to ``end`` (exclusive); ``None`` leaves
    that side open. A temporary party branch must have an ``end``.
    """

    id: str
    kind: OrgKind
    name_zh: str
    name_en: str = ""
    unit: str
    parent: str | None = None
    powers: frozenset[str] = attrs.field(default=frozenset(), converter=_keys)
    duties: frozenset[str] = attrs.field(default=frozenset(), converter=_keys)
    start: date | None = None
    end: date | None = None
    red: bool = False

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        org_id: object = self.id
        kind: object = self.kind
        unit: object = self.unit
        parent: object = self.parent
        if not isinstance(org_id, str) or not org_id:
            problems.append(Problem("id", "must be a non-empty string"))
        if not isinstance(kind, OrgKind):
            problems.append(Problem("kind", f"must be an OrgKind, not {kind!r}"))
        if not isinstance(unit, str) or not unit:
            problems.append(Problem("unit", "must be the id of the unit it serves"))
        if parent is not None and (not isinstance(parent, str) or not parent):
            problems.append(Problem("parent", "must be a non-empty string or None"))
        if parent == org_id:
            problems.append(Problem("parent", "an organisation cannot be its own parent"))
        for field in ("powers", "duties"):
            problems.extend(
                Problem(field, f"keys must be non-empty strings, not {key!r}")
                for key in getattr(self, field)
                if not isinstance(key, str) or not key
            )
        for field in ("start", "end"):
            value: object = getattr(self, field)
            if value is not None and (not isinstance(value, date) or hasattr(value, "hour")):
                problems.append(Problem(field, f"must be a date or None, not {value!r}"))
        if isinstance(self.start, date) and isinstance(self.end, date) and self.end <= self.start:
            problems.append(Problem("end", f"must be after start ({self.start.isoformat()})"))
        if kind is OrgKind.TEMPORARY_PARTY_BRANCH and self.end is None:
            problems.append(
                Problem("end", "a temporary party branch (临时党支部) must have an end date")
            )
        if problems:
            raise InvalidData(f"organisation {self.id!r}", problems)

    def active_on(self, day: date) -> bool:
        """Whether the organisation exists on ``day``: ``start <= day < end``."""
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


class Organisations:
    """A district's organisations, checked together, with the lookups checks need.

    Raises :class:`~civicgrid.errors.InvalidData` listing every problem at once (duplicate
    ids, unknown parents, cycles), with paths like ``organisations[3].parent``. Unlike a unit
    tree, organisations form a forest: many may have no parent.
    """

    __slots__ = ("_by_id", "_by_unit", "_children")

    def __init__(
        self, organisations: Iterable[Organisation] = (), *, source: str | None = None
    ) -> None:
        items = list(organisations)
        problems: list[Problem] = []
        by_id: dict[str, Organisation] = {}
        index: dict[str, int] = {}
        for i, item in enumerate(items):
            org: object = item
            if not isinstance(org, Organisation):
                problems.append(Problem(f"organisations[{i}]", f"not an Organisation: {org!r}"))
                continue
            if org.id in by_id:
                problems.append(
                    Problem(
                        f"organisations[{i}].id",
                        f"duplicate id {org.id!r} (first at organisations[{index[org.id]}])",
                    )
                )
                continue
            by_id[org.id] = org
            index[org.id] = i
        for org_id, org in by_id.items():
            if org.parent is not None and org.parent not in by_id:
                problems.append(
                    Problem(
                        f"organisations[{index[org_id]}].parent", f"unknown parent {org.parent!r}"
                    )
                )
        if not problems:
            for start, org in by_id.items():
                seen = {start}
                parent = org.parent
                while parent is not None:
                    if parent in seen:
                        problems.append(
                            Problem(f"organisations[{index[start]}].parent", "cycle in parents")
                        )
                        break
                    seen.add(parent)
                    parent = by_id[parent].parent
        if problems:
            raise InvalidData("organisations", problems, source)
        self._by_id = by_id
        self._by_unit: dict[str, list[str]] = {}
        self._children: dict[str, list[str]] = {org_id: [] for org_id in by_id}
        for org_id, org in by_id.items():
            self._by_unit.setdefault(org.unit, []).append(org_id)
            if org.parent is not None:
                self._children[org.parent].append(org_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Organisation]:
        return iter(self._by_id.values())

    def __contains__(self, org_id: object) -> bool:
        return org_id in self._by_id

    def __repr__(self) -> str:
        return f"<Organisations {len(self._by_id)}>"

    def get(self, org_id: str) -> Organisation:
        """Return the organisation with this id, or raise :class:`UnknownOrganisation`."""
        try:
            return self._by_id[org_id]
        except KeyError:
            raise UnknownOrganisation(org_id) from None

    def parent(self, org_id: str) -> Organisation | None:
        """Return the organisation directly above in its chain, or ``None``."""
        parent = self.get(org_id).parent
        return None if parent is None else self._by_id[parent]

    def children(self, org_id: str) -> tuple[Organisation, ...]:
        """Return the organisations directly below, in the order given."""
        self.get(org_id)
        return tuple(self._by_id[c] for c in self._children[org_id])

    def serving(
        self, unit_id: str, *, on: date | None = None, kinds: Iterable[OrgKind] | None = None
    ) -> tuple[Organisation, ...]:
        """Return the organisations bound to ``unit_id``, active on ``on`` when given.

        With ``kinds``, only those kinds.
        """
        wanted = None if kinds is None else frozenset(kinds)
        found = []
        for org_id in self._by_unit.get(unit_id, ()):
            org = self._by_id[org_id]
            if wanted is not None and org.kind not in wanted:
                continue
            if on is not None and not org.active_on(on):
                continue
            found.append(org)
        return tuple(found)

    def of_kind(self, *kinds: OrgKind, on: date | None = None) -> tuple[Organisation, ...]:
        """Return every organisation of the given kinds, active on ``on`` when given."""
        wanted = frozenset(kinds)
        return tuple(
            org
            for org in self._by_id.values()
            if org.kind in wanted and (on is None or org.active_on(on))
        )

    def count_by_unit(
        self, *, on: date | None = None, kinds: Iterable[OrgKind] | None = None
    ) -> dict[str, int]:
        """Count the organisations (active on ``on``, of ``kinds``) per unit they serve.

        Feed it to :meth:`~civicgrid.domain.units.UnitTree.sum_up` to roll organisations up
        the tree: ``tree.sum_up(orgs.count_by_unit(on=day))``.
        """
        counts: dict[str, int] = {}
        for unit in self._by_unit:
            found = len(self.serving(unit, on=on, kinds=kinds))
            if found:
                counts[unit] = found
        return counts

    def units_served(self, *, on: date | None = None) -> frozenset[str]:
        """Return the ids of every unit some organisation (active on ``on``) serves."""
        return frozenset(
            org.unit for org in self._by_id.values() if on is None or org.active_on(on)
        )
