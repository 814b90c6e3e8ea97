"""Reading Open311 service request records into requests (see the package docstring)."""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, TextIO

from civicgrid.domain.personal import InvalidPersonalData, PersonName, PhoneNumber, mask_text
from civicgrid.domain.requests import Attachment, Channel, Request, RequestList, Urgency
from civicgrid.errors import InvalidData, Problem
from civicgrid.interchange.json_kinds import json_kind
from civicgrid.interchange.open311.mapping import (
    _CODE_KEY,
    _E,
    _EXTENSION_KEYS,
    _HOME,
    _MASKED,
    _NOT_DATA,
    _WHAT,
    EXTENSION,
    EXTRA_PREFIX,
    JSON_SUFFIX,
    Open311Mapping,
    _Bad,
)

__all__ = ["load_open311", "requests_from_open311"]


# --------------------------------------------------------------------------- import


def load_open311(
    source: str | os.PathLike[str] | TextIO, *, mapping: Open311Mapping | None = None
) -> list[Request]:
    """Read service requests from a JSON file (UTF-8, a byte-order mark allowed) or stream.

    A string is a path. Raise :class:`~civicgrid.errors.InvalidData` listing every problem;
    an unreadable file raises the usual :class:`OSError`.
    """
    if isinstance(source, str | os.PathLike):
        name: str | None = os.fspath(source)
        raw = Path(source).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            where = "line " + str(raw.count(b"\n", 0, exc.start) + 1)
            raise InvalidData(_WHAT, [Problem(where, "the file is not UTF-8 text")], name) from None
    else:
        stream_name = getattr(source, "name", None)
        name = stream_name if isinstance(stream_name, str) else None
        text = source.read().removeprefix("\ufeff")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise InvalidData(_WHAT, [Problem(where, f"not JSON: {exc.msg}")], name) from None
    return requests_from_open311(data, mapping=mapping, source=name)


def requests_from_open311(
    data: Any, *, mapping: Open311Mapping | None = None, source: str | None = None
) -> list[Request]:
    """Turn parsed GeoReport v2 records into requests; raise InvalidData listing every problem.

    ``data`` is the JSON array of service requests, or an object holding it under
    ``service_requests``. ``source`` names the file in messages.
    """
    table = mapping if mapping is not None else Open311Mapping()
    if isinstance(data, Mapping) and isinstance(data.get("service_requests"), list):
        records, base = data["service_requests"], "service_requests"
    elif isinstance(data, list):
        records, base = data, ""
    else:
        message = f"expected a JSON array of service requests, got {json_kind(data)}"
        raise InvalidData(_WHAT, [Problem("", message)], source)
    problems: list[Problem] = []
    requests: list[Request] = []
    first_at: dict[str, str] = {}
    for index, record in enumerate(records):
        path = f"{base}[{index}]"
        request = _import(record, path, table, problems)
        if request is not None:
            requests.append(request)
        raw = record.get("service_request_id") if isinstance(record, Mapping) else None
        if isinstance(raw, str | int) and not isinstance(raw, bool) and raw != "":
            first = first_at.setdefault(str(raw), path)
            if first != path:
                message = f"{str(raw)!r} repeats {first}"
                problems.append(Problem(f"{path}.service_request_id", message))
    if problems:
        raise InvalidData(_WHAT, problems, source)
    return requests


class _Extension(NamedTuple):
    """The civicgrid extension of a record, read."""

    channel: Channel | None = None
    urgency: Urgency | None = None
    request_list: RequestList | None = None
    unit: str | None = None
    reporter: str | None = None
    attachments: tuple[Attachment, ...] | None = None
    derived: frozenset[str] = frozenset()
    extra: Mapping[str, str] = MappingProxyType({})


def _import(record: object, path: str, table: Open311Mapping, out: list[Problem]) -> Request | None:
    """Read one record, adding its problems to ``out``; ``None`` if it has any."""
    if not isinstance(record, Mapping):
        out.append(Problem(path, f"expected a JSON object, got {json_kind(record)}"))
        return None
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(f"{path}.{field}" if field else path, message))

    ext = _extension(record.get(EXTENSION), bad)
    request_id = _text(record, "service_request_id", bad, required=True, numbers=True)
    text = _text(record, "description", bad, required=True)
    submitted = _instant(record.get("requested_datetime"), bad)
    code = _text(record, "service_code", bad, numbers=True)
    before = len(problems)
    latitude = _coordinate(record, "lat", 90, bad)
    longitude = _coordinate(record, "long", 180, bad)
    if (latitude is None) != (longitude is None) and len(problems) == before:
        bad("lat" if latitude is None else "long", "lat and long go together")
    phone = _phone(record, bad)
    name = _name(record.get("first_name"), record.get("last_name"), bad)
    url = _text(record, "media_url", bad)
    attachments = ext.attachments or (() if url is None else (Attachment(ref=url),))
    extra: dict[str, str] = {}
    for key, value in record.items():
        if not isinstance(key, str):
            bad("", f"field names must be text, got {key!r}")
        elif key not in _HOME and key not in ext.derived:
            kept = _kept(key, value)
            if kept is None:
                bad(key, f"not a JSON value: {json_kind(value)}")
            else:
                extra[kept[0]] = kept[1]
    category = None if code is None else table.category_of(code)
    if code is not None and category is not None and table.code_of(category) != code:
        extra[_CODE_KEY] = code
    extra.update(ext.extra)
    if problems or request_id is None or text is None or submitted is None:
        out.extend(problems)
        return None
    return Request(
        id=request_id,
        channel=ext.channel or table.channel_of(code),
        text=text,
        submitted_at=submitted,
        category=category,
        unit=ext.unit,
        urgency=ext.urgency or Urgency.ROUTINE,
        request_list=ext.request_list,
        reporter=ext.reporter,
        reporter_name=name,
        reporter_phone=phone,
        attachments=attachments,
        longitude=longitude,
        latitude=latitude,
        extra=extra,
    )


def _text(
    record: Mapping[str, Any],
    field: str,
    bad: _Bad,
    *,
    required: bool = False,
    numbers: bool = False,
) -> str | None:
    """Read non-blank text (or, with ``numbers``, a whole number as text); absent is ``None``."""
    value = record.get(field)
    if value is None or value == "":
        if required:
            bad(field, "missing")
        return None
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        bad(field, f"must be non-blank text, got {json_kind(value)}")
        return None
    return value


def _instant(value: object, bad: _Bad) -> datetime | None:
    field = "requested_datetime"
    if not isinstance(value, str):
        bad(
            field,
            "missing" if value is None else f"expected an ISO 8601 time, got {json_kind(value)}",
        )
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        bad(field, f"not an ISO 8601 date and time: {mask_text(value)!r}")
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        bad(
            field,
            f"{mask_text(value)!r} has no UTC offset; GeoReport v2 requires one (Z or ±HH:MM)",
        )
        return None
    return parsed


def _coordinate(record: Mapping[str, Any], field: str, bound: int, bad: _Bad) -> float | None:
    value = record.get(field)
    if value is None or value == "":
        return None
    number = math.nan
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        with contextlib.suppress(ValueError):
            number = float(value)
    if not math.isfinite(number):
        shown = mask_text(value) if isinstance(value, str) else value
        bad(field, f"must be a number, got {shown!r}")
        return None
    if not -bound <= number <= bound:
        bad(field, f"must lie in [-{bound}, {bound}], not {mask_text(str(number))}")
        return None
    return number


def _phone(record: Mapping[str, Any], bad: _Bad) -> PhoneNumber | None:
    value = _text(record, "phone", bad, numbers=True)
    if value is None:
        return None
    if "*" in value:
        bad("phone", _MASKED)
        return None
    try:
        return PhoneNumber.parse(value)
    except InvalidPersonalData as exc:
        bad("phone", exc.message_en.removeprefix("phone: "))
        return None


def _has_latin(text: str) -> bool:
    return any("A" <= c <= "Z" or "a" <= c <= "z" for c in text)


def _name(given: object, family: object, bad: _Bad) -> PersonName | None:
    """Join first and last name: ``姓`` + ``名`` for Chinese, ``First Last`` for Latin letters."""
    parts: list[str] = []
    for field, value in (("first_name", given), ("last_name", family)):
        if value is None or (isinstance(value, str) and not value.strip()):
            parts.append("")
        elif not isinstance(value, str):
            bad(field, f"must be text, got {json_kind(value)}")
        elif "*" in value:
            bad(field, _MASKED)
        else:
            parts.append(value)
    if len(parts) < 2 or not any(parts):
        return None
    first, last = parts
    joined = f"{first} {last}" if _has_latin(first + last) else last + first
    try:
        return PersonName.parse(joined.strip())
    except InvalidPersonalData as exc:
        bad("last_name" if last else "first_name", exc.message_en.removeprefix("name: "))
        return None


def _kept(key: str, value: object) -> tuple[str, str] | None:
    """Return the ``extra`` key and text keeping field ``key``; ``None`` if not JSON."""
    if isinstance(value, str) and not key.endswith(JSON_SUFFIX):
        return f"{EXTRA_PREFIX}{key}", value
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None
    return f"{EXTRA_PREFIX}{key}{JSON_SUFFIX}", text


def _restored(key: str, text: str) -> tuple[str, Any] | None:
    """Return the field and JSON value an ``extra`` entry keeps; ``None`` if it keeps none."""
    if not key.startswith(EXTRA_PREFIX):
        return None
    field = key.removeprefix(EXTRA_PREFIX)
    if not field.endswith(JSON_SUFFIX):
        return field, text
    try:
        return field.removesuffix(JSON_SUFFIX), json.loads(text)
    except ValueError:
        return None


def _extension(value: object, bad: _Bad) -> _Extension:
    """Read the civicgrid extension of a record (absent in records from other systems)."""
    if value is None:
        return _Extension()
    if not isinstance(value, Mapping):
        bad(EXTENSION, f"expected an object, got {json_kind(value)}")
        return _Extension()

    def wrong(key: str, message: str) -> None:
        bad(f"{EXTENSION}.{key}", message)

    for key in sorted(set(map(str, value)) - _EXTENSION_KEYS):
        wrong(key, f"unknown field; known: {', '.join(sorted(_EXTENSION_KEYS))}")
    if value.get("masked", False) is not False:
        wrong("masked", f"the record was exported masked: {_NOT_DATA}")
    unit, reporter = (_text(value, key, wrong) for key in ("unit", "reporter"))
    derived = value.get("derived", [])
    if not isinstance(derived, list) or not all(isinstance(f, str) for f in derived):
        wrong("derived", "must be an array of field names")
        derived = []
    extra = value.get("extra", {})
    if not isinstance(extra, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in extra.items()
    ):
        wrong("extra", "must be an object of text values")
        extra = {}
    return _Extension(
        channel=_member(value, "channel", Channel, wrong),
        urgency=_member(value, "urgency", Urgency, wrong),
        request_list=_member(value, "request_list", RequestList, wrong),
        unit=unit,
        reporter=reporter,
        attachments=_attachments(value.get("attachments"), wrong),
        derived=frozenset(derived),
        extra=MappingProxyType(dict(extra)),
    )


def _member(value: Mapping[str, Any], key: str, kind: type[_E], wrong: _Bad) -> _E | None:
    item = value.get(key)
    known = [member.value for member in kind]
    if item is not None and item not in known:
        shown = mask_text(item) if isinstance(item, str) else item
        wrong(key, f"unknown value {shown!r}; known: {', '.join(known)}")
        return None
    return None if item is None else kind(item)


def _attachments(value: object, wrong: _Bad) -> tuple[Attachment, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        wrong("attachments", f"expected an array, got {json_kind(value)}")
        return None
    found: list[Attachment] = []
    fields = ("ref", "media_type", "label")
    for index, item in enumerate(value):
        if (
            isinstance(item, Mapping)
            and set(item) <= set(fields)
            and all(isinstance(item.get(f, ""), str) for f in fields)
            and item.get("ref", "").strip()
        ):
            found.append(Attachment(**item))
        else:
            wrong(f"attachments[{index}]", "expected {ref, media_type, label}, ref not empty")
    return tuple(found)
