"""Methods as data: a working method (工作法) is declared, never coded.

A :class:`Method` lists its steps (the states a case can be in), its transitions (which
trigger moves a case from which steps to which, who may fire it, which named guards must
agree), its deadlines and the escalation ladder it climbs. It is checked once, completely,
when it is built: an invalid method cannot exist, and :class:`~civicgrid.errors.InvalidMethod`
lists every problem at once with its path (``transitions[3].to: unknown step 'done'``).

Paths use the names a method file uses (``from``, ``to``), so a city team can find the line.
"""

from __future__ import annotations

import enum
import re
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from typing import Protocol

import attrs
from dateutil.relativedelta import relativedelta

from civicgrid.errors import InvalidMethod, Problem

__all__ = [
    "KEY_PATTERN",
    "SYSTEM_ROLE",
    "BreachAction",
    "Deadline",
    "Level",
    "Method",
    "Role",
    "Step",
    "Transition",
    "validate_method",
]

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
"""Keys of methods, steps, triggers, roles, deadlines and levels: lower snake case."""

SYSTEM_ROLE = "system"
"""The role the engine holds when a deadline breach fires a transition by itself."""

_RELATIVE_FIELDS = ("years", "months", "days", "hours", "minutes", "seconds")


def _tuple_of_str(value: Iterable[str] | str) -> tuple[str, ...]:
    # A lone string is one key, not a sequence of characters.
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen(kw_only=True)
class Step:
    """A state a case can be in, e.g. ``自议`` (self-discuss)."""

    key: str
    label_zh: str
    label_en: str
    terminal: bool = False
    """A terminal step ends the case: no transition leaves it, every deadline stops."""
    description: str = ""


@attrs.frozen(kw_only=True)
class Role:
    """A role that may fire transitions (resident, grid worker, council …), with its labels."""

    key: str
    label_zh: str
    label_en: str


@attrs.frozen(kw_only=True)
class Transition:
    """A trigger that moves a case from one of ``sources`` to ``target``.

    The actor must hold one of ``roles`` or one of ``powers`` (职权, e.g. ``dispatch``
    调度权), and every named guard must agree. ``escalate`` moves the case one rung up the
    method's ladder; ``level`` sets the rung directly (dispatching to the community, say).
    """

    trigger: str
    sources: tuple[str, ...] = attrs.field(converter=_tuple_of_str)
    target: str
    label_zh: str
    label_en: str
    roles: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    powers: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    guards: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    escalate: bool = False
    level: str | None = None


class BreachAction(enum.Enum):
    """What a deadline does when it passes unmet."""

    NOTIFY = "notify"
    """Record the breach; observers are told (the default)."""
    ESCALATE = "escalate"
    """Record the breach and move the case one rung up the escalation ladder."""
    FIRE = "fire"
    """Record the breach and fire ``breach_trigger`` as the system actor."""


@attrs.frozen(kw_only=True)
class Deadline:
    """A time limit on part of a case's life (e.g. 53522's "small problems in 30 minutes").

    It starts when a case enters one of ``start``, stops when it enters one of ``stop`` or a
    terminal step, and is paused while the case is in one of ``pause`` (waiting for the
    resident, say). Its length is either ``duration``, calendar time as a relativedelta, or
    ``working_days`` of the engine's work calendar, counted in working time only. At the
    fraction ``warn_at`` of its length (0.8 = 80%) a warning is recorded, for amber/red bands.
    A deadline is met when stopped at or before its due instant.
    """

    key: str
    label_zh: str
    label_en: str
    start: tuple[str, ...] = attrs.field(converter=_tuple_of_str)
    stop: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    pause: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    duration: relativedelta | None = None
    working_days: int | None = None
    warn_at: float | None = None
    on_breach: BreachAction = BreachAction.NOTIFY
    breach_trigger: str | None = None


@attrs.frozen(kw_only=True)
class Level:
    """A rung of an escalation ladder, e.g. grid → compound → community → subdistrict."""

    key: str
    label_zh: str
    label_en: str


# One converter per type: mypy's attrs plugin cannot infer a generic ``tuple`` converter.
def _steps(value: Iterable[Step]) -> tuple[Step, ...]:
    return tuple(value)


def _transitions(value: Iterable[Transition]) -> tuple[Transition, ...]:
    return tuple(value)


def _roles(value: Iterable[Role]) -> tuple[Role, ...]:
    return tuple(value)


def _deadlines(value: Iterable[Deadline]) -> tuple[Deadline, ...]:
    return tuple(value)


def _levels(value: Iterable[Level]) -> tuple[Level, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Method:
    """A working method (工作法) as data; validated completely when built."""

    key: str
    label_zh: str
    label_en: str
    initial: str
    """The step a case opens in."""
    open_roles: tuple[str, ...] = attrs.field(converter=_tuple_of_str)
    """Roles that may open a case of this method (e.g. residents raising a matter)."""
    steps: tuple[Step, ...] = attrs.field(converter=_steps)
    transitions: tuple[Transition, ...] = attrs.field(converter=_transitions)
    roles: tuple[Role, ...] = attrs.field(default=(), converter=_roles)
    deadlines: tuple[Deadline, ...] = attrs.field(default=(), converter=_deadlines)
    escalation: tuple[Level, ...] = attrs.field(default=(), converter=_levels)
    """The ladder, lowest rung first; a case opens on the first rung unless told otherwise."""
    source: str = ""
    """Where the method comes from: a DOMAIN.md ID (``D1``) or a city's own document."""
    description_zh: str = ""
    description_en: str = ""

    def __attrs_post_init__(self) -> None:
        problems = list(validate_method(self))
        if problems:
            raise InvalidMethod(self.key or None, problems)

    def step(self, key: str) -> Step:
        """Return the step called ``key``; ``KeyError`` if there is none."""
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger the method declares, in declaration order, once each."""
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))


# --------------------------------------------------------------------------- validation


def validate_method(method: Method) -> Iterator[Problem]:
    """Yield every problem with ``method``; nothing yielded means it is valid."""
    yield from _check_key("key", method.key)
    yield from _check_labels("", method.label_zh, method.label_en)
    step_keys = yield from _check_unique_entries("steps", method.steps)
    role_keys = yield from _check_unique_entries("roles", method.roles)
    level_keys = yield from _check_unique_entries("escalation", method.escalation)
    yield from _check_unique_entries("deadlines", method.deadlines)
    if not method.steps:
        yield Problem("steps", "a method needs at least one step")
    terminal = {s.key for s in method.steps if s.terminal}
    if method.steps and not terminal:
        yield Problem("steps", "no step is terminal: a case could never end")
    if method.initial not in step_keys:
        yield Problem("initial", f"unknown step {method.initial!r}")
    known_roles = role_keys | {SYSTEM_ROLE}
    if not method.open_roles:
        yield Problem("open_roles", "name the roles that may open a case")
    for j, role in enumerate(method.open_roles):
        if role not in known_roles:
            yield Problem(f"open_roles[{j}]", f"undeclared role {role!r}")
    yield from _check_transitions(method, step_keys, terminal, known_roles, level_keys)
    if method.initial in step_keys:
        yield from _check_graph(method, step_keys, terminal)
    for i, deadline in enumerate(method.deadlines):
        yield from _check_deadline(method, f"deadlines[{i}]", deadline, step_keys, terminal)


def _check_key(path: str, key: str) -> Iterator[Problem]:
    if not KEY_PATTERN.match(key):
        yield Problem(path, f"{key!r} is not a key: use lower_snake_case, starting with a letter")


def _check_labels(prefix: str, label_zh: str, label_en: str) -> Iterator[Problem]:
    dot = "." if prefix else ""
    if not label_zh.strip():
        yield Problem(f"{prefix}{dot}label_zh", "empty: every name carries its Chinese label")
    if not label_en.strip():
        yield Problem(f"{prefix}{dot}label_en", "empty: every name carries its English label")


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def label_zh(self) -> str: ...
    @property
    def label_en(self) -> str: ...


def _check_unique_entries(
    path: str, entries: Sequence[_Keyed]
) -> Generator[Problem, None, set[str]]:
    """Yield problems with keyed entries' keys and labels; return the set of keys."""
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        yield from _check_key(f"{path}[{i}].key", entry.key)
        yield from _check_labels(f"{path}[{i}]", entry.label_zh, entry.label_en)
        if entry.key in seen:
            yield Problem(
                f"{path}[{i}].key", f"duplicate key {entry.key!r} (also {path}[{seen[entry.key]}])"
            )
        else:
            seen[entry.key] = i
    return set(seen)


def _check_transitions(
    method: Method,
    step_keys: set[str],
    terminal: set[str],
    known_roles: set[str],
    level_keys: set[str],
) -> Iterator[Problem]:
    declared: dict[tuple[str, str], int] = {}
    for i, t in enumerate(method.transitions):
        here = f"transitions[{i}]"
        yield from _check_key(f"{here}.trigger", t.trigger)
        yield from _check_labels(here, t.label_zh, t.label_en)
        if not t.sources:
            yield Problem(f"{here}.from", "name at least one step the transition leaves from")
        for j, source in enumerate(t.sources):
            if source not in step_keys:
                yield Problem(f"{here}.from[{j}]", f"unknown step {source!r}")
            elif source in terminal:
                yield Problem(
                    f"{here}.from[{j}]", f"step {source!r} is terminal: nothing leaves it"
                )
            pair = (source, t.trigger)
            if pair in declared:
                yield Problem(
                    f"{here}.from[{j}]",
                    f"trigger {t.trigger!r} from step {source!r} is already declared "
                    f"by transitions[{declared[pair]}]",
                )
            else:
                declared[pair] = i
        if t.target not in step_keys:
            yield Problem(f"{here}.to", f"unknown step {t.target!r}")
        if not t.roles and not t.powers:
            yield Problem(f"{here}.roles", "name the roles or powers that may fire it")
        for j, role in enumerate(t.roles):
            if role not in known_roles:
                yield Problem(f"{here}.roles[{j}]", f"undeclared role {role!r}")
        for j, power in enumerate(t.powers):
            yield from _check_key(f"{here}.powers[{j}]", power)
        for j, guard in enumerate(t.guards):
            if not guard.strip():
                yield Problem(f"{here}.guards[{j}]", "empty guard name")
        if t.escalate and t.level is not None:
            yield Problem(f"{here}.level", "set either escalate or level, not both")
        if (t.escalate or t.level is not None) and not method.escalation:
            yield Problem(here, "changes the level but the method has no escalation ladder")
        if t.level is not None and method.escalation and t.level not in level_keys:
            yield Problem(f"{here}.level", f"unknown level {t.level!r}")


def _successors(method: Method) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {s.key: set() for s in method.steps}
    for t in method.transitions:
        for source in t.sources:
            if source in graph and t.target in graph:
                graph[source].add(t.target)
    return graph


def _reach(graph: dict[str, set[str]], starts: Iterable[str], stops: set[str]) -> set[str]:
    """Return the steps reachable from ``starts`` without going on from any step in ``stops``."""
    seen = {s for s in starts if s in graph}
    queue = deque(seen)
    while queue:
        step = queue.popleft()
        if step in stops:
            continue
        for nxt in graph[step]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _check_graph(method: Method, step_keys: set[str], terminal: set[str]) -> Iterator[Problem]:
    graph = _successors(method)
    reachable = _reach(graph, [method.initial], set())
    reverse: dict[str, set[str]] = {k: set() for k in graph}
    for source, targets in graph.items():
        for target in targets:
            reverse[target].add(source)
    can_finish = _reach(reverse, terminal, set())
    for i, step in enumerate(method.steps):
        if step.key not in step_keys:
            continue
        if step.key not in reachable:
            yield Problem(
                f"steps[{i}]", f"step {step.key!r} cannot be reached from {method.initial!r}"
            )
        elif not step.terminal and not graph[step.key]:
            yield Problem(f"steps[{i}]", f"step {step.key!r} has no way out and is not terminal")
        elif step.key not in can_finish:
            yield Problem(f"steps[{i}]", f"no path leads from step {step.key!r} to a terminal step")


def _check_deadline(
    method: Method, here: str, d: Deadline, step_keys: set[str], terminal: set[str]
) -> Iterator[Problem]:
    for name, steps in (("start", d.start), ("stop", d.stop), ("pause", d.pause)):
        for j, step in enumerate(steps):
            if step not in step_keys:
                yield Problem(f"{here}.{name}[{j}]", f"deadline on unknown step {step!r}")
    if not d.start:
        yield Problem(f"{here}.start", "name the steps whose entry starts the deadline")
    for a, b in (("start", "stop"), ("start", "pause"), ("stop", "pause")):
        both = sorted(set(getattr(d, a)) & set(getattr(d, b)))
        if both:
            yield Problem(f"{here}.{b}", f"step(s) {', '.join(both)} both {a} and {b} it")
    if (d.duration is None) == (d.working_days is None):
        yield Problem(here, "give exactly one of duration or working_days")
    if d.duration is not None:
        amounts = [getattr(d.duration, f) for f in _RELATIVE_FIELDS]
        absolute = d.duration.year or d.duration.month or d.duration.day or d.duration.weekday
        if absolute or any(a < 0 for a in amounts) or not any(amounts) or d.duration.microseconds:
            yield Problem(
                f"{here}.duration", "must be a positive relative duration, e.g. {hours = 5}"
            )
    if d.working_days is not None and d.working_days < 1:
        yield Problem(f"{here}.working_days", "must be at least 1")
    if d.warn_at is not None and not 0 < d.warn_at < 1:
        yield Problem(f"{here}.warn_at", "must be a fraction strictly between 0 and 1, e.g. 0.8")
    action: object = d.on_breach  # typed, but Python callers can pass anything
    if not isinstance(action, BreachAction):
        choices = ", ".join(repr(a.value) for a in BreachAction)
        yield Problem(f"{here}.on_breach", f"{action!r} is not one of {choices}")
    if d.on_breach is BreachAction.ESCALATE and not method.escalation:
        yield Problem(f"{here}.on_breach", "escalate needs the method's escalation ladder")
    if d.on_breach is BreachAction.FIRE:
        yield from _check_breach_trigger(method, here, d, step_keys, terminal)
    elif d.breach_trigger is not None:
        yield Problem(f"{here}.breach_trigger", "only used when on_breach is 'fire'")


def _check_breach_trigger(
    method: Method, here: str, d: Deadline, step_keys: set[str], terminal: set[str]
) -> Iterator[Problem]:
    if d.breach_trigger is None:
        yield Problem(f"{here}.breach_trigger", "on_breach 'fire' needs the trigger to fire")
        return
    # Wherever the deadline can still be running (and not paused), the system must be able
    # to fire the trigger, or a breach would have nothing to do.
    running = _reach(_successors(method), d.start, set(d.stop) | terminal)
    live = running - set(d.stop) - terminal - set(d.pause)
    allowed_from = {
        source
        for t in method.transitions
        if t.trigger == d.breach_trigger and SYSTEM_ROLE in t.roles
        for source in t.sources
    }
    missing = sorted(s for s in live & step_keys if s not in allowed_from)
    if missing:
        yield Problem(
            f"{here}.breach_trigger",
            f"the system cannot fire {d.breach_trigger!r} from step(s) {', '.join(missing)}, "
            "where the deadline may still be running (declare it from there with role 'system')",
        )
