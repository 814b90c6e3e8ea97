"""In-service party members reporting to their residential community (DOMAIN.md O7).

在职党员到社区报到: a party member employed elsewhere (an agency, a school, a company) reports to
the community where they live (:class:`Registration`), serves there, and each service is
recorded (履职纪实, :class:`ServiceRecord`). The community party organisation holds the right to
evaluate that service (评价权, :class:`Evaluation`), and the result is used when the member's own
employer appraises cadres (Huichuan, seed 002; 4,819 in-service members took part there).

:class:`InServiceLedger` keeps the three kinds of record, refuses what the rules forbid (a
service by a member not registered on that day, an evaluation by an organisation other than
the community's party organisation) and answers the summaries a report needs: per member for a
period (:class:`MemberSummary`, measured against a city's :class:`ServiceMinimum`) and per
community (:class:`CommunitySummary`).

The seeds name the evaluation right but no scale; :class:`EvaluationGrade` uses the four grades
of party members' democratic appraisal (民主评议党员): 优秀, 合格, 基本合格, 不合格. Service
categories (:class:`ServiceCategory`) are the five of Huichuan's "五在楼栋工作法" (seed 002);
a city may use keys of its own, any non-empty string is accepted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.organisations import Organisations, OrgKind
from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "COMMUNITY_PARTY_KINDS",
    "CommunitySummary",
    "Evaluation",
    "EvaluationGrade",
    "EvaluationRefused",
    "InServiceLedger",
    "MemberSummary",
    "NotRegistered",
    "Registration",
    "RegistrationOverlap",
    "ServiceCategory",
    "ServiceMinimum",
    "ServiceRecord",
]

COMMUNITY_PARTY_KINDS = frozenset(
    {OrgKind.PARTY_COMMITTEE, OrgKind.PARTY_GENERAL_BRANCH, OrgKind.PARTY_BRANCH}
)
"""The organisation kinds a community party organisation (社区党组织) may have."""


class ServiceCategory(Labelled):
    """What a service was: the five of Huichuan's "五在楼栋工作法" (seed 002), and other."""

    POLICY_PUBLICITY = "policy_publicity"
    INFORMATION_COLLECTION = "information_collection"
    PROBLEM_DISCOVERY = "problem_discovery"
    ENVIRONMENT = "environment"
    CARING_SERVICE = "caring_service"
    OTHER = "other"


class EvaluationGrade(Labelled):
    """The grade a community party organisation gives: 优秀, 合格, 基本合格 or 不合格."""

    EXCELLENT = "excellent"
    COMPETENT = "competent"
    BASICALLY_COMPETENT = "basically_competent"
    INCOMPETENT = "incompetent"

    @property
    def rank(self) -> int:
        """3 for excellent down to 0 for incompetent: for sorting and comparing."""
        return len(_GRADES) - 1 - _GRADES.index(self)


_GRADES = tuple(EvaluationGrade)
_LABELS: dict[Labelled, tuple[str, str]] = {
    ServiceCategory.POLICY_PUBLICITY: ("政策宣传", "policy publicity"),
    ServiceCategory.INFORMATION_COLLECTION: ("信息收集", "information collection"),
    ServiceCategory.PROBLEM_DISCOVERY: ("问题发现", "problem discovery"),
    ServiceCategory.ENVIRONMENT: ("环境治理", "environmental upkeep"),
    ServiceCategory.CARING_SERVICE: ("暖心服务", "caring service"),
    ServiceCategory.OTHER: ("其他", "other"),
    EvaluationGrade.EXCELLENT: ("优秀", "excellent"),
    EvaluationGrade.COMPETENT: ("合格", "competent"),
    EvaluationGrade.BASICALLY_COMPETENT: ("基本合格", "basically competent"),
    EvaluationGrade.INCOMPETENT: ("不合格", "not competent"),
}
register_labels(_LABELS)


# --------------------------------------------------------------------------- errors


class NotRegistered(CivicGridError, LookupError):
    """The member has no registration with a community (on ``on``, when given)."""

    def __init__(self, member: str, on: date | None = None) -> None:
        self.member = member
        self.on = on
        when = "" if on is None else f" on {on.isoformat()}"
        when_zh = "未到任何社区报到" if on is None else f"在 {on.isoformat()} 未在社区报到登记"
        super().__init__(
            f"in-service party member {member!r} is not registered with a community{when}",
            f"在职党员 {member!r} {when_zh}",
        )


class RegistrationOverlap(CivicGridError, ValueError):
    """A member would be registered with two communities (or twice) at the same time."""

    def __init__(self, registration: Registration, existing: Registration) -> None:
        self.registration = registration
        self.existing = existing
        member, community, since = registration.member, existing.community, existing.reported_on
        super().__init__(
            f"in-service party member {member!r} is registered with {community!r} from {since}",
            f"在职党员 {member!r} 已于 {since} 起在社区 {community!r} 报到，登记期间重叠",
        )


class EvaluationRefused(CivicGridError, ValueError):
    """Only the party organisation of the member's community may evaluate (评价权)."""

    def __init__(self, evaluation: Evaluation, allowed: Iterable[str]) -> None:
        self.evaluation = evaluation
        self.allowed = tuple(sorted(allowed))
        shown = ", ".join(self.allowed) or "none on that date"
        shown_zh = "、".join(self.allowed) or "当日无"
        super().__init__(
            f"organisation {evaluation.evaluator!r} may not evaluate in-service party member "
            f"{evaluation.member!r}: only the community party organisation may ({shown})",
            f"组织 {evaluation.evaluator!r} 无权评价在职党员 {evaluation.member!r}："
            f"评价权属于社区党组织（{shown_zh}）",
        )


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _amount(value: object, *, whole: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return (isinstance(value, int) or not whole) and math.isfinite(value) and value >= 0


def _term_problems(
    start: object, end: object, start_name: str = "start", *, closed: bool = False
) -> list[Problem]:
    problems = []
    if not _is_date(start):
        problems.append(Problem(start_name, f"must be a date, not {start!r}"))
    if (end is not None or closed) and not _is_date(end):
        problems.append(
            Problem("end", f"must be a date{'' if closed else ' or None'}, not {end!r}")
        )
    elif isinstance(end, date) and isinstance(start, date) and end <= start:
        problems.append(Problem("end", f"must be after {start_name} ({start.isoformat()})"))
    return problems


@attrs.frozen(kw_only=True)
class Registration:
    """A member reporting to their residential community, from ``reported_on`` to ``end``.

    ``workplace`` is the name of their employer (机关、学校、企业); ``workplace_org`` its
    organisation id when the library knows it. ``community`` is the id of the community unit
    they live in. The registration holds from ``reported_on`` (inclusive) to ``end``
    (exclusive, ``None`` while it lasts).
    """

    member: str
    community: str
    workplace: str
    reported_on: date
    end: date | None = None
    workplace_org: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("member", "community", "workplace")
            if not _text(getattr(self, field))
        ]
        if self.workplace_org is not None and not _text(self.workplace_org):
            problems.append(Problem("workplace_org", "must be a non-empty string or None"))
        problems.extend(_term_problems(self.reported_on, self.end, "reported_on"))
        if problems:
            raise InvalidData(f"registration of {self.member!r}", problems)

    def active_on(self, day: date) -> bool:
        """Whether the member is registered on ``day``: ``reported_on <= day < end``."""
        return self.reported_on <= day and (self.end is None or day < self.end)

    def overlaps(self, start: date, end: date | None) -> bool:
        """Whether the registration shares a day with ``[start, end)`` (``None``: open)."""
        return (end is None or self.reported_on < end) and (self.end is None or start < self.end)


@attrs.frozen(kw_only=True)
class ServiceRecord:
    """One service a member gave (履职纪实): when, how long, what, where, confirmed by whom.

    ``at`` is a timezone-aware instant; the day it counts for is its date in Asia/Shanghai.
    ``unit`` is the id of the unit served (a building, a compound); ``confirmed_by`` the id of
    the person (a grid leader, the branch secretary) who confirmed it. ``category`` is a
    :class:`ServiceCategory` or a city's own key.
    """

    member: str
    at: datetime
    hours: float
    activity: str
    category: str
    unit: str
    confirmed_by: str

    def __attrs_post_init__(self) -> None:
        require_aware(self.at, "at")
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("member", "activity", "category", "unit", "confirmed_by")
            if not _text(getattr(self, field))
        ]
        if not _amount(self.hours):
            problems.append(Problem("hours", f"must be a number >= 0, not {self.hours!r}"))
        if problems:
            raise InvalidData(f"service record of {self.member!r}", problems)

    @property
    def day(self) -> date:
        """The calendar day the service counts for, in Asia/Shanghai."""
        return self.at.astimezone(DEFAULT_TZ).date()


@attrs.frozen(kw_only=True)
class Evaluation:
    """The community party organisation's grade for a member's service over ``[start, end)``.

    ``evaluator`` is the id of the organisation that gives it, on ``evaluated_on``.
    """

    member: str
    start: date
    end: date
    grade: EvaluationGrade
    evaluator: str
    evaluated_on: date
    remarks: str = ""

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, "must be a non-empty string")
            for field in ("member", "evaluator")
            if not _text(getattr(self, field))
        ]
        grade: object = self.grade
        if not isinstance(grade, EvaluationGrade):
            problems.append(Problem("grade", f"must be an EvaluationGrade, not {grade!r}"))
        problems.extend(_term_problems(self.start, self.end, closed=True))
        if not _is_date(self.evaluated_on):
            problems.append(Problem("evaluated_on", f"must be a date, not {self.evaluated_on!r}"))
        elif _is_date(self.start) and self.evaluated_on < self.start:
            problems.append(Problem("evaluated_on", "cannot come before the period starts"))
        if problems:
            raise InvalidData(f"evaluation of {self.member!r}", problems)


@attrs.frozen(kw_only=True)
class ServiceMinimum:
    """A city's minimum for a period: at least ``hours`` of service, ``services`` services.

    Either may be ``None`` (not required); at least one must be set. The minimum applies to
    whatever period a summary is asked for, so a city states it per quarter or per year.
    """

    hours: float | None = None
    services: int | None = None

    def __attrs_post_init__(self) -> None:
        problems = [
            Problem(field, f"must be a {what} >= 0 or None, not {value!r}")
            for field, value, whole, what in (
                ("hours", self.hours, False, "number"),
                ("services", self.services, True, "whole number"),
            )
            if value is not None and not _amount(value, whole=whole)
        ]
        if self.hours is None and self.services is None:
            problems.append(Problem("hours", "give a minimum of hours, of services or both"))
        if problems:
            raise InvalidData("service minimum", problems)

    def met(self, hours: float, services: int) -> bool:
        """Whether ``hours`` and ``services`` reach every minimum that is set."""
        return (self.hours is None or hours >= self.hours) and (
            self.services is None or services >= self.services
        )


@attrs.frozen(kw_only=True)
class MemberSummary:
    """One member's service over ``[start, end)``.

    ``categories`` counts services per category. ``latest_evaluation`` is the latest
    evaluation whose period overlaps the summary's (by period end, then date given).
    ``met_minimum`` is ``None`` when no minimum was asked about.
    """

    member: str
    start: date
    end: date
    hours: float
    services: int
    categories: Mapping[str, int] = attrs.field(hash=False)
    latest_evaluation: Evaluation | None
    met_minimum: bool | None


@attrs.frozen(kw_only=True)
class CommunitySummary:
    """A community's in-service members over ``[start, end)``.

    ``registered`` counts members registered on some day of the period; ``active`` those of
    them with at least one service in it. ``met_minimum`` counts members who reached the
    minimum (``None`` when none was asked about).
    """

    community: str
    start: date
    end: date
    registered: int
    active: int
    hours: float
    met_minimum: int | None

    @property
    def active_share(self) -> float | None:
        """``active / registered``, or ``None`` when nobody is registered."""
        return self.active / self.registered if self.registered else None


# --------------------------------------------------------------------------- the ledger


def _period(start: date, end: date) -> None:
    problems = _term_problems(start, end)
    if problems:
        raise InvalidData("period", problems)


class InServiceLedger:
    """Registrations, service records and evaluations, with the rules that protect them.

    Every refused call raises and leaves the ledger exactly as it was. Records and
    evaluations are kept in the order given.
    """

    __slots__ = ("_evaluations", "_records", "_registrations")

    def __init__(
        self,
        registrations: Iterable[Registration] = (),
        records: Iterable[ServiceRecord] = (),
    ) -> None:
        self._registrations: dict[str, list[Registration]] = {}
        self._records: dict[str, list[ServiceRecord]] = {}
        self._evaluations: dict[str, list[Evaluation]] = {}
        for registration in registrations:
            self.register(registration)
        for record in records:
            self.record(record)

    def __len__(self) -> int:
        return sum(len(r) for r in self._registrations.values())

    def register(self, registration: Registration) -> None:
        """Add a registration; refuse one that overlaps another of the same member."""
        for existing in self._registrations.get(registration.member, ()):
            if existing.overlaps(registration.reported_on, registration.end):
                raise RegistrationOverlap(registration, existing)
        self._registrations.setdefault(registration.member, []).append(registration)

    def registration_of(self, member: str, on: date) -> Registration:
        """Return the member's registration on ``on``, or raise :class:`NotRegistered`."""
        registrations = self._registrations.get(member)
        if not registrations:
            raise NotRegistered(member)
        for registration in registrations:
            if registration.active_on(on):
                return registration
        raise NotRegistered(member, on)

    def record(self, record: ServiceRecord) -> ServiceRecord:
        """Add a service record; refuse one on a day the member was not registered."""
        self.registration_of(record.member, record.day)
        self._records.setdefault(record.member, []).append(record)
        return record

    def evaluate(self, evaluation: Evaluation, organisations: Organisations) -> Evaluation:
        """Add an evaluation; only the community's party organisation may give it.

        The evaluator must be a party committee, general branch or branch bound to the
        community of a registration overlapping the period, active on ``evaluated_on``.
        """
        member = evaluation.member
        known = self._registrations.get(member, [])
        registrations = [r for r in known if r.overlaps(evaluation.start, evaluation.end)]
        if not registrations:
            raise NotRegistered(member, evaluation.start if known else None)
        allowed = {
            org.id
            for registration in registrations
            for org in organisations.serving(
                registration.community, on=evaluation.evaluated_on, kinds=COMMUNITY_PARTY_KINDS
            )
        }
        if evaluation.evaluator not in allowed:
            raise EvaluationRefused(evaluation, allowed)
        self._evaluations.setdefault(member, []).append(evaluation)
        return evaluation

    def records_of(self, member: str) -> tuple[ServiceRecord, ...]:
        """Return the member's service records, in the order given."""
        return tuple(self._records.get(member, ()))

    def evaluations_of(self, member: str) -> tuple[Evaluation, ...]:
        """Return the member's evaluations, in the order given."""
        return tuple(self._evaluations.get(member, ()))

    def member_summary(
        self, member: str, start: date, end: date, minimum: ServiceMinimum | None = None
    ) -> MemberSummary:
        """Summarise the member's service over ``[start, end)``, against ``minimum``."""
        _period(start, end)
        if member not in self._registrations:
            raise NotRegistered(member)
        records = [r for r in self._records.get(member, ()) if start <= r.day < end]
        hours = math.fsum(r.hours for r in records)
        evaluations = [
            e for e in self._evaluations.get(member, ()) if e.start < end and start < e.end
        ]
        latest = max(evaluations, key=lambda e: (e.end, e.evaluated_on), default=None)
        return MemberSummary(
            member=member,
            start=start,
            end=end,
            hours=hours,
            services=len(records),
            categories=dict(Counter(r.category for r in records)),
            latest_evaluation=latest,
            met_minimum=None if minimum is None else minimum.met(hours, len(records)),
        )

    def community_summary(
        self, community: str, start: date, end: date, minimum: ServiceMinimum | None = None
    ) -> CommunitySummary:
        """Summarise the members registered with ``community`` on some day of ``[start, end)``.

        Only services given while registered with this community count towards it.
        """
        _period(start, end)
        registered = active = met = 0
        total = 0.0
        for member, registrations in self._registrations.items():
            terms = [
                r for r in registrations if r.community == community and r.overlaps(start, end)
            ]
            if not terms:
                continue
            records = [
                r
                for r in self._records.get(member, ())
                if start <= r.day < end and any(t.active_on(r.day) for t in terms)
            ]
            hours = math.fsum(r.hours for r in records)
            registered += 1
            total += hours
            active += bool(records)
            met += minimum is not None and minimum.met(hours, len(records))
        return CommunitySummary(
            community=community,
            start=start,
            end=end,
            registered=registered,
            active=active,
            hours=total,
            met_minimum=None if minimum is None else met,
        )
