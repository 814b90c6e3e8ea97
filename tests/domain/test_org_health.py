"""Organisation health (O14, O4): screening criteria, status, rectification and overdue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    Appointment,
    Finding,
    InvalidData,
    NaiveDatetimeError,
    Organisation,
    Organisations,
    OrgKind,
    Roster,
    Seat,
    Severity,
    UnknownOrganisation,
)
from civicgrid.domain.org_health import (
    DEFAULT_CRITERIA,
    ActivityKind,
    HealthContext,
    HealthRecords,
    HealthStatus,
    OrgActivity,
    Rectification,
    TooFewActivities,
    TooFewMembers,
    screen_organisation,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.serialization import make_converter

START, END = date(2026, 7, 1), date(2026, 10, 1)
"""The third quarter of 2026, the screening period."""


def orgs() -> Organisations:
    """A community party committee c, a compound branch b, a residents' committee."""
    return Organisations(
        [
            Organisation(id="c", kind=OrgKind.PARTY_COMMITTEE, name_zh="光明社区党委", unit="comm"),
            Organisation(
                id="b", kind=OrgKind.PARTY_BRANCH, name_zh="东苑小区党支部", unit="cpd", parent="c"
            ),
            Organisation(id="rc", kind=OrgKind.RESIDENTS_COMMITTEE, name_zh="居委会", unit="comm"),
        ]
    )


def secretary(org: str, **kw: object) -> Appointment:
    """A secretary of ``org`` since 2024."""
    fields: dict[str, object] = {"start": date(2024, 1, 1)}
    fields.update(kw)
    return Appointment(person=f"sec-{org}", role=Seat.SECRETARY, org=org, **fields)  # type: ignore[arg-type]


def records(*appointments: Appointment, **kw: object) -> HealthRecords:
    """The organisations of :func:`orgs` with these appointments and other records."""
    return HealthRecords(orgs(), roster=Roster(appointments=appointments), **kw)  # type: ignore[arg-type]


def meeting(org: str, day: date, kind: str = ActivityKind.MEMBER_MEETING) -> OrgActivity:
    """A meeting of ``org`` on ``day`` at 15:00 in Asia/Shanghai."""
    at = datetime(day.year, day.month, day.day, 15, tzinfo=DEFAULT_TZ)
    return OrgActivity(org=org, at=at, kind=kind, title="支部党员大会")


def test_kinds_and_statuses_carry_both_labels_and_criteria_their_sources() -> None:
    """Every label is present; each default criterion says where it comes from."""
    assert HealthStatus.WEAK_AND_LAX.label_zh == "软弱涣散"
    assert all(k.label_zh and k.label_en for k in ActivityKind)
    assert all(s.label_zh and s.label_en for s in HealthStatus)
    assert all(c.source and c.label_zh and c.label_en for c in DEFAULT_CRITERIA)
    assert [c.key for c in DEFAULT_CRITERIA] == [
        "secretary_vacant",
        "too_few_activities",
        "too_few_members",
        "rectification_overdue",
    ]


def test_an_organisation_meeting_every_criterion_is_sound() -> None:
    """A secretary in post, one meeting, five members, no rectification: no finding."""
    data = records(secretary("c"), activities=[meeting("c", date(2026, 8, 20))], members={"c": 5})
    screening = screen_organisation(data, "c", start=START, end=END)
    assert screening.findings == ()
    assert screening.status is HealthStatus.SOUND
    assert screening.on == date(2026, 9, 30)


def test_a_vacant_secretary_and_no_meetings_make_an_organisation_weak_and_lax() -> None:
    """Both default errors are found, in Chinese and English, on the org's own unit."""
    data = records(
        secretary("c", end=date(2026, 9, 1)),
        activities=[meeting("c", date(2026, 6, 30)), meeting("b", date(2026, 8, 1))],
    )
    screening = screen_organisation(data, "c", start=START, end=END)
    assert [f.rule for f in screening.findings] == [
        "org_health.secretary_vacant",
        "org_health.too_few_activities",
    ]
    vacant, idle = screening.findings
    assert vacant.message_zh.startswith("光明社区党委：")
    assert "书记" in vacant.message_zh
    assert "vacant on 2026-09-30" in vacant.message_en
    assert (idle.unit, idle.subject, idle.value, idle.limit) == ("comm", "c", 0, 1)
    assert screening.weak_and_lax
    on_time = screen_organisation(data, "c", start=START, end=END, on=date(2026, 8, 31))
    assert [f.rule for f in on_time.findings] == ["org_health.too_few_activities"]


def test_too_few_members_is_a_warning_that_asks_for_attention() -> None:
    """Two full members are fewer than the Party Constitution's three."""
    data = records(secretary("c"), activities=[meeting("c", START)], members={"c": 2})
    screening = screen_organisation(data, "c", start=START, end=END)
    assert [(f.rule, f.severity, f.value) for f in screening.findings] == [
        ("org_health.too_few_members", Severity.WARNING, 2)
    ]
    assert screening.status is HealthStatus.NEEDS_ATTENTION
    strict = screen_organisation(data, "c", start=START, end=END, weak_at=Severity.WARNING)
    assert strict.weak_and_lax


def test_a_city_sets_its_own_activity_rule() -> None:
    """Three lectures a quarter: two lectures and a meeting do not meet it."""
    lectures = TooFewActivities(minimum=3, kinds={ActivityKind.PARTY_LECTURE})
    activities = [
        meeting("c", date(2026, 7, 5), ActivityKind.PARTY_LECTURE),
        meeting("c", date(2026, 8, 5), ActivityKind.PARTY_LECTURE),
        meeting("c", date(2026, 9, 5)),
    ]
    data = records(activities=activities)
    screening = screen_organisation(data, "c", start=START, end=END, criteria=[lectures])
    assert [(f.value, f.limit) for f in screening.findings] == [(2, 3)]


def test_a_negative_minimum_is_refused() -> None:
    """Criteria are checked when a city configures them."""
    with pytest.raises(ValueError, match="minimum"):
        TooFewMembers(minimum=-1)


def test_an_overdue_rectification_is_found() -> None:
    """A rectification due by 31 August and still open on 30 September is 30 days overdue."""
    rectification = Rectification(
        id="r1", org="c", opened=date(2026, 6, 1), deadline=date(2026, 8, 31)
    )
    data = records(
        secretary("c"),
        activities=[meeting("c", START)],
        rectifications=[rectification, attrs.evolve(rectification, id="r2", org="b")],
    )
    screening = screen_organisation(data, "c", start=START, end=END)
    assert [(f.rule, f.value) for f in screening.findings] == [
        ("org_health.rectification_overdue", 30)
    ]
    assert "整顿" in screening.findings[0].message_zh


def test_rectification_deadline_is_the_last_day_on_time() -> None:
    """Closing on the deadline is on time; the day after, an open one is overdue."""
    opened = Rectification(id="r", org="c", opened=date(2026, 6, 1), deadline=date(2026, 8, 31))
    assert not opened.overdue_on(date(2026, 8, 31))
    assert opened.overdue_on(date(2026, 9, 1))
    assert not attrs.evolve(opened, closed=date(2026, 8, 31)).closed_late
    late = attrs.evolve(opened, closed=date(2026, 9, 15))
    assert late.closed_late
    assert late.overdue_on(date(2026, 9, 14))
    assert not late.overdue_on(date(2026, 9, 15))


def test_a_bad_rectification_lists_every_problem() -> None:
    """An empty org and a deadline before opening are both named; so is an early close."""
    with pytest.raises(InvalidData) as refused:
        Rectification(id="r", org="", opened=date(2026, 6, 1), deadline="soon")  # type: ignore[arg-type]
    assert {p.path for p in refused.value.problems} == {"org", "deadline"}
    with pytest.raises(InvalidData) as backwards:
        Rectification(id="r", org="c", opened=date(2026, 6, 1), deadline=date(2026, 5, 1))
    assert [p.path for p in backwards.value.problems] == ["deadline"]
    with pytest.raises(InvalidData) as early:
        Rectification(
            id="r",
            org="c",
            opened=date(2026, 6, 1),
            deadline=date(2026, 7, 1),
            closed=date(2026, 5, 1),
        )
    assert [p.path for p in early.value.problems] == ["closed"]


def test_a_rectification_is_opened_from_a_screening() -> None:
    """The screening's rules become the rectification's reasons."""
    screening = screen_organisation(records(), "c", start=START, end=END)
    rectification = Rectification.of(
        screening, id="r1", opened=date(2026, 10, 8), deadline=date(2026, 12, 31)
    )
    assert rectification.org == "c"
    assert rectification.reasons == (
        "org_health.secretary_vacant",
        "org_health.too_few_activities",
    )


@attrs.frozen
class NoServiceStation:
    """A city's own criterion, for the test: every organisation lacks a service station."""

    key: str = "no_service_station"
    label_zh: str = "无党群服务站"
    label_en: str = "no service station"
    source: str = "a city's own rule"
    severity: Severity = Severity.INFO

    def check(self, context: HealthContext) -> Iterable[Finding]:
        """Always finds one."""
        return (context.finding(self, "no service station", "无党群服务站"),)


def test_a_city_adds_a_criterion_of_its_own() -> None:
    """Any object with a key, labels, a source, a severity and check() runs with the defaults."""
    data = records(secretary("c"), activities=[meeting("c", START)])
    criteria = [*DEFAULT_CRITERIA, NoServiceStation()]
    screening = screen_organisation(data, "c", start=START, end=END, criteria=criteria)
    assert [f.rule for f in screening.findings] == ["org_health.no_service_station"]
    assert screening.status is HealthStatus.NEEDS_ATTENTION


def test_screening_refuses_unknown_organisations_and_backward_periods() -> None:
    """An unknown id is a lookup error; an end before the start is bad data."""
    with pytest.raises(UnknownOrganisation):
        screen_organisation(records(), "nobody", start=START, end=END)
    with pytest.raises(InvalidData) as refused:
        screen_organisation(records(), "c", start=END, end=START)
    assert [p.path for p in refused.value.problems] == ["end"]


def test_an_activity_needs_an_aware_time() -> None:
    """A naive datetime is refused, naming the field."""
    with pytest.raises(NaiveDatetimeError):
        OrgActivity(org="c", at=datetime(2026, 8, 1, 15), kind="member_meeting")  # noqa: DTZ001


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 60), st.integers(0, 120), st.one_of(st.none(), st.integers(0, 120)))
def test_overdue_means_open_after_the_deadline(
    allowed: int, asked: int, closed_after: int | None
) -> None:
    """Overdue exactly when still open on a day past the deadline."""
    opened = date(2026, 1, 1)
    rectification = Rectification(
        id="r",
        org="c",
        opened=opened,
        deadline=opened + timedelta(days=allowed),
        closed=None if closed_after is None else opened + timedelta(days=closed_after),
    )
    day = opened + timedelta(days=asked)
    expected = day > rectification.deadline and (
        rectification.closed is None or day < rectification.closed
    )
    assert rectification.overdue_on(day) is expected


def test_health_records_round_trip_through_the_converter() -> None:
    """Activities and rectifications survive unstructure and structure."""
    converter = make_converter()
    items = (
        meeting("c", date(2026, 8, 1)),
        Rectification(
            id="r",
            org="c",
            opened=date(2026, 6, 1),
            deadline=date(2026, 8, 31),
            reasons=("org_health.secretary_vacant",),
        ),
    )
    for item in items:
        assert converter.structure(converter.unstructure(item), type(item)) == item
