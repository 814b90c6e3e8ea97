"""Who acts in a simulated district: workers on cases, residents rating, volunteers earning.

The driver knows a request method only through its transitions and the agreed conventions
(``rate``/``reopen`` with ``data["rating"]``, ``escalate = true`` triggers, terminal steps,
``acts_at_case_level`` with worker actors acting at one rung each, ``feedback_given`` and the
data keys other guards read): at each step it fires a transition on a shortest path to
``closed``, now and then a detour, an escalation or a withdrawal.

Every decision about a case is drawn from :class:`Draws` seeded by the run's seed, the case
id and the number of its latest event, so the next action of any open case follows from its
stored events alone: a resumed run schedules exactly what an uninterrupted one would.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from civicgrid.domain.account_ids import account_for, accounts_for
from civicgrid.domain.units import UnitTree
from civicgrid.simulation.presets import Behaviour, Preset
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.deadlines import DeadlineStatus
from civicgrid.workflows.method import Method

__all__ = [
    "DATA",
    "Draws",
    "Policy",
    "Workforce",
    "account_for",
    "accounts_for",
    "choose",
    "delay",
    "driven_as",
    "goal_of",
    "rating",
    "read_policy",
]

T = TypeVar("T")
_MASK = (1 << 64) - 1
_RUNNING = DeadlineStatus.RUNNING

DATA: Mapping[str, Any] = {
    "feedback": "已答复居民：问题已处理",
    "plan": "制定解决方案并报街道协调",
    "waiting_for": "home",
    "agreement": "协商一致",
    "resolution": "议定由物业限期整改",
    "departments": ["城管执法中队", "市场监管所"],
    "meeting": "社区党建联席会议",
    "votes_for": 7,
    "votes_against": 2,
}
"""What workers record with every action: whatever the built-in guards ask for."""


class Draws:
    """A small, fast, seeded generator (splitmix64): one per decision point of a case.

    ``random.Random`` takes several microseconds to seed; a case needs a fresh generator at
    every event, so this one seeds in a few hundred nanoseconds. Not for anything secret.
    """

    __slots__ = ("_state",)

    def __init__(self, seed: int) -> None:
        self._state = seed & _MASK

    @classmethod
    def for_case(cls, seed: int, case_id: str, seq: int) -> Draws:
        """Return the generator for the decision after event ``seq`` of case ``case_id``."""
        return cls((seed * 0x9E3779B97F4A7C15) ^ (zlib.crc32(case_id.encode()) << 20) ^ seq)

    def random(self) -> float:
        """Return a float in [0, 1)."""
        self._state = state = (self._state + 0x9E3779B97F4A7C15) & _MASK
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        return ((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0)

    def uniform(self, low: float, high: float) -> float:
        """Return a float in [low, high)."""
        return low + (high - low) * self.random()

    def choice(self, items: Sequence[T]) -> T:
        """Return one of ``items``."""
        return items[int(self.random() * len(items))]


# --------------------------------------------------------------------------- the method's graph


@dataclass
class Policy:
    """What the driver may do from each step, read from the method's transitions."""

    forward: dict[str, list[str]] = field(default_factory=dict)
    """Triggers on a shortest path to the goal (:func:`goal_of`), in declaration order."""
    detours: dict[str, list[str]] = field(default_factory=dict)
    """Triggers off the path whose target leads back to it (waiting for the resident …)."""
    escalates: dict[str, str] = field(default_factory=dict)
    """The escalating trigger available from a step, if any."""
    leave: dict[str, str] = field(default_factory=dict)
    """A trigger into a terminal step other than ``closed`` (withdraw, merge …)."""
    rating_step: str = ""
    """The step the resident rates from (the source of ``rate``)."""
    resident_only: frozenset[str] = frozenset()
    """Triggers only the resident may fire (``rate``, ``reopen``)."""


def goal_of(method: Method) -> str:
    """Return the step the driver steers a case to: ``closed``, else the first terminal step.

    Six Self ends in 自享 ``enjoy``; most methods in ``closed``. A method whose steps are all
    non-terminal has no goal (validation refuses such a method); ``closed`` is returned.
    """
    keys = [step.key for step in method.steps if step.terminal]
    return "closed" if "closed" in keys or not keys else keys[0]


def read_policy(method: Method) -> Policy:
    """Work out, for each step of ``method``, how the driver moves a case towards ``closed``."""
    terminal = {s.key for s in method.steps if s.terminal}
    goal = goal_of(method)
    edges = [
        (source, t)
        for t in method.transitions
        for source in t.sources
        if not t.escalate and t.trigger != "reopen" and t.target != source
    ]
    distance = {goal: 0}
    changed = True
    while changed:
        changed = False
        for source, t in edges:
            if t.target in distance and t.target not in terminal - {goal}:
                d = distance[t.target] + 1
                if d < distance.get(source, sys.maxsize):
                    distance[source] = d
                    changed = True
    policy = Policy()
    for source, t in edges:
        if source not in distance:
            continue
        if t.target in terminal and t.target != goal:
            policy.leave.setdefault(source, t.trigger)
        elif distance.get(t.target) == distance[source] - 1:
            if t.trigger not in policy.forward.get(source, []):
                policy.forward.setdefault(source, []).append(t.trigger)
        elif t.target in distance and t.target not in terminal and "system" not in t.roles:
            policy.detours.setdefault(source, []).append(t.trigger)
        if t.trigger == "rate":
            policy.rating_step = source
    for t in method.transitions:
        if t.escalate:
            for source in t.sources:
                policy.escalates[source] = t.trigger
    policy.resident_only = frozenset(
        t.trigger for t in method.transitions if set(t.roles) == {"resident"}
    )
    return policy


def driven_as(method: Method) -> str | None:
    """Return how a simulation can drive ``method``: ``"requests"``, ``"deliberation"`` or None.

    A request method has a way from its first step to its goal (:func:`goal_of`) through a
    resident's rating (``rate``); a deliberation method a way there without one. A method
    with no way to its goal cannot be simulated.
    """
    policy = read_policy(method)
    if method.initial not in policy.forward:
        return None
    return "requests" if policy.rating_step else "deliberation"


# --------------------------------------------------------------------------- workers


class Workforce:
    """The workers of a district: one per unit at each rung, acting at that rung only.

    The worker for a case at level ``grid`` is the one of the nearest unit at or above the
    case's unit whose kind the preset maps to ``grid`` (a micro grid in Chenghua, the
    compound in Hefei), and so on up. Each holds every role of the method but the
    resident's and the system's, so refusals come from the method's levels and guards.
    """

    def __init__(self, tree: UnitTree, preset: Preset, method: Method) -> None:
        self._tree = tree
        self._rungs = preset.rungs
        self._roles = frozenset(r.key for r in method.roles) - {"resident", "system"}
        self._actors: dict[tuple[str | None, str | None], Actor] = {}
        self._anchor: dict[tuple[str, str], str] = {}

    def actor(self, unit: str | None, level: str | None) -> Actor:
        """Return the worker acting for ``unit`` at ``level`` (a district-wide one if none)."""
        anchor = self._anchor_of(unit, level)
        actor = self._actors.get((anchor, level))
        if actor is None:
            actor = Actor(
                id=f"w:{level or 'any'}:{anchor or 'district'}",
                roles=self._roles,
                unit=anchor,
                levels=frozenset() if level is None else frozenset({level}),
            )
            self._actors[anchor, level] = actor
        return actor

    def _anchor_of(self, unit: str | None, level: str | None) -> str | None:
        if unit is None or level is None:
            return unit
        key = (unit, level)
        found = self._anchor.get(key)
        if found is None:
            kinds = self._rungs.get(level, frozenset())
            found = unit
            for candidate in (self._tree.unit(unit), *self._tree.ancestors(unit)):
                if candidate.kind in kinds:
                    found = candidate.id
                    break
            self._anchor[key] = found
        return found


# --------------------------------------------------------------------------- the driver


def delay(case: Case, now: float, policy: Policy, behaviour: Behaviour, draws: Draws) -> float:
    """Return seconds until the next action on ``case``.

    The worker's own pace (``idle_minutes``), but within the time left on the earliest
    running deadline (a share drawn from ``[early, usual]``), except with probability
    ``late``, when the action comes after the deadline. The resident answers in
    ``rating_hours``.
    """
    if case.step == policy.rating_step:
        low, high = behaviour.rating_hours
        return draws.uniform(low * 3600, high * 3600)
    due = None
    for state in case.deadlines.values():
        if state.status is _RUNNING and state.due is not None and (due is None or state.due < due):
            due = state.due
    low, high = behaviour.idle_minutes
    work = draws.uniform(low * 60, high * 60)
    if due is None:
        return work
    left = max(due.timestamp() - now, 1.0)
    if draws.random() < behaviour.late:
        return left + draws.uniform(1.0, max(60.0, left / 2))
    return min(work, left * draws.uniform(behaviour.early, behaviour.usual))


def rating(case: Case, behaviour: Behaviour, draws: Draws) -> tuple[str, str]:
    """Return the resident's trigger and verdict: unsatisfied reopens a case once."""
    roll, verdict = draws.random(), "satisfied"
    for value, share in behaviour.ratings:
        if roll < share:
            verdict = value
            break
        roll -= share
    if verdict == "unsatisfied":
        if not any(e.trigger == "reopen" for e in case.events):
            return "reopen", verdict
        verdict = "basically_satisfied"
    return "rate", verdict


def choose(
    case: Case, policy: Policy, behaviour: Behaviour, draws: Draws, top: str | None
) -> str | None:
    """Return the trigger a worker fires on ``case`` now (``None``: nothing on the way on)."""
    step = case.step
    roll = draws.random()
    if roll < behaviour.escalate:
        escalate = policy.escalates.get(step)
        if escalate and case.level != top:
            return escalate
    elif roll < behaviour.escalate + behaviour.detour:
        detours = policy.detours.get(step)
        if detours:
            return draws.choice(detours)
    elif roll < behaviour.escalate + behaviour.detour + behaviour.withdraw:
        leave = policy.leave.get(step)
        if leave:
            return leave
    forward = policy.forward.get(step)
    if not forward:
        return None
    if len(forward) == 1:
        return forward[0]
    pick = draws.random()
    index = 0 if pick < 0.7 else min(len(forward) - 1, 1 + int(pick > 0.93))
    return forward[index]
