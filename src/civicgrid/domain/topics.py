"""Topics and meetings (DOMAIN.md D1–D7): what is raised, who sits at the table, what is decided.

A :class:`Topic` (议题) is raised by a resident, a deliberator (议事员) or an organisation for a
unit, with a category that a city's "七议五不议" rules read (:mod:`civicgrid.domain.admissibility`).
A :class:`Meeting` puts topics on its agenda and invites :class:`Participant` s from the parties
of D7: the three parties of 三方共议 (residents' committee, owners' committee, property company),
the wider "eight parties" (八方主体) and elected deliberators. Attendance and the
:class:`Quorum` are data; a meeting is held only with its quorum, and its :class:`Minutes`
record :class:`Decision` s whose :class:`FollowUp` items become resident requests
(:class:`~civicgrid.domain.requests.Request`, channel ``meeting``) or tasks.

Meetings are frozen: ``record_attendance``, ``hold`` and ``cancel`` return a new meeting, or
raise and leave the one they were called on as it was.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable
from datetime import date, datetime
from fractions import Fraction

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.organisations import Organisations, OrgKind
from civicgrid.domain.people import Roster, Seat
from civicgrid.domain.requests import LEVELS, Urgency
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "EIGHT_PARTIES_NAMED",
    "THREE_PARTIES",
    "THREE_PARTY_QUORUM",
    "DecisionOutcome",
    "FollowUpKind",
    "MeetingStatus",
    "Participant",
    "Party",
    "ProposerKind",
    "Quorum",
    "Shortfall",
    "Topic",
    "deliberators",
    "participants_from",
    "party_of",
]

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_LEVEL_KEYS = tuple(key for key, _zh, _en in LEVELS)


class ProposerKind(Labelled):
    """Who raised a topic (D1 自提: residents raise matters; deliberators and bodies do too)."""

    RESIDENT = "resident"
    DELIBERATOR = "deliberator"
    ORGANISATION = "organisation"


class Party(Labelled):
    """A party at the deliberation table (D7: 三方共议, 八方主体, 议事员)."""

    PARTY_ORGANISATION = "party_organisation"
    RESIDENTS_COMMITTEE = "residents_committee"
    OWNERS_COMMITTEE = "owners_committee"
    PROPERTY_COMPANY = "property_company"
    DELIBERATOR = "deliberator"
    RESIDENT = "resident"
    VOLUNTEER = "volunteer"
    SELF_ORGANISATION = "self_organisation"
    SOCIAL_ORGANISATION = "social_organisation"
    RESIDENT_UNIT = "resident_unit"
    DEPARTMENT = "department"


class MeetingStatus(Labelled):
    """Where a meeting stands."""

    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class DecisionOutcome(Labelled):
    """What a meeting decided about a topic."""

    ADOPTED = "adopted"
    REJECTED = "rejected"
    DEFERRED = "deferred"


class FollowUpKind(Labelled):
    """What a follow-up item becomes: a request handled on the kernel, or a task for someone."""

    REQUEST = "request"
    TASK = "task"


# One table per enum whose values overlap another's: StrEnum members equal their values, so
# ProposerKind.RESIDENT and Party.RESIDENT would be one key in a shared dict.
register_labels(
    {
        ProposerKind.RESIDENT: ("居民", "resident"),
        ProposerKind.DELIBERATOR: ("议事员", "deliberator"),
        ProposerKind.ORGANISATION: ("组织", "organisation"),
    }
)
_LABELS: dict[enum.StrEnum, tuple[str, str]] = {
    Party.PARTY_ORGANISATION: ("党组织", "party organisation"),
    Party.RESIDENTS_COMMITTEE: ("居民委员会", "residents' committee"),
    Party.OWNERS_COMMITTEE: ("业主委员会", "owners' committee"),
    Party.PROPERTY_COMPANY: ("物业服务企业", "property company"),
    Party.DELIBERATOR: ("议事员", "deliberator"),
    Party.RESIDENT: ("居民", "resident"),
    Party.VOLUNTEER: ("志愿者", "volunteer"),
    Party.SELF_ORGANISATION: ("居民自组织", "residents' self-organisation"),
    Party.SOCIAL_ORGANISATION: ("社会组织", "social organisation"),
    Party.RESIDENT_UNIT: ("驻区单位", "resident unit"),
    Party.DEPARTMENT: ("职能部门", "government department"),
    MeetingStatus.SCHEDULED: ("已安排", "scheduled"),
    MeetingStatus.HELD: ("已召开", "held"),
    MeetingStatus.CANCELLED: ("已取消", "cancelled"),
    DecisionOutcome.ADOPTED: ("通过", "adopted"),
    DecisionOutcome.REJECTED: ("未通过", "rejected"),
    DecisionOutcome.DEFERRED: ("暂缓，下次再议", "deferred to a later meeting"),
    FollowUpKind.REQUEST: ("转为诉求办理", "becomes a request"),
    FollowUpKind.TASK: ("任务", "task"),
}
register_labels(_LABELS)

THREE_PARTIES: frozenset[Party] = frozenset(
    {Party.RESIDENTS_COMMITTEE, Party.OWNERS_COMMITTEE, Party.PROPERTY_COMPANY}
)
"""三方共议 (D7, seed 002): residents' committee, property company and owners' committee decide
together (决策共议、要事共商、难题共解)."""

EIGHT_PARTIES_NAMED: frozenset[Party] = frozenset(
    {Party.OWNERS_COMMITTEE, Party.PROPERTY_COMPANY, Party.VOLUNTEER, Party.SELF_ORGANISATION}
)
"""The parties seed 003 names among Chenghua's "eight parties" (业主委员会、物业、志愿者、自组织等
"八方主体"): four of the eight. The source does not list the others, so the library does not
guess them; a city that keeps all eight declares them in its own :class:`Quorum`."""

_PARTY_OF_KIND: dict[OrgKind, Party] = {
    OrgKind.RESIDENTS_COMMITTEE: Party.RESIDENTS_COMMITTEE,
    OrgKind.OWNERS_COMMITTEE: Party.OWNERS_COMMITTEE,
    OrgKind.PROPERTY_COMPANY: Party.PROPERTY_COMPANY,
    OrgKind.SOCIAL_ORGANISATION: Party.SOCIAL_ORGANISATION,
    OrgKind.SOCIAL_ENTERPRISE: Party.SOCIAL_ORGANISATION,
    OrgKind.RESIDENT_UNIT: Party.RESIDENT_UNIT,
}


def party_of(kind: OrgKind) -> Party | None:
    """Return the party an organisation of ``kind`` sits for, or ``None`` if it has no seat.

    Every party organisation (党委 … 党员中心户) sits as the party organisation that leads the
    meeting (党建引领); foundations, funds and service centres have no seat of their own.
    """
    if kind.is_party:
        return Party.PARTY_ORGANISATION
    return _PARTY_OF_KIND.get(kind)


def _ids(owner: object, *fields: str, optional: bool = False) -> list[Problem]:
    """Return problems with ``fields`` of ``owner`` that must be non-empty strings (or None)."""
    problems = []
    for field in fields:
        value: object = getattr(owner, field)
        if not (value is None and optional) and (not isinstance(value, str) or not value):
            rule = "a non-empty string or None" if optional else "a non-empty string"
            problems.append(Problem(field, f"must be {rule}"))
    return problems


def _texts(owner: object, *fields: str) -> list[Problem]:
    """Return problems with ``fields`` of ``owner`` that must be non-blank text."""
    return [
        Problem(field, "must be non-blank text")
        for field in fields
        if not isinstance(value := getattr(owner, field), str) or not value.strip()
    ]


def _member(owner: object, field: str, kind: type[enum.Enum]) -> list[Problem]:
    """Return a problem if ``owner.field`` is not a member of ``kind``."""
    value: object = getattr(owner, field)
    if isinstance(value, kind):
        return []
    return [Problem(field, f"must be a {kind.__name__}, not {value!r}")]


def _aware(owner: object, field: str) -> list[Problem]:
    """Return a problem if ``owner.field`` is not a timezone-aware datetime."""
    value: object = getattr(owner, field)
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return []
    return [Problem(field, "must be a timezone-aware datetime")]


# --------------------------------------------------------------------------- topics


@attrs.frozen(kw_only=True)
class Topic:
    """A topic (议题) raised for a unit: what it is about, by whom, how urgent, where it belongs.

    ``category`` is a lower-snake key a city's topic rules know (``dog_keeping`` …).
    ``level`` is the rung of the I4 ladder the matter belongs to (``grid``, ``compound``,
    ``community``, ``subdistrict``) when known; above the compound it is raised (二提).
    ``handled_by`` names the organisation whose duty the matter is when it is not the
    compound's to settle (a property company under its contract, a department): such a topic
    is transferred (一转).
    """

    id: str
    title: str
    unit: str
    category: str
    raised_by: str
    proposer: ProposerKind
    raised_at: datetime
    description: str = ""
    urgency: Urgency = Urgency.ROUTINE
    level: str | None = None
    handled_by: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = _ids(self, "id", "unit", "raised_by") + _texts(self, "title")
        category: object = self.category
        if not isinstance(category, str) or not _KEY.match(category):
            problems.append(Problem("category", f"must be a lower_snake key, not {category!r}"))
        problems += _member(self, "proposer", ProposerKind) + _member(self, "urgency", Urgency)
        problems += _aware(self, "raised_at")
        if self.level is not None and self.level not in _LEVEL_KEYS:
            problems.append(
                Problem("level", f"must be one of {', '.join(_LEVEL_KEYS)}, not {self.level!r}")
            )
        problems += _ids(self, "handled_by", optional=True)
        if problems:
            raise InvalidData(f"topic {self.id!r}", problems)


# --------------------------------------------------------------------------- participants


@attrs.frozen(kw_only=True)
class Participant:
    """Someone invited to a meeting, for a party: a person id, or an organisation's id.

    ``organisation`` is the organisation a person sits for (the property company's manager).
    """

    id: str
    party: Party
    organisation: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = _ids(self, "id") + _member(self, "party", Party)
        problems += _ids(self, "organisation", optional=True)
        if problems:
            raise InvalidData(f"participant {self.id!r}", problems)


def participants_from(
    organisations: Organisations,
    units: Iterable[str],
    *,
    on: date,
    parties: Collection[Party] = THREE_PARTIES,
) -> tuple[Participant, ...]:
    """Invite each organisation serving one of ``units`` on ``on`` whose party is in ``parties``.

    ``three_party = participants_from(orgs, [compound, community], on=day)`` draws the
    residents' committee (bound to the community) with the owners' committee and property
    company (bound to the compound): 三方共议. Each organisation is invited once, by its id.
    """
    seen: dict[str, Participant] = {}
    for unit in units:
        for org in organisations.serving(unit, on=on):
            party = party_of(org.kind)
            if party is not None and party in parties and org.id not in seen:
                seen[org.id] = Participant(id=org.id, party=party, organisation=org.id)
    return tuple(seen.values())


def deliberators(roster: Roster, unit: str, *, on: date) -> tuple[Participant, ...]:
    """Invite every elected deliberator (议事员, D7) seated for ``unit`` on ``on``."""
    seated = roster.holders(on=on, role=Seat.DELIBERATOR.value, unit=unit)
    people = dict.fromkeys(a.person for a in seated)
    return tuple(Participant(id=person, party=Party.DELIBERATOR) for person in people)


# --------------------------------------------------------------------------- quorum


@attrs.frozen(kw_only=True)
class Shortfall:
    """One requirement of a quorum that the attendance does not meet, and by how much."""

    requirement: str
    """``headcount``, ``share`` or ``party:<party>``."""
    message_en: str
    message_zh: str


def _parties(value: Iterable[Party]) -> frozenset[Party]:
    return frozenset(value)


def _is_share(value: object) -> bool:
    if not isinstance(value, tuple) or len(value) != 2:
        return False
    numerator, denominator = value
    whole = all(isinstance(n, int) and not isinstance(n, bool) for n in value)
    return whole and 0 < numerator <= denominator


@attrs.frozen(kw_only=True)
class Quorum:
    """What a meeting needs present before it may decide: a headcount, a share, parties.

    ``share=(2, 3)`` asks at least two thirds of those invited (以上 includes the bound);
    with ``more_than_share`` it asks strictly more (过半数 is ``share=(1, 2)`` and
    ``more_than_share=True``). ``parties`` must each have someone present: 三方共议 is
    :data:`THREE_PARTY_QUORUM`. Arithmetic is exact.
    """

    headcount: int = 1
    share: tuple[int, int] | None = None
    more_than_share: bool = False
    parties: frozenset[Party] = attrs.field(default=frozenset(), converter=_parties)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        headcount: object = self.headcount
        if isinstance(headcount, bool) or not isinstance(headcount, int) or headcount < 1:
            problems.append(Problem("headcount", f"must be a whole number ≥ 1, not {headcount!r}"))
        share: object = self.share
        if share is not None and not _is_share(share):
            problems.append(
                Problem("share", f"must be (numerator, denominator) in (0, 1], not {share!r}")
            )
        members: tuple[object, ...] = tuple(self.parties)
        problems.extend(
            Problem("parties", f"must hold Party members, not {party!r}")
            for party in members
            if not isinstance(party, Party)
        )
        if problems:
            raise InvalidData("quorum", problems)

    def shortfalls(
        self, invited: Iterable[Participant], present: Collection[str]
    ) -> tuple[Shortfall, ...]:
        """Return what the attendance lacks, one :class:`Shortfall` per unmet requirement."""
        invited = tuple(invited)
        here = [p for p in invited if p.id in present]
        found: list[Shortfall] = []
        if len(here) < self.headcount:
            found.append(
                Shortfall(
                    requirement="headcount",
                    message_en=f"{len(here)} present, at least {self.headcount} needed",
                    message_zh=f"到会 {len(here)} 人，至少需要 {self.headcount} 人",
                )
            )
        if self.share is not None and invited:
            needed = Fraction(*self.share)
            got = Fraction(len(here), len(invited))
            if got < needed or (self.more_than_share and got == needed):
                than = "more than" if self.more_than_share else "at least"
                than_zh = "超过" if self.more_than_share else "不少于"
                found.append(
                    Shortfall(
                        requirement="share",
                        message_en=f"{len(here)} of {len(invited)} present; {than} "
                        f"{needed.numerator}/{needed.denominator} of those invited needed",
                        message_zh=f"应到 {len(invited)} 人、实到 {len(here)} 人；需{than_zh}"
                        f"应到人数的 {needed.numerator}/{needed.denominator}",
                    )
                )
        seated = {p.party for p in here}
        found.extend(
            Shortfall(
                requirement=f"party:{party.value}",
                message_en=f"nobody present for the {party.label_en}",
                message_zh=f"{party.label_zh}无人到会",
            )
            for party in sorted(self.parties - seated)
        )
        return tuple(found)


THREE_PARTY_QUORUM = Quorum(parties=THREE_PARTIES)
"""三方共议: the residents' committee, the owners' committee and the property company must each
have someone present."""
