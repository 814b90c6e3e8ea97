"""A Chenghua-sized district to test and measure with: its unit tree and party organisations.

:func:`chenghua_tree` builds a district with the figures of Chengdu's Chenghua district
(DOMAIN.md G2, G6): 11 subdistricts, 81 communities and 2 villages, one total grid each (83),
995 general grids, 1299 compounds, 6283 micro grids, 516 dedicated grids, 15,800 buildings,
1.48 M residents, and enough households to make 500,000 units in all. The units nest the way
the figures do under Chengdu's "3+1" scheme (``chengdu_3plus1``)::

    成华区 → 街道 (11) → 社区/村 (83) → 总网格 (83) → 一般网格 (995) → 小区 (1299)
           → 微网格 (6283) → 楼栋 (15,800) → 单元 (4 a building) → 户 (411,729)
    社区/村 → 专属网格 (516)

Each level is spread evenly over the one above (child ``i`` of ``n`` under parent
``i * p // n``), so every general grid holds one or two compounds and every micro grid two or
three buildings. Households spread evenly over the stairwell units; residents are three or
four to a household, the fours spaced evenly from a start the seed chooses (the seed also
places the buildings within Chenghua's bounds). ``down_to`` stops the tree at a level:
its units then carry the households and residents that would lie below them, so every
roll-up is the same at any depth, and a tree down to buildings (25,071 units) checks in a
fraction of a second where the full one (500,000) takes seconds to build.

:func:`chenghua_organisations` adds the party organisations of O3: a party committee for each
community and village, 975 grid party organisations on general grids and 2125 micro-grid
party groups. Everything is deterministic: the same arguments give the same tree.

This module does not need pytest; the library's benchmark uses it too.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date

import attrs

from civicgrid.domain.organisations import Organisation, Organisations, OrgKind
from civicgrid.domain.units import Unit, UnitKind, UnitTree
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "BUILDINGS",
    "COMMUNITIES",
    "COMPOUNDS",
    "DEDICATED_GRIDS",
    "GENERAL_GRIDS",
    "GRID_PARTY_ORGANISATIONS",
    "MICRO_GRIDS",
    "MICRO_GRID_PARTY_GROUPS",
    "RESIDENTS",
    "SUBDISTRICTS",
    "TOTAL_GRIDS",
    "TOTAL_UNITS",
    "UNITS_PER_BUILDING",
    "VILLAGES",
    "chenghua_organisations",
    "chenghua_tree",
    "chenghua_units",
]

SUBDISTRICTS = 11
"""G6 (003): 11 subdistrict command posts."""
COMMUNITIES = 81
"""G2 (003): 81 communities (社区) …"""
VILLAGES = 2
"""… and 2 villages (村)."""
TOTAL_GRIDS = 83
"""G2: one total grid (总网格) per community or village."""
GENERAL_GRIDS = 995
"""G2: general grids (一般网格)."""
COMPOUNDS = 1299
"""G2: compounds and courtyards (小区/院落)."""
MICRO_GRIDS = 6283
"""G2: micro grids (微网格)."""
DEDICATED_GRIDS = 516
"""G2: dedicated grids (专属网格) for markets, parks, schools …"""
BUILDINGS = 15_800
"""G2, G6: "15,800-odd building and unit contact points" (15800余个楼栋单元联系点)."""
UNITS_PER_BUILDING = 4
"""Library choice: four stairwell units (单元) to a building; the documents give none."""
RESIDENTS = 1_480_000
"""G2: about 1.48 M residents."""
TOTAL_UNITS = 500_000
"""Library choice: households are added until the full tree has 500,000 units."""
GRID_PARTY_ORGANISATIONS = 975
"""O3 (003): grid party organisations (网格党组织)."""
MICRO_GRID_PARTY_GROUPS = 2125
"""O3 (003): micro-grid party groups (微网格党小组)."""

_LEVELS: tuple[tuple[UnitKind, str, int], ...] = (
    (UnitKind.SUBDISTRICT, "sd", SUBDISTRICTS),
    (UnitKind.COMMUNITY, "cm", COMMUNITIES + VILLAGES),
    (UnitKind.TOTAL_GRID, "tg", TOTAL_GRIDS),
    (UnitKind.GENERAL_GRID, "gg", GENERAL_GRIDS),
    (UnitKind.COMPOUND, "cp", COMPOUNDS),
    (UnitKind.MICRO_GRID, "mg", MICRO_GRIDS),
    (UnitKind.BUILDING, "bd", BUILDINGS),
    (UnitKind.UNIT, "un", BUILDINGS * UNITS_PER_BUILDING),
)
"""Each level, in order, hangs evenly under the one before it (the first under the root)."""

_DEPTHS: tuple[UnitKind, ...] = (
    UnitKind.DISTRICT,
    *(kind for kind, _, _ in _LEVELS),
    UnitKind.HOUSEHOLD,
)
"""The kinds ``down_to`` accepts, from the top down."""

_BBOX = (104.05, 104.20, 30.60, 30.75)
"""Roughly Chenghua: longitude and latitude ranges (WGS-84) for building coordinates."""


def _scaled(count: int, scale: float) -> int:
    return max(1, round(count * scale))


def _fold(child: Sequence[int], parents: int) -> list[int]:
    """Sum per-child figures into their parents: child ``i`` of ``n`` under ``i * p // n``."""
    folded = [0] * parents
    n = len(child)
    for i, value in enumerate(child):
        folded[i * parents // n] += value
    return folded


class _Spread:
    """Residents spread over households as evenly as whole numbers allow, from a seeded start.

    Each household holds ``base`` or ``base + 1`` residents; the ones holding one more are
    spaced evenly, the first placed by the seed. :meth:`residents` answers for any prefix of
    households in constant time, so figures for a stairwell, a building or a subdistrict
    never need the households themselves.
    """

    def __init__(self, households: int, residents: int, rng: random.Random) -> None:
        self.households = households
        self.base, self.extra = divmod(residents, households) if households else (0, 0)
        self.phase = rng.randrange(households) if households else 0

    def residents(self, n: int) -> int:
        """Return the residents of households ``0`` to ``n - 1``."""
        if not self.households:
            return 0
        return self.base * n + (n * self.extra + self.phase) // self.households


def _check(down_to: UnitKind, scale: float) -> None:
    problems: list[Problem] = []
    if down_to not in _DEPTHS:
        kinds = ", ".join(kind.value for kind in _DEPTHS)
        problems.append(Problem("down_to", f"must be one of {kinds}, not {down_to!r}"))
    value: object = scale  # callers may not follow the types
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0.001 <= value <= 4:
        problems.append(Problem("scale", f"must be a number in [0.001, 4], not {scale!r}"))
    if problems:
        raise InvalidData("Chenghua district", problems)


def chenghua_units(
    *, down_to: UnitKind = UnitKind.HOUSEHOLD, seed: int = 0, scale: float = 1.0
) -> list[Unit]:
    """Return the units of :func:`chenghua_tree`, every parent before its children.

    ``scale`` multiplies every figure (at least one of each level), for quicker, smaller
    districts of the same shape. Raises :class:`~civicgrid.errors.InvalidData` for a
    ``down_to`` that is not one of the district's levels or a scale outside [0.001, 4].
    """
    _check(down_to, scale)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    sizes = [_scaled(count, scale) for _, _, count in _LEVELS]
    dedicated = _scaled(DEDICATED_GRIDS, scale)
    households = max(0, _scaled(TOTAL_UNITS, scale) - 1 - sum(sizes) - dedicated)
    spread = _Spread(households, _scaled(RESIDENTS, scale), rng)
    depth = _DEPTHS.index(down_to)
    root = Unit(id="chenghua", kind=UnitKind.DISTRICT, name_zh="成华区", parent=None)
    if depth == 0:
        return [attrs.evolve(root, households=households, residents=spread.residents(households))]
    units = [root]
    # Figures for the lowest level kept: per stairwell unit, then folded up to that level.
    stairwells = sizes[-1]
    starts = [-(-s * households // stairwells) for s in range(stairwells + 1)]
    hh_counts = [starts[s + 1] - starts[s] for s in range(stairwells)]
    residents = [
        spread.residents(starts[s + 1]) - spread.residents(starts[s]) for s in range(stairwells)
    ]
    lowest = depth - 1
    for level in range(len(_LEVELS) - 2, lowest - 1, -1):
        hh_counts = _fold(hh_counts, sizes[level])
        residents = _fold(residents, sizes[level])

    above = ["chenghua"]
    communities: list[str] = []
    villages = _scaled(VILLAGES, scale)
    for level, (kind, prefix, _) in enumerate(_LEVELS[:depth]):
        n = sizes[level]
        ids = [f"{prefix}{i:06d}" for i in range(n)]
        for i, unit_id in enumerate(ids):
            unit_kind = kind
            if kind is UnitKind.COMMUNITY and i >= n - villages:
                unit_kind = UnitKind.VILLAGE
            longitude = latitude = None
            if kind is UnitKind.BUILDING:
                longitude, latitude = rng.uniform(*_BBOX[:2]), rng.uniform(*_BBOX[2:])
            figures = level == lowest
            units.append(
                Unit(
                    id=unit_id,
                    kind=unit_kind,
                    name_zh=f"{i + 1}栋"
                    if kind is UnitKind.BUILDING
                    else f"{unit_kind.label_zh}{i + 1}",
                    parent=above[i * len(above) // n],
                    households=hh_counts[i] if figures else None,
                    residents=residents[i] if figures else None,
                    longitude=longitude,
                    latitude=latitude,
                )
            )
        if kind is UnitKind.COMMUNITY:
            communities = ids
        elif kind is UnitKind.TOTAL_GRID:
            units.extend(
                Unit(
                    id=f"dg{i:06d}",
                    kind=UnitKind.DEDICATED_GRID,
                    name_zh=f"专属网格{i + 1}",
                    parent=communities[i * len(communities) // dedicated],
                )
                for i in range(dedicated)
            )
        above = ids
    if down_to is UnitKind.HOUSEHOLD:
        units.extend(
            Unit(
                id=f"hh{i:07d}",
                kind=UnitKind.HOUSEHOLD,
                name_zh=f"{i % 30 + 101}室",
                parent=above[i * len(above) // households],
                households=1,
                residents=spread.residents(i + 1) - spread.residents(i),
            )
            for i in range(households)
        )
    return units


def chenghua_tree(
    *, down_to: UnitKind = UnitKind.HOUSEHOLD, seed: int = 0, scale: float = 1.0
) -> UnitTree:
    """Return the Chenghua district as a :class:`~civicgrid.domain.units.UnitTree`.

    Down to households (the default) it has 500,000 units and takes a few seconds to build;
    ``down_to=UnitKind.BUILDING`` gives the same district in 25,071 units, its buildings
    carrying the households and residents below them. See :func:`chenghua_units`.
    """
    return UnitTree(chenghua_units(down_to=down_to, seed=seed, scale=scale))


def chenghua_organisations(tree: UnitTree, *, start: date | None = None) -> Organisations:
    """Return the party organisations of O3 for a tree made by :func:`chenghua_tree`.

    One party committee (社区党委/村党委) for each community and village; grid party
    organisations (party branches) on general grids, 975 for the full district's 995 (in
    proportion for a scaled one), spread evenly, so 20 general grids and every dedicated grid
    have none: the figures do not say where the 975 sit, and this is the reading that leaves
    dedicated grids (markets, schools) to their own units' organisations; micro-grid party
    groups on micro grids, 2125 of 6283, each under its general grid's organisation or, where
    that grid has none, under the community's. A level the tree does not reach gets none.
    Every organisation starts on ``start`` (``None``: always existed) and has no end.
    """
    committees: dict[str, str] = {}
    general: list[Unit] = []
    micro: list[Unit] = []
    orgs: list[Organisation] = []
    for unit in tree:
        if unit.kind in {UnitKind.COMMUNITY, UnitKind.VILLAGE}:
            org_id = f"po-{unit.id}"
            committees[unit.id] = org_id
            orgs.append(
                Organisation(
                    id=org_id,
                    kind=OrgKind.PARTY_COMMITTEE,
                    name_zh=f"{unit.name_zh}党委",
                    unit=unit.id,
                    start=start,
                )
            )
        elif unit.kind is UnitKind.GENERAL_GRID:
            general.append(unit)
        elif unit.kind is UnitKind.MICRO_GRID:
            micro.append(unit)
    grid_orgs: dict[str, str] = {}
    for unit in _spread(general, GRID_PARTY_ORGANISATIONS, GENERAL_GRIDS):
        org_id = f"po-{unit.id}"
        grid_orgs[unit.id] = org_id
        orgs.append(
            Organisation(
                id=org_id,
                kind=OrgKind.PARTY_BRANCH,
                name_zh=f"{unit.name_zh}党支部",
                unit=unit.id,
                parent=committees[_community_of(tree, unit.id)],
                start=start,
            )
        )
    for unit in _spread(micro, MICRO_GRID_PARTY_GROUPS, MICRO_GRIDS):
        grid = tree.above(unit.id, UnitKind.GENERAL_GRID)
        parent = grid_orgs.get(grid.id) if grid is not None else None
        orgs.append(
            Organisation(
                id=f"po-{unit.id}",
                kind=OrgKind.PARTY_GROUP,
                name_zh=f"{unit.name_zh}党小组",
                unit=unit.id,
                parent=parent or committees[_community_of(tree, unit.id)],
                start=start,
            )
        )
    return Organisations(orgs, source="chenghua_organisations")


def _spread(units: list[Unit], count: int, of: int) -> list[Unit]:
    """Pick ``count`` in ``of`` of ``units`` (scaled to their number), spread evenly."""
    n = min(len(units), round(len(units) * count / of))
    return [units[i * len(units) // n] for i in range(n)] if n else []


def _community_of(tree: UnitTree, unit_id: str) -> str:
    for unit in tree.ancestors(unit_id):
        if unit.kind in {UnitKind.COMMUNITY, UnitKind.VILLAGE}:
            return unit.id
    raise InvalidData(
        "Chenghua organisations", [Problem(unit_id, "no community or village above this unit")]
    )
