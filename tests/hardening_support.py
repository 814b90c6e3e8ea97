"""What the hardening suites share: the fuzz budget and the tally behind the figures page.

Import it as ``hardening_support`` from any test (``tests/`` is on the path through the root
conftest). ``@settings(FUZZ)`` bounds every fuzzed door to :data:`FUZZ_EXAMPLES` examples,
seeded so the test command is repeatable; ``CIVICGRID_FUZZ_EXAMPLES=5000`` is the longer
mode (random, as many examples as asked). The session-scoped ``tally`` fixture counts inputs
and faults and, when ``CIVICGRID_HARDENING_LOG`` names a file, merges them into it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

__all__ = [
    "FUZZ",
    "FUZZ_EXAMPLES",
    "HARDENING_LOG",
    "Tally",
    "json_paths",
    "not_of_type",
    "parent_of",
]

FUZZ_EXAMPLES = int(os.environ.get("CIVICGRID_FUZZ_EXAMPLES") or 120)
"""Examples per fuzzed door: bounded in the test command, raised for the longer mode."""

settings.register_profile(
    "fuzz",
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize="CIVICGRID_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("fuzz")
"""Hypothesis settings for the hardening suites: ``@settings(FUZZ)`` (seeded in the test
command so CI is repeatable; random, and as many examples as asked, in the longer mode)."""

HARDENING_LOG = "CIVICGRID_HARDENING_LOG"
"""Where the hardening suites write their tallies (JSON) when set, for the figures page."""


class Tally:
    """Counts of inputs tried and faults injected, by suite, door and outcome."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, suite: str, door: str, outcome: str, n: int = 1) -> None:
        """Count ``n`` inputs (or faults) of ``suite`` through ``door`` ending in ``outcome``."""
        self.counts[suite, door, outcome] += n

    def write(self, path: Path) -> None:
        """Merge the counts into the JSON file at ``path`` (suite → door → outcome → n)."""
        data: dict[str, dict[str, dict[str, int]]] = {}
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
        for (suite, door, outcome), n in sorted(self.counts.items()):
            doors = data.setdefault(suite, {}).setdefault(door, {})
            doors[outcome] = doors.get(outcome, 0) + n
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------- mutating JSON data


def json_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield every position inside parsed JSON data, as a tuple of keys and indexes."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from json_paths(item, (*path, index))


def parent_of(data: Any, path: tuple[Any, ...]) -> Any:
    """Return the list or object holding the value at ``path``."""
    for part in path[:-1]:
        data = data[part]
    return data


def not_of_type(kind: type) -> Callable[[object], bool]:
    """Return a filter keeping values of any type but ``kind`` (a retyping mutation)."""
    return lambda value: type(value) is not kind
