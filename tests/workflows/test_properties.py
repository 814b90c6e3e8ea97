"""Properties of the built-in methods under any sequence of actions, ticks and time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import event as event_note
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    Case,
    CivicGridError,
    DeadlineStatus,
    Engine,
    EventKind,
    GuardFailed,
    ManualClock,
    ObserverError,
    OpenRefused,
    OutOfOrder,
    Registry,
    TransitionRefused,
    load_registry,
)

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
METHODS = ("six_self", "five_steps")
ROLES = (
    "resident",
    "council",
    "party_org",
    "grid_worker",
    "community",
    "deliberator",
    "property_company",
    "system",
    "nobody",
)
ALARMS = (EventKind.WARNED, EventKind.BREACHED)
DATA: tuple[Mapping[str, Any] | None, ...] = (
    None,
    {},
    {"feedback": "已答复居民：下周施工"},
    {"feedback": "   "},
    {"feedback": 42},
    {"votes_for": 31, "votes_against": 4},
    {"votes_for": 2, "votes_against": 2},
    {"votes_for": "many", "votes_against": 1},
    {"votes_for": True, "votes_against": 0},
    {"votes_for": 5, "votes_against": -1},
    {"agreement": "同意加装电梯，费用按楼层分摊"},
    {"agreement": ""},
    {"agreement": "同意", "feedback": "已反馈"},
)
GOOD: Mapping[str, Any] = {
    "feedback": "已答复居民",
    "votes_for": 9,
    "votes_against": 1,
    "agreement": "同意",
}
"""Data every built-in guard accepts."""
DATA_CHOICES = st.sampled_from(DATA) | st.just(GOOD)
SECONDS = st.one_of(
    st.just(0),
    st.integers(60, 8 * 3_600),
    st.integers(1, 3_600),
    st.integers(3_600, 3 * 86_400),
    st.integers(3 * 86_400, 40 * 86_400),
    st.integers(-3_600, -1),
)
TRIGGERS = sorted(
    {
        "bogus",
        "table",
        "decline",
        "call_vote",
        "adopt",
        "reject",
        "complete",
        "share",
        "sort",
        "confirm",
        "drop",
        "agree",
        "refer_up",
        "implement",
        "reconsult",
        "report_back",
    }
)
ACTIONS = st.lists(
    st.tuples(
        st.integers(0, 63),
        st.integers(0, 63),
        DATA_CHOICES,
        SECONDS,
        st.booleans(),
    ),
    min_size=3,
    max_size=40,
)
"""Actions: picks of a trigger and a role, data, seconds to advance, and whether to tick first.

Most picks are guided (a trigger allowed now, a role the transition names), so that cases
travel far; the rest are any trigger and any role, so that every refusal is tried.
"""

Action = tuple[int, int, Mapping[str, Any] | None, int, bool]


def choose(case: Case, pick_trigger: int, pick_role: int) -> tuple[str, str]:
    """Resolve two picks into a trigger and the role of the actor who fires it."""
    allowed = case.allowed_triggers()
    if pick_trigger < 24 and allowed:
        trigger = allowed[0]  # declared first: mostly the way forward
    elif pick_trigger < 48 and allowed:
        trigger = allowed[pick_trigger % len(allowed)]
    else:
        trigger = TRIGGERS[pick_trigger % len(TRIGGERS)]
    permitted = [
        r
        for t in case.method.transitions
        if t.trigger == trigger and case.step in t.sources
        for r in t.roles
    ]
    if pick_role < 56 and permitted:
        return trigger, permitted[pick_role % len(permitted)]
    return trigger, ROLES[pick_role % len(ROLES)]


def actor(role: str) -> Actor:
    """Return an actor holding one role."""
    return Actor(id=f"{role}-1", roles={role})


def check_case(engine: Engine, case: Case) -> None:
    """Assert what must hold of every case at every moment."""
    method = case.method
    assert case.step in {s.key for s in method.steps}
    events = list(case.events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(a.at <= b.at for a, b in pairwise(events))
    assert events[0].kind is EventKind.OPENED
    assert all(e.kind is not EventKind.OPENED for e in events[1:])
    assert all(e.case_id == case.id for e in events)
    assert all(e.actor == "system" for e in events if e.kind in ALARMS)
    assert events[-1].target == case.step
    ladder = [level.key for level in method.escalation]
    assert case.level in ladder if ladder else case.level is None
    for state in case.deadlines.values():
        if state.status is DeadlineStatus.RUNNING:
            assert state.due is not None
        if state.status in (DeadlineStatus.MET, DeadlineStatus.BREACHED):
            assert state.ended_at is not None
    if case.is_closed:
        assert case.allowed_triggers() == ()
        assert case.next_alarm is None
    assert engine.replay(case.events, track=False) == case


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=60, deadline=None)
@given(actions=ACTIONS)
def test_any_sequence_of_actions_either_fires_or_refuses_cleanly(
    registry: Registry,
    method: str,
    actions: list[Action],
) -> None:
    """Every fire appends one transition or raises a CivicGridError that changes nothing."""
    engine = Engine.from_registry(registry, clock=ManualClock(MONDAY))
    opener = actor(registry.methods[method].open_roles[0])
    case = engine.open(method, actor=opener, at=MONDAY)
    fired = 0
    for pick_trigger, pick_role, data, seconds, tick_first in actions:
        trigger, role = choose(case, pick_trigger, pick_role)
        at = case.updated_at + timedelta(seconds=seconds)
        if tick_first and seconds >= 0:
            engine.tick(at)
        before = list(case.events)
        step, rebuilt = case.step, engine.replay(case.events, track=False)
        refusal: CivicGridError | None = None
        try:
            engine.fire(case, trigger, actor(role), at=at, data=data)
        except CivicGridError as exc:
            refusal = exc
        if refusal is not None:
            assert isinstance(refusal, TransitionRefused | OutOfOrder)
            assert not isinstance(refusal, GuardFailed | ObserverError)
            if isinstance(refusal, OutOfOrder):
                assert seconds < 0
            # Nothing changed, but for alarms that fell due before ``at`` (as tick would).
            assert list(case.events[: len(before)]) == before
            late = case.events[len(before) :]
            assert all(e.kind in ALARMS and e.at < at for e in late)
            assert case.step == step
            if not late:
                assert case == rebuilt
        else:
            fired += 1
            assert seconds >= 0
            event = case.events[-1]
            assert event.kind is EventKind.TRANSITION
            assert (event.trigger, event.source, event.at) == (trigger, step, at)
            assert event.actor == f"{role}-1"
            between = case.events[len(before) : -1]
            assert all(e.kind in ALARMS and e.at < at for e in between)
        check_case(engine, case)
    event_note(f"fired {min(fired, 5)}+, ended in {case.step}")


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=30, deadline=None)
@given(
    actions=ACTIONS,
    opener=st.sampled_from(ROLES),
    level=st.sampled_from([None, "compound", "community", "subdistrict"]),
)
def test_opening_either_succeeds_or_refuses(
    registry: Registry,
    method: str,
    actions: list[Action],
    opener: str,
    level: str | None,
) -> None:
    """Opening with any role and level opens a consistent case or raises OpenRefused."""
    engine = Engine.from_registry(registry, clock=ManualClock(MONDAY))
    try:
        case = engine.open(method, actor=actor(opener), at=MONDAY, level=level)
    except OpenRefused:
        assert engine.pending_alarms == 0
        return
    assert opener in registry.methods[method].open_roles
    for pick_trigger, pick_role, data, seconds, _ in actions:
        trigger, role = choose(case, pick_trigger, pick_role)
        try:
            at = case.updated_at + timedelta(seconds=abs(seconds))
            engine.fire(case, trigger, actor(role), at=at, data=data)
        except CivicGridError:
            pass
        check_case(engine, case)


class Deliberations(RuleBasedStateMachine):
    """Several cases of both built-in methods, moved, ticked and aged together."""

    registry: Registry = load_registry(entry_points=False)

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(MONDAY)
        self.engine = Engine.from_registry(self.registry, clock=self.clock)
        self.cases: list[Case] = []
        self.ticked_at: datetime | None = None

    @rule(method=st.sampled_from(METHODS))
    def open_case(self, method: str) -> None:
        """Open a case as a resident, who may open both methods."""
        self.cases.append(self.engine.open(method, actor=actor("resident")))
        self.ticked_at = None

    @precondition(lambda self: bool(self.cases))
    @rule(
        index=st.integers(0, 100),
        pick_trigger=st.integers(0, 63),
        pick_role=st.integers(0, 63),
        data=DATA_CHOICES,
    )
    def fire(
        self,
        index: int,
        pick_trigger: int,
        pick_role: int,
        data: Mapping[str, Any] | None,
    ) -> None:
        """Fire a trigger on one case now; any refusal is a refusal that records no move."""
        case = self.cases[index % len(self.cases)]
        trigger, role = choose(case, pick_trigger, pick_role)
        count, step = len(case.events), case.step
        refusal: CivicGridError | None = None
        try:
            self.engine.fire(case, trigger, actor(role), data=data)
        except CivicGridError as exc:
            refusal = exc
        if refusal is None:
            assert case.events[-1].trigger == trigger
        else:
            assert isinstance(refusal, TransitionRefused)
            assert all(e.kind in ALARMS for e in case.events[count:])
            assert case.step == step
        self.ticked_at = None

    @rule(seconds=SECONDS.filter(lambda s: s >= 0))
    def advance(self, seconds: int) -> None:
        """Let time pass."""
        self.clock.advance(timedelta(seconds=seconds))
        self.ticked_at = None

    @rule()
    def tick(self) -> None:
        """Record every alarm that fell due before now, in due order."""
        now = self.clock.now()
        events = self.engine.tick()
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert all(e.at < now and e.kind in ALARMS for e in events)
        self.ticked_at = now

    @invariant()
    def cases_are_consistent(self) -> None:
        """Every case replays to itself and never runs ahead of the clock."""
        for case in self.cases:
            check_case(self.engine, case)
            assert case.updated_at <= self.clock.now()

    @invariant()
    def nothing_is_overdue_right_after_a_tick(self) -> None:
        """After ``tick(now)`` no case has an alarm before ``now`` left to record."""
        if self.ticked_at is not None:
            for case in self.cases:
                assert case.next_alarm is None or case.next_alarm >= self.ticked_at


Deliberations.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None)
TestDeliberations = Deliberations.TestCase
