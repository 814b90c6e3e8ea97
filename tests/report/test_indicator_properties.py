"""Under any intake, transitions, ticks and ratings no request vanishes, and replay agrees."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from hypothesis import event as note
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    DEFAULT_TZ,
    LEVELS,
    Actor,
    Case,
    Channel,
    Engine,
    EventKind,
    ManualClock,
    Method,
    Registry,
    Request,
    RequestDesk,
    TransitionRefused,
    WeekendCalendar,
    compile_method,
    method_from_data,
)
from civicgrid.report.indicators import IndicatorBuilder
from civicgrid.report.records import IndicatorDimension, IndicatorPeriod

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
ALL_LEVELS = {key for key, _, _ in LEVELS}
ACTORS = (
    Actor(id="grid-worker", roles={"worker"}, levels={"grid"}),
    Actor(id="community-worker", roles={"worker"}, levels={"grid", "compound", "community"}),
    Actor(id="subdistrict-worker", roles={"worker"}, levels=ALL_LEVELS),
    Actor(id="resident", roles={"resident"}),
)
OPERATOR = Actor(id="operator", roles={"operator"})
RESIDENT = ACTORS[3]
DATA: tuple[Mapping[str, Any] | None, ...] = (
    None,
    {"feedback": "已答复居民：明天维修"},
    {"feedback": "  "},
    {"rating": "satisfied"},
    {"rating": "basically_satisfied"},
    {"rating": "unsatisfied"},
    {"rating": "excellent"},
)
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")
UNITS = (None, "g1", "g2", "c1")
KINDS = ("intake", "fire", "fire", "fire", "fire", "rate", "rate", "tick", "wait")
SECONDS = st.sampled_from(
    [0, 1, 60, 24 * 60, 30 * 60, 30 * 60 + 1, 3_600, 5 * 3_600, 5 * 3_600 + 1, 2 * 86_400]
) | st.integers(0, 4 * 86_400)
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 63),
        st.integers(0, 63),
        st.integers(0, 63),
        SECONDS,
    ),
    min_size=12,
    max_size=50,
)
"""(kind, pick, pick, pick, seconds): intake a request, fire a trigger on a case, rate a case
awaiting its rating, advance the clock and tick, or advance it without a tick."""


def method() -> Method:
    """A request method with the ladder, escalating breaches, a pause and a rating step.

    受理 → 办理 → 待评价 → 办结, or 撤回 with feedback. ``respond`` (30 minutes) and ``handle``
    (5 hours, paused while the rating is awaited) escalate on breach; ``reply`` counts two
    working days to the answer; an unrated case closes itself after 2 days (``auto_close``).
    """
    worker, resident = ["worker"], ["resident"]
    at_level = ["acts_at_case_level"]

    def move(trigger: str, sources: list[str], target: str, roles: list[str], **more: Any) -> Any:
        return {
            "trigger": trigger,
            "from": sources,
            "to": target,
            "label_zh": trigger,
            "label_en": trigger,
            "roles": roles,
            **more,
        }

    return method_from_data(
        {
            "key": "ladder_request",
            "label_zh": "诉求（测试）",
            "label_en": "request (test)",
            "initial": "received",
            "open_roles": ["operator"],
            "roles": [
                {"key": k, "label_zh": k, "label_en": k} for k in ("operator", "worker", "resident")
            ],
            "steps": [
                {"key": "received", "label_zh": "受理", "label_en": "received"},
                {"key": "handling", "label_zh": "办理", "label_en": "handling"},
                {"key": "awaiting_rating", "label_zh": "待评价", "label_en": "awaiting rating"},
                {"key": "closed", "label_zh": "办结", "label_en": "closed", "terminal": True},
                {"key": "withdrawn", "label_zh": "撤回", "label_en": "withdrawn", "terminal": True},
            ],
            "transitions": [
                move("accept", ["received"], "handling", worker, guards=at_level),
                move("finish", ["handling"], "awaiting_rating", worker, guards=at_level),
                move("rate", ["awaiting_rating"], "closed", resident, guards=["rating_closes"]),
                move(
                    "reopen", ["awaiting_rating"], "handling", resident, guards=["rating_reopens"]
                ),
                move("withdraw", ["received"], "withdrawn", resident, guards=["feedback_given"]),
                move("escalate", ["received"], "received", worker, escalate=True),
                move("escalate", ["handling"], "handling", worker, escalate=True),
                move("auto_close", ["awaiting_rating"], "closed", ["system"]),
            ],
            "deadlines": [
                {
                    "key": "respond",
                    "label_zh": "30分钟响应",
                    "label_en": "respond in 30 minutes",
                    "start": ["received"],
                    "stop": ["handling"],
                    "duration": {"minutes": 30},
                    "warn_at": 0.8,
                    "on_breach": "escalate",
                },
                {
                    "key": "handle",
                    "label_zh": "5小时办理",
                    "label_en": "handle in 5 hours",
                    "start": ["handling"],
                    "pause": ["awaiting_rating"],
                    "duration": {"hours": 5},
                    "warn_at": 0.8,
                    "on_breach": "escalate",
                },
                {
                    "key": "reply",
                    "label_zh": "2个工作日答复",
                    "label_en": "reply in 2 working days",
                    "start": ["received"],
                    "stop": ["awaiting_rating"],
                    "working_days": 2,
                },
                {
                    "key": "rating",
                    "label_zh": "2天内评价",
                    "label_en": "rated within 2 days",
                    "start": ["awaiting_rating"],
                    "stop": ["handling"],
                    "duration": {"days": 2},
                    "on_breach": "fire",
                    "breach_trigger": "auto_close",
                },
            ],
            "escalation": [{"key": k, "label_zh": zh, "label_en": en} for k, zh, en in LEVELS],
        }
    )


Action = tuple[str, int, int, int, int]


def act(
    engine: Engine, desk: RequestDesk, clock: ManualClock, action: Action, received: list[str]
) -> None:
    """Carry out one action; a refused transition must leave the case's step as it was."""
    kind, a, b, c, seconds = action
    cases: list[Case] = list(desk)
    if kind == "intake" or not cases:
        request_id = f"r{len(received):03d}"
        desk.receive(
            Request(
                id=request_id,
                channel=list(Channel)[a % len(Channel)],
                text="楼道积水",
                submitted_at=clock.now(),
                unit=UNITS[b % len(UNITS)],
            ),
            actor=OPERATOR,
        )
        received.append(request_id)
        return
    if kind in ("tick", "wait"):
        clock.advance(timedelta(seconds=seconds))
        if kind == "tick":
            engine.tick()
        return
    waiting = [case for case in cases if case.step == "awaiting_rating"]
    open_cases = [case for case in cases if not case.is_closed]
    if kind == "rate" and waiting:
        case = waiting[a % len(waiting)]
    elif a < 48 and open_cases:  # mostly an open case, so that cases travel far
        case = open_cases[a % len(open_cases)]
    else:
        case = cases[a % len(cases)]
    data = DATA[c % len(DATA)]
    if kind == "rate":
        if b % 4 == 3:  # the resident does not answer: the rating deadline may close it
            clock.advance(timedelta(days=1))
            return
        rating = RATINGS[b % len(RATINGS)]
        trigger, actor, data = (
            ("reopen" if rating == "unsatisfied" else "rate"),
            RESIDENT,
            {"rating": rating},
        )
    else:
        actor = ACTORS[b % len(ACTORS)]
        permitted = engine.permitted(case, actor)
        if c < 32 and permitted:
            trigger = permitted[0]  # declared first: mostly the way forward
        elif c < 48 and permitted:
            trigger = permitted[c % len(permitted)]
        else:
            trigger = "accept"  # often refused: by step, role or level
    step, count = case.step, len(case.events)
    try:
        engine.fire(case, trigger, actor, data=data)
    except TransitionRefused:
        # Nothing changed but what fell due before now: alarms, and what a breach fired.
        late = case.events[count:]
        assert all(e.actor == "system" and e.at < clock.now() for e in late)
        if not any(e.kind is EventKind.TRANSITION for e in late):
            assert case.step == step


def check(
    engine: Engine, desk: RequestDesk, builder: IndicatorBuilder, received: list[str]
) -> None:
    """None vanishes, every open case shows a deadline, and replayed figures equal live ones."""
    now = engine.clock.now()
    cases = {case.id: case for case in desk}
    assert list(cases) == received
    assert list(builder.cases) == received
    for case_id, case in cases.items():
        record = builder.cases[case_id]
        assert (record.step, record.level, record.deadlines) == (
            case.step,
            case.level,
            case.deadlines,
        )
        if case.is_closed:
            assert record.outcome == case.step
            assert record.closed_at == case.events[-1].at
        else:
            assert record.outcome is None
            assert record.has_visible_deadline(now), record.standings(now)
    figures = builder.indicators(as_of=now)
    assert figures.received == len(received)
    assert figures.closed + figures.in_progress == figures.received
    assert sum(figures.outcomes.values()) == figures.closed
    assert figures.without_deadline == ()
    assert sum(figures.by_channel.values()) == figures.received
    methods = [engine.compiled("ladder_request")]
    stored = IndicatorBuilder(methods, calendar=engine.calendar)
    stored.extend(event for case in cases.values() for event in case.events)
    replayer = Engine(methods, clock=ManualClock(now), calendar=engine.calendar)
    replayed = IndicatorBuilder.for_engine(replayer)
    for case in cases.values():
        replayed.extend(replayer.replay(case.events).events)
    live = {case_id: record for case_id, record in builder.cases.items() if not record.is_final}
    for other in (stored, replayed):
        assert other.cases == live  # the closed ones retired, their figures kept
        assert other.retired == len(received) - len(live)
        assert other.indicators(as_of=now) == figures
        assert other.grouped(
            list(IndicatorDimension), period=IndicatorPeriod.DAY, as_of=now
        ) == builder.grouped(list(IndicatorDimension), period=IndicatorPeriod.DAY, as_of=now)


@settings(max_examples=100, deadline=None)
@given(actions=ACTIONS)
def test_no_request_vanishes_and_replayed_indicators_equal_live_ones(
    registry: Registry, actions: list[Action]
) -> None:
    """Every request ends closed with an outcome or open with a visible deadline state."""
    clock = ManualClock(MONDAY)
    engine = Engine(
        [compile_method(method(), registry.guards)], clock=clock, calendar=WeekendCalendar()
    )
    builder = IndicatorBuilder.for_engine(engine, retire_closed=False)  # every record kept
    engine.subscribe(builder)
    desk = RequestDesk(engine, method="ladder_request")
    received: list[str] = []
    for action in actions:
        act(engine, desk, clock, action, received)
    check(engine, desk, builder, received)
    triggers = {event.trigger for case in desk for event in case.events}
    for seen in ("reopen", "auto_close", "withdraw", "escalate"):
        if seen in triggers:
            note(f"a case went through {seen}")
    note(f"{min(builder.indicators().closed, 3)}+ closed")
