"""I7 the problem ledger's loop 问题收集—处置—反馈 (Huichuan), end to end on a manual clock."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    DEFAULT_TZ,
    LEVELS,
    Actor,
    Case,
    DeadlineStatus,
    Engine,
    EventKind,
    GuardRefused,
    ManualClock,
    Registry,
    RoleRefused,
    TransitionRefused,
    TriggerNotAllowed,
    load_registry,
)
from civicgrid.plugins.builtin import problem_ledger

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
A_MONTH_LATER = datetime(2026, 12, 23, 9, 0, tzinfo=DEFAULT_TZ)

LOOP_ZH = ["问题收集", "处置", "反馈"]
"""DOMAIN.md I7, in order (seeds/002: 問題收集、處置、反饋管理閉環)."""

RESIDENT = Actor(id="resident-1", roles={"resident"})
IN_SERVICE_MEMBER = Actor(id="in-service-1", roles={"in_service_member"}, levels={"grid"})
BUILDING_LEADER = Actor(id="building-leader-1", roles={"building_leader"}, levels={"grid"})
COMPOUND_SECRETARY = Actor(id="group-secretary-1", roles={"secretary"}, levels={"compound"})
COMMUNITY_SECRETARY = Actor(id="community-secretary-1", roles={"secretary"}, levels={"community"})
COMMUNITY_WORKER = Actor(id="community-worker-1", roles={"community_worker"}, levels={"community"})
SUBDISTRICT_OFFICER = Actor(
    id="subdistrict-1", roles={"subdistrict_officer"}, levels={"subdistrict"}
)

MEETING = {"meeting": "2026年12月党建联席会议"}
ANSWER = {"feedback": "单元门禁已修复，已告知住户"}


@pytest.fixture(scope="module")
def methods(registry: Registry) -> Registry:
    """The built-ins, with the problem ledger added while the built-in list does not name it."""
    if "problem_ledger" in registry.methods:
        return registry
    return load_registry(entry_points=False, plugins=[("civicgrid.problem_ledger", problem_ledger)])


@pytest.fixture
def engine(methods: Registry, clock: ManualClock) -> Engine:
    """An engine over the built-ins and the problem ledger, on the manual clock."""
    return Engine.from_registry(methods, clock=clock)


def snapshot(case: Case) -> tuple[object, ...]:
    """Return what a refusal must leave as it was."""
    return (case.step, case.level, case.assignee, len(case.events))


def collected(engine: Engine, at: datetime = MONDAY) -> Case:
    """Return a problem an in-service party member entered in the ledger at ``at``."""
    return engine.open("problem_ledger", actor=IN_SERVICE_MEMBER, at=at, data={"text": "门禁损坏"})


def tabled(engine: Engine, at: datetime = MONDAY) -> Case:
    """Return a problem the community put on the monthly joint meeting's agenda a day later."""
    case = collected(engine, at)
    engine.fire(case, "table", COMMUNITY_SECRETARY, at=at + DAY, data=MEETING)
    return case


# --------------------------------------------------------------------------- the method


def test_the_problem_ledger_carries_the_loop_of_domain_i7(methods: Registry) -> None:
    """The method is I7: 问题收集 处置 反馈, on the full ladder of I4."""
    method = methods.methods["problem_ledger"]
    assert method.source == "I7"
    assert [s.label_zh for s in method.steps[:3]] == LOOP_ZH
    assert [level.key for level in method.escalation] == [key for key, _, _ in LEVELS]
    assert "每月收集议题、每月召开党建联席会议" in method.description_zh
    [monthly] = [d for d in method.deadlines if d.key == "monthly_meeting"]
    assert (monthly.duration, monthly.breach_trigger) == (relativedelta(months=1), "table")


def test_a_small_problem_does_not_leave_the_building(engine: Engine, clock: ManualClock) -> None:
    """小事不出楼栋: collected, taken up by the building leader, answered, rated, closed at grid."""
    case = collected(engine, clock.now())
    clock.advance(HOUR)
    engine.fire(case, "take_up", BUILDING_LEADER)
    clock.advance(2 * DAY)
    engine.fire(case, "resolve", IN_SERVICE_MEMBER, data=ANSWER)
    clock.advance(DAY)
    engine.fire(case, "rate", RESIDENT, data={"rating": "satisfied"})
    assert case.is_closed
    path = [case.method.step(e.target).label_zh for e in case.events]
    assert path == [*LOOP_ZH, "办结"]
    assert {e.level for e in case.events} == {"grid"}
    assert {key: state.status for key, state in case.deadlines.items()} == {
        "monthly_meeting": DeadlineStatus.MET,
        "handling": DeadlineStatus.MET,
        "appraisal": DeadlineStatus.MET,
    }
    assert engine.tick(MONDAY + 400 * DAY) == []
    assert engine.replay(case.events, track=False) == case


def test_a_big_problem_goes_to_the_monthly_joint_meeting(engine: Engine) -> None:
    """大事不出社区: tabled at the community's meeting, solved there, answered and closed."""
    case = tabled(engine)
    assert (case.step, case.level) == ("handling", "community")
    assert case.events[-1].data == MEETING
    engine.fire(case, "resolve", COMMUNITY_WORKER, at=MONDAY + 20 * DAY, data=ANSWER)
    engine.fire(case, "rate", RESIDENT, at=MONDAY + 21 * DAY, data={"rating": "satisfied"})
    assert case.is_closed
    assert case.events[-1].level == "community"


def test_the_building_hands_what_it_cannot_solve_to_the_meeting(engine: Engine) -> None:
    """A building that took a problem up may table it; the month keeps counting from take-up."""
    case = collected(engine)
    engine.fire(case, "take_up", BUILDING_LEADER, at=MONDAY + HOUR)
    engine.fire(case, "table", BUILDING_LEADER, at=MONDAY + 5 * DAY, data=MEETING)
    assert (case.step, case.level) == ("handling", "community")
    assert case.deadlines["handling"].started_at == MONDAY + HOUR


# --------------------------------------------------------------------------- the monthly cadence


def test_a_problem_nobody_takes_up_goes_on_the_meetings_agenda_by_itself(engine: Engine) -> None:
    """At exactly one month nothing happens; a second later the breach tables it at community."""
    case = collected(engine)
    assert case.deadlines["monthly_meeting"].due == A_MONTH_LATER
    [warning] = engine.tick(A_MONTH_LATER)
    assert (warning.kind, warning.at) == (EventKind.WARNED, MONDAY + (A_MONTH_LATER - MONDAY) * 0.8)
    assert (case.step, case.level) == ("collected", "grid")
    breach, tabling = engine.tick(A_MONTH_LATER + SECOND)
    assert (breach.kind, breach.at, breach.trigger) == (
        EventKind.BREACHED,
        A_MONTH_LATER,
        "monthly_meeting",
    )
    assert breach.data == {"action": "fire", "fired": True}
    assert (tabling.kind, tabling.trigger, tabling.actor) == (
        EventKind.TRANSITION,
        "table",
        "system",
    )
    assert (tabling.at, tabling.level, tabling.data) == (
        A_MONTH_LATER,
        "community",
        {"deadline": "monthly_meeting"},
    )
    assert (case.step, case.level) == ("handling", "community")
    assert case.deadlines["handling"].started_at == A_MONTH_LATER
    assert engine.replay(case.events, track=False) == case


def test_taking_a_problem_up_at_exactly_a_month_is_in_time(engine: Engine) -> None:
    """Taken up at the due instant the cadence is kept; a second later the meeting has it."""
    on_time, late = collected(engine), collected(engine)
    engine.fire(on_time, "take_up", BUILDING_LEADER, at=A_MONTH_LATER)
    assert on_time.deadlines["monthly_meeting"].status is DeadlineStatus.MET
    assert on_time.level == "grid"
    with pytest.raises(TriggerNotAllowed):
        engine.fire(late, "take_up", BUILDING_LEADER, at=A_MONTH_LATER + SECOND)
    assert late.deadlines["monthly_meeting"].status is DeadlineStatus.BREACHED
    assert (late.step, late.level) == ("handling", "community")


def test_the_month_is_a_calendar_month_even_at_the_end_of_january(engine: Engine) -> None:
    """Collected on 31 January, the next monthly meeting comes by 28 February at the latest."""
    january = datetime(2026, 1, 31, 10, 0, tzinfo=DEFAULT_TZ)
    case = collected(engine, january)
    assert case.deadlines["monthly_meeting"].due == datetime(2026, 2, 28, 10, 0, tzinfo=DEFAULT_TZ)


def test_a_month_of_stalled_handling_moves_the_problem_up_a_rung(engine: Engine) -> None:
    """Taken up in the building and left a month, it climbs to the group, which tables it."""
    case = collected(engine)
    engine.fire(case, "take_up", BUILDING_LEADER, at=MONDAY)
    events = engine.tick(A_MONTH_LATER + SECOND)
    assert [(e.kind, e.trigger) for e in events] == [
        (EventKind.WARNED, "handling"),
        (EventKind.BREACHED, "handling"),
    ]
    assert events[-1].data == {"action": "escalate", "escalated": True}
    assert (case.step, case.level) == ("handling", "compound")
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "resolve", BUILDING_LEADER, at=A_MONTH_LATER + DAY, data=ANSWER)
    assert caught.value.guard == "acts_at_case_level"
    engine.fire(case, "table", COMPOUND_SECRETARY, at=A_MONTH_LATER + DAY, data=MEETING)
    assert case.level == "community"


# --------------------------------------------------------------------------- escalation


def test_a_hard_problem_is_referred_up_to_the_subdistrict(engine: Engine) -> None:
    """疑难问题再找街道: referred up, solved by the subdistrict, never tabled back down."""
    case = tabled(engine)
    engine.fire(case, "refer_up", COMMUNITY_SECRETARY, at=MONDAY + 10 * DAY)
    assert (case.step, case.level) == ("handling", "subdistrict")
    subdistrict_secretary = Actor(id="sd-secretary", roles={"secretary"}, levels={"subdistrict"})
    before = snapshot(case)
    with pytest.raises(GuardRefused, match="above the community") as caught:
        engine.fire(case, "table", subdistrict_secretary, at=MONDAY + 11 * DAY, data=MEETING)
    assert caught.value.guard == "meeting_recorded"
    assert snapshot(case) == before
    engine.fire(case, "resolve", SUBDISTRICT_OFFICER, at=MONDAY + 20 * DAY, data=ANSWER)
    engine.fire(case, "rate", RESIDENT, at=MONDAY + 21 * DAY, data={"rating": "satisfied"})
    assert case.is_closed
    assert case.events[-1].level == "subdistrict"


# --------------------------------------------------------------------------- rating


def test_an_unsatisfied_resident_reopens_the_handling(engine: Engine) -> None:
    """反馈 unsatisfied: the problem goes back to 处置 as a recorded event, its month afresh."""
    case = tabled(engine)
    engine.fire(case, "resolve", COMMUNITY_WORKER, at=MONDAY + 10 * DAY, data=ANSWER)
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "rate", RESIDENT, at=MONDAY + 11 * DAY, data={"rating": "unsatisfied"})
    assert caught.value.guard == "rating_closes"
    engine.fire(case, "reopen", RESIDENT, at=MONDAY + 11 * DAY, data={"rating": "unsatisfied"})
    assert (case.step, case.level) == ("handling", "community")
    assert case.deadlines["handling"].started_at == MONDAY + 11 * DAY
    assert case.deadlines["appraisal"].status is DeadlineStatus.MET
    engine.fire(case, "resolve", COMMUNITY_WORKER, at=MONDAY + 15 * DAY, data=ANSWER)
    engine.fire(case, "rate", RESIDENT, at=MONDAY + 16 * DAY, data={"rating": "satisfied"})
    assert case.is_closed
    assert [e.trigger for e in case.events].count("reopen") == 1


# --------------------------------------------------------------------------- refusals


def test_each_hand_does_its_own_part(engine: Engine) -> None:
    """Refusals by role: residents do not take problems up, buildings do not set the agenda."""
    case = collected(engine)
    before = snapshot(case)
    with pytest.raises(RoleRefused):
        engine.fire(case, "take_up", RESIDENT, at=MONDAY + HOUR)
    with pytest.raises(RoleRefused):
        engine.fire(case, "table", BUILDING_LEADER, at=MONDAY + HOUR, data=MEETING)
    assert snapshot(case) == before
    engine.fire(case, "take_up", BUILDING_LEADER, at=MONDAY + HOUR)
    engine.fire(case, "resolve", BUILDING_LEADER, at=MONDAY + DAY, data=ANSWER)
    before = snapshot(case)
    with pytest.raises(RoleRefused):
        engine.fire(
            case, "rate", BUILDING_LEADER, at=MONDAY + 2 * DAY, data={"rating": "satisfied"}
        )
    assert snapshot(case) == before


def test_the_building_cannot_close_what_the_meeting_holds(engine: Engine) -> None:
    """Refusal by level: once at the community, the building leader cannot report it solved."""
    case = tabled(engine)
    before = snapshot(case)
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "resolve", BUILDING_LEADER, at=MONDAY + 2 * DAY, data=ANSWER)
    assert caught.value.guard == "acts_at_case_level"
    assert snapshot(case) == before


@pytest.mark.parametrize("data", [None, {}, {"meeting": " "}, {"meeting": 12}])
def test_tabling_names_the_meeting(engine: Engine, data: Mapping[str, Any] | None) -> None:
    """The ledger says which monthly meeting took a problem up; without it nothing moves."""
    case = collected(engine)
    before = snapshot(case)
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "table", COMMUNITY_SECRETARY, at=MONDAY + DAY, data=data)
    assert caught.value.guard == "meeting_recorded"
    assert snapshot(case) == before


def test_a_duplicate_is_merged_with_an_answer(engine: Engine) -> None:
    """A problem already in the ledger is merged, never silently dropped."""
    case = collected(engine)
    with pytest.raises(GuardRefused, match="feedback"):
        engine.fire(case, "merge", BUILDING_LEADER, at=MONDAY + HOUR)
    answer = {"feedback": "与台账第12号问题合并办理，已告知"}
    engine.fire(case, "merge", BUILDING_LEADER, at=MONDAY + HOUR, data=answer)
    assert (case.step, case.is_closed) == ("merged", True)
    assert case.deadlines["monthly_meeting"].status is DeadlineStatus.MET


# --------------------------------------------------------------------------- invariant

EVERYONE = Actor(
    id="everyone",
    roles={
        "resident",
        "in_service_member",
        "household_leader",
        "building_leader",
        "grid_worker",
        "community_worker",
        "secretary",
        "subdistrict_officer",
    },
    levels={key for key, _, _ in LEVELS},
)
DATA: tuple[Mapping[str, Any] | None, ...] = (
    None,
    {"rating": "unsatisfied"},
    {"rating": "satisfied", **MEETING, **ANSWER},
    {"rating": "unsatisfied", **MEETING, **ANSWER},
)


@settings(max_examples=60, deadline=None)
@given(
    moves=st.lists(
        st.tuples(st.integers(0, 9), st.sampled_from(DATA), st.integers(0, 40 * 86_400)),
        max_size=30,
    )
)
def test_no_problem_vanishes_from_the_ledger(
    methods: Registry, moves: list[tuple[int, Any, int]]
) -> None:
    """Whatever is fired and however time passes, a problem is closed or shows a deadline."""
    engine = Engine.from_registry(methods, clock=ManualClock(MONDAY))
    case = collected(engine)
    for pick, data, seconds in moves:
        at = case.updated_at + timedelta(seconds=seconds)
        engine.tick(at)
        allowed = case.allowed_triggers()
        if not allowed:
            break
        with contextlib.suppress(TransitionRefused):
            engine.fire(case, allowed[pick % len(allowed)], EVERYONE, at=at, data=data)
        statuses = {state.status for state in case.deadlines.values()}
        assert case.is_closed or case.next_alarm is not None or DeadlineStatus.BREACHED in statuses
    assert engine.replay(case.events, track=False) == case
