"""Cross-appointment (O5): who sits on two compound bodies, per compound, and the coverage."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.domain.cross_appointments import (
    CompoundBodies,
    CrossAppointmentReport,
    CrossBody,
    cross_appointment_check,
    cross_appointment_report,
)
from civicgrid.domain.findings import Severity
from civicgrid.domain.organisations import Organisation, Organisations, OrgKind
from civicgrid.domain.people import Appointment, Roster
from civicgrid.domain.schemes import GridContext, GridScheme, run_checks
from civicgrid.domain.units import Unit, UnitKind, UnitTree, UnknownUnit

ON = date(2026, 11, 23)


def unit(uid: str, kind: UnitKind, parent: str | None) -> Unit:
    """A unit without figures."""
    return Unit(id=uid, kind=kind, name_zh=uid, parent=parent)


TREE = UnitTree(
    [
        unit("district", UnitKind.DISTRICT, None),
        unit("community-1", UnitKind.COMMUNITY, "district"),
        unit("compound-a", UnitKind.COMPOUND, "community-1"),
        unit("compound-b", UnitKind.COMPOUND, "community-1"),
        unit("compound-d", UnitKind.COURTYARD, "community-1"),
        unit("building-d1", UnitKind.BUILDING, "compound-d"),
        unit("community-2", UnitKind.COMMUNITY, "district"),
        unit("compound-e", UnitKind.COMPOUND, "community-2"),
    ]
)


def org(oid: str, kind: OrgKind, serves: str, **extra: object) -> Organisation:
    """An organisation serving ``serves``."""
    return Organisation(id=oid, kind=kind, name_zh=oid, unit=serves, **extra)  # type: ignore[arg-type]


ORGS = Organisations(
    [
        org("rc-1", OrgKind.RESIDENTS_COMMITTEE, "community-1"),
        org("branch-a", OrgKind.PARTY_BRANCH, "compound-a"),
        org("oc-a", OrgKind.OWNERS_COMMITTEE, "compound-a"),
        org("pc-a", OrgKind.PROPERTY_COMPANY, "compound-a", red=True),
        org("oc-b", OrgKind.OWNERS_COMMITTEE, "compound-b", end=date(2026, 6, 1)),
        org("pc-b", OrgKind.PROPERTY_COMPANY, "compound-b"),
        org("branch-d", OrgKind.PARTY_BRANCH, "compound-d"),
        org("group-d", OrgKind.PARTY_GROUP, "compound-d", parent="branch-d"),
        org("pc-d", OrgKind.PROPERTY_COMPANY, "building-d1"),
    ]
)


def seat(person: str, role: str, in_org: str, start: date, end: date | None = None) -> Appointment:
    """An appointment in an organisation."""
    return Appointment(person=person, role=role, org=in_org, start=start, end=end)


Y2024 = date(2024, 1, 1)
ROSTER = Roster(
    appointments=[
        # p1: branch secretary and owners' committee director in compound A.
        seat("p1", "secretary", "branch-a", Y2024),
        seat("p1", "director", "oc-a", Y2024),
        # p2: residents' committee member and property manager in compound B.
        seat("p2", "committee_member", "rc-1", Y2024),
        seat("p2", "property_manager", "pc-b", Y2024),
        # p3: residents' committee, and owners' committee of A until a term that ended.
        seat("p3", "committee_member", "rc-1", Y2024),
        seat("p3", "committee_member", "oc-a", Y2024, date(2026, 11, 23)),
        # p4: two seats in one body (the branch and its group) in compound D.
        seat("p4", "secretary", "branch-d", Y2024),
        seat("p4", "committee_member", "group-d", Y2024),
        # p5: residents' committee and B's owners' committee, which closed in June.
        seat("p5", "committee_member", "rc-1", Y2024),
        seat("p5", "chair", "oc-b", Y2024),
        # p6: a unit-only seat is not a seat in a body.
        Appointment(person="p6", role="building_leader", unit="compound-a", start=Y2024),
        seat("p6", "secretary", "branch-a", Y2024, date(2025, 1, 1)),
    ]
)


def report(on: date = ON, **extra: object) -> CrossAppointmentReport:
    """The report for the fixture district."""
    return cross_appointment_report(
        TREE,
        on=on,
        roster=ROSTER,
        organisations=ORGS,
        **extra,  # type: ignore[arg-type]
    )


def compound(result: CrossAppointmentReport, uid: str) -> CompoundBodies:
    """The record of one compound."""
    (found,) = [c for c in result if c.unit == uid]
    return found


def test_every_compound_courtyard_and_area_is_reported_breadth_first() -> None:
    """Compounds are 小区, 院落 and 片区 units, in tree order."""
    assert [c.unit for c in report()] == ["compound-a", "compound-b", "compound-d", "compound-e"]


def test_a_compound_lists_the_bodies_it_has() -> None:
    """Compound A has all four; the residents' committee comes from its community."""
    a = compound(report(), "compound-a")
    assert a.party == ("branch-a",)
    assert a.residents_committee == ("rc-1",)
    assert a.owners_committee == ("oc-a",)
    assert a.property_company == ("pc-a",)
    assert a.present == tuple(CrossBody)
    assert a.missing == ()


def test_a_body_no_longer_active_is_missing() -> None:
    """B's owners' committee closed in June, so on the report date B has none."""
    b = compound(report(), "compound-b")
    assert b.missing == (CrossBody.PARTY, CrossBody.OWNERS_COMMITTEE)
    assert compound(report(date(2026, 5, 31)), "compound-b").owners_committee == ("oc-b",)


def test_a_company_serving_a_unit_below_the_compound_is_not_its_company() -> None:
    """Organisations are looked up on the compound and above it, never below."""
    d = compound(report(), "compound-d")
    assert d.party == ("branch-d", "group-d")
    assert d.property_company == ()


def test_a_compound_without_any_body_is_reported_empty() -> None:
    """Compound E in a community without a residents' committee has nothing."""
    e = compound(report(), "compound-e")
    assert e.present == ()
    assert not e.covered


def test_the_party_organisation_and_one_committee_make_a_cross_appointment() -> None:
    """p1, branch secretary and owners' committee director, is cross-appointed in A."""
    (p1,) = compound(report(), "compound-a").cross
    assert p1.person == "p1"
    assert p1.bodies == (CrossBody.PARTY, CrossBody.OWNERS_COMMITTEE)
    assert [a.org for a in p1.appointments] == ["branch-a", "oc-a"]


def test_two_committees_make_a_cross_appointment() -> None:
    """p2 sits on the community's residents' committee and manages B's property company."""
    (p2,) = compound(report(), "compound-b").cross
    assert (p2.person, p2.bodies) == (
        "p2",
        (CrossBody.RESIDENTS_COMMITTEE, CrossBody.PROPERTY_COMPANY),
    )


def test_two_seats_in_one_body_are_not_a_cross_appointment() -> None:
    """p4 holds seats in the branch and its party group: one body, so D is not covered."""
    assert compound(report(), "compound-d").cross == ()


def test_a_term_ends_on_its_end_date() -> None:
    """p3's owners' committee term ended on the report date, the day before it still counted."""
    assert [p.person for p in compound(report(), "compound-a").cross] == ["p1"]
    before = compound(report(date(2026, 11, 22)), "compound-a").cross
    assert [p.person for p in before] == ["p1", "p3"]


def test_coverage_is_the_share_of_compounds_with_a_cross_appointment() -> None:
    """A and B are covered, D and E are not: a coverage of one half."""
    result = report()
    assert result.covered == ("compound-a", "compound-b")
    assert result.uncovered == ("compound-d", "compound-e")
    assert result.coverage == 0.5
    assert len(result) == 4


def test_a_report_limited_to_one_community() -> None:
    """``under`` keeps the compounds below one unit."""
    result = report(under="community-1")
    assert [c.unit for c in result] == ["compound-a", "compound-b", "compound-d"]
    assert result.coverage == pytest.approx(2 / 3)


def test_a_report_without_compounds_has_no_coverage() -> None:
    """Nothing to cover is not 0% nor 100%."""
    result = report(kinds=[UnitKind.AREA])
    assert result.compounds == ()
    assert result.coverage is None
    assert result.findings() == ()


def test_an_unknown_unit_is_refused() -> None:
    """``under`` must be a unit of the tree."""
    with pytest.raises(UnknownUnit):
        report(under="nowhere")


def test_findings_name_each_uncovered_compound_and_its_bodies() -> None:
    """One finding per compound without a cross-appointment, with the bodies it has."""
    findings = report().findings()
    assert [(f.unit, f.rule, f.value, f.limit) for f in findings] == [
        ("compound-d", "cross_appointment", 0, 1),
        ("compound-e", "cross_appointment", 0, 1),
    ]
    assert all(f.severity is Severity.WARNING for f in findings)
    assert (
        "bodies present: compound party organisation, residents' committee"
        in findings[0].message_en
    )
    assert "现有组织：小区党组织、居委会" in findings[0].message_zh
    assert "现有组织：无" in findings[1].message_zh


def test_a_city_registers_the_check_to_be_told_in_a_grid_check() -> None:
    """``cross_appointment_check`` runs through run_checks with the severity the city sets."""
    scheme = GridScheme(
        key="test",
        label_zh="测试",
        label_en="test",
        root_kinds={UnitKind.DISTRICT},
        parents={},
    )
    context = GridContext(tree=TREE, scheme=scheme, on=ON, organisations=ORGS, roster=ROSTER)
    check = cross_appointment_check(severity=Severity.ERROR)
    assert (check.name, check.label_zh) == (
        "cross_appointment",
        "小区党组织、居委会、业委会、物业交叉任职",
    )
    findings = run_checks(context, [check])
    assert [(f.unit, f.severity) for f in findings] == [
        ("compound-d", Severity.ERROR),
        ("compound-e", Severity.ERROR),
    ]


def test_bodies_carry_their_labels() -> None:
    """Each body names itself in Chinese and English."""
    assert [b.label_zh for b in CrossBody] == ["小区党组织", "居委会", "业委会", "物业服务企业"]
    assert CrossBody.OWNERS_COMMITTEE.label_en == "owners' committee"


@given(st.lists(st.sets(st.sampled_from(["branch-a", "rc-1", "oc-a", "pc-a"])), max_size=8))
def test_a_person_is_cross_appointed_exactly_when_their_seats_span_two_bodies(
    seats: list[set[str]],
) -> None:
    """Whatever the seats, the report lists precisely the people whose seats span two bodies."""
    roster = Roster(
        appointments=[
            seat(f"p{i}", "committee_member", org_id, Y2024)
            for i, orgs in enumerate(seats)
            for org_id in sorted(orgs)
        ]
    )
    result = cross_appointment_report(TREE, on=ON, roster=roster, organisations=ORGS)
    a = compound(result, "compound-a")
    expected = {f"p{i}" for i, orgs in enumerate(seats) if len(orgs) >= 2}
    assert {p.person for p in a.cross} == expected
    assert a.covered == bool(expected)
    assert result.coverage == (0.25 if expected else 0.0)
