"""The pytest plugin: fixtures for tests of code built on civicgrid.

Loaded automatically through the ``pytest11`` entry point. ``civicgrid_engine`` runs the
built-in methods on a manual clock; ``civicgrid_store_engine`` also appends every event to
``civicgrid_store`` (in memory); ``civicgrid_indicators`` folds ``civicgrid_engine``'s events
into indicators as they are recorded; ``civicgrid_sample`` is a small district with seats to
derive actors from. Override ``civicgrid_start`` to start elsewhere in time, and
``civicgrid_plugins`` to add your own plugins to the built-ins::

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
from civicgrid.report.indicators import IndicatorBuilder
from civicgrid.store import MemoryStore
from civicgrid.testing.recording import StoreRecorder
from civicgrid.testing.sample import SampleDistrict, sample_district
from civicgrid.workflows.clock import ManualClock
from civicgrid.workflows.engine import Engine

__all__ = [
    "civicgrid_clock",
    "civicgrid_engine",
    "civicgrid_indicators",
    "civicgrid_plugins",
    "civicgrid_registry",
    "civicgrid_sample",
    "civicgrid_start",
    "civicgrid_store",
    "civicgrid_store_engine",
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


@pytest.fixture
def civicgrid_indicators(civicgrid_engine: Engine) -> IndicatorBuilder:
    """Return an indicator builder subscribed to ``civicgrid_engine`` (request it first).

    It keeps every case's record (``retire_closed=False``), so a test can read a closed
    case's record from ``builder.cases``.
    """
    builder = IndicatorBuilder.for_engine(civicgrid_engine, retire_closed=False)
    civicgrid_engine.subscribe(builder)
    return builder


@pytest.fixture
def civicgrid_store() -> MemoryStore:
    """Return an empty in-memory event store."""
    return MemoryStore()


@pytest.fixture
def civicgrid_store_engine(
    civicgrid_registry: Registry, civicgrid_clock: ManualClock, civicgrid_store: MemoryStore
) -> Engine:
    """Return an engine like ``civicgrid_engine`` that appends each event to ``civicgrid_store``."""
    return Engine.from_registry(
        civicgrid_registry, clock=civicgrid_clock, observers=[StoreRecorder(civicgrid_store)]
    )


@pytest.fixture
def civicgrid_sample() -> SampleDistrict:
    """Return a fresh sample district (锦华社区): units, organisations and a roster."""
    return sample_district()
