"""Cases: one request or topic running a method.

A case is a mutable slotted object owned by the engine: it changes on every transition, and
measured here an ``attrs.evolve`` of a frozen case alone costs about five times the whole
budget of a transition. Everyone else reads it through read-only properties; only the engine
(:class:`~civicgrid.workflows.engine.Engine`) changes it, and only by appending an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from civicgrid.workflows.event import EventLog, RawEvent

if TYPE_CHECKING:
    from civicgrid.workflows.compiled import CompiledMethod, CompiledTransition
    from civicgrid.workflows.deadlines import DeadlineState
    from civicgrid.workflows.method import Method, Step

__all__ = ["Case"]


class Case:
    """A case: its method, current step, level, assignee, open deadlines and full history."""

    __slots__ = (
        "_assignee",
        "_compiled",
        "_deadlines",
        "_events",
        "_id",
        "_level",
        "_next_alarm",
        "_out",
        "_step",
        "_updated",
    )

    def __init__(self, case_id: str, compiled: CompiledMethod, opened: RawEvent) -> None:
        """Make a case from its opening event; only the engine makes cases."""
        self._id = case_id
        self._compiled = compiled
        self._step = compiled.initial
        self._out: dict[str, CompiledTransition] = compiled.initial_out
        self._level: str | None = opened[8]
        self._assignee: str | None = opened[9]
        self._events: list[RawEvent] = [opened]
        self._deadlines: dict[str, DeadlineState] = {}
        self._next_alarm: datetime | None = None
        self._updated: datetime = opened[3]

    @property
    def id(self) -> str:
        """The case's identifier, unique within its store."""
        return self._id

    @property
    def method(self) -> Method:
        """The method the case runs."""
        return self._compiled.method

    @property
    def method_key(self) -> str:
        """The key of the method the case runs."""
        return self._compiled.method.key

    @property
    def step(self) -> str:
        """The key of the current step."""
        return self._step

    @property
    def current_step(self) -> Step:
        """The current step with its labels."""
        return self._compiled.method.step(self._step)

    @property
    def level(self) -> str | None:
        """The rung of the escalation ladder the case is on, if the method has a ladder."""
        return self._level

    @property
    def assignee(self) -> str | None:
        """Who the case is assigned to, if anyone."""
        return self._assignee

    @property
    def events(self) -> EventLog:
        """The case's history, oldest first; read-only."""
        return EventLog(self._events)

    @property
    def deadlines(self) -> Mapping[str, DeadlineState]:
        """The state of each deadline that has started, by key; read-only."""
        return MappingProxyType(self._deadlines)

    @property
    def next_alarm(self) -> datetime | None:
        """The next instant a deadline of this case warns or breaches, or a reminder is due.

        After the case closes a reminder's stale instant may linger here until the engine next
        looks at it; nothing is recorded after the close.
        """
        return self._next_alarm

    @property
    def opened_at(self) -> datetime:
        """When the case was opened."""
        return self._events[0][3]

    @property
    def updated_at(self) -> datetime:
        """When the case's last event happened."""
        return self._events[-1][3]

    @property
    def is_closed(self) -> bool:
        """Whether the case is in a terminal step."""
        return self._step in self._compiled.terminal

    @property
    def data(self) -> Mapping[str, Any] | None:
        """The data the case was opened with."""
        return self._events[0][10]

    def allowed_triggers(self) -> tuple[str, ...]:
        """Return the triggers declared from the current step, whoever may fire them."""
        return tuple(self._out)

    def _state(self) -> tuple[object, ...]:
        return (
            self._id,
            self._compiled.method.key,
            self._step,
            self._level,
            self._assignee,
            self._events,
            self._deadlines,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Case):
            return NotImplemented
        return self._state() == other._state()

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __repr__(self) -> str:
        return (
            f"<Case {self._id!r} {self._compiled.method.key}:{self._step}"
            f" level={self._level!r} events={len(self._events)}>"
        )
