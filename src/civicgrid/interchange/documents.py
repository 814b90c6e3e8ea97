"""A whole district as one JSON document: units, organisations, people and appointments.

A document is a JSON object::

    {
      "scheme": "chengdu_3plus1",
      "units": [{"id": "c1", "kind": "community", "name_zh": "…", "parent": null}, …],
      "organisations": [{"id": "o1", "kind": "party_committee", "name_zh": "…",
                         "unit": "c1"}, …],
      "people": [{"id": "p1", "name": "张明", "phone": "13800000001"}, …],
      "appointments": [{"person": "p1", "role": "secretary", "start": "2024-01-01",
                        "org": "o1"}, …]
    }

``units`` is required; the other keys are optional. Each entry has the fields of its entity
(:class:`~civicgrid.domain.units.Unit`, :class:`~civicgrid.domain.organisations.Organisation`,
:class:`~civicgrid.domain.people.Person`, :class:`~civicgrid.domain.people.Appointment`), read
by the library's converter: unknown keys are refused, and ``scheme`` names the grid scheme
``civicgrid grid check`` uses when none is given. References must resolve inside the document
(an organisation's or appointment's ``unit``, an appointment's ``org`` and ``person``); a
person's ``home`` may lie outside it.

:func:`load_document` reports every problem at once, each with its path
(``units[3].kind``, ``organisations[1].unit``), and returns nothing half loaded.
:func:`dump_document` writes personal data masked unless ``reveal_personal=True``: a masked
document is for reading, and loading it again is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, TextIO, TypeVar

import attrs
import cattrs

from civicgrid.domain.organisations import Organisation, Organisations
from civicgrid.domain.people import Appointment, Person, Roster
from civicgrid.domain.units import Unit, UnitTree
from civicgrid.errors import InvalidData, Problem
from civicgrid.interchange.json_kinds import json_kind
from civicgrid.interchange.units_csv import load_units_csv
from civicgrid.serialization import make_converter, structure

__all__ = [
    "District",
    "document_from_data",
    "dump_document",
    "load_district",
    "load_document",
]

T = TypeVar("T")

_WHAT = "district document"


@attrs.frozen(kw_only=True, eq=False)
class District:
    """A district as one record: its unit tree, organisations, people and default scheme.

    What ``grid check`` reads, from a document (:func:`load_document`) or from a unit table
    alone (no organisations, no people). Two districts compare by identity; compare their
    :func:`dump_document` forms to compare contents.
    """

    tree: UnitTree
    organisations: Organisations = attrs.field(factory=Organisations)
    roster: Roster = attrs.field(factory=Roster)
    scheme: str | None = None
    """The key of the grid scheme the district follows, when its document names one."""


@attrs.frozen(kw_only=True)
class _Document:
    """The file form of a district, as the converter reads and writes it."""

    scheme: str | None = None
    units: tuple[Unit, ...]
    organisations: tuple[Organisation, ...] = ()
    people: tuple[Person, ...] = ()
    appointments: tuple[Appointment, ...] = ()


# --------------------------------------------------------------------------- the converter


@cache
def _converter(*, reveal_personal: bool) -> cattrs.Converter:
    return make_converter(reveal_personal=reveal_personal)


# --------------------------------------------------------------------------- reading


def load_document(source: str | os.PathLike[str] | TextIO) -> District:
    """Read a district document from a JSON file (UTF-8) or text stream.

    Raise :class:`~civicgrid.errors.InvalidData` listing every problem with its path; an
    unreadable file raises the usual :class:`OSError`.
    """
    if isinstance(source, str | os.PathLike):
        name: str | None = os.fspath(source)
        data = Path(source).read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise InvalidData(
                _WHAT, [Problem(f"line {line}", "the file is not UTF-8 text")], name
            ) from None
    else:
        stream_name = getattr(source, "name", None)
        name = stream_name if isinstance(stream_name, str) else None
        try:
            text = source.read()
        except UnicodeDecodeError as exc:
            message = f"the stream cannot be decoded as {exc.encoding}: pass the file's path"
            raise InvalidData(_WHAT, [Problem("", message)], name) from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidData(
            _WHAT, [Problem(f"line {exc.lineno}, column {exc.colno}", f"not JSON: {exc.msg}")], name
        ) from None
    return document_from_data(parsed, source=name)


def document_from_data(data: Any, *, source: str | None = None) -> District:
    """Build a district from parsed JSON; raise InvalidData listing every problem."""
    if not isinstance(data, Mapping):
        raise InvalidData(
            _WHAT,
            [Problem("", f"expected a JSON object with 'units', got {type(data).__name__}")],
            source,
        )
    shape = _shape_problems(data)
    if shape:
        raise InvalidData(_WHAT, shape, source)
    document = structure(
        _converter(reveal_personal=False), data, _Document, what=_WHAT, source=source
    )
    problems: list[Problem] = []
    tree = _checked(lambda: UnitTree(document.units), problems)
    organisations = _checked(lambda: Organisations(document.organisations), problems)
    roster = _checked(lambda: Roster(document.people, document.appointments), problems)
    problems.extend(_dangling(document))
    if problems or tree is None or organisations is None or roster is None:
        raise InvalidData(_WHAT, problems, source)
    return District(tree=tree, organisations=organisations, roster=roster, scheme=document.scheme)


_LISTS = ("units", "organisations", "people", "appointments")


def _shape_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Return the lists that are not arrays and the entries that are not objects, by path."""
    problems: list[Problem] = []
    for key in _LISTS:
        if key not in data and key != "units":
            continue
        value = data.get(key)
        if not isinstance(value, list):
            got = "missing" if key not in data else f"expected an array, got {json_kind(value)}"
            problems.append(Problem(key, got))
            continue
        problems.extend(
            Problem(f"{key}[{i}]", f"expected an object, got {json_kind(entry)}")
            for i, entry in enumerate(value)
            if not isinstance(entry, Mapping)
        )
    return problems


def _checked(build: Callable[[], T], problems: list[Problem]) -> T | None:
    """Build one part of the district, adding its problems instead of stopping at them."""
    try:
        return build()
    except InvalidData as exc:
        problems.extend(exc.problems)
        return None


def _dangling(document: _Document) -> list[Problem]:
    """Return the references to units and organisations the document does not hold."""
    units = {unit.id for unit in document.units}
    orgs = {org.id for org in document.organisations}
    problems = [
        Problem(f"organisations[{i}].unit", f"unknown unit {org.unit!r}")
        for i, org in enumerate(document.organisations)
        if org.unit not in units
    ]
    for i, appointment in enumerate(document.appointments):
        if appointment.org is not None and appointment.org not in orgs:
            problems.append(
                Problem(f"appointments[{i}].org", f"unknown organisation {appointment.org!r}")
            )
        if appointment.unit is not None and appointment.unit not in units:
            problems.append(
                Problem(f"appointments[{i}].unit", f"unknown unit {appointment.unit!r}")
            )
    return problems


def load_district(path: str | os.PathLike[str]) -> District:
    """Read a district from a file, by its suffix: ``.csv`` a unit table, ``.json`` a document.

    A unit table gives a district with no organisations, people or scheme. Any other suffix
    is refused with :class:`~civicgrid.errors.InvalidData`.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return District(tree=load_units_csv(path))
    if suffix == ".json":
        return load_document(path)
    raise InvalidData(
        "district file",
        [
            Problem(
                "",
                f"unknown file type {suffix or '(no suffix)'!r}: use .csv for a unit table or "
                ".json for a district document",
            )
        ],
        os.fspath(path),
    )


# --------------------------------------------------------------------------- writing


def dump_document(district: District, *, reveal_personal: bool = False) -> dict[str, Any]:
    """Return the district as JSON-ready data, personal data masked by default.

    With ``reveal_personal=True`` names, phone numbers and ID numbers are written raw, so the
    result can be loaded again; ask for it only where disclosing them is allowed. Write the
    result with ``json.dump(data, file, ensure_ascii=False, indent=2)``.
    """
    converter = _converter(reveal_personal=reveal_personal)
    document = _Document(
        scheme=district.scheme,
        units=tuple(district.tree),
        organisations=tuple(district.organisations),
        people=district.roster.people,
        appointments=tuple(district.roster),
    )
    data: dict[str, Any] = converter.unstructure(document)
    return data
