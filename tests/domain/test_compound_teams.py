"""Compound governance teams (O4): instructor, party secretary and red stewards per compound."""

from __future__ import annotations

from datetime import date

from civicgrid import (
    Appointment,
    Organisation,
    Organisations,
    OrgKind,
    Roster,
    Seat,
    Severity,
    Unit,
    UnitKind,
    UnitTree,
    run_checks,
)
from civicgrid.domain.compound_teams import compound_team, compound_team_check, compound_teams
from civicgrid.domain.schemes import GridContext, GridScheme

ON = date(2026, 11, 23)

TREE = UnitTree(
    [
        Unit(id="c", kind=UnitKind.COMMUNITY, name_zh="恒通社区", parent=None),
        Unit(id="x1", kind=UnitKind.COMPOUND, name_zh="一号小区", parent="c"),
        Unit(id="x2", kind=UnitKind.COMPOUND, name_zh="二号小区", parent="c"),
    ]
)

ORGS = Organisations(
    [
        Organisation(id="pc", kind=OrgKind.PARTY_COMMITTEE, name_zh="社区党委", unit="c"),
        Organisation(
            id="b1", kind=OrgKind.PARTY_BRANCH, name_zh="一号小区党支部", unit="x1", parent="pc"
        ),
        Organisation(id="oc2", kind=OrgKind.OWNERS_COMMITTEE, name_zh="二号小区业委会", unit="x2"),
    ]
)

ROSTER = Roster(
    appointments=[
        Appointment(
            person="i1", role=Seat.PARTY_BUILDING_INSTRUCTOR, unit="x1", start=date(2025, 1, 1)
        ),
        Appointment(person="s1", role=Seat.SECRETARY, org="b1", start=date(2025, 1, 1)),
        Appointment(person="r1", role=Seat.RED_STEWARD, unit="x1", start=date(2025, 1, 1)),
        Appointment(person="r2", role=Seat.RED_STEWARD, unit="x1", start=date(2025, 1, 1), end=ON),
        Appointment(person="w1", role=Seat.COMMUNITY_WORKER, unit="x1", start=date(2025, 1, 1)),
        # a secretary of an owners' committee is not the compound's party secretary
        Appointment(person="s2", role=Seat.SECRETARY, org="oc2", start=date(2025, 1, 1)),
        Appointment(person="r3", role=Seat.RED_STEWARD, unit="x2", start=date(2025, 1, 1)),
    ]
)


def test_a_full_team_is_complete_and_lists_its_people() -> None:
    """Compound x1 has its instructor, its branch secretary and one current red steward."""
    team = compound_team("x1", on=ON, roster=ROSTER, organisations=ORGS)
    assert team.complete
    assert (team.instructors, team.secretaries, team.red_stewards) == (("i1",), ("s1",), ("r1",))
    assert team.community_workers == ("w1",)


def test_missing_seats_are_named_and_a_non_party_secretary_does_not_count() -> None:
    """Compound x2 lacks an instructor and a party secretary; its steward is there."""
    team = compound_team("x2", on=ON, roster=ROSTER, organisations=ORGS)
    assert team.missing == (Seat.PARTY_BUILDING_INSTRUCTOR, Seat.SECRETARY)
    assert [t.compound for t in compound_teams(TREE, on=ON, roster=ROSTER, organisations=ORGS)] == [
        "x1",
        "x2",
    ]


def test_the_check_reports_incomplete_teams_in_both_languages() -> None:
    """A city registering the check gets one finding per incomplete compound."""
    scheme = GridScheme(
        key="t",
        label_zh="方案",
        label_en="scheme",
        root_kinds={UnitKind.COMMUNITY},
        parents={UnitKind.COMPOUND: {UnitKind.COMMUNITY}},
    )
    context = GridContext(tree=TREE, scheme=scheme, on=ON, organisations=ORGS, roster=ROSTER)
    (finding,) = run_checks(context, [compound_team_check(severity=Severity.ERROR)])
    assert (finding.unit, finding.value, finding.limit) == ("x2", 1, 3)
    assert finding.severity is Severity.ERROR
    assert "小区党建指导员" in finding.message_zh
    assert "party-building instructor" in finding.message_en
