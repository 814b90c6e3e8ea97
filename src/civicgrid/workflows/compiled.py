"""Compiling a method: once, into lookup tables the engine walks without searching.

Every name is resolved here to a plain object: guards to callables, roles to frozensets, the
deadlines a transition touches to (rule, action) pairs. Nothing is looked up by name, and no
plugin hook is called, when a transition fires.
"""

from __future__ import annotations

from collections.abc import Mapping

from civicgrid.errors import UnknownGuard
from civicgrid.workflows.actor import grants_of
from civicgrid.workflows.deadlines import DeadlineAction, DeadlineRule
from civicgrid.workflows.guards import Guard, GuardCheck
from civicgrid.workflows.method import Method, Transition

__all__ = ["CompiledMethod", "CompiledTransition", "compile_method"]

DeadlineEffects = tuple[tuple[DeadlineRule, DeadlineAction], ...]


class CompiledTransition:
    """One (source step, trigger) pair, ready to fire."""

    __slots__ = (
        "definition",
        "effects",
        "escalate",
        "grants",
        "guards",
        "level",
        "powers",
        "roles",
        "source",
        "target",
        "target_out",
        "target_terminal",
        "trigger",
    )

    def __init__(
        self,
        definition: Transition,
        source: str,
        guards: tuple[tuple[str, GuardCheck, Guard], ...],
        effects: DeadlineEffects,
        target_out: dict[str, CompiledTransition],
        target_terminal: bool,
    ) -> None:
        self.definition = definition
        self.trigger = definition.trigger
        self.source = source
        self.target = definition.target
        self.roles = frozenset(definition.roles)
        self.powers = frozenset(definition.powers)
        self.grants = grants_of(self.roles, self.powers)
        self.guards = guards
        self.escalate = definition.escalate
        self.level = definition.level
        self.effects = effects
        self.target_out = target_out
        self.target_terminal = target_terminal

    def __repr__(self) -> str:
        return f"<CompiledTransition {self.source} --{self.trigger}--> {self.target}>"


class CompiledMethod:
    """A method's lookup tables: ``out[step][trigger]`` and the deadline rules."""

    __slots__ = (
        "initial",
        "initial_effects",
        "initial_level",
        "initial_out",
        "ladder",
        "method",
        "open_roles",
        "out",
        "rules",
        "rung_above",
        "terminal",
        "triggers",
    )

    def __init__(self, method: Method, guards: Mapping[str, Guard]) -> None:
        self.method = method
        self.terminal = frozenset(s.key for s in method.steps if s.terminal)
        self.triggers = frozenset(method.triggers)
        self.open_roles = frozenset(method.open_roles)
        self.ladder = tuple(level.key for level in method.escalation)
        # The next rung up from each level; a case with no level yet goes to the lowest rung,
        # and the top rung has no entry.
        self.rung_above: dict[str | None, str] = (
            {None: self.ladder[0], **dict(zip(self.ladder, self.ladder[1:], strict=False))}
            if self.ladder
            else {}
        )
        self.rules = {d.key: DeadlineRule(d) for d in method.deadlines}
        self.out: dict[str, dict[str, CompiledTransition]] = {s.key: {} for s in method.steps}
        for t in method.transitions:
            resolved = tuple(_resolve(method, t, name, guards) for name in t.guards)
            for source in t.sources:
                self.out[source][t.trigger] = CompiledTransition(
                    t,
                    source,
                    resolved,
                    self.effects(source, t.target),
                    self.out[t.target],
                    t.target in self.terminal,
                )
        self.initial = method.initial
        self.initial_level = self.ladder[0] if self.ladder else None
        self.initial_out = self.out[method.initial]
        self.initial_effects = self.effects(None, method.initial)

    @property
    def key(self) -> str:
        """The method's key."""
        return self.method.key

    def effects(self, source: str | None, target: str) -> DeadlineEffects:
        """Return the deadlines that entering ``target`` from ``source`` touches, and how."""
        terminal = target in self.terminal
        pairs = []
        for rule in self.rules.values():
            action = rule.action_on_entering(source, target, terminal)
            if action is not None:
                pairs.append((rule, action))
        return tuple(pairs)

    def __repr__(self) -> str:
        return f"<CompiledMethod {self.method.key}>"


def _resolve(
    method: Method, t: Transition, name: str, guards: Mapping[str, Guard]
) -> tuple[str, GuardCheck, Guard]:
    guard = guards.get(name)
    if guard is None:
        raise UnknownGuard(method.key, t.trigger, name, guards)
    return (name, guard.check, guard)


def compile_method(method: Method, guards: Mapping[str, Guard] | None = None) -> CompiledMethod:
    """Compile ``method``, resolving its guard names in ``guards``; unknown names raise."""
    return CompiledMethod(method, guards or {})
