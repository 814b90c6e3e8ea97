"""civicgrid: typed entities and workflow state machines for community governance.

党建引领基层治理 — grids, organisations, resident requests, deliberation and volunteer points,
each city's working method a plugin running on one kernel. Everything public is re-exported
here; the submodules load on first use, so ``import civicgrid.domain`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from civicgrid.domain.time import DEFAULT_TZ, get_timezone
    from civicgrid.errors import (
        CalendarError,
        CalendarRangeError,
        CivicGridError,
        ClockError,
        DuplicateRegistration,
        GuardFailed,
        GuardRefused,
        InvalidData,
        InvalidMethod,
        LadderExhausted,
        NaiveDatetimeError,
        ObserverError,
        OpenRefused,
        OutOfOrder,
        PluginError,
        Problem,
        Refusal,
        ReplayError,
        RoleRefused,
        TransitionRefused,
        TriggerNotAllowed,
        UnknownGuard,
        UnknownMethod,
        UnknownTrigger,
        WorkflowError,
    )
    from civicgrid.plugins.manager import BUILTIN_PLUGINS, isolated_plugin_manager, plugin_manager
    from civicgrid.plugins.markers import hookimpl, hookspec
    from civicgrid.plugins.registry import Registry, build_registry, load_registry
    from civicgrid.serialization import make_converter, structure
    from civicgrid.workflows.actor import SYSTEM_ACTOR, Actor
    from civicgrid.workflows.calendar import (
        CalendarBase,
        HolidayCalendar,
        HolidayNotice,
        HolidayPeriod,
        OfficialChineseCalendar,
        WeekendCalendar,
        WorkCalendar,
        add_working_time,
        load_holiday_notice,
        working_time_between,
    )
    from civicgrid.workflows.case import Case
    from civicgrid.workflows.clock import Clock, FixedClock, ManualClock, SystemClock
    from civicgrid.workflows.compiled import CompiledMethod, compile_method
    from civicgrid.workflows.deadlines import DeadlineState, DeadlineStatus
    from civicgrid.workflows.engine import KEEP, Engine, Observer
    from civicgrid.workflows.event import Event, EventKind
    from civicgrid.workflows.guards import Guard, GuardCheck
    from civicgrid.workflows.loading import (
        load_method,
        loads_method,
        method_from_data,
        method_to_data,
    )
    from civicgrid.workflows.method import (
        SYSTEM_ROLE,
        BreachAction,
        Deadline,
        Level,
        Method,
        Role,
        Step,
        Transition,
        validate_method,
    )

__version__ = "0.1.0.dev0"

_EXPORTS: dict[str, str] = {
    "CalendarError": "civicgrid.errors",
    "CalendarRangeError": "civicgrid.errors",
    "CivicGridError": "civicgrid.errors",
    "ClockError": "civicgrid.errors",
    "DuplicateRegistration": "civicgrid.errors",
    "GuardFailed": "civicgrid.errors",
    "GuardRefused": "civicgrid.errors",
    "InvalidData": "civicgrid.errors",
    "InvalidMethod": "civicgrid.errors",
    "LadderExhausted": "civicgrid.errors",
    "NaiveDatetimeError": "civicgrid.errors",
    "ObserverError": "civicgrid.errors",
    "OpenRefused": "civicgrid.errors",
    "OutOfOrder": "civicgrid.errors",
    "PluginError": "civicgrid.errors",
    "Problem": "civicgrid.errors",
    "Refusal": "civicgrid.errors",
    "ReplayError": "civicgrid.errors",
    "RoleRefused": "civicgrid.errors",
    "TransitionRefused": "civicgrid.errors",
    "TriggerNotAllowed": "civicgrid.errors",
    "UnknownGuard": "civicgrid.errors",
    "UnknownMethod": "civicgrid.errors",
    "UnknownTrigger": "civicgrid.errors",
    "WorkflowError": "civicgrid.errors",
    "DEFAULT_TZ": "civicgrid.domain.time",
    "get_timezone": "civicgrid.domain.time",
    "make_converter": "civicgrid.serialization",
    "structure": "civicgrid.serialization",
    "Actor": "civicgrid.workflows.actor",
    "SYSTEM_ACTOR": "civicgrid.workflows.actor",
    "CalendarBase": "civicgrid.workflows.calendar",
    "HolidayCalendar": "civicgrid.workflows.calendar",
    "HolidayNotice": "civicgrid.workflows.calendar",
    "HolidayPeriod": "civicgrid.workflows.calendar",
    "OfficialChineseCalendar": "civicgrid.workflows.calendar",
    "WeekendCalendar": "civicgrid.workflows.calendar",
    "WorkCalendar": "civicgrid.workflows.calendar",
    "add_working_time": "civicgrid.workflows.calendar",
    "load_holiday_notice": "civicgrid.workflows.calendar",
    "working_time_between": "civicgrid.workflows.calendar",
    "Case": "civicgrid.workflows.case",
    "Clock": "civicgrid.workflows.clock",
    "FixedClock": "civicgrid.workflows.clock",
    "ManualClock": "civicgrid.workflows.clock",
    "SystemClock": "civicgrid.workflows.clock",
    "CompiledMethod": "civicgrid.workflows.compiled",
    "compile_method": "civicgrid.workflows.compiled",
    "DeadlineState": "civicgrid.workflows.deadlines",
    "DeadlineStatus": "civicgrid.workflows.deadlines",
    "Engine": "civicgrid.workflows.engine",
    "KEEP": "civicgrid.workflows.engine",
    "Observer": "civicgrid.workflows.engine",
    "Event": "civicgrid.workflows.event",
    "EventKind": "civicgrid.workflows.event",
    "Guard": "civicgrid.workflows.guards",
    "GuardCheck": "civicgrid.workflows.guards",
    "load_method": "civicgrid.workflows.loading",
    "loads_method": "civicgrid.workflows.loading",
    "method_from_data": "civicgrid.workflows.loading",
    "method_to_data": "civicgrid.workflows.loading",
    "BreachAction": "civicgrid.workflows.method",
    "Deadline": "civicgrid.workflows.method",
    "Level": "civicgrid.workflows.method",
    "Method": "civicgrid.workflows.method",
    "Role": "civicgrid.workflows.method",
    "SYSTEM_ROLE": "civicgrid.workflows.method",
    "Step": "civicgrid.workflows.method",
    "Transition": "civicgrid.workflows.method",
    "validate_method": "civicgrid.workflows.method",
    "hookimpl": "civicgrid.plugins.markers",
    "hookspec": "civicgrid.plugins.markers",
    "BUILTIN_PLUGINS": "civicgrid.plugins.manager",
    "isolated_plugin_manager": "civicgrid.plugins.manager",
    "plugin_manager": "civicgrid.plugins.manager",
    "Registry": "civicgrid.plugins.registry",
    "build_registry": "civicgrid.plugins.registry",
    "load_registry": "civicgrid.plugins.registry",
}

__all__ = [
    "BUILTIN_PLUGINS",
    "DEFAULT_TZ",
    "KEEP",
    "SYSTEM_ACTOR",
    "SYSTEM_ROLE",
    "Actor",
    "BreachAction",
    "CalendarBase",
    "CalendarError",
    "CalendarRangeError",
    "Case",
    "CivicGridError",
    "Clock",
    "ClockError",
    "CompiledMethod",
    "Deadline",
    "DeadlineState",
    "DeadlineStatus",
    "DuplicateRegistration",
    "Engine",
    "Event",
    "EventKind",
    "FixedClock",
    "Guard",
    "GuardCheck",
    "GuardFailed",
    "GuardRefused",
    "HolidayCalendar",
    "HolidayNotice",
    "HolidayPeriod",
    "InvalidData",
    "InvalidMethod",
    "LadderExhausted",
    "Level",
    "ManualClock",
    "Method",
    "NaiveDatetimeError",
    "Observer",
    "ObserverError",
    "OfficialChineseCalendar",
    "OpenRefused",
    "OutOfOrder",
    "PluginError",
    "Problem",
    "Refusal",
    "Registry",
    "ReplayError",
    "Role",
    "RoleRefused",
    "Step",
    "SystemClock",
    "Transition",
    "TransitionRefused",
    "TriggerNotAllowed",
    "UnknownGuard",
    "UnknownMethod",
    "UnknownTrigger",
    "WeekendCalendar",
    "WorkCalendar",
    "WorkflowError",
    "add_working_time",
    "build_registry",
    "compile_method",
    "get_timezone",
    "hookimpl",
    "hookspec",
    "isolated_plugin_manager",
    "load_holiday_notice",
    "load_method",
    "load_registry",
    "loads_method",
    "make_converter",
    "method_from_data",
    "method_to_data",
    "plugin_manager",
    "structure",
    "validate_method",
    "working_time_between",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'civicgrid' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
