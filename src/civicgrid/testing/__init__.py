"""Helpers for testing code built on civicgrid, in the library's suite and in users' own.

Installed with civicgrid, the pytest plugin :mod:`civicgrid.testing.fixtures` is loaded by
pytest automatically (entry point ``pytest11``) and provides the fixtures
``civicgrid_start``, ``civicgrid_clock``, ``civicgrid_plugins``, ``civicgrid_registry`` and
``civicgrid_engine``. The helpers here work with or without pytest: :func:`walk` drives a
case through a method, and :func:`chenghua_tree` builds a seeded district with Chenghua's
figures (DOMAIN.md G2) for tests and benchmarks.
"""

from __future__ import annotations

from civicgrid.testing.districts import chenghua_organisations, chenghua_tree, chenghua_units
from civicgrid.testing.walk import Move, WalkRefused, actor, walk

__all__ = [
    "Move",
    "WalkRefused",
    "actor",
    "chenghua_organisations",
    "chenghua_tree",
    "chenghua_units",
    "walk",
]
