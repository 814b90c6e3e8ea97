"""I1 "53522马上办" end to end: five limits, amber warnings, pauses, escalation and rating."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    BreachAction,
    Case,
    Channel,
    DeadlineStatus,
    Dispatch,
    Engine,
    EventKind,
    GuardRefused,
    LadderExhausted,
    ManualClock,
    Registry,
    Request,
    RequestDesk,
    RoleRefused,
    load_registry,
)
from civicgrid.plugins.builtin import immediate_53522
from civicgrid.plugins.builtin.immediate_53522 import ResidentWait
from civicgrid.plugins.manager import BUILTIN_PLUGINS
from civicgrid.testing import Move, walk

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
KEY = "immediate_53522"

BUILDING_LEADER = Actor(id="building-leader-3", roles={"building_leader"}, levels={"grid"})
RED_STEWARD = Actor(id="red-steward-1", roles={"red_steward"}, levels={"grid", "compound"})
"""Serves the compound and, through it, its buildings, so she acts at both rungs."""
COMPOUND_SECRETARY = Actor(id="compound-secretary", roles={"secretary"}, levels={"compound"})
COMMUNITY_WORKER = Actor(id="community-worker-1", roles={"community_worker"}, levels={"community"})
SUBDISTRICT_DIRECTOR = Actor(id="subdistrict-director", roles={"director"}, levels={"subdistrict"})
RESIDENT = Actor(id="resident-1", roles={"resident"})

ANSWER = {"feedback": "楼道灯已更换，欢迎监督"}
SATISFIED = {"rating": "satisfied"}
UNSATISFIED = {"rating": "unsatisfied"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-ins plus 53522, whether or not it is listed among the built-ins yet."""
    builtin = {name for name, _ in BUILTIN_PLUGINS}
    mine = [("civicgrid.immediate_53522", immediate_53522)]
    return load_registry(entry_points=False, plugins=[p for p in mine if p[0] not in builtin])


def open_case(engine: Engine, at: datetime) -> Case:
    """Open a 53522 case as the resident at ``at``."""
    return engine.open(KEY, actor=RESIDENT, at=at, data={"text": "3栋楼道灯不亮"})


def transitions(case: Case) -> list[str]:
    """Return the triggers of the case's transitions, in order."""
    return [e.trigger or "" for e in case.events if e.kind is EventKind.TRANSITION]


# --------------------------------------------------------------------------- the method


def test_53522_carries_the_five_limits_of_the_hengtong_document(registry: Registry) -> None:
    """On site 5 min, small 30 min, big 5 h, plan 2 days, reply 2 days, each warned at 80%."""
    method = registry.methods[KEY]
    assert (method.label_zh, method.source, method.initial) == ("53522马上办", "I1", "received")
    assert [level.key for level in method.escalation] == [
        "grid",
        "compound",
        "community",
        "subdistrict",
    ]
    limits = {d.key: d for d in method.deadlines if d.key != "rating"}
    rating = next(d for d in method.deadlines if d.key == "rating")
    assert (rating.duration, rating.on_breach) == (relativedelta(days=3), BreachAction.NOTIFY)
    assert {k: d.label_zh for k, d in limits.items()} == {
        "on_site": "5分钟内到达现场",
        "small": "30分钟内解决小问题",
        "big": "5个小时内解决大问题",
        "plan": "难问题2天内形成解决方案",
        "reply": "2天内给予居民答复",
    }
    assert {k: d.on_breach for k, d in limits.items()} == {
        "on_site": BreachAction.ESCALATE,
        "small": BreachAction.FIRE,
        "big": BreachAction.ESCALATE,
        "plan": BreachAction.ESCALATE,
        "reply": BreachAction.NOTIFY,
    }
    assert {k: d.duration for k, d in limits.items()} == {
        "on_site": relativedelta(minutes=5),
        "small": relativedelta(minutes=30),
        "big": relativedelta(hours=5),
        "plan": relativedelta(days=2),
        "reply": relativedelta(days=2),
    }
    assert all(d.warn_at == 0.8 for d in limits.values())
    # Two calendar days, not working days: see the method file and the plugin docstring.
    assert all(limits[k].working_days is None for k in ("plan", "reply"))
    assert limits["small"].breach_trigger == "upgrade"
    assert set(limits["reply"].pause) == {"small_waiting", "big_waiting", "hard_waiting"}


def test_a_small_problem_is_handled_within_the_limits_and_closed(
    engine: Engine, clock: ManualClock
) -> None:
    """接到问题 → 到达现场 → 解决小问题 → 答复 → 评价: every limit met, closed at the grid."""
    case = open_case(engine, clock.now())
    walk(
        engine,
        case,
        [
            Move("arrive", BUILDING_LEADER, after=3 * MINUTE),
            Move("classify_small", BUILDING_LEADER, after=MINUTE),
            Move("solve", BUILDING_LEADER, after=20 * MINUTE),
            Move("reply", BUILDING_LEADER, ANSWER),
            Move("rate", RESIDENT, SATISFIED, after=HOUR),
        ],
    )
    assert case.is_closed
    assert [case.method.step(e.target).label_zh for e in case.events] == [
        "接到问题",
        "到达现场",
        "解决小问题",
        "问题已解决，待答复居民",
        "已答复居民，待评价",
        "办结",
    ]
    assert {k: s.status for k, s in case.deadlines.items()} == dict.fromkeys(
        ("on_site", "small", "reply", "rating"), DeadlineStatus.MET
    )
    assert case.events[-1].level == "grid"
    assert engine.tick(clock.now() + 30 * DAY) == []


def test_a_hard_problem_gets_a_plan_and_an_answer(engine: Engine, clock: ManualClock) -> None:
    """A hard problem needs its plan recorded; plan and answer within two days meet both limits."""
    case = open_case(engine, clock.now())
    walk(engine, case, [("arrive", RED_STEWARD), ("classify_hard", RED_STEWARD)])
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "plan", RED_STEWARD, data={"plan": "  "})
    assert refused.value.guard == "plan_recorded"
    plan = {"plan": "申请维修资金更换消防管道，下周业主表决"}
    walk(engine, case, [Move("plan", RED_STEWARD, plan, after=DAY)])
    assert case.step == "planned"
    walk(engine, case, [Move("reply", RED_STEWARD, {"feedback": plan["plan"]}, after=HOUR)])
    walk(engine, case, [("rate", RESIDENT, {"rating": "basically_satisfied"})])
    assert case.is_closed
    assert case.deadlines["plan"].status is DeadlineStatus.MET
    assert case.deadlines["reply"].status is DeadlineStatus.MET


def test_a_big_problem_judged_hard_ends_the_five_hours_and_starts_the_plan(
    engine: Engine, clock: ManualClock
) -> None:
    """大问题转为难问题 stops the 5-hour limit as met and starts the 2-day plan limit."""
    case = open_case(engine, clock.now())
    walk(engine, case, [("arrive", RED_STEWARD), ("classify_big", RED_STEWARD)])
    walk(engine, case, [Move("upgrade", RED_STEWARD, after=2 * HOUR)])
    assert case.current_step.label_zh == "难问题形成解决方案"
    assert case.deadlines["big"].status is DeadlineStatus.MET
    assert case.deadlines["plan"].due == clock.now() + 2 * DAY


# --------------------------------------------------------------------------- each limit, both sides

ROUTES: dict[str, tuple[list[str], str, Mapping[str, Any] | None, timedelta]] = {
    "on_site": ([], "arrive", None, 5 * MINUTE),
    "small": (["arrive", "classify_small"], "solve", None, 30 * MINUTE),
    "big": (["arrive", "classify_big"], "solve", None, 5 * HOUR),
    "plan": (["arrive", "classify_hard"], "plan", {"plan": "三方协商后维修"}, 2 * DAY),
    "reply": (["arrive", "classify_small", "solve"], "reply", ANSWER, 2 * DAY),
}
"""Per limit: the moves (all at the opening instant) that start it, the move that stops it, its
data, and the limit's length. Every limit starts at the opening instant on these routes."""

AFTER_BREACH: dict[str, tuple[str, str, dict[str, object]]] = {
    "on_site": ("received", "compound", {"action": "escalate", "escalated": True}),
    "small": ("big", "grid", {"action": "fire", "fired": True}),
    "big": ("big", "compound", {"action": "escalate", "escalated": True}),
    "plan": ("hard", "compound", {"action": "escalate", "escalated": True}),
    "reply": ("solved", "grid", {"action": "notify"}),
}
"""Per limit: the step and level right after its breach, and what the breach records."""


def started(engine: Engine, key: str, at: datetime) -> Case:
    """Open a case at ``at`` and take it, at the same instant, to where limit ``key`` runs."""
    case = open_case(engine, at)
    for trigger in ROUTES[key][0]:
        engine.fire(case, trigger, RED_STEWARD, at=at)
    return case


@pytest.mark.parametrize("key", list(ROUTES))
def test_each_limit_warns_at_eighty_percent_and_breaches_only_after_its_due_instant(
    engine: Engine, clock: ManualClock, key: str
) -> None:
    """At exactly the due instant only the amber warning is recorded; a second later, the breach."""
    start = clock.now()
    case = started(engine, key, start)
    length = ROUTES[key][3]
    due = start + length
    assert case.deadlines[key].due == due
    mine = [e for e in engine.tick(due) if e.trigger == key]
    assert [(e.kind, e.at) for e in mine] == [(EventKind.WARNED, start + length * 0.8)]
    assert case.deadlines[key].status is DeadlineStatus.RUNNING
    breached = [e for e in engine.tick(due + SECOND) if e.trigger == key]
    assert [(e.kind, e.at) for e in breached] == [(EventKind.BREACHED, due)]
    step, level, data = AFTER_BREACH[key]
    assert breached[0].data == data
    assert (case.step, case.level) == (step, level)
    assert case.deadlines[key].status is DeadlineStatus.BREACHED
    assert case == engine.replay(case.events, track=False)


@pytest.mark.parametrize("key", list(ROUTES))
def test_each_limit_is_met_when_stopped_at_exactly_its_due_instant(
    engine: Engine, clock: ManualClock, key: str
) -> None:
    """Stopping at the due instant itself meets the limit: no breach is recorded."""
    start = clock.now()
    case = started(engine, key, start)
    _, stop, data, length = ROUTES[key]
    engine.fire(case, stop, RED_STEWARD, at=start + length, data=data)
    assert case.deadlines[key].status is DeadlineStatus.MET
    assert EventKind.BREACHED not in {e.kind for e in case.events if e.trigger == key}


@pytest.mark.parametrize("key", list(ROUTES))
def test_each_limit_is_breached_when_stopped_one_second_late(
    engine: Engine, clock: ManualClock, key: str
) -> None:
    """One second late, the breach is recorded first, then the move that came too late."""
    start = clock.now()
    case = started(engine, key, start)
    _, stop, data, length = ROUTES[key]
    engine.fire(case, stop, RED_STEWARD, at=start + length + SECOND, data=data)
    assert case.deadlines[key].status is DeadlineStatus.BREACHED
    [breach] = [e for e in case.events if e.kind is EventKind.BREACHED and e.trigger == key]
    assert breach.at == start + length
    assert case.events[-1].trigger == stop


def test_a_small_problem_late_by_a_second_is_solved_as_a_big_one(
    engine: Engine, clock: ManualClock
) -> None:
    """The system reclassifies it at the 30th minute; the five hours start there and are met."""
    start = clock.now()
    case = started(engine, "small", start)
    engine.fire(case, "solve", RED_STEWARD, at=start + 30 * MINUTE + SECOND)
    assert transitions(case)[-2:] == ["upgrade", "solve"]
    upgrade = case.events[-2]
    assert (upgrade.actor, upgrade.data, upgrade.at) == (
        "system",
        {"deadline": "small"},
        start + 30 * MINUTE,
    )
    assert case.deadlines["big"].started_at == start + 30 * MINUTE
    assert case.deadlines["big"].status is DeadlineStatus.MET


# ------------------------------------------------------------------------- waiting for the resident


def test_waiting_for_the_resident_stops_the_clock_and_moves_the_due_time(
    engine: Engine, clock: ManualClock
) -> None:
    """Not at home for three hours: the 30 minutes and the two days both end three hours later."""
    start = clock.now()
    case = started(engine, "small", start)
    paused_at = start + 10 * MINUTE
    engine.fire(case, "wait", RED_STEWARD, at=paused_at, data={"waiting_for": ResidentWait.HOME})
    assert case.current_step.label_zh == "小问题：等待居民（不在家或补充信息）"
    assert {case.deadlines[k].status for k in ("small", "reply")} == {DeadlineStatus.PAUSED}
    assert engine.tick(start + 3 * HOUR) == []
    span = 3 * HOUR
    engine.fire(case, "resume", RESIDENT, at=paused_at + span)
    small, reply = case.deadlines["small"], case.deadlines["reply"]
    assert small.due == start + 30 * MINUTE + span
    assert small.warn_due == start + 24 * MINUTE + span
    assert reply.due == start + 2 * DAY + span
    assert [e.kind for e in engine.tick(small.due) if e.trigger == "small"] == [EventKind.WARNED]
    [breach] = [e for e in engine.tick(small.due + SECOND) if e.kind is EventKind.BREACHED]
    assert (breach.trigger, breach.at) == ("small", start + 30 * MINUTE + span)


@settings(max_examples=40, deadline=None)
@given(
    before=st.integers(min_value=0, max_value=29 * 60),
    span=st.integers(min_value=0, max_value=10 * 24 * 3600),
)
def test_a_pause_of_any_length_moves_the_due_times_by_exactly_that_length(
    registry: Registry, before: int, span: int
) -> None:
    """For any pause inside the 30 minutes, both running limits fall due later by the pause."""
    start = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
    engine = Engine.from_registry(registry, clock=ManualClock(start))
    case = started(engine, "small", start)
    paused_at = start + timedelta(seconds=before)
    engine.fire(case, "wait", RED_STEWARD, at=paused_at, data={"waiting_for": "information"})
    engine.fire(case, "resume", RED_STEWARD, at=paused_at + timedelta(seconds=span))
    moved = timedelta(seconds=span)
    assert case.deadlines["small"].due == start + 30 * MINUTE + moved
    assert case.deadlines["reply"].due == start + 2 * DAY + moved


@pytest.mark.parametrize("reason", [None, "", "busy", 3])
def test_the_clock_is_paused_only_for_a_stated_reason(
    engine: Engine, clock: ManualClock, reason: object
) -> None:
    """Without data.waiting_for home or information the pause is refused and nothing changes."""
    case = started(engine, "big", clock.now())
    events = len(case.events)
    with pytest.raises(GuardRefused, match="waiting_for") as refused:
        engine.fire(case, "wait", RED_STEWARD, data={"waiting_for": reason})
    assert refused.value.guard == "waiting_reason_given"
    assert (case.step, len(case.events)) == ("big", events)
    assert case.deadlines["big"].status is DeadlineStatus.RUNNING


def test_resident_waits_carry_both_labels() -> None:
    """Each reason for waiting has a Chinese and an English label."""
    assert [(w.value, w.label_zh, w.label_en) for w in ResidentWait] == [
        ("home", "居民不在家，待入户", "the resident to be at home"),
        ("information", "待居民补充信息", "the resident to provide information"),
    ]


# --------------------------------------------------------------------------- escalation and levels


def test_breaches_and_a_call_take_a_case_up_to_the_subdistrict(
    engine: Engine, clock: ManualClock
) -> None:
    """No one on site: compound; five hours gone: community; the community calls: subdistrict."""
    start = clock.now()
    case = open_case(engine, start)
    engine.tick(start + 5 * MINUTE + SECOND)
    assert case.level == "compound"
    engine.fire(case, "arrive", COMPOUND_SECRETARY, at=start + 8 * MINUTE)
    engine.fire(case, "classify_big", COMPOUND_SECRETARY, at=start + 10 * MINUTE)
    engine.tick(start + 10 * MINUTE + 5 * HOUR + SECOND)
    assert case.level == "community"
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "solve", COMPOUND_SECRETARY, at=start + 6 * HOUR)
    assert refused.value.guard == "acts_at_case_level"
    engine.fire(case, "escalate", COMMUNITY_WORKER, at=start + 6 * HOUR)
    assert case.level == "subdistrict"
    events = len(case.events)
    with pytest.raises(LadderExhausted):
        engine.fire(case, "escalate", SUBDISTRICT_DIRECTOR, at=start + 7 * HOUR)
    assert (len(case.events), case.level) == (events, "subdistrict")
    walk(
        engine,
        case,
        [
            Move("solve", SUBDISTRICT_DIRECTOR, after=8 * HOUR),
            Move("reply", SUBDISTRICT_DIRECTOR, ANSWER),
            Move("rate", RESIDENT, SATISFIED),
        ],
    )
    assert case.is_closed
    assert case.events[-1].level == "subdistrict"
    rungs = [e.level for e in case.events]
    assert sorted(set(rungs), key=rungs.index) == ["grid", "compound", "community", "subdistrict"]
    assert case == engine.replay(case.events, track=False)


def test_a_building_leader_cannot_act_once_the_case_has_gone_up(
    engine: Engine, clock: ManualClock
) -> None:
    """Refused by level, the late arrival changes nothing; the red steward at the compound acts."""
    start = clock.now()
    case = open_case(engine, start)
    late = start + 6 * MINUTE
    events = engine.tick(late)
    assert [e.kind for e in events] == [EventKind.WARNED, EventKind.BREACHED]
    recorded = len(case.events)
    with pytest.raises(GuardRefused, match="compound") as refused:
        engine.fire(case, "arrive", BUILDING_LEADER, at=late)
    assert refused.value.guard == "acts_at_case_level"
    assert (case.step, case.level, len(case.events)) == ("received", "compound", recorded)
    engine.fire(case, "arrive", RED_STEWARD, at=late)
    assert case.step == "on_site"


def test_only_handlers_handle_and_only_the_resident_rates(
    engine: Engine, clock: ManualClock
) -> None:
    """Refused by role: the resident cannot solve, the building leader cannot rate."""
    case = started(engine, "reply", clock.now())
    with pytest.raises(RoleRefused) as refused:
        engine.fire(case, "reply", RESIDENT, data=ANSWER)
    assert refused.value.actor == RESIDENT
    assert "reply" in refused.value.allowed
    engine.fire(case, "reply", BUILDING_LEADER, data=ANSWER)
    events = len(case.events)
    with pytest.raises(RoleRefused):
        engine.fire(case, "rate", BUILDING_LEADER, data=SATISFIED)
    assert (case.step, len(case.events)) == ("awaiting_rating", events)


# ------------------------------------------------------------------------ answer, rating, reopening


def test_the_resident_is_answered_in_writing_before_the_rating(
    engine: Engine, clock: ManualClock
) -> None:
    """给予居民答复 without a written answer is refused by feedback_given."""
    case = started(engine, "reply", clock.now())
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "reply", BUILDING_LEADER, data={"feedback": " "})
    assert refused.value.guard == "feedback_given"
    assert case.step == "solved"


def test_an_unsatisfied_rating_reopens_the_case_and_a_satisfied_one_closes_it(
    engine: Engine, clock: ManualClock
) -> None:
    """不满意: rate is refused, reopen goes back to 接到问题 with fresh clocks; then 满意 closes."""
    case = started(engine, "reply", clock.now())
    clock.advance(HOUR)
    engine.fire(case, "reply", BUILDING_LEADER, data=ANSWER)
    reopened_at = clock.advance(HOUR)
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "rate", RESIDENT, data=UNSATISFIED)
    assert refused.value.guard == "rating_closes"
    with pytest.raises(GuardRefused) as kept:
        engine.fire(case, "reopen", RESIDENT, data=SATISFIED)
    assert kept.value.guard == "rating_reopens"
    assert case.step == "awaiting_rating"
    engine.fire(case, "reopen", RESIDENT, data=UNSATISFIED)
    assert case.current_step.label_zh == "接到问题"
    assert case.deadlines["on_site"].started_at == reopened_at
    assert case.deadlines["reply"].due == reopened_at + 2 * DAY
    walk(
        engine,
        case,
        [
            Move("arrive", BUILDING_LEADER, after=2 * MINUTE),
            Move("classify_small", BUILDING_LEADER),
            Move("solve", BUILDING_LEADER, after=10 * MINUTE),
            Move("reply", BUILDING_LEADER, {"feedback": "已重新维修并试用"}),
            Move("rate", RESIDENT, SATISFIED),
        ],
    )
    assert case.is_closed
    assert transitions(case).count("reopen") == 1
    assert case.events[-1].data == SATISFIED


def test_a_withdrawal_needs_an_answer_and_ends_every_limit(
    engine: Engine, clock: ManualClock
) -> None:
    """居民撤回 is an outcome too: refused without feedback, recorded with it."""
    case = started(engine, "small", clock.now())
    with pytest.raises(GuardRefused):
        engine.fire(case, "withdraw", RESIDENT)
    engine.fire(case, "withdraw", RESIDENT, data={"feedback": "居民已自行修好"})
    assert (case.step, case.is_closed) == ("withdrawn", True)
    assert {s.status for s in case.deadlines.values()} == {DeadlineStatus.MET}


def test_a_hotline_request_opens_a_53522_case_at_the_dispatched_level(
    engine: Engine, clock: ManualClock
) -> None:
    """Through the request desk: the case id is the request id, level and assignee dispatched."""

    def to_the_compound(_request: Request) -> Dispatch:
        return Dispatch(category="drainage", level="compound", assignee=RED_STEWARD.id)

    desk = RequestDesk(engine, method=KEY, classify=to_the_compound)
    request = Request(
        id="12345-0001",
        channel=Channel.HOTLINE_12345,
        text="小区门口积水",
        submitted_at=clock.now(),
    )
    case = desk.receive(request, actor=Actor(id="operator", roles={"community_worker"}))
    assert (case.id, case.step, case.level, case.assignee) == (
        "12345-0001",
        "received",
        "compound",
        RED_STEWARD.id,
    )
    assert case.data is not None
    assert (case.data["channel"], case.data["category"]) == ("hotline_12345", "drainage")
    with pytest.raises(GuardRefused):
        engine.fire(case, "arrive", BUILDING_LEADER)
    engine.fire(case, "arrive", RED_STEWARD)
    assert case.deadlines["on_site"].status is DeadlineStatus.MET
