"""Naming a parsed JSON value's type in an error, in the words of the JSON it came from.

The district documents and the Open311 reader both say what they found where they expected
something else ("expected an array, got null"); they name it the same way.
"""

from __future__ import annotations

__all__ = ["json_kind"]

_NAMES: dict[type, str] = {type(None): "null", dict: "an object", list: "an array", str: "text"}


def json_kind(value: object) -> str:
    """Return how a JSON reader names the type of ``value`` (``null``, ``an array`` …)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    return _NAMES.get(type(value), type(value).__name__)
