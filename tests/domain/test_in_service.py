"""In-service party members (O7): registrations, service records, evaluations, summaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import InvalidData, NaiveDatetimeError, Organisation, Organisations, OrgKind
from civicgrid.domain.in_service import (
    CommunitySummary,
    Evaluation,
    EvaluationGrade,
    EvaluationRefused,
    InServiceLedger,
    NotRegistered,
    Registration,
    RegistrationOverlap,
    ServiceCategory,
    ServiceMinimum,
    ServiceRecord,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.serialization import make_converter

YEAR = (date(2026, 1, 1), date(2027, 1, 1))
Q1 = (date(2026, 1, 1), date(2026, 4, 1))


def registration(member: str = "m1", community: str = "c1", **kw: object) -> Registration:
    """A member of the district government reporting to community ``community`` in 2026."""
    fields: dict[str, object] = {"workplace": "汇川区人民政府", "reported_on": date(2026, 1, 1)}
    fields.update(kw)
    return Registration(member=member, community=community, **fields)  # type: ignore[arg-type]


def service(member: str = "m1", day: date = date(2026, 2, 20), **kw: object) -> ServiceRecord:
    """Two hours of policy publicity in building b1 on ``day`` at 19:00, Asia/Shanghai."""
    fields: dict[str, object] = {
        "at": datetime(day.year, day.month, day.day, 19, tzinfo=DEFAULT_TZ),
        "hours": 2.0,
        "activity": "楼栋政策宣传",
        "category": ServiceCategory.POLICY_PUBLICITY,
        "unit": "b1",
        "confirmed_by": "grid-leader-1",
    }
    fields.update(kw)
    return ServiceRecord(member=member, **fields)  # type: ignore[arg-type]


def evaluation(evaluator: str = "c1-party", **kw: object) -> Evaluation:
    """An evaluation of m1 for 2026, given on 2027-01-10."""
    fields: dict[str, object] = {
        "member": "m1",
        "start": YEAR[0],
        "end": YEAR[1],
        "grade": EvaluationGrade.EXCELLENT,
        "evaluated_on": date(2027, 1, 10),
    }
    fields.update(kw)
    return Evaluation(evaluator=evaluator, **fields)  # type: ignore[arg-type]


def organisations() -> Organisations:
    """Community c1's party committee and residents' committee, c2's party committee."""
    return Organisations(
        [
            Organisation(
                id="c1-party", kind=OrgKind.PARTY_COMMITTEE, name_zh="社区党委", unit="c1"
            ),
            Organisation(id="c1-rc", kind=OrgKind.RESIDENTS_COMMITTEE, name_zh="居委会", unit="c1"),
            Organisation(
                id="c2-party", kind=OrgKind.PARTY_COMMITTEE, name_zh="社区党委", unit="c2"
            ),
        ]
    )


def test_grades_and_categories_carry_both_labels() -> None:
    """The four grades of democratic appraisal and the five 在楼栋 categories are labelled."""
    assert [g.label_zh for g in EvaluationGrade] == ["优秀", "合格", "基本合格", "不合格"]
    assert min(EvaluationGrade, key=lambda g: g.rank) is EvaluationGrade.INCOMPETENT
    assert [g.rank for g in EvaluationGrade] == [3, 2, 1, 0]
    assert all(c.label_zh and c.label_en for c in ServiceCategory)
    assert ServiceCategory.CARING_SERVICE.label_zh == "暖心服务"


def test_a_service_counts_for_its_day_in_shanghai() -> None:
    """20:30 UTC on 19 February is 04:30 on 20 February in Asia/Shanghai."""
    record = service(at=datetime(2026, 2, 19, 20, 30, tzinfo=UTC))
    assert record.day == date(2026, 2, 20)


def test_a_naive_service_time_is_refused() -> None:
    """A datetime without a timezone is refused, naming the field."""
    with pytest.raises(NaiveDatetimeError) as refused:
        service(at=datetime(2026, 2, 20, 19))  # noqa: DTZ001
    assert refused.value.field == "at"


@pytest.mark.parametrize("hours", [-0.5, float("nan"), True, "2"])
def test_negative_or_non_numeric_hours_are_refused(hours: object) -> None:
    """Hours must be a finite number >= 0."""
    with pytest.raises(InvalidData) as refused:
        service(hours=hours)
    assert [p.path for p in refused.value.problems] == ["hours"]


def test_every_problem_with_a_record_is_listed() -> None:
    """Empty activity, unit and confirmer and negative hours are all reported at once."""
    with pytest.raises(InvalidData) as refused:
        service(activity="", unit="", confirmed_by="", hours=-1)
    assert {p.path for p in refused.value.problems} == {
        "activity",
        "unit",
        "confirmed_by",
        "hours",
    }


def test_a_registration_needs_a_forward_term_and_a_workplace() -> None:
    """An end before reporting and an empty workplace are both named."""
    with pytest.raises(InvalidData) as refused:
        registration(workplace="", end=date(2025, 12, 31))
    assert {p.path for p in refused.value.problems} == {"workplace", "end"}


def test_a_member_cannot_report_to_two_communities_at_once() -> None:
    """An overlapping second registration is refused and the ledger keeps the first only."""
    ledger = InServiceLedger([registration(end=date(2026, 7, 1))])
    with pytest.raises(RegistrationOverlap) as refused:
        ledger.register(registration(community="c2", reported_on=date(2026, 6, 1)))
    assert refused.value.existing.community == "c1"
    assert len(ledger) == 1
    ledger.register(registration(community="c2", reported_on=date(2026, 7, 1)))
    assert ledger.registration_of("m1", date(2026, 7, 1)).community == "c2"


def test_a_record_for_an_unregistered_member_is_refused() -> None:
    """No registration at all: NotRegistered without a date; the ledger stays empty."""
    ledger = InServiceLedger()
    with pytest.raises(NotRegistered) as refused:
        ledger.record(service(member="stranger"))
    assert refused.value.on is None
    assert "未到任何社区报到" in str(refused.value)
    assert ledger.records_of("stranger") == ()


def test_a_record_outside_the_registration_is_refused() -> None:
    """A service before reporting, or on the end day, falls outside the registration."""
    ledger = InServiceLedger([registration(reported_on=date(2026, 2, 1), end=date(2026, 3, 1))])
    for day in (date(2026, 1, 31), date(2026, 3, 1)):
        with pytest.raises(NotRegistered) as refused:
            ledger.record(service(day=day))
        assert refused.value.on == day
    ledger.record(service(day=date(2026, 2, 28)))
    assert len(ledger.records_of("m1")) == 1


def test_only_the_community_party_organisation_may_evaluate() -> None:
    """The residents' committee and another community's party committee are both refused."""
    ledger = InServiceLedger([registration()])
    for evaluator in ("c1-rc", "c2-party", "nobody"):
        with pytest.raises(EvaluationRefused) as refused:
            ledger.evaluate(evaluation(evaluator), organisations())
        assert refused.value.allowed == ("c1-party",)
        assert "评价权" in str(refused.value)
    assert ledger.evaluations_of("m1") == ()
    ledger.evaluate(evaluation(), organisations())
    assert [e.grade for e in ledger.evaluations_of("m1")] == [EvaluationGrade.EXCELLENT]


def test_an_evaluation_of_a_period_without_registration_is_refused() -> None:
    """A member registered from July cannot be evaluated for the first quarter."""
    ledger = InServiceLedger([registration(reported_on=date(2026, 7, 1))])
    with pytest.raises(NotRegistered):
        ledger.evaluate(evaluation(start=Q1[0], end=Q1[1]), organisations())
    with pytest.raises(NotRegistered):
        ledger.evaluate(evaluation(member="stranger"), organisations())


def test_a_bad_evaluation_lists_every_problem() -> None:
    """A grade outside the scale and a date before the period are both named."""
    with pytest.raises(InvalidData) as refused:
        evaluation(grade="good", evaluated_on=date(2025, 12, 1))
    assert {p.path for p in refused.value.problems} == {"grade", "evaluated_on"}


def test_a_member_summary_adds_up_hours_services_and_categories() -> None:
    """Three services in the first quarter and one after: the quarter sees three."""
    ledger = InServiceLedger(
        [registration()],
        [
            service(day=date(2026, 1, 5)),
            service(day=date(2026, 2, 5), hours=1.5, category=ServiceCategory.CARING_SERVICE),
            service(day=date(2026, 3, 31), hours=0.5),
            service(day=date(2026, 4, 1), hours=8),
        ],
    )
    ledger.evaluate(evaluation(grade=EvaluationGrade.COMPETENT), organisations())
    summary = ledger.member_summary("m1", *Q1, ServiceMinimum(hours=4, services=3))
    assert (summary.hours, summary.services) == (4.0, 3)
    assert summary.categories == {"policy_publicity": 2, "caring_service": 1}
    assert summary.latest_evaluation is not None
    assert summary.latest_evaluation.grade is EvaluationGrade.COMPETENT
    assert summary.met_minimum is True
    assert ledger.member_summary("m1", *Q1, ServiceMinimum(hours=4.5)).met_minimum is False
    assert ledger.member_summary("m1", *Q1).met_minimum is None


def test_the_latest_overlapping_evaluation_is_reported() -> None:
    """Of a first-quarter and a yearly evaluation, the yearly one ends later."""
    ledger = InServiceLedger([registration()])
    orgs = organisations()
    ledger.evaluate(evaluation(grade=EvaluationGrade.EXCELLENT), orgs)
    ledger.evaluate(
        evaluation(
            start=Q1[0],
            end=Q1[1],
            grade=EvaluationGrade.BASICALLY_COMPETENT,
            evaluated_on=date(2026, 4, 5),
        ),
        orgs,
    )
    latest = ledger.member_summary("m1", *YEAR).latest_evaluation
    assert latest is not None
    assert latest.grade is EvaluationGrade.EXCELLENT
    assert ledger.member_summary("m1", date(2027, 1, 1), date(2027, 4, 1)).latest_evaluation is None


def test_a_summary_of_an_unknown_member_or_a_backward_period_is_refused() -> None:
    """Unknown members raise NotRegistered; an end before the start is bad data."""
    ledger = InServiceLedger([registration()])
    with pytest.raises(NotRegistered):
        ledger.member_summary("stranger", *Q1)
    with pytest.raises(InvalidData):
        ledger.member_summary("m1", Q1[1], Q1[0])
    with pytest.raises(InvalidData):
        ServiceMinimum()


def test_huichuans_4819_members_summarised_per_community() -> None:
    """Huichuan's 4,819 in-service members over 62 urban communities; every 7th inactive."""
    members = [f"m{i}" for i in range(4819)]
    ledger = InServiceLedger(
        registration(member, f"c{i % 62}", reported_on=date(2025, 3, 1))
        for i, member in enumerate(members)
    )
    for i, member in enumerate(members):
        if i % 7:
            ledger.record(service(member, hours=1.0 + i % 3))
    summaries = [ledger.community_summary(f"c{c}", *Q1, ServiceMinimum(hours=2)) for c in range(62)]
    assert sum(s.registered for s in summaries) == 4819
    assert sum(s.active for s in summaries) == 4819 - len(range(0, 4819, 7))
    total = CommunitySummary(
        community="huichuan",
        start=Q1[0],
        end=Q1[1],
        registered=4819,
        active=sum(s.active for s in summaries),
        hours=sum(s.hours for s in summaries),
        met_minimum=None,
    )
    assert total.active_share == pytest.approx(4130 / 4819)
    met = sum(s.met_minimum or 0 for s in summaries)
    assert met == sum(1 for i in range(4819) if i % 7 and i % 3)


def test_a_community_counts_only_services_given_while_registered_there() -> None:
    """A member who moved from c1 to c2 in February counts for each in its own days."""
    ledger = InServiceLedger(
        [
            registration(end=date(2026, 2, 15)),
            registration(community="c2", reported_on=date(2026, 2, 15)),
        ],
        [service(day=date(2026, 2, 1)), service(day=date(2026, 3, 1), hours=3)],
    )
    first = ledger.community_summary("c1", *Q1)
    second = ledger.community_summary("c2", *Q1)
    assert (first.registered, first.active, first.hours) == (1, 1, 2.0)
    assert (second.registered, second.active, second.hours) == (1, 1, 3.0)
    empty = ledger.community_summary("c3", *Q1)
    assert empty.registered == 0
    assert empty.active_share is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 399), st.floats(0, 24)), max_size=30))
def test_a_years_hours_are_the_sum_of_its_quarters(days_hours: list[tuple[int, float]]) -> None:
    """Summaries over adjacent periods add up to the summary over their union."""
    ledger = InServiceLedger([registration(reported_on=date(2026, 1, 1))])
    for offset, hours in days_hours:
        ledger.record(service(day=date(2026, 1, 1) + timedelta(days=offset), hours=hours))
    bounds = [date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)]
    bounds.append(date(2027, 2, 5))
    parts = [ledger.member_summary("m1", a, b) for a, b in pairwise(bounds)]
    whole = ledger.member_summary("m1", bounds[0], bounds[-1])
    assert sum(p.services for p in parts) == whole.services == len(days_hours)
    assert sum(p.hours for p in parts) == pytest.approx(whole.hours)


def test_records_round_trip_through_the_converter() -> None:
    """Registrations, records and evaluations survive unstructure and structure."""
    converter = make_converter()
    for item in (registration(workplace_org="gov"), service(), evaluation(remarks="积极")):
        assert converter.structure(converter.unstructure(item), type(item)) == item
