"""Organisation health: screening weak and lax organisations, and their rectification (O14, O4).

Huichuan's district leaders lead the screening and rectification of weak and lax party
organisations (软弱涣散党组织排查整顿) and build model pioneer organisations (先锋党组织, seed
002). The seed names the practice, not the criteria, so criteria are data a city sets: small
frozen objects with parameters and a ``check(context)`` returning findings; a city passes its
own alongside or instead of :data:`DEFAULT_CRITERIA`. Where each comes from:

* :class:`RectificationOverdue` — the seed's rectification (整顿), recorded as a
  :class:`Rectification` with a deadline; the deadline itself is the city's.
* :class:`SecretaryVacant` — a default: "secretary post long vacant" (书记长期缺职) is among the
  typical situations of a weak and lax organisation in party practice, not in the seeds.
* :class:`TooFewActivities` — a default: no organisational life recorded in the period
  (三会一课 under the Party Branch Work Regulations); one activity per screening period.
* :class:`TooFewMembers` — a default: the Party Constitution (art. 30) forms a basic-level
  organisation where there are three or more full members.

Hefei's compound governance team (O4: 小区党建指导员 + 党组织书记 + 红色小管家) belongs to the
compound rather than to one organisation's health: see :mod:`civicgrid.domain.compound_teams`.

:func:`screen_organisations` runs the criteria over a period on the organisations whose
records a :class:`HealthRecords` holds (:func:`screen_organisation` on one) and returns a
:class:`Screening` each, weak and lax (软弱涣散) when a finding reaches the city's threshold.
Choosing pioneer organisations stays a human decision; a sound screening is what a city may
require of a candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Protocol, Self

import attrs

from civicgrid.domain.findings import Finding, Severity
from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.organisations import Organisation, Organisations
from civicgrid.domain.people import Roster, Seat
from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.domain.units import UnitKind, UnitTree
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "DEFAULT_CRITERIA",
    "ActivityKind",
    "Criterion",
    "HealthContext",
    "HealthRecords",
    "HealthStatus",
    "OrgActivity",
    "Rectification",
    "RectificationOverdue",
    "Screening",
    "SecretaryVacant",
    "TooFewActivities",
    "TooFewMembers",
    "screen_organisation",
    "screen_organisations",
]


_SEATS = frozenset(seat.value for seat in Seat)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


class ActivityKind(Labelled):
    """Common kinds of organisational life (三会一课, 主题党日); a city may use its own keys."""

    MEMBER_MEETING = "member_meeting"
    COMMITTEE_MEETING = "committee_meeting"
    GROUP_MEETING = "group_meeting"
    PARTY_LECTURE = "party_lecture"
    THEME_PARTY_DAY = "theme_party_day"
    OTHER = "other"


class HealthStatus(Labelled):
    """What a screening concludes about an organisation: 正常, 需关注 or 软弱涣散."""

    SOUND = "sound"
    NEEDS_ATTENTION = "needs_attention"
    WEAK_AND_LAX = "weak_and_lax"


_LABELS: dict[Labelled, tuple[str, str]] = {
    ActivityKind.MEMBER_MEETING: ("支部党员大会", "branch members' meeting"),
    ActivityKind.COMMITTEE_MEETING: ("支部委员会会议", "branch committee meeting"),
    ActivityKind.GROUP_MEETING: ("党小组会", "party group meeting"),
    ActivityKind.PARTY_LECTURE: ("党课", "party lecture"),
    ActivityKind.THEME_PARTY_DAY: ("主题党日", "theme party day"),
    ActivityKind.OTHER: ("其他活动", "other activity"),
    HealthStatus.SOUND: ("正常", "sound"),
    HealthStatus.NEEDS_ATTENTION: ("需关注", "needs attention"),
    HealthStatus.WEAK_AND_LAX: ("软弱涣散", "weak and lax"),
}
register_labels(_LABELS)


# --------------------------------------------------------------------------- records


@attrs.frozen(kw_only=True)
class OrgActivity:
    """A meeting or activity an organisation held at ``at`` (a timezone-aware instant)."""

    org: str
    at: datetime
    kind: str
    title: str = ""

    def __attrs_post_init__(self) -> None:
        require_aware(self.at, "at")
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("org", "kind")
            if not _text(getattr(self, field))
        ]
        if problems:
            raise InvalidData(f"activity of {self.org!r}", problems)

    @property
    def day(self) -> date:
        """The calendar day it counts for, in Asia/Shanghai."""
        return self.at.astimezone(DEFAULT_TZ).date()


@attrs.frozen(kw_only=True)
class Rectification:
    """The rectification (整顿) of an organisation: opened, due by ``deadline``, closed.

    ``deadline`` is the last day on which closing is on time; from the next day an open
    rectification is overdue. ``reasons`` are the rules of the findings that opened it.
    """

    id: str
    org: str
    opened: date
    deadline: date
    closed: date | None = None
    reasons: tuple[str, ...] = ()
    remarks: str = ""

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("id", "org")
            if not _text(getattr(self, field))
        ]
        for field in ("opened", "deadline", "closed"):
            value = getattr(self, field)
            if not (_is_date(value) or (field == "closed" and value is None)):
                problems.append(Problem(field, f"must be a date, not {value!r}"))
            elif value is not None and not problems and value < self.opened:
                problems.append(Problem(field, "cannot come before the day it was opened"))
        if not all(_text(reason) for reason in self.reasons):
            problems.append(Problem("reasons", "must be non-empty strings"))
        if problems:
            raise InvalidData(f"rectification {self.id!r}", problems)

    @classmethod
    def of(cls, screening: Screening, *, id: str, opened: date, deadline: date) -> Self:
        """Open a rectification for a screening, its findings' rules as the reasons."""
        reasons = tuple(dict.fromkeys(f.rule for f in screening.findings))
        return cls(id=id, org=screening.org, opened=opened, deadline=deadline, reasons=reasons)

    def overdue_on(self, day: date) -> bool:
        """Whether it is still open on ``day`` although the deadline has passed."""
        return self.deadline < day and (self.closed is None or day < self.closed)

    @property
    def closed_late(self) -> bool:
        """Whether it was closed after the deadline."""
        return self.closed is not None and self.closed > self.deadline


# --------------------------------------------------------------------------- criteria


@attrs.frozen(kw_only=True)
class HealthContext:
    """What a criterion reads about one organisation for ``[start, end)``, judged on ``on``.

    ``activities`` and ``rectifications`` are the organisation's own; ``members`` its count of
    full members (``None`` when not given); ``unit_kind`` the kind of the unit it serves when a
    unit tree was given.
    """

    org: Organisation
    start: date
    end: date
    on: date
    roster: Roster
    activities: tuple[OrgActivity, ...] = ()
    members: int | None = None
    rectifications: tuple[Rectification, ...] = ()
    unit_kind: UnitKind | None = None

    def finding(
        self, criterion: Criterion, en: str, zh: str, value: float | None = None, limit: float = 0
    ) -> Finding:
        """Make the criterion's finding about this organisation (rule ``org_health.<key>``)."""
        return Finding(
            rule=f"org_health.{criterion.key}",
            severity=criterion.severity,
            message_en=f"{self.org.id!r}: {en}",
            message_zh=f"{self.org.name_zh}：{zh}",
            unit=self.org.unit,
            subject=self.org.id,
            value=value,
            limit=None if value is None else limit,
        )


class Criterion(Protocol):
    """One screening rule: key, labels, source, severity, and ``check(context)``."""

    @property
    def key(self) -> str:
        """The rule's key, used in ``org_health.<key>``."""

    @property
    def label_zh(self) -> str:
        """The Chinese name."""

    @property
    def label_en(self) -> str:
        """The English name."""

    @property
    def source(self) -> str:
        """Where the rule comes from: a seed, a party rule, or a default the library chose."""

    @property
    def severity(self) -> Severity:
        """How much its findings matter."""

    def check(self, context: HealthContext) -> Iterable[Finding]:
        """Return the findings for ``context`` (none when the organisation passes)."""


@attrs.frozen(kw_only=True)
class SecretaryVacant:
    """Nobody holds the organisation's secretary seat (``role``) on the screening date."""

    role: str = Seat.SECRETARY
    severity: Severity = Severity.ERROR
    key: str = "secretary_vacant"
    label_zh: str = "书记缺职"
    label_en: str = "secretary seat vacant"
    source: str = "default: 书记长期缺职 is a typical situation in party practice"

    def check(self, context: HealthContext) -> Iterable[Finding]:
        """One finding when no appointment to ``role`` in the organisation is held on ``on``."""
        if context.roster.holders(on=context.on, role=self.role, org=context.org.id):
            return ()
        day = context.on.isoformat()
        title = Seat(self.role).label_zh if self.role in _SEATS else self.role
        return (
            context.finding(self, f"the {self.role} seat is vacant on {day}", f"{day} {title}缺职"),
        )


def _keys(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen(kw_only=True)
class TooFewActivities:
    """Fewer than ``minimum`` activities recorded in the period (of ``kinds``, when given)."""

    minimum: int = attrs.field(default=1, validator=attrs.validators.ge(0))
    kinds: frozenset[str] = attrs.field(default=frozenset(), converter=_keys)
    severity: Severity = Severity.ERROR
    key: str = "too_few_activities"
    label_zh: str = "组织生活不正常"
    label_en: str = "too little organisational life"
    source: str = "default: 三会一课 (Party Branch Work Regulations); one per period"

    def check(self, context: HealthContext) -> Iterable[Finding]:
        """One finding when the count in ``[start, end)`` is below ``minimum``."""
        count = sum(
            context.start <= a.day < context.end and (not self.kinds or a.kind in self.kinds)
            for a in context.activities
        )
        if count >= self.minimum:
            return ()
        period = f"{context.start.isoformat()}–{context.end.isoformat()}"
        en = f"{count} activities recorded in {period}, fewer than {self.minimum}"
        zh = f"{period} 仅记录 {count} 次组织生活，少于 {self.minimum} 次"
        return (context.finding(self, en, zh, count, self.minimum),)


@attrs.frozen(kw_only=True)
class TooFewMembers:
    """Fewer full members than ``minimum``; skipped when the count is not given."""

    minimum: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    severity: Severity = Severity.WARNING
    key: str = "too_few_members"
    label_zh: str = "正式党员不足"
    label_en: str = "too few full members"
    source: str = "Party Constitution art. 30: three or more full members form an organisation"

    def check(self, context: HealthContext) -> Iterable[Finding]:
        """One finding when ``members`` is known and below ``minimum``."""
        count = context.members
        if count is None or count >= self.minimum:
            return ()
        en = f"{count} full members, fewer than {self.minimum}"
        zh = f"正式党员 {count} 名，少于 {self.minimum} 名"
        return (context.finding(self, en, zh, count, self.minimum),)


@attrs.frozen(kw_only=True)
class RectificationOverdue:
    """A rectification of the organisation is still open after its deadline."""

    severity: Severity = Severity.ERROR
    key: str = "rectification_overdue"
    label_zh: str = "整顿逾期"
    label_en: str = "rectification overdue"
    source: str = "seed 002 (排查整顿); the deadline is the city's"

    def check(self, context: HealthContext) -> Iterable[Finding]:
        """One finding per rectification overdue on ``on``; the value is the days overdue."""
        day = context.on.isoformat()
        return tuple(
            context.finding(
                self,
                f"rectification {r.id!r} was due by {r.deadline.isoformat()}, open on {day}",
                f"整顿 {r.id!r} 应于 {r.deadline.isoformat()} 前完成，{day} 仍未完成",
                (context.on - r.deadline).days,
            )
            for r in context.rectifications
            if r.overdue_on(context.on)
        )


DEFAULT_CRITERIA: tuple[Criterion, ...] = (
    SecretaryVacant(),
    TooFewActivities(),
    TooFewMembers(),
    RectificationOverdue(),
)
"""The criteria used when a city gives none; see the module docstring for their sources."""


# --------------------------------------------------------------------------- screening


@attrs.frozen(kw_only=True)
class Screening:
    """The result of screening one organisation over ``[start, end)``, judged on ``on``."""

    org: str
    start: date
    end: date
    on: date
    findings: tuple[Finding, ...]
    status: HealthStatus

    @property
    def weak_and_lax(self) -> bool:
        """Whether the screening marks the organisation weak and lax (软弱涣散)."""
        return self.status is HealthStatus.WEAK_AND_LAX


def _status(findings: Iterable[Finding], weak_at: Severity) -> HealthStatus:
    status = HealthStatus.SOUND
    for finding in findings:
        if finding.severity.rank >= weak_at.rank:
            return HealthStatus.WEAK_AND_LAX
        status = HealthStatus.NEEDS_ATTENTION
    return status


class HealthRecords:
    """What screening reads, indexed by organisation once for any number of screenings.

    ``members`` maps an organisation id to its count of full members; ``tree``, when given,
    tells criteria the kind of unit each organisation serves.
    """

    __slots__ = ("_activities", "_members", "_rectifications", "organisations", "roster", "tree")

    def __init__(
        self,
        organisations: Organisations,
        *,
        roster: Roster | None = None,
        activities: Iterable[OrgActivity] = (),
        members: Mapping[str, int] | None = None,
        rectifications: Iterable[Rectification] = (),
        tree: UnitTree | None = None,
    ) -> None:
        self.organisations = organisations
        self.roster = roster if roster is not None else Roster()
        self.tree = tree
        self._members = dict(members or {})
        self._activities: dict[str, list[OrgActivity]] = {}
        for activity in activities:
            self._activities.setdefault(activity.org, []).append(activity)
        self._rectifications: dict[str, list[Rectification]] = {}
        for rectification in rectifications:
            self._rectifications.setdefault(rectification.org, []).append(rectification)

    def context(self, org: Organisation, start: date, end: date, on: date) -> HealthContext:
        """Return what criteria read about ``org`` for ``[start, end)``, judged on ``on``."""
        tree = self.tree
        return HealthContext(
            org=org,
            start=start,
            end=end,
            on=on,
            roster=self.roster,
            activities=tuple(self._activities.get(org.id, ())),
            members=self._members.get(org.id),
            rectifications=tuple(self._rectifications.get(org.id, ())),
            unit_kind=tree.unit(org.unit).kind if tree is not None and org.unit in tree else None,
        )


def screen_organisations(
    records: HealthRecords,
    *,
    start: date,
    end: date,
    on: date | None = None,
    org_ids: Iterable[str] | None = None,
    criteria: Iterable[Criterion] = DEFAULT_CRITERIA,
    weak_at: Severity = Severity.ERROR,
) -> tuple[Screening, ...]:
    """Screen organisations over ``[start, end)``, judged on ``on`` (default: the last day).

    ``org_ids`` ``None`` screens every party organisation active on ``on``; an unknown id
    raises :class:`~civicgrid.domain.organisations.UnknownOrganisation`. Findings come most
    severe first; one at ``weak_at`` or above marks the organisation weak and lax.
    """
    if end <= start:
        raise InvalidData("screening period", [Problem("end", "must be after start")])
    day = end - timedelta(days=1) if on is None else on
    if org_ids is None:
        orgs = [o for o in records.organisations if o.kind.is_party and o.active_on(day)]
    else:
        orgs = [records.organisations.get(org_id) for org_id in org_ids]
    rules = tuple(criteria)
    screenings = []
    for org in orgs:
        context = records.context(org, start, end, day)
        found = (finding for rule in rules for finding in rule.check(context))
        findings = tuple(sorted(found, key=lambda f: -f.severity.rank))
        status = _status(findings, weak_at)
        screening = Screening(
            org=org.id, start=start, end=end, on=day, findings=findings, status=status
        )
        screenings.append(screening)
    return tuple(screenings)


def screen_organisation(
    records: HealthRecords,
    org_id: str,
    *,
    start: date,
    end: date,
    on: date | None = None,
    criteria: Iterable[Criterion] = DEFAULT_CRITERIA,
    weak_at: Severity = Severity.ERROR,
) -> Screening:
    """Screen one organisation; see :func:`screen_organisations`."""
    (screening,) = screen_organisations(
        records, start=start, end=end, on=on, org_ids=(org_id,), criteria=criteria, weak_at=weak_at
    )
    return screening
