"""Fixtures shared by the project's own tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from civicgrid import Actor, Engine, ManualClock, Registry, load_registry
from civicgrid.domain.time import DEFAULT_TZ
from hardening_support import HARDENING_LOG, Tally

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def tally() -> Iterator[Tally]:
    """The session's hardening tally, written to ``$CIVICGRID_HARDENING_LOG`` at the end."""
    counts = Tally()
    yield counts
    target = os.environ.get(HARDENING_LOG)
    if target and counts.counts:
        counts.write(Path(target))


MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
"""A Monday morning in Asia/Shanghai, away from public holidays."""


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The built-in plugins only: installed entry points do not leak into the tests."""
    return load_registry(entry_points=False)


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at Monday 2026-11-23 09:00 Asia/Shanghai."""
    return ManualClock(MONDAY)


@pytest.fixture
def engine(registry: Registry, clock: ManualClock) -> Engine:
    """An engine over the built-in methods, on the manual clock and the weekend calendar."""
    return Engine.from_registry(registry, clock=clock)


@pytest.fixture
def resident() -> Actor:
    """A resident (居民)."""
    return Actor(id="resident-1", roles={"resident"})


@pytest.fixture
def council() -> Actor:
    """A member of the deliberation council (议事会)."""
    return Actor(id="council-1", roles={"council"})


@pytest.fixture
def community() -> Actor:
    """The community party organisation and residents' committee (社区)."""
    return Actor(id="community-1", roles={"community"})
