"""Standing links between cadres and the grassroots (DOMAIN.md O8, O9).

**Four links** (四联系, Huichuan, seed 002): "领导班子联系党工委、街道班子成员联系社区党组织、
社区党（总）支部委员联系代表、无职党员联系群众". A :class:`Link` says that one person keeps
one of those four links (:class:`LinkKind`) with a target for a term. What a target is follows
from the kind (:attr:`LinkKind.target`): a subdistrict unit, a community party organisation,
a representative (a person) or the households a member without a post looks after (units).
:func:`check_link_coverage` and :func:`check_four_links` report, as :class:`Finding` records,
every target with no link active on a date.

**Strong helps weak** (强社带弱社, Chenghua, seed 003): communities are paired one to one, the
strong helping the weak, and community cadres are sent both ways "off their posts"
(脱岗式互派). A :class:`Pairing` holds the two communities, a term and the cadres exchanged as
:class:`~civicgrid.domain.people.Appointment` records (``unit`` is the community a cadre is
sent *to*). :func:`check_pairings` reports a community paired twice at once, a cadre sent to
two places at once, and weak communities left without a partner; a pairing of a community
with itself is refused when it is made. Chenghua paired 38 communities (19 pairs) and
exchanged 72 cadres.

Terms run from ``start`` (inclusive) to ``end`` (exclusive, ``None`` while open).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Self

import attrs
from dateutil.relativedelta import relativedelta

from civicgrid.domain.findings import Finding, Severity
from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.people import Appointment
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "Link",
    "LinkKind",
    "LinkTarget",
    "Pairing",
    "cadres_exchanged",
    "check_four_links",
    "check_link_coverage",
    "check_pairings",
]


class LinkTarget(Labelled):
    """What a link's ``to`` names: a unit, an organisation or a person."""

    UNIT = "unit"
    ORGANISATION = "organisation"
    PERSON = "person"


_TARGET_LABELS: dict[LinkTarget, tuple[str, str]] = {
    LinkTarget.UNIT: ("单元", "unit"),
    LinkTarget.ORGANISATION: ("组织", "organisation"),
    LinkTarget.PERSON: ("人员", "person"),
}
register_labels(_TARGET_LABELS)


class LinkKind(Labelled):
    """The four links of Huichuan's "四联系" mechanism (seed 002)."""

    DISTRICT_LEADER = "district_leader"
    """A member of the district leadership keeps a subdistrict (its party working committee)."""
    SUBDISTRICT_CADRE = "subdistrict_cadre"
    """A member of the subdistrict leadership keeps a community party organisation."""
    COMMITTEE_MEMBER = "committee_member"
    """A member of a community party (general) branch committee keeps a representative."""
    MEMBER_WITHOUT_POST = "member_without_post"
    """A party member without a post keeps residents: households, a building, a group."""

    @property
    def target(self) -> LinkTarget:
        """What the link's ``to`` names for this kind."""
        return _LINK_LABELS[self][2]


_LINK_LABELS: dict[LinkKind, tuple[str, str, LinkTarget]] = {
    LinkKind.DISTRICT_LEADER: (
        "区领导班子成员联系街道党工委",
        "district leader ↔ subdistrict",
        LinkTarget.UNIT,
    ),
    LinkKind.SUBDISTRICT_CADRE: (
        "街道班子成员联系社区党组织",
        "subdistrict cadre ↔ community party organisation",
        LinkTarget.ORGANISATION,
    ),
    LinkKind.COMMITTEE_MEMBER: (
        "社区党（总）支部委员联系代表",
        "branch committee member ↔ representative",
        LinkTarget.PERSON,
    ),
    LinkKind.MEMBER_WITHOUT_POST: (
        "无职党员联系群众",
        "member without a post ↔ residents",
        LinkTarget.UNIT,
    ),
}
register_labels({kind: (zh, en) for kind, (zh, en, _) in _LINK_LABELS.items()})


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _term_problems(start: object, end: object) -> list[Problem]:
    problems = []
    if not _is_date(start):
        problems.append(Problem("start", f"must be a date, not {start!r}"))
    if end is not None and not _is_date(end):
        problems.append(Problem("end", f"must be a date or None, not {end!r}"))
    elif isinstance(end, date) and isinstance(start, date) and end <= start:
        problems.append(Problem("end", f"must be after start ({start.isoformat()})"))
    return problems


def _overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (a_end is None or b_start < a_end) and (b_end is None or a_start < b_end)


# --------------------------------------------------------------------------- four links


@attrs.frozen(kw_only=True)
class Link:
    """``person`` keeps a link of ``kind`` with ``to`` from ``start`` to ``end``.

    ``to`` is the id of a unit, an organisation or a person, as :attr:`LinkKind.target`
    says. A person cannot be linked with themself.
    """

    kind: LinkKind
    person: str
    to: str
    start: date
    end: date | None = None
    id: str = ""

    def __attrs_post_init__(self) -> None:
        problems = []
        kind: object = self.kind
        if not isinstance(kind, LinkKind):
            problems.append(Problem("kind", f"must be a LinkKind, not {kind!r}"))
        problems.extend(
            Problem(field, "must be a non-empty string")
            for field in ("person", "to")
            if not _text(getattr(self, field))
        )
        if (
            isinstance(kind, LinkKind)
            and kind.target is LinkTarget.PERSON
            and self.to == self.person
        ):
            problems.append(Problem("to", "a person cannot be linked with themself"))
        problems.extend(_term_problems(self.start, self.end))
        if problems:
            raise InvalidData(f"link of {self.person!r}", problems)

    @classmethod
    def for_term(
        cls, *, kind: LinkKind, person: str, to: str, start: date, term: relativedelta, id: str = ""
    ) -> Self:
        """Make a link for a term: ``end = start + term``."""
        return cls(kind=kind, person=person, to=to, start=start, end=start + term, id=id)

    def active_on(self, day: date) -> bool:
        """Whether the link holds on ``day``: ``start <= day < end``."""
        return self.start <= day and (self.end is None or day < self.end)


def check_link_coverage(
    links: Iterable[Link],
    *,
    kind: LinkKind,
    targets: Iterable[str],
    on: date,
    severity: Severity = Severity.WARNING,
) -> tuple[Finding, ...]:
    """Report each of ``targets`` that no link of ``kind`` reaches on ``on``.

    ``targets`` are what must be covered: the subdistricts of a district, the community party
    organisations of a subdistrict, the representatives, the households. Findings come in the
    order of ``targets`` (each once), with rule ``four_links.uncovered``.
    """
    covered = {link.to for link in links if link.kind is kind and link.active_on(on)}
    findings: list[Finding] = []
    seen: set[str] = set()
    for target in targets:
        if target in covered or target in seen:
            continue
        seen.add(target)
        findings.append(
            Finding(
                rule="four_links.uncovered",
                severity=severity,
                message_en=f"{kind.target.label_en} {target!r} has no {kind.label_en} link "
                f"on {on.isoformat()}",
                message_zh=f"{kind.target.label_zh} {target!r} 在 {on.isoformat()} "
                f"没有“{kind.label_zh}”的联系人",
                unit=target if kind.target is LinkTarget.UNIT else None,
                subject=target,
            )
        )
    return tuple(findings)


def check_four_links(
    links: Iterable[Link],
    *,
    on: date,
    targets: Mapping[LinkKind, Iterable[str]],
    severity: Severity = Severity.WARNING,
) -> tuple[Finding, ...]:
    """Run :func:`check_link_coverage` for each kind in ``targets``, in the order of LinkKind."""
    items = tuple(links)
    findings: list[Finding] = []
    for kind in LinkKind:
        if kind in targets:
            findings.extend(
                check_link_coverage(
                    items, kind=kind, targets=targets[kind], on=on, severity=severity
                )
            )
    return tuple(findings)


# --------------------------------------------------------------------------- strong helps weak


def _appointments(value: Iterable[Appointment]) -> tuple[Appointment, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Pairing:
    """A strong community helping a weak one (强社带弱社) for a term, with cadres exchanged.

    ``strong`` and ``weak`` are community unit ids. Each of ``cadres`` is an appointment whose
    ``unit`` is the community the cadre is sent to (one of the two), held within the pairing's
    term; the cadre comes from the other one.
    """

    id: str
    strong: str
    weak: str
    start: date
    end: date | None = None
    cadres: tuple[Appointment, ...] = attrs.field(default=(), converter=_appointments)

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("id", "strong", "weak")
            if not _text(getattr(self, field))
        ]
        if _text(self.strong) and self.strong == self.weak:
            problems.append(Problem("weak", "a community cannot be paired with itself"))
        problems.extend(_term_problems(self.start, self.end))
        for i, cadre in enumerate(self.cadres):
            item: object = cadre
            if not isinstance(item, Appointment):
                problems.append(Problem(f"cadres[{i}]", f"not an Appointment: {item!r}"))
                continue
            if cadre.unit not in {self.strong, self.weak}:
                problems.append(
                    Problem(f"cadres[{i}].unit", "must be one of the two paired communities")
                )
            if _is_date(self.start) and cadre.start < self.start:
                problems.append(
                    Problem(f"cadres[{i}].start", "cannot come before the pairing starts")
                )
            if isinstance(self.end, date) and (cadre.end is None or cadre.end > self.end):
                problems.append(Problem(f"cadres[{i}].end", "must end by the end of the pairing"))
        if problems:
            raise InvalidData(f"pairing {self.id!r}", problems)

    @classmethod
    def for_term(
        cls,
        *,
        id: str,
        strong: str,
        weak: str,
        start: date,
        term: relativedelta,
        cadres: Iterable[Appointment] = (),
    ) -> Self:
        """Make a pairing for a term: ``end = start + term``."""
        return cls(
            id=id, strong=strong, weak=weak, start=start, end=start + term, cadres=tuple(cadres)
        )

    @property
    def communities(self) -> tuple[str, str]:
        """The strong community, then the weak one."""
        return (self.strong, self.weak)

    def active_on(self, day: date) -> bool:
        """Whether the pairing holds on ``day``: ``start <= day < end``."""
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: Pairing) -> bool:
        """Whether the two pairings' terms share a day."""
        return _overlap(self.start, self.end, other.start, other.end)

    def sent_to(self, community: str) -> tuple[Appointment, ...]:
        """Return the cadres sent to ``community`` (coming from the other one)."""
        return tuple(c for c in self.cadres if c.unit == community)


def cadres_exchanged(pairings: Iterable[Pairing], *, on: date | None = None) -> int:
    """Count the distinct people exchanged by ``pairings`` (serving on ``on`` when given)."""
    return len(
        {
            cadre.person
            for pairing in pairings
            for cadre in pairing.cadres
            if on is None or cadre.held_on(on)
        }
    )


_Placed = tuple[Pairing, str, date, date | None]
"""A pairing, the community concerned, and the term concerned."""


def _clashes(groups: Mapping[str, list[_Placed]]) -> Iterator[tuple[str, _Placed, _Placed]]:
    for key, items in groups.items():
        for i, first in enumerate(items):
            for second in items[i + 1 :]:
                if _overlap(first[2], first[3], second[2], second[3]):
                    yield key, first, second


def _twice(pairings: list[Pairing]) -> list[Finding]:
    by_community: dict[str, list[_Placed]] = {}
    for p in pairings:
        for community in p.communities:
            by_community.setdefault(community, []).append((p, community, p.start, p.end))
    return [
        Finding(
            rule="pairing.twice",
            severity=Severity.ERROR,
            message_en=f"community {community!r} is in pairings {first.id!r} and {second.id!r} "
            "at the same time",
            message_zh=f"社区 {community!r} 同时处于结对 {first.id!r} 和 {second.id!r} 中",
            unit=community,
            subject=second.id,
        )
        for community, (first, *_), (second, *_) in _clashes(by_community)
    ]


def _cadres_twice(pairings: list[Pairing]) -> list[Finding]:
    by_person: dict[str, list[_Placed]] = {}
    for p in pairings:
        for cadre in p.cadres:
            placed = (p, cadre.unit or "", cadre.start, cadre.end)
            by_person.setdefault(cadre.person, []).append(placed)
    return [
        Finding(
            rule="pairing.cadre_twice",
            severity=Severity.ERROR,
            message_en=f"cadre {person!r} is sent to {first[1]!r} ({first[0].id!r}) and to "
            f"{second[1]!r} ({second[0].id!r}) at the same time",
            message_zh=f"干部 {person!r} 同时被派往 {first[1]!r}（{first[0].id!r}）"
            f"和 {second[1]!r}（{second[0].id!r}）",
            unit=second[1],
            subject=person,
        )
        for person, first, second in _clashes(by_person)
    ]


def check_pairings(
    pairings: Iterable[Pairing], *, on: date, weak: Iterable[str] = ()
) -> tuple[Finding, ...]:
    """Check a set of pairings; return findings, errors first.

    Over all time: a community in two pairings whose terms overlap (``pairing.twice``), a
    cadre sent to two places at once (``pairing.cadre_twice``). On ``on``, for each community
    in ``weak``: no pairing as the weak side (``pairing.weak_uncovered``), or paired as the
    strong side (``pairing.weak_as_strong``). Duplicate pairing ids raise
    :class:`~civicgrid.errors.InvalidData`.
    """
    items = list(pairings)
    problems = []
    ids: dict[str, int] = {}
    for i, pairing in enumerate(items):
        if pairing.id in ids:
            problems.append(
                Problem(f"pairings[{i}].id", f"duplicate id (first at pairings[{ids[pairing.id]}])")
            )
        ids.setdefault(pairing.id, i)
    if problems:
        raise InvalidData("pairings", problems)
    findings = _twice(items) + _cadres_twice(items)
    active = [p for p in items if p.active_on(on)]
    helped = {p.weak for p in active}
    helping = {p.strong for p in active}
    seen: set[str] = set()
    for community in weak:
        if community in seen:
            continue
        seen.add(community)
        if community in helping:
            findings.append(
                Finding(
                    rule="pairing.weak_as_strong",
                    severity=Severity.WARNING,
                    message_en=f"weak community {community!r} is paired as the strong side "
                    f"on {on.isoformat()}",
                    message_zh=f"薄弱社区 {community!r} 在 {on.isoformat()} 作为强社结对",
                    unit=community,
                )
            )
        elif community not in helped:
            findings.append(
                Finding(
                    rule="pairing.weak_uncovered",
                    severity=Severity.WARNING,
                    message_en=f"weak community {community!r} has no strong partner "
                    f"on {on.isoformat()}",
                    message_zh=f"薄弱社区 {community!r} 在 {on.isoformat()} 没有结对帮扶的强社",
                    unit=community,
                )
            )
    findings.sort(key=lambda f: -f.severity.rank)
    return tuple(findings)
