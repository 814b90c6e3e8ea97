"""Assertions on indicators (DOMAIN.md I11) that say what was counted when they fail.

Each helper takes the figures' source — an :class:`~civicgrid.IndicatorBuilder` that
observed an engine, :class:`~civicgrid.Indicators` already read, or events and cases (with
``methods``: an engine, a registry's ``compiled`` mapping or compiled methods) — folds it
with :mod:`civicgrid.report`, and compares one figure. A mismatch raises
:class:`IndicatorMismatch`, an ``AssertionError`` naming the figure in Chinese and English,
the value expected, the value found and what it was computed from::

    builder = civicgrid_indicators          # subscribed before the first case opened
    ...
    assert_completion(builder, 1.0)         # 办结率 (completion rate) is 0.5 …, expected 1.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime

from civicgrid.errors import CivicGridError
from civicgrid.report.indicators import IndicatorBuilder, Indicators
from civicgrid.workflows.case import Case
from civicgrid.workflows.compiled import CompiledMethod
from civicgrid.workflows.engine import Engine
from civicgrid.workflows.event import Event

__all__ = [
    "IndicatorMismatch",
    "IndicatorSource",
    "MethodsSource",
    "assert_closed_at_level",
    "assert_completion",
    "assert_indicator",
    "assert_on_time",
    "assert_satisfaction",
    "indicators_of",
]

IndicatorSource = IndicatorBuilder | Indicators | Iterable[Event | Case]
"""What the helpers read figures from."""
MethodsSource = Engine | Mapping[str, CompiledMethod] | Iterable[CompiledMethod]
"""Where the methods of events come from: an engine, ``registry.compiled`` or a list."""


class IndicatorMismatch(AssertionError, CivicGridError):
    """An indicator differs from what a test expected; carries both values and the figures."""

    def __init__(
        self, figure: str, expected: object, actual: object, basis: str, indicators: Indicators
    ) -> None:
        self.figure = figure
        self.expected = expected
        self.actual = actual
        self.indicators = indicators
        CivicGridError.__init__(
            self,
            f"{figure} is {actual!r} ({basis}), expected {expected!r}",
            f"{figure} 为 {actual!r}（{basis}），应为 {expected!r}",
        )


def indicators_of(
    source: IndicatorSource, *, methods: MethodsSource | None = None, as_of: datetime | None = None
) -> Indicators:
    """Return the indicators of ``source`` at ``as_of`` (default: its latest event).

    Events and cases need ``methods``; cases are read through their events, in order.
    """
    if isinstance(source, Indicators):
        return source
    if isinstance(source, IndicatorBuilder):
        return source.indicators(as_of=as_of)
    if methods is None:
        raise TypeError(
            "indicators of events or cases need methods=: an engine, registry.compiled, "
            "or the compiled methods"
        )
    if isinstance(methods, Engine):
        builder = IndicatorBuilder.for_engine(methods)
    else:
        builder = IndicatorBuilder(methods)
    for item in source:
        if isinstance(item, Case):
            builder.extend(item.events)
        else:
            builder.add(item)
    return builder.indicators(as_of=as_of)


def _close(actual: float | None, expected: float | None, tolerance: float) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return math.isclose(actual, expected, rel_tol=0, abs_tol=tolerance)


def assert_completion(
    source: IndicatorSource,
    expected: float | None,
    *,
    methods: MethodsSource | None = None,
    as_of: datetime | None = None,
    tolerance: float = 1e-9,
) -> Indicators:
    """Assert 办结率, closed / received (``None`` when nothing was received); return the figures."""
    ind = indicators_of(source, methods=methods, as_of=as_of)
    if not _close(ind.completion_rate, expected, tolerance):
        basis = f"{ind.closed} closed of {ind.received} received / 已办结 {ind.closed} 件"
        raise IndicatorMismatch("办结率 completion rate", expected, ind.completion_rate, basis, ind)
    return ind


def assert_on_time(
    source: IndicatorSource,
    deadline: str,
    expected: float | None,
    *,
    methods: MethodsSource | None = None,
    as_of: datetime | None = None,
    tolerance: float = 1e-9,
) -> Indicators:
    """Assert the on-time rate of deadline ``deadline`` (met over met and breached)."""
    ind = indicators_of(source, methods=methods, as_of=as_of)
    tally = ind.deadlines.get(deadline)
    if tally is None:
        known = ", ".join(sorted(ind.deadlines)) or "none"
        raise IndicatorMismatch(
            f"按时率 on-time rate of {deadline!r}",
            expected,
            None,
            f"no run of that deadline; deadlines seen: {known}",
            ind,
        )
    if not _close(tally.on_time_rate, expected, tolerance):
        basis = f"{tally.met} met, {tally.breached} breached, {tally.pending} pending"
        figure = f"按时率 on-time rate of {deadline!r}"
        raise IndicatorMismatch(figure, expected, tally.on_time_rate, basis, ind)
    return ind


def assert_satisfaction(
    source: IndicatorSource,
    expected: float | None,
    *,
    methods: MethodsSource | None = None,
    as_of: datetime | None = None,
    tolerance: float = 1e-9,
) -> Indicators:
    """Assert 满意度: satisfied and basically satisfied ratings over all ratings."""
    ind = indicators_of(source, methods=methods, as_of=as_of)
    if not _close(ind.satisfaction, expected, tolerance):
        counts = ", ".join(f"{rating.value} {n}" for rating, n in ind.ratings.items())
        raise IndicatorMismatch("满意度 satisfaction", expected, ind.satisfaction, counts, ind)
    return ind


def assert_closed_at_level(
    source: IndicatorSource,
    expected: Mapping[str | None, int],
    *,
    methods: MethodsSource | None = None,
    as_of: datetime | None = None,
) -> Indicators:
    """Assert how many closed cases closed at each level (小事不出网格), e.g. ``{"grid": 2}``."""
    ind = indicators_of(source, methods=methods, as_of=as_of)
    actual = {level: n for level, n in ind.closed_at_level.items() if n}
    wanted = {level: n for level, n in expected.items() if n}
    if actual != wanted:
        basis = f"{ind.closed} closed"
        raise IndicatorMismatch("办结层级 closed at level", wanted, actual, basis, ind)
    return ind


def assert_indicator(
    source: IndicatorSource,
    name: str,
    expected: object,
    *,
    methods: MethodsSource | None = None,
    as_of: datetime | None = None,
    tolerance: float = 1e-9,
) -> Indicators:
    """Assert any figure of :class:`~civicgrid.Indicators` by attribute name (``received`` …).

    Floats compare within ``tolerance``; other values by equality. An unknown name raises
    ``AttributeError`` listing the figures there are.
    """
    ind = indicators_of(source, methods=methods, as_of=as_of)
    fields = [f.name for f in Indicators.__attrs_attrs__]
    figures = [*fields, "in_progress", "completion_rate", "satisfaction", "reopen_rate"]
    if name not in figures:
        raise AttributeError(f"Indicators has no figure {name!r}; figures: {', '.join(figures)}")
    actual = getattr(ind, name)
    same = (
        _close(actual, expected, tolerance)
        if isinstance(actual, float) and isinstance(expected, (int, float))
        else actual == expected
    )
    if not same:
        basis = f"{ind.received} received, {ind.closed} closed"
        raise IndicatorMismatch(name, expected, actual, basis, ind)
    return ind
