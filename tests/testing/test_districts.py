"""The Chenghua district generator (DOMAIN.md G2, G6, O3): figures, depths, seeds, errors."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import InvalidData, OrgKind, UnitKind, UnitTree
from civicgrid.testing.districts import (
    BUILDINGS,
    COMMUNITIES,
    COMPOUNDS,
    DEDICATED_GRIDS,
    GENERAL_GRIDS,
    GRID_PARTY_ORGANISATIONS,
    MICRO_GRID_PARTY_GROUPS,
    MICRO_GRIDS,
    RESIDENTS,
    SUBDISTRICTS,
    TOTAL_GRIDS,
    TOTAL_UNITS,
    UNITS_PER_BUILDING,
    VILLAGES,
    chenghua_organisations,
    chenghua_tree,
    chenghua_units,
)

K = UnitKind
DEPTHS = [
    K.DISTRICT,
    K.SUBDISTRICT,
    K.COMMUNITY,
    K.TOTAL_GRID,
    K.GENERAL_GRID,
    K.COMPOUND,
    K.MICRO_GRID,
    K.BUILDING,
    K.UNIT,
    K.HOUSEHOLD,
]


@pytest.fixture(scope="module")
def buildings() -> UnitTree:
    """The full Chenghua district down to its buildings."""
    return chenghua_tree(down_to=K.BUILDING)


def scaled(count: int, scale: float) -> int:
    """Scale a figure the way the generator does: rounded, at least one."""
    return max(1, round(count * scale))


def test_the_district_down_to_buildings_has_the_chenghua_figures(buildings: UnitTree) -> None:
    """11 subdistricts, 81 communities + 2 villages, 83/995/6283/516 grids, 1299 compounds."""
    assert buildings.counts_by_kind(buildings.root.id) == {
        K.SUBDISTRICT: SUBDISTRICTS,
        K.COMMUNITY: COMMUNITIES,
        K.VILLAGE: VILLAGES,
        K.TOTAL_GRID: TOTAL_GRIDS,
        K.GENERAL_GRID: GENERAL_GRIDS,
        K.COMPOUND: COMPOUNDS,
        K.MICRO_GRID: MICRO_GRIDS,
        K.DEDICATED_GRID: DEDICATED_GRIDS,
        K.BUILDING: BUILDINGS,
    }
    assert (SUBDISTRICTS, COMMUNITIES + VILLAGES, TOTAL_GRIDS) == (11, 83, 83)
    assert (GENERAL_GRIDS, COMPOUNDS, MICRO_GRIDS, DEDICATED_GRIDS) == (995, 1299, 6283, 516)
    assert buildings.residents(buildings.root.id) == RESIDENTS == 1_480_000
    assert len(buildings) == 25_071


def test_the_full_district_has_500000_units(buildings: UnitTree) -> None:
    """The buildings, their four stairwell units each and the households make 500,000 units."""
    stairwells = BUILDINGS * UNITS_PER_BUILDING
    households = buildings.households(buildings.root.id)
    assert households == 411_729
    assert len(buildings) + stairwells + households == TOTAL_UNITS == 500_000


def test_each_level_hangs_evenly_under_the_one_above(buildings: UnitTree) -> None:
    """General grids hold one or two compounds, micro grids two or three buildings."""
    per_grid = Counter(len(buildings.children(u.id)) for u in buildings if u.kind is K.GENERAL_GRID)
    per_micro = Counter(len(buildings.children(u.id)) for u in buildings if u.kind is K.MICRO_GRID)
    assert set(per_grid) == {1, 2}
    assert set(per_micro) == {2, 3}
    assert all(
        buildings.children(u.id)[0].kind is K.TOTAL_GRID for u in buildings if u.kind is K.COMMUNITY
    )


@pytest.fixture(scope="module")
def small() -> UnitTree:
    """A district of the same shape at 2 % of the size, down to households (10,000 units)."""
    return chenghua_tree(scale=0.02)


@pytest.mark.parametrize("depth", DEPTHS)
def test_every_depth_gives_the_same_roll_ups(depth: UnitKind, small: UnitTree) -> None:
    """Stopping at a level moves the figures onto it: every subdistrict's totals stay the same."""
    full = small
    cut = chenghua_tree(down_to=depth, scale=0.02)
    assert {u.kind for u in cut} <= {u.kind for u in full}
    assert max(cut.depth(u.id) for u in cut) == max(
        full.depth(u.id) for u in full if u.kind is depth
    )
    for unit in cut:
        if unit.kind in {K.DISTRICT, K.SUBDISTRICT}:
            assert cut.households(unit.id) == full.households(unit.id)
            assert cut.residents(unit.id) == full.residents(unit.id)


@settings(max_examples=10, deadline=None)
@given(scale=st.floats(min_value=0.001, max_value=0.005), seed=st.integers(0, 2**32))
def test_a_scaled_district_keeps_its_totals(scale: float, seed: int) -> None:
    """At any scale the district has the scaled number of units and of residents."""
    tree = chenghua_tree(scale=scale, seed=seed)
    assert len(tree) == scaled(TOTAL_UNITS, scale)
    assert tree.residents(tree.root.id) == scaled(RESIDENTS, scale)


def test_the_same_seed_gives_the_same_district() -> None:
    """Two calls with one seed agree unit for unit; another seed places residents elsewhere."""
    first = chenghua_units(scale=0.01, seed=7)
    assert first == chenghua_units(scale=0.01, seed=7)
    other = chenghua_units(scale=0.01, seed=8)
    assert [u.id for u in first] == [u.id for u in other]
    assert [u.residents for u in first] != [u.residents for u in other]
    assert [u.longitude for u in first] != [u.longitude for u in other]


def test_households_hold_three_or_four_residents(small: UnitTree) -> None:
    """The residents spread three or four to a household (1.48 M over 411,729 at full size)."""
    residents = Counter(u.residents for u in small if u.kind is K.HOUSEHOLD)
    assert set(residents) == {3, 4}


def test_the_organisations_have_the_o3_figures(buildings: UnitTree) -> None:
    """83 community committees, 975 grid party organisations, 2125 micro-grid party groups."""
    organisations = chenghua_organisations(buildings)
    kinds = Counter(org.kind for org in organisations)
    assert kinds == {
        OrgKind.PARTY_COMMITTEE: 83,
        OrgKind.PARTY_BRANCH: GRID_PARTY_ORGANISATIONS,
        OrgKind.PARTY_GROUP: MICRO_GRID_PARTY_GROUPS,
    }
    bound = Counter(buildings.unit(org.unit).kind for org in organisations)
    assert bound == {
        K.COMMUNITY: 81,
        K.VILLAGE: 2,
        K.GENERAL_GRID: 975,
        K.MICRO_GRID: 2125,
    }


def test_each_organisation_answers_to_the_one_above_it(buildings: UnitTree) -> None:
    """Grid organisations answer to their community; a group to its grid's, else its community's."""
    organisations = chenghua_organisations(buildings)
    for org in organisations:
        parent = organisations.parent(org.id)
        if org.kind is OrgKind.PARTY_COMMITTEE:
            assert parent is None
            continue
        assert parent is not None
        above = buildings.ancestors(org.unit)
        assert parent.unit in {u.id for u in above}
        if org.kind is OrgKind.PARTY_GROUP and parent.kind is OrgKind.PARTY_COMMITTEE:
            grid = buildings.above(org.unit, K.GENERAL_GRID)
            assert grid is not None
            assert not organisations.serving(grid.id)


def test_a_tree_without_grids_gets_community_committees_only() -> None:
    """A district cut at its communities has their 83 committees and nothing else."""
    organisations = chenghua_organisations(chenghua_tree(down_to=K.COMMUNITY))
    assert {org.kind for org in organisations} == {OrgKind.PARTY_COMMITTEE}
    assert len(organisations) == 83


def test_an_unknown_depth_and_a_bad_scale_are_both_reported() -> None:
    """down_to must be one of the district's levels, scale a number in [0.001, 4]."""
    with pytest.raises(InvalidData) as failure:
        chenghua_tree(down_to=K.DEDICATED_GRID, scale=0)
    assert [p.path for p in failure.value.problems] == ["down_to", "scale"]
    assert "household" in failure.value.problems[0].message


def test_the_generator_does_not_need_pytest() -> None:
    """Importing the module and building a small district loads no pytest."""
    code = (
        "import sys; from civicgrid.testing.districts import chenghua_tree; "
        "chenghua_tree(scale=0.001); print('pytest' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "False"
