"""Reminders (I13): dates a case reminds of, raised by ``tick``, replayed exactly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, WEEKLY, rrule, rruleset
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    BreachAction,
    Case,
    Deadline,
    Engine,
    Event,
    EventKind,
    InvalidData,
    Level,
    ManualClock,
    Method,
    NaiveDatetimeError,
    OutOfOrder,
    ReplayError,
    Role,
    Step,
    Transition,
    WorkflowError,
    compile_method,
    get_timezone,
)
from civicgrid.workflows.reminders import (
    DuplicateReminder,
    Reminder,
    ReminderRefused,
    UnknownReminder,
)

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
WEEK = timedelta(weeks=1)
FAR = MONDAY + timedelta(days=400)
CHINESE = re.compile(r"[\u4e00-\u9fff]")
WORKER = Actor(id="worker-1", roles={"worker"})


def _step(key: str, *, terminal: bool = False) -> Step:
    return Step(key=key, label_zh=f"步骤{key}", label_en=key, terminal=terminal)


def _transition(trigger: str, source: str, target: str) -> Transition:
    return Transition(
        trigger=trigger,
        sources=(source,),
        target=target,
        label_zh=f"流转{trigger}",
        label_en=trigger,
        roles=("worker",),
    )


TENANCY = Method(
    key="tenancy",
    label_zh="出租房屋管理",
    label_en="rental housing",
    initial="new",
    open_roles=("worker",),
    escalation=(
        Level(key="grid", label_zh="网格", label_en="grid"),
        Level(key="community", label_zh="社区", label_en="community"),
    ),
    roles=(Role(key="worker", label_zh="网格员", label_en="grid worker"),),
    steps=(_step("new"), _step("working"), _step("done", terminal=True)),
    transitions=(
        _transition("start", "new", "working"),
        _transition("close", "working", "done"),
        _transition("drop", "new", "done"),
    ),
    deadlines=(
        Deadline(
            key="handle",
            label_zh="八小时内处理",
            label_en="handled within eight hours",
            start=("working",),
            stop=("done",),
            duration=relativedelta(hours=8),
            on_breach=BreachAction.ESCALATE,
        ),
    ),
)


def make_engine(**extra: Any) -> Engine:
    """Return an engine running the tenancy method on a manual clock at Monday 09:00."""
    return Engine([compile_method(TENANCY, {})], clock=ManualClock(MONDAY), **extra)


@pytest.fixture
def engine() -> Engine:
    """An engine running the tenancy method."""
    return make_engine()


def weekly_visits(**extra: Any) -> Reminder:
    """Return a follow-up visit every Tuesday at 10:00 from 24 November 2026."""
    start = datetime(2026, 11, 24, 10, 0, tzinfo=DEFAULT_TZ)
    return Reminder(
        key="visit",
        label_zh="每周回访",
        label_en="weekly follow-up visit",
        schedule=rrule(WEEKLY, dtstart=start),
        **extra,
    )


def lease_end(**extra: Any) -> Reminder:
    """Return the rental system's reminder 30 days before a lease ends on 31 January 2027."""
    return Reminder.before(
        date(2027, 1, 31),
        relativedelta(days=30),
        key="lease_end",
        label_zh="租约到期提醒",
        label_en="lease ends",
        notify_role="property_company",
        data={"lease": "L-2026-0042"},
        **extra,
    )


def reminded(case: Case) -> list[tuple[str | None, datetime]]:
    """Return the (reminder key, instant) of each reminder raised on ``case``."""
    return [(e.trigger, e.at) for e in case.events if e.kind is EventKind.REMINDED]


@contextmanager
def unchanged(engine: Engine, case: Case) -> Iterator[None]:
    """Check that what runs inside leaves the case, its reminders and the queue as they were."""
    events, reminders = list(case.events), dict(engine.reminders(case))
    alarm, pending = case.next_alarm, engine.pending_alarms
    yield
    assert list(case.events) == events
    assert dict(engine.reminders(case)) == reminders
    assert (case.next_alarm, engine.pending_alarms) == (alarm, pending)


# --------------------------------------------------------------------------- schedules


def test_weekly_visits_over_two_months_fall_on_each_tuesday(engine: Engine) -> None:
    """A weekly rule with ``until`` two months on raises exactly its nine Tuesdays, in order."""
    case = engine.open("tenancy", actor=WORKER, at=MONDAY, assignee="grid-7")
    engine.remind(case, weekly_visits(until=MONDAY + relativedelta(months=2)), at=MONDAY)
    raised = engine.tick(FAR)
    first = datetime(2026, 11, 24, 10, 0, tzinfo=DEFAULT_TZ)
    assert [e.at for e in raised] == [first + n * WEEK for n in range(9)]
    assert raised[-1].at == datetime(2027, 1, 19, 10, 0, tzinfo=DEFAULT_TZ)
    assert [e.data["occurrence"] for e in raised if e.data] == list(range(1, 10))
    assert {(e.kind, e.trigger, e.actor) for e in raised} == {
        (EventKind.REMINDED, "visit", "system")
    }
    assert raised[0].data == {
        "occurrence": 1,
        "notify": "assignee",
        "to": "grid-7",
        "label_zh": "每周回访",
        "label_en": "weekly follow-up visit",
        "data": {},
    }
    assert engine.reminders(case) == {}
    assert case.next_alarm is None


def test_a_lease_reminds_thirty_days_before_it_ends_at_nine(engine: Engine) -> None:
    """The lease reminder is due on 1 January at 09:00 and is raised only once that has passed."""
    reminder = lease_end()
    assert reminder.rule == "DTSTART;TZID=Asia/Shanghai:20270101T090000\nRRULE:FREQ=DAILY;COUNT=1"
    case = engine.open("tenancy", actor=WORKER, at=MONDAY)
    engine.remind(case, reminder, at=MONDAY)
    due = datetime(2027, 1, 1, 9, 0, tzinfo=DEFAULT_TZ)
    assert engine.reminders(case)["lease_end"].next_alarm == due
    assert engine.tick(due) == []
    [event] = engine.tick(due + SECOND)
    assert (event.kind, event.at, event.seq) == (EventKind.REMINDED, due, 3)
    assert event.data is not None
    assert (event.data["notify"], event.data["to"]) == ("role", "property_company")
    assert event.data["data"] == {"lease": "L-2026-0042"}
    assert engine.tick(FAR) == []


def test_the_count_and_occurrences_before_setting_are_not_raised(engine: Engine) -> None:
    """Occurrences before the reminder is set are skipped; ``count`` counts those raised."""
    case = engine.open("tenancy", actor=WORKER, at=MONDAY + 3 * WEEK)
    engine.remind(case, weekly_visits(count=2), at=MONDAY + 3 * WEEK)
    engine.tick(FAR)
    first = datetime(2026, 12, 15, 10, 0, tzinfo=DEFAULT_TZ)
    assert reminded(case) == [("visit", first), ("visit", first + WEEK)]


def test_a_rule_set_with_extra_and_excluded_dates_round_trips(engine: Engine) -> None:
    """An rruleset's RDATE and EXDATE are recorded in UTC and raised as the set says."""
    start = datetime(2026, 11, 24, 10, 0, tzinfo=DEFAULT_TZ)
    visits = rruleset()
    visits.rrule(rrule(DAILY, dtstart=start, count=3))
    visits.exdate(start + timedelta(days=1))
    visits.rdate(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    reminder = Reminder(key="checks", label_zh="巡查", label_en="checks", schedule=visits)
    assert reminder.rule.splitlines()[-2:] == ["RDATE:20261201T020000Z", "EXDATE:20261125T020000Z"]
    case = engine.open("tenancy", actor=WORKER, at=MONDAY)
    engine.remind(case, reminder, at=MONDAY)
    engine.tick(FAR)
    assert [at for _, at in reminded(case)] == [
        start,
        start + timedelta(days=2),
        datetime(2026, 12, 1, 10, 0, tzinfo=DEFAULT_TZ),
    ]
    assert Reminder.from_data("checks", reminder.to_data()) == reminder


def test_a_reminder_is_written_as_rfc_5545_and_read_back() -> None:
    """The recorded form is canonical: text, rule and instant forms of one schedule are equal."""
    reminder = weekly_visits(until=MONDAY + relativedelta(months=2), count=5)
    assert reminder.rule == "DTSTART;TZID=Asia/Shanghai:20261124T100000\nRRULE:FREQ=WEEKLY"
    from_text = Reminder(
        key="visit",
        label_zh="每周回访",
        label_en="weekly follow-up visit",
        schedule="dtstart;TZID=Asia/Shanghai:20261124T100000\nrrule:freq=weekly",
        until=MONDAY + relativedelta(months=2),
        count=5,
    )
    assert from_text == reminder
    assert Reminder.from_data("visit", reminder.to_data()) == reminder
    ended = rrule(WEEKLY, dtstart=MONDAY, until=MONDAY + 2 * WEEK)
    text = Reminder(key="k", label_zh="提醒", label_en="k", schedule=ended).rule
    assert text.endswith("RRULE:FREQ=WEEKLY;UNTIL=20261207T010000Z")
    plus_eight = datetime(2027, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    instant = Reminder(key="k", label_zh="提醒", label_en="k", schedule=plus_eight)
    assert instant.rule.startswith("DTSTART;TZID=UTC:20270101T010000")


def test_occurrences_keep_their_wall_clock_time_across_daylight_saving() -> None:
    """Weekly at 09:00 New York time stays 09:00 local when the clocks go forward."""
    new_york = get_timezone("America/New_York")
    start = datetime(2026, 3, 2, 9, 0, tzinfo=new_york)
    engine = Engine([compile_method(TENANCY, {})], clock=ManualClock(start), tz=new_york)
    case = engine.open("tenancy", actor=WORKER, at=start)
    schedule = rrule(WEEKLY, dtstart=start, count=3)
    engine.remind(case, Reminder(key="visit", label_zh="回访", label_en="visit", schedule=schedule))
    engine.tick(FAR)
    times = [at for _, at in reminded(case)]
    assert [t.astimezone(new_york).time() for t in times] == [time(9, 0)] * 3
    assert times[1].astimezone(UTC) - times[0].astimezone(UTC) == WEEK - HOUR  # DST: 8 March
    assert times[2].astimezone(UTC) - times[1].astimezone(UTC) == WEEK


# --------------------------------------------------------------------------- stopping


def test_closing_the_case_stops_its_reminders(engine: Engine) -> None:
    """No reminder is raised after the case closes, and none can be set on it."""
    case = engine.open("tenancy", actor=WORKER, at=MONDAY)
    engine.remind(case, weekly_visits(), at=MONDAY)
    engine.tick(MONDAY + 2 * WEEK)
    engine.fire(case, "drop", WORKER, at=MONDAY + 2 * WEEK)
    assert engine.reminders(case) == {}
    assert engine.tick(FAR) == []
    assert len(reminded(case)) == 2
    assert case.events[-1].kind is EventKind.TRANSITION
    with unchanged(engine, case), pytest.raises(ReminderRefused, match="closed") as caught:
        engine.remind(case, lease_end(), at=MONDAY + 3 * WEEK)
    assert (caught.value.case_id, caught.value.key) == (case.id, "lease_end")
    assert CHINESE.search(str(caught.value))
    assert engine.pending_alarms == 0


def test_closing_with_a_running_deadline_forgets_the_reminders_at_once(engine: Engine) -> None:
    """Where the closing transition stops a deadline, the case's next alarm is cleared too."""
    case = engine.open("tenancy", actor=WORKER, at=MONDAY)
    engine.remind(case, weekly_visits(), at=MONDAY)
    engine.fire(case, "start", WORKER, at=MONDAY)
    engine.fire(case, "close", WORKER, at=MONDAY + HOUR)
    assert case.next_alarm is None
    assert engine.tick(FAR) == []


def test_cancelling_records_an_event_and_stops_the_reminder(engine: Engine) -> None:
    """A cancel is recorded with its reason; the key may then be set again."""
    case = engine.open("tenancy", actor=WORKER, at=MONDAY)
    engine.remind(case, weekly_visits(), at=MONDAY, actor=WORKER)
    engine.tick(MONDAY + WEEK)
    engine.cancel_reminder(case, "visit", actor=WORKER, at=MONDAY + WEEK, data={"reason": "搬离"})
    event = case.events[-1]
    assert (event.kind, event.trigger, event.actor) == (
        EventKind.REMINDER_CANCELLED,
        "visit",
        "worker-1",
    )
    assert event.data == {"reason": "搬离"}
    assert engine.tick(FAR - WEEK) == []
    assert reminded(case) == [("visit", datetime(2026, 11, 24, 10, 0, tzinfo=DEFAULT_TZ))]
    engine.remind(case, weekly_visits(count=1), at=FAR - WEEK)
    assert len(engine.tick(FAR)) == 1


def test_cancelling_a_key_that_is_not_running_is_refused(engine: Engine) -> None:
    """An unknown or ended key raises UnknownReminder naming what runs, and changes nothing."""
    case = engine.open("tenancy", actor=WORKER, at=MONDAY)
    engine.remind(case, lease_end(), at=MONDAY)
    with unchanged(engine, case), pytest.raises(UnknownReminder) as caught:
        engine.cancel_reminder(case, "visit", at=MONDAY + HOUR)
    assert caught.value.running == ("lease_end",)
    assert isinstance(caught.value, LookupError)
    assert isinstance(caught.value, WorkflowError)
    assert CHINESE.search(str(caught.value))


# --------------------------------------------------------------------------- order


@pytest.mark.parametrize("reminder_first", [True, False])
def test_a_breach_at_the_same_instant_is_recorded_before_the_reminder(
    reminder_first: bool,
) -> None:
    """At one instant the breach comes first, so the reminder sees the escalated case."""
    engine = make_engine()
    due = MONDAY + 8 * HOUR
    case = engine.open("tenancy", actor=WORKER, at=MONDAY)
    at_due = Reminder(key="call", label_zh="电话回访", label_en="call back", schedule=due)
    if reminder_first:
        engine.remind(case, at_due, at=MONDAY)
        engine.fire(case, "start", WORKER, at=MONDAY)
    else:
        engine.fire(case, "start", WORKER, at=MONDAY)
        engine.remind(case, at_due, at=MONDAY)
    raised = engine.tick(due + SECOND)
    assert [(e.kind, e.at, e.level) for e in raised] == [
        (EventKind.BREACHED, due, "community"),
        (EventKind.REMINDED, due, "community"),
    ]
    *before, breach, reminder = case.events
    swapped = [*before, reminder._replace(seq=breach.seq), breach._replace(seq=reminder.seq)]
    with pytest.raises(ReplayError, match="deadline alarm due"):
        engine.replay(swapped)


def test_reminders_due_together_are_recorded_in_key_order(engine: Engine) -> None:
    """Two reminders of one case at one instant are recorded by key, whatever the set order."""
    case = engine.open("tenancy", actor=WORKER, at=MONDAY)
    for key in ("b_second", "a_first"):
        engine.remind(
            case, Reminder(key=key, label_zh="提醒", label_en=key, schedule=MONDAY + HOUR)
        )
    assert [e.trigger for e in engine.tick(FAR)] == ["a_first", "b_second"]


def test_firing_records_the_reminders_that_fell_due_before_it(engine: Engine) -> None:
    """A transition after a reminder's instant finds it recorded first, as a tick would have."""
    case = engine.open("tenancy", actor=WORKER, at=MONDAY)
    engine.remind(case, weekly_visits(), at=MONDAY)
    engine.fire(case, "start", WORKER, at=MONDAY + 2 * WEEK)
    kinds = [e.kind for e in case.events]
    assert kinds[-3:] == [EventKind.REMINDED, EventKind.REMINDED, EventKind.TRANSITION]
    assert engine.tick(MONDAY + 2 * WEEK) == []


def test_ticks_in_several_steps_record_what_one_tick_does() -> None:
    """Ticking hour by hour records the same events, at the same instants, as one big tick."""
    histories = []
    for step in (None, timedelta(hours=7)):
        engine = make_engine()
        case = engine.open("tenancy", actor=WORKER, at=MONDAY, case_id="c-1")
        engine.remind(case, weekly_visits(count=6), at=MONDAY)
        engine.remind(case, lease_end(), at=MONDAY)
        engine.fire(case, "start", WORKER, at=MONDAY)
        now = MONDAY
        while step is not None and now < FAR:
            now += step
            engine.tick(now)
        engine.tick(FAR)
        histories.append(list(case.events))
    assert histories[0] == histories[1]
    assert len(histories[0]) == 1 + 2 + 1 + 1 + 6 + 1  # opened, set ×2, start, breach, 7 reminded


# --------------------------------------------------------------------------- replay


def run_tenancy(engine: Engine) -> Case:
    """Drive one case through reminders, a breach, a cancel and a re-set."""
    case = engine.open("tenancy", actor=WORKER, at=MONDAY, case_id="t-1", assignee="grid-7")
    engine.remind(case, weekly_visits(), at=MONDAY)
    engine.remind(case, lease_end(), at=MONDAY)
    engine.fire(case, "start", WORKER, at=MONDAY + HOUR)
    engine.tick(MONDAY + 3 * WEEK)
    engine.cancel_reminder(case, "lease_end", at=MONDAY + 3 * WEEK)
    engine.remind(case, lease_end(), at=MONDAY + 3 * WEEK + HOUR)
    engine.tick(MONDAY + 5 * WEEK)
    return case


def test_replay_rebuilds_the_reminders_and_their_next_occurrence(engine: Engine) -> None:
    """The replayed case has the same reminders, next alarm and, ticked on, the same future."""
    case = run_tenancy(engine)
    rebuilt = engine.replay(case.events)
    assert rebuilt == case
    assert dict(engine.reminders(rebuilt)) == dict(engine.reminders(case))
    assert rebuilt.next_alarm == case.next_alarm
    engine.tick(FAR)
    assert list(rebuilt.events) == list(case.events)
    assert reminded(case)[-1][1] < FAR


def test_an_untracked_replay_checks_reminders_but_keeps_none(engine: Engine) -> None:
    """With ``track=False`` nothing is queued and the engine holds no reminder for the copy."""
    case = run_tenancy(engine)
    pending = engine.pending_alarms
    rebuilt = engine.replay(case.events, track=False)
    assert rebuilt == case
    assert engine.reminders(rebuilt) == {}
    assert engine.pending_alarms == pending


def _tampered(events: list[Event], index: int, **change: Any) -> list[Event]:
    return [*events[:index], events[index]._replace(**change), *events[index + 1 :]]


def test_replay_refuses_histories_that_could_not_have_happened(engine: Engine) -> None:
    """Missing, misplaced or altered reminder events raise ReplayError and leave nothing behind."""
    case = run_tenancy(engine)
    events = list(case.events)
    first = next(i for i, e in enumerate(events) if e.kind is EventKind.REMINDED)
    breach = next(i for i, e in enumerate(events) if e.kind is EventKind.BREACHED)
    skipped = [e._replace(seq=e.seq - 1) if i > first else e for i, e in enumerate(events)]
    del skipped[first]
    swapped = [*events[:breach], events[breach + 1], events[breach]]
    broken = {
        "a reminder missing": skipped,
        "a wrong occurrence": _tampered(events, first, data={"occurrence": 2}),
        "an unknown key": _tampered(events, first, trigger="nothing"),
        "a reminder that moves the case": _tampered(events, first, level="grid"),
        "an unreadable rule": _tampered(
            events, 1, data={**(events[1].data or {}), "rule": "RRULE:FREQ=SOMETIMES"}
        ),
        "a breach out of turn": [e._replace(seq=n) for n, e in enumerate(swapped, 1)],
    }
    pending = engine.pending_alarms
    for why, history in broken.items():
        with pytest.raises(ReplayError):
            engine.replay(history)
        assert engine.pending_alarms == pending, why
    assert len(engine._reminders) == 1  # the live case's book only: failed replays leave none


# --------------------------------------------------------------------------- observers, refusals


def test_observers_are_told_of_every_reminder_event() -> None:
    """Setting, each occurrence and cancelling reach the observers, in order."""
    seen: list[tuple[str, EventKind, str | None]] = []
    engine = make_engine(observers=[lambda case, e: seen.append((case.id, e.kind, e.trigger))])
    case = engine.open("tenancy", actor=WORKER, at=MONDAY, case_id="t-1")
    engine.remind(case, weekly_visits(), at=MONDAY)
    engine.tick(MONDAY + WEEK)
    engine.cancel_reminder(case, "visit", at=MONDAY + WEEK)
    assert seen == [
        ("t-1", EventKind.OPENED, "tenancy"),
        ("t-1", EventKind.REMINDER_SET, "visit"),
        ("t-1", EventKind.REMINDED, "visit"),
        ("t-1", EventKind.REMINDER_CANCELLED, "visit"),
    ]


def test_refused_reminders_change_nothing(engine: Engine) -> None:
    """A naive instant, an earlier one, a key set twice, a past date: each refused, no trace."""
    case = engine.open("tenancy", actor=WORKER, at=MONDAY)
    engine.remind(case, weekly_visits(), at=MONDAY + HOUR)
    later = MONDAY + 2 * HOUR
    with unchanged(engine, case), pytest.raises(NaiveDatetimeError) as naive:
        engine.remind(case, lease_end(), at=datetime(2026, 11, 23, 12, 0))  # noqa: DTZ001
    assert naive.value.field == "at"
    with unchanged(engine, case), pytest.raises(OutOfOrder):
        engine.remind(case, lease_end(), at=MONDAY)
    with unchanged(engine, case), pytest.raises(DuplicateReminder) as twice:
        engine.remind(case, weekly_visits(count=1), at=later)
    assert twice.value.key == "visit"
    assert CHINESE.search(str(twice.value))
    past = Reminder(key="past", label_zh="已过期", label_en="past", schedule=MONDAY)
    with unchanged(engine, case), pytest.raises(ReminderRefused, match="no occurrence"):
        engine.remind(case, past, at=later)
    with unchanged(engine, case), pytest.raises(NaiveDatetimeError):
        engine.cancel_reminder(case, "visit", at=datetime(2026, 11, 23, 12, 0))  # noqa: DTZ001


def test_a_naive_schedule_is_refused_when_the_reminder_is_made() -> None:
    """A rule or instant without a timezone is invalid data naming ``schedule``."""
    naive = datetime(2026, 11, 24, 10, 0)  # noqa: DTZ001
    for schedule in (naive, rrule(WEEKLY, dtstart=naive)):
        with pytest.raises(InvalidData) as caught:
            Reminder(key="visit", label_zh="回访", label_en="visit", schedule=schedule)
        assert [p.path for p in caught.value.problems] == ["schedule"]
        assert "timezone-aware" in str(caught.value)


def test_every_problem_with_a_reminder_is_listed_at_once() -> None:
    """Key, labels, schedule, until, count and role are all checked, each named by its field."""
    fixed = timezone(timedelta(hours=8))
    with pytest.raises(InvalidData) as caught:
        Reminder(
            key="Visit Weekly",
            label_zh=" ",
            label_en="",
            schedule=rrule(WEEKLY, dtstart=datetime(2026, 11, 24, tzinfo=fixed)),
            until=datetime(2027, 1, 1),  # noqa: DTZ001
            count=0,
            notify_role="物业",
        )
    paths = [p.path for p in caught.value.problems]
    assert paths == [
        "key",
        "label_zh",
        "label_en",
        "schedule",
        "until",
        "count",
        "notify_role",
    ]
    assert "IANA" in str(caught.value)
    with pytest.raises(InvalidData) as before:
        Reminder.before(
            datetime(2027, 1, 31, tzinfo=DEFAULT_TZ),
            30,  # type: ignore[arg-type]
            key="lease_end",
            label_zh="租约",
            label_en="lease",
        )
    assert [p.path for p in before.value.problems] == ["end", "offset"]


def test_every_event_kind_has_labels() -> None:
    """Each event kind, the reminder kinds included, carries a Chinese and an English label."""
    for kind in EventKind:
        assert CHINESE.search(kind.label_zh), kind
        assert kind.label_en, kind
    assert EventKind.REMINDED.label_zh == "到期提醒"


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    every=st.integers(min_value=1, max_value=9),
    count=st.integers(min_value=1, max_value=8),
    hour=st.integers(min_value=0, max_value=23),
    steps=st.lists(st.integers(min_value=1, max_value=60 * 24 * 5), min_size=1, max_size=30),
    start=st.booleans(),
)
def test_any_tick_schedule_records_the_same_history_and_replays_it(
    every: int, count: int, hour: int, steps: list[int], start: bool
) -> None:
    """However time is ticked, a case records the same events, and replay rebuilds it exactly."""
    histories = []
    for schedule in (steps, []):
        engine = make_engine()
        case = engine.open("tenancy", actor=WORKER, at=MONDAY, case_id="p-1")
        dtstart = (MONDAY + timedelta(days=1)).replace(hour=hour)
        rule = rrule(DAILY, interval=every, dtstart=dtstart, count=count)
        engine.remind(case, Reminder(key="r", label_zh="提醒", label_en="r", schedule=rule))
        engine.remind(case, lease_end(), at=MONDAY)
        if start:
            engine.fire(case, "start", WORKER, at=MONDAY)
        now = MONDAY
        for minutes in schedule:
            now += timedelta(minutes=minutes)
            engine.tick(now)
        engine.tick(FAR)
        histories.append(list(case.events))
        rebuilt = engine.replay(case.events, track=False)
        assert rebuilt == case
        assert engine.reminders(case) == {}
    assert histories[0] == histories[1]
    instants = [e.at for e in histories[0]]
    assert instants == sorted(instants)
    assert sum(e.kind is EventKind.REMINDED for e in histories[0]) == count + 1
