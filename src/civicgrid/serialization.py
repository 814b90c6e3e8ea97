"""The one cattrs policy for every entity: :func:`make_converter` and :func:`structure`.

Never touch cattrs' global converter. Every entity is structured from plain data (parsed JSON
or TOML) by a converter made here, which refuses unknown keys, and whose errors become
:class:`~civicgrid.errors.InvalidData` listing each problem with its path
(``steps[2].label_zh: missing``). Plugins add hooks for their own types through the
``prepare_converter`` hook.

Conventions:

- ``datetime`` is an ISO 8601 string with an offset (``2026-11-23T09:00:00+08:00``), and a
  naive one is refused; TOML's native offset datetimes are accepted as they are.
- ``date`` is ``YYYY-MM-DD``; TOML's native dates are accepted.
- ``relativedelta`` is a table of its relative fields (``{hours = 5}``, ``{months = 1}``).
- tuples and frozensets are lists; a frozenset is written sorted, so output is stable JSON.
- string enums (``UnitKind``, ``OrgKind``, ``Seat`` …) are their value; an unknown value is
  refused with the values allowed.
- personal data (:class:`~civicgrid.domain.personal.PersonName`, ``PhoneNumber``,
  ``IdNumber``) is read from its raw text through ``parse``, and written in its *masked* form
  (``张*``, ``138****5678``, ``110***********1234``) unless the converter was made with
  ``make_converter(reveal_personal=True)``. A masked value read back in is refused (it is not
  a real value), so a masked export can never be re-imported as if it were data. Only the
  converter masks: ``attrs.asdict``, ``attrs.astuple``, ``pickle`` and ``copy`` bypass it and
  carry the raw value, so never use them to export people.
- free text that may quote a phone or ID number (a request's ``text`` and ``extra``) is written
  through :func:`~civicgrid.domain.personal.mask_text` unless ``reveal_personal=True``, and an
  error about a value refused never quotes the numbers in it (a phone number in a shifted CSV
  column, say): they are masked in the message.
"""

from __future__ import annotations

import enum
import json
import re
import typing
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_unstructure_fn
from dateutil.relativedelta import relativedelta

from civicgrid.domain.personal import (
    IdNumber,
    InvalidPersonalData,
    PersonName,
    PhoneNumber,
    mask_text,
)
from civicgrid.domain.time import require_aware
from civicgrid.errors import InvalidData, Problem

__all__ = [
    "RELATIVEDELTA_FIELDS",
    "make_converter",
    "problems_of",
    "relativedelta_from_mapping",
    "relativedelta_to_mapping",
    "structure",
]

T = TypeVar("T")

RELATIVEDELTA_FIELDS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")
"""The relative fields a duration may use; absolute ones (``year=``, ``weekday=``) are refused."""


def relativedelta_from_mapping(value: Mapping[str, Any]) -> relativedelta:
    """Build a relativedelta from ``{"hours": 5}``; unknown or non-integer fields raise."""
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a table such as {{hours = 5}}, got {type(value).__name__}")
    unknown = sorted(set(value) - set(RELATIVEDELTA_FIELDS))
    if unknown:
        raise ValueError(
            f"unknown duration field(s) {', '.join(unknown)}; use {', '.join(RELATIVEDELTA_FIELDS)}"
        )
    for name, amount in value.items():
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f"duration field {name!r} must be a whole number, got {amount!r}")
    return relativedelta(**value)


def relativedelta_to_mapping(value: relativedelta) -> dict[str, int]:
    """Write a relativedelta as its non-zero relative fields (weeks folded into days)."""
    out: dict[str, int] = {}
    for name in RELATIVEDELTA_FIELDS:
        if name == "weeks":
            continue
        amount = getattr(value, name)
        if amount:
            out[name] = int(amount)
    return out


def _structure_datetime(value: Any, _type: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:  # its message quotes the value: mask the numbers in it
            raise ValueError(mask_text(str(exc))) from None
    else:
        raise TypeError(f"expected an ISO 8601 datetime string, got {type(value).__name__}")
    return require_aware(parsed, "datetime")


def _structure_date(value: Any, _type: Any) -> date:
    if isinstance(value, datetime):
        raise TypeError("expected a date (YYYY-MM-DD), got a datetime")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:  # its message quotes the value: mask the numbers in it
            raise ValueError(mask_text(str(exc))) from None
    raise TypeError(f"expected a date string YYYY-MM-DD, got {type(value).__name__}")


def _structure_str(value: Any, _type: Any) -> str:
    # cattrs would turn 12 into "12"; outside data must say what it means.
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _structure_int(value: Any, _type: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {type(value).__name__}")
    return value


def _structure_keys(value: Any, _type: Any) -> tuple[str, ...]:
    # A lone string is one key, as in the Python API, never a sequence of characters.
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of strings, got {type(value).__name__}")
    for position, item in enumerate(value):
        if not isinstance(item, str):
            raise TypeError(f"item {position}: expected a string, got {type(item).__name__}")
    return tuple(value)


def _structure_bool(value: Any, _type: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _structure_float(value: Any, _type: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _structure_str_enum(value: Any, cls: type[enum.StrEnum]) -> enum.StrEnum:
    known = [member.value for member in cls]
    if not isinstance(value, str):
        raise TypeError(f"expected a string, one of: {', '.join(known)}")
    if value not in known:
        raise ValueError(f"unknown value {mask_text(value)!r}; known: {', '.join(known)}")
    return cls(value)


def _enum_value(value: enum.StrEnum) -> str:
    return value.value


def _is_frozenset(cls: Any) -> bool:
    return cls is frozenset or typing.get_origin(cls) is frozenset


def _sorted_list(value: frozenset[Any]) -> list[Any]:
    return sorted(value)


_MASK = "*"
_PERSONAL_FIELDS: dict[type[PersonName | PhoneNumber | IdNumber], tuple[str, str]] = {
    PersonName: ("name", "姓名"),
    PhoneNumber: ("phone", "电话号码"),
    IdNumber: ("id_number", "身份证号码"),
}


def _structure_personal(
    value: Any, cls: type[PersonName | PhoneNumber | IdNumber]
) -> PersonName | PhoneNumber | IdNumber:
    """Read personal data from its raw text; refuse a masked value with a clear error."""
    if isinstance(value, str) and _MASK in value:
        field, field_zh = _PERSONAL_FIELDS[cls]
        raise InvalidPersonalData(
            field,
            "masked",
            "is masked (it contains *), not a real value: a masked export cannot be read back "
            "as data; export with make_converter(reveal_personal=True) where the raw value is "
            "needed and allowed",
            f"是脱敏后的值（含 *），不是真实的{field_zh}：脱敏导出的数据不能再导入；"
            "确需原始值时请用 make_converter(reveal_personal=True) 导出",
        )
    return cls.parse(value)


def _masked(value: PersonName | PhoneNumber | IdNumber) -> str:
    return value.masked


def _revealed(value: PersonName | PhoneNumber | IdNumber) -> str:
    return value.reveal()  # the one deliberate disclosure: make_converter(reveal_personal=True)


def make_converter(*, reveal_personal: bool = False) -> cattrs.Converter:
    """Return a new converter with the library's policy; plugins extend it, never a global.

    Personal data is written masked (``138****5678``); ``reveal_personal=True`` writes the raw
    value instead, for an export that must carry it (a transfer between systems that are both
    allowed to hold it). Ask for it by name, where the need can be reviewed.
    """
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(str, _structure_str)
    # A StrEnum is a str: without its own hook the str hook above would take it.
    converter.register_structure_hook(enum.StrEnum, _structure_str_enum)
    converter.register_unstructure_hook(enum.StrEnum, _enum_value)
    converter.register_unstructure_hook_func(_is_frozenset, _sorted_list)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _structure_keys)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(
        relativedelta, lambda value, _t: relativedelta_from_mapping(value)
    )
    converter.register_unstructure_hook(relativedelta, relativedelta_to_mapping)
    for personal in (PersonName, PhoneNumber, IdNumber):
        converter.register_structure_hook(personal, _structure_personal)
        converter.register_unstructure_hook(personal, _revealed if reveal_personal else _masked)
    _configure_entities(converter, reveal_personal=reveal_personal)
    return converter


def _configure_entities(converter: cattrs.Converter, *, reveal_personal: bool) -> None:
    """Register the few entity-specific forms (renamed keys) that the general policy lacks."""
    # Imported here: the modules that define entities sit above this one.
    from civicgrid.domain.requests import Request  # noqa: PLC0415
    from civicgrid.workflows import loading  # noqa: PLC0415

    loading.configure_converter(converter)
    if reveal_personal:
        return
    plain = make_dict_unstructure_fn(Request, converter)

    def masked_request(request: Request) -> dict[str, Any]:
        # A request's free text quotes phone and ID numbers; a masked export masks them too.
        data = plain(request)
        data["text"] = mask_text(data["text"])
        data["extra"] = {key: mask_text(text) for key, text in data["extra"].items()}
        return data

    converter.register_unstructure_hook(Request, masked_request)


def structure(
    converter: cattrs.Converter,
    data: Any,
    cls: type[T],
    *,
    what: str,
    source: str | None = None,
) -> T:
    """Structure ``data`` into ``cls``, or raise :class:`InvalidData` listing every problem."""
    try:
        return converter.structure(data, cls)
    except (ClassValidationError, IterableValidationError) as exc:
        raise InvalidData(what, problems_of(exc), source) from exc
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidData(what, [Problem("", _describe(exc))], source) from exc


def problems_of(exc: ClassValidationError | IterableValidationError) -> list[Problem]:
    """Flatten a cattrs validation error into problems with ``steps[2].label_zh`` paths."""
    problems = []
    for line in cattrs.transform_error(exc, path="$", format_exception=_describe):
        message, _, path = line.rpartition(" @ ")
        path = path.removeprefix("$").removeprefix(".")
        if message.startswith(_NESTED):
            # An entity's own validation (InvalidData) keeps each of its problems' paths.
            for inner_path, inner_message in json.loads(message.removeprefix(_NESTED)):
                problems.append(Problem(_join(path, inner_path), inner_message))
        else:
            problems.append(Problem(path, message))
    return problems


_NESTED = "\x00nested\x00"


def _join(outer: str, inner: str) -> str:
    if not outer or not inner:
        return outer or inner
    return outer + inner if inner.startswith("[") else f"{outer}.{inner}"


def _describe(exc: BaseException, _type: Any = None) -> str:
    if isinstance(exc, InvalidData):
        return _NESTED + json.dumps([[p.path, p.message] for p in exc.problems])
    if isinstance(exc, KeyError):
        return "missing"
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown field(s): {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, InvalidPersonalData):
        return exc.message_en.removeprefix(f"{exc.field}: ")  # the path names the field
    if isinstance(exc, TypeError | AttributeError):
        # Python's words for a value of the wrong shape ("'NoneType' object is not iterable",
        # "'str' object has no attribute 'keys'") become the data's words.
        found = _PYTHON_SHAPE.match(str(exc))
        if found:
            return f"expected {_expected(_type)}, got {_JSON_NAMES.get(found[1], found[1])}"
    return str(exc) or type(exc).__name__


_PYTHON_SHAPE = re.compile(r"^'(\w+)' object (?:is not iterable|has no attribute|is not subscript)")
_JSON_NAMES = {
    "NoneType": "null",
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true or false",
    "dict": "an object",
    "list": "a list",
}


def _expected(target: Any) -> str:
    """Name what ``target`` (the type cattrs was building) looks like in data."""
    origin = typing.get_origin(target) or target
    if isinstance(origin, type):
        if issubclass(origin, str):
            return "text"
        if issubclass(origin, Mapping) or attrs.has(origin):
            return "an object"
        if issubclass(origin, Iterable):
            return "a list"
    return "another kind of value"
