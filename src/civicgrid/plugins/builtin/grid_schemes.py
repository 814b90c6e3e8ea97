"""Built-in plugin ``civicgrid.grid_schemes``: the grid schemes of DOMAIN.md G2–G5 and G7.

Each scheme is a :class:`~civicgrid.domain.schemes.GridScheme`: which unit kinds it uses,
which kind may sit directly under which, and the figures a city sets (size limits, the
staffing floor, how many households one household leader holds). Every figure is a field: a
city that wants 600 households to an area or 20 workers per 10,000 residents registers
``attrs.evolve(ONE_COMPOUND_ONE_GRID, key="hefei", limits=[...])`` from its own plugin. The
constants below say where each figure comes from: a DOMAIN.md id and seed file, or a default
the library chose, with the reason.

The administrative levels above the grids (G1) are the same in every scheme: a tree may be
rooted at a city, district, subdistrict, community or village, so that one community's tree
is checked as readily as a whole district's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from civicgrid.domain.schemes import GridScheme, Measure, SizeLimit
from civicgrid.domain.units import UnitKind
from civicgrid.plugins.markers import hookimpl

__all__ = [
    "AREA_HOUSEHOLDS",
    "AREA_TOLERANCE",
    "BUILDING_GRID",
    "BUILDING_HOUSEHOLDS_MAX",
    "CHENGDU_3PLUS1",
    "GRID_RESIDENTS_MAX",
    "HOUSEHOLD_LEADER_MAX",
    "LINKED_HOUSEHOLDS",
    "MICRO_GRID_RESIDENTS_MAX",
    "ONE_COMPOUND_ONE_GRID",
    "TEN_HOUSEHOLDS",
    "WORKERS_PER_10K",
    "register_grid_schemes",
]

# --------------------------------------------------------------------------- figures

MICRO_GRID_RESIDENTS_MAX = 500
"""Library default for Chengdu's micro grids (G2, 003): the documents give no size, so the
library takes about twice Chenghua's mean (1.48 M residents / 6283 micro grids ≈ 236) and
warns above it; beyond that one micro-grid worker (7820 for 6283 micro grids) serves more
than twice what the district's own figures give them."""

AREA_HOUSEHOLDS = 500
"""G3 (000): Hefei merges open compounds and lone buildings into areas (片区) of "about 500
households" (每500户左右整合为一个片区)."""

AREA_TOLERANCE = 0.3
"""Library default: "about 500" read as ±30 %, 350–650 households. A building holds some
tens to a hundred households, so an area is made of whole buildings and cannot hit 500 to
the household; 30 % leaves room for one or two buildings either way."""

WORKERS_PER_10K = 18.0
"""G7 (000): no fewer than 18 community workers per 10,000 urban residents (Wuhu; all of
Anhui by the end of 2025), measured per community."""

LINKED_HOUSEHOLDS = 10
"""G4 (002): Guizhou's 一中心一网格十联户: one household leader (联户长) for "about ten"
linked households."""

HOUSEHOLD_LEADER_MAX = 15
"""Library default: "about ten" with a slack of five, so that one stairwell of a six-storey
walk-up (two households a floor, 12 in all) stays one group; from 16 households a second
household leader is asked for."""

GRID_RESIDENTS_MAX = 3000
"""Library default under G5 (002): "a grid easily holds 4,000–5,000 people, the grid worker
cannot cope" (一个网格动辄四五千人). The document names the size that fails, not one that
works; the library warns above 3,000, a quarter below the failing size and about twice a
Chenghua general grid (1.48 M residents / 995 general grids ≈ 1,490)."""

BUILDING_HOUSEHOLDS_MAX = 200
"""Library default for G5's building as the unit of service (选好一个人、管好一栋楼, 002):
one building leader should know every household. Chenghua's figures give about 94 residents,
some 30 households, per building (1.48 M / 15,800); a building of more than 200 households
(a tower block) is better split by stairwell (单元), so the library warns above it."""

# --------------------------------------------------------------------------- shared levels

_ADMIN_ROOTS = frozenset(
    {UnitKind.CITY, UnitKind.DISTRICT, UnitKind.SUBDISTRICT, UnitKind.COMMUNITY, UnitKind.VILLAGE}
)
"""G1: a tree may be rooted at any administrative level down to a community or village."""

_ADMIN_PARENTS: Mapping[UnitKind, Iterable[UnitKind]] = {
    UnitKind.DISTRICT: {UnitKind.CITY},
    UnitKind.SUBDISTRICT: {UnitKind.DISTRICT},
    UnitKind.COMMUNITY: {UnitKind.SUBDISTRICT},
    UnitKind.VILLAGE: {UnitKind.SUBDISTRICT},
}
"""G1: 市 → 区 → 街道 → 社区 / 村."""

_NEIGHBOURHOOD = frozenset({UnitKind.COMMUNITY, UnitKind.VILLAGE})

# --------------------------------------------------------------------------- schemes

CHENGDU_3PLUS1 = GridScheme(
    key="chengdu_3plus1",
    label_zh="成都“3+1”网格（社区总网格—一般网格—微网格+专属网格）",
    label_en='Chengdu "3+1" grids (total grid, general grid, micro grid, dedicated grid)',
    source="G2, O3, 003",
    description=(
        "Chenghua: each community (81) and village (2) is one total grid (83); total grids "
        "split into general grids (995), compounds (1299) sit in general grids, micro grids "
        "(6283) in compounds, buildings (~15,800) in micro grids; dedicated grids (516: "
        "markets, parks, schools) hang from the total grid or the community. Real data also "
        "has micro grids straight under a general grid (blocks without a compound), "
        "buildings straight under a compound, and households straight under a building "
        "(no stairwell units); all are allowed. The party chain is O3."
    ),
    root_kinds=_ADMIN_ROOTS,
    parents={
        **_ADMIN_PARENTS,
        UnitKind.TOTAL_GRID: _NEIGHBOURHOOD,
        UnitKind.GENERAL_GRID: {UnitKind.TOTAL_GRID},
        UnitKind.DEDICATED_GRID: {UnitKind.TOTAL_GRID, *_NEIGHBOURHOOD},
        UnitKind.COMPOUND: {UnitKind.GENERAL_GRID},
        UnitKind.COURTYARD: {UnitKind.GENERAL_GRID},
        UnitKind.MICRO_GRID: {UnitKind.COMPOUND, UnitKind.COURTYARD, UnitKind.GENERAL_GRID},
        UnitKind.BUILDING: {UnitKind.MICRO_GRID, UnitKind.COMPOUND, UnitKind.COURTYARD},
        UnitKind.UNIT: {UnitKind.BUILDING},
        UnitKind.HOUSEHOLD: {UnitKind.UNIT, UnitKind.BUILDING},
    },
    limits=[
        SizeLimit(
            kind=UnitKind.MICRO_GRID,
            measure=Measure.RESIDENTS,
            maximum=MICRO_GRID_RESIDENTS_MAX,
        )
    ],
    party_chain="chengdu_3plus1",
)
"""G2: Chengdu's 3+1 grids, as Chenghua's figures nest them."""

ONE_COMPOUND_ONE_GRID = GridScheme(
    key="one_compound_one_grid",
    label_zh="一小区一网格、一网格一组织",
    label_en="one compound, one grid, one party organisation",
    source="G3, G7, O2, 000",
    description=(
        "Hefei and Wuhu: each compound is one grid with one party organisation; open "
        "compounds and lone buildings are merged into areas (片区) of about 500 households, "
        "each with its own organisation. A compound inside an area shares the area's "
        "organisation. Communities are staffed at 18 community workers per 10,000 residents "
        "(G7, Anhui). The party chain is O2's three levels."
    ),
    root_kinds=_ADMIN_ROOTS,
    parents={
        **_ADMIN_PARENTS,
        UnitKind.AREA: _NEIGHBOURHOOD,
        UnitKind.COMPOUND: {*_NEIGHBOURHOOD, UnitKind.AREA},
        UnitKind.BUILDING: {UnitKind.COMPOUND, UnitKind.AREA},
        UnitKind.UNIT: {UnitKind.BUILDING},
        UnitKind.HOUSEHOLD: {UnitKind.UNIT, UnitKind.BUILDING},
    },
    limits=[
        SizeLimit(
            kind=UnitKind.AREA,
            measure=Measure.HOUSEHOLDS,
            minimum=round(AREA_HOUSEHOLDS * (1 - AREA_TOLERANCE)),
            maximum=round(AREA_HOUSEHOLDS * (1 + AREA_TOLERANCE)),
        )
    ],
    workers_per_10k=WORKERS_PER_10K,
    staffing_kind=UnitKind.COMMUNITY,
    party_chain="three_level",
)
"""G3 with G7's staffing floor and O2's chain."""

TEN_HOUSEHOLDS = GridScheme(
    key="ten_households",
    label_zh="一中心一网格十联户",
    label_en="one centre, one grid, ten linked households",
    source="G4, 002",
    description=(
        "Guizhou: each community (or village) has one service centre and is divided into "
        "grids; grids into buildings, and households into linked-household groups (联户) of "
        "about ten, each with a household leader (联户长). Village grids have no buildings: "
        "their groups sit straight under the grid; a group may also be one stairwell unit. "
        "The source names no staffing ratio and no party chain."
    ),
    root_kinds=_ADMIN_ROOTS,
    parents={
        **_ADMIN_PARENTS,
        UnitKind.GRID: _NEIGHBOURHOOD,
        UnitKind.BUILDING: {UnitKind.GRID},
        UnitKind.UNIT: {UnitKind.BUILDING},
        UnitKind.HOUSEHOLD_GROUP: {UnitKind.BUILDING, UnitKind.UNIT, UnitKind.GRID},
        UnitKind.HOUSEHOLD: {UnitKind.HOUSEHOLD_GROUP},
    },
    household_leader_max=HOUSEHOLD_LEADER_MAX,
)
"""G4: Guizhou's ten linked households under one household leader."""

BUILDING_GRID = GridScheme(
    key="building_grid",
    label_zh="治理单元从网格划小到楼栋",
    label_en="the unit of service shrunk from the grid to the building",
    source="G5, 002",
    description=(
        "Huichuan: grids of 4,000–5,000 people are more than a grid worker can serve, so the "
        "unit of service moves down to the building (五在楼栋工作法) with its building "
        "leader. Grids above 3,000 residents and buildings above 200 households are "
        "reported; linked-household groups may sit in a building or a stairwell."
    ),
    root_kinds=_ADMIN_ROOTS,
    parents={
        **_ADMIN_PARENTS,
        UnitKind.GRID: _NEIGHBOURHOOD,
        UnitKind.BUILDING: {UnitKind.GRID},
        UnitKind.UNIT: {UnitKind.BUILDING},
        UnitKind.HOUSEHOLD_GROUP: {UnitKind.BUILDING, UnitKind.UNIT},
        UnitKind.HOUSEHOLD: {UnitKind.BUILDING, UnitKind.UNIT, UnitKind.HOUSEHOLD_GROUP},
    },
    limits=[
        SizeLimit(kind=UnitKind.GRID, measure=Measure.RESIDENTS, maximum=GRID_RESIDENTS_MAX),
        SizeLimit(
            kind=UnitKind.BUILDING,
            measure=Measure.HOUSEHOLDS,
            maximum=BUILDING_HOUSEHOLDS_MAX,
        ),
    ],
)
"""G5: grids sized for one grid worker, the building as the unit of service."""


@hookimpl
def register_grid_schemes() -> list[GridScheme]:
    """Provide the schemes of G2, G3 (with G7), G4 and G5."""
    return [CHENGDU_3PLUS1, ONE_COMPOUND_ONE_GRID, TEN_HOUSEHOLDS, BUILDING_GRID]
