"""The built-in grid checks: each rule fires on a tree built to break it, and only then."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    Appointment,
    Finding,
    GridCheck,
    GridContext,
    Organisation,
    Organisations,
    OrgKind,
    Registry,
    Roster,
    Seat,
    Severity,
    Unit,
    UnitKind,
    UnitTree,
    hookimpl,
    load_registry,
)
from civicgrid.plugins.builtin.grid_checks import (
    HOUSEHOLD_LEADERS,
    KIND_ORDER,
    PARTY_COVERAGE,
    SIZE_LIMITS,
    STAFFING,
    check_size_limits,
    check_staffing,
)
from civicgrid.plugins.builtin.grid_schemes import ONE_COMPOUND_ONE_GRID
from civicgrid.testing.districts import (
    BUILDINGS,
    COMPOUNDS,
    DEDICATED_GRIDS,
    GENERAL_GRIDS,
    GRID_PARTY_ORGANISATIONS,
    MICRO_GRIDS,
    TOTAL_GRIDS,
    chenghua_organisations,
    chenghua_tree,
)

K = UnitKind
ON = date(2026, 11, 23)
RULES = {KIND_ORDER, SIZE_LIMITS, STAFFING, PARTY_COVERAGE, HOUSEHOLD_LEADERS}


def unit(
    unit_id: str,
    kind: UnitKind,
    parent: str | None,
    *,
    households: int | None = None,
    residents: int | None = None,
) -> Unit:
    """Make a unit named after its id."""
    return Unit(
        id=unit_id,
        kind=kind,
        name_zh=unit_id,
        parent=parent,
        households=households,
        residents=residents,
    )


def org(
    org_id: str,
    kind: OrgKind,
    unit_id: str,
    parent: str | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
) -> Organisation:
    """Make an organisation named after its id."""
    return Organisation(
        id=org_id, kind=kind, name_zh=org_id, unit=unit_id, parent=parent, start=start, end=end
    )


def worker(person: str, *, unit: str | None = None, org: str | None = None) -> Appointment:
    """Appoint a community worker from 2025 on."""
    return Appointment(
        person=person, role=Seat.COMMUNITY_WORKER, start=date(2025, 1, 1), unit=unit, org=org
    )


def leader(person: str, unit_id: str, end: date | None = None) -> Appointment:
    """Appoint a household leader (联户长) from 2025 on."""
    return Appointment(
        person=person, role=Seat.HOUSEHOLD_LEADER, start=date(2025, 1, 1), end=end, unit=unit_id
    )


def of_rule(findings: Iterable[Finding], rule: str) -> list[Finding]:
    """Keep the findings of one rule."""
    return [f for f in findings if f.rule == rule]


def check(
    registry: Registry,
    units: list[Unit],
    scheme: str,
    rule: str,
    organisations: Iterable[Organisation] = (),
    appointments: Iterable[Appointment] = (),
) -> list[Finding]:
    """Check a tree against a scheme and keep one rule's findings."""
    findings = registry.check_grid(
        UnitTree(units),
        scheme,
        organisations=Organisations(organisations),
        roster=Roster(appointments=appointments),
        on=ON,
    )
    return of_rule(findings, rule)


def chengdu_units() -> list[Unit]:
    """A community on Chengdu's 3+1 grids, down to households."""
    return [
        unit("cd", K.DISTRICT, None),
        unit("sd", K.SUBDISTRICT, "cd"),
        unit("cm", K.COMMUNITY, "sd"),
        unit("tg", K.TOTAL_GRID, "cm"),
        unit("dg", K.DEDICATED_GRID, "cm"),
        unit("gg", K.GENERAL_GRID, "tg"),
        unit("cp", K.COMPOUND, "gg"),
        unit("mg", K.MICRO_GRID, "cp"),
        unit("bd", K.BUILDING, "mg"),
        unit("un", K.UNIT, "bd"),
        unit("hh1", K.HOUSEHOLD, "un", households=1, residents=3),
        unit("hh2", K.HOUSEHOLD, "un", households=1, residents=4),
    ]


# --------------------------------------------------------------------------- every rule


def test_the_library_registers_five_named_rules(registry: Registry) -> None:
    """Each check is named civicgrid.…, labelled in both languages, from civicgrid.grid_checks."""
    checks = {c.name: c for c in registry.grid_checks if c.plugin == "civicgrid.grid_checks"}
    assert set(checks) == RULES
    assert all(c.label_zh and c.label_en for c in checks.values())


def test_a_tree_that_keeps_its_scheme_has_no_findings(registry: Registry) -> None:
    """Chengdu's community with its party committee and grid branch passes every rule."""
    organisations = [
        org("pc", OrgKind.PARTY_COMMITTEE, "cm"),
        org("gb", OrgKind.PARTY_BRANCH, "gg", parent="pc"),
    ]
    findings = registry.check_grid(
        UnitTree(chengdu_units()),
        "chengdu_3plus1",
        organisations=Organisations(organisations),
        on=ON,
    )
    assert findings == ()


def test_every_finding_names_its_rule_unit_and_figures(registry: Registry) -> None:
    """A household group out of place and too big: rule, unit, figures, both languages."""
    units = [
        unit("cm", K.COMMUNITY, None),
        unit("hg", K.HOUSEHOLD_GROUP, "cm", households=16, residents=10_000),  # under a community
    ]
    findings = check(registry, units, "ten_households", KIND_ORDER) + check(
        registry, units, "ten_households", HOUSEHOLD_LEADERS, appointments=[worker("w", unit="cm")]
    )
    assert [f.unit for f in findings] == ["hg", "hg", "hg"]
    assert all(f.message_en and f.message_zh for f in findings)
    over = findings[1]
    assert (over.value, over.limit) == (16, 15)
    assert "16" in over.message_en
    assert "16" in over.message_zh


# --------------------------------------------------------------------------- kind order


def test_a_unit_of_a_kind_outside_the_scheme_is_an_error(registry: Registry) -> None:
    """An area (片区) is not part of Chengdu's 3+1 grids."""
    units = [*chengdu_units(), unit("area", K.AREA, "cm")]
    (finding,) = check(registry, units, "chengdu_3plus1", KIND_ORDER)
    assert (finding.unit, finding.severity) == ("area", Severity.ERROR)
    assert "area" in finding.message_en
    assert "片区" in finding.message_zh


def test_a_unit_under_a_parent_the_scheme_does_not_allow_is_an_error(registry: Registry) -> None:
    """A household straight under a community skips the grids; the message lists the parents."""
    units = [*chengdu_units(), unit("hh3", K.HOUSEHOLD, "cm", households=1)]
    (finding,) = check(registry, units, "chengdu_3plus1", KIND_ORDER)
    assert finding.unit == "hh3"
    assert "building" in finding.message_en
    assert "unit" in finding.message_en
    assert "社区" in finding.message_zh


def test_a_root_of_a_kind_outside_the_root_kinds_is_an_error(registry: Registry) -> None:
    """A tree rooted at a micro grid is not a tree of the scheme, whatever lies below."""
    units = [unit("mg", K.MICRO_GRID, None), unit("bd", K.BUILDING, "mg")]
    (finding,) = check(registry, units, "chengdu_3plus1", KIND_ORDER)
    assert (finding.unit, finding.severity) == ("mg", Severity.ERROR)
    assert "root" in finding.message_en


def test_a_kind_that_may_only_be_the_root_is_an_error_below_it(registry: Registry) -> None:
    """A city is a root kind with no parents in the scheme: under a district it is out of place."""
    units = [unit("d", K.DISTRICT, None), unit("c", K.CITY, "d")]
    (finding,) = check(registry, units, "building_grid", KIND_ORDER)
    assert finding.unit == "c"
    assert "none" in finding.message_en


# --------------------------------------------------------------------------- size limits


def test_a_micro_grid_above_500_residents_is_reported(registry: Registry) -> None:
    """Chengdu's default: 501 residents in a micro grid is a warning, 500 is not."""
    for residents, expected in ((500, []), (501, [(501, 500)])):
        units = [*chengdu_units()[:-2], unit("hh", K.HOUSEHOLD, "un", residents=residents)]
        findings = check(registry, units, "chengdu_3plus1", SIZE_LIMITS)
        assert [(f.value, f.limit) for f in findings] == expected
        assert all(f.severity is Severity.WARNING and f.unit == "mg" for f in findings)


def area_units(households: int) -> list[Unit]:
    """A community with one area (片区) of ``households`` households in one building."""
    return [
        unit("cm", K.COMMUNITY, None),
        unit("area", K.AREA, "cm"),
        unit("bd", K.BUILDING, "area", households=households, residents=3 * households),
    ]


@pytest.mark.parametrize(
    ("households", "expected"),
    [(349, (349, 350)), (350, None), (500, None), (650, None), (651, (651, 650))],
)
def test_an_area_is_about_500_households(
    registry: Registry, households: int, expected: tuple[int, int] | None
) -> None:
    """G3: an area of 350–650 households passes; one outside is reported with its bound."""
    findings = check(registry, area_units(households), "one_compound_one_grid", SIZE_LIMITS)
    assert [(f.value, f.limit) for f in findings] == ([expected] if expected else [])
    assert all(f.unit == "area" for f in findings)


@settings(max_examples=50, deadline=None)
@given(households=st.integers(0, 2000))
def test_the_area_limit_fires_exactly_outside_its_bounds(households: int) -> None:
    """For any area size, a finding appears exactly when the size lies outside 350–650."""
    context = GridContext(
        tree=UnitTree(area_units(households)), scheme=ONE_COMPOUND_ONE_GRID, on=ON
    )
    findings = check_size_limits(context)
    assert bool(findings) == (not 350 <= households <= 650)


def grid_units(residents: int, building_households: int = 30) -> list[Unit]:
    """A community with one grid of ``residents`` residents and one building."""
    return [
        unit("cm", K.COMMUNITY, None),
        unit("g", K.GRID, "cm"),
        unit("bd", K.BUILDING, "g", households=building_households, residents=90),
        unit("rest", K.BUILDING, "g", residents=residents - 90),
    ]


def test_a_grid_of_four_to_five_thousand_people_is_reported(registry: Registry) -> None:
    """G5: "一个网格动辄四五千人" — 4,000 and 5,000 residents are flagged, 3,000 is not."""
    for residents in (4000, 5000):
        (finding,) = check(registry, grid_units(residents), "building_grid", SIZE_LIMITS)
        assert (finding.unit, finding.value, finding.limit) == ("g", residents, 3000)
        assert f"{residents:,}" in finding.message_en
        assert str(residents) in finding.message_zh
    assert check(registry, grid_units(3000), "building_grid", SIZE_LIMITS) == []


def test_a_building_above_200_households_is_reported(registry: Registry) -> None:
    """G5's building as the unit of service: 201 households is more than one leader knows."""
    (finding,) = check(registry, grid_units(2000, 201), "building_grid", SIZE_LIMITS)
    assert (finding.unit, finding.value, finding.limit) == ("bd", 201, 200)
    assert check(registry, grid_units(2000, 200), "building_grid", SIZE_LIMITS) == []


# --------------------------------------------------------------------------- staffing


def staffed_units(residents: int = 10_000) -> list[Unit]:
    """A subdistrict with one community of ``residents`` residents and one compound."""
    return [
        unit("sd", K.SUBDISTRICT, None),
        unit("cm", K.COMMUNITY, "sd"),
        unit("cp", K.COMPOUND, "cm"),
        unit("bd", K.BUILDING, "cp", households=residents // 3, residents=residents),
    ]


def test_a_community_below_18_workers_per_10000_is_reported(registry: Registry) -> None:
    """G7: 17 community workers for 10,000 residents is a warning; 18 is not."""
    short = [worker(f"w{i}", unit="cm") for i in range(17)]
    (finding,) = check(registry, staffed_units(), "one_compound_one_grid", STAFFING, (), short)
    assert (finding.unit, finding.severity, finding.value, finding.limit) == (
        "cm",
        Severity.WARNING,
        17,
        18,
    )
    assert "17" in finding.message_en
    assert "18 needed" in finding.message_en
    assert "应配 18 名" in finding.message_zh
    enough = [*short, worker("w17", unit="cm")]
    assert check(registry, staffed_units(), "one_compound_one_grid", STAFFING, (), enough) == []


def test_workers_count_for_the_community_above_their_unit_or_organisation(
    registry: Registry,
) -> None:
    """Workers at a compound or in the residents' committee count for the community."""
    committee = org("rc", OrgKind.RESIDENTS_COMMITTEE, "cm")
    staff = [
        *(worker(f"c{i}", unit="cp") for i in range(9)),
        *(worker(f"r{i}", org="rc") for i in range(9)),
    ]
    assert (
        check(registry, staffed_units(), "one_compound_one_grid", STAFFING, [committee], staff)
        == []
    )


def test_a_worker_whose_term_ended_does_not_count(registry: Registry) -> None:
    """An appointment that ended before the check date leaves the community one short."""
    staff = [worker(f"w{i}", unit="cm") for i in range(17)]
    staff.append(
        Appointment(
            person="gone",
            role=Seat.COMMUNITY_WORKER,
            start=date(2020, 1, 1),
            end=date(2026, 1, 1),
            unit="cm",
        )
    )
    (finding,) = check(registry, staffed_units(), "one_compound_one_grid", STAFFING, (), staff)
    assert finding.value == 17


def test_an_empty_roster_gives_one_info_finding_not_one_per_community(registry: Registry) -> None:
    """Without community workers the rule says once that it could not measure."""
    units = [*staffed_units(), unit("cm2", K.COMMUNITY, "sd", residents=5000)]
    (finding,) = check(registry, units, "one_compound_one_grid", STAFFING)
    assert (finding.severity, finding.unit) == (Severity.INFO, None)
    assert "not measured" in finding.message_en


def test_communities_without_residents_are_counted_once(registry: Registry) -> None:
    """Two communities without resident figures make one info finding that counts them."""
    units = [
        *staffed_units(),
        unit("cm2", K.COMMUNITY, "sd"),
        unit("cm3", K.COMMUNITY, "sd"),
    ]
    staff = [worker(f"w{i}", unit="cm") for i in range(18)]
    (finding,) = check(registry, units, "one_compound_one_grid", STAFFING, (), staff)
    assert (finding.severity, finding.value) == (Severity.INFO, 2)


def test_a_scheme_without_a_ratio_has_no_staffing_findings(registry: Registry) -> None:
    """Chengdu's scheme sets no ratio, so the rule is silent even with no workers at all."""
    assert check(registry, chengdu_units(), "chengdu_3plus1", STAFFING) == []


@settings(max_examples=50, deadline=None)
@given(workers=st.integers(0, 40), residents=st.integers(1, 20_000))
def test_the_staffing_floor_fires_exactly_below_18_per_10000(workers: int, residents: int) -> None:
    """A community is reported exactly when workers × 10,000 < 18 × residents."""
    roster = Roster(
        appointments=[worker("x", unit="sd")] + [worker(f"w{i}", unit="cm") for i in range(workers)]
    )
    context = GridContext(
        tree=UnitTree(staffed_units(residents)),
        scheme=ONE_COMPOUND_ONE_GRID,
        on=ON,
        roster=roster,
    )
    findings = check_staffing(context)
    assert bool(findings) == (workers * 10_000 < 18 * residents)


# --------------------------------------------------------------------------- party coverage


def compound_units() -> list[Unit]:
    """A community with a compound, and an area holding an open compound and a lone building."""
    return [
        unit("cm", K.COMMUNITY, None),
        unit("cp", K.COMPOUND, "cm"),
        unit("bd1", K.BUILDING, "cp", households=200),
        unit("area", K.AREA, "cm"),
        unit("open", K.COMPOUND, "area"),
        unit("bd2", K.BUILDING, "open", households=300),
        unit("bd3", K.BUILDING, "area", households=150),
    ]


def compound_orgs() -> list[Organisation]:
    """The community's committee and one branch each for the compound and the area."""
    return [
        org("pc", OrgKind.PARTY_COMMITTEE, "cm"),
        org("cp-b", OrgKind.PARTY_BRANCH, "cp", parent="pc"),
        org("area-b", OrgKind.PARTY_GENERAL_BRANCH, "area", parent="pc"),
    ]


def test_every_compound_and_area_with_its_organisation_passes(registry: Registry) -> None:
    """G3: the open compound inside the area is covered by the area's organisation."""
    units, orgs = compound_units(), compound_orgs()
    assert check(registry, units, "one_compound_one_grid", PARTY_COVERAGE, orgs) == []


def test_a_compound_without_its_party_organisation_is_an_error(registry: Registry) -> None:
    """Wuhu's 1241 compounds all have one: a compound without is reported, naming the level."""
    orgs = [o for o in compound_orgs() if o.id != "cp-b"]
    (finding,) = check(registry, compound_units(), "one_compound_one_grid", PARTY_COVERAGE, orgs)
    assert (finding.unit, finding.severity) == ("cp", Severity.ERROR)
    assert "compound (area) party branch" in finding.message_en
    assert "小区（片区）党支部" in finding.message_zh


def test_an_organisation_that_has_ended_covers_nothing(registry: Registry) -> None:
    """A temporary party branch closed before the check date leaves its compound uncovered."""
    orgs = [
        *(o for o in compound_orgs() if o.id != "cp-b"),
        org(
            "tmp",
            OrgKind.PARTY_BRANCH,
            "cp",
            parent="pc",
            start=date(2024, 1, 1),
            end=date(2025, 1, 1),
        ),
    ]
    findings = check(registry, compound_units(), "one_compound_one_grid", PARTY_COVERAGE, orgs)
    assert [(f.unit, f.severity) for f in findings] == [("cp", Severity.ERROR)]


def test_an_organisation_bound_to_the_wrong_kind_of_unit_is_a_warning(registry: Registry) -> None:
    """A party group bound to a compound is not where the three-level chain puts one."""
    orgs = [*compound_orgs(), org("g", OrgKind.PARTY_GROUP, "cp", parent="cp-b")]
    (finding,) = check(registry, compound_units(), "one_compound_one_grid", PARTY_COVERAGE, orgs)
    assert (finding.unit, finding.subject, finding.severity) == ("cp", "g", Severity.WARNING)
    assert "building" in finding.message_en


def test_an_organisation_under_the_wrong_kind_of_parent_is_a_warning(registry: Registry) -> None:
    """A building party group answering straight to the community committee skips a level."""
    orgs = [*compound_orgs(), org("g", OrgKind.PARTY_GROUP, "bd1", parent="pc")]
    (finding,) = check(registry, compound_units(), "one_compound_one_grid", PARTY_COVERAGE, orgs)
    assert (finding.unit, finding.subject, finding.severity) == ("bd1", "g", Severity.WARNING)
    assert "party committee" in finding.message_en


def test_an_organisation_without_its_parent_is_a_warning(registry: Registry) -> None:
    """A compound branch with no parent organisation breaks the chain."""
    orgs = [*compound_orgs()[:2], org("area-b", OrgKind.PARTY_BRANCH, "area")]
    (finding,) = check(registry, compound_units(), "one_compound_one_grid", PARTY_COVERAGE, orgs)
    assert (finding.subject, finding.severity) == ("area-b", Severity.WARNING)
    assert "no parent" in finding.message_en


def test_no_organisations_give_one_info_finding_not_one_per_unit(registry: Registry) -> None:
    """Without any party organisation the rule says once that it could not measure."""
    (finding,) = check(registry, compound_units(), "one_compound_one_grid", PARTY_COVERAGE)
    assert (finding.severity, finding.unit) == (Severity.INFO, None)


def test_organisations_outside_the_tree_are_counted_once(registry: Registry) -> None:
    """Two branches of another community's compounds make one info finding."""
    orgs = [
        *compound_orgs(),
        org("x1", OrgKind.PARTY_BRANCH, "elsewhere-1"),
        org("x2", OrgKind.PARTY_BRANCH, "elsewhere-2"),
    ]
    (finding,) = check(registry, compound_units(), "one_compound_one_grid", PARTY_COVERAGE, orgs)
    assert (finding.severity, finding.value) == (Severity.INFO, 2)


def test_a_scheme_without_a_chain_has_no_coverage_findings(registry: Registry) -> None:
    """Guizhou's ten linked households name no party chain."""
    units = [unit("cm", K.COMMUNITY, None), unit("g", K.GRID, "cm")]
    assert check(registry, units, "ten_households", PARTY_COVERAGE) == []


# --------------------------------------------------------------------------- household leaders


def linked_units(households: int = 10) -> list[Unit]:
    """A community grid with one building: a group of ``households`` and a bare stairwell."""
    return [
        unit("cm", K.COMMUNITY, None),
        unit("g", K.GRID, "cm"),
        unit("bd", K.BUILDING, "g"),
        unit("hg", K.HOUSEHOLD_GROUP, "bd", households=households),
        unit("un", K.UNIT, "bd"),
        unit("hg2", K.HOUSEHOLD_GROUP, "un", households=8),
    ]


def test_a_household_group_above_15_households_is_reported(registry: Registry) -> None:
    """G4: "about ten" households; 16 is one too many for one household leader, 15 is not."""
    leaders = [leader("a", "hg"), leader("b", "hg2")]
    (finding,) = check(registry, linked_units(16), "ten_households", HOUSEHOLD_LEADERS, (), leaders)
    assert (finding.unit, finding.value, finding.limit) == ("hg", 16, 15)
    assert check(registry, linked_units(15), "ten_households", HOUSEHOLD_LEADERS, (), leaders) == []


def test_a_group_without_a_household_leader_is_a_warning(registry: Registry) -> None:
    """When the roster has appointments, a group whose leader's term ended has none."""
    leaders = [leader("a", "hg"), leader("b", "hg2", end=date(2026, 1, 1))]
    (finding,) = check(registry, linked_units(), "ten_households", HOUSEHOLD_LEADERS, (), leaders)
    assert (finding.unit, finding.severity) == ("hg2", Severity.WARNING)
    assert "联户长" in finding.message_zh


def test_without_any_appointments_groups_are_not_reported_leaderless(registry: Registry) -> None:
    """An empty roster says nothing about leaders, so only sizes are checked."""
    assert check(registry, linked_units(), "ten_households", HOUSEHOLD_LEADERS) == []


def test_a_leader_serving_a_whole_building_is_measured_per_leader(registry: Registry) -> None:
    """40 households for one leader is reported (40 each); for three leaders it is 13.3 each."""
    units = [
        unit("cm", K.COMMUNITY, None),
        unit("g", K.GRID, "cm"),
        unit("bd", K.BUILDING, "g", households=40),
    ]
    (finding,) = check(
        registry, units, "ten_households", HOUSEHOLD_LEADERS, (), [leader("a", "bd")]
    )
    assert (finding.unit, finding.value, finding.limit) == ("bd", 40, 15)
    three = [leader(p, "bd") for p in "abc"]
    assert check(registry, units, "ten_households", HOUSEHOLD_LEADERS, (), three) == []


# --------------------------------------------------------------------------- Chenghua


@pytest.fixture(scope="module")
def chenghua() -> UnitTree:
    """The Chenghua district down to its buildings (25,071 units)."""
    return chenghua_tree(down_to=K.BUILDING)


def test_chenghua_reports_exactly_the_general_grids_without_a_party_organisation(
    registry: Registry, chenghua: UnitTree
) -> None:
    """995 general grids, 975 grid party organisations: the 20 without one are the findings."""
    findings = registry.check_grid(
        chenghua, "chengdu_3plus1", organisations=chenghua_organisations(chenghua), on=ON
    )
    assert len(findings) == GENERAL_GRIDS - GRID_PARTY_ORGANISATIONS == 20
    assert {(f.rule, f.severity) for f in findings} == {(PARTY_COVERAGE, Severity.ERROR)}
    assert {chenghua.unit(f.unit or "").kind for f in findings} == {K.GENERAL_GRID}
    assert DEDICATED_GRIDS == 516  # not required: none of them is reported


def test_chenghua_without_organisations_reports_that_coverage_was_not_measured(
    registry: Registry, chenghua: UnitTree
) -> None:
    """No organisations at all: one info finding instead of 1,078 errors."""
    findings = registry.check_grid(chenghua, "chengdu_3plus1", on=ON)
    assert [(f.rule, f.severity) for f in findings] == [(PARTY_COVERAGE, Severity.INFO)]


def test_the_same_input_gives_the_same_findings_in_the_same_order(
    registry: Registry, chenghua: UnitTree
) -> None:
    """Checks walk the tree in order: a district checked twice reports identically."""
    first = registry.check_grid(chenghua, "ten_households", on=ON)
    assert first == registry.check_grid(chenghua, "ten_households", on=ON)
    # Every 3+1 grid and compound is outside the scheme, every building under a micro grid.
    misplaced = TOTAL_GRIDS + GENERAL_GRIDS + COMPOUNDS + MICRO_GRIDS + DEDICATED_GRIDS + BUILDINGS
    assert Counter(f.rule for f in first) == {KIND_ORDER: misplaced}
    assert [f.severity.rank for f in first] == sorted(
        (f.severity.rank for f in first), reverse=True
    )


# --------------------------------------------------------------------------- blocking


def every_building_named(context: GridContext) -> list[Finding]:
    """Report each building without an English name."""
    return [
        Finding(
            rule="city.names",
            severity=Severity.INFO,
            unit=u.id,
            message_en="no English name",
            message_zh="无英文名",
        )
        for u in context.tree
        if u.kind is K.BUILDING and not u.name_en
    ]


class City:
    """A city plugin adding one rule of its own."""

    @hookimpl
    def register_grid_checks(self) -> list[GridCheck]:
        """Provide the naming rule."""
        return [
            GridCheck(
                name="city.names",
                check=every_building_named,
                label_zh="楼栋须有英文名",
                label_en="buildings need an English name",
            )
        ]


def test_blocking_the_builtin_checks_keeps_a_citys_own_rule() -> None:
    """With civicgrid.grid_checks blocked, a broken tree reports only the city's rule."""
    registry = load_registry(
        entry_points=False, blocked=["civicgrid.grid_checks"], plugins=[("city", City())]
    )
    assert [c.name for c in registry.grid_checks] == ["city.names"]
    units = [*chengdu_units(), unit("hh3", K.HOUSEHOLD, "cm")]  # out of order, no organisations
    findings = registry.check_grid(UnitTree(units), "chengdu_3plus1", on=ON)
    assert [(f.rule, f.unit, f.plugin) for f in findings] == [("city.names", "bd", "city")]
