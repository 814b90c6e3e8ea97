"""I3 "五事工作法" Five Matters (Wuhu), end to end on a manual clock."""

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
    Engine,
    EventKind,
    GuardRefused,
    LadderExhausted,
    ManualClock,
    Registry,
    Request,
    RequestDesk,
    RoleRefused,
    TransitionRefused,
    load_registry,
)
from civicgrid.plugins.builtin import five_matters

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)

FIVE_MATTERS_ZH = ["居民提事", "网格听事", "小区议事", "协同办事", "群众评事"]
"""DOMAIN.md I3, in order (seeds/000: 居民提事-网格听事-小区议事-协同办事-群众评事)."""
REQUESTS_IN_A_YEAR = 11_697
"""DOMAIN.md I3: requests and disputes Wuhu answered and settled in a year."""

RESIDENT = Actor(id="resident-1", roles={"resident"})
GRID_WORKER = Actor(id="grid-worker-1", roles={"grid_worker"}, levels={"grid"})
COMPOUND_SECRETARY = Actor(id="compound-secretary-1", roles={"secretary"}, levels={"compound"})
DELIBERATOR = Actor(id="deliberator-1", roles={"deliberator"}, levels={"compound"})
PROPERTY = Actor(id="property-1", roles={"property_manager"}, levels={"compound"})
COMMUNITY_WORKER = Actor(id="community-worker-1", roles={"community_worker"}, levels={"community"})
SUBDISTRICT_SECRETARY = Actor(id="subdistrict-1", roles={"secretary"}, levels={"subdistrict"})

RESOLUTION = {"resolution": "物业三日内清理楼道杂物，红色小管家监督"}
ANSWER = {"feedback": "楼道杂物已清理，请评价"}


@pytest.fixture(scope="module")
def methods(registry: Registry) -> Registry:
    """The built-ins, with Five Matters added while the built-in list does not name it yet."""
    if "five_matters" in registry.methods:
        return registry
    return load_registry(entry_points=False, plugins=[("civicgrid.five_matters", five_matters)])


@pytest.fixture
def engine(methods: Registry, clock: ManualClock) -> Engine:
    """An engine over the built-ins and Five Matters, on the manual clock."""
    return Engine.from_registry(methods, clock=clock)


def labels(case: Case) -> list[str]:
    """Return the Chinese labels of the steps a case has been in, in order, once each."""
    seen: list[str] = []
    for event in case.events:
        label = case.method.step(event.target).label_zh
        if not seen or seen[-1] != label:
            seen.append(label)
    return seen


def deliberating(engine: Engine, at: datetime = MONDAY) -> Case:
    """Return a matter raised at ``at``, heard an hour later and tabled at the compound."""
    case = engine.open("five_matters", actor=RESIDENT, at=at, data={"text": "楼道堆物"})
    engine.fire(case, "hear", GRID_WORKER, at=at + HOUR)
    engine.fire(case, "table", GRID_WORKER, at=at + 2 * HOUR)
    return case


def handling(engine: Engine, at: datetime = MONDAY) -> Case:
    """Return a matter the compound decided on the day after ``at``."""
    case = deliberating(engine, at)
    engine.fire(case, "agree", DELIBERATOR, at=at + DAY, data=RESOLUTION)
    return case


def snapshot(case: Case) -> tuple[object, ...]:
    """Return what a refusal must leave as it was."""
    return (case.step, case.level, case.assignee, len(case.events))


# --------------------------------------------------------------------------- the method


def test_five_matters_carries_the_steps_of_domain_i3(methods: Registry) -> None:
    """Five Matters is I3, its steps labelled 居民提事 网格听事 小区议事 协同办事 群众评事."""
    method = methods.methods["five_matters"]
    assert (method.label_zh, method.label_en, method.source) == (
        "五事工作法",
        "Five Matters",
        "I3",
    )
    assert [s.label_zh for s in method.steps[:5]] == FIVE_MATTERS_ZH
    assert [s.key for s in method.steps if s.terminal] == ["closed", "referred"]
    assert [level.key for level in method.escalation] == [key for key, _, _ in LEVELS]
    assert "11697" in method.description_zh


def test_a_matter_walks_the_five_matters_to_closed(engine: Engine, clock: ManualClock) -> None:
    """Raised, heard, deliberated at the compound, handled, appraised: closed, every limit met."""
    case = engine.open("five_matters", actor=RESIDENT, data={"text": "楼道堆物"})
    assert (case.step, case.level) == ("raised", "grid")
    clock.advance(HOUR)
    engine.fire(case, "hear", GRID_WORKER)
    clock.advance(DAY)
    engine.fire(case, "table", GRID_WORKER)
    assert case.level == "compound"
    clock.advance(7 * DAY)
    engine.fire(case, "agree", COMPOUND_SECRETARY, data=RESOLUTION)
    clock.advance(3 * DAY)
    engine.fire(case, "complete", PROPERTY, data=ANSWER)
    clock.advance(DAY)
    engine.fire(case, "rate", RESIDENT, data={"rating": "basically_satisfied"})
    assert case.is_closed
    assert labels(case) == [*FIVE_MATTERS_ZH, "办结"]
    assert [e.level for e in case.events] == ["grid", "grid"] + ["compound"] * 4
    assert {key: state.status for key, state in case.deadlines.items()} == {
        "hearing": DeadlineStatus.MET,
        "deliberation": DeadlineStatus.MET,
        "handling": DeadlineStatus.MET,
        "appraisal": DeadlineStatus.MET,
    }
    assert engine.tick(MONDAY + 400 * DAY) == []
    assert engine.replay(case.events, track=False) == case


def test_the_deliberation_power_lets_a_compound_organisation_decide(engine: Engine) -> None:
    """议事权 (DOMAIN.md O11): an actor holding the deliberation power may record the decision."""
    case = deliberating(engine)
    hall = Actor(id="red-hall-1", powers={"deliberation"}, levels={"compound"})
    engine.fire(case, "agree", hall, at=MONDAY + DAY, data=RESOLUTION)
    assert case.step == "handling"


# --------------------------------------------------------------------------- deadlines


def test_the_hearing_limit_breaches_one_second_after_five_working_days(engine: Engine) -> None:
    """Raised on a Monday at 09:00: not late at the next Monday 09:00, late one second after."""
    case = engine.open("five_matters", actor=RESIDENT, at=MONDAY)
    due = MONDAY + 7 * DAY
    assert case.deadlines["hearing"].due == due
    [warning] = engine.tick(due)
    assert (warning.kind, warning.at) == (EventKind.WARNED, MONDAY + 4 * DAY)
    assert case.deadlines["hearing"].status is DeadlineStatus.RUNNING
    [breach] = engine.tick(due + SECOND)
    assert (breach.kind, breach.at, breach.trigger) == (EventKind.BREACHED, due, "hearing")
    assert breach.data == {"action": "notify"}
    assert (case.step, case.level) == ("raised", "grid")


def test_tabling_at_exactly_the_hearing_limit_meets_it(engine: Engine) -> None:
    """A deadline is met when stopped at its due instant, late one second after."""
    on_time = engine.open("five_matters", actor=RESIDENT, at=MONDAY)
    late = engine.open("five_matters", actor=RESIDENT, at=MONDAY)
    due = MONDAY + 7 * DAY
    for case in (on_time, late):
        engine.fire(case, "hear", GRID_WORKER, at=MONDAY + HOUR)
    engine.fire(on_time, "table", GRID_WORKER, at=due)
    engine.fire(late, "table", GRID_WORKER, at=due + SECOND)
    assert on_time.deadlines["hearing"].status is DeadlineStatus.MET
    assert late.deadlines["hearing"].status is DeadlineStatus.BREACHED
    assert [e.kind for e in late.events][-2:] == [EventKind.BREACHED, EventKind.TRANSITION]


def test_a_month_without_a_decision_moves_the_matter_to_the_community(engine: Engine) -> None:
    """小区议事 has a calendar month: at exactly the month nothing moves, then it climbs."""
    case = deliberating(engine)
    started = MONDAY + 2 * HOUR
    due = datetime(2026, 12, 23, 11, 0, tzinfo=DEFAULT_TZ)
    assert case.deadlines["deliberation"].due == due
    assert [e.kind for e in engine.tick(due)] == [EventKind.WARNED]
    assert case.level == "compound"
    [breach] = engine.tick(due + SECOND)
    assert (breach.trigger, breach.at, breach.level) == ("deliberation", due, "community")
    assert breach.data == {"action": "escalate", "escalated": True}
    assert (case.step, case.level) == ("deliberation", "community")
    assert case.deadlines["deliberation"].started_at == started


def test_a_matter_is_referred_up_to_the_subdistrict(engine: Engine) -> None:
    """The compound refers up to the community, the community to the subdistrict, then no higher."""
    case = deliberating(engine)
    engine.fire(case, "refer_up", COMPOUND_SECRETARY, at=MONDAY + DAY)
    assert case.level == "community"
    engine.fire(case, "refer_up", COMMUNITY_WORKER, at=MONDAY + 2 * DAY)
    assert (case.step, case.level) == ("deliberation", "subdistrict")
    before = snapshot(case)
    with pytest.raises(LadderExhausted):
        engine.fire(case, "refer_up", SUBDISTRICT_SECRETARY, at=MONDAY + 3 * DAY)
    assert snapshot(case) == before
    engine.fire(case, "agree", SUBDISTRICT_SECRETARY, at=MONDAY + 4 * DAY, data=RESOLUTION)
    engine.fire(case, "complete", SUBDISTRICT_SECRETARY, at=MONDAY + 9 * DAY, data=ANSWER)
    engine.fire(case, "rate", RESIDENT, at=MONDAY + 10 * DAY, data={"rating": "satisfied"})
    assert case.is_closed
    assert case.events[-1].level == "subdistrict"


# --------------------------------------------------------------------------- rating


def test_an_unsatisfied_appraisal_reopens_the_joint_handling(engine: Engine) -> None:
    """群众评事 unsatisfied: ``rate`` is refused, ``reopen`` goes back to 协同办事, recorded."""
    case = handling(engine)
    engine.fire(case, "complete", PROPERTY, at=MONDAY + 3 * DAY, data=ANSWER)
    first_round = case.deadlines["handling"]
    unsatisfied = {"rating": "unsatisfied"}
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "rate", RESIDENT, at=MONDAY + 4 * DAY, data=unsatisfied)
    assert caught.value.guard == "rating_closes"
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "reopen", RESIDENT, at=MONDAY + 4 * DAY, data={"rating": "satisfied"})
    assert caught.value.guard == "rating_reopens"
    engine.fire(case, "reopen", RESIDENT, at=MONDAY + 4 * DAY, data=unsatisfied)
    assert (case.step, case.current_step.label_zh) == ("handling", "协同办事")
    assert case.events[-1].data == unsatisfied
    assert case.deadlines["appraisal"].status is DeadlineStatus.MET
    assert first_round.status is DeadlineStatus.MET
    assert case.deadlines["handling"] is not first_round
    assert case.deadlines["handling"].started_at == MONDAY + 4 * DAY
    engine.fire(case, "complete", PROPERTY, at=MONDAY + 6 * DAY, data=ANSWER)
    engine.fire(case, "rate", RESIDENT, at=MONDAY + 7 * DAY, data={"rating": "satisfied"})
    assert case.is_closed
    triggers = [e.trigger for e in case.events if e.kind is EventKind.TRANSITION]
    assert Counter(triggers)["reopen"] == 1


@pytest.mark.parametrize("rating", [None, "great", 5, ""])
def test_a_rating_outside_the_three_verdicts_is_refused(engine: Engine, rating: object) -> None:
    """A verdict other than the three is refused and changes nothing."""
    case = handling(engine)
    engine.fire(case, "complete", PROPERTY, at=MONDAY + 3 * DAY, data=ANSWER)
    before = snapshot(case)
    with pytest.raises(GuardRefused, match=r"data\.rating must be one of"):
        engine.fire(case, "rate", RESIDENT, at=MONDAY + 4 * DAY, data={"rating": rating})
    assert snapshot(case) == before


# --------------------------------------------------------------------------- refusals


def test_only_the_grid_hears_only_the_compound_decides_only_residents_rate(
    engine: Engine,
) -> None:
    """Refusals by role: a resident cannot hear, a property manager cannot decide, nor rate."""
    raised = engine.open("five_matters", actor=RESIDENT, at=MONDAY)
    before = snapshot(raised)
    with pytest.raises(RoleRefused) as caught:
        engine.fire(raised, "hear", RESIDENT, at=MONDAY + HOUR)
    assert caught.value.actor == RESIDENT
    assert snapshot(raised) == before
    case = deliberating(engine)
    before = snapshot(case)
    with pytest.raises(RoleRefused):
        engine.fire(case, "agree", PROPERTY, at=MONDAY + DAY, data=RESOLUTION)
    assert snapshot(case) == before
    engine.fire(case, "agree", DELIBERATOR, at=MONDAY + DAY, data=RESOLUTION)
    engine.fire(case, "complete", PROPERTY, at=MONDAY + 2 * DAY, data=ANSWER)
    before = snapshot(case)
    with pytest.raises(RoleRefused):
        engine.fire(case, "rate", PROPERTY, at=MONDAY + 3 * DAY, data={"rating": "satisfied"})
    assert snapshot(case) == before


def test_the_grid_cannot_act_once_the_matter_is_at_the_compound(engine: Engine) -> None:
    """Refusal by level: a grid worker may complete a handling, but not one held by the compound."""
    case = handling(engine)
    before = snapshot(case)
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "complete", GRID_WORKER, at=MONDAY + 2 * DAY, data=ANSWER)
    assert caught.value.guard == "acts_at_case_level"
    assert "compound" in str(caught.value)
    assert snapshot(case) == before


def test_the_compound_cannot_decide_a_matter_referred_to_the_community(engine: Engine) -> None:
    """Refusal by level: once referred up, the compound's secretary no longer decides it."""
    case = deliberating(engine)
    engine.fire(case, "refer_up", COMPOUND_SECRETARY, at=MONDAY + DAY)
    before = snapshot(case)
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "agree", COMPOUND_SECRETARY, at=MONDAY + 2 * DAY, data=RESOLUTION)
    assert caught.value.guard == "acts_at_case_level"
    assert snapshot(case) == before
    community_secretary = Actor(
        id="community-secretary-1", roles={"secretary"}, levels={"community"}
    )
    engine.fire(case, "agree", community_secretary, at=MONDAY + 2 * DAY, data=RESOLUTION)
    assert case.step == "handling"


@pytest.mark.parametrize("data", [None, {}, {"resolution": "  "}, {"resolution": 3}])
def test_a_decision_must_be_written_down(engine: Engine, data: Mapping[str, Any] | None) -> None:
    """小区议事 records what it decided (data.resolution); without it nothing moves."""
    case = deliberating(engine)
    before = snapshot(case)
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "agree", DELIBERATOR, at=MONDAY + DAY, data=data)
    assert caught.value.guard == "resolution_recorded"
    assert snapshot(case) == before


def test_handling_is_not_done_until_the_residents_are_told(engine: Engine) -> None:
    """Residents appraise what they were told: completing without an answer is refused."""
    case = handling(engine)
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "complete", PROPERTY, at=MONDAY + 2 * DAY, data={"feedback": " "})
    assert caught.value.guard == "feedback_given"
    assert case.step == "handling"


def test_a_matter_for_someone_else_is_referred_with_an_answer(engine: Engine) -> None:
    """Not a compound matter: referred out with an answer, a recorded outcome that ends the case."""
    case = engine.open("five_matters", actor=RESIDENT, at=MONDAY)
    engine.fire(case, "hear", GRID_WORKER, at=MONDAY + HOUR)
    with pytest.raises(GuardRefused, match="feedback"):
        engine.fire(case, "refer_out", GRID_WORKER, at=MONDAY + DAY)
    answer = {"feedback": "属于燃气公司维修范围，已转燃气公司并告知居民"}
    engine.fire(case, "refer_out", GRID_WORKER, at=MONDAY + DAY, data=answer)
    assert (case.step, case.current_step.label_zh) == ("referred", "转交办理（已答复）")
    assert case.is_closed
    assert case.deadlines["hearing"].status is DeadlineStatus.MET


def test_a_matter_opened_at_the_community_is_heard_there_and_tabled_at_the_compound(
    engine: Engine,
) -> None:
    """A dispatcher may open a matter at the community: its worker hears it, the grid cannot."""
    case = engine.open("five_matters", actor=RESIDENT, at=MONDAY, level="community")
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "hear", GRID_WORKER, at=MONDAY + HOUR)
    assert caught.value.guard == "acts_at_case_level"
    engine.fire(case, "hear", COMMUNITY_WORKER, at=MONDAY + HOUR)
    engine.fire(case, "table", COMMUNITY_WORKER, at=MONDAY + 2 * HOUR)
    assert (case.step, case.level) == ("deliberation", "compound")


# --------------------------------------------------------------------------- a year in Wuhu


def test_a_simulated_year_answers_all_11697_requests(methods: Registry) -> None:
    """A year of 11,697 requests via the desk: each ends in a recorded outcome, none late."""
    new_year = datetime(2026, 1, 1, 8, 0, tzinfo=DEFAULT_TZ)
    clock = ManualClock(new_year)
    engine = Engine.from_registry(methods, clock=clock)
    desk = RequestDesk(engine, method="five_matters")
    channels = (Channel.RESIDENT_REPORT, Channel.GRID_PATROL, Channel.MEETING, Channel.LINK_CARD)
    spacing = timedelta(days=365) / REQUESTS_IN_A_YEAR
    for number in range(REQUESTS_IN_A_YEAR):
        clock.set(new_year + number * spacing)
        at = clock.now()
        request = Request(
            id=f"wuhu-{number:05d}",
            channel=channels[number % len(channels)],
            text="小区停车难，请求协调",
            submitted_at=at,
        )
        case = desk.receive(request, actor=GRID_WORKER)
        engine.fire(case, "hear", GRID_WORKER, at=at + HOUR)
        if number % 25 == 0:
            answer = {"feedback": "已转交城管部门并告知居民"}
            engine.fire(case, "refer_out", GRID_WORKER, at=at + 2 * HOUR, data=answer)
            continue
        engine.fire(case, "table", GRID_WORKER, at=at + 2 * HOUR)
        engine.fire(case, "agree", DELIBERATOR, at=at + DAY, data=RESOLUTION)
        engine.fire(case, "complete", PROPERTY, at=at + 2 * DAY, data=ANSWER)
        if number % 10 == 1:
            engine.fire(case, "reopen", RESIDENT, at=at + 3 * DAY, data={"rating": "unsatisfied"})
            engine.fire(case, "complete", PROPERTY, at=at + 4 * DAY, data=ANSWER)
        engine.fire(case, "rate", RESIDENT, at=at + 5 * DAY, data={"rating": "satisfied"})
    clock.advance(60 * DAY)
    assert engine.tick() == []
    assert len(desk) == REQUESTS_IN_A_YEAR
    outcomes = Counter(case.step for case in desk)
    assert outcomes == {"closed": 11_229, "referred": 468}
    assert sum(outcomes.values()) == REQUESTS_IN_A_YEAR
    assert all(case.is_closed and case.next_alarm is None for case in desk)
    reopened = sum(1 for case in desk for e in case.events if e.trigger == "reopen")
    assert reopened == 1_170
    opened = [case.events[0] for case in desk]
    assert Counter(e.data["channel"] for e in opened if e.data) == {
        channel.value: 2_925 if channel is Channel.RESIDENT_REPORT else 2_924
        for channel in channels
    }
    assert opened[-1].at < datetime(2027, 1, 1, 8, 0, tzinfo=DEFAULT_TZ)


# --------------------------------------------------------------------------- invariant

EVERYONE = Actor(
    id="everyone",
    roles={
        "resident",
        "grid_worker",
        "grid_leader",
        "secretary",
        "deliberator",
        "red_steward",
        "property_manager",
        "community_worker",
    },
    levels={key for key, _, _ in LEVELS},
)
DATA: tuple[Mapping[str, Any] | None, ...] = (
    None,
    {"rating": "unsatisfied"},
    {"rating": "satisfied", **RESOLUTION, **ANSWER},
    {**RESOLUTION, **ANSWER, "rating": "unsatisfied"},
)


@settings(max_examples=60, deadline=None)
@given(
    moves=st.lists(
        st.tuples(st.integers(0, 9), st.sampled_from(DATA), st.integers(0, 40 * 86_400)),
        max_size=30,
    )
)
def test_no_matter_vanishes(methods: Registry, moves: list[tuple[int, Any, int]]) -> None:
    """Whatever is fired and however time passes, a matter is closed or shows a deadline."""
    engine = Engine.from_registry(methods, clock=ManualClock(MONDAY))
    case = engine.open("five_matters", actor=RESIDENT, at=MONDAY)
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
        assert case.level in {key for key, _, _ in LEVELS}
    assert engine.replay(case.events, track=False) == case
