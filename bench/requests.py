"""Benchmark: resident requests through 53522马上办 on a simulated clock (issue 4 acceptance).

What is measured
----------------
``--requests`` requests (300,000 by default) arrive over ``--days`` simulated days (30: about
10,000 a day, most of them in the daytime) and are handled to the end by the method
``--method`` (``immediate_53522``, DOMAIN.md I1), on a :class:`~civicgrid.ManualClock` that
the driver moves forward one simulated minute at a time, calling ``Engine.tick`` each minute
so deadline warnings and breaches are recorded as they fall due. Everything is in memory: the
engine, every case and every event.

How cases are handled
---------------------
The driver knows nothing of 53522 beyond the agreed conventions (``rate``, ``reopen``,
``escalate``, the terminal step ``closed``, the guards' data keys): it reads the method's
graph and, at each step, fires a transition on a shortest path to ``closed`` (where several
lead on, the first declared is the most likely: at 到达现场, most problems are judged small,
some big, a few hard). Who acts holds every role of the method and acts at every level, so
refusals come only from the method itself. Each action happens at a delay drawn from the
case's running deadline: usually well inside it, occasionally (``LATE``) after it, so the
deadline breaches and the method's breach action runs (escalate, or turn a small problem into
a big one). Now and then a case is explicitly escalated, waits for the resident (the clock
pauses) or is withdrawn with feedback. The resident rates: mostly satisfied, some basically
satisfied, some unsatisfied, which reopens the case once. The random generator is seeded
(``--seed``), so every run handles the same requests the same way.

The timed section is the whole simulation, end to end: opening cases, the driver's choices,
every ``fire`` and every ``tick``. ``transitions`` counts transition events (those the engine
fires itself on a breach included); ``events`` counts every recorded event (openings,
transitions, warnings, breaches). As in ``bench/engine.py``, ``gc.collect()`` runs before
the timed section and the cyclic garbage collector is off during it (the kernel makes no
reference cycles, so nothing is leaked: reference counting frees everything): with millions
of live events every full collection walks all of them, and a service holding that many in
memory would tune or freeze the collector. ``--gc`` leaves it on, to see what it costs.
Peak memory is the process's peak resident set size (``resource.getrusage``), which includes
the interpreter and the library, so the increase over the size before the run is printed too.
After the run every case is checked: each must have ended in a terminal step with a recorded
outcome, and none may be open with an alarm pending.

Target (issue 4): at least 50,000 transitions per second end to end on the project's machine;
the last line says "target met" or "target missed". The script always exits 0.

Run::

    .venv/bin/python bench/requests.py                     # 300,000 requests
    .venv/bin/python bench/requests.py --requests 20000    # quick check
    .venv/bin/python bench/requests.py --json
"""

from __future__ import annotations

import argparse
import gc
import heapq
import importlib
import json
import platform
import random
import resource
import sys
import time
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    Case,
    DeadlineStatus,
    Engine,
    EventKind,
    LadderExhausted,
    ManualClock,
    Method,
    Registry,
    TransitionRefused,
    load_registry,
)

TARGET = 50_000
"""Transitions per second, end to end, the run must reach."""

START = datetime(2026, 3, 2, 0, 0, tzinfo=DEFAULT_TZ)
"""The simulation starts on a Monday at midnight, Asia/Shanghai."""

MINUTE = 60.0
RUNNING = DeadlineStatus.RUNNING
LATE = 0.03
"""Chance that an action comes after the running deadline instead of well inside it."""
ESCALATE = 0.02
"""Chance that a handler explicitly calls the level above, where the method allows it."""
DETOUR = 0.04
"""Chance of a step off the shortest path that comes back to it (waiting for the resident)."""
WITHDRAW = 0.005
"""Chance that the resident withdraws the request (a terminal step other than ``closed``)."""
RATINGS = (("satisfied", 0.85), ("basically_satisfied", 0.09), ("unsatisfied", 0.06))
"""How residents rate; an unsatisfied rating reopens the case once, then it is accepted."""

DATA: Mapping[str, Any] = {
    "feedback": "已答复居民：问题已处理",
    "plan": "制定解决方案并报街道协调",
    "waiting_for": "home",
    "agreement": "协商一致",
}
"""What handlers record with every action: whatever the guards of a method ask for."""


# --------------------------------------------------------------------------- the method's graph


@dataclass
class Policy:
    """What the driver may do from each step, read from the method's transitions."""

    forward: dict[str, list[str]] = field(default_factory=dict)
    """Triggers on a shortest path to ``closed``, most likely first."""
    detours: dict[str, list[str]] = field(default_factory=dict)
    """Triggers off the path whose target leads back to it (wait …)."""
    escalates: dict[str, str] = field(default_factory=dict)
    """The escalating trigger available from a step, if any."""
    leave: dict[str, str] = field(default_factory=dict)
    """A trigger into a terminal step other than ``closed`` (withdraw …)."""
    rating_step: str = ""
    """The step the resident rates from (the source of ``rate``)."""


def read_policy(method: Method) -> Policy:
    """Work out, for each step, how the driver moves a case towards ``closed``."""
    terminal = {s.key for s in method.steps if s.terminal}
    edges = [
        (source, t)
        for t in method.transitions
        for source in t.sources
        if not t.escalate and t.trigger != "reopen" and t.target != source
    ]
    distance = {"closed": 0}
    changed = True
    while changed:
        changed = False
        for source, t in edges:
            if t.target in distance and t.target not in terminal - {"closed"}:
                d = distance[t.target] + 1
                if d < distance.get(source, sys.maxsize):
                    distance[source] = d
                    changed = True
    policy = Policy()
    for source, t in edges:
        if source not in distance:
            continue
        if t.target in terminal and t.target != "closed":
            policy.leave.setdefault(source, t.trigger)
        elif distance.get(t.target) == distance[source] - 1:
            policy.forward.setdefault(source, []).append(t.trigger)
        elif t.target in distance and t.target not in terminal and "system" not in t.roles:
            policy.detours.setdefault(source, []).append(t.trigger)
        if t.trigger == "rate":
            policy.rating_step = source
    for t in method.transitions:
        if t.escalate:
            for source in t.sources:
                policy.escalates[source] = t.trigger
    return policy


# --------------------------------------------------------------------------- the simulation


@dataclass
class Outcome:
    """What one run did and how long it took."""

    requests: int
    seconds: float
    cpu_seconds: float
    ticks: int
    refusals: int
    peak_rss_mib: float
    rss_before_mib: float
    transitions: int = 0
    events: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    ended: Counter[str] = field(default_factory=Counter)
    levels: Counter[str] = field(default_factory=Counter)
    ratings: Counter[str] = field(default_factory=Counter)
    reopened: int = 0
    breached_cases: int = 0
    escalated_cases: int = 0


def registry_with(method: str) -> Registry:
    """Return the built-in registry, adding the built-in plugin ``method`` if not registered."""
    registry = load_registry(entry_points=False)
    if method in registry.methods:
        return registry
    module = importlib.import_module(f"civicgrid.plugins.builtin.{method}")
    return load_registry(entry_points=False, plugins=[(f"civicgrid.{method}", module)])


def arrivals(count: int, days: int, rng: random.Random) -> list[float]:
    """Return ``count`` arrival instants (epoch seconds), 85% of them between 08:00 and 22:00."""
    start = START.timestamp()
    out = []
    for _ in range(count):
        day = rng.randrange(days)
        if rng.random() < 0.85:
            second = rng.uniform(8 * 3600, 22 * 3600)
        else:
            second = rng.uniform(0, 24 * 3600)
            while 8 * 3600 <= second < 22 * 3600:
                second = rng.uniform(0, 24 * 3600)
        out.append(start + day * 86_400 + second)
    out.sort()
    return out


class Driver:
    """Moves every case along, one action at a time, in simulated time order."""

    def __init__(self, engine: Engine, method: Method, rng: random.Random) -> None:
        self.engine = engine
        self.method = method.key
        self.policy = read_policy(method)
        self.rng = rng
        self.top = method.escalation[-1].key if method.escalation else None
        self.handler = Actor(
            id="handler",
            roles=frozenset(r.key for r in method.roles) - {"resident"},
            levels=frozenset(level.key for level in method.escalation),
        )
        self.resident = Actor(id="resident", roles=frozenset({"resident"}))
        self.rated = {value: {**DATA, "rating": value} for value, _ in RATINGS}
        self.reopened: set[str] = set()
        self.refusals = 0

    def rate(self, case: Case) -> tuple[str, Actor, Mapping[str, Any]]:
        """Return the resident's rating: an unsatisfied one reopens the case, once."""
        roll, verdict = self.rng.random(), "satisfied"
        for value, share in RATINGS:
            if roll < share:
                verdict = value
                break
            roll -= share
        if verdict == "unsatisfied":
            if case.id not in self.reopened:
                self.reopened.add(case.id)
                return "reopen", self.resident, self.rated[verdict]
            verdict = "satisfied"
        return "rate", self.resident, self.rated[verdict]

    def choose(self, case: Case) -> tuple[str, Actor, Mapping[str, Any]]:
        """Return the trigger to fire on ``case`` now, who fires it and with what data."""
        step, policy, rng = case.step, self.policy, self.rng
        if step == policy.rating_step:
            return self.rate(case)
        roll = rng.random()
        if roll < ESCALATE:
            escalate = policy.escalates.get(step)
            if escalate and case.level != self.top:
                return escalate, self.handler, DATA
        elif roll < ESCALATE + DETOUR:
            detours = policy.detours.get(step)
            if detours:
                return rng.choice(detours), self.handler, DATA
        elif roll < ESCALATE + DETOUR + WITHDRAW:
            leave = policy.leave.get(step)
            if leave:
                return leave, self.handler, DATA
        forward = policy.forward[step]
        if len(forward) == 1:
            return forward[0], self.handler, DATA
        # The first declared is the usual way on (small problems), then each next one rarer.
        pick = rng.random()
        index = 0 if pick < 0.7 else min(len(forward) - 1, 1 + int(pick > 0.93))
        return forward[index], self.handler, DATA

    def act(self, case: Case, at: datetime) -> None:
        """Fire the chosen trigger at ``at``; choose again if a breach just moved the case."""
        for _ in range(2):
            trigger, actor, data = self.choose(case)
            try:
                self.engine.fire(case, trigger, actor, at=at, data=data)
            except (TransitionRefused, LadderExhausted):
                # Alarms due before ``at`` were recorded first and changed the step or level.
                self.refusals += 1
                if case.is_closed:
                    return
                continue
            return
        raise AssertionError(f"{case.id}: no action possible at step {case.step!r}")

    def delay(self, case: Case, now: float) -> float:
        """Return seconds until the next action on ``case``, judged by its running deadline."""
        rng = self.rng
        if case.step == self.policy.rating_step:
            return rng.uniform(600, 86_400)  # the resident answers within a day
        due = None
        for state in case.deadlines.values():
            if state.status is RUNNING and (due is None or state.due < due):  # type: ignore[operator]
                due = state.due
        if due is None:
            return rng.uniform(1800, 6 * 3600)  # paused: the resident is waited for
        left = max(due.timestamp() - now, 1.0)
        if rng.random() < LATE:
            return left + rng.uniform(1.0, max(60.0, left / 2))
        return left * rng.uniform(0.05, 0.7)


def simulate(
    count: int, days: int, method_key: str, seed: int, *, collector: bool = False
) -> tuple[Outcome, list[Case]]:
    """Run the whole simulation, timed end to end, and return what it did with the cases.

    With ``collector`` the cyclic garbage collector stays on during the timed section.
    """
    rng = random.Random(seed)
    registry = registry_with(method_key)
    clock = ManualClock(START)
    engine = Engine.from_registry(registry, clock=clock, tz=DEFAULT_TZ)
    method = registry.methods[method_key]
    driver = Driver(engine, method, rng)
    opener = Actor(id="hotline", roles=frozenset(method.open_roles))
    incoming = deque(arrivals(count, days, rng))
    ids = [f"req-{n:07d}" for n in range(count)]
    cases: list[Case] = []
    agenda: list[tuple[float, int, Case]] = []
    fromtimestamp, tz = datetime.fromtimestamp, DEFAULT_TZ
    push, pop = heapq.heappush, heapq.heappop
    rss_before = _rss_mib()
    gc.collect()
    if not collector:
        gc.disable()

    begun, cpu = time.perf_counter(), time.process_time()
    now = START.timestamp()
    ticks = 0
    while incoming or agenda:
        now += MINUTE
        while True:
            arrival = incoming[0] if incoming else None
            action = agenda[0][0] if agenda else None
            if arrival is not None and arrival < now and (action is None or arrival <= action):
                incoming.popleft()
                case = engine.open(
                    method_key,
                    actor=opener,
                    at=fromtimestamp(arrival, tz),
                    case_id=ids[len(cases)],
                )
                cases.append(case)
                push(agenda, (arrival + driver.delay(case, arrival), len(cases), case))
            elif action is not None and action < now:
                when, seq, case = pop(agenda)
                if not case.is_closed:
                    driver.act(case, fromtimestamp(when, tz))
                if not case.is_closed:
                    push(agenda, (when + driver.delay(case, when), seq, case))
            else:
                break
        clock.set(fromtimestamp(now, tz))
        engine.tick()
        ticks += 1
    engine.tick(fromtimestamp(now + 7 * 86_400, tz))
    seconds, cpu = time.perf_counter() - begun, time.process_time() - cpu
    gc.enable()

    outcome = Outcome(
        requests=count,
        seconds=seconds,
        cpu_seconds=cpu,
        ticks=ticks,
        refusals=driver.refusals,
        peak_rss_mib=_peak_rss_mib(),
        rss_before_mib=rss_before,
    )
    return outcome, cases


def tally(outcome: Outcome, cases: Sequence[Case]) -> None:
    """Count what happened, from the recorded events alone, and check that no case vanished."""
    for case in cases:
        assert case.is_closed, f"{case.id} ended open in {case.step!r}"
        assert case.next_alarm is None, f"{case.id} is closed with an alarm pending"
        events = case.events
        outcome.events += len(events)
        kinds = Counter(e.kind for e in events)
        outcome.kinds.update(k.value for k in kinds.elements())
        outcome.transitions += kinds[EventKind.TRANSITION]
        outcome.ended[case.step] += 1
        outcome.levels[case.level or "-"] += 1
        outcome.breached_cases += kinds[EventKind.BREACHED] > 0
        triggers = [e.trigger for e in events if e.kind is EventKind.TRANSITION]
        outcome.reopened += "reopen" in triggers
        outcome.escalated_cases += any(e.level != events[0].level for e in events)
        for e in events:
            if e.trigger in {"rate", "reopen"} and e.data:
                outcome.ratings[e.data["rating"]] += 1


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --------------------------------------------------------------------------- report


def figures(outcome: Outcome) -> dict[str, Any]:
    """Return the headline figures of a run."""
    return {
        "requests_per_second": round(outcome.requests / outcome.seconds),
        "transitions_per_second": round(outcome.transitions / outcome.seconds),
        "seconds": round(outcome.seconds, 2),
        "cpu_seconds": round(outcome.cpu_seconds, 2),
        "transitions_per_cpu_second": round(outcome.transitions / outcome.cpu_seconds),
        "target_transitions_per_second": TARGET,
        "target_met": outcome.transitions / outcome.seconds >= TARGET,
    }


def report_json(outcome: Outcome, args: argparse.Namespace) -> str:
    """Return the run as one JSON object."""
    return json.dumps(
        {
            "python": platform.python_version(),
            "method": args.method,
            "requests": outcome.requests,
            "days": args.days,
            "seed": args.seed,
            "gc_during_run": args.gc,
            **figures(outcome),
            "transitions": outcome.transitions,
            "events": outcome.events,
            "event_kinds": dict(outcome.kinds),
            "ticks": outcome.ticks,
            "refused_and_chosen_again": outcome.refusals,
            "ended_in": dict(outcome.ended),
            "closing_level": dict(outcome.levels),
            "ratings": dict(outcome.ratings),
            "reopened_cases": outcome.reopened,
            "breached_cases": outcome.breached_cases,
            "escalated_cases": outcome.escalated_cases,
            "peak_rss_mib": round(outcome.peak_rss_mib, 1),
            "rss_before_mib": round(outcome.rss_before_mib, 1),
        },
        ensure_ascii=False,
    )


def report_table(outcome: Outcome, args: argparse.Namespace) -> str:
    """Return the run as lines of text ending in the verdict."""
    f = figures(outcome)
    n = outcome.requests

    def share(count: int) -> str:
        return f"{count:,} ({count / n:.1%})"

    lines = [
        (
            f"Python {platform.python_version()}; method {args.method}; {n:,} requests over "
            f"{args.days} simulated days, ticked every simulated minute "
            f"({outcome.ticks:,} ticks); seed {args.seed}; cyclic GC "
            f"{'on' if args.gc else 'off'} during the run"
        ),
        "",
        f"{'wall time':<28}{outcome.seconds:>12.2f} s",
        f"{'CPU time':<28}{outcome.cpu_seconds:>12.2f} s",
        f"{'requests per second':<28}{f['requests_per_second']:>12,}",
        f"{'transitions per second':<28}{f['transitions_per_second']:>12,}",
        f"{'transitions':<28}{outcome.transitions:>12,}",
        f"{'events recorded':<28}{outcome.events:>12,}",
        (
            f"{'peak memory (max RSS)':<28}{outcome.peak_rss_mib:>12,.1f} MiB"
            f"  (+{outcome.peak_rss_mib - outcome.rss_before_mib:,.1f} MiB during the run)"
        ),
        "",
        f"events by kind: {dict(outcome.kinds)}",
        f"ended in: {dict(outcome.ended)}",
        f"closing level: {dict(outcome.levels)}",
        f"ratings: {dict(outcome.ratings)}",
        (
            f"cases with a breach: {share(outcome.breached_cases)}; escalated: "
            f"{share(outcome.escalated_cases)}; reopened: {share(outcome.reopened)}"
        ),
        f"actions chosen again after a breach moved the case first: {outcome.refusals:,}",
        "",
        *busy(outcome, f),
        (
            f"{f['transitions_per_second']:,} transitions/s, target {TARGET:,}: "
            f"{'target met' if f['target_met'] else 'target missed'}"
        ),
    ]
    return "\n".join(lines)


def busy(outcome: Outcome, f: Mapping[str, Any]) -> list[str]:
    """Say so when other processes took the CPU: the verdict is on wall time all the same."""
    if outcome.seconds <= 1.2 * outcome.cpu_seconds:
        return []
    return [
        (
            f"note: the machine was busy (wall time {outcome.seconds / outcome.cpu_seconds:.1f}x"
            f" the CPU time); per CPU second: {f['transitions_per_cpu_second']:,} transitions/s"
        ),
    ]


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=_positive, default=300_000, help="default 300000")
    parser.add_argument("--days", type=_positive, default=30, help="simulated days of arrivals")
    parser.add_argument("--method", default="immediate_53522", help="method key")
    parser.add_argument("--seed", type=int, default=53522, help="random seed")
    parser.add_argument("--gc", action="store_true", help="keep the cyclic GC on while timing")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    outcome, cases = simulate(args.requests, args.days, args.method, args.seed, collector=args.gc)
    tally(outcome, cases)
    print(report_json(outcome, args) if args.json else report_table(outcome, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
