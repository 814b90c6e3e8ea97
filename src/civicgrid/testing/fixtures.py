"""The pytest plugin: fixtures for tests of code built on civicgrid.

Loaded automatically through the ``pytest11`` entry point. Override ``civicgrid_start`` to
start elsewhere in time, and ``civicgrid_plugins`` to add your own plugins to the built-ins::

    @pytest.fixture
    def civicgrid_plugins():
        return [("my_city", my_city_plugin)]
"""

from __future__ import annotations

from datetime import datetime

import pytest

from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.plugins.manager import PluginSpec, isolated_plugin_manager
from civicgrid.plugins.registry import Registry, build_registry
from civicgrid.workflows.clock import ManualClock
from civicgrid.workflows.engine import Engine

__all__ = [
    "civicgrid_clock",
    "civicgrid_engine",
    "civicgrid_plugins",
    "civicgrid_registry",
    "civicgrid_start",
]


@pytest.fixture
def civicgrid_start() -> datetime:
    """Return where the manual clock starts: Monday 2026-11-23 09:00, Asia/Shanghai."""
    return datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)


@pytest.fixture
def civicgrid_clock(civicgrid_start: datetime) -> ManualClock:
    """Return a manually advanced clock at ``civicgrid_start``."""
    return ManualClock(civicgrid_start)


@pytest.fixture
def civicgrid_plugins() -> list[PluginSpec]:
    """Return the plugins to load beside the built-ins (none); override to add yours."""
    return []


@pytest.fixture
def civicgrid_registry(civicgrid_plugins: list[PluginSpec]) -> Registry:
    """Return a registry of the built-ins and ``civicgrid_plugins`` only: no discovery."""
    return build_registry(isolated_plugin_manager(*civicgrid_plugins, builtins=True))


@pytest.fixture
def civicgrid_engine(civicgrid_registry: Registry, civicgrid_clock: ManualClock) -> Engine:
    """Return an engine over ``civicgrid_registry`` on ``civicgrid_clock``."""
    return Engine.from_registry(civicgrid_registry, clock=civicgrid_clock)
