"""The engine: opens cases, fires transitions, keeps deadlines, replays histories.

``fire`` looks the transition up, checks the actor, runs the named guards, appends exactly one
event and moves the case, or raises a :class:`~civicgrid.errors.CivicGridError` and changes
nothing. Deadline alarms (warnings, breaches) wait in one priority queue keyed by instant;
``tick(now)`` pops what is due, so a tick costs nothing for cases that are not due.

Alarms and the bound: a deadline is met when it stops at or before its due instant, so an
alarm at instant ``t`` is handled by ``tick(now)`` only when ``t < now``, and is recorded at
``t``. Before ``fire`` acts at ``at``, alarms of that case that fell due before ``at`` are
recorded first, exactly as ``tick(at)`` would have: they are facts of the past, and a case
is always judged in its true state.

Reminders (:mod:`civicgrid.workflows.reminders`, DOMAIN.md I13) wait in the same queue and
follow the same bound; a case's next alarm is its earliest deadline alarm or reminder. When a
deadline alarm and a reminder of one case fall due at the same instant, the deadline alarm is
recorded first (the reminder then sees the case as the breach left it), and reminders due
together are recorded in key order.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from types import MappingProxyType
from typing import Any, Final

from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.errors import (
    CivicGridError,
    GuardFailed,
    GuardRefused,
    LadderExhausted,
    NaiveDatetimeError,
    ObserverError,
    OpenRefused,
    OutOfOrder,
    Refusal,
    ReplayError,
    RoleRefused,
    TriggerNotAllowed,
    UnknownMethod,
    UnknownTrigger,
)
from civicgrid.workflows.actor import SYSTEM_ACTOR, Actor
from civicgrid.workflows.calendar import WeekendCalendar, WorkCalendar
from civicgrid.workflows.case import Case
from civicgrid.workflows.clock import Clock
from civicgrid.workflows.compiled import CompiledMethod, CompiledTransition, DeadlineEffects
from civicgrid.workflows.deadlines import DeadlineAction, DeadlineState, DeadlineStatus, end_state
from civicgrid.workflows.event import Event, EventKind, RawEvent
from civicgrid.workflows.method import BreachAction, Method
from civicgrid.workflows.reminders import Reminder, ReminderBook, ReminderState

__all__ = ["KEEP", "Engine", "Observer"]

Observer = Callable[[Case, Event], None]
"""Told of every event after it is recorded: ``observer(case, event)``. It must not raise."""


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final[Any] = _Keep()
"""Default of ``fire(assignee=...)``: keep the case's current assignee."""

_make = Event._make
_OPENED = EventKind.OPENED
_TRANSITION = EventKind.TRANSITION
_WARNED = EventKind.WARNED
_BREACHED = EventKind.BREACHED
_RUNNING = DeadlineStatus.RUNNING
_PAUSED = DeadlineStatus.PAUSED
_ACTIVE = (DeadlineStatus.RUNNING, DeadlineStatus.PAUSED)
_REMINDER_KINDS = (EventKind.REMINDER_SET, EventKind.REMINDED, EventKind.REMINDER_CANCELLED)
_HeapEntry = tuple[datetime, int, DeadlineState | ReminderState, Case, int]


class Engine:
    """Runs cases of compiled methods against a clock and a work calendar.

    Build it from a plugin registry with :meth:`from_registry`, or from compiled methods
    directly. The engine keeps no list of cases: only the queue of pending deadline alarms
    refers to them, so a closed case is forgotten as soon as its owner lets it go. A case
    with running reminders (:meth:`remind`) is held until they end, are cancelled, or the
    case is found closed when one comes due.

    Observers are told after the change is made; if one raises, the operation has still
    happened, and :class:`ObserverError` says so (``tick`` stops there: call it again to go
    on). An engine is not thread-safe: give each thread its own, or hold a lock around it.
    """

    def __init__(
        self,
        methods: Iterable[CompiledMethod],
        *,
        clock: Clock,
        calendar: WorkCalendar | None = None,
        tz: tzinfo = DEFAULT_TZ,
        observers: Iterable[Observer] = (),
        id_factory: Callable[[str], str] | None = None,
    ) -> None:
        self._methods: dict[str, CompiledMethod] = {m.key: m for m in methods}
        self._clock = clock
        self._calendar: WorkCalendar = calendar if calendar is not None else WeekendCalendar()
        self._tz = tz
        self._observers: list[Observer] = list(observers)
        self._heap: list[_HeapEntry] = []
        self._seq = itertools.count()
        self._compact_at = 1024
        self._reminders: dict[int, ReminderBook] = {}
        """The running reminders of each case that has any, by ``id(case)``."""
        counter = itertools.count(1)
        self._id_factory = id_factory or (lambda key: f"{key}-{next(counter)}")

    @classmethod
    def from_registry(
        cls,
        registry: Any,
        *,
        clock: Clock,
        calendar: WorkCalendar | None = None,
        tz: tzinfo = DEFAULT_TZ,
        observers: Iterable[Observer] = (),
        id_factory: Callable[[str], str] | None = None,
    ) -> Engine:
        """Build an engine over every method, the calendar and the observers of a registry."""
        return cls(
            registry.compiled.values(),
            clock=clock,
            calendar=calendar if calendar is not None else registry.calendar,
            tz=tz,
            observers=[*registry.observers, *observers],
            id_factory=id_factory,
        )

    # ------------------------------------------------------------------ introspection

    @property
    def clock(self) -> Clock:
        """The clock the engine reads when no instant is given."""
        return self._clock

    @property
    def calendar(self) -> WorkCalendar:
        """The work calendar for working-day deadlines."""
        return self._calendar

    @property
    def tz(self) -> tzinfo:
        """The timezone days and working hours are counted in (Asia/Shanghai by default)."""
        return self._tz

    @property
    def methods(self) -> Mapping[str, Method]:
        """The methods the engine runs, by key."""
        return {key: c.method for key, c in self._methods.items()}

    def compiled(self, key: str) -> CompiledMethod:
        """Return the compiled form of method ``key``; :class:`UnknownMethod` if it is not here."""
        try:
            return self._methods[key]
        except KeyError:
            raise UnknownMethod(key, self._methods) from None

    @property
    def pending_alarms(self) -> int:
        """How many alarm entries wait in the queue (stale ones included until popped)."""
        return len(self._heap)

    def subscribe(self, observer: Observer) -> None:
        """Tell ``observer`` of every event recorded from now on."""
        self._observers.append(observer)

    def permitted(self, case: Case, actor: Actor) -> tuple[str, ...]:
        """Return the triggers ``actor`` may fire on ``case`` now, before guards are asked."""
        return tuple(
            trigger for trigger, t in case._out.items() if not t.grants.isdisjoint(actor.grants)
        )

    # ------------------------------------------------------------------ opening

    def open(
        self,
        method: str,
        *,
        actor: Actor,
        at: datetime | None = None,
        case_id: str | None = None,
        data: Mapping[str, Any] | None = None,
        level: str | None = None,
        assignee: str | None = None,
    ) -> Case:
        """Open a case of ``method`` in its initial step and return it.

        ``actor`` must hold one of the method's ``open_roles``. ``level`` defaults to the
        lowest rung of the method's escalation ladder.
        """
        compiled = self.compiled(method)
        if compiled.open_roles.isdisjoint(actor.roles):
            raise OpenRefused(
                method,
                actor.id,
                f"needs one of the roles {sorted(compiled.open_roles)}",
                f"需要以下角色之一：{'、'.join(sorted(compiled.open_roles))}",
            )
        if level is None:
            level = compiled.initial_level
        elif level not in compiled.ladder:
            raise OpenRefused(
                method,
                actor.id,
                f"level {level!r} is not on the ladder {list(compiled.ladder)}",
                f"层级 {level!r} 不在该工作法的层级中",
            )
        if at is None:
            at = self._clock.now()
        elif at.tzinfo is None:
            raise NaiveDatetimeError("at")
        if case_id is None:
            case_id = self._id_factory(method)
        event = (
            case_id,
            1,
            _OPENED,
            at,
            actor.id,
            method,
            None,
            compiled.initial,
            level,
            assignee,
            data,
        )
        case = Case(case_id, compiled, event)
        if compiled.initial_effects:
            self._apply_effects(case, compiled.initial_effects, at, track=True)
        if self._observers:
            self._notify(case, event)
        return case

    # ------------------------------------------------------------------ firing

    def fire(
        self,
        case: Case,
        trigger: str,
        actor: Actor,
        *,
        at: datetime | None = None,
        data: Mapping[str, Any] | None = None,
        assignee: str | None = KEEP,
    ) -> None:
        """Fire ``trigger`` on ``case`` as ``actor``: record one event and move the case.

        The event is ``case.events[-1]`` afterwards.

        Refusals (:class:`UnknownTrigger`, :class:`TriggerNotAllowed`, :class:`RoleRefused`,
        :class:`GuardRefused`, :class:`LadderExhausted`) change nothing, apart from what fell
        due for this case before ``at``: deadline alarms and reminders are recorded first, as
        ``tick(at)`` would have, because they happened whatever this call does. That includes
        a breach with ``on_breach = "fire"``, whose transition then moves the case before the
        refused trigger is tried. ``assignee`` sets who the case is assigned to from now on;
        left out, it stays as it is.
        """
        if at is None:
            at = self._clock.now()
        elif at.tzinfo is None:
            raise NaiveDatetimeError("at")
        if at < case._updated:
            raise OutOfOrder(
                f"case {case._id!r}: {at.isoformat()} is before its last event "
                f"({case._updated.isoformat()})",
                f"事项 {case._id!r}：{at.isoformat()} 早于其最近一次记录",
            )
        alarm = case._next_alarm
        if alarm is not None and alarm < at:
            self._catch_up(case, at)
        t = case._out.get(trigger)
        if t is None:
            raise self._not_allowed(case, trigger)
        if t.grants.isdisjoint(actor.grants):
            raise self._role_refused(case, t, actor)
        for name, check, guard in t.guards:
            try:
                passed = check(case, actor, data)
            except Refusal as refusal:
                raise self._guard_refused(
                    case, t, name, refusal.message_en, refusal.message_zh
                ) from refusal
            except CivicGridError:
                raise
            except Exception as exc:
                raise GuardFailed(
                    guard.plugin or _owner(guard.check),
                    "register_guards",
                    f"guard {name!r} raised {type(exc).__name__}: {exc}",
                ) from exc
            if not passed:
                raise self._guard_refused(case, t, name, guard.label_en, guard.label_zh)
        # What follows is _commit, written out: this is the hot path, and the call costs
        # about a fifth of a transition (bench/engine.py). Keep the two in step.
        level = case._level
        if t.escalate:
            level = self._level_above(case, t)
        elif t.level is not None:
            level = t.level
        if assignee is KEEP:
            assignee = case._assignee
        events = case._events
        event = (
            case._id,
            len(events) + 1,
            _TRANSITION,
            at,
            actor.id,
            trigger,
            t.source,
            t.target,
            level,
            assignee,
            data,
        )
        events.append(event)
        case._step = t.target
        case._out = t.target_out
        case._level = level
        case._assignee = assignee
        case._updated = at
        if t.effects:
            self._apply_effects(case, t.effects, at, track=True)
        if self._observers:
            self._notify(case, event)

    def _commit(
        self,
        case: Case,
        t: CompiledTransition,
        actor: Actor,
        at: datetime,
        data: Mapping[str, Any] | None,
        assignee: str | None,
        *,
        notify: bool = True,
    ) -> RawEvent:
        level = case._level
        if t.escalate:
            level = self._level_above(case, t)
        elif t.level is not None:
            level = t.level
        if assignee is KEEP:
            assignee = case._assignee
        events = case._events
        event = (
            case._id,
            len(events) + 1,
            _TRANSITION,
            at,
            actor.id,
            t.trigger,
            t.source,
            t.target,
            level,
            assignee,
            data,
        )
        events.append(event)
        case._step = t.target
        case._out = t.target_out
        case._level = level
        case._assignee = assignee
        case._updated = at
        if t.effects:
            self._apply_effects(case, t.effects, at, track=True)
        if notify and self._observers:
            self._notify(case, event)
        return event

    def _level_above(self, case: Case, t: CompiledTransition) -> str | None:
        above = case._compiled.rung_above.get(case._level)
        if above is None:
            raise LadderExhausted(
                case._id,
                case._step,
                t.trigger,
                case.allowed_triggers(),
                f"{t.trigger!r} escalates, but level {case._level!r} is the top of the ladder",
                f"{t.trigger!r} 需要上报，但 {case._level!r} 已是最高层级",
            )
        return above

    # ------------------------------------------------------------------ refusals

    def _not_allowed(self, case: Case, trigger: str) -> CivicGridError:
        allowed = case.allowed_triggers()
        if trigger not in case._compiled.triggers:
            return UnknownTrigger(
                case._id,
                case._step,
                trigger,
                allowed,
                f"method {case.method_key!r} has no trigger {trigger!r}",
                f"工作法 {case.method_key!r} 没有流转 {trigger!r}",
            )
        return TriggerNotAllowed(
            case._id,
            case._step,
            trigger,
            allowed,
            f"{trigger!r} is not allowed from step {case._step!r}",
            f"当前步骤不能执行 {trigger!r}",
        )

    def _role_refused(self, case: Case, t: CompiledTransition, actor: Actor) -> CivicGridError:
        needs = sorted(t.roles) + [f"power:{p}" for p in sorted(t.powers)]
        has = sorted(actor.roles) + [f"power:{p}" for p in sorted(actor.powers)]
        error = RoleRefused(
            case._id,
            case._step,
            t.trigger,
            case.allowed_triggers(),
            f"actor {actor.id!r} holds {has or 'no role'}, {t.trigger!r} needs one of {needs}",
            f"{actor.id!r} 没有执行 {t.trigger!r} 所需的角色或职权（需要其一：{'、'.join(needs)}）",
        )
        error.actor = actor
        return error

    def _guard_refused(
        self, case: Case, t: CompiledTransition, name: str, reason_en: str, reason_zh: str | None
    ) -> CivicGridError:
        error = GuardRefused(
            case._id,
            case._step,
            t.trigger,
            case.allowed_triggers(),
            f"guard {name!r} refused {t.trigger!r}: {reason_en}",
            f"校验 {name!r} 拒绝了 {t.trigger!r}：{reason_zh or reason_en}",
        )
        error.guard = name
        return error

    # ------------------------------------------------------------------ deadlines

    def tick(self, now: datetime | None = None) -> list[Event]:
        """Record every warning, breach and reminder that fell due before ``now``, in due order."""
        if now is None:
            now = self._clock.now()
        else:
            require_aware(now, "now")
        recorded: list[Event] = []
        heap = self._heap
        while heap and heap[0][0] < now:
            instant, _, state, case, token = heapq.heappop(heap)
            if isinstance(state, ReminderState):
                if state.token == token and state.next_alarm == instant:
                    # Through the instant: the case's deadline alarms at it go first.
                    self._catch_up(case, instant, recorded, through=True)
            elif (
                state.token == token
                and state.status is _RUNNING
                and state.next_alarm == instant
                and case._deadlines.get(state.key) is state
            ):
                self._alarm(case, state, instant, recorded)
        return recorded

    def _catch_up(
        self,
        case: Case,
        before: datetime,
        recorded: list[Event] | None = None,
        *,
        through: bool = False,
    ) -> None:
        if recorded is None:
            recorded = []
        while (instant := case._next_alarm) is not None and (
            instant < before or (through and instant == before)
        ):
            state = next(
                (
                    s
                    for s in case._deadlines.values()
                    if s.status is _RUNNING and s.next_alarm == instant
                ),
                None,
            )
            if state is not None:
                self._alarm(case, state, instant, recorded)
            else:
                self._remind(case, instant, recorded)

    def _alarm(self, case: Case, state: DeadlineState, instant: datetime, out: list[Event]) -> None:
        rule = case._compiled.rules[state.key]
        level = case._level
        data: dict[str, Any] | None = None
        follow: CompiledTransition | None = None
        if state.warn_due == instant and not state.warned:
            state.warned = True
            kind = _WARNED
            self._push(case, state)
        else:
            state.status = DeadlineStatus.BREACHED
            state.ended_at = instant
            state.token += 1
            kind = _BREACHED
            data = {"action": rule.action.value}
            if rule.action is BreachAction.ESCALATE:
                above = case._compiled.rung_above.get(level)
                if above is not None:
                    level = above
                data["escalated"] = above is not None
            elif rule.action is BreachAction.FIRE:
                # Validated to exist wherever the deadline can run; an escalating trigger on
                # the top rung has nowhere to go, and the breach alone is recorded.
                follow = case._out.get(rule.breach_trigger or "")
                if (
                    follow is not None
                    and follow.escalate
                    and case._level not in case._compiled.rung_above
                ):
                    follow = None
                data["fired"] = follow is not None
        event = (
            case._id,
            len(case._events) + 1,
            kind,
            instant,
            SYSTEM_ACTOR.id,
            state.key,
            case._step,
            case._step,
            level,
            case._assignee,
            data,
        )
        case._events.append(event)
        case._level = level
        case._updated = instant
        case._next_alarm = self._earliest_alarm(case)
        out.append(_make(event))
        fired = None
        if follow is not None:
            data = {"deadline": state.key}
            fired = self._commit(case, follow, SYSTEM_ACTOR, instant, data, KEEP, notify=False)
            out.append(_make(fired))
        if self._observers:
            self._notify(case, event)
            if fired is not None:
                self._notify(case, fired)

    def _apply_effects(
        self, case: Case, effects: DeadlineEffects, at: datetime, *, track: bool
    ) -> None:
        states = case._deadlines
        changed = False
        for rule, action in effects:
            state = states.get(rule.key)
            if action is DeadlineAction.START:
                if state is None or state.status not in _ACTIVE:
                    state = states[rule.key] = rule.begin(at, self._calendar, self._tz)
                elif state.status is _PAUSED:
                    rule.resume_state(state, at, self._calendar, self._tz)
                else:
                    continue
            elif state is None:
                continue
            elif action is DeadlineAction.STOP and state.status in _ACTIVE:
                end_state(state, at)
            elif action is DeadlineAction.PAUSE and state.status is _RUNNING:
                rule.pause_state(state, at, self._calendar, self._tz)
            elif action is DeadlineAction.RESUME and state.status is _PAUSED:
                rule.resume_state(state, at, self._calendar, self._tz)
            else:
                continue
            changed = True
            if track and state.status is _RUNNING:
                self._push(case, state)
        if changed:
            case._next_alarm = self._earliest_alarm(case)

    def _push(self, case: Case, state: DeadlineState | ReminderState) -> None:
        alarm = state.next_alarm
        if alarm is None:
            return
        heap = self._heap
        heapq.heappush(heap, (alarm, next(self._seq), state, case, state.token))
        if len(heap) > self._compact_at:
            self._compact()

    def _compact(self) -> None:
        """Drop queue entries of deadlines that changed since (amortised O(1) per push)."""
        # A deadline that is not running, and a reminder that ended, have no next alarm.
        self._heap = [
            entry
            for entry in self._heap
            if entry[2].token == entry[4] and entry[2].next_alarm == entry[0]
        ]
        heapq.heapify(self._heap)
        self._compact_at = max(1024, 2 * len(self._heap))

    # ------------------------------------------------------------------ reminders

    def remind(
        self,
        case: Case,
        reminder: Reminder,
        *,
        actor: Actor = SYSTEM_ACTOR,
        at: datetime | None = None,
    ) -> None:
        """Attach ``reminder`` to ``case`` at ``at``: record ``reminder_set``, queue its dates.

        Each occurrence at or after ``at`` is then recorded by ``tick`` as a ``reminded`` event
        until the reminder runs out, is cancelled, or the case closes. Refused, changing
        nothing but the alarms that fell due before ``at`` (as ``fire``): a naive ``at``, an
        instant before the case's last event, a closed case (:class:`ReminderRefused`), a key
        that is already running (:class:`DuplicateReminder`), a reminder with no occurrence
        left.
        """
        at = self._acting_at(case, at)
        book = self._reminders.get(id(case)) or ReminderBook(case)
        state = book.set(reminder, at, actor.id, self._tz)
        self._reminders[id(case)] = book
        self._push(case, state)
        case._next_alarm = self._earliest_alarm(case)
        if self._observers:
            self._notify(case, case._events[-1])

    def cancel_reminder(
        self,
        case: Case,
        key: str,
        *,
        actor: Actor = SYSTEM_ACTOR,
        at: datetime | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        """Stop the running reminder ``key`` of ``case``, recording ``reminder_cancelled``.

        ``data`` may say why (a lease renewed). A key that is not running is refused with
        :class:`UnknownReminder`, changing nothing but the alarms due before ``at``.
        """
        at = self._acting_at(case, at)
        book = self._reminders.get(id(case)) or ReminderBook(case)
        event = book.cancel(key, at, actor.id, data)
        if not book.states:
            self._reminders.pop(id(case), None)
        case._next_alarm = self._earliest_alarm(case)
        if self._observers:
            self._notify(case, event)

    def reminders(self, case: Case) -> Mapping[str, ReminderState]:
        """Return the running reminders of ``case`` by key (none once it is closed); read-only."""
        book = self._reminders.get(id(case))
        if book is None or case.is_closed:
            return MappingProxyType({})
        return MappingProxyType(book.states)

    def _acting_at(self, case: Case, at: datetime | None) -> datetime:
        """Check ``at`` as ``fire`` does and record the case's alarms that fell due before it."""
        if at is None:
            at = self._clock.now()
        else:
            require_aware(at, "at")
        if at < case._updated:
            raise OutOfOrder(
                f"case {case._id!r}: {at.isoformat()} is before its last event "
                f"({case._updated.isoformat()})",
                f"事项 {case._id!r}：{at.isoformat()} 早于其最近一次记录",
            )
        alarm = case._next_alarm
        if alarm is not None and alarm < at:
            self._catch_up(case, at)
        return at

    def _earliest_alarm(self, case: Case) -> datetime | None:
        """Return the case's next deadline alarm or reminder; a closed case's reminders stop."""
        earliest = _next_alarm(case)
        if self._reminders:
            book = self._reminders.get(id(case))
            if book is not None:
                if case._step in case._compiled.terminal:
                    book.stop()
                    del self._reminders[id(case)]
                    return earliest
                due = book.next_alarm()
                if due is not None and (earliest is None or due < earliest):
                    earliest = due
        return earliest

    def _remind(self, case: Case, instant: datetime, out: list[Event]) -> None:
        """Record the reminder of ``case`` due at ``instant`` (none if the case has closed)."""
        book = self._reminders.get(id(case))
        state = None if book is None or case.is_closed else book.due()
        if book is None or state is None or state.next_alarm != instant:
            case._next_alarm = self._earliest_alarm(case)
            return
        event = book.remind(state, instant, SYSTEM_ACTOR.id)
        if state.key in book.states:
            self._push(case, state)
        elif not book.states:
            del self._reminders[id(case)]
        case._next_alarm = self._earliest_alarm(case)
        out.append(_make(event))
        if self._observers:
            self._notify(case, event)

    # ------------------------------------------------------------------ replay

    def replay(self, events: Sequence[Event], *, track: bool = True) -> Case:
        """Rebuild a case from its events; with ``track``, its deadlines join the queue.

        The rebuilt case equals the original: same step, level, assignee, history and
        deadlines with the same remaining time. Inconsistent events raise
        :class:`ReplayError`. Its reminders are rebuilt from their events and, with
        ``track``, queued with the same next occurrence; without, they are checked but not
        kept (the case's ``next_alarm`` then counts its deadlines only).
        """
        if not events:
            raise ReplayError("no events to replay", "没有可重放的记录")
        first = events[0]
        if first.kind is not EventKind.OPENED or first.trigger is None or first.seq != 1:
            raise ReplayError(
                "the first event must be the opening event, seq 1",
                "第一条记录必须是序号为 1 的发起记录",
            )
        compiled = self.compiled(first.trigger)
        ladder = compiled.ladder
        if first.target != compiled.method.initial or (
            first.level not in ladder if ladder else first.level is not None
        ):
            raise ReplayError(
                f"the opening event must open in step {compiled.method.initial!r} on a rung of "
                f"the ladder, not {first.target!r} at level {first.level!r}",
                f"发起记录的步骤或层级不符：{first.target!r}，{first.level!r}",
            )
        case = Case(first.case_id, compiled, first)
        if compiled.initial_effects:
            self._apply_effects(case, compiled.initial_effects, first.at, track=False)
        try:
            for position, event in enumerate(events[1:], start=2):
                self._replay_one(case, event, position)
        except BaseException:
            self._reminders.pop(id(case), None)
            raise
        book = self._reminders.get(id(case))
        if book is not None and not track:
            del self._reminders[id(case)]
            case._next_alarm = _next_alarm(case)
        if track:
            for state in case._deadlines.values():
                if state.status is _RUNNING:
                    self._push(case, state)
            for reminder in () if book is None else book.states.values():
                self._push(case, reminder)
        return case

    def _replay_one(self, case: Case, event: Event, position: int) -> None:
        def bad(why: str) -> ReplayError:
            return ReplayError(
                f"event {position} of case {case._id!r}: {why}",
                f"事项 {case._id!r} 的第 {position} 条记录：{why}",
            )

        if event.case_id != case._id or event.seq != position:
            raise bad(
                f"expected case {case._id!r} seq {position}, got {event.case_id!r} seq {event.seq}"
            )
        if event.at < case._updated:
            raise bad("earlier than the event before it")
        if event.kind is EventKind.TRANSITION:
            if case._next_alarm is not None and case._next_alarm < event.at:
                raise bad(
                    f"a deadline alarm due at {case._next_alarm.isoformat()} is missing before it"
                )
            t = case._out.get(event.trigger or "")
            if t is None or t.target != event.target or t.source != event.source:
                raise bad(
                    f"no transition {event.trigger!r} from step {case._step!r} to {event.target!r}"
                )
            case._events.append(event)
            case._step = t.target
            case._out = t.target_out
            case._level = event.level
            case._assignee = event.assignee
            case._updated = event.at
            if t.effects:
                self._apply_effects(case, t.effects, event.at, track=False)
            return
        if event.kind in (EventKind.WARNED, EventKind.BREACHED):
            book = self._reminders.get(id(case)) if self._reminders else None
            due = None if book is None else book.next_alarm()
            if due is not None and due < event.at:
                raise bad(f"a reminder due at {due.isoformat()} is missing before it")
            state = case._deadlines.get(event.trigger or "")
            expected = None if state is None else state.next_alarm
            if state is None or expected != event.at:
                raise bad(f"deadline {event.trigger!r} has no alarm due at {event.at.isoformat()}")
            if event.kind is EventKind.WARNED:
                if state.warn_due != event.at or state.warned:
                    raise bad(f"deadline {event.trigger!r} does not warn at {event.at.isoformat()}")
                state.warned = True
            else:
                if state.due != event.at or (state.warn_due is not None and not state.warned):
                    raise bad(f"deadline {event.trigger!r} is not due at {event.at.isoformat()}")
                state.status = DeadlineStatus.BREACHED
                state.ended_at = event.at
                state.token += 1
            case._events.append(event)
            case._level = event.level
            case._updated = event.at
            case._next_alarm = self._earliest_alarm(case)
            return
        if event.kind in _REMINDER_KINDS:
            self._replay_reminder(case, event, bad)
            return
        raise bad(f"unexpected event kind {event.kind!r}")

    def _replay_reminder(self, case: Case, event: Event, bad: Callable[[str], ReplayError]) -> None:
        alarm = case._next_alarm
        if event.kind is EventKind.REMINDED:
            # A deadline alarm due at the same instant comes first.
            alarm = _next_alarm(case)
            if alarm is not None and alarm <= event.at:
                raise bad(f"a deadline alarm due at {alarm.isoformat()} is missing before it")
        elif alarm is not None and alarm < event.at:
            raise bad(f"an alarm due at {alarm.isoformat()} is missing before it")
        book = self._reminders.setdefault(id(case), ReminderBook(case))
        try:
            book.replay(event, self._tz)
        except ValueError as error:
            raise bad(getattr(error, "message_en", str(error))) from error
        if not book.states:
            del self._reminders[id(case)]
        case._next_alarm = self._earliest_alarm(case)

    # ------------------------------------------------------------------ observers

    def _notify(self, case: Case, raw: RawEvent) -> None:
        event = _make(raw)
        for observer in self._observers:
            try:
                observer(case, event)
            except Exception as exc:
                error = ObserverError(
                    _owner(observer),
                    "register_observers",
                    f"observer raised {type(exc).__name__}: {exc} (event {event.seq} of case "
                    f"{event.case_id!r} is recorded all the same)",
                )
                error.case = case
                error.event = event
                raise error from exc


def _next_alarm(case: Case) -> datetime | None:
    earliest = None
    for state in case._deadlines.values():
        alarm = state.next_alarm
        if alarm is not None and (earliest is None or alarm < earliest):
            earliest = alarm
    return earliest


def _owner(function: object) -> str:
    module = getattr(function, "__module__", None) or "?"
    name = getattr(function, "__qualname__", None) or type(function).__name__
    return f"{module}.{name}"
