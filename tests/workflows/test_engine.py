"""The engine: opening cases, firing transitions, refusals that change nothing, replay."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from civicgrid import (
    DEFAULT_TZ,
    SYSTEM_ACTOR,
    Actor,
    Case,
    CivicGridError,
    ClockError,
    Deadline,
    DeadlineState,
    DeadlineStatus,
    Engine,
    Event,
    EventKind,
    Guard,
    GuardFailed,
    GuardRefused,
    LadderExhausted,
    Level,
    ManualClock,
    Method,
    NaiveDatetimeError,
    ObserverError,
    OpenRefused,
    OutOfOrder,
    PluginError,
    Refusal,
    Registry,
    ReplayError,
    Role,
    RoleRefused,
    Step,
    Transition,
    TransitionRefused,
    TriggerNotAllowed,
    UnknownGuard,
    UnknownMethod,
    UnknownTrigger,
    WorkflowError,
    compile_method,
)

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
HOUR = timedelta(hours=1)
CHINESE = re.compile(r"[\u4e00-\u9fff]")

WORKER = Actor(id="worker-1", roles={"worker"})
DISPATCHER = Actor(id="centre-1", powers={"dispatch"})
NEIGHBOUR = Actor(id="resident-9", roles={"resident"})
STRANGER = Actor(id="tourist-1", roles={"tourist"})


# --------------------------------------------------------------------------- a small method


def _no(_case: Case, _actor: Actor, _data: Mapping[str, Any] | None) -> bool:
    return False


def _explains(_case: Case, _actor: Actor, _data: Mapping[str, Any] | None) -> bool:
    raise Refusal("the building leader must sign first", "须楼栋长先签字")


def _crashes(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    return 1 / len(data or {}) > 0


def _clock_trouble(_case: Case, _actor: Actor, _data: Mapping[str, Any] | None) -> bool:
    raise ClockError("the guard's own library error", "校验自身的错误")


GUARDS = {
    g.name: g
    for g in (
        Guard(name="always_no", check=_no, label_zh="永不通过", label_en="never passes"),
        Guard(name="explains", check=_explains, label_zh="说明理由", label_en="gives a reason"),
        Guard(name="crashes", check=_crashes, label_zh="会出错", label_en="crashes"),
        Guard(name="clock_trouble", check=_clock_trouble, label_zh="时钟", label_en="clock"),
    )
}


def _step(key: str, *, terminal: bool = False) -> Step:
    return Step(key=key, label_zh=f"步骤{key}", label_en=key, terminal=terminal)


def _transition(trigger: str, sources: tuple[str, ...], target: str, **extra: Any) -> Transition:
    extra.setdefault("roles", ("worker",))
    return Transition(
        trigger=trigger,
        sources=sources,
        target=target,
        label_zh=f"流转{trigger}",
        label_en=trigger,
        **extra,
    )


TICKET = Method(
    key="ticket",
    label_zh="工单",
    label_en="ticket",
    initial="new",
    open_roles=("resident", "worker"),
    escalation=(
        Level(key="grid", label_zh="网格", label_en="grid"),
        Level(key="community", label_zh="社区", label_en="community"),
    ),
    roles=(
        Role(key="resident", label_zh="居民", label_en="resident"),
        Role(key="worker", label_zh="网格员", label_en="grid worker"),
    ),
    steps=(_step("new"), _step("working"), _step("waiting"), _step("done", terminal=True)),
    transitions=(
        _transition("start", ("new",), "working"),
        _transition("dispatch", ("new",), "working", roles=(), powers=("dispatch",)),
        _transition("wait", ("working",), "waiting"),
        _transition("reply", ("waiting",), "working", roles=("resident", "worker")),
        _transition("close", ("working",), "done"),
        _transition("deny", ("new",), "done", guards=("always_no",)),
        _transition("explain", ("new",), "done", guards=("explains",)),
        _transition("crash", ("new",), "done", guards=("crashes",)),
        _transition("trouble", ("new",), "done", guards=("clock_trouble",)),
        _transition("note", ("working",), "working"),
        _transition("hand_over", ("working",), "working", level="community"),
    ),
    deadlines=(
        Deadline(
            key="answer",
            label_zh="八小时内答复",
            label_en="answered within eight hours",
            start=("new",),
            stop=("done",),
            pause=("waiting",),
            duration=relativedelta(hours=8),
            warn_at=0.5,
        ),
    ),
)


@pytest.fixture
def ticket_engine() -> Engine:
    """An engine running the ticket method on a manual clock at Monday 09:00."""
    return Engine([compile_method(TICKET, GUARDS)], clock=ManualClock(MONDAY))


# --------------------------------------------------------------------------- helpers


def state_of(state: DeadlineState) -> tuple[object, ...]:
    """Return a deadline state's public fields as a plain, detached tuple."""
    return (
        state.key,
        state.status,
        state.started_at,
        state.due,
        state.warn_due,
        state.warned,
        state.remaining,
        state.warn_remaining,
        state.ended_at,
    )


def snapshot(case: Case) -> tuple[object, ...]:
    """Return everything observable about ``case``, detached from the live object."""
    return (
        case.id,
        case.step,
        case.level,
        case.assignee,
        list(case.events),
        {key: state_of(state) for key, state in case.deadlines.items()},
        case.next_alarm,
        case.allowed_triggers(),
    )


@contextmanager
def unchanged(engine: Engine, case: Case) -> Iterator[None]:
    """Check that what runs inside leaves ``case`` and the alarm queue exactly as they were."""
    before = snapshot(case)
    rebuilt = engine.replay(case.events, track=False)
    pending = engine.pending_alarms
    yield
    assert snapshot(case) == before
    assert case == rebuilt
    assert engine.pending_alarms == pending


def walk_six_self(engine: Engine, resident: Actor, council: Actor) -> Case:
    """Open a Six Self case and take it to ``decide`` over three days."""
    case = engine.open("six_self", actor=resident, at=MONDAY, data={"topic": "加装电梯"})
    engine.fire(case, "table", council, at=MONDAY + 2 * HOUR)
    engine.fire(case, "call_vote", council, at=MONDAY + timedelta(days=2))
    return case


# --------------------------------------------------------------------------- opening


def test_opening_records_the_opening_event(engine: Engine, resident: Actor) -> None:
    """A case opens in its initial step with one event holding the data it was opened with."""
    case = engine.open("six_self", actor=resident, data={"topic": "加装电梯"}, assignee="grid-7")
    assert case.step == "propose"
    assert case.current_step.label_zh == "自提"
    assert case.method_key == "six_self"
    assert case.method is engine.methods["six_self"]
    assert case.id == "six_self-1"
    assert case.assignee == "grid-7"
    assert case.data == {"topic": "加装电梯"}
    assert case.opened_at == case.updated_at == MONDAY
    assert not case.is_closed
    [event] = case.events
    assert event == Event(
        case_id="six_self-1",
        seq=1,
        kind=EventKind.OPENED,
        at=MONDAY,
        actor="resident-1",
        trigger="six_self",
        source=None,
        target="propose",
        level=None,
        assignee="grid-7",
        data={"topic": "加装电梯"},
    )


def test_opening_without_an_instant_reads_the_clock(
    engine: Engine, clock: ManualClock, resident: Actor
) -> None:
    """``open`` without ``at`` uses the engine's clock."""
    clock.advance(timedelta(minutes=17))
    case = engine.open("six_self", actor=resident)
    assert case.opened_at == MONDAY + timedelta(minutes=17)
    assert engine.clock is clock


def test_cases_are_numbered_per_method_unless_named(engine: Engine, resident: Actor) -> None:
    """Default ids count up per engine; ``case_id`` names a case; ``id_factory`` is used."""
    first = engine.open("six_self", actor=resident)
    second = engine.open("five_steps", actor=resident)
    named = engine.open("six_self", actor=resident, case_id="binhu-2026-001")
    assert (first.id, second.id, named.id) == ("six_self-1", "five_steps-2", "binhu-2026-001")
    custom = Engine(
        [compile_method(TICKET, GUARDS)],
        clock=ManualClock(MONDAY),
        id_factory=lambda key: f"{key.upper()}-X",
    )
    assert custom.open("ticket", actor=WORKER).id == "TICKET-X"


def test_opening_needs_one_of_the_open_roles(engine: Engine, community: Actor) -> None:
    """An actor without any of the method's open roles is refused, and nothing is queued."""
    pending = engine.pending_alarms
    with pytest.raises(OpenRefused) as caught:
        engine.open("six_self", actor=community)
    error = caught.value
    assert (error.method, error.actor) == ("six_self", "community-1")
    assert isinstance(error, WorkflowError)
    assert "needs one of the roles" in str(error)
    assert CHINESE.search(str(error))
    assert engine.pending_alarms == pending


def test_powers_do_not_open_a_case(ticket_engine: Engine) -> None:
    """Opening is by role only: a power the method's transitions accept does not open."""
    with pytest.raises(OpenRefused):
        ticket_engine.open("ticket", actor=DISPATCHER)


def test_the_level_defaults_to_the_first_rung(engine: Engine, resident: Actor) -> None:
    """A case opens on the lowest rung of its method's ladder, or none without a ladder."""
    assert engine.open("five_steps", actor=resident).level == "compound"
    assert engine.open("six_self", actor=resident).level is None


def test_a_case_may_open_on_a_named_rung(engine: Engine, resident: Actor) -> None:
    """``level`` opens a case on a given rung of the ladder."""
    case = engine.open("five_steps", actor=resident, level="community")
    assert case.level == "community"
    assert case.events[0].level == "community"


@pytest.mark.parametrize(("method", "level"), [("five_steps", "nation"), ("six_self", "community")])
def test_a_level_off_the_ladder_is_refused(
    engine: Engine, resident: Actor, method: str, level: str
) -> None:
    """A rung that is not on the method's ladder is refused."""
    with pytest.raises(OpenRefused, match="not on the ladder"):
        engine.open(method, actor=resident, level=level)


def test_opening_at_a_naive_instant_is_refused(engine: Engine, resident: Actor) -> None:
    """A datetime without a timezone is refused, and nothing is queued."""
    with pytest.raises(NaiveDatetimeError) as caught:
        engine.open("six_self", actor=resident, at=datetime(2026, 11, 23, 9, 0))  # noqa: DTZ001
    assert caught.value.field == "at"
    assert engine.pending_alarms == 0


def test_opening_an_unknown_method_is_refused(engine: Engine, resident: Actor) -> None:
    """A method the engine does not run raises UnknownMethod listing those it does."""
    with pytest.raises(UnknownMethod) as caught:
        engine.open("eight_self", actor=resident)
    assert caught.value.known == tuple(sorted(engine.methods))
    assert "six_self" in caught.value.known
    assert isinstance(caught.value, LookupError)


# --------------------------------------------------------------------------- firing


def test_fire_appends_one_event_and_moves_the_case(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """A permitted transition records exactly one event and moves the case."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    engine.fire(case, "table", council, at=MONDAY + HOUR, data={"meeting": "周四来说事"})
    event = case.events[-1]
    assert event.data == {"meeting": "周四来说事"}
    assert len(case.events) == 2
    assert event.seq == 2
    assert event.kind is EventKind.TRANSITION
    assert (event.trigger, event.source, event.target) == ("table", "propose", "discuss")
    assert event.actor == "council-1"
    assert event.at == MONDAY + HOUR
    assert event.data == {"meeting": "周四来说事"}
    assert case.step == "discuss"
    assert case.updated_at == MONDAY + HOUR
    assert case.allowed_triggers() == ("decline", "call_vote")


def test_fire_without_an_instant_reads_the_clock(
    engine: Engine, clock: ManualClock, resident: Actor, council: Actor
) -> None:
    """``fire`` without ``at`` acts at the clock's current instant."""
    case = engine.open("six_self", actor=resident)
    clock.advance(timedelta(hours=3))
    engine.fire(case, "table", council)
    assert case.events[-1].at == MONDAY + timedelta(hours=3)


def test_a_transition_may_be_permitted_by_a_power(ticket_engine: Engine) -> None:
    """An actor holding a power the transition names may fire it without any role."""
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    assert ticket_engine.permitted(case, DISPATCHER) == ("dispatch",)
    assert "start" in ticket_engine.permitted(case, WORKER)
    assert ticket_engine.permitted(case, STRANGER) == ()
    ticket_engine.fire(case, "dispatch", DISPATCHER, at=MONDAY + HOUR)
    event = case.events[-1]
    assert event.actor == "centre-1"
    assert case.step == "working"


def test_a_power_does_not_stand_in_for_a_role(ticket_engine: Engine) -> None:
    """A power that the transition does not name permits nothing."""
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    with unchanged(ticket_engine, case), pytest.raises(RoleRefused):
        ticket_engine.fire(case, "start", DISPATCHER, at=MONDAY + HOUR)


def test_the_assignee_is_kept_unless_set(ticket_engine: Engine) -> None:
    """``assignee`` set on a fire stays until another fire sets it; None clears it."""
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY, assignee="grid-1")
    seen = [case.assignee]
    ticket_engine.fire(case, "start", WORKER, at=MONDAY)
    seen.append(case.assignee)
    ticket_engine.fire(case, "note", WORKER, at=MONDAY + HOUR, assignee="grid-2")
    seen.append(case.assignee)
    ticket_engine.fire(case, "wait", WORKER, at=MONDAY + 2 * HOUR)
    seen.append(case.assignee)
    ticket_engine.fire(case, "reply", NEIGHBOUR, at=MONDAY + 3 * HOUR, assignee=None)
    seen.append(case.assignee)
    assert seen == ["grid-1", "grid-1", "grid-2", "grid-2", None]
    assert [e.assignee for e in case.events] == ["grid-1", "grid-1", "grid-2", "grid-2", None]


def test_a_transition_may_set_the_level(ticket_engine: Engine) -> None:
    """A transition with ``level`` puts the case on that rung, recorded in its event."""
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    assert case.level == "grid"
    ticket_engine.fire(case, "start", WORKER, at=MONDAY)
    ticket_engine.fire(case, "hand_over", WORKER, at=MONDAY + HOUR)
    event = case.events[-1]
    assert event.level == case.level == "community"
    ticket_engine.fire(case, "hand_over", WORKER, at=MONDAY + 2 * HOUR)
    assert case.level == "community"
    assert case == ticket_engine.replay(case.events, track=False)


def test_compiling_a_method_with_an_unknown_guard_is_refused() -> None:
    """Every guard a method names must be provided when it is compiled."""
    with pytest.raises(UnknownGuard) as caught:
        compile_method(TICKET, {"always_no": GUARDS["always_no"]})
    assert caught.value.method == "ticket"
    assert caught.value.guard in {"explains", "crashes", "clock_trouble"}
    assert caught.value.known == ("always_no",)


def test_a_closed_case_allows_nothing(engine: Engine, resident: Actor, council: Actor) -> None:
    """Once terminal, a case refuses every trigger and says it is closed."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    engine.fire(case, "decline", council, at=MONDAY + HOUR, data={"feedback": "不属于议事范围"})
    assert case.is_closed
    assert case.allowed_triggers() == ()
    with unchanged(engine, case), pytest.raises(TriggerNotAllowed) as caught:
        engine.fire(case, "table", council, at=MONDAY + 2 * HOUR)
    assert caught.value.allowed == ()
    assert "none, the case is closed" in str(caught.value)
    assert "无，事项已办结" in str(caught.value)


# --------------------------------------------------------------------------- refusals


def test_an_unknown_trigger_is_refused_and_changes_nothing(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """A trigger the method does not declare raises UnknownTrigger and changes nothing."""
    case = walk_six_self(engine, resident, council)
    with unchanged(engine, case), pytest.raises(UnknownTrigger) as caught:
        engine.fire(case, "fly", council, at=MONDAY + timedelta(days=3))
    error = caught.value
    assert (error.case_id, error.step, error.trigger) == (case.id, "decide", "fly")
    assert error.allowed == ("adopt", "reject")
    assert isinstance(error, TransitionRefused)


def test_a_trigger_from_another_step_is_refused_and_changes_nothing(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """A declared trigger not allowed from the current step lists those that are."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    with unchanged(engine, case), pytest.raises(TriggerNotAllowed) as caught:
        engine.fire(case, "adopt", council, at=MONDAY + HOUR)
    assert caught.value.allowed == ("table", "decline") == case.allowed_triggers()
    assert caught.value.step == "propose"
    assert "allowed now: table, decline" in str(caught.value)


def test_an_actor_without_the_role_is_refused_and_changes_nothing(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """An actor holding none of the transition's roles or powers raises RoleRefused."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    with unchanged(engine, case), pytest.raises(RoleRefused) as caught:
        engine.fire(case, "table", resident, at=MONDAY + HOUR)
    assert caught.value.actor is resident
    assert "resident-1" in str(caught.value)


def test_a_guard_answering_no_is_refused_and_changes_nothing(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """A guard returning False raises GuardRefused with the guard's label as the reason."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    with unchanged(engine, case), pytest.raises(GuardRefused) as caught:
        engine.fire(case, "decline", council, at=MONDAY + HOUR, data={"feedback": " "})
    error = caught.value
    assert error.guard == "feedback_given"
    assert "a written answer to the resident is required" in str(error)
    assert "须填写对群众的答复" in str(error)


def test_a_guard_raising_refusal_gives_its_own_reason(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """A guard raising Refusal is refused with the reason it gave, in both languages."""
    case = walk_six_self(engine, resident, council)
    with unchanged(engine, case), pytest.raises(GuardRefused) as caught:
        engine.fire(case, "adopt", council, at=MONDAY + timedelta(days=3), data={"votes_for": 3})
    error = caught.value
    assert error.guard == "majority_in_favour"
    assert "data.votes_against must be a whole number of votes, got None" in str(error)
    assert "data.votes_against 须为票数" in str(error)
    assert isinstance(error.__cause__, Refusal)


def test_a_custom_guard_refusal_reason_is_kept(ticket_engine: Engine) -> None:
    """The reason of a custom guard's Refusal reaches the person refused."""
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    with unchanged(ticket_engine, case), pytest.raises(GuardRefused) as caught:
        ticket_engine.fire(case, "explain", WORKER, at=MONDAY + HOUR)
    assert caught.value.guard == "explains"
    assert "the building leader must sign first" in str(caught.value)
    assert "须楼栋长先签字" in str(caught.value)
    with unchanged(ticket_engine, case), pytest.raises(GuardRefused, match="never passes"):
        ticket_engine.fire(case, "deny", WORKER, at=MONDAY + HOUR)


def test_escalating_past_the_top_rung_is_refused_and_changes_nothing(
    engine: Engine, resident: Actor, community: Actor
) -> None:
    """``refer_up`` on the top rung raises LadderExhausted and changes nothing."""
    case = engine.open("five_steps", actor=resident, at=MONDAY, level="subdistrict")
    engine.fire(case, "sort", community, at=MONDAY + HOUR)
    engine.fire(case, "confirm", community, at=MONDAY + 2 * HOUR)
    with unchanged(engine, case), pytest.raises(LadderExhausted) as caught:
        engine.fire(case, "refer_up", community, at=MONDAY + 3 * HOUR)
    assert caught.value.allowed == ("agree", "refer_up")
    assert "top of the ladder" in str(caught.value)


def test_an_instant_before_the_last_event_is_refused_and_changes_nothing(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """Time never runs backwards on a case: an earlier ``at`` raises OutOfOrder."""
    case = walk_six_self(engine, resident, council)
    with unchanged(engine, case), pytest.raises(OutOfOrder) as caught:
        engine.fire(case, "adopt", council, at=MONDAY + timedelta(days=1))
    assert isinstance(caught.value, ValueError)


def test_the_same_instant_as_the_last_event_is_allowed(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """Several events may share an instant."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    engine.fire(case, "table", council, at=MONDAY)
    assert [e.at for e in case.events] == [MONDAY, MONDAY]


def test_a_naive_instant_is_refused_and_changes_nothing(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """``fire`` refuses a datetime without a timezone."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    with unchanged(engine, case), pytest.raises(NaiveDatetimeError):
        engine.fire(case, "table", council, at=datetime(2026, 11, 23, 10, 0))  # noqa: DTZ001


def test_a_guard_that_crashes_raises_guard_failed_and_changes_nothing(
    ticket_engine: Engine,
) -> None:
    """An unexpected exception in a guard becomes GuardFailed, naming the guard."""
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    with unchanged(ticket_engine, case), pytest.raises(GuardFailed) as caught:
        ticket_engine.fire(case, "crash", WORKER, at=MONDAY + HOUR)
    error = caught.value
    assert isinstance(error, PluginError)
    assert isinstance(error.__cause__, ZeroDivisionError)
    assert "guard 'crashes' raised ZeroDivisionError" in str(error)
    assert "_crashes" in error.plugin
    assert error.hook == "register_guards"


def test_a_library_error_inside_a_guard_passes_through_unchanged(ticket_engine: Engine) -> None:
    """A CivicGridError other than Refusal raised by a guard reaches the caller as it is."""
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    with unchanged(ticket_engine, case), pytest.raises(ClockError, match="guard's own"):
        ticket_engine.fire(case, "trouble", WORKER, at=MONDAY + HOUR)


def test_refusals_are_checked_in_order(engine: Engine, resident: Actor, council: Actor) -> None:
    """The trigger is checked before the role, and the role before the guards."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    with pytest.raises(TriggerNotAllowed):
        engine.fire(case, "adopt", resident, at=MONDAY)
    with pytest.raises(RoleRefused):
        engine.fire(case, "decline", resident, at=MONDAY)  # no feedback either


# --------------------------------------------------------------------------- observers


def test_observers_see_every_event(registry: Registry, resident: Actor, council: Actor) -> None:
    """Observers given to the engine, or subscribed later, are told of every event."""
    seen: list[tuple[str, int, EventKind]] = []
    late: list[Event] = []

    def watch(case: Case, event: Event) -> None:
        seen.append((case.id, event.seq, event.kind))

    engine = Engine.from_registry(registry, clock=ManualClock(MONDAY), observers=[watch])
    case = engine.open("six_self", actor=resident, at=MONDAY)
    engine.subscribe(lambda _case, event: late.append(event))
    engine.fire(case, "table", council, at=MONDAY + HOUR)
    alarms = engine.tick(MONDAY + timedelta(days=60))
    assert [kind for _, _, kind in seen] == [
        EventKind.OPENED,
        EventKind.TRANSITION,
        *(e.kind for e in alarms),
    ]
    assert [seq for _, seq, _ in seen] == list(range(1, len(case.events) + 1))
    assert late == list(case.events[1:])


def test_an_observer_that_raises_does_not_undo_the_event(ticket_engine: Engine) -> None:
    """An observer raising gives ObserverError, and the event it was told of stands."""

    def fussy(_case: Case, event: Event) -> None:
        if event.trigger == "start":
            raise RuntimeError("mail server down")

    ticket_engine.subscribe(fussy)
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    with pytest.raises(ObserverError) as caught:
        ticket_engine.fire(case, "start", WORKER, at=MONDAY + HOUR)
    assert case.step == "working"
    assert case.events[-1].trigger == "start"
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert "is recorded all the same" in str(caught.value)
    assert case == ticket_engine.replay(case.events, track=False)
    ticket_engine.fire(case, "close", WORKER, at=MONDAY + 2 * HOUR)
    assert case.is_closed


def test_an_observer_raising_on_open_does_not_lose_the_case(ticket_engine: Engine) -> None:
    """After ObserverError on open, the caller can still reach the case it opened."""

    def fussy(_case: Case, event: Event) -> None:
        if event.kind is EventKind.OPENED:
            raise RuntimeError("mail server down")

    ticket_engine.subscribe(fussy)
    with pytest.raises(ObserverError) as caught:
        ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    assert ticket_engine.pending_alarms == 1  # the case opened and is queued
    orphan = getattr(caught.value, "case", None)
    assert isinstance(orphan, Case)
    assert orphan.events[0].kind is EventKind.OPENED


def test_an_observer_raising_during_a_tick_loses_no_alarm(ticket_engine: Engine) -> None:
    """Alarms left in the queue when an observer raises are recorded by the next tick."""
    calls: list[str] = []

    def fails_once(case: Case, event: Event) -> None:
        if event.kind is EventKind.WARNED and not calls:
            calls.append(case.id)
            raise RuntimeError("pager offline")

    ticket_engine.subscribe(fails_once)
    first = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    second = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY + HOUR)
    later = MONDAY + timedelta(days=1)
    with pytest.raises(ObserverError):
        ticket_engine.tick(later)
    assert calls == [first.id]
    ticket_engine.tick(later)
    for case in (first, second):
        assert [e.kind for e in case.events] == [
            EventKind.OPENED,
            EventKind.WARNED,
            EventKind.BREACHED,
        ]


# --------------------------------------------------------------------------- replay


def test_replay_rebuilds_an_equal_case(engine: Engine, resident: Actor, council: Actor) -> None:
    """Replaying a case's events gives a case equal to it, at every point of its life."""
    case = engine.open("six_self", actor=resident, at=MONDAY, assignee="grid-3")
    moves: list[tuple[str, Actor, dict[str, Any] | None]] = [
        ("table", council, None),
        ("call_vote", council, None),
        ("adopt", council, {"votes_for": 31, "votes_against": 4}),
        ("complete", resident, None),
        ("share", council, None),
    ]
    at = MONDAY
    for trigger, actor, data in moves:
        at += timedelta(days=3)
        engine.fire(case, trigger, actor, at=at, data=data)
        rebuilt = engine.replay(case.events, track=False)
        assert rebuilt == case
        assert snapshot(rebuilt) == snapshot(case)
        assert rebuilt is not case
    assert case.is_closed


def test_replay_rebuilds_a_paused_deadline(ticket_engine: Engine) -> None:
    """A deadline paused mid-way is rebuilt paused, with the same time left."""
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    ticket_engine.fire(case, "start", WORKER, at=MONDAY + HOUR)
    ticket_engine.fire(case, "wait", WORKER, at=MONDAY + 5 * HOUR)  # after the warning
    state = case.deadlines["answer"]
    assert state.status is DeadlineStatus.PAUSED
    assert state.remaining == 3 * HOUR
    rebuilt = ticket_engine.replay(case.events, track=False)
    assert rebuilt == case
    assert state_of(rebuilt.deadlines["answer"]) == state_of(state)
    assert [e.kind for e in case.events].count(EventKind.WARNED) == 1


def test_replay_of_a_case_with_a_breach_is_equal(ticket_engine: Engine) -> None:
    """A history holding warnings and a breach replays to an equal case."""
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    ticket_engine.fire(case, "start", WORKER, at=MONDAY + timedelta(days=1))
    assert [e.kind for e in case.events][1:3] == [EventKind.WARNED, EventKind.BREACHED]
    assert ticket_engine.replay(case.events, track=False) == case


def _history(engine: Engine, resident: Actor, council: Actor) -> list[Event]:
    case = walk_six_self(engine, resident, council)
    engine.tick(MONDAY + timedelta(days=40))  # the decision deadline warns, then breaches
    engine.fire(case, "reject", council, at=MONDAY + timedelta(days=41), data={"feedback": "否"})
    kinds = [e.kind for e in case.events]
    assert kinds.count(EventKind.WARNED) == 1
    assert kinds.count(EventKind.BREACHED) == 1
    return list(case.events)


def _mutations() -> dict[str, Callable[[list[Event]], list[Event]]]:
    def seq(events: list[Event]) -> list[Event]:
        return [*events[:2], events[2]._replace(seq=7), *events[3:]]

    def case_id(events: list[Event]) -> list[Event]:
        return [*events[:2], events[2]._replace(case_id="six_self-99"), *events[3:]]

    def no_opening(events: list[Event]) -> list[Event]:
        return events[1:]

    def not_allowed(events: list[Event]) -> list[Event]:
        return [events[0], events[1]._replace(trigger="adopt"), *events[2:]]

    def wrong_target(events: list[Event]) -> list[Event]:
        return [events[0], events[1]._replace(target="decide"), *events[2:]]

    def wrong_source(events: list[Event]) -> list[Event]:
        return [events[0], events[1]._replace(source="discuss"), *events[2:]]

    def alarm_late(events: list[Event]) -> list[Event]:
        i = next(i for i, e in enumerate(events) if e.kind is EventKind.WARNED)
        shifted = events[i]._replace(at=events[i].at + timedelta(seconds=1))
        return [*events[:i], shifted, *events[i + 1 :]]

    def alarm_unknown(events: list[Event]) -> list[Event]:
        i = next(i for i, e in enumerate(events) if e.kind is EventKind.WARNED)
        return [*events[:i], events[i]._replace(trigger="punctuality"), *events[i + 1 :]]

    def breach_skips_warning(events: list[Event]) -> list[Event]:
        i = next(i for i, e in enumerate(events) if e.kind is EventKind.WARNED)
        rest = [e._replace(seq=e.seq - 1) for e in events[i + 1 :]]
        return [*events[:i], *rest]

    def earlier(events: list[Event]) -> list[Event]:
        return [events[0], events[1]._replace(at=MONDAY - HOUR), *events[2:]]

    def reopened(events: list[Event]) -> list[Event]:
        return [
            events[0],
            events[0]._replace(seq=2),
            *(e._replace(seq=e.seq + 1) for e in events[1:]),
        ]

    return {
        f.__name__: f
        for f in (
            seq,
            case_id,
            no_opening,
            not_allowed,
            wrong_target,
            wrong_source,
            alarm_late,
            alarm_unknown,
            breach_skips_warning,
            earlier,
            reopened,
        )
    }


MUTATIONS = _mutations()


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_replay_refuses_an_inconsistent_history(
    engine: Engine, resident: Actor, council: Actor, mutation: str
) -> None:
    """A history with a wrong seq, case, transition, instant or alarm raises ReplayError."""
    events = _history(engine, resident, council)
    assert engine.replay(events, track=False).events == events
    with pytest.raises(ReplayError) as caught:
        engine.replay(MUTATIONS[mutation](events), track=False)
    assert isinstance(caught.value, WorkflowError)
    assert CHINESE.search(str(caught.value))


def test_replay_refuses_an_empty_history(engine: Engine) -> None:
    """There is nothing to rebuild from no events."""
    with pytest.raises(ReplayError, match="no events to replay"):
        engine.replay([])


def test_replay_does_not_touch_the_queue_without_tracking(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """``track=False`` rebuilds a case without queueing its alarms; ``track=True`` queues them."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    pending = engine.pending_alarms
    engine.replay(case.events, track=False)
    assert engine.pending_alarms == pending
    engine.replay(case.events)
    assert engine.pending_alarms == pending + 1


def test_replay_refuses_a_breach_at_the_warning_instant(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """A breach recorded at the instant the deadline only warns is inconsistent."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    engine.tick(MONDAY + timedelta(days=10))
    opened, warned, _breached = case.events
    forged = warned._replace(kind=EventKind.BREACHED, data={"action": "notify"})
    with pytest.raises(ReplayError):
        engine.replay([opened, forged], track=False)


def test_replay_refuses_an_opening_event_out_of_sequence(engine: Engine, resident: Actor) -> None:
    """The opening event is event 1 of its case."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    with pytest.raises(ReplayError):
        engine.replay([case.events[0]._replace(seq=5)], track=False)


def test_replay_refuses_an_opening_event_in_another_step(engine: Engine, resident: Actor) -> None:
    """A case opens in its method's initial step, and nowhere else."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    with pytest.raises(ReplayError):
        engine.replay([case.events[0]._replace(target="enjoy")], track=False)


def test_replay_refuses_a_history_that_skips_an_alarm(ticket_engine: Engine) -> None:
    """A live engine always records the alarms due before a transition, so replay insists."""
    case = ticket_engine.open("ticket", actor=NEIGHBOUR, at=MONDAY)
    ticket_engine.fire(case, "start", WORKER, at=MONDAY + HOUR)
    ticket_engine.fire(case, "close", WORKER, at=MONDAY + timedelta(days=1))
    skipped = [e for e in case.events if e.kind is not EventKind.WARNED]
    skipped = [e for e in skipped if e.kind is not EventKind.BREACHED]
    skipped = [e._replace(seq=i) for i, e in enumerate(skipped, start=1)]
    with pytest.raises(ReplayError):
        ticket_engine.replay(skipped, track=False)


def test_replay_of_an_unknown_method_raises_unknown_method(engine: Engine, resident: Actor) -> None:
    """An opening event naming a method the engine does not run cannot be replayed."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    with pytest.raises(UnknownMethod):
        engine.replay([case.events[0]._replace(trigger="eight_self")])


# --------------------------------------------------------------------------- messages


def _errors(engine: Engine, resident: Actor, council: Actor) -> list[CivicGridError]:
    case = walk_six_self(engine, resident, council)
    attempts: list[Callable[[], object]] = [
        lambda: engine.fire(case, "fly", council),
        lambda: engine.fire(case, "table", council),
        lambda: engine.fire(case, "adopt", resident),
        lambda: engine.fire(case, "adopt", council, data={"votes_for": 1, "votes_against": 1}),
        lambda: engine.fire(case, "adopt", council, data={"votes_for": True}),
        lambda: engine.fire(case, "adopt", council, at=MONDAY),
        lambda: engine.open("six_self", actor=Actor(id="x")),
        lambda: engine.open("nine_self", actor=resident),
        lambda: engine.replay([]),
        lambda: engine.tick(datetime(2026, 1, 1)),  # noqa: DTZ001
    ]
    errors: list[CivicGridError] = []
    for attempt in attempts:
        with pytest.raises(CivicGridError) as caught:
            attempt()
        errors.append(caught.value)
    return errors


def test_error_messages_are_in_english_and_chinese(
    engine: Engine, resident: Actor, council: Actor, clock: ManualClock
) -> None:
    """``str(error)`` gives the English message, then the Chinese one."""
    clock.advance(timedelta(days=3))
    errors = _errors(engine, resident, council)
    assert len({type(e) for e in errors}) >= 8
    for error in errors:
        text = str(error)
        assert error.message_en in text
        assert error.message_zh is not None
        assert error.message_zh in text
        assert CHINESE.search(error.message_zh), text
        assert re.search(r"[a-z]{3,}", error.message_en), text
        assert text == f"{error.message_en}\n{error.message_zh}"


def test_the_system_actor_holds_the_system_role() -> None:
    """The engine acts as ``system`` when a deadline breach fires a transition."""
    assert SYSTEM_ACTOR.id == "system"
    assert SYSTEM_ACTOR.roles == frozenset({"system"})
