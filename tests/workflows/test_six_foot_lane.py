"""D8 六尺巷工作法: 听、辨、劝、借、让、和 — settled only when each party gives way."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

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
    build_registry,
    isolated_plugin_manager,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.plugins.builtin import six_foot_lane
from civicgrid.plugins.manager import BUILTIN_PLUGINS

PLUGIN = "civicgrid.six_foot_lane"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
HOUR = timedelta(hours=1)
SIX_STEPS_ZH = ["听", "辨", "劝", "借", "让", "和"]
"""Tongcheng's 六尺巷调解法, in order."""

ZHANG = Actor(id="zhang", roles={"party"})
MEDIATOR = Actor(id="mediator-1", roles={"mediator"})
ELDER = Actor(id="elder-1", roles={"helper"})
BOTH_GIVE_WAY = {"concessions": {"zhang": "院墙后退三尺", "wu": "院墙后退三尺"}}


@pytest.fixture(scope="module")
def lane() -> Registry:
    """The built-ins with the Six-Foot Lane method, whether or not it is listed among them yet."""
    listed = any(name == PLUGIN for name, _ in BUILTIN_PLUGINS)
    extra = () if listed else ((PLUGIN, six_foot_lane),)
    return build_registry(isolated_plugin_manager(*extra, builtins=True))


@pytest.fixture
def engine(lane: Registry) -> Engine:
    """An engine on a manual clock at Monday 23 November 2026, 09:00."""
    return Engine.from_registry(lane, clock=ManualClock(MONDAY))


def to_concession(engine: Engine, *, enlist: bool = True) -> Case:
    """Open a boundary-wall dispute and bring it to the proposal of mutual concessions."""
    case = engine.open("six_foot_lane", actor=ZHANG, at=MONDAY, data={"about": "宅基地院墙"})
    engine.fire(case, "hear", MEDIATOR, at=MONDAY + HOUR)
    engine.fire(case, "clarify", MEDIATOR, at=MONDAY + 2 * HOUR)
    if enlist:
        engine.fire(case, "enlist", MEDIATOR, at=MONDAY + 3 * HOUR)
        engine.fire(case, "propose", ELDER, at=MONDAY + 4 * HOUR)
    else:
        engine.fire(case, "propose", MEDIATOR, at=MONDAY + 4 * HOUR)
    return case


def test_the_method_carries_the_six_steps(lane: Registry) -> None:
    """The Six-Foot Lane method is D8, its steps 听 辨 劝 借 让 和, credited to its plugin."""
    method = lane.method("six_foot_lane")
    assert (method.label_zh, method.label_en, method.source) == (
        "六尺巷工作法",
        "Six-Foot Lane method",
        "D8",
    )
    assert [s.label_zh for s in method.steps[:6]] == SIX_STEPS_ZH
    assert [s.key for s in method.steps if s.terminal] == ["reconcile", "unresolved"]
    assert lane.method_plugins["six_foot_lane"] == PLUGIN


def test_a_dispute_is_settled_when_each_side_gives_way(engine: Engine) -> None:
    """Heard, discerned, persuaded, elders enlisted, both concede three feet: 和."""
    case = to_concession(engine)
    engine.fire(case, "settle", MEDIATOR, at=MONDAY + 5 * HOUR, data=BOTH_GIVE_WAY)
    assert case.step == "reconcile"
    assert case.is_closed
    visited = [case.method.step(e.target).label_zh for e in case.events]
    assert visited == SIX_STEPS_ZH
    assert case.events[-1].data == BOTH_GIVE_WAY
    assert {k: s.status for k, s in case.deadlines.items()} == {
        "heard": DeadlineStatus.MET,
        "mediation": DeadlineStatus.MET,
    }


def test_persuasion_alone_may_lead_to_concessions(engine: Engine) -> None:
    """借 is taken only when needed: persuaded parties go straight to 让."""
    case = to_concession(engine, enlist=False)
    assert [case.method.step(e.target).label_zh for e in case.events] == ["听", "辨", "劝", "让"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (None, "data.concessions must map each party"),
        ({"concessions": ["zhang"]}, "data.concessions must map each party"),
        ({"concessions": {"zhang": "让三尺"}}, "concessions by at least two parties needed, got 1"),
        ({"concessions": {"zhang": "让三尺", "wu": " "}}, "no concession recorded for: wu"),
    ],
)
def test_a_one_sided_settlement_is_refused(
    engine: Engine, data: dict[str, Any] | None, reason: str
) -> None:
    """Missing, one-sided or blank concessions are refused by name; the case stays at 让."""
    case = to_concession(engine)
    with pytest.raises(GuardRefused, match=reason) as caught:
        engine.fire(case, "settle", MEDIATOR, at=MONDAY + 5 * HOUR, data=data)
    assert caught.value.guard == "mutual_concession"
    assert case.step == "concede"
    assert len(case.events) == 5


def test_no_concession_yet_goes_back_to_persuasion(engine: Engine) -> None:
    """让 not reached: the mediator persuades again, then the parties give way."""
    case = to_concession(engine)
    engine.fire(case, "rethink", MEDIATOR, at=MONDAY + 5 * HOUR)
    assert case.current_step.label_zh == "劝"
    engine.fire(case, "propose", MEDIATOR, at=MONDAY + 6 * HOUR)
    engine.fire(case, "settle", MEDIATOR, at=MONDAY + 7 * HOUR, data=BOTH_GIVE_WAY)
    assert case.step == "reconcile"


def test_a_failed_mediation_is_referred_with_an_answer(engine: Engine) -> None:
    """Mediation that fails is referred to legal channels, never without feedback."""
    case = to_concession(engine)
    with pytest.raises(GuardRefused):
        engine.fire(case, "refer", MEDIATOR, at=MONDAY + 5 * HOUR)
    engine.fire(
        case,
        "refer",
        MEDIATOR,
        at=MONDAY + 5 * HOUR,
        data={"feedback": "调解未成，已告知双方可申请司法确认或提起诉讼"},
    )
    assert case.step == "unresolved"


def test_a_mediation_left_thirty_days_is_breached(engine: Engine) -> None:
    """The thirty-day mediation limit breaches on 23 December; hearing within two days too."""
    case = engine.open("six_foot_lane", actor=ZHANG, at=MONDAY)
    recorded = engine.tick(MONDAY + timedelta(days=31))
    breaches = [(e.trigger, e.at) for e in recorded if e.kind is EventKind.BREACHED]
    assert breaches == [
        ("heard", MONDAY + timedelta(days=2)),
        ("mediation", MONDAY + timedelta(days=30)),
    ]
    assert case.deadlines["mediation"].status is DeadlineStatus.BREACHED
