"""Building plugin managers: built-ins first, then installed entry points, or an explicit list.

The manager is always built by a function call, never at import time. Installed packages
declare plugins in the entry-point group ``civicgrid``::

    [project.entry-points.civicgrid]
    chengdu = "civicgrid_chengdu.plugin"

A city can block a built-in by name (``blocked=["civicgrid.six_self"]``) and put its own in
its place.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points
from types import ModuleType

import pluggy

from civicgrid.errors import PluginError
from civicgrid.plugins import hookspecs
from civicgrid.plugins.markers import PROJECT

__all__ = ["BUILTIN_PLUGINS", "isolated_plugin_manager", "plugin_manager"]

BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("civicgrid.calendars", "civicgrid.plugins.builtin.calendars"),
    ("civicgrid.guards", "civicgrid.plugins.builtin.guards"),
    ("civicgrid.six_self", "civicgrid.plugins.builtin.six_self"),
    ("civicgrid.five_steps", "civicgrid.plugins.builtin.five_steps"),
    ("civicgrid.grid_schemes", "civicgrid.plugins.builtin.grid_schemes"),
    ("civicgrid.party_chains", "civicgrid.plugins.builtin.party_chains"),
    ("civicgrid.grid_checks", "civicgrid.plugins.builtin.grid_checks"),
    ("civicgrid.owners_committee_vetting", "civicgrid.plugins.builtin.owners_committee_vetting"),
    ("civicgrid.requests", "civicgrid.plugins.builtin.requests"),
    ("civicgrid.dispatch", "civicgrid.plugins.builtin.dispatch"),
    ("civicgrid.immediate_53522", "civicgrid.plugins.builtin.immediate_53522"),
    ("civicgrid.four_orders", "civicgrid.plugins.builtin.four_orders"),
    ("civicgrid.micro_wishes", "civicgrid.plugins.builtin.micro_wishes"),
    ("civicgrid.five_matters", "civicgrid.plugins.builtin.five_matters"),
    ("civicgrid.grid_whistle", "civicgrid.plugins.builtin.grid_whistle"),
    ("civicgrid.safety_campaign", "civicgrid.plugins.builtin.safety_campaign"),
    ("civicgrid.problem_ledger", "civicgrid.plugins.builtin.problem_ledger"),
    ("civicgrid.participatory_planning", "civicgrid.plugins.builtin.participatory_planning"),
    ("civicgrid.six_foot_lane", "civicgrid.plugins.builtin.six_foot_lane"),
    ("civicgrid.topic_handling", "civicgrid.plugins.builtin.topic_handling"),
    ("civicgrid.redemption", "civicgrid.plugins.builtin.redemption"),
    ("civicgrid.earning", "civicgrid.plugins.builtin.earning"),
)
"""(plugin name, module) of the library's own plugins, registered like any other."""

PluginSpec = object | tuple[str, object]


def plugin_manager(
    *,
    builtins: bool = True,
    entry_points: bool = True,
    plugins: Iterable[PluginSpec] = (),
    blocked: Iterable[str] = (),
) -> pluggy.PluginManager:
    """Return a new plugin manager: built-ins, then installed entry points, then ``plugins``.

    ``plugins`` items are modules or objects with hook implementations, or ``(name, plugin)``
    pairs. Names in ``blocked`` are never registered. Every hook implementation is checked
    against its spec, and a misspelt hook name fails here.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    if builtins:
        for name, module in BUILTIN_PLUGINS:
            _register(pm, name, importlib.import_module(module))
    if entry_points:
        _load_entry_points(pm)
    for spec in plugins:
        name, plugin = spec if isinstance(spec, tuple) else (_name_of(spec), spec)
        _register(pm, name, plugin)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or _name_of(exc.plugin)
        unknown = [
            hook
            for hook, caller in vars(pm.hook).items()
            if not caller.has_spec()
            and any(impl.plugin is exc.plugin for impl in caller.get_hookimpls())
        ]
        raise PluginError(
            name,
            ", ".join(sorted(unknown)) or "?",
            f"implements a hook that does not exist: {exc}",
            f"实现了不存在的钩子：{exc}",
        ) from exc
    return pm


def isolated_plugin_manager(*plugins: PluginSpec, builtins: bool = False) -> pluggy.PluginManager:
    """Return a manager holding only ``plugins`` (and the built-ins if asked): no discovery.

    For tests and for applications that want to say exactly what runs.
    """
    return plugin_manager(builtins=builtins, entry_points=False, plugins=plugins)


def _register(pm: pluggy.PluginManager, name: str, plugin: object) -> None:
    if pm.is_blocked(name):
        return
    if pm.has_plugin(name):
        raise PluginError(name, "register", "a plugin with this name is already registered")
    try:
        pm.register(plugin, name=name)
    except ValueError as exc:  # pluggy: the same object registered twice, under another name
        raise PluginError(name, "register", str(exc)) from exc
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            name, "register", f"hook implementation does not match its spec: {exc}"
        ) from exc


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    for ep in entry_points(group=PROJECT):
        if pm.is_blocked(ep.name):
            continue
        if pm.has_plugin(ep.name):
            raise PluginError(
                ep.name,
                "load",
                f"entry point {ep.value!r} uses a name that is already registered; "
                "rename the entry point, or block the other plugin",
                f"入口 {ep.value!r} 的名称已被占用；请改名，或屏蔽另一个插件",
            )
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                ep.name,
                "load",
                f"entry point {ep.value!r} failed to import: {type(exc).__name__}: {exc}",
                f"入口 {ep.value!r} 导入失败：{type(exc).__name__}: {exc}",
            ) from exc
        _register(pm, ep.name, plugin)


def _name_of(plugin: object) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    name = getattr(plugin, "__name__", None)
    if isinstance(name, str):
        return name
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}"
