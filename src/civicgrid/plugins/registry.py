"""The registry: what the installed plugins provide, collected once and checked.

:func:`build_registry` calls each registration hook of each plugin once, checks what comes
back, and only then makes a :class:`Registry`. Any failure raises a
:class:`~civicgrid.errors.PluginError` naming the plugin and the hook, and no registry (half
built or otherwise) exists. Engines are built from a registry; they never call hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, TypeVar

import attrs
import cattrs
import pluggy

from civicgrid.domain.admissibility import TopicRules, UnknownTopicRules
from civicgrid.domain.earning import EarningRule
from civicgrid.domain.findings import Finding
from civicgrid.domain.organisations import Organisations
from civicgrid.domain.people import Roster
from civicgrid.domain.requests import Dispatch, Request
from civicgrid.domain.schemes import GridCheck, GridContext, GridScheme, PartyChain, run_checks
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.domain.units import UnitTree
from civicgrid.errors import (
    DuplicateRegistration,
    PluginError,
    UnknownGuard,
    UnknownMethod,
    UnknownScheme,
)
from civicgrid.plugins.manager import PluginSpec, plugin_manager
from civicgrid.serialization import make_converter
from civicgrid.workflows.calendar import WeekendCalendar, WorkCalendar
from civicgrid.workflows.compiled import CompiledMethod, compile_method
from civicgrid.workflows.engine import Observer
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.meeting_schedule import MeetingSchedule
from civicgrid.workflows.method import Method

__all__ = ["Registry", "build_registry", "load_registry"]


@attrs.frozen(kw_only=True)
class Registry:
    """Everything the plugins provide, by key, with the plugin that provided each."""

    plugins: tuple[str, ...]
    """Plugin names, in registration order."""
    methods: Mapping[str, Method]
    method_plugins: Mapping[str, str]
    guards: Mapping[str, Guard]
    guard_plugins: Mapping[str, str]
    observers: tuple[Observer, ...]
    calendar: WorkCalendar
    calendar_plugin: str
    converter: cattrs.Converter = attrs.field(eq=False)
    compiled: Mapping[str, CompiledMethod] = attrs.field(eq=False)
    """Each method compiled once, its guard names resolved."""
    grid_schemes: Mapping[str, GridScheme] = attrs.field(factory=dict)
    party_chains: Mapping[str, PartyChain] = attrs.field(factory=dict)
    grid_checks: tuple[GridCheck, ...] = ()
    """Every plugin's grid checks, in plugin order, each with its plugin set."""
    dispatchers: tuple[tuple[str, Callable[..., object], bool], ...] = ()
    """The ``classify_request`` implementations as (plugin, function, takes the request), in
    the order asked (pluggy's: last registered first, ``tryfirst``/``trylast`` honoured)."""
    topic_rules: Mapping[str, TopicRules] = attrs.field(factory=dict)
    """Each city's "七议五不议" rule set, by key, with the plugin that provided it."""
    earning_rules: Mapping[str, EarningRule] = attrs.field(factory=dict)
    """Every plugin's earning rules (P8), by key, each with its plugin set."""
    meeting_schedules: Mapping[str, MeetingSchedule] = attrs.field(factory=dict)
    """The deliberation methods' meeting days, by method key, each with its plugin set."""

    def method(self, key: str) -> Method:
        """Return method ``key``, or raise :class:`UnknownMethod` listing what is installed."""
        try:
            return self.methods[key]
        except KeyError:
            raise UnknownMethod(key, self.methods) from None

    def classify_request(self, request: Request) -> Dispatch | None:
        """Ask each dispatcher in turn (a city's before the built-in); the first answer wins.

        Returns ``None`` when no dispatcher answers. A dispatcher that raises, or answers with
        something other than a :class:`~civicgrid.Dispatch`, raises
        :class:`~civicgrid.errors.PluginError` naming it.
        """
        for plugin, dispatcher, takes_request in self.dispatchers:
            try:
                answer = dispatcher(request) if takes_request else dispatcher()
            except Exception as exc:
                raise PluginError(
                    plugin,
                    "classify_request",
                    f"raised {type(exc).__name__}: {exc}",
                    f"抛出异常 {type(exc).__name__}: {exc}",
                ) from exc
            if answer is None:
                continue
            if not isinstance(answer, Dispatch):
                raise PluginError(
                    plugin,
                    "classify_request",
                    f"returned {type(answer).__name__}, expected a Dispatch or None",
                    f"返回了 {type(answer).__name__}，应为 Dispatch 或 None",
                )
            return attrs.evolve(answer, dispatcher=plugin)
        return None

    def grid_scheme(self, key: str) -> GridScheme:
        """Return grid scheme ``key``, or raise :class:`UnknownScheme` listing what is installed."""
        try:
            return self.grid_schemes[key]
        except KeyError:
            raise UnknownScheme(key, self.grid_schemes) from None

    def topic_rule_set(self, key: str) -> TopicRules:
        """Return topic rules ``key``; :class:`UnknownTopicRules` lists those installed."""
        try:
            return self.topic_rules[key]
        except KeyError:
            raise UnknownTopicRules(key, self.topic_rules) from None

    def check_grid(
        self,
        tree: UnitTree,
        scheme: str,
        *,
        organisations: Organisations | None = None,
        roster: Roster | None = None,
        on: date | None = None,
    ) -> tuple[Finding, ...]:
        """Check ``tree`` against grid scheme ``scheme`` with every installed grid check.

        ``organisations`` and ``roster`` are needed by the party-coverage, staffing and
        household-leader rules; without them those rules see none. ``on`` is the date terms
        and appointments are read on, today in Asia/Shanghai by default. Returns the findings,
        most severe first; see :func:`civicgrid.domain.schemes.run_checks`.
        """
        grid_scheme = self.grid_scheme(scheme)
        chain = (
            None if grid_scheme.party_chain is None else self.party_chains[grid_scheme.party_chain]
        )
        context = GridContext(
            tree=tree,
            scheme=grid_scheme,
            on=datetime.now(DEFAULT_TZ).date() if on is None else on,
            organisations=Organisations() if organisations is None else organisations,
            roster=Roster() if roster is None else roster,
            chain=chain,
        )
        return run_checks(context, self.grid_checks)


def load_registry(
    *,
    builtins: bool = True,
    entry_points: bool = True,
    plugins: Iterable[PluginSpec] = (),
    blocked: Iterable[str] = (),
) -> Registry:
    """Discover plugins (see :func:`~civicgrid.plugins.manager.plugin_manager`) and build."""
    return build_registry(
        plugin_manager(
            builtins=builtins, entry_points=entry_points, plugins=plugins, blocked=blocked
        )
    )


def build_registry(pm: pluggy.PluginManager) -> Registry:
    """Call every registration hook once, check the answers, and return the registry."""
    methods: dict[str, Method] = {}
    method_plugins: dict[str, str] = {}
    for plugin, method in _items(pm, "register_methods", Method):
        if method.key in methods:
            raise DuplicateRegistration(
                "method", method.key, method_plugins[method.key], plugin, "register_methods"
            )
        methods[method.key] = method
        method_plugins[method.key] = plugin

    guards = _keyed(pm, "register_guards", Guard, "guard", _callable_check)
    guard_plugins = {name: guard.plugin or "" for name, guard in guards.items()}

    observers: list[Observer] = []
    for plugin, observer in _items(pm, "register_observers", object):
        if not callable(observer):
            raise PluginError(
                plugin, "register_observers", f"returned {observer!r}, which is not callable"
            )
        observers.append(observer)

    calendar, calendar_plugin = _calendar(pm)

    party_chains = _keyed(pm, "register_party_chains", PartyChain, "party chain")

    def chain_installed(plugin: str, scheme: GridScheme) -> None:
        if scheme.party_chain is not None and scheme.party_chain not in party_chains:
            raise PluginError(
                plugin,
                "register_grid_schemes",
                f"grid scheme {scheme.key!r} names party chain {scheme.party_chain!r}, which no "
                f"plugin provides (installed: {', '.join(sorted(party_chains)) or 'none'})",
                f"网格方案 {scheme.key!r} 引用的党组织链条 {scheme.party_chain!r} 未安装",
            )

    grid_schemes = _keyed(pm, "register_grid_schemes", GridScheme, "grid scheme", chain_installed)
    grid_checks = _keyed(pm, "register_grid_checks", GridCheck, "grid check", _callable_check)
    topic_rules = _keyed(
        pm,
        "register_topic_rules",
        TopicRules,
        "topic rules",
        lambda plugin, rules: _check_handling_classes(plugin, rules, methods),
    )

    converter = make_converter()
    for _plugin, _result in _calls(pm, "prepare_converter", converter=converter):
        pass

    compiled: dict[str, CompiledMethod] = {}
    for key, method in methods.items():
        try:
            compiled[key] = compile_method(method, guards)
        except UnknownGuard as exc:
            raise PluginError(
                method_plugins[key], "register_methods", exc.message_en, exc.message_zh
            ) from exc

    dispatchers = tuple(
        (impl.plugin_name, impl.function, "request" in impl.argnames)
        for impl in reversed(pm.hook.classify_request.get_hookimpls())
    )

    return Registry(
        plugins=tuple(name for name, plugin in pm.list_name_plugin() if plugin is not None),
        methods=MappingProxyType(methods),
        method_plugins=MappingProxyType(method_plugins),
        guards=MappingProxyType(guards),
        guard_plugins=MappingProxyType(guard_plugins),
        observers=tuple(observers),
        calendar=calendar,
        calendar_plugin=calendar_plugin,
        converter=converter,
        compiled=MappingProxyType(compiled),
        grid_schemes=MappingProxyType(grid_schemes),
        party_chains=MappingProxyType(party_chains),
        grid_checks=tuple(grid_checks.values()),
        dispatchers=dispatchers,
        topic_rules=MappingProxyType(topic_rules),
        earning_rules=MappingProxyType(
            _keyed(pm, "register_earning_rules", EarningRule, "earning rule")
        ),
        meeting_schedules=MappingProxyType(
            _keyed(
                pm,
                "register_meeting_schedules",
                MeetingSchedule,
                "meeting schedule",
                lambda plugin, schedule: _check_schedule(plugin, schedule, methods),
            )
        ),
    )


_Keyed = TypeVar(
    "_Keyed", Guard, PartyChain, GridScheme, GridCheck, TopicRules, EarningRule, MeetingSchedule
)


def _keyed(
    pm: pluggy.PluginManager,
    hook: str,
    kind: type[_Keyed],
    what: str,
    check: Callable[[str, _Keyed], None] | None = None,
) -> dict[str, _Keyed]:
    """Collect what every plugin registers under ``hook``, by key, each stamped with its plugin.

    A key (``key``, or ``name`` for guards and grid checks) registered twice is a
    :class:`DuplicateRegistration` naming both plugins; ``check`` refuses an item otherwise
    (raising :class:`PluginError`) before it is kept.
    """
    found: dict[str, _Keyed] = {}
    for plugin, item in _items(pm, hook, kind):
        key: object = item.name if isinstance(item, Guard | GridCheck) else item.key
        if not isinstance(key, str) or not key.strip():
            field = "name" if isinstance(item, Guard | GridCheck) else "key"
            raise PluginError(
                plugin,
                hook,
                f"a {what}'s {field} must be non-blank text, got {key!r}",
                f"{what} 的 {field} 须为非空文本，实际为 {key!r}",
            )
        if key in found:
            raise DuplicateRegistration(what, key, found[key].plugin or "", plugin, hook)
        if check is not None:
            check(plugin, item)
        found[key] = attrs.evolve(item, plugin=plugin)
    return found


def _check_schedule(plugin: str, schedule: MeetingSchedule, methods: Mapping[str, Method]) -> None:
    """Refuse a meeting schedule naming a method or a step no plugin provides."""
    method = methods.get(schedule.method)
    if method is None:
        raise PluginError(
            plugin,
            "register_meeting_schedules",
            f"meeting schedule names method {schedule.method!r}, which no plugin provides",
            f"会议安排引用的工作法 {schedule.method!r} 未安装",
        )
    unknown = sorted(schedule.steps - {step.key for step in method.steps})
    if unknown:
        raise PluginError(
            plugin,
            "register_meeting_schedules",
            f"meeting schedule of {schedule.method!r} names steps {unknown}, which the method "
            "does not have",
            f"{schedule.method!r} 的会议安排引用了工作法中没有的步骤 {unknown}",
        )


def _callable_check(plugin: str, item: Guard | GridCheck) -> None:
    """Refuse a guard or grid check whose ``check`` cannot be called, or without labels."""
    check: object = item.check  # typed as callable, but a plugin may break the type
    hook = "register_guards" if isinstance(item, Guard) else "register_grid_checks"
    what = "guard" if isinstance(item, Guard) else "grid check"
    if not callable(check):
        raise PluginError(plugin, hook, f"{what} {item.name!r}: check is not callable")
    for field in ("label_zh", "label_en"):
        label: object = getattr(item, field)
        if not isinstance(label, str) or not label.strip():
            raise PluginError(
                plugin, hook, f"{what} {item.name!r}: {field} must be non-blank text, got {label!r}"
            )


def _check_handling_classes(plugin: str, rules: TopicRules, methods: Mapping[str, Method]) -> None:
    """Refuse a rule set whose classes name a method, trigger or deadline not installed."""
    for bound in rules.classes:
        where = f"topic rules {rules.key!r}, class {bound.handling.value!r}"
        method = methods.get(bound.method)
        if method is None:
            installed = ", ".join(sorted(methods)) or "none"
            raise PluginError(
                plugin,
                "register_topic_rules",
                f"{where} names method {bound.method!r}, which no plugin provides "
                f"(installed: {installed})",
                f"议事规则 {rules.key!r} 的 {bound.handling.label_zh} 引用的工作法 "
                f"{bound.method!r} 未安装",
            )
        starts = {t.trigger for t in method.transitions if method.initial in t.sources}
        if bound.trigger is not None and bound.trigger not in starts:
            raise PluginError(
                plugin,
                "register_topic_rules",
                f"{where}: method {method.key!r} has no trigger {bound.trigger!r} from its "
                f"initial step {method.initial!r} (there: {', '.join(sorted(starts)) or 'none'})",
                f"议事规则 {rules.key!r} 的 {bound.handling.label_zh}：工作法 {method.key!r} "
                f"的初始环节没有流转 {bound.trigger!r}",
            )
        if bound.deadline not in {d.key for d in method.deadlines}:
            raise PluginError(
                plugin,
                "register_topic_rules",
                f"{where}: method {method.key!r} has no deadline {bound.deadline!r}",
                f"议事规则 {rules.key!r} 的 {bound.handling.label_zh}：工作法 {method.key!r} "
                f"没有时限 {bound.deadline!r}",
            )


def _calls(
    pm: pluggy.PluginManager, hook: str, *, pluggy_order: bool = False, **kwargs: Any
) -> Iterator[tuple[str, Any]]:
    """Call each implementation of ``hook``, naming the plugin on failure.

    Collecting hooks run in registration order (built-ins first), so "already registered by"
    names the earlier plugin; firstresult hooks keep pluggy's order (last registered first,
    ``tryfirst``/``trylast`` honoured) so that a city's answer wins over a built-in's.
    """
    caller: pluggy.HookCaller = getattr(pm.hook, hook)
    impls = list(reversed(caller.get_hookimpls()))
    if not pluggy_order:
        position = {name: i for i, (name, _) in enumerate(pm.list_name_plugin())}
        impls.sort(key=lambda impl: position.get(impl.plugin_name, len(position)))
    for impl in impls:
        if impl.hookwrapper or impl.wrapper:
            raise PluginError(impl.plugin_name, hook, "registration hooks take no wrappers")
        try:
            result = impl.function(*(kwargs[name] for name in impl.argnames))
        except Exception as exc:
            raise PluginError(
                impl.plugin_name,
                hook,
                f"raised {type(exc).__name__}: {exc}",
                f"抛出异常 {type(exc).__name__}: {exc}",
            ) from exc
        yield impl.plugin_name, result


def _items(pm: pluggy.PluginManager, hook: str, kind: type[Any]) -> Iterator[tuple[str, Any]]:
    """Flatten the iterables a registration hook returns, checking each item's type."""
    for plugin, result in _calls(pm, hook):
        if result is None:
            continue
        if isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
            raise PluginError(
                plugin,
                hook,
                f"returned {type(result).__name__}, expected a list of {kind.__name__}",
                f"返回了 {type(result).__name__}，应返回 {kind.__name__} 的列表",
            )
        try:
            items = list(result)
        except Exception as exc:
            raise PluginError(plugin, hook, f"raised {type(exc).__name__}: {exc}") from exc
        for position, item in enumerate(items):
            if not isinstance(item, kind):
                raise PluginError(
                    plugin,
                    hook,
                    f"item {position} is {type(item).__name__}, expected {kind.__name__}",
                    f"第 {position} 项是 {type(item).__name__}，应为 {kind.__name__}",
                )
            yield plugin, item


def _calendar(pm: pluggy.PluginManager) -> tuple[WorkCalendar, str]:
    for plugin, result in _calls(pm, "work_calendar", pluggy_order=True):
        if result is None:
            continue
        if isinstance(result, type) or not isinstance(result, WorkCalendar):
            raise PluginError(
                plugin,
                "work_calendar",
                f"returned {type(result).__name__}, expected a WorkCalendar",
            )
        return result, plugin
    return WeekendCalendar(), "(default)"
