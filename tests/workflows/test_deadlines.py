"""Deadlines: due instants, warnings, pauses, working days, breach actions and the alarm queue."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    BreachAction,
    Case,
    Deadline,
    DeadlineState,
    DeadlineStatus,
    Engine,
    Event,
    EventKind,
    Level,
    ManualClock,
    Method,
    NaiveDatetimeError,
    ReplayError,
    Role,
    Step,
    Transition,
    TriggerNotAllowed,
    WeekendCalendar,
    compile_method,
    get_timezone,
)

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=DEFAULT_TZ)
FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=DEFAULT_TZ)
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
FAR = MONDAY + timedelta(days=400)
WORKER = Actor(id="worker-1", roles={"worker"})


# --------------------------------------------------------------------------- a small method


def _step(key: str, *, terminal: bool = False) -> Step:
    return Step(key=key, label_zh=f"步骤{key}", label_en=key, terminal=terminal)


def _transition(trigger: str, sources: tuple[str, ...], target: str, **extra: Any) -> Transition:
    extra.setdefault("roles", ("worker",))
    return Transition(
        trigger=trigger,
        sources=sources,
        target=target,
        label_zh=f"流转{trigger}",
        label_en=trigger,
        **extra,
    )


def job(**deadline: Any) -> Method:
    """Return a method whose one deadline ``limit`` runs in ``open`` unless told otherwise.

    ``limit`` starts on entering ``open``, stops on ``working`` (and any terminal step),
    pauses in ``waiting``, and lasts ten hours unless ``deadline`` says otherwise.
    """
    fields: dict[str, Any] = {
        "key": "limit",
        "label_zh": "时限",
        "label_en": "time limit",
        "start": ("open",),
        "stop": ("working",),
        "pause": ("waiting",),
    }
    fields.update(deadline)
    if "working_days" not in fields:
        fields.setdefault("duration", relativedelta(hours=10))
    system = ("worker", "system")
    definition: dict[str, Any] = {
        "key": "job",
        "label_zh": "工单",
        "label_en": "job",
        "initial": "open",
        "open_roles": ("worker",),
        "roles": (Role(key="worker", label_zh="网格员", label_en="grid worker"),),
        "escalation": tuple(
            Level(key=k, label_zh=zh, label_en=k)
            for k, zh in (("grid", "网格"), ("community", "社区"), ("subdistrict", "街道"))
        ),
        "steps": (
            _step("open"),
            _step("waiting"),
            _step("working"),
            _step("done", terminal=True),
            _step("dropped", terminal=True),
        ),
        "transitions": (
            _transition("work", ("open",), "working"),
            _transition("back", ("working",), "open"),
            _transition("wait", ("open",), "waiting"),
            _transition("resume", ("waiting",), "open"),
            _transition("poke", ("open",), "open"),
            _transition("finish", ("open", "working"), "done"),
            _transition("drop", ("open",), "dropped", roles=system),
            _transition("bump", ("open",), "open", roles=system, escalate=True),
        ),
        "deadlines": (Deadline(**fields),),
    }
    return Method(**definition)


def engine_for(method: Method, **options: Any) -> Engine:
    """Return an engine running ``method`` alone on a manual clock at Monday 09:00."""
    return Engine([compile_method(method)], clock=ManualClock(MONDAY), **options)


def limit(case: Case) -> DeadlineState:
    """Return the case's ``limit`` deadline."""
    return case.deadlines["limit"]


def kinds(events: list[Event] | Any) -> list[EventKind]:
    """Return the kinds of ``events``."""
    return [e.kind for e in events]


# --------------------------------------------------------------------------- the bound


def test_a_deadline_is_due_its_duration_after_it_starts() -> None:
    """Opening into a start step begins the deadline, due after its duration."""
    engine = engine_for(job())
    case = engine.open("job", actor=WORKER, at=MONDAY)
    state = limit(case)
    assert state.status is DeadlineStatus.RUNNING
    assert state.started_at == MONDAY
    assert state.due == MONDAY + 10 * HOUR
    assert state.warn_due is None
    assert case.next_alarm == MONDAY + 10 * HOUR
    assert engine.pending_alarms == 1


def test_a_deadline_is_not_breached_at_exactly_its_due_instant() -> None:
    """``tick(due)`` records nothing; ``tick(due + 1 s)`` records the breach at ``due``."""
    engine = engine_for(job())
    case = engine.open("job", actor=WORKER, at=MONDAY)
    due = MONDAY + 10 * HOUR
    assert engine.tick(due) == []
    assert limit(case).status is DeadlineStatus.RUNNING
    [breach] = engine.tick(due + SECOND)
    assert breach.kind is EventKind.BREACHED
    assert breach.at == due
    assert breach.actor == "system"
    assert breach.trigger == "limit"
    assert (breach.source, breach.target) == ("open", "open")
    assert breach.data == {"action": "notify"}
    assert case.events[-1] == breach
    assert limit(case).status is DeadlineStatus.BREACHED
    assert limit(case).ended_at == due
    assert case.next_alarm is None
    assert engine.tick(FAR) == []


def test_a_fire_at_exactly_due_meets_the_deadline() -> None:
    """A transition that stops the deadline at its due instant meets it: no breach."""
    engine = engine_for(job())
    case = engine.open("job", actor=WORKER, at=MONDAY)
    due = MONDAY + 10 * HOUR
    engine.fire(case, "work", WORKER, at=due)
    assert limit(case).status is DeadlineStatus.MET
    assert limit(case).ended_at == due
    assert kinds(case.events) == [EventKind.OPENED, EventKind.TRANSITION]
    assert engine.tick(FAR) == []
    assert len(case.events) == 2


def test_a_fire_after_due_records_the_breach_first() -> None:
    """``fire(at=...)`` past the due instant records the breach at ``due``, then the move."""
    engine = engine_for(job())
    case = engine.open("job", actor=WORKER, at=MONDAY)
    due = MONDAY + 10 * HOUR
    engine.fire(case, "work", WORKER, at=due + SECOND)
    event = case.events[-1]
    assert kinds(case.events) == [EventKind.OPENED, EventKind.BREACHED, EventKind.TRANSITION]
    assert case.events[1].at == due
    assert event.kind is EventKind.TRANSITION
    assert event.seq == 3
    assert limit(case).status is DeadlineStatus.BREACHED
    assert engine.tick(FAR) == []


def test_a_refused_fire_after_due_still_records_the_breach() -> None:
    """Alarms due before ``at`` are facts of the past: a refusal records them as tick would."""
    engine = engine_for(job())
    case = engine.open("job", actor=WORKER, at=MONDAY)
    with pytest.raises(TriggerNotAllowed):
        engine.fire(case, "back", WORKER, at=MONDAY + 11 * HOUR)
    assert kinds(case.events) == [EventKind.OPENED, EventKind.BREACHED]
    assert engine.tick(FAR) == []


def test_tick_without_an_instant_reads_the_clock() -> None:
    """``tick()`` handles what fell due before the clock's current instant."""
    clock = ManualClock(MONDAY)
    engine = Engine([compile_method(job())], clock=clock)
    engine.open("job", actor=WORKER, at=MONDAY)
    clock.advance(10 * HOUR)
    assert engine.tick() == []
    clock.advance(SECOND)
    assert kinds(engine.tick()) == [EventKind.BREACHED]


def test_tick_refuses_a_naive_instant() -> None:
    """``tick`` needs a timezone-aware instant."""
    engine = engine_for(job())
    with pytest.raises(NaiveDatetimeError):
        engine.tick(datetime(2026, 11, 24, 9, 0))  # noqa: DTZ001


def test_a_tick_accepts_an_instant_in_any_zone() -> None:
    """Instants compare as instants, whatever zone they are written in."""
    engine = engine_for(job())
    engine.open("job", actor=WORKER, at=MONDAY)
    due_utc = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    assert engine.tick(due_utc) == []
    [breach] = engine.tick(due_utc + SECOND)
    assert breach.at == MONDAY + 10 * HOUR


# --------------------------------------------------------------------------- warnings


def test_a_warning_is_recorded_at_its_fraction_before_the_breach() -> None:
    """With ``warn_at = 0.8`` a ten-hour deadline warns at eight hours, then breaches."""
    engine = engine_for(job(warn_at=0.8))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    assert limit(case).warn_due == MONDAY + 8 * HOUR
    assert case.next_alarm == MONDAY + 8 * HOUR
    assert engine.tick(MONDAY + 8 * HOUR) == []
    [warning] = engine.tick(MONDAY + 9 * HOUR)
    assert warning.kind is EventKind.WARNED
    assert warning.at == MONDAY + 8 * HOUR
    assert warning.data is None
    assert limit(case).warned
    assert case.next_alarm == MONDAY + 10 * HOUR
    [breach] = engine.tick(MONDAY + 11 * HOUR)
    assert breach.kind is EventKind.BREACHED
    assert breach.at == MONDAY + 10 * HOUR


def test_one_tick_records_the_warning_and_the_breach_in_order() -> None:
    """A late tick records the warning, then the breach, each at its own instant."""
    engine = engine_for(job(warn_at=0.8))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    events = engine.tick(FAR)
    assert [(e.kind, e.at) for e in events] == [
        (EventKind.WARNED, MONDAY + 8 * HOUR),
        (EventKind.BREACHED, MONDAY + 10 * HOUR),
    ]
    assert [e.seq for e in case.events] == [1, 2, 3]


def test_a_deadline_met_before_its_warning_never_warns() -> None:
    """Stopping before the warning point records neither warning nor breach."""
    engine = engine_for(job(warn_at=0.8))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    engine.fire(case, "finish", WORKER, at=MONDAY + 7 * HOUR)
    assert engine.tick(FAR) == []
    assert limit(case).status is DeadlineStatus.MET
    assert not limit(case).warned


def test_a_terminal_step_stops_every_deadline() -> None:
    """Entering a terminal step that is not among ``stop`` still meets the deadline."""
    engine = engine_for(job())
    case = engine.open("job", actor=WORKER, at=MONDAY)
    engine.fire(case, "drop", WORKER, at=MONDAY + HOUR)
    assert limit(case).status is DeadlineStatus.MET
    assert case.next_alarm is None


# --------------------------------------------------------------------------- pauses


def test_a_pause_stops_the_clock_and_keeps_the_time_left() -> None:
    """Paused, a deadline has no due instant; resumed, it is due later by the paused span."""
    engine = engine_for(job(warn_at=0.5))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    engine.fire(case, "wait", WORKER, at=MONDAY + 2 * HOUR)
    state = limit(case)
    assert state.status is DeadlineStatus.PAUSED
    assert state.due is None
    assert state.remaining == 8 * HOUR
    assert state.warn_remaining == 3 * HOUR
    assert case.next_alarm is None
    assert engine.tick(MONDAY + timedelta(days=3)) == []
    resumed = MONDAY + timedelta(days=3, hours=4)
    engine.fire(case, "resume", WORKER, at=resumed)
    paused_span = resumed - (MONDAY + 2 * HOUR)
    state = limit(case)  # the same object, read afresh after the change
    assert state.status is DeadlineStatus.RUNNING
    assert state.due == MONDAY + 10 * HOUR + paused_span
    assert state.warn_due == MONDAY + 5 * HOUR + paused_span
    assert state.remaining is None
    assert [(e.kind, e.at) for e in engine.tick(FAR)] == [
        (EventKind.WARNED, resumed + 3 * HOUR),
        (EventKind.BREACHED, resumed + 8 * HOUR),
    ]


def test_a_warning_is_not_repeated_after_a_pause() -> None:
    """A deadline that already warned pauses and resumes without warning again."""
    engine = engine_for(job(warn_at=0.5))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    engine.fire(case, "wait", WORKER, at=MONDAY + 6 * HOUR)
    assert kinds(case.events).count(EventKind.WARNED) == 1
    assert limit(case).warn_remaining is None
    engine.fire(case, "resume", WORKER, at=MONDAY + 20 * HOUR)
    assert limit(case).due == MONDAY + 24 * HOUR
    assert kinds(engine.tick(FAR)) == [EventKind.BREACHED]


def test_a_paused_deadline_is_met_when_the_case_stops() -> None:
    """A deadline stopped while paused is met."""
    engine = engine_for(job(pause=("waiting",), stop=("working", "done")))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    engine.fire(case, "wait", WORKER, at=MONDAY + HOUR)
    engine.fire(case, "resume", WORKER, at=MONDAY + timedelta(days=5))
    engine.fire(case, "finish", WORKER, at=MONDAY + timedelta(days=5, hours=1))
    assert limit(case).status is DeadlineStatus.MET
    assert engine.tick(FAR) == []


def test_a_self_loop_on_a_start_step_does_not_restart_a_running_deadline() -> None:
    """Re-entering a start step while the deadline runs leaves it running as it was."""
    engine = engine_for(job())
    case = engine.open("job", actor=WORKER, at=MONDAY)
    engine.fire(case, "poke", WORKER, at=MONDAY + 5 * HOUR)
    assert limit(case).started_at == MONDAY
    assert limit(case).due == MONDAY + 10 * HOUR


def test_a_deadline_restarts_after_a_cycle() -> None:
    """Re-entering a start step after the deadline stopped begins it afresh."""
    engine = engine_for(job())
    case = engine.open("job", actor=WORKER, at=MONDAY)
    engine.fire(case, "work", WORKER, at=MONDAY + HOUR)
    first = limit(case)
    assert first.status is DeadlineStatus.MET
    engine.fire(case, "back", WORKER, at=MONDAY + 3 * HOUR)
    second = limit(case)
    assert second is not first
    assert second.status is DeadlineStatus.RUNNING
    assert second.started_at == MONDAY + 3 * HOUR
    assert second.due == MONDAY + 13 * HOUR
    [breach] = engine.tick(FAR)
    assert breach.at == MONDAY + 13 * HOUR


def test_a_breached_deadline_restarts_on_re_entering_its_start_step() -> None:
    """After a breach, entering a start step again begins a new deadline."""
    engine = engine_for(job())
    case = engine.open("job", actor=WORKER, at=MONDAY)
    engine.tick(MONDAY + 11 * HOUR)
    engine.fire(case, "poke", WORKER, at=MONDAY + 12 * HOUR)
    assert limit(case).status is DeadlineStatus.RUNNING
    assert limit(case).due == MONDAY + 22 * HOUR


# --------------------------------------------------------------------------- working days


def test_working_days_skip_the_weekend() -> None:
    """Two working days from Friday 10:00 end on Tuesday 10:00 on the weekend calendar."""
    engine = engine_for(job(working_days=2, warn_at=0.8), calendar=WeekendCalendar())
    case = engine.open("job", actor=WORKER, at=FRIDAY)
    state = limit(case)
    assert state.due == datetime(2026, 12, 1, 10, 0, tzinfo=DEFAULT_TZ)
    # 80% of 48 working hours is 38h24m: 14h on Friday, 24h on Monday, 24 minutes on Tuesday.
    assert state.warn_due == datetime(2026, 12, 1, 0, 24, tzinfo=DEFAULT_TZ)
    assert [(e.kind, e.at) for e in engine.tick(FAR)] == [
        (EventKind.WARNED, state.warn_due),
        (EventKind.BREACHED, datetime(2026, 12, 1, 10, 0, tzinfo=DEFAULT_TZ)),
    ]


def test_the_default_calendar_is_the_weekend_calendar() -> None:
    """Without a calendar, an engine counts Monday to Friday as working days."""
    engine = engine_for(job(working_days=2))
    assert isinstance(engine.calendar, WeekendCalendar)
    case = engine.open("job", actor=WORKER, at=FRIDAY)
    assert limit(case).due == datetime(2026, 12, 1, 10, 0, tzinfo=DEFAULT_TZ)


def test_a_working_day_deadline_paused_over_the_weekend_loses_only_working_time() -> None:
    """Paused Friday 16:00 and resumed Monday 09:00, the due instant moves by 17 working hours."""
    engine = engine_for(job(working_days=2))
    case = engine.open("job", actor=WORKER, at=THURSDAY)
    assert limit(case).due == datetime(2026, 11, 30, 10, 0, tzinfo=DEFAULT_TZ)
    engine.fire(case, "wait", WORKER, at=datetime(2026, 11, 27, 16, 0, tzinfo=DEFAULT_TZ))
    assert limit(case).remaining == timedelta(hours=18)  # 8 h on Friday, 10 h on Monday
    engine.fire(case, "resume", WORKER, at=datetime(2026, 11, 30, 9, 0, tzinfo=DEFAULT_TZ))
    assert limit(case).due == datetime(2026, 12, 1, 3, 0, tzinfo=DEFAULT_TZ)


def test_a_pause_within_the_weekend_does_not_move_a_working_day_deadline() -> None:
    """No working time passes between Saturday and Sunday, so the due instant stays."""
    engine = engine_for(job(working_days=2))
    case = engine.open("job", actor=WORKER, at=FRIDAY)
    due = limit(case).due
    engine.fire(case, "wait", WORKER, at=datetime(2026, 11, 28, 12, 0, tzinfo=DEFAULT_TZ))
    assert limit(case).remaining == timedelta(hours=34)
    engine.fire(case, "resume", WORKER, at=datetime(2026, 11, 29, 12, 0, tzinfo=DEFAULT_TZ))
    assert limit(case).due == due


def test_a_working_day_deadline_started_at_the_weekend_counts_from_monday() -> None:
    """Started on Saturday, one working day ends at the end of Monday."""
    engine = engine_for(job(working_days=1))
    case = engine.open("job", actor=WORKER, at=datetime(2026, 11, 28, 10, 0, tzinfo=DEFAULT_TZ))
    assert limit(case).due == datetime(2026, 12, 1, 0, 0, tzinfo=DEFAULT_TZ)


def test_a_month_long_deadline_is_calendar_arithmetic() -> None:
    """``duration = {months = 1}`` is due on the same day of the next month."""
    engine = engine_for(job(duration=relativedelta(months=1), warn_at=0.8))
    jan31 = datetime(2027, 1, 31, 9, 0, tzinfo=DEFAULT_TZ)
    case = engine.open("job", actor=WORKER, at=jan31)
    assert limit(case).due == datetime(2027, 2, 28, 9, 0, tzinfo=DEFAULT_TZ)
    assert limit(case).warn_due == jan31 + timedelta(days=28) * 0.8


def test_the_warning_instant_does_not_depend_on_how_the_start_is_written() -> None:
    """The same instant written in Berlin time or in UTC gives the same due and warning."""
    berlin = get_timezone("Europe/Berlin")
    start = datetime(2026, 3, 29, 0, 30, tzinfo=berlin)  # clocks go forward at 02:00
    engine = engine_for(job(duration=relativedelta(hours=5), warn_at=0.5), tz=berlin)
    local = engine.open("job", actor=WORKER, at=start)
    utc = engine.open("job", actor=WORKER, at=start.astimezone(UTC))
    assert limit(local).due == limit(utc).due
    assert limit(local).warn_due == limit(utc).warn_due


# --------------------------------------------------------------------------- breach actions


def test_an_escalating_breach_moves_the_case_one_rung_up() -> None:
    """On breach 'escalate' the case climbs a rung, recorded in the breach event's level."""
    engine = engine_for(job(on_breach=BreachAction.ESCALATE))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    assert case.level == "grid"
    [breach] = engine.tick(FAR)
    assert breach.level == "community"
    assert breach.data == {"action": "escalate", "escalated": True}
    assert case.level == "community"
    assert case == engine.replay(case.events, track=False)


def test_an_escalating_breach_stops_at_the_top_rung() -> None:
    """Each restart and breach climbs a rung; on the top rung the breach records no climb."""
    engine = engine_for(job(on_breach=BreachAction.ESCALATE))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    levels = []
    escalated = []
    at = MONDAY
    for _ in range(4):
        [breach] = engine.tick(at + 11 * HOUR)
        levels.append(breach.level)
        escalated.append(breach.data["escalated"] if breach.data else None)
        at += 12 * HOUR
        engine.fire(case, "poke", WORKER, at=at)  # restarts the breached deadline
    assert levels == ["community", "subdistrict", "subdistrict", "subdistrict"]
    assert escalated == [True, True, False, False]
    assert case.level == "subdistrict"


def test_a_case_opened_on_the_top_rung_breaches_without_climbing() -> None:
    """A breach on the top rung records ``escalated: False`` and keeps the level."""
    engine = engine_for(job(on_breach=BreachAction.ESCALATE))
    case = engine.open("job", actor=WORKER, at=MONDAY, level="subdistrict")
    [breach] = engine.tick(FAR)
    assert breach.data == {"action": "escalate", "escalated": False}
    assert case.level == breach.level == "subdistrict"


def test_a_firing_breach_makes_the_system_fire_the_breach_trigger() -> None:
    """On breach 'fire' the system actor fires the breach trigger at the due instant."""
    engine = engine_for(job(on_breach=BreachAction.FIRE, breach_trigger="drop"))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    breach, fired = engine.tick(FAR)
    due = MONDAY + 10 * HOUR
    assert breach.kind is EventKind.BREACHED
    assert breach.data is not None
    assert breach.data["action"] == "fire"
    assert fired.kind is EventKind.TRANSITION
    assert fired.actor == "system"
    assert fired.trigger == "drop"
    assert fired.at == due
    assert fired.data == {"deadline": "limit"}
    assert case.step == "dropped"
    assert case.is_closed
    assert case.events[-2:] == [breach, fired]
    assert case == engine.replay(case.events, track=False)


def test_a_firing_breach_happens_before_a_late_fire() -> None:
    """A fire after the due instant finds the case where the system's fire put it."""
    engine = engine_for(job(on_breach=BreachAction.FIRE, breach_trigger="drop"))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    with pytest.raises(TriggerNotAllowed) as caught:
        engine.fire(case, "finish", WORKER, at=MONDAY + 12 * HOUR)
    assert caught.value.step == "dropped"
    assert caught.value.allowed == ()
    assert [(e.kind, e.actor) for e in case.events] == [
        (EventKind.OPENED, "worker-1"),
        (EventKind.BREACHED, "system"),
        (EventKind.TRANSITION, "system"),
    ]


def test_a_firing_breach_that_escalates_climbs_until_the_top_rung() -> None:
    """A breach trigger that escalates climbs each time; on the top rung the breach stands alone."""
    engine = engine_for(job(on_breach=BreachAction.FIRE, breach_trigger="bump"))
    case = engine.open("job", actor=WORKER, at=MONDAY)
    events = engine.tick(FAR)
    assert [(e.kind, e.at, e.level) for e in events] == [
        (EventKind.BREACHED, MONDAY + 10 * HOUR, "grid"),
        (EventKind.TRANSITION, MONDAY + 10 * HOUR, "community"),
        (EventKind.BREACHED, MONDAY + 20 * HOUR, "community"),
        (EventKind.TRANSITION, MONDAY + 20 * HOUR, "subdistrict"),
        (EventKind.BREACHED, MONDAY + 30 * HOUR, "subdistrict"),
    ]
    assert limit(case).status is DeadlineStatus.BREACHED
    assert case == engine.replay(case.events, track=False)


# --------------------------------------------------------------------------- the queue


def test_breaches_fire_in_due_order_across_thousands_of_cases() -> None:
    """5,000 cases opened at random times: one tick records one breach each, in due order."""
    engine = engine_for(job(duration=relativedelta(hours=1)))
    rng = random.Random(2026)  # noqa: S311 - reproducible test data, not cryptography
    cases = [
        engine.open("job", actor=WORKER, at=MONDAY + timedelta(minutes=rng.randrange(7 * 24 * 60)))
        for _ in range(5_000)
    ]
    events = engine.tick(FAR)
    assert all(e.kind is EventKind.BREACHED for e in events)
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert Counter(e.case_id for e in events) == Counter({c.id: 1 for c in cases})
    assert all(c.events[-1].at == c.opened_at + HOUR for c in cases)
    assert engine.pending_alarms == 0


def test_warnings_and_breaches_of_many_cases_come_in_time_order() -> None:
    """Interleaved warnings and breaches of many cases are returned sorted by instant."""
    engine = engine_for(job(warn_at=0.5))
    rng = random.Random(7)  # noqa: S311 - reproducible test data, not cryptography
    for _ in range(500):
        engine.open("job", actor=WORKER, at=MONDAY + timedelta(minutes=rng.randrange(3000)))
    events = engine.tick(FAR)
    assert len(events) == 1_000
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_a_tick_with_nothing_due_touches_nothing() -> None:
    """A tick before any alarm records nothing and leaves the queue as it was."""
    engine = engine_for(job())
    for i in range(100):
        engine.open("job", actor=WORKER, at=MONDAY + i * SECOND)
    assert engine.tick(MONDAY + 9 * HOUR) == []
    assert engine.pending_alarms == 100


def test_the_queue_stays_bounded_when_cases_close() -> None:
    """Stale entries of closed cases are compacted away: the queue does not grow with churn."""
    engine = engine_for(job())
    cases = [engine.open("job", actor=WORKER, at=MONDAY) for _ in range(5_000)]
    for case in cases[100:]:
        engine.fire(case, "finish", WORKER, at=MONDAY + HOUR)
    # Entries of closed cases are stale but may wait in the queue until compaction.
    assert engine.pending_alarms >= 100
    peak_after_compaction = 0
    compacted = False
    for _ in range(10_000):
        case = engine.open("job", actor=WORKER, at=MONDAY + HOUR)
        engine.fire(case, "finish", WORKER, at=MONDAY + HOUR)
        if engine.pending_alarms < 1_000:
            compacted = True
        if compacted:
            peak_after_compaction = max(peak_after_compaction, engine.pending_alarms)
    assert compacted
    # Once compacted to the ~100 live entries, the queue stays within the compaction threshold
    # (twice the live entries, and at least 1024) plus the push that triggers it.
    assert peak_after_compaction <= 1_025
    events = engine.tick(FAR)
    assert sorted(e.case_id for e in events) == sorted(c.id for c in cases[:100])
    assert engine.pending_alarms == 0


# --------------------------------------------------------------------------- replay


def test_a_replayed_case_keeps_its_running_deadlines() -> None:
    """Replay gives the same deadlines, and in a fresh engine the same alarms at the same times."""
    method = job(warn_at=0.5)
    live = engine_for(method)
    case = live.open("job", actor=WORKER, at=MONDAY)
    live.fire(case, "wait", WORKER, at=MONDAY + HOUR)
    live.fire(case, "resume", WORKER, at=MONDAY + 3 * HOUR)
    history = list(case.events)
    fresh = engine_for(method)
    rebuilt = fresh.replay(history)
    assert rebuilt == case
    assert rebuilt.deadlines == case.deadlines
    assert rebuilt.next_alarm == case.next_alarm == MONDAY + 7 * HOUR
    assert fresh.pending_alarms == 1
    expected = [(e.kind, e.at, e.trigger) for e in live.tick(FAR)]
    assert [(e.kind, e.at, e.trigger) for e in fresh.tick(FAR)] == expected
    assert expected == [
        (EventKind.WARNED, MONDAY + 7 * HOUR, "limit"),
        (EventKind.BREACHED, MONDAY + 12 * HOUR, "limit"),
    ]
    assert rebuilt == case


def test_a_replayed_paused_deadline_resumes_with_the_same_time_left() -> None:
    """A case rebuilt while paused resumes to the same due instant as the original."""
    method = job(working_days=2)
    live = engine_for(method)
    case = live.open("job", actor=WORKER, at=THURSDAY)
    live.fire(case, "wait", WORKER, at=FRIDAY)
    fresh = engine_for(method)
    rebuilt = fresh.replay(case.events)
    assert limit(rebuilt).status is DeadlineStatus.PAUSED
    assert limit(rebuilt).remaining == limit(case).remaining
    assert fresh.pending_alarms == 0
    resume = datetime(2026, 11, 30, 9, 0, tzinfo=DEFAULT_TZ)
    live.fire(case, "resume", WORKER, at=resume)
    fresh.fire(rebuilt, "resume", WORKER, at=resume)
    assert rebuilt == case
    assert limit(rebuilt).due == limit(case).due


def test_replay_with_tracking_queues_alarms_in_a_new_engine() -> None:
    """Only a tracked replay joins the fresh engine's alarm queue."""
    method = job()
    live = engine_for(method)
    case = live.open("job", actor=WORKER, at=MONDAY)
    untracked = engine_for(method)
    untracked.replay(case.events, track=False)
    assert untracked.tick(FAR) == []
    tracked = engine_for(method)
    tracked.replay(case.events)
    assert kinds(tracked.tick(FAR)) == [EventKind.BREACHED]


def test_a_history_does_not_replay_under_a_different_time_limit() -> None:
    """Alarms recorded under a ten-hour limit do not fit a nine-hour one: ReplayError."""
    live = engine_for(job(warn_at=0.5))
    case = live.open("job", actor=WORKER, at=MONDAY)
    live.tick(FAR)
    other = engine_for(job(warn_at=0.5, duration=relativedelta(hours=9)))
    with pytest.raises(ReplayError, match="has no alarm due at"):
        other.replay(case.events, track=False)
