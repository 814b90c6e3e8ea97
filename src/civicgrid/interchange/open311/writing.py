"""Writing requests and their cases as Open311 records (see the package docstring)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from civicgrid.domain.personal import PersonName, mask_text
from civicgrid.domain.requests import Request
from civicgrid.interchange.ledger import last_feedback
from civicgrid.interchange.open311.mapping import (
    _CODE_KEY,
    _HOME,
    _IDENTIFIERS,
    _ORDER,
    EXTENSION,
    Open311Mapping,
)
from civicgrid.interchange.open311.reading import (
    _has_latin,
    _restored,
)
from civicgrid.workflows.case import Case
from civicgrid.workflows.deadlines import DeadlineStatus
from civicgrid.workflows.intake import RequestDesk

__all__ = ["requests_to_open311"]


# --------------------------------------------------------------------------- export


def requests_to_open311(
    source: RequestDesk | Iterable[Request],
    *,
    cases: Iterable[Case] | Mapping[str, Case] = (),
    mapping: Open311Mapping | None = None,
    reveal_personal: bool = False,
) -> list[dict[str, Any]]:
    """Write requests as GeoReport v2 service request records, JSON-ready, in order.

    ``source`` is a :class:`~civicgrid.RequestDesk` (every request it received, with its
    case) or requests, whose cases ``cases`` holds (by case id, which is the request id); a
    request without a case is written as it arrived. Personal data is masked unless
    ``reveal_personal=True``, which a transfer between systems both allowed to hold it needs
    (and which importing again requires). Write the result with ``json.dump(records, file,
    ensure_ascii=False)``.
    """
    table = mapping if mapping is not None else Open311Mapping()
    pairs: list[tuple[Request, Case | None]]
    if isinstance(source, RequestDesk):
        pairs = [(source.request(case.id), case) for case in source]
    else:
        by_id = dict(cases) if isinstance(cases, Mapping) else {case.id: case for case in cases}
        pairs = [(request, by_id.get(request.id)) for request in source]
    return [_export(request, case, table, reveal_personal) for request, case in pairs]


def _export(
    request: Request, case: Case | None, table: Open311Mapping, reveal: bool
) -> dict[str, Any]:
    """Return one record: the request's fields, the case's state, the kept fields restored."""
    home = _home(request, table, reveal)
    derived = {} if case is None else _derived(case, reveal)
    kept: dict[str, Any] = {}
    carried: dict[str, str] = {}
    for key, text in request.extra.items():
        if key == _CODE_KEY:
            continue  # written as service_code
        restored = _restored(key, text)
        if restored is None or restored[0] in _HOME or restored[0] in derived:
            # Nowhere to go in place (a source's status the case now overrides, a key
            # without the open311 prefix): it travels in the extension, verbatim.
            carried[key] = text if reveal else mask_text(text)
            continue
        field, value = restored
        kept[field] = value if reveal else _masked_value(field, value)
    record: dict[str, Any] = {}
    for field in _ORDER:
        for values in (home, derived, kept):
            if field in values:
                record[field] = values[field]
                break
    for field, value in kept.items():
        record.setdefault(field, value)
    record[EXTENSION] = _extension_of(request, list(derived), carried, reveal)
    return record


def _home(request: Request, table: Open311Mapping, reveal: bool) -> dict[str, Any]:
    """Return the standard fields written from the request itself."""
    out: dict[str, Any] = {"service_request_id": request.id}
    code = request.extra.get(_CODE_KEY)
    if code is None and request.category is not None:
        code = table.code_of(request.category)
    if code is not None:
        out["service_code"] = code
    out["description"] = request.text if reveal else mask_text(request.text)
    out["requested_datetime"] = request.submitted_at.isoformat()
    if request.latitude is not None and request.longitude is not None:
        out["lat"], out["long"] = request.latitude, request.longitude
    if request.attachments:
        out["media_url"] = request.attachments[0].ref
    if request.reporter_name is not None:
        given, family = _split_name(request.reporter_name, reveal)
        if given:
            out["first_name"] = given
        if family:
            out["last_name"] = family
    if request.reporter_phone is not None:
        phone = request.reporter_phone
        out["phone"] = phone.reveal() if reveal else phone.masked
    return out


def _split_name(name: PersonName, reveal: bool) -> tuple[str, str]:
    """Split a name into (first_name, last_name), the inverse of how importing joins them."""
    text = name.reveal() if reveal else name.masked
    if _has_latin(name.reveal()):
        given, _, family = text.rpartition(" ")
        return given, family
    surname = len(name.masked.rstrip("*"))  # the masked form keeps exactly the surname
    return text[surname:], text[:surname]


def _derived(case: Case, reveal: bool) -> dict[str, Any]:
    """Return the fields written from the case: status, notes, times, who is responsible."""
    out: dict[str, Any] = {"status": "closed" if case.is_closed else "open"}
    feedback = last_feedback(case)
    if feedback is not None:
        out["status_notes"] = feedback if reveal else mask_text(feedback)
    out["updated_datetime"] = case.updated_at.isoformat()
    dues = [
        state.due
        for state in case.deadlines.values()
        if state.status is DeadlineStatus.RUNNING and state.due is not None
    ]
    if dues:
        out["expected_datetime"] = min(dues).isoformat()
    if case.assignee is not None:
        out["agency_responsible"] = case.assignee
    return out


def _extension_of(
    request: Request, derived: list[str], carried: dict[str, str], reveal: bool
) -> dict[str, Any]:
    """Return the civicgrid extension: what the standard has no field for."""
    out: dict[str, Any] = {"channel": request.channel.value, "urgency": request.urgency.value}
    if request.request_list is not None:
        out["request_list"] = request.request_list.value
    if request.unit is not None:
        out["unit"] = request.unit
    if request.reporter is not None:
        out["reporter"] = request.reporter
    attachments = request.attachments
    if len(attachments) > 1 or any(a.media_type or a.label for a in attachments):
        out["attachments"] = [
            {"ref": a.ref, "media_type": a.media_type, "label": a.label} for a in attachments
        ]
    if derived:
        out["derived"] = derived
    if carried:
        out["extra"] = carried
    if not reveal:
        out["masked"] = True
    return out


def _masked_value(field: str, value: Any) -> Any:
    """Mask a kept value: identifiers of a person shortened, numbers in text masked."""
    if field in _IDENTIFIERS and isinstance(value, str):
        return _mask_identifier(value)
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, list):
        return [_masked_value("", item) for item in value]
    if isinstance(value, dict):
        return {key: _masked_value("", item) for key, item in value.items()}
    return value


def _mask_identifier(value: str) -> str:
    """``z***@163.com`` for an e-mail address, ``ab****yz`` for an account or device id."""
    local, at, domain = value.partition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    if len(value) <= 4:
        return "*" * len(value)
    return f"{value[:2]}****{value[-2:]}"
