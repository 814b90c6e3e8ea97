"""Timezone rules every entity follows: instants are aware, Asia/Shanghai by default."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import tz as dateutil_tz

from civicgrid.errors import NaiveDatetimeError

__all__ = ["DEFAULT_TZ", "aware", "get_timezone", "require_aware"]


def get_timezone(name: str) -> tzinfo:
    """Return the timezone called ``name`` (IANA), from the system or python-dateutil's copy.

    Machines without a system zoneinfo database (some containers, Windows) still get a zone
    from the data python-dateutil ships.
    """
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        zone = dateutil_tz.gettz(name)
        if zone is None:
            raise LookupError(f"unknown timezone {name!r}") from None
        return zone


DEFAULT_TZ: tzinfo = get_timezone("Asia/Shanghai")
"""The timezone used wherever none is given: China Standard Time."""


def require_aware(value: datetime, field: str) -> datetime:
    """Return ``value`` if it is timezone-aware, else raise :class:`NaiveDatetimeError`."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(field)
    return value


def aware(_instance: Any, attribute: Any, value: datetime | None) -> None:
    """Attrs validator: the field, when set, holds a timezone-aware datetime."""
    if value is not None:
        require_aware(value, attribute.name)
