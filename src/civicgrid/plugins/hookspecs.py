"""The hooks a civicgrid plugin may implement: each docstring is the contract.

A plugin is a module or object with functions marked ``@civicgrid.hookimpl`` and named after
these specs. The library's own methods and calendar are plugins registered through these same
hooks. Registration hooks are called once, when a :class:`~civicgrid.plugins.registry.Registry`
is built, never per transition: the registry resolves every name to a plain object first.

A hook that raises, or returns the wrong type, fails the build with a
:class:`~civicgrid.errors.PluginError` naming the plugin and the hook; no registry is made.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from civicgrid.plugins.markers import hookspec

if TYPE_CHECKING:
    import cattrs

    from civicgrid.domain.admissibility import TopicRules
    from civicgrid.domain.earning import EarningRule
    from civicgrid.domain.requests import Dispatch, Request
    from civicgrid.domain.schemes import GridCheck, GridScheme, PartyChain
    from civicgrid.workflows.calendar import WorkCalendar
    from civicgrid.workflows.engine import Observer
    from civicgrid.workflows.guards import Guard
    from civicgrid.workflows.meeting_schedule import MeetingSchedule
    from civicgrid.workflows.method import Method

__all__ = [
    "classify_request",
    "prepare_converter",
    "register_earning_rules",
    "register_grid_checks",
    "register_grid_schemes",
    "register_guards",
    "register_meeting_schedules",
    "register_methods",
    "register_observers",
    "register_party_chains",
    "register_topic_rules",
    "work_calendar",
]


@hookspec
def register_methods() -> Iterable[Method]:
    """Return the working methods (工作法) this plugin provides.

    Called once per registry build; every plugin's methods are collected. A method key must
    be unique across all plugins: a second plugin registering the same key is an error
    naming both. Load methods from data files with :func:`civicgrid.load_method`.
    """
    raise NotImplementedError


@hookspec
def register_guards() -> Iterable[Guard]:
    """Return the named guards this plugin provides, for methods to refer to by name.

    Called once per registry build; names are unique across all plugins. A method naming a
    guard that no plugin provides fails the build. A guard's check runs on every transition
    that names it, so it must be fast and must not change the case.
    """
    raise NotImplementedError


@hookspec
def register_observers() -> Iterable[Observer]:
    """Return callables told of every event an engine records: ``observer(case, event)``.

    Called once per registry build; every plugin's observers are kept, in plugin order. Use
    them to notify people of breaches or to feed another system; they must not raise.
    """
    raise NotImplementedError


@hookspec
def register_grid_schemes() -> Iterable[GridScheme]:
    """Return the grid schemes (网格划分方案) this plugin provides.

    Called once per registry build; keys are unique across all plugins. A scheme says which
    unit kinds exist, which may sit under which, and its sizing and staffing rules; a tree is
    checked against one with :meth:`civicgrid.Registry.check_grid`.
    """
    raise NotImplementedError


@hookspec
def register_party_chains() -> Iterable[PartyChain]:
    """Return the party-organisation chains (党组织链条) this plugin provides.

    Called once per registry build; keys are unique across all plugins. A grid scheme names
    the chain its party organisations follow; a scheme naming a chain no plugin provides
    fails the build.
    """
    raise NotImplementedError


@hookspec
def register_grid_checks() -> Iterable[GridCheck]:
    """Return rules that every grid check runs, each returning :class:`civicgrid.Finding` s.

    Called once per registry build; names are unique across all plugins, and every check of
    every plugin runs on every :meth:`civicgrid.Registry.check_grid` call. A check reads the
    :class:`civicgrid.GridContext` (tree, scheme, organisations, roster, date) and returns
    nothing when the scheme does not configure its rule. The library's own rules (kind order,
    sizes, staffing, party coverage, household leaders) are registered here by the built-in
    plugin ``civicgrid.grid_checks``; block it to replace them.
    """
    raise NotImplementedError


@hookspec
def register_topic_rules() -> Iterable[TopicRules]:
    """Return the topic rules ("七议五不议", DOMAIN.md D5–D6) this plugin provides.

    Called once per registry build; keys are unique across all plugins, and a second plugin
    registering a key already taken is an error naming both. A rule set lists the kinds of
    matters a city deliberates and those it does not, each with its labels and the reason,
    and binds each triage class (一事一议, 三快, 二提, 一转) to a method, the trigger that
    starts it and the deadline that times it: a class naming a method, trigger or deadline no
    plugin provides fails the build. Look a set up with
    :meth:`civicgrid.Registry.topic_rule_set` and triage a topic with
    :meth:`civicgrid.TopicRules.triage`.
    """
    raise NotImplementedError


@hookspec
def register_earning_rules() -> Iterable[EarningRule]:
    """Return the earning rules (积分规则, DOMAIN.md P8) this plugin provides.

    Called once per registry build; keys are unique across all plugins, and a second plugin
    registering a key already taken is an error naming both. A rule says which activity earns
    (an event of a method, or a named activity such as ``patrol``), how much in each currency
    (city and district points at once, P1), the caps per day and per period and the roles
    eligible. A :class:`civicgrid.PointsDesk` built from the registry awards by every rule; the
    library's defaults come from the built-in plugin ``civicgrid.earning``: block it to replace
    them. A rule naming a method no plugin provides never matches.
    """
    raise NotImplementedError


@hookspec
def register_meeting_schedules() -> Iterable[MeetingSchedule]:
    """Return the meeting days of the deliberation methods this plugin provides (D2–D4).

    Called once per registry build; one schedule per method, and a second plugin scheduling
    a method already scheduled is an error naming both. A :class:`civicgrid.MeetingSchedule`
    joins a method to a :class:`civicgrid.MeetingRule` (every Thursday, the 20th of each
    month …) and names the steps whose topics move on only at a meeting; a schedule naming
    a method or a step no plugin provides fails the build. The simulation lets topics in
    those steps wait for the next meeting; a method with no schedule moves at its workers'
    pace.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def classify_request(request: Request) -> Dispatch | None:
    """Classify and route an incoming request: category, level, unit, assignee; or ``None``.

    firstresult: the first plugin answering wins, and ``None`` passes to the next. The
    built-in rule-based dispatcher (keywords and categories on the Chinese text) is marked
    ``trylast`` so any city dispatcher runs first. Called once per request at intake through
    :meth:`civicgrid.Registry.classify_request`, which resolves the implementations when the
    registry is built (no hook call per request); it must not change the request. Return a
    :class:`civicgrid.Dispatch` with ``automatic=False`` for a guess a person must confirm.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def work_calendar() -> WorkCalendar | None:
    """Return the work calendar deadlines in working days count on, or ``None`` to pass.

    firstresult: the first plugin answering wins. The built-in answer, weekends only, is
    marked ``trylast`` so any city plugin overrides it, e.g. with
    :class:`civicgrid.OfficialChineseCalendar` for public holidays and make-up working days.
    """
    raise NotImplementedError


@hookspec
def prepare_converter(converter: cattrs.Converter) -> None:
    """Register cattrs hooks for the plugin's own types on the registry's converter.

    Called once per registry build, on a fresh converter from
    :func:`civicgrid.make_converter`; every plugin is called. Never touch cattrs' global
    converter.
    """
    raise NotImplementedError
