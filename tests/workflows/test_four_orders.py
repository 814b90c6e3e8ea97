"""I2 "四单制" end to end: 群众点单 → 社区派单 → 联户长接单 → 群众评单, and Huichuan's 97%."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    Case,
    Channel,
    DeadlineStatus,
    Engine,
    EventKind,
    GuardRefused,
    ManualClock,
    Registry,
    Request,
    RequestDesk,
    RoleRefused,
    load_registry,
)
from civicgrid.plugins.builtin import four_orders
from civicgrid.plugins.manager import BUILTIN_PLUGINS
from civicgrid.testing import Move, walk

KEY = "four_orders"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
FRIDAY = datetime(2026, 11, 27, 15, 0, tzinfo=DEFAULT_TZ)

FOUR_ORDERS_ZH = ["群众点单", "社区派单", "联户长接单", "群众评单"]
"""DOMAIN.md I2, in order (seeds/002 writes them 群眾點單、社區派單、聯戶長接單、群眾評單)."""

RESIDENT = Actor(id="resident-7", roles={"resident"})
LEADER = Actor(id="household-leader-12", roles={"household_leader"}, levels={"grid"})
OTHER_LEADER = Actor(id="household-leader-13", roles={"household_leader"}, levels={"grid"})
WORKER = Actor(id="community-worker-2", roles={"community_worker"}, levels={"community"})
GRID_WORKER = Actor(id="grid-worker-4", roles={"grid_worker"}, levels={"compound"})
DISPATCH_DESK = Actor(id="service-centre", powers={"dispatch"})
"""The community service centre, which may dispatch by its power (调度权), holding no role."""


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-ins plus Four Orders, whether or not it is listed among the built-ins yet."""
    builtin = {name for name, _ in BUILTIN_PLUGINS}
    mine = [("civicgrid.four_orders", four_orders)]
    return load_registry(entry_points=False, plugins=[p for p in mine if p[0] not in builtin])


def ordered(engine: Engine, at: datetime | None = None) -> Case:
    """A resident's order (群众点单), as a household leader records it on a door-to-door visit."""
    return engine.open(KEY, actor=LEADER, at=at, data={"category": "health_check"})


def dispatched(engine: Engine, at: datetime | None = None) -> Case:
    """An order the community has dispatched to LEADER."""
    case = ordered(engine, at)
    engine.fire(case, "dispatch", WORKER, at=at, assignee=LEADER.id)
    return case


def test_four_orders_carries_the_four_steps_of_domain_i2(registry: Registry) -> None:
    """Four Orders is I2, its steps labelled 群众点单 社区派单 联户长接单 群众评单 in order."""
    method = registry.methods[KEY]
    assert (method.label_zh, method.label_en, method.source) == ("四单制", "Four Orders", "I2")
    assert [s.label_zh for s in method.steps[:4]] == FOUR_ORDERS_ZH
    assert [s.key for s in method.steps if s.terminal] == ["closed", "withdrawn"]
    assert [level.key for level in method.escalation] == ["grid", "compound", "community"]


def test_an_order_is_walked_through_the_four_orders_to_closed(
    engine: Engine, clock: ManualClock
) -> None:
    """点单, 派单 to one household leader, 接单, served, 评单: closed at the grid, on time."""
    case = ordered(engine)
    engine.fire(case, "dispatch", WORKER, at=clock.advance(2 * HOUR), assignee=LEADER.id)
    walk(
        engine,
        case,
        [
            Move("accept", LEADER, after=HOUR),
            Move("serve", LEADER, after=DAY),
            Move("rate", RESIDENT, {"rating": "satisfied"}, after=HOUR),
        ],
    )
    assert case.is_closed
    labels = [case.method.step(e.target).label_zh for e in case.events]
    assert labels == [*FOUR_ORDERS_ZH, "办结"]
    assert (case.assignee, case.events[-1].level) == (LEADER.id, "grid")
    assert {k: s.status for k, s in case.deadlines.items()} == {
        "dispatch": DeadlineStatus.MET,
        "service": DeadlineStatus.MET,
    }


def test_huichuan_completes_485_of_500_micro_wishes(registry: Registry) -> None:
    """500 wishes through the desk, 485 served and rated: the completion rate read back is 97%."""
    start = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
    engine = Engine.from_registry(registry, clock=ManualClock(start))
    desk = RequestDesk(engine, method=KEY)
    for i in range(500):
        request = Request(
            id=f"wish-{i:03}",
            channel=Channel.MICRO_WISH,
            text="想请人上门做一次健康体检",
            submitted_at=start + i * timedelta(minutes=1),
            category="health_check",
        )
        desk.receive(request, actor=LEADER)
    at = start + DAY
    for i, case in enumerate(desk):
        if i % 100 == 0:
            continue  # five orders still wait for the community to dispatch them
        engine.fire(case, "dispatch", WORKER, at=at, assignee=LEADER.id)
        engine.fire(case, "accept", LEADER, at=at)
        if i % 100 == 1:
            continue  # five accepted and in hand
        engine.fire(case, "serve", LEADER, at=at + HOUR)
        if i % 100 == 2:
            engine.fire(case, "reopen", RESIDENT, at=at + 2 * HOUR, data={"rating": "unsatisfied"})
            continue  # five reopened after an unsatisfied rating
        engine.fire(case, "rate", RESIDENT, at=at + 2 * HOUR, data={"rating": "satisfied"})
    steps = [case.step for case in desk]
    assert (len(steps), steps.count("closed")) == (500, 485)
    assert round(steps.count("closed") / len(steps), 2) == 0.97
    assert {step for step in steps if step != "closed"} == {"ordered", "accepted"}
    assert all(case.data is not None and case.data["channel"] == "micro_wish" for case in desk)


def test_only_the_household_leader_dispatched_to_accepts(engine: Engine) -> None:
    """Another household leader's 接单 is refused and changes nothing; the right one accepts."""
    case = dispatched(engine)
    events = len(case.events)
    with pytest.raises(GuardRefused, match="household-leader-12") as refused:
        engine.fire(case, "accept", OTHER_LEADER)
    assert refused.value.guard == "dispatched_to_actor"
    assert (case.step, len(case.events)) == ("dispatched", events)
    engine.fire(case, "accept", LEADER)
    assert case.current_step.label_zh == "联户长接单"


def test_an_order_dispatched_to_no_one_cannot_be_accepted(engine: Engine) -> None:
    """Dispatching without naming the household leader leaves the order for no one to take."""
    case = ordered(engine)
    engine.fire(case, "dispatch", WORKER)
    with pytest.raises(GuardRefused, match="assignee"):
        engine.fire(case, "accept", LEADER)
    engine.fire(case, "reassign", WORKER, assignee=LEADER.id)
    engine.fire(case, "accept", LEADER)
    assert case.step == "accepted"


def test_the_community_dispatches_by_role_or_by_its_dispatch_power(engine: Engine) -> None:
    """A household leader may not dispatch (refused by role); the power 调度权 suffices."""
    case = ordered(engine)
    with pytest.raises(RoleRefused):
        engine.fire(case, "dispatch", LEADER, assignee=LEADER.id)
    assert (case.step, case.assignee) == ("ordered", None)
    engine.fire(case, "dispatch", DISPATCH_DESK, assignee=LEADER.id)
    assert (case.step, case.assignee) == ("dispatched", LEADER.id)
    with pytest.raises(RoleRefused):
        engine.fire(case, "accept", RESIDENT)


def test_a_handed_back_order_is_dispatched_again(engine: Engine, clock: ManualClock) -> None:
    """退单 returns the order to the community, whose one-day dispatch limit starts again."""
    case = dispatched(engine)
    back_at = clock.advance(HOUR)
    engine.fire(case, "return_order", LEADER, assignee=None)
    assert (case.step, case.assignee) == ("ordered", None)
    assert case.deadlines["dispatch"].started_at == back_at
    engine.fire(case, "dispatch", WORKER, assignee=OTHER_LEADER.id)
    engine.fire(case, "accept", OTHER_LEADER)
    assert case.step == "accepted"


def test_an_unsatisfied_rating_reopens_with_the_same_household_leader(
    engine: Engine, clock: ManualClock
) -> None:
    """不满意: rate is refused, reopen returns to 联户长接单 with a fresh five days; then closed."""
    case = dispatched(engine)
    walk(engine, case, [("accept", LEADER), Move("serve", LEADER, after=DAY)])
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "rate", RESIDENT, data={"rating": "unsatisfied"})
    assert refused.value.guard == "rating_closes"
    reopened_at = clock.advance(HOUR)
    engine.fire(case, "reopen", RESIDENT, data={"rating": "unsatisfied"})
    assert (case.current_step.label_zh, case.assignee) == ("联户长接单", LEADER.id)
    assert case.deadlines["service"].started_at == reopened_at
    walk(
        engine,
        case,
        [Move("serve", LEADER, after=DAY), ("rate", RESIDENT, {"rating": "basically_satisfied"})],
    )
    assert case.is_closed
    reopens = [e for e in case.events if e.trigger == "reopen"]
    assert len(reopens) == 1


def test_a_referred_order_climbs_to_the_community_and_is_served_there(engine: Engine) -> None:
    """上报: the household leader hands it up, each rung naming who serves it; levels hold."""
    case = dispatched(engine)
    engine.fire(case, "accept", LEADER)
    engine.fire(case, "refer_up", LEADER, assignee=GRID_WORKER.id)
    assert (case.level, case.assignee) == ("compound", GRID_WORKER.id)
    engine.fire(case, "refer_up", GRID_WORKER, assignee=WORKER.id)
    assert case.level == "community"
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "serve", LEADER)
    assert refused.value.guard == "acts_at_case_level"
    engine.fire(case, "serve", WORKER)
    engine.fire(case, "rate", RESIDENT, data={"rating": "satisfied"})
    assert case.is_closed
    assert case.events[-1].level == "community"


def test_an_order_not_dispatched_in_a_working_day_warns_then_breaches(engine: Engine) -> None:
    """Ordered Friday 15:00, due Monday 15:00: then only the warning; a second later, the breach."""
    case = ordered(engine, FRIDAY)
    due = datetime(2026, 11, 30, 15, 0, tzinfo=DEFAULT_TZ)
    assert case.deadlines["dispatch"].due == due
    assert [e.kind for e in engine.tick(due)] == [EventKind.WARNED]
    [breach] = engine.tick(due + SECOND)
    assert (breach.kind, breach.at, breach.data) == (EventKind.BREACHED, due, {"action": "notify"})
    assert (case.step, case.level) == ("ordered", "grid")


def test_a_withdrawn_order_needs_an_answer(engine: Engine) -> None:
    """撤单 is an outcome: refused without feedback, recorded with it."""
    case = dispatched(engine)
    with pytest.raises(GuardRefused, match="feedback"):
        engine.fire(case, "withdraw", RESIDENT)
    engine.fire(case, "withdraw", RESIDENT, data={"feedback": "家属已陪同体检，撤单"})
    assert (case.step, case.is_closed) == ("withdrawn", True)
