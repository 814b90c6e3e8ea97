"""Closed cases kept as columns of numbers: their figures stay, their records leave memory.

A :class:`~civicgrid.report.records.CaseRecord` that is *final* (closed in a step no transition
leaves, no deadline running or paused: :attr:`~civicgrid.report.records.CaseRecord.is_final`)
adds the same figures to every summary whatever ``as_of`` is, and no later event can move it.
:class:`RetiredCases` keeps what the summaries read of such a case and nothing else: its unit
and opening day (what it is grouped by) and the time from opening to each step reached, in
microseconds, for the :class:`~civicgrid.report.indicators.Timing` percentiles, in the columns
of the :class:`Shape` it shares with every case that went the same way (method, channel,
outcome, closing level, steps reached, ratings, reopened, deadline runs met and breached).
About 8 bytes a case plus 8 per step reached, where a record takes 2–3 KB; a summary over
whole shapes (in total, or by method) slices columns instead of visiting cases.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from datetime import date, timedelta, tzinfo

from civicgrid.domain.requests import Rating
from civicgrid.domain.units import UnitTree
from civicgrid.report.records import (
    NO_UNIT,
    CaseRecord,
    GroupKey,
    IndicatorDimension,
    IndicatorPeriod,
    period_of,
)

__all__ = ["RetiredCases", "Shape", "micros"]

_US = timedelta(microseconds=1)


def micros(duration: timedelta) -> int:
    """Return ``duration`` in whole microseconds (exact: a timedelta holds no finer unit)."""
    return duration // _US


class Shape:
    """What a set of retired cases share, and their columns: unit, opening day, durations.

    ``steps`` are the steps first reached after opening, in the order their durations are
    stored; ``close`` is the position of the closing step among them. Row ``i`` of the shape
    has unit index ``units[i]``, day ordinal ``days[i]`` and durations
    ``durations[i * len(steps):(i + 1) * len(steps)]``.
    """

    __slots__ = (
        "breached",
        "channel",
        "close",
        "closing_level",
        "days",
        "durations",
        "met",
        "method",
        "outcome",
        "ratings",
        "reopened",
        "steps",
        "units",
    )

    def __init__(self, record: CaseRecord, steps: tuple[str, ...]) -> None:
        outcome = record.outcome
        if outcome is None or outcome not in steps:
            raise ValueError(f"{record!r} is not closed in a step it reached")
        self.method = record.method
        self.channel = record.channel
        self.outcome = outcome
        self.closing_level = record.closing_level
        self.steps = steps
        self.close = steps.index(outcome)
        self.ratings: tuple[Rating, ...] = record.ratings
        self.reopened = record.reopens > 0
        self.met: tuple[tuple[str, int], ...] = tuple(record.met.items())
        self.breached: tuple[tuple[str, int], ...] = tuple(record.breached.items())
        self.units = array("I")
        self.days = array("I")
        self.durations = array("q")

    @staticmethod
    def key(record: CaseRecord, steps: tuple[str, ...]) -> tuple[object, ...]:
        """Return what makes two final records share a shape."""
        return (
            record.method,
            record.channel,
            record.outcome,
            record.closing_level,
            steps,
            record.ratings,
            record.reopens > 0,
            tuple(record.met.items()),
            tuple(record.breached.items()),
        )

    def __len__(self) -> int:
        return len(self.days)

    def column(self, position: int) -> array[int]:
        """Return the durations to the step at ``position`` in ``steps``, one per row."""
        return self.durations[position :: len(self.steps)]


class RetiredCases:
    """The figures of final cases, in columns per :class:`Shape`, their records dropped.

    :meth:`add` retires a record; :attr:`shapes` holds the columns; :meth:`unit` names a unit
    index and :meth:`group_keys` gives the groups of a row.
    """

    __slots__ = ("_count", "_shape_ids", "_shapes", "_unit_ids", "_units")

    def __init__(self) -> None:
        self._units: list[str | None] = []
        self._unit_ids: dict[str | None, int] = {}
        self._shapes: list[Shape] = []
        self._shape_ids: dict[tuple[object, ...], Shape] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def shapes(self) -> tuple[Shape, ...]:
        """The distinct shapes retired so far."""
        return tuple(self._shapes)

    def unit(self, index: int) -> str | None:
        """Return the unit of index ``index`` (in a shape's ``units``)."""
        return self._units[index]

    def add(self, record: CaseRecord, tz: tzinfo) -> None:
        """Retire ``record`` (final: :attr:`CaseRecord.is_final`), its day read in ``tz``."""
        reached = record.first_reached
        steps = tuple(reached)
        key = Shape.key(record, steps)
        shape = self._shape_ids.get(key)
        if shape is None:
            shape = Shape(record, steps)  # checks the record is closed in a step it reached
            self._shape_ids[key] = shape
            self._shapes.append(shape)
        unit = self._unit_ids.get(record.unit)
        if unit is None:
            unit = self._unit_ids[record.unit] = len(self._units)
            self._units.append(record.unit)
        opened = record.opened_at
        shape.durations.extend([(at - opened) // _US for at in reached.values()])
        shape.units.append(unit)
        shape.days.append(opened.astimezone(tz).toordinal())
        self._count += 1

    def group_keys(
        self,
        dims: frozenset[IndicatorDimension],
        *,
        period: IndicatorPeriod,
        tree: UnitTree | None,
        units: frozenset[str] | None = None,
    ) -> Callable[[int, int, Shape], tuple[GroupKey, ...]]:
        """Return a function giving the groups of a row, as ``group_records`` would.

        Units above a row's unit come from ``tree``; a unit not in it raises
        :class:`~civicgrid.UnknownUnit` when a row of it is met. Given ``units``, the unit
        groups of other units are left out.
        """
        chains: dict[int, tuple[str | None, ...]] = {}
        starts: dict[int, date] = {}
        memo: dict[tuple[int, str | None, int], tuple[GroupKey, ...]] = {}
        by_unit = IndicatorDimension.UNIT in dims
        by_method = IndicatorDimension.METHOD in dims
        by_period = IndicatorDimension.PERIOD in dims

        def chain(index: int) -> tuple[str | None, ...]:
            found = chains.get(index)
            if found is None:
                own = self._units[index]
                unit = own or NO_UNIT
                above = tree.ancestors(unit) if tree is not None and own else ()
                chain_ids = (unit, *(u.id for u in above))
                if units is not None:
                    chain_ids = tuple(u for u in chain_ids if u in units)
                found = chains[index] = chain_ids
            return found

        def keys(unit: int, day: int, shape: Shape) -> tuple[GroupKey, ...]:
            u = unit if by_unit else -1
            m = shape.method if by_method else None
            d = day if by_period else -1
            found = memo.get((u, m, d))
            if found is None:
                start = None
                if by_period:
                    start = starts.get(day)
                    if start is None:
                        start = starts[day] = period_of(date.fromordinal(day), period)
                owners = chain(unit) if by_unit else (None,)
                found = memo[(u, m, d)] = tuple(GroupKey(k, m, start) for k in owners)
            return found

        return keys
