"""Benchmark: the workflow kernel against a hand-written floor and two state-machine libraries.

What is measured
----------------
Every implementation drives the same six-step lifecycle for N cases::

    submitted --accept--> accepted --dispatch--> dispatched --start--> in_progress
              --resolve--> resolved --close--> closed

that is one case creation and five transitions per case, each recording an event
``(trigger, source, target, actor id, at)`` (creation records an ``opened`` event), so every
case ends in ``closed`` with six events. Creation of all N cases and driving all 5N
transitions are timed separately, and reported as microseconds per creation and per
transition:

``floor``
    Hand-written: a slotted object holding the step and the list of events, a dict lookup
    ``(step, trigger) -> target`` and one append of an event tuple. No role check, no guard:
    it is the least any Python implementation of "move the case and remember it" can cost.
``civicgrid``
    ``Engine.open`` / ``Engine.fire`` on a method built in Python and compiled with one
    trivial guard on every transition, so role checks, the guard call and event recording are
    all on. ``at`` and the case ids are passed explicitly, so the timing is of the kernel and
    not of the clock or of id formatting.
``civicgrid+deadline``
    The same with one calendar-time deadline (start at ``submitted``, stop at ``resolved``,
    5 hours, warning at 80%), to show what deadline bookkeeping costs. Reported only; the
    target applies to the plain variant.
``transitions`` / ``python-statemachine``
    The two usual libraries, configured for speed, with the same role check and trivial guard
    as conditions and a callback appending the same event tuple.

Why the floor
-------------
The floor is the number to keep the kernel's overhead small against: a workflow engine that
runs inside request handlers, replays and simulations should cost a small constant factor
over the dict lookup and the append it fundamentally is. The target is that ``civicgrid`` is
within 3x the floor for both creation and transition; the script reports whether it is, and
always exits 0 (a benchmark reports, it does not fail).

Method
------
Timing uses ``time.perf_counter_ns``. Before each timed section ``gc.collect()`` runs, and
the cyclic garbage collector is disabled during it (``gc.disable()``), so a collection
triggered by the allocations of one implementation does not land in another's numbers.
Each implementation is run ``--repeat`` times (round robin, fresh cases and engines every
time) and the best run is kept, separately for creation and transitions. Before timing,
every implementation is driven once on a few cases and checked: each case ends ``closed``
with the same six events, and a resident firing a worker's trigger is refused (so the
role checks are really on). After every timed run all cases are checked again, outside the
timed sections.

The libraries are much slower, so ``--peer-cases`` lets them run on fewer cases; the
per-creation and per-transition figures stay comparable.

Run::

    .venv/bin/python bench/engine.py [--cases N] [--peer-cases N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from importlib import metadata
from typing import Any, Generic, NamedTuple, TypeVar

from dateutil.relativedelta import relativedelta
from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed
from transitions import Machine

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    Case,
    Deadline,
    Engine,
    EventKind,
    FixedClock,
    Guard,
    Method,
    Role,
    RoleRefused,
    Step,
    Transition,
    compile_method,
)

TARGET = 3.0
"""civicgrid must stay within this factor of the floor, for creation and for transitions."""

AT = datetime(2025, 3, 3, 9, 30, tzinfo=DEFAULT_TZ)
"""The one instant every event happens at (no deadline falls due during the run)."""

STEPS = ("submitted", "accepted", "dispatched", "in_progress", "resolved", "closed")
INITIAL = "submitted"
FINAL = "closed"
TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    ("accept", "submitted", "accepted"),
    ("dispatch", "accepted", "dispatched"),
    ("start", "dispatched", "in_progress"),
    ("resolve", "in_progress", "resolved"),
    ("close", "resolved", "closed"),
)
WORKER_ROLES = frozenset({"worker"})
CLOSE_ROLES = frozenset({"resident", "worker"})
ROLES_OF = {
    trigger: CLOSE_ROLES if trigger == "close" else WORKER_ROLES for trigger, _, _ in TRANSITIONS
}

RESIDENT = Actor(id="resident-1", roles=frozenset({"resident"}))
WORKER = Actor(id="worker-1", roles=frozenset({"worker"}))
PLAN: tuple[tuple[str, Actor], ...] = (
    ("accept", WORKER),
    ("dispatch", WORKER),
    ("start", WORKER),
    ("resolve", WORKER),
    ("close", RESIDENT),
)
"""Who fires what, in order; the drivers below spell it out (unrolled, no inner loop)."""

EventTuple = tuple[str, str | None, str, str, datetime]
EXPECTED: list[EventTuple] = [
    ("opened", None, INITIAL, RESIDENT.id, AT),
    *(
        (trigger, source, target, actor.id, AT)
        for (trigger, source, target), (_, actor) in zip(TRANSITIONS, PLAN, strict=True)
    ),
]
"""The history every case of every implementation must end with."""

C = TypeVar("C")


# --------------------------------------------------------------------------- floor


class FloorCase:
    """The least a case can be: its step and its events."""

    __slots__ = ("events", "step")

    def __init__(self, step: str, events: list[EventTuple]) -> None:
        self.step = step
        self.events = events


FLOOR_TABLE: dict[tuple[str, str], str] = {
    (source, trigger): target for trigger, source, target in TRANSITIONS
}


def floor_open(actor: Actor, at: datetime) -> FloorCase:
    return FloorCase(INITIAL, [("opened", None, INITIAL, actor.id, at)])


def floor_fire(case: FloorCase, trigger: str, actor: Actor, at: datetime) -> None:
    source = case.step
    target = FLOOR_TABLE[source, trigger]
    case.events.append((trigger, source, target, actor.id, at))
    case.step = target


def floor_create(ids: Sequence[str]) -> list[FloorCase]:
    open_, resident, at = floor_open, RESIDENT, AT
    return [open_(resident, at) for _ in ids]


def floor_drive(cases: list[FloorCase]) -> None:
    fire = floor_fire
    worker, resident, at = WORKER, RESIDENT, AT
    for case in cases:
        fire(case, "accept", worker, at)
        fire(case, "dispatch", worker, at)
        fire(case, "start", worker, at)
        fire(case, "resolve", worker, at)
        fire(case, "close", resident, at)


def floor_history(case: FloorCase) -> tuple[str, list[EventTuple]]:
    return case.step, case.events


def floor_refuses(case: FloorCase) -> bool:
    # The floor checks no roles; it refuses only what the table does not know.
    try:
        floor_fire(case, "close", RESIDENT, AT)
    except KeyError:
        return True
    return False


# --------------------------------------------------------------------------- civicgrid


def always(case: Case, actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Let everything through: the guard is there to be called, not to decide."""
    return True


GUARD = Guard(
    name="always",
    check=always,
    label_zh="总是通过",
    label_en="always passes",
)

LABELS = {
    "submitted": ("已提交", "submitted"),
    "accepted": ("已受理", "accepted"),
    "dispatched": ("已派单", "dispatched"),
    "in_progress": ("处理中", "in progress"),
    "resolved": ("已办结", "resolved"),
    "closed": ("已关闭", "closed"),
    "accept": ("受理", "accept"),
    "dispatch": ("派单", "dispatch"),
    "start": ("开始处理", "start"),
    "resolve": ("办结", "resolve"),
    "close": ("关闭", "close"),
}


def build_method(*, deadline: bool) -> Method:
    """Build the benchmark's method in Python; with ``deadline``, a 5-hour resolution limit."""
    deadlines: tuple[Deadline, ...] = ()
    if deadline:
        deadlines = (
            Deadline(
                key="resolve_within",
                label_zh="5小时内办结",
                label_en="resolved within 5 hours",
                start=("submitted",),
                stop=("resolved",),
                duration=relativedelta(hours=5),
                warn_at=0.8,
            ),
        )
    roles = (
        Role(key="resident", label_zh="居民", label_en="resident"),
        Role(key="worker", label_zh="网格员", label_en="grid worker"),
    )
    steps = tuple(
        Step(key=key, label_zh=LABELS[key][0], label_en=LABELS[key][1], terminal=key == FINAL)
        for key in STEPS
    )
    transitions = tuple(
        Transition(
            trigger=trigger,
            sources=(source,),
            target=target,
            label_zh=LABELS[trigger][0],
            label_en=LABELS[trigger][1],
            roles=tuple(sorted(ROLES_OF[trigger])),
            guards=(GUARD.name,),
        )
        for trigger, source, target in TRANSITIONS
    )
    return Method(
        key="bench_deadline" if deadline else "bench",
        label_zh="基准测试事项",
        label_en="benchmark request",
        initial=INITIAL,
        open_roles=("resident",),
        roles=roles,
        steps=steps,
        transitions=transitions,
        deadlines=deadlines,
    )


class CivicgridRun:
    """One run of the kernel: a fresh engine per run, so no alarm queue carries over."""

    def __init__(self, *, deadline: bool) -> None:
        self.compiled = compile_method(build_method(deadline=deadline), {GUARD.name: GUARD})
        self.key = self.compiled.key
        self.engine = Engine([self.compiled], clock=FixedClock(AT))

    def create(self, ids: Sequence[str]) -> list[Case]:
        """Open one case per id."""
        open_, key, resident, at = self.engine.open, self.key, RESIDENT, AT
        return [open_(key, actor=resident, at=at, case_id=case_id) for case_id in ids]

    def drive(self, cases: list[Case]) -> None:
        """Fire the five transitions on every case."""
        fire = self.engine.fire
        worker, resident, at = WORKER, RESIDENT, AT
        for case in cases:
            fire(case, "accept", worker, at=at)
            fire(case, "dispatch", worker, at=at)
            fire(case, "start", worker, at=at)
            fire(case, "resolve", worker, at=at)
            fire(case, "close", resident, at=at)

    def refuses(self, case: Case) -> bool:
        """Whether a resident is refused ``accept`` (a worker's trigger)."""
        try:
            self.engine.fire(case, "accept", RESIDENT, at=AT)
        except RoleRefused:
            return True
        return False


def civicgrid_history(case: Case) -> tuple[str, list[EventTuple]]:
    events: list[EventTuple] = [
        (
            "opened" if e.kind is EventKind.OPENED else str(e.trigger),
            e.source,
            e.target,
            e.actor,
            e.at,
        )
        for e in case.events
    ]
    return case.step, events


# --------------------------------------------------------------------------- transitions


def _transitions_role(allowed: frozenset[str]) -> Callable[[Any], bool]:
    def check(event: Any) -> bool:
        actor: Actor = event.args[0]
        return not allowed.isdisjoint(actor.roles)

    return check


def _transitions_guard(event: Any) -> bool:
    return True


def _transitions_record(event: Any) -> None:
    actor: Actor = event.args[0]
    transition = event.transition
    event.model.events.append(
        (event.event.name, transition.source, transition.dest, actor.id, event.args[1])
    )


# Callables, not method names: with send_event=True every callback gets the EventData (the
# only way an `after` callback learns the source, target and model), and callables skip the
# getattr that names cost. Measured here, send_event=False with a model method name for
# `after` was ~1.5x slower per transition.
TRANSITIONS_SPEC = [
    {
        "trigger": trigger,
        "source": source,
        "dest": target,
        "conditions": [_transitions_role(ROLES_OF[trigger]), _transitions_guard],
        "after": _transitions_record,
    }
    for trigger, source, target in TRANSITIONS
]


class TransitionsCase:
    """A model for ``transitions.Machine``; the machine adds ``state`` and the triggers."""

    state: str
    accept: Callable[..., bool]
    dispatch: Callable[..., bool]
    start: Callable[..., bool]
    resolve: Callable[..., bool]
    close: Callable[..., bool]

    def __init__(self, actor: Actor, at: datetime) -> None:
        self.events: list[EventTuple] = [("opened", None, INITIAL, actor.id, at)]


def transitions_open(actor: Actor, at: datetime) -> TransitionsCase:
    # One Machine per model, the documented way. A shared machine (`Machine(model=None)` then
    # `add_model`, or `Machine(model=[...])`) is cheaper for a few models (~28 µs against
    # ~50 µs per case at 2,000 models, gc disabled) but quadratic: `add_model` tests
    # `model not in self.models`, a list, so at 20,000 models it already costs ~146 µs per
    # case and far more at 100,000. Per-model machines stay flat, so they are the fast path.
    case = TransitionsCase(actor, at)
    Machine(
        model=case,
        states=list(STEPS),
        transitions=TRANSITIONS_SPEC,
        initial=INITIAL,
        auto_transitions=False,
        send_event=True,
    )
    return case


def transitions_create(ids: Sequence[str]) -> list[TransitionsCase]:
    open_, resident, at = transitions_open, RESIDENT, AT
    return [open_(resident, at) for _ in ids]


def transitions_drive(cases: list[TransitionsCase]) -> None:
    worker, resident, at = WORKER, RESIDENT, AT
    for case in cases:
        case.accept(worker, at)
        case.dispatch(worker, at)
        case.start(worker, at)
        case.resolve(worker, at)
        case.close(resident, at)


def transitions_history(case: TransitionsCase) -> tuple[str, list[EventTuple]]:
    return case.state, case.events


def transitions_refuses(case: TransitionsCase) -> bool:
    # A failed condition makes the trigger return False and leaves the state alone.
    return case.accept(RESIDENT, AT) is False and case.state == INITIAL


# --------------------------------------------------------------------------- python-statemachine


def _psm_role(allowed: frozenset[str]) -> Callable[[Actor], bool]:
    def check(actor: Actor) -> bool:
        return not allowed.isdisjoint(actor.roles)

    return check


def _psm_guard(actor: Actor) -> bool:
    return True


_WORKER_ROLE = _psm_role(WORKER_ROLES)
_CLOSE_ROLE = _psm_role(CLOSE_ROLES)


class PsmCase(StateMachine):
    """The lifecycle as a python-statemachine class; one instance per case."""

    submitted = State(initial=True)
    accepted = State()
    dispatched = State()
    in_progress = State()
    resolved = State()
    closed = State(final=True)

    accept = submitted.to(accepted, cond=[_WORKER_ROLE, _psm_guard])
    dispatch = accepted.to(dispatched, cond=[_WORKER_ROLE, _psm_guard])
    start = dispatched.to(in_progress, cond=[_WORKER_ROLE, _psm_guard])
    resolve = in_progress.to(resolved, cond=[_WORKER_ROLE, _psm_guard])
    close = resolved.to(closed, cond=[_CLOSE_ROLE, _psm_guard])

    def __init__(self, actor: Actor, at: datetime) -> None:
        # `events` is taken by the library (the machine's event list), hence `log`.
        self.log: list[EventTuple] = [("opened", None, INITIAL, actor.id, at)]
        super().__init__()

    def after_transition(
        self, event: Any, source: State, target: State, actor: Actor, at: datetime
    ) -> None:
        """Record the transition (dependency-injected arguments)."""
        self.log.append((event.id, source.id, target.id, actor.id, at))


def psm_create(ids: Sequence[str]) -> list[PsmCase]:
    open_, resident, at = PsmCase, RESIDENT, AT
    return [open_(resident, at) for _ in ids]


def psm_drive(cases: list[PsmCase]) -> None:
    worker, resident, at = WORKER, RESIDENT, AT
    for case in cases:
        case.send("accept", actor=worker, at=at)
        case.send("dispatch", actor=worker, at=at)
        case.send("start", actor=worker, at=at)
        case.send("resolve", actor=worker, at=at)
        case.send("close", actor=resident, at=at)


def psm_history(case: PsmCase) -> tuple[str, list[EventTuple]]:
    (step,) = case.configuration_values
    return str(step), case.log


def psm_refuses(case: PsmCase) -> bool:
    try:
        case.send("accept", actor=RESIDENT, at=AT)
    except TransitionNotAllowed:
        return True
    return False


# --------------------------------------------------------------------------- harness


class Runner(NamedTuple, Generic[C]):
    """One run's operations: fresh state (engine, machine class …) for every run."""

    create: Callable[[Sequence[str]], list[C]]
    """Create one case per id (ids are used only by civicgrid, which stores them)."""
    drive: Callable[[list[C]], None]
    """Fire the five transitions on every case."""
    refuses: Callable[[C], bool]
    """Given a freshly created case, whether a resident firing ``accept`` is refused (for
    the floor, which checks no roles: whether a trigger not declared from the step is)."""


@dataclass(frozen=True)
class Implementation(Generic[C]):
    """One implementation: how to get a runner and how to read a case's history."""

    name: str
    peer: bool
    """Run on ``--peer-cases`` rather than ``--cases``."""
    setup: Callable[[], Runner[C]]
    history: Callable[[C], tuple[str, list[EventTuple]]]
    """A case's step and its events as ``(trigger, source, target, actor id, at)`` tuples."""


@dataclass
class Result:
    """The best times of one implementation."""

    name: str
    cases: int
    creation_ns: int | None = None
    drive_ns: int | None = None

    @property
    def creation_us(self) -> float:
        """Microseconds per case creation (best run)."""
        assert self.creation_ns is not None
        return self.creation_ns / self.cases / 1000

    @property
    def transition_us(self) -> float:
        """Microseconds per transition (best run)."""
        assert self.drive_ns is not None
        return self.drive_ns / (self.cases * len(TRANSITIONS)) / 1000


def _civicgrid_runner(*, deadline: bool) -> Callable[[], Runner[Case]]:
    def setup() -> Runner[Case]:
        run = CivicgridRun(deadline=deadline)
        return Runner(run.create, run.drive, run.refuses)

    return setup


IMPLEMENTATIONS: tuple[Implementation[Any], ...] = (
    Implementation(
        "floor",
        peer=False,
        setup=lambda: Runner(floor_create, floor_drive, floor_refuses),
        history=floor_history,
    ),
    Implementation(
        "civicgrid",
        peer=False,
        setup=_civicgrid_runner(deadline=False),
        history=civicgrid_history,
    ),
    Implementation(
        "civicgrid+deadline",
        peer=False,
        setup=_civicgrid_runner(deadline=True),
        history=civicgrid_history,
    ),
    Implementation(
        "transitions",
        peer=True,
        setup=lambda: Runner(transitions_create, transitions_drive, transitions_refuses),
        history=transitions_history,
    ),
    Implementation(
        "python-statemachine",
        peer=True,
        setup=lambda: Runner(psm_create, psm_drive, psm_refuses),
        history=psm_history,
    ),
)


def _timed(section: Callable[[], C]) -> tuple[int, C]:
    """Run ``section`` with the cyclic GC collected before and disabled during it."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        result = section()
        elapsed = time.perf_counter_ns() - start
    finally:
        gc.enable()
    return elapsed, result


def _check(impl: Implementation[C], cases: list[C], count: int) -> None:
    assert len(cases) == count, f"{impl.name}: {len(cases)} cases, expected {count}"
    for case in cases:
        step, events = impl.history(case)
        assert step == FINAL, f"{impl.name}: a case ended in {step!r}"
        assert len(events) == len(EXPECTED), f"{impl.name}: {len(events)} events, expected 6"
    step, events = impl.history(cases[-1])
    assert list(events) == EXPECTED, f"{impl.name}: recorded {events!r}"


def _verify(impl: Implementation[C]) -> None:
    """Drive a few cases untimed and check them before anything is timed."""
    runner = impl.setup()
    cases = runner.create([f"check-{i}" for i in range(50)])
    runner.drive(cases)
    _check(impl, cases, 50)
    (fresh,) = runner.create(["check-refusal"])
    assert runner.refuses(fresh), f"{impl.name}: a resident was not refused 'accept'"


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(cases: int, peer_cases: int, repeat: int) -> list[Result]:
    """Verify every implementation, then time them round robin and keep the best runs."""
    for impl in IMPLEMENTATIONS:
        _verify(impl)
    begun = time.perf_counter()
    _progress("checked: every implementation closes its cases with the same six events")
    results = {
        impl.name: Result(impl.name, peer_cases if impl.peer else cases) for impl in IMPLEMENTATIONS
    }
    ids = {n: [f"case-{i}" for i in range(n)] for n in {cases, peer_cases}}
    for r in range(1, repeat + 1):
        for impl in IMPLEMENTATIONS:
            result = results[impl.name]
            n = result.cases
            started = time.perf_counter()
            _progress(f"[{r}/{repeat}] {impl.name}: {n:,} cases …")
            runner = impl.setup()
            creation_ns, made = _timed(partial(runner.create, ids[n]))
            drive_ns, _ = _timed(partial(runner.drive, made))
            _check(impl, made, n)
            del made, runner
            gc.collect()
            if result.creation_ns is None or creation_ns < result.creation_ns:
                result.creation_ns = creation_ns
            if result.drive_ns is None or drive_ns < result.drive_ns:
                result.drive_ns = drive_ns
            _progress(
                f"[{r}/{repeat}] {impl.name}: {creation_ns / n / 1000:.3f} µs/creation, "
                f"{drive_ns / (n * len(TRANSITIONS)) / 1000:.3f} µs/transition "
                f"({time.perf_counter() - started:.1f} s)"
            )
    _progress(f"done in {time.perf_counter() - begun:.0f} s")
    return list(results.values())


# --------------------------------------------------------------------------- report


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("civicgrid", "transitions", "python-statemachine"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _verdict(results: list[Result]) -> tuple[float, float, bool]:
    by_name = {r.name: r for r in results}
    floor, kernel = by_name["floor"], by_name["civicgrid"]
    creation = kernel.creation_us / floor.creation_us
    transition = kernel.transition_us / floor.transition_us
    return creation, transition, creation <= TARGET and transition <= TARGET


def report_json(results: list[Result], args: argparse.Namespace) -> str:
    """Return the results as one JSON object."""
    floor = next(r for r in results if r.name == "floor")
    creation, transition, met = _verdict(results)
    return json.dumps(
        {
            "versions": _versions(),
            "cases": args.cases,
            "peer_cases": args.peer_cases,
            "repeat": args.repeat,
            "gc_disabled_while_timing": True,
            "results": {
                r.name: {
                    "cases": r.cases,
                    "creation_us": round(r.creation_us, 4),
                    "creation_x_floor": round(r.creation_us / floor.creation_us, 3),
                    "transition_us": round(r.transition_us, 4),
                    "transition_x_floor": round(r.transition_us / floor.transition_us, 3),
                }
                for r in results
            },
            "target_x_floor": TARGET,
            "civicgrid_creation_x_floor": round(creation, 3),
            "civicgrid_transition_x_floor": round(transition, 3),
            "target_met": met,
        },
        ensure_ascii=False,
    )


def report_table(results: list[Result], args: argparse.Namespace) -> str:
    """Return the results as a table with a header and a verdict line."""
    versions = _versions()
    floor = next(r for r in results if r.name == "floor")
    header = (
        f"Python {versions['python']} ({platform.python_implementation()}), "
        f"civicgrid {versions['civicgrid']}, transitions {versions['transitions']}, "
        f"python-statemachine {versions['python-statemachine']}"
    )
    setup = (
        f"{args.cases:,} cases (libraries: {args.peer_cases:,}), "
        f"{len(TRANSITIONS)} transitions each; best of {args.repeat}; "
        "gc collected before and disabled during each timed section"
    )
    columns = (
        f"{'implementation':<20} {'cases':>9} {'µs/creation':>12} {'x floor':>8} "
        f"{'µs/transition':>14} {'x floor':>8}"
    )
    rows = [
        f"{r.name:<20} {r.cases:>9,} {r.creation_us:>12.3f} "
        f"{r.creation_us / floor.creation_us:>8.2f} {r.transition_us:>14.3f} "
        f"{r.transition_us / floor.transition_us:>8.2f}"
        for r in results
    ]
    creation, transition, met = _verdict(results)
    verdict = (
        f"civicgrid: creation {creation:.2f}x floor, transition {transition:.2f}x floor; "
        f"target {TARGET:g}x floor for both: {'target met' if met else 'target missed'}"
    )
    return "\n".join([header, setup, "", columns, *rows, "", verdict])


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cases", type=_positive, default=100_000, help="cases (default 100000)")
    parser.add_argument(
        "--peer-cases",
        type=_positive,
        default=None,
        help="cases for transitions and python-statemachine (default: --cases)",
    )
    parser.add_argument("--repeat", type=_positive, default=3, help="runs; the best is kept")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.peer_cases is None:
        args.peer_cases = args.cases
    results = run(args.cases, args.peer_cases, args.repeat)
    print(report_json(results, args) if args.json else report_table(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
