"""Service facilities by radius and per 1,000 residents (DOMAIN.md G8, S5).

A :class:`FacilityKind` is data: labels, service radius, capacity unit, planning figures. The
built-in kinds are Wuhu's 宜邻中心 at two levels (G8, seed 000) and Chenghua's elderly and
child services (S5, seed 003), for which the documents give counts and places but no radius.
:func:`coverage` answers the "15-minute life circle" question (which households lie within
reach of a facility, which lie outside every radius, which have no coordinates);
:func:`per_thousand` gives capacity per 1,000 residents for every unit.

Distances are great-circle distances (:func:`civicgrid.domain.geo.distance_m`, haversine on
the IUGG mean Earth radius; within about 0.5 % of the WGS-84 ellipsoid).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs

from civicgrid.domain.findings import Finding, Severity
from civicgrid.domain.geo import CellIndex, check_position, is_number
from civicgrid.domain.units import Unit, UnitKind, UnitTree
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "CHILDCARE_CENTRE",
    "DAY_CARE_CENTRE",
    "ELDERLY_CARE_COMPLEX",
    "ELDERLY_MEAL_POINT",
    "ELDERLY_SERVICE_POINT",
    "FACILITY_KINDS",
    "YILIN_COMMUNITY",
    "YILIN_SUBDISTRICT",
    "Coverage",
    "CoverageGroup",
    "Facility",
    "FacilityKind",
    "coverage",
    "facility_counts",
    "per_thousand",
]


def _is_span(value: object) -> bool:
    """Whether ``value`` is a pair (low, high) of numbers with 0 <= low <= high."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(is_number(v) for v in value)
        and 0 <= value[0] <= value[1]
    )


# --------------------------------------------------------------------------- kinds


@attrs.frozen(kw_only=True)
class FacilityKind:
    """A kind of service facility: labels, service radius, capacity unit, planning figures.

    ``radius_m`` is the service radius in metres (``None`` where the documents give none:
    :func:`coverage` then refuses the kind; give one with ``attrs.evolve``). ``capacity_unit``
    names what :attr:`Facility.capacity` counts (``places``, ``m²``). ``floor_area_m2`` and
    ``population`` are the planning ranges (low, high) the documents set, kept as data.
    """

    key: str
    label_zh: str
    label_en: str
    radius_m: float | None = None
    capacity_unit: str | None = None
    capacity_unit_zh: str | None = None
    floor_area_m2: tuple[int, int] | None = None
    population: tuple[int, int] | None = None
    source: str = ""
    """Where the kind comes from (DOMAIN.md id and seed file, e.g. ``G8, 000``)."""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("key", "label_zh", "label_en"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(field, "must be a non-empty string"))
        radius: object = self.radius_m
        if radius is not None and not (is_number(radius) and radius > 0):
            problems.append(Problem("radius_m", f"must be a number of metres > 0, not {radius!r}"))
        if (self.capacity_unit is None) != (self.capacity_unit_zh is None):
            problems.append(Problem("capacity_unit_zh", "give the capacity unit in both languages"))
        for field in ("floor_area_m2", "population"):
            span: object = getattr(self, field)
            if span is not None and not _is_span(span):
                problems.append(Problem(field, f"must be a (low, high) pair >= 0, not {span!r}"))
        if problems:
            raise InvalidData(f"facility kind {self.key!r}", problems)


YILIN_SUBDISTRICT = FacilityKind(
    key="yilin_subdistrict",
    label_zh="街道级宜邻中心",
    label_en="subdistrict neighbourhood centre",
    radius_m=1500,
    capacity_unit="m²",
    capacity_unit_zh="平方米",
    floor_area_m2=(50_000, 60_000),
    population=(80_000, 100_000),
    source="G8, 000",
)
YILIN_COMMUNITY = FacilityKind(
    key="yilin_community",
    label_zh="社区级宜邻中心",
    label_en="community neighbourhood centre",
    radius_m=500,
    capacity_unit="m²",
    capacity_unit_zh="平方米",
    floor_area_m2=(20_000, 30_000),
    population=(15_000, 30_000),
    source="G8, 000",
)
ELDERLY_CARE_COMPLEX = FacilityKind(
    key="elderly_care_complex",
    label_zh="社区养老服务综合体",
    label_en="community elderly-care complex",
    source="S5, 003",
)
DAY_CARE_CENTRE = FacilityKind(
    key="day_care_centre", label_zh="日间照料中心", label_en="day-care centre", source="S5, 003"
)
ELDERLY_SERVICE_POINT = FacilityKind(
    key="elderly_service_point",
    label_zh="小区院落嵌入式为老服务点",
    label_en="embedded elderly service point",
    source="S5, 003",
)
ELDERLY_MEAL_POINT = FacilityKind(
    key="elderly_meal_point", label_zh="老年助餐点", label_en="elderly meal point", source="S5, 003"
)
CHILDCARE_CENTRE = FacilityKind(
    key="childcare_centre",
    label_zh="托育服务机构",
    label_en="childcare centre",
    capacity_unit="places",
    capacity_unit_zh="托位",
    source="S5, 003",
)

FACILITY_KINDS: Mapping[str, FacilityKind] = MappingProxyType(
    {
        k.key: k
        for k in (
            YILIN_SUBDISTRICT,
            YILIN_COMMUNITY,
            ELDERLY_CARE_COMPLEX,
            DAY_CARE_CENTRE,
            ELDERLY_SERVICE_POINT,
            ELDERLY_MEAL_POINT,
            CHILDCARE_CENTRE,
        )
    }
)
"""The built-in facility kinds by key."""


# --------------------------------------------------------------------------- facilities


@attrs.frozen(kw_only=True)
class Facility:
    """One facility: its kind, the unit it belongs to, where it stands, what it holds.

    Coordinates are WGS-84 degrees, both or neither; a facility without them stands at its
    unit's coordinates, or the nearest ancestor's that has some. ``capacity`` counts the
    kind's :attr:`FacilityKind.capacity_unit` (childcare places, m² of floor area).
    """

    id: str
    kind: FacilityKind
    unit: str
    name_zh: str
    name_en: str = ""
    longitude: float | None = None
    latitude: float | None = None
    capacity: float | None = None

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("id", "unit", "name_zh"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(field, "must be a non-empty string"))
        kind: object = self.kind
        if not isinstance(kind, FacilityKind):
            problems.append(Problem("kind", f"must be a FacilityKind, not {kind!r}"))
        check_position(self.longitude, self.latitude, problems)
        capacity: object = self.capacity
        if capacity is not None and not (is_number(capacity) and capacity >= 0):
            problems.append(Problem("capacity", f"must be a number >= 0, not {capacity!r}"))
        if problems:
            raise InvalidData(f"facility {self.id!r}", problems)


def _check_facilities(tree: UnitTree, facilities: Iterable[Facility]) -> list[Facility]:
    """Return the facilities as a list; raise InvalidData naming each bad one."""
    items = list(facilities)
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        facility: object = item
        if not isinstance(facility, Facility):
            problems.append(Problem(f"facilities[{i}]", f"not a Facility: {facility!r}"))
            continue
        seen = first.setdefault(facility.id, i)
        if seen != i:
            problems.append(
                Problem(f"facilities[{i}].id", f"duplicate id {facility.id!r} (first at [{seen}])")
            )
        if facility.unit not in tree:
            problems.append(Problem(f"facilities[{i}].unit", f"unknown unit {facility.unit!r}"))
    if problems:
        raise InvalidData("facilities", problems)
    return items


# --------------------------------------------------------------------------- coverage


@attrs.frozen(kw_only=True)
class CoverageGroup:
    """Some units of a coverage result, with their households and residents."""

    units: tuple[str, ...] = ()
    households: int = 0
    residents: int = 0


@attrs.frozen(kw_only=True)
class Coverage:
    """What :func:`coverage` found for one facility kind.

    ``covered`` lie within the radius of at least one facility, ``outside`` lie outside every
    radius (the gap in the 15-minute life circle), ``unlocated`` have no coordinates on
    themselves or any unit above.
    """

    kind: FacilityKind
    level: UnitKind
    covered: CoverageGroup
    outside: CoverageGroup
    unlocated: CoverageGroup

    @property
    def share(self) -> float | None:
        """Covered households over located households (``None`` when none are located)."""
        located = self.covered.households + self.outside.households
        return self.covered.households / located if located else None

    def findings(self, tree: UnitTree, *, by: UnitKind = UnitKind.COMMUNITY) -> tuple[Finding, ...]:
        """Summarise the gaps as warnings, one per unit of kind ``by`` (communities by default).

        ``facilities.outside_radius`` counts the households outside every radius,
        ``facilities.unlocated`` those without coordinates; a unit with no ancestor of kind
        ``by`` counts under the root.
        """
        kind, radius = self.kind, f"{self.kind.radius_m:g}"
        gaps = (
            (
                "facilities.outside_radius",
                self.outside,
                f"outside every {radius} m radius of a {kind.label_en}",
                f"位于所有{kind.label_zh}服务半径 {radius} 米之外",
            ),
            ("facilities.unlocated", self.unlocated, "without coordinates", "无坐标"),
        )
        return tuple(
            Finding(
                rule=rule,
                severity=Severity.WARNING,
                unit=unit_id,
                value=h,
                message_en=f"{h} households ({r} residents) {en}",
                message_zh=f"{h} 户（{r} 人）{zh}",
            )
            for rule, group, en, zh in gaps
            for unit_id, (h, r) in _group_by(tree, group.units, by).items()
        )


def _counts(tree: UnitTree, unit: Unit) -> tuple[int, int]:
    """Return a unit's households and residents; a household unit is one household."""
    households = 1 if unit.kind is UnitKind.HOUSEHOLD else tree.households(unit.id)
    return households, tree.residents(unit.id)


def _group_by(tree: UnitTree, ids: Iterable[str], by: UnitKind) -> dict[str, tuple[int, int]]:
    groups: dict[str, tuple[int, int]] = {}
    root = tree.root.id
    for unit_id in ids:
        unit = tree.unit(unit_id)
        owner = unit if unit.kind is by else tree.above(unit_id, by)
        key = root if owner is None else owner.id
        households, residents = _counts(tree, unit)
        h, r = groups.get(key, (0, 0))
        groups[key] = (h + households, r + residents)
    return groups


def _position(
    tree: UnitTree, unit_id: str, cache: dict[str, tuple[float, float] | None]
) -> tuple[float, float] | None:
    """Return the unit's coordinates, else its nearest ancestor's; ``None`` if none has any."""
    walked: list[str] = []
    found: tuple[float, float] | None = None
    current: str | None = unit_id
    while current is not None:
        if current in cache:
            found = cache[current]
            break
        walked.append(current)
        unit = tree.unit(current)
        if unit.longitude is not None and unit.latitude is not None:
            found = (unit.longitude, unit.latitude)
            break
        current = unit.parent
    for step in walked:
        cache[step] = found
    return found


def coverage(
    tree: UnitTree,
    facilities: Iterable[Facility],
    kind: FacilityKind,
    *,
    within: str | None = None,
    level: UnitKind = UnitKind.HOUSEHOLD,
) -> Coverage:
    """Find which units of ``level`` (households) lie within reach of a facility of ``kind``.

    Only units at or below ``within`` (the root by default) are measured; facilities anywhere
    in the tree count, since a centre over a boundary still serves. A unit without its own
    coordinates takes its nearest ancestor's (a household its building's); one with none on
    the whole chain is reported as unlocated, never dropped. A unit at exactly the radius is
    covered. Facilities are matched to ``kind`` by key, so a built-in kind given a radius
    with ``attrs.evolve`` still matches. A household unit counts as one household whatever its
    figure; other levels count their roll-ups.

    Raises :class:`~civicgrid.errors.InvalidData` for a kind without a radius and for bad
    facilities (duplicate ids, unknown units, no coordinates on the facility or any unit above
    it: a centre that cannot be placed would turn covered households into false gaps), and
    :class:`~civicgrid.domain.units.UnknownUnit` for an unknown ``within``.
    """
    if kind.radius_m is None:
        raise InvalidData(
            f"facility kind {kind.key!r}",
            [Problem("radius_m", "coverage needs a service radius; give one with attrs.evolve")],
        )
    items = _check_facilities(tree, facilities)
    top = tree.unit(within if within is not None else tree.root.id)
    cache: dict[str, tuple[float, float] | None] = {}
    problems: list[Problem] = []
    points: list[tuple[float, float]] = []
    for i, facility in enumerate(items):
        if facility.kind.key != kind.key:
            continue
        if facility.longitude is not None and facility.latitude is not None:
            points.append((facility.longitude, facility.latitude))
        elif (place := _position(tree, facility.unit, cache)) is not None:
            points.append(place)
        else:
            problems.append(Problem(f"facilities[{i}]", f"{facility.id!r}: no coordinates"))
    if problems:
        raise InvalidData("facilities", problems)
    index = CellIndex(points, kind.radius_m)
    answers: dict[tuple[float, float], bool] = {}  # households share their building's point
    found: dict[str, list[Unit]] = {"covered": [], "outside": [], "unlocated": []}
    for unit in ([top] if top.kind is level else []) + list(tree.descendants(top.id, level)):
        place = _position(tree, unit.id, cache)
        if place is None:
            found["unlocated"].append(unit)
            continue
        hit = answers.get(place)
        if hit is None:
            hit = answers[place] = index.covers(*place)
        found["covered" if hit else "outside"].append(unit)
    return Coverage(
        kind=kind,
        level=level,
        covered=_group(tree, found["covered"]),
        outside=_group(tree, found["outside"]),
        unlocated=_group(tree, found["unlocated"]),
    )


def _group(tree: UnitTree, units: list[Unit]) -> CoverageGroup:
    households = residents = 0
    for unit in units:
        h, r = _counts(tree, unit)
        households += h
        residents += r
    return CoverageGroup(
        units=tuple([u.id for u in units]), households=households, residents=residents
    )


# --------------------------------------------------------------------------- per 1,000


def facility_counts(
    tree: UnitTree, facilities: Iterable[Facility], kind: FacilityKind
) -> dict[str, float]:
    """Return how many facilities of ``kind`` each unit has, itself and below (S5's counts)."""
    return tree.sum_up(_own(tree, facilities, kind, capacity=False))


def per_thousand(
    tree: UnitTree, facilities: Iterable[Facility], kind: FacilityKind
) -> dict[str, float | None]:
    """Return capacity of ``kind`` per 1,000 residents for every unit (S5: childcare places).

    Each facility's capacity counts at its unit and every unit above (:meth:`UnitTree.sum_up`);
    residents are :meth:`UnitTree.residents`. A unit with no residents gets ``None``. A
    facility of the kind without a capacity raises :class:`~civicgrid.errors.InvalidData`,
    since counting it as zero would understate the figure.
    """
    totals = tree.sum_up(_own(tree, facilities, kind, capacity=True))
    return {
        unit_id: value * 1000 / residents if (residents := tree.residents(unit_id)) else None
        for unit_id, value in totals.items()
    }


def _own(
    tree: UnitTree, facilities: Iterable[Facility], kind: FacilityKind, *, capacity: bool
) -> dict[str, float]:
    """Sum each unit's own facilities of ``kind``: their capacity, or 1 each."""
    own: dict[str, float] = {}
    problems: list[Problem] = []
    for i, facility in enumerate(_check_facilities(tree, facilities)):
        if facility.kind.key != kind.key:
            continue
        value = facility.capacity if capacity else 1
        if value is None:
            problems.append(Problem(f"facilities[{i}].capacity", "needed per 1,000, not given"))
        else:
            own[facility.unit] = own.get(facility.unit, 0) + value
    if problems:
        raise InvalidData("facilities", problems)
    return own
