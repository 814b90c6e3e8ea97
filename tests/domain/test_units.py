"""The unit hierarchy (DOMAIN.md G1–G4): units, the tree, roll-ups and changes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.units import TreeChangeRefused, Unit, UnitKind, UnitTree, UnknownUnit
from civicgrid.errors import CivicGridError, InvalidData

K = UnitKind


def unit(unit_id: str, kind: UnitKind, parent: str | None, **figures: Any) -> Unit:
    """Make a unit named after its id."""
    return Unit(id=unit_id, kind=kind, name_zh=unit_id, parent=parent, **figures)


def chenghua_units() -> list[Unit]:
    """A small Chenghua-like tree, parents first.

    成华区 → 2 subdistricts → 3 communities; cm1 and cm2 run the 3+1 grids down to households:
    community → total grid → general grid → compound → micro grid → building → unit → household
    (the order Chenghua's figures nest in: one total grid per community, ~1.3 compounds per
    general grid). cm1 also has a dedicated grid; cm3 carries its own figures only.
    """
    hh = {"households": 1}
    return [
        unit("chenghua", K.DISTRICT, None),
        unit("sd1", K.SUBDISTRICT, "chenghua"),
        unit("sd2", K.SUBDISTRICT, "chenghua"),
        unit("cm1", K.COMMUNITY, "sd1"),
        unit("cm2", K.COMMUNITY, "sd1"),
        unit("cm3", K.COMMUNITY, "sd2", households=500, residents=1400),
        unit("tg1", K.TOTAL_GRID, "cm1"),
        unit("dg1", K.DEDICATED_GRID, "cm1"),
        unit("gg1", K.GENERAL_GRID, "tg1"),
        unit("cp1", K.COMPOUND, "gg1"),
        unit("mg1", K.MICRO_GRID, "cp1"),
        unit("bd1", K.BUILDING, "mg1"),
        unit("un1", K.UNIT, "bd1"),
        unit("un2", K.UNIT, "bd1"),
        unit("hh1", K.HOUSEHOLD, "un1", **hh, residents=3),
        unit("hh2", K.HOUSEHOLD, "un1", **hh, residents=2),
        unit("hh3", K.HOUSEHOLD, "un2", **hh, residents=4),
        unit("tg2", K.TOTAL_GRID, "cm2"),
        unit("gg2", K.GENERAL_GRID, "tg2"),
        unit("cp2", K.COMPOUND, "gg2"),
        unit("mg2", K.MICRO_GRID, "cp2"),
        unit("bd2", K.BUILDING, "mg2", households=40),  # a surveyed figure, no households below
        unit("un3", K.UNIT, "bd2"),
        unit("hh4", K.HOUSEHOLD, "un3"),  # no figures: counts 0
    ]


@pytest.fixture
def tree() -> UnitTree:
    """The small Chenghua-like tree."""
    return UnitTree(chenghua_units())


def ids(units: tuple[Unit, ...]) -> list[str]:
    """Return the ids of the units, in order."""
    return [u.id for u in units]


Snapshot = tuple[list[Unit], dict[str, list[str]], dict[str, tuple[int, int]], str]


def snapshot(tree: UnitTree) -> Snapshot:
    """Everything observable about a tree: units, links, roll-ups, root."""
    return (
        list(tree),
        {u.id: ids(tree.children(u.id)) for u in tree},
        {u.id: (tree.households(u.id), tree.residents(u.id)) for u in tree},
        tree.root.id,
    )


# --------------------------------------------------------------------------- kinds and units


def test_every_kind_has_a_chinese_and_an_english_label() -> None:
    """Every kind carries both labels, the Chinese ones as DOMAIN.md writes them."""
    assert {k.value: k.label_zh for k in UnitKind} == {
        "city": "市",
        "district": "区",
        "subdistrict": "街道",
        "community": "社区",
        "village": "村",
        "compound": "小区",
        "courtyard": "院落",
        "area": "片区",
        "total_grid": "社区总网格",
        "general_grid": "一般网格",
        "micro_grid": "微网格",
        "dedicated_grid": "专属网格",
        "grid": "网格",
        "building": "楼栋",
        "unit": "单元",
        "household_group": "联户",
        "household": "户",
    }
    assert K.MICRO_GRID.label_en == "micro grid"
    assert all(k.label_en for k in UnitKind)


def test_kinds_are_strings_equal_to_their_identifiers() -> None:
    """A kind compares equal to its glossary identifier and is built from it."""
    assert isinstance(K.TOTAL_GRID, str)
    assert f"{K.TOTAL_GRID}" == "total_grid"
    assert UnitKind("household") is K.HOUSEHOLD


def test_a_unit_keeps_its_fields_and_is_frozen() -> None:
    """A unit holds what it was given and cannot be changed in place."""
    u = Unit(
        id="bd1",
        kind=K.BUILDING,
        name_zh="1栋",
        name_en="Building 1",
        parent="mg1",
        households=24,
        residents=70,
        longitude=104.1,
        latitude=30.67,
    )
    assert (u.households, u.residents, u.longitude, u.latitude) == (24, 70, 104.1, 30.67)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        u.households = 3  # type: ignore[misc]


def test_a_unit_reports_every_bad_field_at_once() -> None:
    """Empty id, negative counts and out-of-range coordinates are listed together."""
    with pytest.raises(InvalidData) as caught:
        Unit(
            id="",
            kind=K.HOUSEHOLD,
            name_zh="户",
            parent="un1",
            households=-1,
            residents=-2,
            longitude=181.0,
            latitude=-91.0,
        )
    paths = [p.path for p in caught.value.problems]
    assert paths == ["id", "households", "residents", "longitude", "latitude"]
    assert isinstance(caught.value, ValueError)
    assert "无效" in str(caught.value)


@pytest.mark.parametrize(
    ("longitude", "latitude"),
    [(104.1, None), (None, 30.6), (float("nan"), 30.6), (104.1, 90.5), (-180.5, 0.0)],
)
def test_bad_coordinates_are_refused(longitude: float | None, latitude: float | None) -> None:
    """Coordinates out of range, not a number, or only one of the two are refused."""
    with pytest.raises(InvalidData) as caught:
        unit("bd1", K.BUILDING, "mg1", longitude=longitude, latitude=latitude)
    assert {p.path for p in caught.value.problems} <= {"longitude", "latitude"}


def test_coordinates_on_the_bounds_are_accepted() -> None:
    """The edges of the ranges are valid coordinates."""
    assert unit("x", K.AREA, "y", longitude=-180, latitude=90).latitude == 90


# --------------------------------------------------------------------------- lookups


def test_the_tree_answers_unit_parent_and_children(tree: UnitTree) -> None:
    """Units, parents and children (in the order given) are looked up by id."""
    assert tree.unit("cm1").kind is K.COMMUNITY
    parent = tree.parent("cm1")
    assert parent is not None
    assert parent.id == "sd1"
    assert tree.parent("chenghua") is None
    assert ids(tree.children("cm1")) == ["tg1", "dg1"]
    assert tree.children("hh1") == ()


def test_the_tree_has_one_root_a_length_and_membership(tree: UnitTree) -> None:
    """``roots``, ``root``, ``len``, ``in`` and iteration agree with the input."""
    assert ids(tree.roots) == ["chenghua"]
    assert tree.root.id == "chenghua"
    assert len(tree) == len(chenghua_units())
    assert "hh3" in tree
    assert "nowhere" not in tree
    assert list(tree) == chenghua_units()


def test_ancestors_of_a_household_run_nearest_first_to_the_district(tree: UnitTree) -> None:
    """A household's chain climbs unit, building, grids, compound, community … to 成华区."""
    assert ids(tree.ancestors("hh1")) == [
        "un1",
        "bd1",
        "mg1",
        "cp1",
        "gg1",
        "tg1",
        "cm1",
        "sd1",
        "chenghua",
    ]
    assert tree.ancestors("chenghua") == ()


def test_above_finds_the_community_of_a_household(tree: UnitTree) -> None:
    """``above`` returns the nearest ancestor of a kind, or None if there is none."""
    community = tree.above("hh4", K.COMMUNITY)
    assert community is not None
    assert community.id == "cm2"
    assert tree.above("hh4", K.VILLAGE) is None
    assert tree.above("cm1", K.COMMUNITY) is None  # the unit itself does not count


def test_depth_counts_the_ancestors(tree: UnitTree) -> None:
    """The root is at depth 0, a household of this tree at depth 9."""
    assert tree.depth("chenghua") == 0
    assert tree.depth("hh1") == 9


def test_descendants_of_a_kind_are_found_across_branches(tree: UnitTree) -> None:
    """Households below a subdistrict are found whatever grid they hang from."""
    assert sorted(ids(tree.descendants("sd1", K.HOUSEHOLD))) == ["hh1", "hh2", "hh3", "hh4"]
    assert ids(tree.descendants("sd2", K.HOUSEHOLD)) == []


def test_descendants_are_breadth_first_without_the_unit(tree: UnitTree) -> None:
    """All descendants come level by level; the unit itself is not among them."""
    assert ids(tree.descendants("bd1")) == ["un1", "un2", "hh1", "hh2", "hh3"]
    assert tree.descendants("hh1") == ()


def test_counts_by_kind_counts_every_descendant(tree: UnitTree) -> None:
    """The root's counts cover the whole tree but itself; a community's only its branch."""
    whole = tree.counts_by_kind("chenghua")
    assert whole[K.HOUSEHOLD] == 4
    assert whole[K.COMMUNITY] == 3
    assert K.DISTRICT not in whole
    assert sum(whole.values()) == len(tree) - 1
    assert tree.counts_by_kind("cm1") == {
        K.TOTAL_GRID: 1,
        K.DEDICATED_GRID: 1,
        K.GENERAL_GRID: 1,
        K.COMPOUND: 1,
        K.MICRO_GRID: 1,
        K.BUILDING: 1,
        K.UNIT: 2,
        K.HOUSEHOLD: 3,
    }
    assert tree.counts_by_kind("hh1") == {}


@pytest.mark.parametrize(
    "lookup",
    [
        UnitTree.unit,
        UnitTree.parent,
        UnitTree.children,
        UnitTree.ancestors,
        UnitTree.depth,
        UnitTree.descendants,
        UnitTree.counts_by_kind,
        UnitTree.households,
        UnitTree.residents,
        lambda t, i: t.above(i, K.COMMUNITY),
    ],
)
def test_an_unknown_id_raises_unknown_unit(
    tree: UnitTree, lookup: Callable[[UnitTree, str], object]
) -> None:
    """Every lookup of an id not in the tree raises UnknownUnit, a LookupError."""
    with pytest.raises(UnknownUnit) as caught:
        lookup(tree, "nowhere")
    assert isinstance(caught.value, LookupError)
    assert caught.value.unit_id == "nowhere"
    assert "未知的单元" in str(caught.value)


# --------------------------------------------------------------------------- roll-ups


def test_roll_ups_sum_the_children_of_units_without_figures(tree: UnitTree) -> None:
    """Households and residents add up from the households to the district."""
    assert tree.households("un1") == 2
    assert tree.residents("un1") == 5
    assert tree.households("cm1") == 3
    assert tree.residents("cm1") == 9
    assert tree.households("chenghua") == 3 + 40 + 500
    assert tree.residents("chenghua") == 9 + 0 + 1400


def test_a_units_own_figure_wins_over_its_children(tree: UnitTree) -> None:
    """A building with a surveyed figure keeps it though its households say otherwise."""
    assert tree.households("bd2") == 40
    assert tree.households("cm2") == 40
    assert tree.residents("bd2") == 0  # no own figure: the children's sum


def test_a_leaf_without_figures_counts_zero(tree: UnitTree) -> None:
    """A household or a dedicated grid with no figures counts 0."""
    assert tree.households("hh4") == 0
    assert tree.residents("dg1") == 0


def test_roll_ups_do_not_depend_on_the_input_order() -> None:
    """Children given before their parents give the same tree and the same roll-ups."""
    forward = UnitTree(chenghua_units())
    backward = UnitTree(list(reversed(chenghua_units())))
    assert {u.id: forward.households(u.id) for u in forward} == {
        u.id: backward.households(u.id) for u in backward
    }
    assert {u.id: forward.residents(u.id) for u in forward} == {
        u.id: backward.residents(u.id) for u in backward
    }


# --------------------------------------------------------------------------- validation


def test_every_problem_of_a_tree_is_reported_together_with_its_path() -> None:
    """Duplicate ids, unknown parents, cycles and a second root are listed in one error."""
    units = [
        *chenghua_units(),  # 24 units, indexes 0-23
        unit("hh1", K.HOUSEHOLD, "un2"),  # 24: duplicate
        unit("hh9", K.HOUSEHOLD, "un9"),  # 25: unknown parent
        unit("a", K.GRID, "b"),  # 26: a → b → a
        unit("b", K.GRID, "a"),  # 27
        unit("self", K.GRID, "self"),  # 28: its own parent
        unit("wuhou", K.DISTRICT, None),  # 29: a second root
    ]
    with pytest.raises(InvalidData) as caught:
        UnitTree.build(units, source="chenghua.json")
    error = caught.value
    assert [str(p) for p in error.problems] == [
        "units[24].id: duplicate id 'hh1' (first at units[14])",
        "units[25].parent: unknown parent 'un9'",
        (
            "units[29].parent: second root 'wuhou' (the first is 'chenghua' at units[0]); "
            "a tree has exactly one root"
        ),
        "units[26].parent: cycle: a → b → a",
        "units[28].parent: cycle: self → self",
    ]
    assert error.source == "chenghua.json"
    assert "5 problems" in str(error)
    assert isinstance(error, CivicGridError)


def test_a_tree_without_a_root_is_refused() -> None:
    """Units that all have parents form no tree: no root, and the cycle, are reported."""
    with pytest.raises(InvalidData) as caught:
        UnitTree([unit("a", K.GRID, "b"), unit("b", K.GRID, "a")])
    assert [p.path for p in caught.value.problems] == ["units", "units[0].parent"]


def test_an_empty_tree_is_refused() -> None:
    """No units means no root."""
    with pytest.raises(InvalidData, match="no root"):
        UnitTree([])


def test_something_other_than_a_unit_is_reported_by_index() -> None:
    """A dict among the units is reported with its index, not crashed on."""
    with pytest.raises(InvalidData) as caught:
        UnitTree([unit("r", K.CITY, None), {"id": "x"}])  # type: ignore[list-item]
    assert caught.value.problems[0].path == "units[1]"


# --------------------------------------------------------------------------- changes


def test_adding_a_household_updates_the_roll_ups(tree: UnitTree) -> None:
    """A read after ``add`` sees the new household in every ancestor's figures."""
    assert tree.households("cm1") == 3
    tree.add(unit("hh5", K.HOUSEHOLD, "un2", households=1, residents=2))
    assert tree.households("cm1") == 4
    assert tree.residents("chenghua") == 9 + 1400 + 2
    assert ids(tree.children("un2")) == ["hh3", "hh5"]


def test_removing_a_leaf_updates_the_roll_ups(tree: UnitTree) -> None:
    """``remove`` of a household returns it and drops it from the figures."""
    assert tree.households("un1") == 2
    assert ids(tree.remove("hh1")) == ["hh1"]
    assert "hh1" not in tree
    assert tree.households("un1") == 1
    assert ids(tree.children("un1")) == ["hh2"]


def test_removing_with_cascade_takes_the_whole_branch(tree: UnitTree) -> None:
    """``cascade=True`` removes the unit and everything below it."""
    removed = tree.remove("bd1", cascade=True)
    assert ids(removed) == ["bd1", "un1", "un2", "hh1", "hh2", "hh3"]
    assert len(tree) == len(chenghua_units()) - 6
    assert tree.households("cm1") == 0
    assert tree.children("mg1") == ()


def test_moving_a_building_changes_its_chain_and_the_roll_ups(tree: UnitTree) -> None:
    """A building moved to another micro grid takes its households with it."""
    assert tree.households("cm2") == 40
    moved = tree.move("bd1", "mg2")
    assert moved.parent == "mg2"
    assert tree.unit("bd1") is moved
    assert tree.above("hh1", K.COMMUNITY) == tree.unit("cm2")
    assert tree.households("cm1") == 0
    assert tree.households("cm2") == 43
    assert tree.residents("cm2") == 9
    assert ids(tree.children("mg2")) == ["bd2", "bd1"]


def test_replacing_a_unit_with_a_new_figure_updates_the_roll_ups(tree: UnitTree) -> None:
    """``replace`` returns the old unit; the new figure shows in the next read."""
    assert tree.residents("cm1") == 9
    old = tree.replace(unit("hh1", K.HOUSEHOLD, "un1", households=1, residents=6))
    assert old.residents == 3
    assert tree.residents("cm1") == 12


def test_replacing_a_unit_with_a_new_parent_moves_it(tree: UnitTree) -> None:
    """A replacement that names another parent is moved there."""
    tree.replace(unit("hh1", K.HOUSEHOLD, "un3", households=1, residents=3))
    assert ids(tree.children("un3")) == ["hh4", "hh1"]
    assert tree.households("cm2") == 40  # bd2's own figure still wins
    assert tree.residents("cm2") == 3


def test_a_changed_tree_rolls_up_like_a_freshly_built_one(tree: UnitTree) -> None:
    """After changes, roll-ups equal those of a tree built from the same units."""
    tree.move("bd1", "mg2")
    tree.add(unit("hh5", K.HOUSEHOLD, "un3", households=1, residents=5))
    tree.move("un3", "bd1")
    tree.remove("cm3")
    fresh = UnitTree(list(tree))
    assert snapshot(fresh)[2] == snapshot(tree)[2]


FAILING_CHANGES: list[tuple[str, Callable[[UnitTree], object], type[Exception]]] = [
    ("add a duplicate id", lambda t: t.add(unit("hh1", K.HOUSEHOLD, "un2")), TreeChangeRefused),
    ("add a second root", lambda t: t.add(unit("wuhou", K.DISTRICT, None)), TreeChangeRefused),
    ("add under an unknown parent", lambda t: t.add(unit("x", K.UNIT, "bd9")), UnknownUnit),
    ("remove a unit with children", lambda t: t.remove("bd1"), TreeChangeRefused),
    ("remove the root", lambda t: t.remove("chenghua", cascade=True), TreeChangeRefused),
    ("remove an unknown unit", lambda t: t.remove("bd9"), UnknownUnit),
    ("move under itself", lambda t: t.move("cp1", "cp1"), TreeChangeRefused),
    ("move under a descendant", lambda t: t.move("cp1", "hh1"), TreeChangeRefused),
    ("move the root", lambda t: t.move("chenghua", "hh1"), TreeChangeRefused),
    ("move under an unknown parent", lambda t: t.move("hh1", "un9"), UnknownUnit),
    ("move an unknown unit", lambda t: t.move("hh9", "un1"), UnknownUnit),
    ("replace an unknown unit", lambda t: t.replace(unit("hh9", K.HOUSEHOLD, "un1")), UnknownUnit),
    (
        "replace making a cycle",
        lambda t: t.replace(unit("gg1", K.GENERAL_GRID, "mg1")),
        TreeChangeRefused,
    ),
    (
        "replace making a second root",
        lambda t: t.replace(unit("cm1", K.COMMUNITY, None)),
        TreeChangeRefused,
    ),
]


@pytest.mark.parametrize(
    ("change", "error"),
    [pytest.param(change, error, id=name) for name, change, error in FAILING_CHANGES],
)
def test_a_refused_change_leaves_the_tree_as_it_was(
    tree: UnitTree, change: Callable[[UnitTree], object], error: type[Exception]
) -> None:
    """Every refused change raises and leaves units, links and roll-ups unchanged."""
    before = snapshot(tree)
    with pytest.raises(error):
        change(tree)
    assert snapshot(tree) == before


def test_a_refused_change_says_why_in_both_languages(tree: UnitTree) -> None:
    """The refusal names the unit and gives English and Chinese reasons."""
    with pytest.raises(TreeChangeRefused) as caught:
        tree.remove("bd1")
    assert caught.value.unit_id == "bd1"
    assert isinstance(caught.value, ValueError)
    assert "cascade=True" in caught.value.message_en
    assert caught.value.message_zh is not None
    assert "其下还有 5 个单元" in caught.value.message_zh


# --------------------------------------------------------------------------- properties


@st.composite
def random_trees(draw: st.DrawFn) -> tuple[list[Unit], bool]:
    """A random tree of 1-60 units given in random order, some with figures; and a flag."""
    n = draw(st.integers(min_value=1, max_value=60))
    parents = [None, *(draw(st.integers(min_value=0, max_value=i - 1)) for i in range(1, n))]
    count = st.integers(min_value=0, max_value=1000)
    figure = st.none() | count
    root_has_figure = draw(st.booleans())
    units = [
        unit(
            f"u{i}",
            K.GRID,
            None if p is None else f"u{p}",
            households=draw(figure) if i else (draw(count) if root_has_figure else None),
            residents=draw(figure),
        )
        for i, p in enumerate(parents)
    ]
    return draw(st.permutations(units)), root_has_figure


def reference_households(units: list[Unit], unit_id: str) -> int:
    """Roll up households the slow, obvious way: recursion over the children."""
    by_id = {u.id: u for u in units}
    own = by_id[unit_id].households
    if own is not None:
        return own
    return sum(reference_households(units, u.id) for u in units if u.parent == unit_id)


@settings(max_examples=200, deadline=None)
@given(random_trees())
def test_random_trees_roll_up_and_climb_to_the_root(drawn: tuple[list[Unit], bool]) -> None:
    """The root's roll-up sums its children's when it has no figure; every chain ends at it."""
    units, root_has_figure = drawn
    tree = UnitTree(units)
    root = tree.root
    below = sum(tree.households(c.id) for c in tree.children(root.id))
    if root_has_figure:
        assert tree.households(root.id) == root.households
    else:
        assert tree.households(root.id) == below
    for u in units:
        chain = tree.ancestors(u.id)
        assert (chain[-1] if chain else u) is root
        assert len(chain) == tree.depth(u.id)
        assert tree.households(u.id) == reference_households(units, u.id)


@settings(max_examples=100, deadline=None)
@given(random_trees(), st.data())
def test_random_moves_keep_roll_ups_right(
    drawn: tuple[list[Unit], bool], data: st.DataObject
) -> None:
    """After random moves (refused or not), roll-ups match a fresh tree of the same units."""
    units, _ = drawn
    tree = UnitTree(units)
    names = sorted(u.id for u in units)
    for _ in range(data.draw(st.integers(min_value=0, max_value=5))):
        moved = data.draw(st.sampled_from(names))
        target = data.draw(st.sampled_from(names))
        with contextlib.suppress(TreeChangeRefused):
            tree.move(moved, target)
    fresh = UnitTree(list(tree))
    assert {u.id: tree.households(u.id) for u in tree} == {
        u.id: fresh.households(u.id) for u in fresh
    }


def test_sum_up_adds_each_units_own_value_to_everything_below() -> None:
    """Workers appointed at a community and at its grids add up; unnamed units count 0."""
    tree = UnitTree(
        [
            Unit(id="d", kind=UnitKind.DISTRICT, name_zh="区", parent=None),
            Unit(id="c", kind=UnitKind.COMMUNITY, name_zh="社区", parent="d"),
            Unit(id="g1", kind=UnitKind.GRID, name_zh="一网格", parent="c"),
            Unit(id="g2", kind=UnitKind.GRID, name_zh="二网格", parent="c"),
        ]
    )
    totals = tree.sum_up({"c": 2, "g1": 3, "g2": 1})
    assert totals == {"d": 6, "c": 6, "g1": 3, "g2": 1}
    tree.move("g2", "d")
    assert tree.sum_up({"c": 2, "g1": 3, "g2": 1}) == {"d": 6, "c": 5, "g1": 3, "g2": 1}


def test_sum_up_refuses_an_id_outside_the_tree() -> None:
    """A figure for an unknown unit is an error, not silently dropped."""
    tree = UnitTree([Unit(id="d", kind=UnitKind.DISTRICT, name_zh="区", parent=None)])
    with pytest.raises(UnknownUnit):
        tree.sum_up({"x": 1})
