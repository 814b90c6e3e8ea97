"""Service facilities by radius and per 1,000 residents (DOMAIN.md G8, S5)."""

from __future__ import annotations

import math
from typing import Any

import attrs
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from civicgrid.domain.facilities import (
    CHILDCARE_CENTRE,
    DAY_CARE_CENTRE,
    ELDERLY_CARE_COMPLEX,
    ELDERLY_MEAL_POINT,
    ELDERLY_SERVICE_POINT,
    FACILITY_KINDS,
    YILIN_COMMUNITY,
    YILIN_SUBDISTRICT,
    Facility,
    FacilityKind,
    coverage,
    facility_counts,
    per_thousand,
)
from civicgrid.domain.findings import Severity
from civicgrid.domain.geo import EARTH_RADIUS_M, distance_m
from civicgrid.domain.units import Unit, UnitKind, UnitTree, UnknownUnit
from civicgrid.errors import CivicGridError, InvalidData

K = UnitKind
R = EARTH_RADIUS_M

# Tianfu Square (天府广场) and Chunxi Road (春熙路) in central Chengdu, WGS-84 degrees.
TIANFU_SQUARE = (104.06576, 30.65754)
CHUNXI_ROAD = (104.07813, 30.65367)


def reference_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance by the Vincenty special case for a sphere (atan2 form)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.hypot(
        math.cos(p2) * math.sin(dl),
        math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl),
    )
    x = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return R * math.atan2(y, x)


def north_of(lat: float, metres: float) -> float:
    """The latitude ``metres`` due north along a meridian (exact on the sphere)."""
    return lat + math.degrees(metres / R)


def east_of(lon: float, lat: float, metres: float) -> float:
    """The longitude at great-circle distance ``metres`` due east on the same parallel."""
    return lon + math.degrees(2 * math.asin(math.sin(metres / R / 2) / math.cos(math.radians(lat))))


def unit(unit_id: str, kind: UnitKind, parent: str | None, **fields: Any) -> Unit:
    """Make a unit named after its id."""
    return Unit(id=unit_id, kind=kind, name_zh=unit_id, parent=parent, **fields)


def facility(
    facility_id: str, unit_id: str, kind: FacilityKind = YILIN_COMMUNITY, **kw: Any
) -> Facility:
    """Make a facility named after its id."""
    return Facility(id=facility_id, kind=kind, unit=unit_id, name_zh=facility_id, **kw)


def households_at(points: dict[str, tuple[float, float]]) -> UnitTree:
    """A district → community → one household per point, each with 2 residents."""
    return UnitTree(
        [
            unit("d", K.DISTRICT, None),
            unit("c", K.COMMUNITY, "d"),
            *(
                unit(name, K.HOUSEHOLD, "c", households=1, residents=2, longitude=lon, latitude=lat)
                for name, (lon, lat) in points.items()
            ),
        ]
    )


# --------------------------------------------------------------------------- kinds


def test_the_built_in_kinds_carry_the_documents_figures() -> None:
    """G8's two 宜邻中心 levels keep their radius, floor area and population; S5's have none."""
    assert YILIN_SUBDISTRICT.radius_m == 1500
    assert YILIN_SUBDISTRICT.floor_area_m2 == (50_000, 60_000)
    assert YILIN_SUBDISTRICT.population == (80_000, 100_000)
    assert YILIN_COMMUNITY.radius_m == 500
    assert YILIN_COMMUNITY.floor_area_m2 == (20_000, 30_000)
    assert YILIN_COMMUNITY.population == (15_000, 30_000)
    assert YILIN_COMMUNITY.label_zh == "社区级宜邻中心"
    assert CHILDCARE_CENTRE.capacity_unit == "places"
    assert CHILDCARE_CENTRE.capacity_unit_zh == "托位"
    s5 = (ELDERLY_CARE_COMPLEX, DAY_CARE_CENTRE, ELDERLY_SERVICE_POINT, ELDERLY_MEAL_POINT)
    assert all(k.radius_m is None for k in s5)
    assert set(FACILITY_KINDS) == {
        k.key for k in (*s5, CHILDCARE_CENTRE, YILIN_COMMUNITY, YILIN_SUBDISTRICT)
    }
    assert all(k.label_zh and k.label_en for k in FACILITY_KINDS.values())


@pytest.mark.parametrize("radius", [-1, 0, math.nan, math.inf, True, "500"])
def test_a_radius_that_is_not_a_positive_number_is_refused(radius: object) -> None:
    """A negative, zero, non-finite or non-numeric radius names the field."""
    with pytest.raises(InvalidData) as refused:
        FacilityKind(key="k", label_zh="站", label_en="post", radius_m=radius)  # type: ignore[arg-type]
    assert [p.path for p in refused.value.problems] == ["radius_m"]


def test_every_problem_with_a_kind_is_reported_at_once() -> None:
    """Empty labels, a half-given capacity unit and a reversed range are all listed."""
    with pytest.raises(InvalidData) as refused:
        FacilityKind(
            key="",
            label_zh="",
            label_en="x",
            capacity_unit="places",
            floor_area_m2=(30_000, 20_000),
            population=(-1, 5),
        )
    paths = {p.path for p in refused.value.problems}
    assert paths == {"key", "label_zh", "capacity_unit_zh", "floor_area_m2", "population"}


# --------------------------------------------------------------------------- facilities


def test_a_latitude_of_91_is_refused_with_the_field_named() -> None:
    """Latitude 91 is out of range; the error says which field and is a ValueError."""
    with pytest.raises(InvalidData) as refused:
        facility("f", "c", longitude=104.0, latitude=91)
    assert [p.path for p in refused.value.problems] == ["latitude"]
    assert isinstance(refused.value, ValueError)
    assert isinstance(refused.value, CivicGridError)
    assert refused.value.message_zh


def test_every_problem_with_a_facility_is_reported_at_once() -> None:
    """A missing id, a longitude without latitude and a negative capacity come together."""
    with pytest.raises(InvalidData) as refused:
        Facility(id="", kind="yilin", unit="c", name_zh="中心", longitude=181, capacity=-5)  # type: ignore[arg-type]
    assert {p.path for p in refused.value.problems} == {
        "id",
        "kind",
        "longitude",
        "latitude",
        "capacity",
    }


# --------------------------------------------------------------------------- distance


def test_tianfu_square_to_chunxi_road_is_about_a_kilometre() -> None:
    """The haversine distance agrees with the reference formula within a metre."""
    got = distance_m(*TIANFU_SQUARE, *CHUNXI_ROAD)
    assert got == pytest.approx(reference_m(*TIANFU_SQUARE, *CHUNXI_ROAD), abs=1.0)
    assert 1_000 < got < 1_500


def test_chengdu_to_beijing_matches_the_reference_within_a_metre() -> None:
    """A long distance (about 1,500 km) agrees with the reference too."""
    beijing = (116.39748, 39.90882)
    got = distance_m(*TIANFU_SQUARE, *beijing)
    assert got == pytest.approx(reference_m(*TIANFU_SQUARE, *beijing), abs=1.0)
    assert 1_500_000 < got < 1_550_000


def test_one_degree_on_the_equator_is_a_360th_of_the_circumference() -> None:
    """On the mean-radius sphere one degree of longitude at the equator is 2πR/360."""
    assert distance_m(0, 0, 1, 0) == pytest.approx(2 * math.pi * R / 360, abs=1e-6)
    assert distance_m(0, 0, 1, 0) == pytest.approx(111_195.08, abs=0.01)


def test_the_distance_across_the_antimeridian_is_the_short_way_round() -> None:
    """179.5° E to 179.5° W is one degree, not 359."""
    assert distance_m(179.5, 0, -179.5, 0) == pytest.approx(2 * math.pi * R / 360, abs=1e-6)
    assert distance_m(180, 10, -180, 10) == pytest.approx(0, abs=1e-6)


def test_at_the_poles_longitude_does_not_matter() -> None:
    """Two points at a pole coincide; pole to pole is half the circumference."""
    assert distance_m(0, 90, 123, 90) == pytest.approx(0, abs=1e-6)
    assert distance_m(0, 89.5, 180, 89.5) == pytest.approx(2 * math.pi * R / 360, abs=1e-6)
    assert distance_m(0, 90, 0, -90) == pytest.approx(math.pi * R, abs=1e-6)


def test_a_distance_to_latitude_91_names_the_point_and_field() -> None:
    """Out-of-range coordinates in distance_m are reported, not wrapped round."""
    with pytest.raises(InvalidData) as refused:
        distance_m(0, 91, 200, 0)
    assert {p.path for p in refused.value.problems} == {"first.latitude", "second.longitude"}


longitudes = st.floats(min_value=-180, max_value=180)
latitudes = st.floats(min_value=-90, max_value=90)


@given(longitudes, latitudes, longitudes, latitudes)
def test_distance_matches_the_reference_and_is_symmetric(
    lon1: float, lat1: float, lon2: float, lat2: float
) -> None:
    """Anywhere on the globe: within a metre of the reference, symmetric, at most πR."""
    d = distance_m(lon1, lat1, lon2, lat2)
    assert d == pytest.approx(reference_m(lon1, lat1, lon2, lat2), abs=1.0)
    assert d == distance_m(lon2, lat2, lon1, lat1)
    assert 0 <= d <= math.pi * R + 1e-6


# --------------------------------------------------------------------------- coverage


@pytest.mark.parametrize("lat", [30.6, 0.0, -45.0, 75.0])
def test_points_just_inside_the_radius_are_covered_and_just_outside_are_not(lat: float) -> None:
    """One centimetre inside or outside the 500 m radius, due north and due east."""
    lon = 104.0
    tree = households_at(
        {
            "n_in": (lon, north_of(lat, 499.99)),
            "n_out": (lon, north_of(lat, 500.01)),
            "e_in": (east_of(lon, lat, 499.99), lat),
            "e_out": (east_of(lon, lat, 500.01), lat),
            "w_in": (east_of(lon, lat, -499.99), lat),
        }
    )
    result = coverage(tree, [facility("f", "c", longitude=lon, latitude=lat)], YILIN_COMMUNITY)
    assert set(result.covered.units) == {"n_in", "e_in", "w_in"}
    assert set(result.outside.units) == {"n_out", "e_out"}
    assert (result.covered.households, result.covered.residents) == (3, 6)
    assert (result.outside.households, result.outside.residents) == (2, 4)
    assert result.share == pytest.approx(3 / 5)


def test_a_facility_covers_households_across_the_antimeridian() -> None:
    """A centre at 179.9999° E reaches a household at 179.9999° W, 22 m away."""
    tree = households_at({"near": (-179.9999, 0.0), "far": (-179.99, 0.0)})
    result = coverage(tree, [facility("f", "c", longitude=179.9999, latitude=0.0)], YILIN_COMMUNITY)
    assert result.covered.units == ("near",)
    assert result.outside.units == ("far",)


@pytest.mark.parametrize("radius", [300, 500, 1500])
def test_every_facility_within_reach_across_the_antimeridian_is_found(radius: float) -> None:
    """Sites swept west of 180° reach homes just east of it, amid decoys along the equator.

    The decoys fill the latitude band, so the index must find the site by its wrapped column.
    """
    kind = attrs.evolve(YILIN_COMMUNITY, radius_m=radius)
    decoys = [facility(f"d{k}", "c", longitude=-170 + 11 * k, latitude=0.0) for k in range(30)]
    for i in range(1, 20):
        west = radius * i / 20
        site = facility("f", "c", longitude=east_of(180, 0, -west), latitude=0.0)
        homes = {
            f"h{j}": (east_of(-180, 0, (radius - west) * j / 5 - 0.01), 0.0) for j in range(1, 6)
        }
        result = coverage(households_at(homes), [site, *decoys], kind)
        assert result.outside.units == (), (radius, west)


def test_a_facility_near_the_pole_covers_the_far_side_of_it() -> None:
    """Near the pole the circle spans every longitude: 180° apart can be 220 m apart."""
    tree = households_at({"across": (180.0, 89.999), "side": (90.0, 89.999), "far": (0, 89.99)})
    result = coverage(tree, [facility("f", "c", longitude=0.0, latitude=89.999)], YILIN_COMMUNITY)
    assert set(result.covered.units) == {"across", "side"}
    assert result.outside.units == ("far",)


def test_a_household_without_coordinates_takes_the_nearest_ancestors() -> None:
    """Households stand at their building; a building without any coordinates above is unlocated."""
    lon, lat = TIANFU_SQUARE
    tree = UnitTree(
        [
            unit("d", K.DISTRICT, None),
            unit("c1", K.COMMUNITY, "d"),
            unit("b1", K.BUILDING, "c1", longitude=lon, latitude=north_of(lat, 300)),
            unit("h1", K.HOUSEHOLD, "b1", residents=3),
            unit("h2", K.HOUSEHOLD, "b1", residents=2),
            unit("b2", K.BUILDING, "c1", longitude=lon, latitude=north_of(lat, 900)),
            unit("h3", K.HOUSEHOLD, "b2", residents=4),
            unit("h4", K.HOUSEHOLD, "b2", residents=1, longitude=lon, latitude=north_of(lat, 100)),
            unit("c2", K.COMMUNITY, "d"),
            unit("b3", K.BUILDING, "c2"),
            unit("h5", K.HOUSEHOLD, "b3", residents=5),
        ]
    )
    result = coverage(tree, [facility("f", "c1", longitude=lon, latitude=lat)], YILIN_COMMUNITY)
    assert result.covered.units == ("h1", "h2", "h4")
    assert result.outside.units == ("h3",)
    assert result.unlocated.units == ("h5",)
    assert (result.unlocated.households, result.unlocated.residents) == (1, 5)
    findings = {(f.rule, f.unit): f for f in result.findings(tree)}
    assert set(findings) == {("facilities.outside_radius", "c1"), ("facilities.unlocated", "c2")}
    assert findings["facilities.outside_radius", "c1"].value == 1
    assert "500 米" in findings["facilities.outside_radius", "c1"].message_zh
    assert all(f.severity is Severity.WARNING for f in findings.values())


def test_a_facility_without_coordinates_stands_at_its_unit() -> None:
    """A centre recorded only by its community stands at the community's point."""
    lon, lat = TIANFU_SQUARE
    tree = UnitTree(
        [
            unit("d", K.DISTRICT, None),
            unit("c", K.COMMUNITY, "d", longitude=lon, latitude=lat),
            unit("h", K.HOUSEHOLD, "c", longitude=lon, latitude=north_of(lat, 400)),
            unit("x", K.COMMUNITY, "d"),
        ]
    )
    placed = coverage(tree, [facility("f", "c")], YILIN_COMMUNITY)
    assert placed.covered.units == ("h",)


def test_a_facility_that_cannot_be_placed_is_refused() -> None:
    """No coordinates on the centre or above it: an error naming it, not false gaps.

    A facility of another kind is not looked at, placed or not.
    """
    lon, lat = TIANFU_SQUARE
    tree = households_at({"h": (lon, lat)})
    with pytest.raises(InvalidData) as refused:
        coverage(tree, [facility("g", "c")], YILIN_COMMUNITY)
    assert [p.path for p in refused.value.problems] == ["facilities[0]"]
    assert "'g'" in str(refused.value)
    other = facility("m", "c", ELDERLY_MEAL_POINT)
    assert coverage(tree, [other], YILIN_COMMUNITY).outside.units == ("h",)


def test_coverage_counts_only_facilities_of_the_kind_matched_by_key() -> None:
    """A subdistrict centre does not count for the community kind; an evolved kind still matches."""
    lon, lat = TIANFU_SQUARE
    tree = households_at({"h": (lon, north_of(lat, 200))})
    big = facility("big", "c", YILIN_SUBDISTRICT, longitude=lon, latitude=lat)
    assert coverage(tree, [big], YILIN_COMMUNITY).outside.units == ("h",)
    assert coverage(tree, [big], YILIN_SUBDISTRICT).covered.units == ("h",)
    day_care = facility("dc", "c", DAY_CARE_CENTRE, longitude=lon, latitude=lat)
    with pytest.raises(InvalidData) as refused:
        coverage(tree, [day_care], DAY_CARE_CENTRE)
    assert [p.path for p in refused.value.problems] == ["radius_m"]
    walkable = attrs.evolve(DAY_CARE_CENTRE, radius_m=300)
    assert coverage(tree, [day_care], walkable).covered.units == ("h",)


def test_a_facility_on_an_unknown_unit_is_refused_with_its_index() -> None:
    """Unknown units and duplicate ids are named by position; nothing is computed."""
    tree = households_at({"h": TIANFU_SQUARE})
    facilities = [
        facility("f", "c", longitude=104.0, latitude=30.0),
        facility("f", "c", longitude=104.0, latitude=30.0),
        facility("g", "nowhere", longitude=104.0, latitude=30.0),
    ]
    with pytest.raises(InvalidData) as refused:
        coverage(tree, facilities, YILIN_COMMUNITY)
    assert {p.path for p in refused.value.problems} == {"facilities[1].id", "facilities[2].unit"}
    assert "nowhere" in str(refused.value)


def test_coverage_within_a_unit_measures_only_its_households() -> None:
    """``within`` limits the households measured, not the facilities that serve them."""
    lon, lat = TIANFU_SQUARE
    tree = UnitTree(
        [
            unit("d", K.DISTRICT, None),
            unit("c1", K.COMMUNITY, "d"),
            unit("h1", K.HOUSEHOLD, "c1", longitude=lon, latitude=lat),
            unit("c2", K.COMMUNITY, "d"),
            unit("h2", K.HOUSEHOLD, "c2", longitude=lon, latitude=north_of(lat, 100)),
        ]
    )
    across = [facility("f", "c1", longitude=lon, latitude=lat)]
    assert coverage(tree, across, YILIN_COMMUNITY, within="c2").covered.units == ("h2",)
    assert coverage(tree, across, YILIN_COMMUNITY, within="h1").covered.units == ("h1",)
    with pytest.raises(UnknownUnit):
        coverage(tree, across, YILIN_COMMUNITY, within="c9")


def test_coverage_at_building_level_counts_each_buildings_roll_up() -> None:
    """A tree surveyed to buildings is measured at ``level=BUILDING`` with their figures."""
    lon, lat = TIANFU_SQUARE
    tree = UnitTree(
        [
            unit("d", K.DISTRICT, None),
            unit("b1", K.BUILDING, "d", households=40, residents=110, longitude=lon, latitude=lat),
            unit("b2", K.BUILDING, "d", households=60, residents=150, longitude=lon, latitude=5.0),
        ]
    )
    result = coverage(
        tree, [facility("f", "d", longitude=lon, latitude=lat)], YILIN_COMMUNITY, level=K.BUILDING
    )
    assert (result.covered.households, result.covered.residents) == (40, 110)
    assert (result.outside.households, result.outside.residents) == (60, 150)
    [finding] = result.findings(tree)
    assert finding.unit == "d"  # no community above: counted under the root


def test_coverage_without_facilities_leaves_everyone_outside() -> None:
    """No facility of the kind: every located household is a gap; share is 0."""
    tree = households_at({"h": TIANFU_SQUARE})
    result = coverage(tree, [], YILIN_COMMUNITY)
    assert result.outside.units == ("h",)
    assert result.share == 0
    assert coverage(households_at({}), [], YILIN_COMMUNITY).share is None


def near(centre: tuple[float, float], spread: float) -> st.SearchStrategy[tuple[float, float]]:
    """Points within ``spread`` degrees of ``centre``, wrapped at ±180° and clipped at ±90°."""
    lon, lat = centre
    return st.tuples(
        st.floats(min_value=-spread, max_value=spread).map(lambda d: (lon + d + 180) % 360 - 180),
        st.floats(min_value=-spread, max_value=spread).map(lambda d: max(-90, min(90, lat + d))),
    )


@settings(max_examples=150, deadline=None)
@given(
    st.data(),
    st.sampled_from([(104.07, 30.66), (179.99, 0.0), (0.0, 89.98), (-60.0, -89.99), (0.0, 0.0)]),
    st.floats(min_value=50, max_value=5_000),
)
def test_coverage_agrees_with_checking_every_facility(
    data: st.DataObject, centre: tuple[float, float], radius: float
) -> None:
    """The cell prefilter never loses a facility: same answer as the brute-force haversine.

    Each site gets 20 decoys on its parallel, 17° of longitude apart, so that a latitude band
    holds more cells than a query scans and the column arithmetic (wrapping at ±180°, the
    width of the circle at that latitude) is what finds the site.
    """
    spread = max(radius / 40_000, 0.01)
    homes = data.draw(st.lists(near(centre, spread), min_size=1, max_size=25))
    drawn = data.draw(st.lists(near(centre, spread), max_size=8))
    sites = drawn + [
        ((lon + 17 * k + 180) % 360 - 180, lat) for lon, lat in drawn for k in range(1, 21)
    ]
    kind = attrs.evolve(YILIN_COMMUNITY, radius_m=radius)
    nearest = [min((distance_m(*h, *s) for s in sites), default=math.inf) for h in homes]
    assume(all(abs(d - radius) > 1e-6 for d in nearest))
    tree = households_at({f"h{i}": h for i, h in enumerate(homes)})
    facilities = [
        facility(f"f{i}", "c", longitude=s[0], latitude=s[1]) for i, s in enumerate(sites)
    ]
    result = coverage(tree, facilities, kind)
    assert set(result.covered.units) == {f"h{i}" for i, d in enumerate(nearest) if d <= radius}


# --------------------------------------------------------------------------- per 1,000


def chenghua_s5() -> tuple[UnitTree, list[Facility]]:
    """成华区 with 11 subdistricts and 1,375,502 residents; 46 childcare centres, 6,850 places.

    6,850 places over 1,375,502 residents is S5's 4.98 places per 1,000 people. The elderly
    services are spread over the subdistricts: 11 complexes, 36 day-care centres, 42 embedded
    points and 76 meal points.
    """
    units = [unit("chenghua", K.DISTRICT, None)]
    residents = [125_046] * 10 + [125_042]  # 1,375,502 in all
    for i, count in enumerate(residents):
        units.append(unit(f"sd{i}", K.SUBDISTRICT, "chenghua"))
        units.append(unit(f"cm{i}", K.COMMUNITY, f"sd{i}", residents=count))
    units.append(unit("empty", K.COMMUNITY, "sd0", residents=0))
    facilities: list[Facility] = []
    places = [150] * 45 + [100]  # 6,850 places in 46 centres
    facilities.extend(
        facility(f"cc{i}", f"cm{i % 11}", CHILDCARE_CENTRE, capacity=p)
        for i, p in enumerate(places)
    )
    for kind, count in (
        (ELDERLY_CARE_COMPLEX, 11),
        (DAY_CARE_CENTRE, 36),
        (ELDERLY_SERVICE_POINT, 42),
        (ELDERLY_MEAL_POINT, 76),
    ):
        facilities.extend(facility(f"{kind.key}{i}", f"cm{i % 11}", kind) for i in range(count))
    return UnitTree(units), facilities


def test_chenghua_has_4_98_childcare_places_per_thousand_people() -> None:
    """S5: 6,850 places for 1,375,502 residents is 4.98 per 1,000, rolled up from communities."""
    tree, facilities = chenghua_s5()
    figures = per_thousand(tree, facilities, CHILDCARE_CENTRE)
    assert figures["chenghua"] == pytest.approx(4.98, abs=5e-5)
    assert round(figures["chenghua"] or 0, 2) == 4.98
    # cm0 holds centres 0, 11, 22, 33, 44: 5 × 150 places for 125,046 residents.
    assert figures["cm0"] == pytest.approx(750 * 1000 / 125_046)
    assert figures["sd0"] == figures["cm0"]
    assert figures["empty"] is None


def test_chenghua_elderly_services_are_counted_up_the_tree() -> None:
    """S5's counts: 11 complexes, 36 day-care centres, 42 points, 76 meal points in the district."""
    tree, facilities = chenghua_s5()
    assert facility_counts(tree, facilities, ELDERLY_CARE_COMPLEX)["chenghua"] == 11
    assert facility_counts(tree, facilities, DAY_CARE_CENTRE)["chenghua"] == 36
    assert facility_counts(tree, facilities, ELDERLY_SERVICE_POINT)["chenghua"] == 42
    assert facility_counts(tree, facilities, ELDERLY_MEAL_POINT)["chenghua"] == 76
    assert facility_counts(tree, facilities, CHILDCARE_CENTRE)["chenghua"] == 46
    assert facility_counts(tree, facilities, DAY_CARE_CENTRE)["sd0"] == 4  # 0, 11, 22, 33


def test_a_per_thousand_figure_needs_every_capacity() -> None:
    """A childcare centre without places is refused rather than counted as zero."""
    tree, facilities = chenghua_s5()
    facilities.append(facility("blank", "cm3", CHILDCARE_CENTRE))
    with pytest.raises(InvalidData) as refused:
        per_thousand(tree, facilities, CHILDCARE_CENTRE)
    assert [p.path for p in refused.value.problems] == [
        f"facilities[{len(facilities) - 1}].capacity"
    ]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=50_000), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(min_value=0, max_value=5), st.integers(0, 500)), max_size=12),
)
def test_the_district_figure_is_total_capacity_over_total_residents(
    residents: list[int], centres: list[tuple[int, int]]
) -> None:
    """Whatever the spread, the root's figure is all places × 1000 over all residents."""
    units = [unit("d", K.DISTRICT, None)]
    units.extend(unit(f"c{i}", K.COMMUNITY, "d", residents=r) for i, r in enumerate(residents))
    facilities = [
        facility(f"f{i}", f"c{at % len(residents)}", CHILDCARE_CENTRE, capacity=places)
        for i, (at, places) in enumerate(centres)
    ]
    figure = per_thousand(UnitTree(units), facilities, CHILDCARE_CENTRE)["d"]
    total = sum(residents)
    if total == 0:
        assert figure is None
    else:
        assert figure == pytest.approx(sum(p for _, p in centres) * 1000 / total)
