"""One case as the indicators see it, folded from its events alone, and the groups it is in.

A :class:`CaseRecord` is to the indicators what a :class:`~civicgrid.Case` is to the engine:
it is opened by the case's opening event and moved by each later one, checked as
:meth:`~civicgrid.workflows.engine.Engine.replay` checks them. Deadlines are run through the
kernel's own rules (:class:`~civicgrid.workflows.deadlines.DeadlineRule`), so a record's
``deadlines`` equal the live case's; on top it counts what the engine forgets: how many runs of
each deadline were met or breached, which breaches are still unresolved, when each step was
first reached, every rating and every reopen. Events of other kinds (reminders, I13) are
checked for their place in the history and change no figure. :func:`group_records` sorts
records into the groups indicators are reported for: per unit (rolled up the unit tree), per
method and per period.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.requests import Rating
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.domain.units import UnitTree
from civicgrid.errors import InvalidData, Problem, ReplayError
from civicgrid.workflows.calendar import WorkCalendar
from civicgrid.workflows.compiled import CompiledMethod, DeadlineEffects
from civicgrid.workflows.deadlines import DeadlineAction, DeadlineState, DeadlineStatus, end_state
from civicgrid.workflows.event import Event, EventKind

__all__ = [
    "NO_UNIT",
    "CaseRecord",
    "DeadlineStanding",
    "GroupKey",
    "IndicatorDimension",
    "IndicatorPeriod",
    "dimensions",
    "group_records",
    "period_of",
]

NO_UNIT = ""
"""The unit group of cases opened without a unit (no unit id is empty, so none collides)."""

_RUNNING = DeadlineStatus.RUNNING
_PAUSED = DeadlineStatus.PAUSED
_ACTIVE = (_RUNNING, _PAUSED)
_RATINGS = {rating.value: rating for rating in Rating}
_NONE: frozenset[str] = frozenset()


class DeadlineStanding(Labelled):
    """Where a case's deadline stands at an instant: what a resident or supervisor sees."""

    ON_TRACK = "on_track"
    WARNED = "warned"
    """Past its warning point (amber), not yet due."""
    PAUSED = "paused"
    OVERDUE = "overdue"
    """Breached, or due before the instant, and not yet done."""
    MET = "met"
    LATE = "late"
    """Breached, then done: the step that stops it was reached after all."""

    @property
    def visible(self) -> bool:
        """Whether it tells a resident where an open matter stands (runs, paused, overdue)."""
        return self not in (DeadlineStanding.MET, DeadlineStanding.LATE)


class IndicatorPeriod(Labelled):
    """How cases are grouped by opening date, in the builder's timezone (Asia/Shanghai)."""

    DAY = "day"
    WEEK = "week"
    """ISO weeks, Monday first; the key is the Monday."""
    MONTH = "month"
    """Calendar months; the key is the first of the month."""


class IndicatorDimension(Labelled):
    """What indicators can be grouped by; any combination."""

    UNIT = "unit"
    METHOD = "method"
    PERIOD = "period"


_LABELS: dict[enum.StrEnum, tuple[str, str]] = {
    IndicatorPeriod.DAY: ("日", "day"),
    IndicatorPeriod.WEEK: ("周", "week"),
    IndicatorPeriod.MONTH: ("月", "month"),
    IndicatorDimension.UNIT: ("单元", "unit"),
    IndicatorDimension.METHOD: ("工作法", "method"),
    IndicatorDimension.PERIOD: ("时段", "period"),
    DeadlineStanding.ON_TRACK: ("正常", "on track"),
    DeadlineStanding.WARNED: ("预警", "warned"),
    DeadlineStanding.PAUSED: ("暂停计时", "paused"),
    DeadlineStanding.OVERDUE: ("超期", "overdue"),
    DeadlineStanding.MET: ("按期完成", "met"),
    DeadlineStanding.LATE: ("超期完成", "done late"),
}
register_labels(_LABELS)


class CaseRecord:
    """One case, folded from its events: what every indicator is computed from.

    Made by :meth:`opened` and moved by :meth:`apply`, which the
    :class:`~civicgrid.report.indicators.IndicatorBuilder` calls: read a record, never change
    it. ``deadlines`` holds each deadline's latest run; ``met`` and ``breached`` count ended
    runs by deadline key; ``unresolved`` holds the keys of breached runs whose stopping step
    has not been reached yet. ``channel``, ``category`` and ``unit`` come from the opening
    event's data (:class:`~civicgrid.RequestDesk` puts them there), ``None`` when absent.
    """

    __slots__ = (
        "breached",
        "case_id",
        "category",
        "channel",
        "closed_at",
        "closing_level",
        "compiled",
        "deadlines",
        "first_reached",
        "level",
        "met",
        "next_alarm",
        "opened_at",
        "outcome",
        "ratings",
        "reopens",
        "seq",
        "step",
        "unit",
        "unresolved",
        "updated_at",
    )

    def __init__(self, opened: Event, compiled: CompiledMethod) -> None:
        data = opened.data or {}
        self.case_id = opened.case_id
        self.compiled = compiled
        self.opened_at = opened.at
        self.channel = _text(data.get("channel"))
        self.category = _text(data.get("category"))
        self.unit = _text(data.get("unit"))
        self.step = opened.target
        self.level = opened.level
        self.seq = 1
        self.updated_at = opened.at
        self.first_reached: dict[str, datetime] = {}
        """Each step first reached after opening (the initial step excluded), and when."""
        self.closed_at: datetime | None = None
        self.outcome: str | None = None
        """The terminal step reached, once the case is closed."""
        self.closing_level: str | None = None
        self.ratings: tuple[Rating, ...] = ()
        self.reopens = 0
        self.deadlines: dict[str, DeadlineState] = {}
        self.met: dict[str, int] = {}
        self.breached: dict[str, int] = {}
        self.unresolved: frozenset[str] = _NONE
        self.next_alarm: datetime | None = None

    # ------------------------------------------------------------------ reading

    @property
    def method(self) -> str:
        """The key of the method the case runs."""
        return self.compiled.key

    @property
    def is_closed(self) -> bool:
        """Whether the case has reached a terminal step (an outcome is recorded)."""
        return self.outcome is not None

    @property
    def is_final(self) -> bool:
        """Whether no later event can change the record and no figure of it depends on ``as_of``.

        True once the case is closed in a step no transition of its method leaves (a request
        is reopened from 待评价, never from 办结: read from the compiled method, not assumed)
        and no deadline runs or is paused, so no alarm can follow. A closed record's figures
        (channel, outcome, closing level, ratings, reopens, runs met and breached, times to
        each step) are then fixed: :class:`~civicgrid.report.indicators.IndicatorBuilder`
        retires it into columns (:class:`~civicgrid.report.retired.RetiredCases`).
        """
        return (
            self.outcome is not None
            and self.outcome in self.first_reached
            and not self.compiled.out[self.step]
            and self.next_alarm is None
            and all(state.status not in _ACTIVE for state in self.deadlines.values())
        )

    def standings(self, as_of: datetime) -> dict[str, DeadlineStanding]:
        """Return where each deadline that has started stands at ``as_of``, by key."""
        return {key: self._standing(key, state, as_of) for key, state in self.deadlines.items()}

    def has_visible_deadline(self, as_of: datetime) -> bool:
        """Whether some deadline runs, is paused or is overdue at ``as_of``."""
        return any(standing.visible for standing in self.standings(as_of).values())

    def overdue_by(self, as_of: datetime) -> dict[str, timedelta]:
        """Return how long each overdue deadline has been overdue at ``as_of``, by key."""
        late: dict[str, timedelta] = {}
        for key, state in self.deadlines.items():
            due = state.due if state.status is _RUNNING else None
            if state.status is DeadlineStatus.BREACHED and key in self.unresolved:
                due = state.ended_at
            if due is not None and due < as_of:
                late[key] = as_of - due
        return late

    def _standing(self, key: str, state: DeadlineState, as_of: datetime) -> DeadlineStanding:
        status = state.status
        if status is _RUNNING:
            if state.due is not None and state.due < as_of:
                return DeadlineStanding.OVERDUE
            warn = state.warn_due
            if state.warned or (warn is not None and warn < as_of):
                return DeadlineStanding.WARNED
            return DeadlineStanding.ON_TRACK
        if status is _PAUSED:
            return DeadlineStanding.PAUSED
        if status is DeadlineStatus.MET:
            return DeadlineStanding.MET
        return DeadlineStanding.OVERDUE if key in self.unresolved else DeadlineStanding.LATE

    # ------------------------------------------------------------------ folding

    @classmethod
    def opened(
        cls, event: Event, compiled: CompiledMethod, calendar: WorkCalendar, tz: tzinfo
    ) -> CaseRecord:
        """Return the record a case's opening event starts; :class:`ReplayError` if it is not."""
        ladder = compiled.ladder
        if event.kind is not EventKind.OPENED or event.seq != 1:
            raise _bad(event, "a case is opened by its event 1, of kind opened")
        if event.target != compiled.initial or (
            event.level not in ladder if ladder else event.level is not None
        ):
            raise _bad(event, f"opens in {event.target!r} at level {event.level!r}")
        record = cls(event, compiled)
        if compiled.initial_effects:
            record._effects(compiled.initial_effects, event.at, calendar, tz)
        return record

    def apply(
        self, event: Event, calendar: WorkCalendar, tz: tzinfo, reopen: frozenset[str]
    ) -> None:
        """Fold the case's next event; :class:`ReplayError`, changing nothing, if it does not fit.

        ``calendar`` and ``tz`` must be the engine's (working-day deadlines fall due by them);
        a transition whose trigger is in ``reopen`` counts as a reopen.
        """
        if event.case_id != self.case_id or event.seq != self.seq + 1:
            raise _bad(event, f"expected event {self.seq + 1} of case {self.case_id!r}")
        kind, at, key = event.kind, event.at, event.trigger or ""
        if at < self.updated_at:
            raise _bad(event, "earlier than the event before it")
        if kind is EventKind.TRANSITION:
            if self.next_alarm is not None and self.next_alarm < at:
                raise _bad(event, f"an alarm due at {self.next_alarm.isoformat()} is missing")
            t = self.compiled.out[self.step].get(key)
            if t is None or t.target != event.target or t.source != event.source:
                raise _bad(event, f"no transition {key!r} from {self.step!r} to {event.target!r}")
            value = (event.data or {}).get("rating")
            if isinstance(value, str) and value in _RATINGS:
                self.ratings = (*self.ratings, _RATINGS[value])
            if key in reopen:
                self.reopens += 1
            if t.target != self.compiled.initial:
                self.first_reached.setdefault(t.target, at)
            if t.target_terminal:
                self.closed_at, self.outcome, self.closing_level = at, t.target, event.level
            self.step = t.target
            if t.effects:
                self._effects(t.effects, at, calendar, tz)
        elif kind is EventKind.WARNED or kind is EventKind.BREACHED:
            self._alarm(event)
        elif kind is EventKind.OPENED:
            raise _bad(event, "a case is opened once")
        elif self.next_alarm is not None and self.next_alarm < at:
            # Other kinds (reminders, I13) change no figure; they follow the alarms before them.
            raise _bad(event, f"an alarm due at {self.next_alarm.isoformat()} is missing")
        elif event.target != self.step:
            raise _bad(event, f"a {kind} event cannot move the case to {event.target!r}")
        self.seq, self.updated_at, self.level = event.seq, at, event.level

    def _alarm(self, event: Event) -> None:
        key, at = event.trigger or "", event.at
        state = self.deadlines.get(key)
        if state is None or state.next_alarm != at:
            raise _bad(event, f"deadline {key!r} has no alarm due at {at.isoformat()}")
        if event.kind is EventKind.WARNED:
            if state.warn_due != at:
                raise _bad(event, f"deadline {key!r} does not warn at {at.isoformat()}")
            state.warned = True
        else:
            if state.due != at:
                raise _bad(event, f"deadline {key!r} is not due at {at.isoformat()}")
            state.status, state.ended_at = DeadlineStatus.BREACHED, at
            state.token += 1
            self.breached[key] = self.breached.get(key, 0) + 1
            self.unresolved = self.unresolved | {key}
        self.next_alarm = _next_alarm(self.deadlines)

    def _effects(
        self, effects: DeadlineEffects, at: datetime, calendar: WorkCalendar, tz: tzinfo
    ) -> None:
        """Apply what entering a step does to deadlines, as the engine does, counting runs."""
        states = self.deadlines
        for rule, action in effects:
            key = rule.key
            state = states.get(key)
            if action is DeadlineAction.START:
                if state is None or state.status not in _ACTIVE:
                    if key in self.unresolved:  # a new run supersedes a breached one
                        self.unresolved = self.unresolved - {key}
                    states[key] = rule.begin(at, calendar, tz)
                elif state.status is _PAUSED:
                    rule.resume_state(state, at, calendar, tz)
            elif state is None:
                continue
            elif action is DeadlineAction.STOP:
                if state.status in _ACTIVE:
                    end_state(state, at)
                    self.met[key] = self.met.get(key, 0) + 1
                elif key in self.unresolved:  # breached, and now done late
                    self.unresolved = self.unresolved - {key}
            elif action is DeadlineAction.PAUSE and state.status is _RUNNING:
                rule.pause_state(state, at, calendar, tz)
            elif action is DeadlineAction.RESUME and state.status is _PAUSED:
                rule.resume_state(state, at, calendar, tz)
        self.next_alarm = _next_alarm(states)

    # ------------------------------------------------------------------ comparing

    def _state(self) -> tuple[object, ...]:
        fields = tuple(getattr(self, name) for name in self.__slots__ if name != "compiled")
        return (*fields, self.compiled.key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaseRecord):
            return NotImplemented
        return self._state() == other._state()

    __hash__ = None  # type: ignore[assignment]  # changes as events arrive

    def __repr__(self) -> str:
        return f"<CaseRecord {self.case_id!r} {self.method}:{self.step} level={self.level!r}>"


# --------------------------------------------------------------------------- groups


@attrs.frozen
class GroupKey:
    """Which group a row of grouped indicators is; ``None`` where not grouped by that."""

    unit: str | None = None
    """A unit id (the case's unit or one above it), or :data:`NO_UNIT`."""
    method: str | None = None
    period: date | None = None
    """The first day of the period the cases were opened in."""


def period_of(day: date, period: IndicatorPeriod) -> date:
    """Return the first day of the ``period`` that ``day`` (a local date) falls in."""
    if period is IndicatorPeriod.DAY:
        return day
    if period is IndicatorPeriod.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _period_start(at: datetime, period: IndicatorPeriod, tz: tzinfo) -> date:
    return period_of(at.astimezone(tz).date(), period)


def dimensions(by: Iterable[IndicatorDimension]) -> frozenset[IndicatorDimension]:
    """Return the dimensions ``by`` names; :class:`~civicgrid.errors.InvalidData` for others."""
    dims: set[IndicatorDimension] = set()
    problems = []
    for i, value in enumerate(by):
        try:
            dims.add(IndicatorDimension(value))
        except ValueError:
            problems.append(Problem(f"by[{i}]", f"{value!r} is not one of unit, method, period"))
    if problems:
        raise InvalidData("indicator grouping", problems)
    return frozenset(dims)


def group_records(
    records: Iterable[CaseRecord],
    by: Iterable[IndicatorDimension],
    *,
    period: IndicatorPeriod = IndicatorPeriod.MONTH,
    tree: UnitTree | None = None,
    tz: tzinfo = DEFAULT_TZ,
) -> dict[GroupKey, list[CaseRecord]]:
    """Sort ``records`` into the groups of ``by`` (unit, method, period: any combination).

    By unit, a case counts for its own unit and, given ``tree``, every unit above it, so a
    community's figures include its grids'; cases without a unit form the group
    :data:`NO_UNIT`, and a unit not in ``tree`` raises :class:`~civicgrid.UnknownUnit`. By
    period, cases group by opening date in ``tz``. Groups with no case are absent; ``by``
    naming something else raises :class:`~civicgrid.errors.InvalidData`.
    """
    dims = dimensions(by)
    chains: dict[str, list[str | None]] = {}
    groups: dict[GroupKey, list[CaseRecord]] = {}
    for r in records:
        units: list[str | None] = [None]
        if IndicatorDimension.UNIT in dims:
            unit = r.unit or NO_UNIT
            if unit not in chains:
                above = tree.ancestors(unit) if tree is not None and r.unit else ()
                chains[unit] = [unit, *(u.id for u in above)]
            units = chains[unit]
        method = r.method if IndicatorDimension.METHOD in dims else None
        start = (
            _period_start(r.opened_at, period, tz) if IndicatorDimension.PERIOD in dims else None
        )
        for unit_key in units:
            groups.setdefault(GroupKey(unit_key, method, start), []).append(r)
    return groups


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _next_alarm(states: Mapping[str, DeadlineState]) -> datetime | None:
    earliest = None
    for state in states.values():
        alarm = state.next_alarm
        if alarm is not None and (earliest is None or alarm < earliest):
            earliest = alarm
    return earliest


def _bad(event: Event, why: str) -> ReplayError:
    return ReplayError(
        f"event {event.seq} of case {event.case_id!r}: {why}",
        f"事项 {event.case_id!r} 的第 {event.seq} 条记录无法计入指标：{why}",
    )
