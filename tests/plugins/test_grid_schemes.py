"""The built-in grid schemes (G2–G5, G7) and party chains (O1–O3), and cities evolving them."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from civicgrid import (
    DuplicateRegistration,
    GridScheme,
    Measure,
    Organisation,
    Organisations,
    OrgKind,
    PartyChain,
    Registry,
    SizeLimit,
    Unit,
    UnitKind,
    UnitTree,
    hookimpl,
    load_registry,
)
from civicgrid.plugins.builtin.grid_checks import KIND_ORDER, PARTY_COVERAGE, SIZE_LIMITS
from civicgrid.plugins.builtin.grid_schemes import (
    BUILDING_GRID,
    CHENGDU_3PLUS1,
    ONE_COMPOUND_ONE_GRID,
    TEN_HOUSEHOLDS,
)

K = UnitKind
ON = date(2026, 11, 23)
SCHEMES = {
    "chengdu_3plus1": "G2",
    "one_compound_one_grid": "G3",
    "ten_households": "G4",
    "building_grid": "G5",
}
CHAINS = {"four_level": "O1", "three_level": "O2", "chengdu_3plus1": "O3"}


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


def test_the_builtins_provide_four_schemes_and_three_chains(registry: Registry) -> None:
    """G2–G5 come from civicgrid.grid_schemes, O1–O3 from civicgrid.party_chains."""
    assert set(registry.grid_schemes) == set(SCHEMES)
    assert set(registry.party_chains) == set(CHAINS)
    assert {s.plugin for s in registry.grid_schemes.values()} == {"civicgrid.grid_schemes"}
    assert {c.plugin for c in registry.party_chains.values()} == {"civicgrid.party_chains"}


@pytest.mark.parametrize(("key", "mechanism"), SCHEMES.items())
def test_every_scheme_says_where_it_comes_from(
    registry: Registry, key: str, mechanism: str
) -> None:
    """Each scheme has both labels, its DOMAIN.md id first in ``source``, and a description."""
    scheme = registry.grid_scheme(key)
    assert scheme.label_zh
    assert scheme.label_en
    assert scheme.description
    assert scheme.source.startswith(mechanism)
    assert scheme.party_chain is None or scheme.party_chain in registry.party_chains


@pytest.mark.parametrize(("key", "mechanism"), CHAINS.items())
def test_every_chain_says_where_it_comes_from(registry: Registry, key: str, mechanism: str) -> None:
    """Each chain and each of its levels is labelled in both languages; the top has no parents."""
    chain = registry.party_chains[key]
    assert chain.source.startswith(mechanism)
    assert chain.label_zh
    assert chain.label_en
    assert all(level.label_zh and level.label_en for level in chain.levels)
    assert not chain.levels[0].parents
    assert all(level.parents for level in chain.levels[1:])


def test_the_schemes_carry_the_figures_of_the_documents() -> None:
    """500 households ±30 % an area, 18 workers per 10,000, ~10 households, grids under 4,000."""
    (area,) = ONE_COMPOUND_ONE_GRID.limits
    assert (area.kind, area.measure, area.minimum, area.maximum) == (
        K.AREA,
        Measure.HOUSEHOLDS,
        350,
        650,
    )
    assert ONE_COMPOUND_ONE_GRID.workers_per_10k == 18
    assert ONE_COMPOUND_ONE_GRID.staffing_kind is K.COMMUNITY
    assert ONE_COMPOUND_ONE_GRID.party_chain == "three_level"
    assert TEN_HOUSEHOLDS.household_leader_max == 15
    grid, building = BUILDING_GRID.limits
    assert grid.kind is K.GRID
    assert grid.measure is Measure.RESIDENTS
    assert grid.maximum is not None
    assert grid.maximum < 4000
    assert (building.kind, building.maximum) == (K.BUILDING, 200)
    assert CHENGDU_3PLUS1.party_chain == "chengdu_3plus1"


def test_the_required_levels_are_the_compound_and_the_general_grid(registry: Registry) -> None:
    """G3 requires the compound/area organisation; O3 the general grid's, not the micro grid's."""
    required = {
        key: [sorted(level.units) for level in chain.levels if level.required]
        for key, chain in registry.party_chains.items()
    }
    assert required == {
        "four_level": [[K.COMMUNITY, K.VILLAGE], [K.AREA, K.COMPOUND, K.COURTYARD]],
        "three_level": [[K.COMMUNITY, K.VILLAGE], [K.AREA, K.COMPOUND]],
        "chengdu_3plus1": [[K.COMMUNITY, K.VILLAGE], [K.GENERAL_GRID]],
    }


def test_chengdu_allows_the_variants_real_data_has(registry: Registry) -> None:
    """Micro grids under a general grid, buildings under a compound, households under a building."""
    tree = UnitTree(
        [
            unit("cm", K.COMMUNITY, None),
            unit("tg", K.TOTAL_GRID, "cm"),
            unit("dg1", K.DEDICATED_GRID, "tg"),
            unit("dg2", K.DEDICATED_GRID, "cm"),
            unit("gg", K.GENERAL_GRID, "tg"),
            unit("mg", K.MICRO_GRID, "gg"),
            unit("cp", K.COMPOUND, "gg"),
            unit("bd", K.BUILDING, "cp"),
            unit("hh", K.HOUSEHOLD, "bd", households=1, residents=3),
            unit("bd2", K.BUILDING, "mg"),
            unit("un", K.UNIT, "bd2"),
            unit("hh2", K.HOUSEHOLD, "un", households=1, residents=2),
        ]
    )
    findings = registry.check_grid(tree, "chengdu_3plus1", on=ON)
    assert [f for f in findings if f.rule == KIND_ORDER] == []


class Hefei:
    """A city plugin: one compound one grid with areas of 400–800 households."""

    scheme = attrs.evolve(
        ONE_COMPOUND_ONE_GRID,
        key="hefei",
        label_zh="合肥一小区一网格",
        label_en="Hefei one compound one grid",
        limits=[SizeLimit(kind=K.AREA, measure=Measure.HOUSEHOLDS, minimum=400, maximum=800)],
        workers_per_10k=20,
    )

    @hookimpl
    def register_grid_schemes(self) -> list[GridScheme]:
        """Provide the Hefei scheme."""
        return [self.scheme]


def test_a_city_registers_its_own_scheme_evolved_from_a_builtin() -> None:
    """Hefei's 700-household area passes its own limit but breaks the built-in 650."""
    registry = load_registry(entry_points=False, plugins=[("hefei", Hefei())])
    assert registry.grid_scheme("hefei").plugin == "hefei"
    assert registry.grid_scheme("hefei").party_chain == "three_level"
    tree = UnitTree(
        [
            unit("cm", K.COMMUNITY, None),
            unit("area", K.AREA, "cm"),
            unit("bd", K.BUILDING, "area", households=700, residents=2000),
        ]
    )
    city = [f for f in registry.check_grid(tree, "hefei", on=ON) if f.rule == SIZE_LIMITS]
    builtin = [
        f
        for f in registry.check_grid(tree, "one_compound_one_grid", on=ON)
        if f.rule == SIZE_LIMITS
    ]
    assert city == []
    assert [(f.unit, f.value, f.limit) for f in builtin] == [("area", 700, 650)]


def test_a_city_cannot_take_a_builtin_schemes_key() -> None:
    """Registering an evolved scheme under the built-in key names both plugins."""

    class Copycat:
        @hookimpl
        def register_grid_schemes(self) -> list[GridScheme]:
            """Provide a scheme under a key already taken."""
            return [attrs.evolve(ONE_COMPOUND_ONE_GRID, workers_per_10k=20)]

    with pytest.raises(DuplicateRegistration) as failure:
        load_registry(entry_points=False, plugins=[("copycat", Copycat())])
    assert set(failure.value.plugins) == {"civicgrid.grid_schemes", "copycat"}


class Wuwei:
    """A city plugin: compounds split into micro grids, on the four-level chain of O1."""

    scheme = attrs.evolve(
        ONE_COMPOUND_ONE_GRID,
        key="wuwei",
        label_zh="无为四级链条",
        label_en="Wuwei four levels",
        parents={
            **ONE_COMPOUND_ONE_GRID.parents,
            K.MICRO_GRID: {K.COMPOUND},
            K.BUILDING: {K.COMPOUND, K.AREA, K.MICRO_GRID},
        },
        party_chain="four_level",
    )

    @hookimpl
    def register_grid_schemes(self) -> list[GridScheme]:
        """Provide the Wuwei scheme."""
        return [self.scheme]


def test_the_four_level_chain_admits_wuweis_grid_party_groups() -> None:
    """社区党委 → 小区党支部 → 网格党小组 → 党员中心户 is as good as Yuanding's 党总支 → 党支部."""
    registry = load_registry(entry_points=False, plugins=[("wuwei", Wuwei())])
    assert isinstance(registry.party_chains["four_level"], PartyChain)
    tree = UnitTree(
        [
            unit("cm", K.COMMUNITY, None),
            unit("cp1", K.COMPOUND, "cm"),
            unit("mg1", K.MICRO_GRID, "cp1"),
            unit("cp2", K.COMPOUND, "cm"),
            unit("mg2", K.MICRO_GRID, "cp2"),
            unit("bd", K.BUILDING, "mg2"),
            unit("hh", K.HOUSEHOLD, "bd", households=1, residents=3),
        ]
    )
    organisations = Organisations(
        [
            Organisation(id="cm-pc", kind=OrgKind.PARTY_COMMITTEE, name_zh="社区党委", unit="cm"),
            # Yuanding: 小区党总支 → 微网格党支部
            Organisation(
                id="cp1-gb",
                kind=OrgKind.PARTY_GENERAL_BRANCH,
                name_zh="党总支",
                unit="cp1",
                parent="cm-pc",
            ),
            Organisation(
                id="mg1-b", kind=OrgKind.PARTY_BRANCH, name_zh="党支部", unit="mg1", parent="cp1-gb"
            ),
            # Wuwei: 小区党支部 → 网格党小组 → 党员中心户
            Organisation(
                id="cp2-b", kind=OrgKind.PARTY_BRANCH, name_zh="党支部", unit="cp2", parent="cm-pc"
            ),
            Organisation(
                id="mg2-g", kind=OrgKind.PARTY_GROUP, name_zh="党小组", unit="mg2", parent="cp2-b"
            ),
            Organisation(
                id="hh-pm",
                kind=OrgKind.PARTY_MEMBER_HOUSEHOLD,
                name_zh="中心户",
                unit="hh",
                parent="mg2-g",
            ),
        ]
    )
    findings = registry.check_grid(tree, "wuwei", organisations=organisations, on=ON)
    assert [f for f in findings if f.rule in {PARTY_COVERAGE, KIND_ORDER}] == []
