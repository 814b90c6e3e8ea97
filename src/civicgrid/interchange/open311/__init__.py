"""Open311 GeoReport v2 service requests in and out, so a city can trade with civic systems.

GeoReport v2 (wiki.open311.org/GeoReport_v2) is the interface of 311 non-emergency lines, and
many city platforms read and write its service request records. :func:`requests_from_open311`
(or :func:`load_open311` for a file) turns such records into :class:`~civicgrid.Request`
values; :func:`requests_to_open311` writes requests back with the state of their cases.

**Import.** Fields with a home: ``service_request_id`` → ``id`` (text, or a whole number
written as text); ``description`` → ``text`` (required); ``requested_datetime`` →
``submitted_at`` (ISO 8601 with ``Z`` or ``±HH:MM``: the standard requires the offset, and a
naive time is refused); ``service_code`` → ``category`` through the city's
:class:`Open311Mapping` (an unlisted code is its own category); ``lat``/``long`` → latitude and
longitude (numbers or numeric text, together, taken as given: the standard says WGS-84, and
GCJ-02 coordinates from a Chinese map service are not converted); ``media_url`` → one
attachment; ``phone`` → ``reporter_phone``; ``first_name``/``last_name`` → ``reporter_name``
(``last_name + first_name`` for Chinese names, ``first_name last_name`` when either holds a
Latin letter).
A record does not say how a request arrived: the channel comes from the mapping by service
code, else :attr:`Open311Mapping.default_channel`, the 12345 hotline (311's counterpart here).

Every other field is kept in ``extra``, verbatim: a text value under ``open311.<field>``, any
other JSON value (number, list, object, null) as compact JSON text under
``open311.<field>:json``. When the mapping cannot give a record's service code back from its
category (two codes, one category), the code is kept as ``open311.service_code``. Every
problem in every record is reported at once (``[3].requested_datetime: …``), and nothing is
returned unless every record is valid.

**Export.** Requests become records in the standard's field order; with their cases,
``status`` is ``closed`` in a terminal step and ``open`` otherwise, ``status_notes`` the last
feedback given (``data["feedback"]``), ``updated_datetime`` the last event,
``expected_datetime`` the earliest due instant of a running deadline, ``agency_responsible``
the assignee. Kept fields are restored in place. What has no standard field travels in one
extension object, ``"civicgrid"``: ``channel``, ``urgency``, ``request_list``, ``unit``,
``reporter``, ``attachments`` (when ``media_url`` cannot hold them), ``derived`` (the fields
written from the case, which importing skips), ``extra`` (kept values that could not go back in
place, such as a source's ``status`` the case now overrides) and ``masked``. Importing an
export therefore gives the same requests, extras included.

**Personal data.** Exports are masked unless ``reveal_personal=True``: names and phone as
their masked forms, ``email``, ``device_id`` and ``account_id`` shortened, and every free text
(description, notes, kept text) through :func:`~civicgrid.domain.personal.mask_text`. A masked
export says so (``"masked": true``) and importing it is refused, as is a masked phone or name:
a masked value is not data.
"""

from __future__ import annotations

from civicgrid.interchange.open311.mapping import (
    EXTENSION,
    EXTRA_PREFIX,
    JSON_SUFFIX,
    Open311Mapping,
)
from civicgrid.interchange.open311.reading import load_open311, requests_from_open311
from civicgrid.interchange.open311.writing import requests_to_open311

__all__ = [
    "EXTENSION",
    "EXTRA_PREFIX",
    "JSON_SUFFIX",
    "Open311Mapping",
    "load_open311",
    "requests_from_open311",
    "requests_to_open311",
]
