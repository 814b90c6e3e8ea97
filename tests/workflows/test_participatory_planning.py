"""D10 参与式社区规划: five steps from opinions to operation; 524 projects, 96 excellent."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

import pytest

from civicgrid import (
    Actor,
    Case,
    DeadlineStatus,
    Engine,
    EventKind,
    GuardRefused,
    ManualClock,
    Registry,
    RoleRefused,
    build_registry,
    isolated_plugin_manager,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.plugins.builtin import participatory_planning
from civicgrid.plugins.builtin.participatory_planning import excellent_projects
from civicgrid.plugins.manager import BUILTIN_PLUGINS

PLUGIN = "civicgrid.participatory_planning"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
DAY = timedelta(days=1)
FIVE_STEPS_ZH = ["民意收集", "议题产生", "参与式设计", "项目评审", "实施运维"]
"""DOMAIN.md D10, in order."""

RESIDENT = Actor(id="resident-1", roles={"resident"})
COMMUNITY = Actor(id="community-1", roles={"community"})
PLANNER = Actor(id="planner-1", roles={"planner"})
REVIEWER = Actor(id="review-panel", roles={"reviewer"})


@pytest.fixture(scope="module")
def planning() -> Registry:
    """The built-ins with participatory planning, whether or not it is listed among them yet."""
    listed = any(name == PLUGIN for name, _ in BUILTIN_PLUGINS)
    extra = () if listed else ((PLUGIN, participatory_planning),)
    return build_registry(isolated_plugin_manager(*extra, builtins=True))


@pytest.fixture
def engine(planning: Registry) -> Engine:
    """An engine on a manual clock at Monday 23 November 2026, 09:00."""
    return Engine.from_registry(planning, clock=ManualClock(MONDAY))


def deliver(engine: Engine, *, excellent: bool, revise: bool = False) -> Case:
    """Take one project from collected opinions to operation, an hour a step."""
    case = engine.open("participatory_planning", actor=RESIDENT, data={"space": "顽童绿地"})
    steps = [("produce_topic", COMMUNITY), ("start_design", PLANNER), ("submit", PLANNER)]
    if revise:
        steps += [("revise", REVIEWER), ("submit", PLANNER)]
    steps += [("approve", REVIEWER)]
    at = case.opened_at
    for trigger, actor in steps:
        at += timedelta(hours=1)
        engine.fire(case, trigger, actor, at=at)
    engine.fire(case, "complete", COMMUNITY, at=at + DAY, data={"excellent": excellent})
    return case


def test_the_method_carries_the_five_steps_of_d10(planning: Registry) -> None:
    """Participatory planning is D10 with 民意收集 议题产生 参与式设计 项目评审 实施运维."""
    method = planning.method("participatory_planning")
    assert (method.label_zh, method.source) == ("参与式社区规划五步工作流程", "D10")
    assert [s.label_zh for s in method.steps[:5]] == FIVE_STEPS_ZH
    assert planning.method_plugins["participatory_planning"] == PLUGIN
    assert "524" in method.description_zh


def test_a_project_runs_the_five_steps_with_a_review_loop(engine: Engine) -> None:
    """Sent back once at review, the project is redesigned, approved and put into use."""
    case = deliver(engine, excellent=True, revise=True)
    assert case.step == "operating"
    assert case.is_closed
    visited = [case.method.step(e.target).label_zh for e in case.events]
    assert visited[:4] == FIVE_STEPS_ZH[:4]
    assert visited.count("参与式设计") == 2
    assert "实施运维" in visited
    assert {k: s.status for k, s in case.deadlines.items()} == {
        "topic_produced": DeadlineStatus.MET,
        "review_decided": DeadlineStatus.MET,
    }


def test_only_the_review_panel_approves(engine: Engine) -> None:
    """A planner cannot approve their own design; the case stays at review."""
    case = engine.open("participatory_planning", actor=PLANNER)
    for trigger in ("produce_topic", "start_design", "submit"):
        engine.fire(case, trigger, PLANNER)
    with pytest.raises(RoleRefused):
        engine.fire(case, "approve", PLANNER)
    assert case.step == "review"


def test_completing_needs_the_excellence_rating_recorded(engine: Engine) -> None:
    """Without data.excellent, or with a non-boolean, completion is refused and nothing moves."""
    case = engine.open("participatory_planning", actor=COMMUNITY)
    engine.fire(case, "produce_topic", COMMUNITY)
    engine.fire(case, "start_design", PLANNER)
    engine.fire(case, "submit", PLANNER)
    engine.fire(case, "approve", REVIEWER)
    for data in (None, {"excellent": "yes"}, {"excellent": 1}):
        with pytest.raises(GuardRefused, match=r"data\.excellent must be true or false") as caught:
            engine.fire(case, "complete", COMMUNITY, data=data)
        assert caught.value.guard == "excellence_recorded"
    assert case.step == "implement"
    engine.fire(case, "complete", COMMUNITY, data={"excellent": False})
    assert case.step == "operating"


def test_shelving_needs_feedback(engine: Engine) -> None:
    """A topic not taken up is answered: shelving without feedback is refused."""
    case = engine.open("participatory_planning", actor=RESIDENT)
    with pytest.raises(GuardRefused):
        engine.fire(case, "shelve", COMMUNITY)
    engine.fire(case, "shelve", COMMUNITY, data={"feedback": "该空间产权不属小区，已转街道"})
    assert case.step == "shelved"


def test_a_review_left_fifteen_working_days_is_breached(engine: Engine) -> None:
    """Submitted on Monday 23 November, the review is due on Monday 14 December, 09:00."""
    case = engine.open("participatory_planning", actor=PLANNER, at=MONDAY)
    for trigger in ("produce_topic", "start_design", "submit"):
        engine.fire(case, trigger, PLANNER, at=MONDAY)
    due = MONDAY + 21 * DAY
    assert case.deadlines["review_decided"].due == due
    breaches = [e for e in engine.tick(due + DAY) if e.kind is EventKind.BREACHED]
    assert [(e.trigger, e.at) for e in breaches] == [("review_decided", due)]


def test_chenghua_524_projects_96_rated_excellent(engine: Engine) -> None:
    """The share of excellent projects is read from the completing events: 96 of 524."""
    cases = [deliver(engine, excellent=n < 96) for n in range(524)]
    completed, excellent = excellent_projects(cases)
    assert (completed, excellent) == (524, 96)
    assert Fraction(excellent, completed) == Fraction(24, 131)
    assert round(100 * excellent / completed, 1) == 18.3
    other = engine.open("six_self", actor=RESIDENT)
    assert excellent_projects([*cases, other]) == (524, 96)
