"""Indicators from recorded events alone (DOMAIN.md I11; X: 报表通, every matter answered).

Every figure is a fold over events plus the compiled methods' definitions (which steps are
terminal, how long each deadline runs): nothing is typed in twice. :class:`IndicatorBuilder`
folds events one at a time, as an engine observer or from a store, into a :class:`CaseRecord`
per case; :meth:`IndicatorBuilder.indicators` and :meth:`IndicatorBuilder.grouped` summarise
the records as :class:`Indicators` at an instant ``as_of``, in total or per unit (rolled up the
unit tree), per method and per opening period, in any combination. A record that can no longer
change (closed for good) is retired into columns of numbers
(:class:`~civicgrid.report.retired.RetiredCases`), so closed cases leave memory and a year of
a district is summarised in bounded memory, with the same figures. The fold checks the events
as :meth:`~civicgrid.workflows.engine.Engine.replay` does and runs deadlines through the
kernel's own rules, so the figures of a live engine, of its stored events and of replayed
cases are the same.

Definitions (the docstrings of :class:`Indicators` give each in full):

* a case is *closed* once it reaches a terminal step, whatever the outcome (closed, withdrawn,
  merged …); 办结率 is closed / received;
* a deadline is counted once per run (a reopened case's restarted deadline counts again): met
  when stopped at or before its due instant, breached when its breach is recorded or its due
  instant lies before ``as_of``, pending while it still runs (or is paused) and is not yet due;
* a rating is a transition carrying ``data["rating"]``; a reopen is a transition whose trigger
  is one of ``reopen_triggers`` (the request methods' ``reopen``).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from civicgrid.domain.requests import Rating
from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.domain.units import UnitTree
from civicgrid.errors import InvalidData, Problem, ReplayError, UnknownMethod
from civicgrid.report.records import (
    CaseRecord,
    GroupKey,
    IndicatorDimension,
    IndicatorPeriod,
    dimensions,
    group_records,
)
from civicgrid.report.retired import RetiredCases, Shape, micros
from civicgrid.workflows.calendar import WeekendCalendar, WorkCalendar
from civicgrid.workflows.compiled import CompiledMethod
from civicgrid.workflows.deadlines import DeadlineStatus
from civicgrid.workflows.event import Event, EventKind

if TYPE_CHECKING:
    from civicgrid.workflows.case import Case
    from civicgrid.workflows.engine import Engine

__all__ = [
    "DeadlineTally",
    "IndicatorBuilder",
    "Indicators",
    "OverdueCase",
    "Timing",
    "indicators_from_events",
    "summarise",
]

_ACTIVE = (DeadlineStatus.RUNNING, DeadlineStatus.PAUSED)


def _read_only(value: Mapping[str, timedelta]) -> Mapping[str, timedelta]:
    return MappingProxyType(dict(value))


# --------------------------------------------------------------------------- summaries


def _rank(ordered: list[timedelta], fraction: float) -> timedelta:
    """Nearest rank: the smallest value with at least ``fraction`` of the values at or below."""
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


@attrs.frozen(kw_only=True)
class Timing:
    """Durations from opening: how many, their median and 90th percentile.

    Both are nearest-rank percentiles (the median is the lower middle for an even count, as
    :func:`statistics.median_low`): each is a duration some case actually took, never an
    average of two, so a report can name the case; it is exact on timedeltas and defined for a
    single case, where :func:`statistics.quantiles` needs two and interpolates in floats.
    """

    count: int
    median: timedelta
    p90: timedelta

    @classmethod
    def of(cls, durations: Iterable[timedelta]) -> Timing | None:
        """Return the timing of ``durations``, ``None`` when there are none."""
        ordered = sorted(durations)
        if not ordered:
            return None
        return cls(count=len(ordered), median=_rank(ordered, 0.5), p90=_rank(ordered, 0.9))


@attrs.frozen(kw_only=True)
class DeadlineTally:
    """How the runs of one deadline ended: met, breached, or still pending at ``as_of``."""

    met: int = 0
    breached: int = 0
    """Breaches recorded, plus runs whose due instant lies before ``as_of`` (certain breaches
    a tick has not recorded yet), so the figure does not depend on when ``tick`` ran."""
    pending: int = 0
    """Runs still running or paused and not yet due: counted apart, in no rate."""

    @property
    def on_time_rate(self) -> float | None:
        """The share of ended runs that were met; ``None`` before any run has ended."""
        ended = self.met + self.breached
        return self.met / ended if ended else None


@attrs.frozen(kw_only=True)
class OverdueCase:
    """An open case with a breached or past-due deadline, and by how long, at ``as_of``."""

    case_id: str
    method: str
    unit: str | None
    step: str
    level: str | None
    opened_at: datetime
    deadlines: Mapping[str, timedelta] = attrs.field(converter=_read_only)
    """How long each overdue deadline has been overdue, by key."""

    @property
    def overdue_by(self) -> timedelta:
        """The longest time any of its deadlines has been overdue."""
        return max(self.deadlines.values())


@attrs.frozen(kw_only=True)
class Indicators:
    """The outcome figures of I11 for a set of cases at the instant ``as_of``.

    Rates are fractions (0.97, not 97) and ``None`` when their denominator is 0. Deadline and
    step keys of different methods add up when they are equal: group by method to split them.
    """

    as_of: datetime | None
    """When the figures were read; ``None`` when no event was seen."""
    received: int
    """Cases opened (受理)."""
    by_channel: Mapping[str | None, int]
    """Cases by the channel on their opening event; ``None`` for cases opened without one."""
    closed: int
    """Cases in a terminal step (办结), whatever the outcome."""
    outcomes: Mapping[str, int]
    """Closed cases by terminal step (``closed``, ``withdrawn`` …)."""
    closed_at_level: Mapping[str | None, int]
    """Closed cases by the level on their closing event (小事不出网格, measured)."""
    deadlines: Mapping[str, DeadlineTally]
    time_to_step: Mapping[str, Timing]
    """Time from opening to each step first reached, over the cases that reached it."""
    time_to_close: Timing | None
    ratings: Mapping[Rating, int]
    """Every rating recorded (a reopened case may be rated again), by verdict."""
    rated: int
    """Cases rated at least once."""
    reopened: int
    """Cases reopened at least once."""
    overdue: tuple[OverdueCase, ...]
    """Open cases with an overdue deadline, longest overdue first."""
    without_deadline: tuple[str, ...]
    """Open cases with no running, paused or overdue deadline (nothing tells the resident
    where the matter stands); empty when every matter is answered (事事有回应)."""

    @property
    def in_progress(self) -> int:
        """Cases received and not closed (在办)."""
        return self.received - self.closed

    @property
    def completion_rate(self) -> float | None:
        """办结率: closed / received."""
        return self.closed / self.received if self.received else None

    @property
    def share_closed_at_level(self) -> dict[str | None, float]:
        """The share of closed cases closed at each level."""
        return {level: n / self.closed for level, n in self.closed_at_level.items()}

    @property
    def satisfaction(self) -> float | None:
        """满意度: satisfied and basically satisfied ratings over all ratings."""
        total = sum(self.ratings.values())
        good = self.ratings.get(Rating.SATISFIED, 0) + self.ratings.get(
            Rating.BASICALLY_SATISFIED, 0
        )
        return good / total if total else None

    @property
    def reopen_rate(self) -> float | None:
        """Cases reopened at least once / cases rated."""
        return self.reopened / self.rated if self.rated else None


class _Tally:
    """The sums one :class:`Indicators` is made of, fed live records and retired rows."""

    __slots__ = (
        "breached",
        "channels",
        "closed",
        "levels",
        "met",
        "outcomes",
        "overdue",
        "pending",
        "rated",
        "ratings",
        "received",
        "reopened",
        "shapes",
        "silent",
        "steps",
        "to_close",
    )

    def __init__(self) -> None:
        self.received = self.closed = self.rated = self.reopened = 0
        self.channels: Counter[str | None] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.levels: Counter[str | None] = Counter()
        self.met: Counter[str] = Counter()
        self.breached: Counter[str] = Counter()
        self.pending: Counter[str] = Counter()
        self.steps: dict[str, array[int]] = {}
        """Microseconds from opening to each step, by step (8 bytes each: a year of a district
        grouped by unit holds every duration once per level of the unit tree)."""
        self.to_close = array("q")
        self.ratings: Counter[Rating] = Counter(dict.fromkeys(Rating, 0))
        self.overdue: list[OverdueCase] = []
        self.silent: list[str] = []
        self.shapes: dict[Shape, int] = {}
        """Retired rows by shape: their counts are added once, multiplied, in :meth:`result`."""

    def record(self, r: CaseRecord, as_of: datetime | None) -> None:
        """Add a live record's figures at ``as_of``."""
        self.received += 1
        self.channels[r.channel] += 1
        self.met.update(r.met)
        self.breached.update(r.breached)
        opened = r.opened_at
        steps = self.steps
        for step, at in r.first_reached.items():
            values = steps.get(step)
            if values is None:
                values = steps[step] = array("q")
            values.append(micros(at - opened))
        if r.ratings:
            self.rated += 1
            self.ratings.update(r.ratings)
        if r.reopens:
            self.reopened += 1
        if r.closed_at is not None and r.outcome is not None:
            self.closed += 1
            self.outcomes[r.outcome] += 1
            self.levels[r.closing_level] += 1
            self.to_close.append(micros(r.closed_at - opened))
            return
        if as_of is None:
            raise InvalidData("indicators", [Problem("as_of", "open cases need an instant")])
        for key, state in r.deadlines.items():
            if state.status in _ACTIVE:
                if state.due is not None and state.due < as_of:
                    self.breached[key] += 1
                else:
                    self.pending[key] += 1
        late = r.overdue_by(as_of)
        if late:
            self.overdue.append(
                OverdueCase(
                    case_id=r.case_id,
                    method=r.method,
                    unit=r.unit,
                    step=r.step,
                    level=r.level,
                    opened_at=r.opened_at,
                    deadlines=late,
                )
            )
        elif not r.has_visible_deadline(as_of):
            self.silent.append(r.case_id)

    def retired(
        self, shape: Shape, columns: Sequence[array[int]], rows: Sequence[int] | None = None
    ) -> None:
        """Add the retired ``rows`` of ``shape`` (all for ``None``), given its ``columns``."""
        self.shapes[shape] = self.shapes.get(shape, 0) + (len(shape) if rows is None else len(rows))
        steps = self.steps
        for position, step in enumerate(shape.steps):
            column = columns[position]
            picked = column if rows is None else array("q", map(column.__getitem__, rows))
            values = steps.get(step)
            if values is None:
                values = steps[step] = array("q")
            values.extend(picked)
            if position == shape.close:
                self.to_close.extend(picked)

    def result(self, as_of: datetime | None) -> Indicators:
        """Return the indicators of everything added."""
        received, closed, rated, reopened = self.received, self.closed, self.rated, self.reopened
        channels, outcomes, levels = self.channels, self.outcomes, self.levels
        met, breached, pending, ratings = self.met, self.breached, self.pending, self.ratings
        for shape, n in self.shapes.items():
            received += n
            closed += n
            channels[shape.channel] += n
            outcomes[shape.outcome] += n
            levels[shape.closing_level] += n
            for key, count in shape.met:
                met[key] += count * n
            for key, count in shape.breached:
                breached[key] += count * n
            if shape.ratings:
                rated += n
                for rating in shape.ratings:
                    ratings[rating] += n
            if shape.reopened:
                reopened += n
        self.shapes = {}  # counted once
        keys = sorted(met.keys() | breached.keys() | pending.keys())
        return Indicators(
            as_of=as_of,
            received=received,
            by_channel=MappingProxyType(dict(channels)),
            closed=closed,
            outcomes=MappingProxyType(dict(outcomes)),
            closed_at_level=MappingProxyType(dict(levels)),
            deadlines=MappingProxyType(
                {
                    k: DeadlineTally(met=met[k], breached=breached[k], pending=pending[k])
                    for k in keys
                }
            ),
            time_to_step=MappingProxyType(
                {
                    step: t
                    for step, values in self.steps.items()
                    if (t := _timing(values)) is not None
                }
            ),
            time_to_close=_timing(self.to_close),
            ratings=MappingProxyType(dict(ratings)),
            rated=rated,
            reopened=reopened,
            overdue=tuple(sorted(self.overdue, key=lambda o: (-o.overdue_by, o.case_id))),
            without_deadline=tuple(sorted(self.silent)),
        )


def _columns(shape: Shape) -> list[array[int]]:
    return [shape.column(position) for position in range(len(shape.steps))]


def _tally(tallies: dict[GroupKey, _Tally], key: GroupKey) -> _Tally:
    found = tallies.get(key)
    if found is None:
        found = tallies[key] = _Tally()
    return found


def _timing(durations: array[int]) -> Timing | None:
    """Return the timing of durations in microseconds."""
    if not durations:
        return None
    values = sorted(durations)
    count = len(values)

    def rank(fraction: float) -> timedelta:
        return timedelta(microseconds=values[max(math.ceil(fraction * count), 1) - 1])

    return Timing(count=count, median=rank(0.5), p90=rank(0.9))


def summarise(records: Iterable[CaseRecord], *, as_of: datetime | None) -> Indicators:
    """Return the indicators of ``records`` at ``as_of`` (``None`` only when there are none).

    Any selection of a builder's :attr:`~IndicatorBuilder.cases` can be summarised: the
    requests of one category, say (a builder that retires closed cases lists open ones only).
    """
    tally = _Tally()
    for record in records:
        tally.record(record, as_of)
    return tally.result(as_of)


# --------------------------------------------------------------------------- the fold


class IndicatorBuilder:
    """Fold events into :class:`CaseRecord` s, live or from a store, and summarise them.

    Use it as an engine observer (``Engine(..., observers=[builder])`` or
    ``engine.subscribe(builder)``, before the first case opens), or feed it stored events with
    :meth:`extend` (each case's events in order; cases may interleave). ``calendar`` and ``tz``
    must be the engine's, for working-day deadlines fall due by them. Events that do not fold
    (out of order, a transition the method lacks, a missing breach) raise
    :class:`~civicgrid.errors.ReplayError`, an unknown method
    :class:`~civicgrid.errors.UnknownMethod`; the builder is then as before that event.

    Closed cases leave memory: once a record is final (:attr:`CaseRecord.is_final`: closed in
    a step nothing leaves, no deadline running or paused) its figures are kept as a row of
    numbers (:class:`~civicgrid.report.retired.RetiredCases`, 60–70 bytes where a record
    takes 2–3 KB) and the record is dropped, so a year of a district folds in bounded
    memory. Every summary is the same as with every record kept; :attr:`cases` then lists the
    cases not yet retired, and an event for a retired case, or a second opening of one, is
    refused as an event of a case never opened. ``retire_closed=False`` keeps every record.
    """

    __slots__ = (
        "_calendar",
        "_latest",
        "_methods",
        "_records",
        "_reopen",
        "_retire",
        "_retired",
        "_tz",
    )

    def __init__(
        self,
        methods: Iterable[CompiledMethod] | Mapping[str, CompiledMethod],
        *,
        calendar: WorkCalendar | None = None,
        tz: tzinfo = DEFAULT_TZ,
        reopen_triggers: Iterable[str] = ("reopen",),
        retire_closed: bool = True,
    ) -> None:
        compiled = methods.values() if isinstance(methods, Mapping) else methods
        self._methods: dict[str, CompiledMethod] = {m.key: m for m in compiled}
        self._calendar: WorkCalendar = calendar if calendar is not None else WeekendCalendar()
        self._tz = tz
        self._reopen = frozenset(reopen_triggers)
        self._records: dict[str, CaseRecord] = {}
        self._latest: datetime | None = None
        self._retire = retire_closed
        self._retired = RetiredCases()

    @classmethod
    def for_engine(
        cls,
        engine: Engine,
        *,
        tz: tzinfo = DEFAULT_TZ,
        reopen_triggers: Iterable[str] = ("reopen",),
        retire_closed: bool = True,
    ) -> IndicatorBuilder:
        """Return a builder over ``engine``'s methods and calendar (not yet subscribed)."""
        methods = [engine.compiled(key) for key in engine.methods]
        return cls(
            methods,
            calendar=engine.calendar,
            tz=tz,
            reopen_triggers=reopen_triggers,
            retire_closed=retire_closed,
        )

    @property
    def cases(self) -> Mapping[str, CaseRecord]:
        """Every case seen and not retired, by id, in the order opened; read-only.

        With ``retire_closed`` (the default) a case is retired when its record is final, so
        this lists the open cases (and any closed one an alarm may still follow); with
        ``retire_closed=False`` every case seen.
        """
        return MappingProxyType(self._records)

    @property
    def retired(self) -> int:
        """How many closed cases were retired: in every figure, no longer in :attr:`cases`."""
        return len(self._retired)

    @property
    def latest(self) -> datetime | None:
        """The instant of the latest event seen, the default ``as_of``."""
        return self._latest

    def __call__(self, case: Case, event: Event) -> None:
        """Observe an engine: fold the event just recorded (the case itself is not read)."""
        self.add(event)

    def extend(self, events: Iterable[Event]) -> None:
        """Fold ``events`` in turn."""
        for event in events:
            self.add(event)

    def add(self, event: Event) -> None:
        """Fold one event."""
        if event.kind is EventKind.OPENED:
            self._open(event)
        else:
            record = self._records.get(event.case_id)
            if record is None:
                raise ReplayError(
                    f"event {event.seq} of case {event.case_id!r} comes before its opening event"
                    " (or after the case was closed and retired)",
                    f"事项 {event.case_id!r} 的第 {event.seq} 条记录早于其发起记录（或晚于其办结）",
                )
            record.apply(event, self._calendar, self._tz, self._reopen)
            if self._retire and record.outcome is not None and record.is_final:
                self._retired.add(record, self._tz)
                del self._records[event.case_id]
        if self._latest is None or event.at > self._latest:
            self._latest = event.at

    def _open(self, event: Event) -> None:
        compiled = self._methods.get(event.trigger or "")
        if compiled is None:
            raise UnknownMethod(event.trigger or "", self._methods)
        if event.case_id in self._records:
            raise ReplayError(
                f"case {event.case_id!r} is opened twice",
                f"事项 {event.case_id!r} 重复发起",
            )
        record = CaseRecord.opened(event, compiled, self._calendar, self._tz)
        self._records[event.case_id] = record

    def closing_times(self) -> Iterator[tuple[str, timedelta]]:
        """Yield (method, time from opening to closing) of every closed case, retired or not."""
        for record in self._records.values():
            if record.closed_at is not None:
                yield record.method, record.closed_at - record.opened_at
        for shape in self._retired.shapes:
            for micros_ in shape.column(shape.close):
                yield shape.method, timedelta(microseconds=micros_)

    # ------------------------------------------------------------------ summaries

    def _as_of(self, as_of: datetime | None) -> datetime | None:
        if as_of is None:
            return self._latest
        require_aware(as_of, "as_of")
        if self._latest is not None and as_of < self._latest:
            raise InvalidData(
                "indicators",
                [
                    Problem(
                        "as_of",
                        f"{as_of.isoformat()} is before the latest event seen "
                        f"({self._latest.isoformat()}); figures are read at or after it",
                    )
                ],
            )
        return as_of

    def indicators(self, *, as_of: datetime | None = None) -> Indicators:
        """Return the indicators of every case at ``as_of`` (default: the latest event)."""
        when = self._as_of(as_of)
        tally = _Tally()
        for record in self._records.values():
            tally.record(record, when)
        for shape in self._retired.shapes:
            tally.retired(shape, _columns(shape))
        return tally.result(when)

    def grouped(
        self,
        by: Iterable[IndicatorDimension],
        *,
        period: IndicatorPeriod = IndicatorPeriod.MONTH,
        tree: UnitTree | None = None,
        as_of: datetime | None = None,
        units: Iterable[str] | None = None,
    ) -> dict[GroupKey, Indicators]:
        """Return indicators per group of ``by`` (unit, method, period: any combination).

        By unit, a case counts for its own unit and, given ``tree``, every unit above it, so
        a community's figures include its grids'; cases without a unit form the group
        :data:`NO_UNIT`, and a unit not in ``tree`` raises :class:`~civicgrid.UnknownUnit`.
        ``units``, by unit, keeps only the groups of those units (the subdistricts, say: a
        year of a district's grids is thousands of groups, each holding its cases' durations).
        By period, cases group by opening date in the builder's timezone. Groups with no case
        are absent.
        """
        when = self._as_of(as_of)
        dims = dimensions(by)
        wanted = frozenset(units) if units is not None else None
        groups = group_records(self._records.values(), dims, period=period, tree=tree, tz=self._tz)
        tallies: dict[GroupKey, _Tally] = {}
        for key, records in groups.items():
            if wanted is not None and key.unit is not None and key.unit not in wanted:
                continue
            tally = tallies[key] = _Tally()
            for record in records:
                tally.record(record, when)
        retired = self._retired
        if len(retired):
            keys_of = retired.group_keys(dims, period=period, tree=tree, units=wanted)
            whole = dims <= {IndicatorDimension.METHOD}  # a shape is all in one group
            for shape in retired.shapes:
                columns = _columns(shape)
                if whole:
                    for key in keys_of(0, 0, shape):
                        _tally(tallies, key).retired(shape, columns)
                    continue
                rows: dict[GroupKey, list[int]] = {}
                for row, (unit, day) in enumerate(zip(shape.units, shape.days, strict=True)):
                    for key in keys_of(unit, day, shape):
                        found = rows.get(key)
                        if found is None:
                            rows[key] = [row]
                        else:
                            found.append(row)
                for key, picked in rows.items():
                    _tally(tallies, key).retired(shape, columns, picked)
        return {key: tally.result(when) for key, tally in tallies.items()}


def indicators_from_events(
    events: Iterable[Event],
    methods: Iterable[CompiledMethod] | Mapping[str, CompiledMethod],
    *,
    as_of: datetime | None = None,
    calendar: WorkCalendar | None = None,
    tz: tzinfo = DEFAULT_TZ,
    reopen_triggers: Iterable[str] = ("reopen",),
) -> Indicators:
    """Return the indicators of every case in ``events`` at ``as_of`` (default: the latest)."""
    builder = IndicatorBuilder(methods, calendar=calendar, tz=tz, reopen_triggers=reopen_triggers)
    builder.extend(events)
    return builder.indicators(as_of=as_of)
