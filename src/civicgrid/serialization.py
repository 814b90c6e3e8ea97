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
- tuples and frozensets are lists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from dateutil.relativedelta import relativedelta

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
        parsed = datetime.fromisoformat(value)
    else:
        raise TypeError(f"expected an ISO 8601 datetime string, got {type(value).__name__}")
    return require_aware(parsed, "datetime")


def _structure_date(value: Any, _type: Any) -> date:
    if isinstance(value, datetime):
        raise TypeError("expected a date (YYYY-MM-DD), got a datetime")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return date.fromisoformat(value)
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


def make_converter() -> cattrs.Converter:
    """Return a new converter with the library's policy; plugins extend it, never a global."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(str, _structure_str)
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
    _configure_entities(converter)
    return converter


def _configure_entities(converter: cattrs.Converter) -> None:
    """Register the few entity-specific forms (renamed keys) that the general policy lacks."""
    # Imported here: the modules that define entities sit above this one.
    from civicgrid.workflows import loading  # noqa: PLC0415

    loading.configure_converter(converter)


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
    return str(exc) or type(exc).__name__
