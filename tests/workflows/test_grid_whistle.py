"""I5 "网格呼叫—部门报到—街道处置" Grid Whistle (Chenghua), end to end on a manual clock."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    DEFAULT_TZ,
    LEVELS,
    Actor,
    Case,
    Channel,
    DeadlineStatus,
    Dispatch,
    Engine,
    EventKind,
    GuardRefused,
    ManualClock,
    Refusal,
    Registry,
    Request,
    RequestDesk,
    RoleRefused,
    TransitionRefused,
    load_registry,
)
from civicgrid.plugins.builtin import grid_whistle
from civicgrid.plugins.builtin.grid_whistle import (
    called_departments,
    departments_named,
    reported_departments,
)

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)

LOOP_ZH = ["网格呼叫", "部门报到", "街道处置"]
"""DOMAIN.md I5, in order (seeds/003: "网格呼叫—部门报到—街道处置")."""

RESIDENT = Actor(id="resident-1", roles={"resident"})
GRID_WORKER = Actor(id="grid-worker-1", roles={"grid_worker"}, levels={"grid"})
MICRO_GRID_WORKER = Actor(id="micro-grid-worker-1", roles={"micro_grid_worker"}, levels={"grid"})
SUBDISTRICT = Actor(id="subdistrict-1", roles={"subdistrict_officer"}, levels={"subdistrict"})

CALLED = {"departments": ["市场监管所", "城管执法中队", "派出所"]}
REPORTED = {"departments": ["市场监管所", "城管执法中队"]}
ANSWER = {"feedback": "占道经营已清理，已答复居民"}


@pytest.fixture(scope="module")
def methods(registry: Registry) -> Registry:
    """The built-ins, with the grid whistle added while the built-in list does not name it yet."""
    if "grid_whistle" in registry.methods:
        return registry
    return load_registry(entry_points=False, plugins=[("civicgrid.grid_whistle", grid_whistle)])


@pytest.fixture
def engine(methods: Registry, clock: ManualClock) -> Engine:
    """An engine over the built-ins and the grid whistle, on the manual clock."""
    return Engine.from_registry(methods, clock=clock)


def snapshot(case: Case) -> tuple[object, ...]:
    """Return what a refusal must leave as it was."""
    return (case.step, case.level, case.assignee, len(case.events))


def called(engine: Engine, at: datetime = MONDAY) -> Case:
    """Return a matter raised at ``at`` that the grid whistled for an hour later."""
    case = engine.open("grid_whistle", actor=RESIDENT, at=at, data={"text": "路口占道经营"})
    engine.fire(case, "call", GRID_WORKER, at=at + HOUR, data=CALLED)
    return case


def handled(engine: Engine, at: datetime = MONDAY) -> Case:
    """Return a whistled matter whose departments reported in three hours after ``at``."""
    case = called(engine, at)
    engine.fire(case, "report_in", SUBDISTRICT, at=at + 3 * HOUR, data=REPORTED)
    return case


# --------------------------------------------------------------------------- the method


def test_grid_whistle_carries_the_loop_of_domain_i5(methods: Registry) -> None:
    """The method is I5: the call, the reporting in and the subdistrict's handling, in order."""
    method = methods.methods["grid_whistle"]
    assert (method.label_zh, method.source) == ("网格呼叫—部门报到—街道处置", "I5")
    by_trigger = {t.trigger: t for t in method.transitions}
    assert [by_trigger["call"].label_zh, by_trigger["report_in"].label_zh] == LOOP_ZH[:2]
    assert method.step("handling").label_zh == LOOP_ZH[2]
    assert [level.key for level in method.escalation] == [key for key, _, _ in LEVELS]
    assert method.initial == "in_grid"


def test_a_whistled_matter_walks_the_loop_to_closed(engine: Engine, clock: ManualClock) -> None:
    """The grid calls, two of three departments report in, the subdistrict handles, closed."""
    case = engine.open("grid_whistle", actor=RESIDENT, data={"text": "路口占道经营"})
    assert (case.current_step.label_zh, case.level) == ("网格受理", "grid")
    clock.advance(HOUR)
    engine.fire(case, "call", MICRO_GRID_WORKER, data=CALLED)
    assert (case.current_step.label_zh, case.level) == ("网格呼叫", "subdistrict")
    clock.advance(2 * HOUR)
    engine.fire(case, "report_in", SUBDISTRICT, data=REPORTED)
    assert case.current_step.label_zh == "街道处置"
    clock.advance(2 * DAY)
    engine.fire(case, "resolve", SUBDISTRICT, data=ANSWER)
    clock.advance(DAY)
    engine.fire(case, "rate", RESIDENT, data={"rating": "satisfied"})
    assert case.is_closed
    transitions = [e for e in case.events if e.kind is EventKind.TRANSITION]
    labels = [case.method.step(e.target).label_zh for e in case.events]
    assert labels == ["网格受理", "网格呼叫", "街道处置", "群众评价", "办结"]
    assert [e.trigger for e in transitions] == ["call", "report_in", "resolve", "rate"]
    assert [e.level for e in case.events] == ["grid"] + ["subdistrict"] * 4
    assert called_departments(case) == ("市场监管所", "城管执法中队", "派出所")
    assert reported_departments(case) == ("市场监管所", "城管执法中队")
    assert {key: state.status for key, state in case.deadlines.items()} == {
        "resolution": DeadlineStatus.MET,
        "report_in": DeadlineStatus.MET,
        "appraisal": DeadlineStatus.MET,
    }
    assert engine.tick(MONDAY + 100 * DAY) == []
    assert engine.replay(case.events, track=False) == case


def test_a_small_matter_does_not_leave_the_grid(engine: Engine) -> None:
    """小事不出网格: settled and rated in the grid, the closing event is at level grid."""
    case = engine.open("grid_whistle", actor=GRID_WORKER, at=MONDAY)
    engine.fire(case, "resolve", GRID_WORKER, at=MONDAY + 2 * HOUR, data=ANSWER)
    engine.fire(case, "rate", RESIDENT, at=MONDAY + DAY, data={"rating": "basically_satisfied"})
    assert case.is_closed
    assert {e.level for e in case.events} == {"grid"}
    assert called_departments(case) == reported_departments(case) == ()


def test_a_matter_dispatched_to_the_community_is_settled_or_whistled_there(
    engine: Engine,
) -> None:
    """Opened at the community by a dispatcher, the community worker acts, the grid worker not."""
    community_worker = Actor(id="cw-1", roles={"community_worker"}, levels={"community"})
    desk = RequestDesk(
        engine,
        method="grid_whistle",
        classify=lambda _request: Dispatch(category="噪声", level="community"),
    )
    request = Request(
        id="r-1", channel=Channel.HOTLINE_12345, text="夜间施工噪声扰民", submitted_at=MONDAY
    )
    case = desk.receive(request, actor=RESIDENT)
    assert (case.step, case.level) == ("in_grid", "community")
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "call", GRID_WORKER, at=MONDAY + HOUR, data=CALLED)
    assert caught.value.guard == "acts_at_case_level"
    engine.fire(case, "call", community_worker, at=MONDAY + HOUR, data=CALLED)
    assert case.level == "subdistrict"


# --------------------------------------------------------------------------- reporting in


def test_departments_report_in_within_24_hours_of_the_call(engine: Engine) -> None:
    """At exactly 24 hours nothing is late; one second after, the breach is recorded at 24 hours."""
    case = called(engine)
    call = MONDAY + HOUR
    due = call + 24 * HOUR
    assert case.deadlines["report_in"].due == due
    [warning] = engine.tick(due)
    assert (warning.kind, warning.at, warning.trigger) == (
        EventKind.WARNED,
        call + 12 * HOUR,
        "report_in",
    )
    [breach] = engine.tick(due + SECOND)
    assert (breach.kind, breach.at, breach.trigger) == (EventKind.BREACHED, due, "report_in")
    assert breach.data == {"action": "notify"}
    assert (case.step, case.level) == ("called", "subdistrict")


def test_reporting_in_at_exactly_24_hours_is_on_time(engine: Engine) -> None:
    """A roll-call at the due instant meets the limit; one second later it is recorded late."""
    on_time, late = called(engine), called(engine)
    due = MONDAY + 25 * HOUR
    engine.fire(on_time, "report_in", SUBDISTRICT, at=due, data=REPORTED)
    engine.fire(late, "report_in", SUBDISTRICT, at=due + SECOND, data=REPORTED)
    assert on_time.deadlines["report_in"].status is DeadlineStatus.MET
    assert late.deadlines["report_in"].status is DeadlineStatus.BREACHED
    assert late.step == on_time.step == "handling"


def test_the_report_in_limit_runs_through_the_weekend(engine: Engine) -> None:
    """A whistle is also for emergencies: called on Friday night, due on Saturday night."""
    friday = datetime(2026, 11, 27, 20, 0, tzinfo=DEFAULT_TZ)
    case = engine.open("grid_whistle", actor=RESIDENT, at=friday)
    engine.fire(case, "call", GRID_WORKER, at=friday, data=CALLED)
    assert case.deadlines["report_in"].due == friday + DAY
    # The overall limit counts working days: fifteen of them from Friday night.
    assert case.deadlines["resolution"].due == datetime(2026, 12, 18, 20, 0, tzinfo=DEFAULT_TZ)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (None, "must be a non-empty list"),
        ({"departments": []}, "must be a non-empty list"),
        ({"departments": "市场监管所"}, "must be a non-empty list"),
        ({"departments": ["市场监管所", " "]}, "not a department name"),
        ({"departments": ["市场监管所", 7]}, "not a department name"),
        ({"departments": ["派出所", "派出所 "]}, "names '派出所' twice"),
    ],
)
def test_a_call_must_name_the_departments_it_summons(
    engine: Engine, data: Mapping[str, Any] | None, reason: str
) -> None:
    """No anonymous whistle: the call names each department once; otherwise nothing moves."""
    case = engine.open("grid_whistle", actor=RESIDENT, at=MONDAY)
    before = snapshot(case)
    with pytest.raises(GuardRefused, match=reason) as caught:
        engine.fire(case, "call", GRID_WORKER, at=MONDAY + HOUR, data=data)
    assert caught.value.guard == "departments_called"
    assert snapshot(case) == before


def test_only_departments_that_were_called_can_be_recorded_as_reporting_in(
    engine: Engine,
) -> None:
    """The roll-call records who reported in; a department nobody called is refused by name."""
    case = called(engine)
    before = snapshot(case)
    with pytest.raises(GuardRefused, match="住建局 reported in but was not called") as caught:
        engine.fire(
            case,
            "report_in",
            SUBDISTRICT,
            at=MONDAY + 2 * HOUR,
            data={"departments": ["市场监管所", "住建局"]},
        )
    assert caught.value.guard == "departments_reported"
    assert "住建局 未被呼叫却登记报到" in str(caught.value.message_zh)
    with pytest.raises(GuardRefused, match="non-empty list"):
        engine.fire(case, "report_in", SUBDISTRICT, at=MONDAY + 2 * HOUR, data={})
    assert snapshot(case) == before
    engine.fire(
        case, "report_in", SUBDISTRICT, at=MONDAY + 2 * HOUR, data={"departments": ["派出所"]}
    )
    assert case.events[-1].data == {"departments": ["派出所"]}
    missing = set(called_departments(case)) - set(reported_departments(case))
    assert missing == {"市场监管所", "城管执法中队"}


def test_department_names_are_read_without_surrounding_blanks() -> None:
    """``departments_named`` gives a tuple of trimmed names and refuses anything else."""
    assert departments_named({"departments": [" 派出所", "城管执法中队 "]}) == (
        "派出所",
        "城管执法中队",
    )
    with pytest.raises(Refusal):
        departments_named({"departments": ("派出所", None)})


# --------------------------------------------------------------------------- refusals


def test_residents_do_not_whistle_and_the_grid_does_not_take_the_roll(engine: Engine) -> None:
    """Refusals by role: a resident cannot call, a grid worker cannot record the reporting in."""
    case = engine.open("grid_whistle", actor=RESIDENT, at=MONDAY)
    before = snapshot(case)
    with pytest.raises(RoleRefused):
        engine.fire(case, "call", RESIDENT, at=MONDAY + HOUR, data=CALLED)
    assert snapshot(case) == before
    case = called(engine)
    before = snapshot(case)
    with pytest.raises(RoleRefused) as caught:
        engine.fire(case, "report_in", GRID_WORKER, at=MONDAY + 2 * HOUR, data=REPORTED)
    assert caught.value.actor == GRID_WORKER
    assert snapshot(case) == before


def test_the_grid_cannot_settle_what_it_whistled_up(engine: Engine) -> None:
    """Refusal by level: once called up, the subdistrict settles it, not the grid worker."""
    case = handled(engine)
    before = snapshot(case)
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "resolve", GRID_WORKER, at=MONDAY + DAY, data=ANSWER)
    assert caught.value.guard == "acts_at_case_level"
    assert snapshot(case) == before


# --------------------------------------------------------------------------- rating


def test_an_unsatisfied_resident_sends_the_matter_back_to_the_grid(engine: Engine) -> None:
    """Reopened after a poor rating, the loop starts again in the grid, which whistles again."""
    case = handled(engine)
    engine.fire(case, "resolve", SUBDISTRICT, at=MONDAY + DAY, data=ANSWER)
    first = case.deadlines["resolution"]
    reopened_at = MONDAY + 2 * DAY
    engine.fire(case, "reopen", RESIDENT, at=reopened_at, data={"rating": "unsatisfied"})
    assert (case.step, case.level) == ("in_grid", "grid")
    assert case.events[-1].data == {"rating": "unsatisfied"}
    assert first.status is DeadlineStatus.MET
    assert case.deadlines["resolution"].started_at == reopened_at
    again = {"departments": ["住建局"]}
    engine.fire(case, "call", GRID_WORKER, at=reopened_at + HOUR, data=again)
    assert called_departments(case) == ("住建局",)
    assert reported_departments(case) == ()
    engine.fire(case, "report_in", SUBDISTRICT, at=reopened_at + 2 * HOUR, data=again)
    engine.fire(case, "resolve", SUBDISTRICT, at=reopened_at + DAY, data=ANSWER)
    engine.fire(case, "rate", RESIDENT, at=reopened_at + 2 * DAY, data={"rating": "satisfied"})
    assert case.is_closed
    triggers = Counter(e.trigger for e in case.events if e.kind is EventKind.TRANSITION)
    assert (triggers["reopen"], triggers["call"], triggers["report_in"]) == (1, 2, 2)
    assert engine.replay(case.events, track=False) == case


# --------------------------------------------------------------------------- invariant

EVERYONE = Actor(
    id="everyone",
    roles={"resident", "grid_worker", "micro_grid_worker", "grid_leader", "subdistrict_officer"},
    levels={key for key, _, _ in LEVELS},
)
DATA: tuple[Mapping[str, Any] | None, ...] = (
    None,
    {"rating": "unsatisfied", **CALLED},
    {"rating": "satisfied", **CALLED, **ANSWER},
    {"rating": "unsatisfied", **REPORTED, **ANSWER},
    {"departments": ["住建局"]},
)


@settings(max_examples=60, deadline=None)
@given(
    moves=st.lists(
        st.tuples(st.integers(0, 9), st.sampled_from(DATA), st.integers(0, 5 * 86_400)),
        max_size=30,
    )
)
def test_no_whistled_matter_vanishes(methods: Registry, moves: list[tuple[int, Any, int]]) -> None:
    """Whatever is fired and however time passes, a matter is closed or shows a deadline."""
    engine = Engine.from_registry(methods, clock=ManualClock(MONDAY))
    case = engine.open("grid_whistle", actor=RESIDENT, at=MONDAY)
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
        assert set(reported_departments(case)) <= set(called_departments(case))
    assert engine.replay(case.events, track=False) == case
