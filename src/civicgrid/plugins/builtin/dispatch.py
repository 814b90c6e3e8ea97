"""Built-in plugin ``civicgrid.dispatch``: the rule-based default dispatcher (DOMAIN.md I9).

Its ``classify_request`` reads the request's Chinese text against the table shipped in
``dispatch_rules.toml`` (categories, phrases, levels and assignee roles: data a city edits) and
is marked ``trylast``, so any city dispatcher answers first and this one only when the city's
passes. A city with a table of its own registers ``RuleDispatcher(load_dispatch_rules(path))``
as a plugin. The labelled sample its figures are measured on ships beside it
(:func:`dispatch_sample`; ``civicgrid requests dispatch-eval``).
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Iterable, Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from civicgrid.domain.dispatch_rules import TIERS, AssigneeRole, DispatchCategory, DispatchRules
from civicgrid.domain.requests import Channel, Dispatch, Request
from civicgrid.errors import InvalidData, Problem
from civicgrid.plugins.markers import hookimpl

__all__ = [
    "RULES_FILE",
    "SAMPLE_FILE",
    "RuleDispatcher",
    "classify_request",
    "default_dispatch_rules",
    "dispatch_rules_from_data",
    "dispatch_sample",
    "load_dispatch_rules",
]

RULES_FILE = "dispatch_rules.toml"
"""The default table, shipped in this package."""

SAMPLE_FILE = "dispatch_sample.csv"
"""The labelled sample set, shipped in this package (the tests read the same file)."""

_WHAT = "dispatch rules"


def dispatch_rules_from_data(
    data: Mapping[str, object], *, source: str | None = None
) -> DispatchRules:
    """Build a table from parsed TOML or JSON, or raise ``InvalidData`` listing every problem.

    Top-level keys: ``min_score``, ``dominance``, ``weights`` (per tier), ``ignore`` (a list of
    phrases that score nothing), ``variants`` (a list of two-character items, traditional then
    simplified), ``assignees`` (a table of ``label_zh``/``label_en`` by role key) and
    ``categories`` (a table of categories by key, with the fields of
    :class:`~civicgrid.DispatchCategory`; ``channels`` keyed by :class:`~civicgrid.Channel`
    value). Unknown keys are refused; paths are those of the table (``categories.noise.level``).
    """
    problems = _unknown(data, "", _TOP)
    settings: dict[str, object] = {}
    for name in ("min_score", "dominance"):
        if name in data:
            settings[name] = data[name]
    for name, kind, message in (
        ("weights", Mapping, "must be a table of tier = weight"),
        ("ignore", list, "must be a list of phrases"),
    ):
        value = data.get(name)
        if isinstance(value, kind):
            settings[name] = value
        elif value is not None:
            problems.append(Problem(name, message))
    settings["variants"] = _variants_data(data.get("variants", []), problems)
    assignees: dict[str, AssigneeRole] = {}
    for key, item in _table_at(data, "assignees", problems).items():
        role = _build(AssigneeRole, f"assignees.{key}.", item, {"key": key}, problems)
        # A role that failed is reported already; a stand-in keeps the categories naming it
        # from being reported a second time as naming an unknown role.
        assignees[key] = role if isinstance(role, AssigneeRole) else _STAND_IN
    categories: list[DispatchCategory] = []
    for key, item in _table_at(data, "categories", problems).items():
        category = _build(DispatchCategory, f"categories.{key}.", item, {"key": key}, problems)
        if isinstance(category, DispatchCategory):
            categories.append(category)
        elif isinstance(item, Mapping) and item.get("assignee", None) not in (None, *assignees):
            known = ", ".join(assignees) or "none"
            problems.append(
                Problem(
                    f"categories.{key}.assignee",
                    f"unknown assignee {item['assignee']!r}; known: {known}",
                )
            )
    if categories or not problems:
        try:
            return DispatchRules(
                categories=categories,
                assignees=assignees,
                source=source,
                **settings,  # type: ignore[arg-type]
            )
        except InvalidData as invalid:
            problems.extend(invalid.problems)
        except TypeError as exc:
            problems.append(Problem("", str(exc)))
    raise InvalidData(_WHAT, problems, source)


def load_dispatch_rules(path: str | os.PathLike[str] | Traversable) -> DispatchRules:
    """Read a dispatch table from a TOML file (or a package resource), or raise ``InvalidData``.

    A file that cannot be read raises the usual :class:`OSError`; one that is not valid TOML or
    not a valid table raises :class:`~civicgrid.errors.InvalidData` naming the file.
    """
    target = path if isinstance(path, Traversable) else Path(path)
    source = str(path)
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidData(_WHAT, [Problem("", f"TOML: {exc}")], source) from exc
    except UnicodeDecodeError as exc:
        raise InvalidData(_WHAT, [Problem("", f"not UTF-8: {exc}")], source) from exc
    return dispatch_rules_from_data(data, source=source)


@functools.cache
def default_dispatch_rules() -> DispatchRules:
    """Return the table shipped with the library, read once on first use."""
    return load_dispatch_rules(files(__package__).joinpath(RULES_FILE))


def dispatch_sample() -> Traversable:
    """Return the labelled sample set shipped with the library (CSV, UTF-8), as a resource."""
    return files(__package__).joinpath(SAMPLE_FILE)


class RuleDispatcher:
    """A plugin that dispatches with a table of your own: ``RuleDispatcher(rules)``.

    Registered like any plugin (``load_registry(plugins=[("city.dispatch", dispatcher)])``),
    it answers before the built-in; a request none of its phrases match passes on.
    """

    def __init__(self, rules: DispatchRules) -> None:
        self.rules = rules

    @hookimpl
    def classify_request(self, request: Request) -> Dispatch | None:
        """Classify ``request`` with this dispatcher's table."""
        return self.rules.dispatch(request)


@hookimpl(trylast=True)
def classify_request(request: Request) -> Dispatch | None:
    """Classify ``request`` with the default table; asked after every other dispatcher."""
    return default_dispatch_rules().dispatch(request)


_TOP = ("min_score", "dominance", "weights", "ignore", "variants", "assignees", "categories")
_CATEGORY_FIELDS = ("label_zh", "label_en", "level", "assignee", *TIERS, "level_on", "channels")
_CHANNELS = {channel.value: channel for channel in Channel}


_STAND_IN = AssigneeRole(key="invalid", label_zh="无效", label_en="invalid")


def _unknown(data: Mapping[str, object], here: str, allowed: Iterable[str]) -> list[Problem]:
    names = tuple(allowed)
    return [
        Problem(f"{here}{name}", f"unknown field; expected one of {', '.join(names)}")
        for name in data
        if name not in names
    ]


def _table_at(
    data: Mapping[str, object], name: str, problems: list[Problem]
) -> Mapping[str, object]:
    value = data.get(name, {})
    if isinstance(value, Mapping):
        return value
    problems.append(Problem(name, "must be a table"))
    return {}


def _build(
    kind: type[AssigneeRole] | type[DispatchCategory],
    here: str,
    item: object,
    fields: dict[str, object],
    problems: list[Problem],
) -> object:
    """Build one role or category from a table, adding its problems under ``here``.

    A field of the wrong shape is reported and left out, and the rest is still checked by the
    entity itself, so one pass reports the shape and the meaning problems together.
    """
    if not isinstance(item, Mapping):
        problems.append(Problem(here.rstrip("."), "must be a table"))
        return None
    allowed = _CATEGORY_FIELDS if kind is DispatchCategory else ("label_zh", "label_en")
    required = ("label_zh", "label_en", "level") if kind is DispatchCategory else allowed
    missing = [name for name in required if name not in item]
    found = _unknown(item, here, allowed)
    found.extend(Problem(f"{here}{name}", "missing") for name in missing)
    dropped_phrases = False
    for name in allowed:
        if name not in item:
            continue
        value = item[name]
        if name in TIERS and not isinstance(value, list):
            found.append(Problem(f"{here}{name}", "must be a list of phrases"))
            dropped_phrases = True
            continue
        if name == "level_on":
            value = _level_on_data(value, f"{here}{name}", found)
        elif name == "channels":
            value = _channels_data(value, f"{here}{name}", found)
        fields[name] = value
    problems.extend(found)
    if missing:
        return None
    try:
        built = kind(**fields)  # type: ignore[arg-type]
    except InvalidData as invalid:
        problems.extend(
            Problem(f"{here}{p.path}", p.message)
            for p in invalid.problems
            if not (dropped_phrases and p.path == "keywords")
        )
        return None
    return None if found else built


def _level_on_data(value: object, here: str, found: list[Problem]) -> dict[str, object]:
    if not isinstance(value, Mapping):
        found.append(Problem(here, "must be a table of level = [phrases]"))
        return {}
    result: dict[str, object] = {}
    for level, phrases in value.items():
        if isinstance(phrases, list):
            result[str(level)] = phrases
        else:
            found.append(Problem(f"{here}.{level}", "must be a list of phrases"))
    return result


def _channels_data(value: object, here: str, found: list[Problem]) -> dict[Channel, object]:
    if not isinstance(value, Mapping):
        found.append(Problem(here, "must be a table of channel = bonus"))
        return {}
    result: dict[Channel, object] = {}
    for name, bonus in value.items():
        channel = _CHANNELS.get(name) if isinstance(name, str) else None
        if channel is None:
            known = ", ".join(_CHANNELS)
            found.append(Problem(f"{here}.{name}", f"unknown channel {name!r}; channels: {known}"))
        else:
            result[channel] = bonus
    return result


def _variants_data(value: object, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(value, list):
        problems.append(Problem("variants", 'must be a list of pairs such as "電电"'))
        return {}
    pairs: dict[str, str] = {}
    for i, item in enumerate(value):
        if not isinstance(item, str) or len(item) != 2:
            problems.append(
                Problem(
                    f"variants[{i}]",
                    f"must be two characters, traditional then simplified, not {item!r}",
                )
            )
        elif item[0] in pairs and pairs[item[0]] != item[1]:
            problems.append(
                Problem(f"variants[{i}]", f"{item[0]} is already made {pairs[item[0]]}")
            )
        else:
            pairs[item[0]] = item[1]
    return pairs
