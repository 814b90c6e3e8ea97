"""Loading methods from TOML or JSON, through the library's one converter.

A method file uses the field names of :class:`~civicgrid.workflows.method.Method`, except
that a transition's steps are ``from`` and ``to``. Errors list every problem with its path::

    invalid method 'six_self' (six_self.toml): 2 problems
      - steps[2].label_zh: missing
      - transitions[0].to: unknown step 'dicsuss'
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping
from functools import cache
from importlib.resources.abc import Traversable
from os import PathLike
from pathlib import Path
from types import GenericAlias
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from civicgrid.errors import InvalidMethod, Problem
from civicgrid.serialization import make_converter, problems_of
from civicgrid.workflows.method import Deadline, Level, Method, Role, Step, Transition

__all__ = [
    "configure_converter",
    "load_method",
    "loads_method",
    "method_from_data",
    "method_to_data",
]


_TABLES_OF: dict[type, str] = {
    Step: "steps",
    Role: "roles",
    Transition: "transitions",
    Deadline: "deadlines",
    Level: "escalation",
}
"""Each entry type of a method and the table array a file writes it in."""


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the file form of methods (``from``/``to`` on transitions).

    A method's entries must be tables and its lists of entries lists: anything else is
    refused at its path with what was expected, never iterated as characters or keys.
    """
    converter.register_structure_hook(
        Transition,
        make_dict_structure_fn(
            Transition,
            converter,
            _cattrs_forbid_extra_keys=True,
            sources=override(rename="from"),
            target=override(rename="to"),
        ),
    )
    converter.register_unstructure_hook(
        Transition,
        make_dict_unstructure_fn(
            Transition, converter, sources=override(rename="from"), target=override(rename="to")
        ),
    )
    for cls, name in _TABLES_OF.items():
        converter.register_structure_hook(cls, _table(converter.get_structure_hook(cls)))
        many = GenericAlias(tuple, (cls, ...))  # tuple[Step, ...]
        hook = _list_of_tables(converter.get_structure_hook(many), name)
        converter.register_structure_hook_func(_same(many), hook)


def _same(many: GenericAlias) -> Callable[[Any], bool]:
    return lambda t: isinstance(t, GenericAlias) and t == many


def _kind(value: object) -> str:
    """Name a parsed value's type as a method file's author knows it."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return "nothing" if value is None else "text" if isinstance(value, str) else "a value"


def _table(inner: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def structure(value: Any, cls: Any) -> Any:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a table, got {_kind(value)}")
        return inner(value, cls)

    return structure


def _list_of_tables(inner: Callable[[Any, Any], Any], name: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, cls: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list of tables ([[{name}]]), got {_kind(value)}")
        return inner(value, cls)

    return structure


_FILE_NAMES = re.compile(r"^(transitions\[\d+\])\.(sources|target)\b")


def _in_file_words(problems: list[Problem]) -> list[Problem]:
    """Spell paths as the file does: a transition's ``sources``/``target`` are ``from``/``to``.

    An unknown key that is blank is quoted, so the message still shows it.
    """
    names = {"sources": "from", "target": "to"}
    out = []
    for problem in problems:
        path = _FILE_NAMES.sub(lambda m: f"{m[1]}.{names[m[2]]}", problem.path)
        message = problem.message
        if message.startswith(_UNKNOWN):
            keys = message.removeprefix(_UNKNOWN).split(", ")
            message = _UNKNOWN + ", ".join(key if key.strip() else repr(key) for key in keys)
        out.append(Problem(path, message))
    return out


_UNKNOWN = "unknown field(s): "


@cache
def _converter() -> cattrs.Converter:
    return make_converter()


def method_from_data(
    data: Any, *, converter: cattrs.Converter | None = None, source: str | None = None
) -> Method:
    """Build a method from parsed TOML/JSON, or raise :class:`InvalidMethod` with every path."""
    if not isinstance(data, Mapping):
        message = f"a method is a table/object at the top level, got {_kind(data)}"
        raise InvalidMethod(None, [Problem("", message)], source)
    key = data.get("key")
    key = key if isinstance(key, str) else None
    converter = converter or _converter()  # outside the try: its own errors are not the data's
    try:
        return converter.structure(data, Method)
    except InvalidMethod as exc:
        raise InvalidMethod(exc.key, exc.problems, source) from None
    except (cattrs.ClassValidationError, cattrs.IterableValidationError) as exc:
        raise InvalidMethod(key, _in_file_words(problems_of(exc)), source) from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidMethod(key, [Problem("", str(exc))], source) from exc


def method_to_data(method: Method, *, converter: cattrs.Converter | None = None) -> dict[str, Any]:
    """Unstructure ``method`` into plain data that :func:`method_from_data` reads back."""
    data: dict[str, Any] = (converter or _converter()).unstructure(method)
    return data


def loads_method(text: str, *, format: str = "toml", source: str | None = None) -> Method:
    """Parse ``text`` as a TOML or JSON method."""
    try:
        if format == "toml":
            data = tomllib.loads(text)
        elif format == "json":
            data = json.loads(text)
        else:
            raise InvalidMethod(
                None, [Problem("", f"unknown format {format!r}: use toml or json")], source
            )
    except tomllib.TOMLDecodeError as exc:
        raise InvalidMethod(None, [Problem("", f"not valid TOML: {exc}")], source) from exc
    except json.JSONDecodeError as exc:
        raise InvalidMethod(None, [Problem("", f"not valid JSON: {exc}")], source) from exc
    if not isinstance(data, dict):
        raise InvalidMethod(
            None, [Problem("", "a method is a table/object at the top level")], source
        )
    return method_from_data(data, source=source)


def load_method(path: str | PathLike[str] | Traversable) -> Method:
    """Load a method from a ``.toml`` or ``.json`` file (or a package resource)."""
    name = str(path)
    suffix = Path(getattr(path, "name", name)).suffix.lower()
    if suffix not in (".toml", ".json"):
        raise InvalidMethod(None, [Problem("", "a method file ends in .toml or .json")], name)
    target = path if isinstance(path, Traversable) else Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidMethod(None, [Problem("", f"cannot read: {exc}")], name) from exc
    return loads_method(text, format=suffix[1:], source=name)
