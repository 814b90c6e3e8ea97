"""Loading methods from TOML or JSON, through the library's one converter.

A method file uses the field names of :class:`~civicgrid.workflows.method.Method`, except
that a transition's steps are ``from`` and ``to``. Errors list every problem with its path::

    invalid method 'six_self' (six_self.toml): 2 problems
      - steps[2].label_zh: missing
      - transitions[0].to: unknown step 'dicsuss'
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib.resources.abc import Traversable
from os import PathLike
from pathlib import Path
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from civicgrid.errors import InvalidMethod, Problem
from civicgrid.serialization import make_converter, problems_of
from civicgrid.workflows.method import Method, Transition

__all__ = [
    "configure_converter",
    "load_method",
    "loads_method",
    "method_from_data",
    "method_to_data",
]


def configure_converter(converter: cattrs.Converter) -> None:
    """Teach ``converter`` the file form of methods (``from``/``to`` on transitions)."""
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


@cache
def _converter() -> cattrs.Converter:
    return make_converter()


def method_from_data(
    data: Any, *, converter: cattrs.Converter | None = None, source: str | None = None
) -> Method:
    """Build a method from parsed TOML/JSON, or raise :class:`InvalidMethod` with every path."""
    key = data.get("key") if isinstance(data, Mapping) else None
    key = key if isinstance(key, str) else None
    try:
        return (converter or _converter()).structure(data, Method)
    except InvalidMethod as exc:
        raise InvalidMethod(exc.key, exc.problems, source) from None
    except (cattrs.ClassValidationError, cattrs.IterableValidationError) as exc:
        raise InvalidMethod(key, problems_of(exc), source) from exc
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
