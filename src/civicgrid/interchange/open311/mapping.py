"""Open311 field names and the city's mapping of service codes to categories and channels."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeVar

import attrs

from civicgrid.domain.requests import Channel
from civicgrid.errors import InvalidData, Problem

__all__ = ["EXTENSION", "EXTRA_PREFIX", "JSON_SUFFIX", "Open311Mapping"]

EXTRA_PREFIX = "open311."
"""Prefix of the ``extra`` keys that keep the fields of an Open311 record with no home."""

JSON_SUFFIX = ":json"
"""Suffix of an ``extra`` key whose value is JSON text (the field held no plain text)."""

EXTENSION = "civicgrid"
"""The field of an exported record holding what GeoReport v2 has no field for."""

# fmt: off
_HOME = frozenset((
    "service_request_id", "description", "requested_datetime", "service_code", "lat", "long",
    "media_url", "first_name", "last_name", "phone", EXTENSION,
))
"""The fields with a home in :class:`Request` (or the extension), never kept in ``extra``."""
_ORDER = (
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url", "first_name", "last_name", "phone", "email", "device_id", "account_id",
)
"""GeoReport v2's fields in the order of its documentation, the order records are written in."""
_EXTENSION_KEYS = frozenset((
    "channel", "urgency", "request_list", "unit", "reporter", "attachments", "derived", "extra",
    "masked",
))
# fmt: on
_IDENTIFIERS = frozenset(("email", "device_id", "account_id"))
_WHAT = "Open311 service requests"
_CODE_KEY = f"{EXTRA_PREFIX}service_code"
_NOT_DATA = (
    "a masked export cannot be imported as data; export with reveal_personal=True where the "
    "raw values are needed and allowed"
)
_MASKED = f"is masked (it contains *), not a real value: {_NOT_DATA}"

_Bad = Callable[[str, str], None]
_E = TypeVar("_E", bound=enum.StrEnum)


def _text_map(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _channel_map(value: Mapping[str, Channel]) -> Mapping[str, Channel]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class Open311Mapping:
    """A city's table between its Open311 service codes and civicgrid categories and channels.

    ``categories`` maps a service code to a category (``{"LD01": "路灯"}``); an unlisted code is
    its own category, and on export a category goes back to the first code listed for it.
    ``channels`` maps a service code to the channel its requests arrive through (a sensor
    feed's codes to :attr:`Channel.SMART_SENSOR`); any other code arrives through
    ``default_channel``. Use the same mapping to import and export.
    """

    categories: Mapping[str, str] = attrs.field(factory=dict, converter=_text_map)
    channels: Mapping[str, Channel] = attrs.field(factory=dict, converter=_channel_map)
    default_channel: Channel = Channel.HOTLINE_12345

    def __attrs_post_init__(self) -> None:
        categories: list[tuple[object, object]] = list(self.categories.items())
        channels: list[tuple[object, object]] = list(self.channels.items())
        default: object = self.default_channel
        problems = [
            Problem(f"categories.{code}", "codes and categories must be non-empty text")
            for code, category in categories
            if not (isinstance(code, str) and code and isinstance(category, str) and category)
        ] + [
            Problem(f"channels.{code}", f"must be a Channel, not {channel!r}")
            for code, channel in channels
            if not (isinstance(code, str) and code and isinstance(channel, Channel))
        ]
        if not isinstance(default, Channel):
            problems.append(Problem("default_channel", f"must be a Channel, not {default!r}"))
        if problems:
            raise InvalidData("Open311 mapping", problems)

    def category_of(self, code: str) -> str:
        """Return the category of service code ``code`` (the code itself when unlisted)."""
        return self.categories.get(code, code)

    def code_of(self, category: str) -> str:
        """Return the service code written for ``category`` (the category when unlisted)."""
        return next((c for c, cat in self.categories.items() if cat == category), category)

    def channel_of(self, code: str | None) -> Channel:
        """Return the channel requests with service code ``code`` arrive through."""
        return self.channels.get(code or "", self.default_channel)
