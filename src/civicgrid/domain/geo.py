"""Great-circle distance on WGS-84 coordinates, and a cell index for radius queries.

Distances use the haversine formula on a sphere of the IUGG mean Earth radius
(:data:`EARTH_RADIUS_M`, 6,371,008.8 m); against the WGS-84 ellipsoid this errs by at most
about 0.5 %, a few metres on a 1500 m radius. Used by facility coverage (G8) and by anything
else that asks "within how many metres".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TypeGuard

from civicgrid.errors import InvalidData, Problem

__all__ = ["EARTH_RADIUS_M", "CellIndex", "check_position", "distance_m", "is_number"]

EARTH_RADIUS_M = 6_371_008.8
"""The IUGG mean Earth radius R1 = (2a + b) / 3 of the WGS-84 ellipsoid, in metres."""


def is_number(value: object) -> TypeGuard[float]:
    """Whether ``value`` is a finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_position(longitude: object, latitude: object, problems: list[Problem]) -> None:
    """Add a problem for coordinates out of range or given one without the other."""
    if longitude is not None and not (is_number(longitude) and -180 <= longitude <= 180):
        problems.append(Problem("longitude", f"must lie in [-180, 180], not {longitude!r}"))
    if latitude is not None and not (is_number(latitude) and -90 <= latitude <= 90):
        problems.append(Problem("latitude", f"must lie in [-90, 90], not {latitude!r}"))
    if (longitude is None) != (latitude is None):
        problems.append(Problem("latitude", "longitude and latitude go together: both or neither"))


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Return the great-circle distance in metres between two WGS-84 points (degrees).

    Haversine on a sphere of radius :data:`EARTH_RADIUS_M`; exact across the antimeridian and
    at the poles. Coordinates out of range raise :class:`~civicgrid.errors.InvalidData`.
    """
    problems: list[Problem] = []
    for label, lon, lat in (("first", lon1, lat1), ("second", lon2, lat2)):
        found: list[Problem] = []
        check_position(lon, lat, found)
        problems.extend(Problem(f"{label}.{p.path}", p.message) for p in found)
    if problems:
        raise InvalidData("points", problems)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * (
        math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


class CellIndex:
    """Facility positions bucketed in cells of equal angle, at most one radius wide.

    A query visits only the cells that the bounding box of the circle touches: latitude ± δ
    and longitude ± asin(sin δ / cos φ) for angular radius δ, wrapping at the antimeridian,
    every longitude when the circle reaches a pole. The haversine test then decides.
    """

    __slots__ = ("_cell", "_delta", "_limit", "_n_lon", "_rows")

    def __init__(self, points: Sequence[tuple[float, float]], radius_m: float) -> None:
        self._delta = radius_m / EARTH_RADIUS_M  # angular radius, radians
        self._limit = math.sin(min(self._delta, math.pi) / 2) ** 2  # haversine of δ
        # A whole number of columns round the globe, so that wrapping at ±180° is exact.
        self._n_lon = math.ceil(360 / max(math.degrees(self._delta), 1e-6))
        self._cell = 360 / self._n_lon
        self._rows: dict[int, dict[int, list[tuple[float, float, float]]]] = {}
        for lon, lat in points:
            row = self._rows.setdefault(math.floor((lat + 90) / self._cell), {})
            phi = math.radians(lat)
            col = math.floor((lon + 180) / self._cell) % self._n_lon
            row.setdefault(col, []).append((phi, math.radians(lon), math.cos(phi)))

    def covers(self, lon: float, lat: float) -> bool:
        """Whether some point lies within the radius of (lon, lat)."""
        if self._delta >= math.pi:
            return bool(self._rows)
        eps = 1e-9
        reach = math.degrees(self._delta) + eps
        phi, lam = math.radians(lat), math.radians(lon)
        cos_phi = math.cos(phi)
        # sin δ / cos φ >= 1: the circle reaches a pole and spans every longitude.
        every_lon = lat - reach <= -90 or lat + reach >= 90
        every_lon = every_lon or math.sin(self._delta) >= cos_phi
        cell = self._cell
        lo_col = hi_col = 0
        if not every_lon:
            lon_reach = math.degrees(math.asin(math.sin(self._delta) / cos_phi)) + eps
            lo_col = math.floor((lon - lon_reach + 180) / cell)
            hi_col = math.floor((lon + lon_reach + 180) / cell)
        limit, sin, rows, n_lon = self._limit, math.sin, self._rows, self._n_lon
        for r in range(
            math.floor((lat - reach + 90) / cell), math.floor((lat + reach + 90) / cell) + 1
        ):
            row = rows.get(r)
            if row is None:
                continue
            if every_lon or hi_col - lo_col + 1 >= len(row):
                cells: Iterable[list[tuple[float, float, float]]] = row.values()
            else:
                cells = [c for c in (row.get(i % n_lon) for i in range(lo_col, hi_col + 1)) if c]
            for bucket in cells:
                for f_phi, f_lam, f_cos in bucket:
                    h = sin((f_phi - phi) / 2) ** 2 + cos_phi * f_cos * sin((f_lam - lam) / 2) ** 2
                    if h <= limit:
                        return True
        return False
