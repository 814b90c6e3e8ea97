"""Helpers for testing code built on civicgrid, in the library's suite and in users' own.

Installed with civicgrid, the pytest plugin :mod:`civicgrid.testing.fixtures` is loaded by
pytest automatically (entry point ``pytest11``) and provides the fixtures
``civicgrid_start``, ``civicgrid_clock``, ``civicgrid_plugins``, ``civicgrid_registry``,
``civicgrid_engine``, ``civicgrid_indicators``, ``civicgrid_store``, ``civicgrid_store_engine``
and ``civicgrid_sample``. The helpers here work with or without pytest: :func:`walk` drives a
case through a method and names the first refusal; :func:`sample_district` builds a small
community with seats to derive actors from; :class:`StoreRecorder` appends an engine's events
to an event store; :func:`assert_completion` and its siblings check indicators and explain a
mismatch; :func:`chenghua_tree` builds a seeded district with Chenghua's figures (DOMAIN.md
G2) for tests and benchmarks.
"""

from __future__ import annotations

from civicgrid.testing.assertions import (
    IndicatorMismatch,
    assert_closed_at_level,
    assert_completion,
    assert_indicator,
    assert_on_time,
    assert_satisfaction,
    indicators_of,
)
from civicgrid.testing.districts import chenghua_organisations, chenghua_tree, chenghua_units
from civicgrid.testing.recording import StoreRecorder
from civicgrid.testing.sample import SAMPLE_START, SampleDistrict, sample_district
from civicgrid.testing.walk import Move, WalkRefused, actor, walk

__all__ = [
    "SAMPLE_START",
    "IndicatorMismatch",
    "Move",
    "SampleDistrict",
    "StoreRecorder",
    "WalkRefused",
    "actor",
    "assert_closed_at_level",
    "assert_completion",
    "assert_indicator",
    "assert_on_time",
    "assert_satisfaction",
    "chenghua_organisations",
    "chenghua_tree",
    "chenghua_units",
    "indicators_of",
    "sample_district",
    "walk",
]
