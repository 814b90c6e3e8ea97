"""District presets built from DOMAIN.md's figures: Chenghua (G2) and a Hefei-style district (G3).

A :class:`Preset` says how to build a district's unit tree and party organisations at a
``scale`` (1.0 is the documents' figures; tests use a few thousandths), which unit kind a
request is placed on, which unit kind stands for each rung of the request ladder
(``grid``, ``compound``, ``community``, ``subdistrict``), and how residents, workers and
volunteers behave (:class:`Behaviour`). Every behavioural figure is a **library default**:
the documents give no arrival rates, channel shares or delays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import attrs

from civicgrid.domain.organisations import Organisation, OrgKind
from civicgrid.domain.requests import Channel
from civicgrid.domain.units import Unit, UnitKind, UnitTree
from civicgrid.errors import InvalidData, Problem
from civicgrid.testing.districts import chenghua_organisations, chenghua_units

__all__ = [
    "CHENGHUA",
    "DEFAULT_CHANNELS",
    "HEFEI",
    "HEFEI_AREAS",
    "HEFEI_COMPOUNDS",
    "HEFEI_GRIDS",
    "PRESETS",
    "Behaviour",
    "Preset",
    "preset",
]


def _frozen(value: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(value))


DEFAULT_CHANNELS: Mapping[str, float] = MappingProxyType(
    {
        Channel.HOTLINE_12345.value: 0.45,
        Channel.RESIDENT_REPORT.value: 0.18,
        Channel.GRID_PATROL.value: 0.15,
        Channel.MINI_PROGRAM.value: 0.08,
        Channel.MICRO_WISH.value: 0.04,
        Channel.CITIZEN_OBSERVER.value: 0.04,
        Channel.BUILDING_PLATFORM.value: 0.03,
        Channel.SMART_SENSOR.value: 0.03,
    }
)
"""Library default: the share of requests by channel (the 12345 hotline carries most)."""

HOURLY: tuple[float, ...] = (
    *(0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 3.0, 3.0, 2.6),
    *(2.0, 2.2, 2.8, 3.0, 2.8, 2.5, 2.2, 2.4, 2.2, 1.6, 0.9, 0.4),
)
"""Library default: relative arrivals by hour of day (busy mornings and afternoons)."""

WEEKLY = (1.1, 1.05, 1.0, 1.0, 1.05, 0.85, 0.75)
"""Library default: relative arrivals Monday to Sunday (fewer at the weekend)."""


@attrs.frozen(kw_only=True)
class Behaviour:
    """How residents, workers and volunteers act: the simulation's declared distributions.

    A worker acts on a case after ``idle_minutes`` (uniform), but within a share drawn
    uniformly in ``[early, usual]`` of the time left on the case's earliest running
    deadline, except with probability ``late``, when the action comes after it (so the
    deadline breaches and the method's breach action runs). The resident rates within
    ``rating_hours`` (uniform); ``ratings`` are the shares of each verdict (an unsatisfied
    rating reopens the case once). Each day a volunteer patrols with probability
    ``patrol``, serves an hour or more with ``serve``, and redeems ``redeem_points`` when
    holding at least that many, with probability ``redeem``. Residents raise
    ``topics_per_thousand_year`` topics for deliberation, at a place unit in proportion to
    its residents, between 08:00 and 21:00.
    """

    requests_per_resident_year: float = 1.0
    channels: Mapping[str, float] = attrs.field(default=DEFAULT_CHANNELS, converter=_frozen)
    hourly: tuple[float, ...] = HOURLY
    weekly: tuple[float, ...] = WEEKLY
    early: float = 0.05
    usual: float = 0.7
    late: float = 0.03
    escalate: float = 0.02
    detour: float = 0.04
    withdraw: float = 0.005
    idle_minutes: tuple[float, float] = (30.0, 360.0)
    rating_hours: tuple[float, float] = (0.2, 24.0)
    ratings: tuple[tuple[str, float], ...] = (
        ("satisfied", 0.85),
        ("basically_satisfied", 0.09),
        ("unsatisfied", 0.06),
    )
    volunteers_per_thousand: float = 5.0
    patrol: float = 0.15
    serve: float = 0.05
    redeem: float = 0.05
    redeem_points: int = 10
    topics_per_thousand_year: float = 12.0
    """Topics residents raise for deliberation (议题), per 1,000 residents a year: library
    default, about one a month for a compound of 1,000 residents."""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        if not self.requests_per_resident_year > 0:
            problems.append(Problem("requests_per_resident_year", "must be > 0"))
        if not self.topics_per_thousand_year >= 0:
            problems.append(Problem("topics_per_thousand_year", "must be >= 0"))
        unknown = sorted(set(self.channels) - {c.value for c in Channel})
        if unknown:
            problems.append(Problem("channels", f"unknown channels {unknown}"))
        if not self.channels or any(w < 0 for w in self.channels.values()):
            problems.append(Problem("channels", "must give non-negative weights"))
        if len(self.hourly) != 24 or len(self.weekly) != 7:
            problems.append(Problem("hourly", "24 hourly and 7 weekly weights are needed"))
        problems.extend(
            Problem(name, "must be a probability in [0, 1]")
            for name in ("early", "usual", "late", "escalate", "detour", "withdraw")
            if not 0 <= getattr(self, name) <= 1
        )
        if problems:
            raise InvalidData("simulation behaviour", problems)


@attrs.frozen(kw_only=True)
class Preset:
    """A district to simulate: how to build it, where requests land, who acts at each rung."""

    key: str
    label_zh: str
    label_en: str
    source: str
    """The DOMAIN.md mechanism whose figures it uses (``G2``)."""
    build: Callable[[float], list[Unit]] = attrs.field(eq=False)
    """Return the units at a scale, parents before children."""
    organise: Callable[[UnitTree], list[Organisation]] = attrs.field(eq=False)
    """Return the party organisations of a tree the preset built."""
    places: frozenset[UnitKind]
    """The unit kinds requests are placed on (in proportion to their residents)."""
    rungs: Mapping[str, frozenset[UnitKind]]
    """For each ladder level, the unit kinds whose worker acts at it (nearest at or above)."""
    behaviour: Behaviour = Behaviour()


def _chenghua_units(scale: float) -> list[Unit]:
    return chenghua_units(down_to=UnitKind.MICRO_GRID, scale=scale)


def _chenghua_orgs(tree: UnitTree) -> list[Organisation]:
    return list(chenghua_organisations(tree))


CHENGHUA = Preset(
    key="chenghua",
    label_zh="成都市成华区",
    label_en="Chenghua district, Chengdu",
    source="G2",
    build=_chenghua_units,
    organise=_chenghua_orgs,
    places=frozenset({UnitKind.MICRO_GRID}),
    rungs=MappingProxyType(
        {
            "grid": frozenset({UnitKind.MICRO_GRID}),
            "compound": frozenset({UnitKind.COMPOUND}),
            "community": frozenset({UnitKind.COMMUNITY, UnitKind.VILLAGE}),
            "subdistrict": frozenset({UnitKind.SUBDISTRICT}),
        }
    ),
)
"""Chenghua's "3+1" grid (G2) down to its 6283 micro grids, 1.48 M residents; each micro
grid has its worker (7820 micro-grid workers in the documents), each compound, community
and subdistrict its own."""

HEFEI_COMPOUNDS = 4700
"""G3: Hefei's 4700-odd compounds."""
HEFEI_GRIDS = 3800
"""G3: 3800-odd compound or area party organisations, one grid each (一小区一网格)."""
HEFEI_AREAS = 700
"""Library choice: of the 3800 grids, 700 are 片区 merging the 1600 open compounds and lone
buildings (so 3100 grids are single compounds)."""
_AREA_HOUSEHOLDS = 500
"""G3: an area (片区) holds about 500 households."""
_COMPOUND_HOUSEHOLDS = 300
"""Library choice: households of a compound that is its own grid."""
_RESIDENTS_PER_HOUSEHOLD = (14, 5)
"""Library choice: 2.8 residents a household (14 for every 5 households)."""
_GRIDS_PER_COMMUNITY = 10
_COMMUNITIES_PER_SUBDISTRICT = 10


def _hefei_units(scale: float) -> list[Unit]:
    if not 0.001 <= scale <= 4:
        raise InvalidData("Hefei-style district", [Problem("scale", "must lie in [0.001, 4]")])
    grids = max(1, round(HEFEI_GRIDS * scale))
    areas = min(grids - 1, round(HEFEI_AREAS * scale)) if grids > 1 else 0
    communities = max(1, -(-grids // _GRIDS_PER_COMMUNITY))
    subdistricts = max(1, -(-communities // _COMMUNITIES_PER_SUBDISTRICT))
    units = [Unit(id="hefei", kind=UnitKind.DISTRICT, name_zh="合肥式示范区", parent=None)]
    units += [
        Unit(id=f"sd{i:04d}", kind=UnitKind.SUBDISTRICT, name_zh=f"街道{i + 1}", parent="hefei")
        for i in range(subdistricts)
    ]
    units += [
        Unit(
            id=f"cm{i:05d}",
            kind=UnitKind.COMMUNITY,
            name_zh=f"社区{i + 1}",
            parent=f"sd{i * subdistricts // communities:04d}",
        )
        for i in range(communities)
    ]
    per, of = _RESIDENTS_PER_HOUSEHOLD
    for i in range(grids):
        area = i >= grids - areas
        households = _AREA_HOUSEHOLDS if area else _COMPOUND_HOUSEHOLDS
        units.append(
            Unit(
                id=f"{'ar' if area else 'cp'}{i:05d}",
                kind=UnitKind.AREA if area else UnitKind.COMPOUND,
                name_zh=f"片区{i + 1}" if area else f"小区{i + 1}",
                parent=f"cm{i * communities // grids:05d}",
                households=households,
                residents=households * per // of,
            )
        )
    return units


def _hefei_orgs(tree: UnitTree) -> list[Organisation]:
    orgs: list[Organisation] = []
    for unit in tree:
        if unit.kind is UnitKind.COMMUNITY:
            orgs.append(
                Organisation(
                    id=f"po-{unit.id}",
                    kind=OrgKind.PARTY_COMMITTEE,
                    name_zh=f"{unit.name_zh}党委",
                    unit=unit.id,
                )
            )
        elif unit.kind in {UnitKind.COMPOUND, UnitKind.AREA}:
            orgs.append(
                Organisation(
                    id=f"po-{unit.id}",
                    kind=OrgKind.PARTY_BRANCH,
                    name_zh=f"{unit.name_zh}党支部",
                    unit=unit.id,
                    parent=f"po-{unit.parent}",
                )
            )
    return orgs


HEFEI = Preset(
    key="hefei",
    label_zh="合肥式示范区（一小区一网格）",
    label_en="Hefei-style district (one compound, one grid)",
    source="G3",
    build=_hefei_units,
    organise=_hefei_orgs,
    places=frozenset({UnitKind.COMPOUND, UnitKind.AREA}),
    rungs=MappingProxyType(
        {
            "grid": frozenset({UnitKind.COMPOUND, UnitKind.AREA}),
            "compound": frozenset({UnitKind.COMPOUND, UnitKind.AREA}),
            "community": frozenset({UnitKind.COMMUNITY}),
            "subdistrict": frozenset({UnitKind.SUBDISTRICT}),
        }
    ),
)
"""Hefei's G3 figures as one district: 3800 grids (3100 compounds, 700 areas of about 500
households), each with its party branch; communities of ten grids and subdistricts of ten
communities are library choices. The compound's grid worker acts at both lowest rungs."""

PRESETS: Mapping[str, Preset] = MappingProxyType({p.key: p for p in (CHENGHUA, HEFEI)})
"""The built-in presets, by key."""


def preset(key: str) -> Preset:
    """Return the built-in preset ``key``, or raise :class:`InvalidData` listing them."""
    try:
        return PRESETS[key]
    except KeyError:
        known = ", ".join(PRESETS)
        problem = Problem("preset", f"{key!r} is not one of {known}")
        raise InvalidData("simulation", [problem]) from None
