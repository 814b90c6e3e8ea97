"""Walking a case through a list of moves, and saying clearly where it was refused."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from civicgrid.errors import CivicGridError
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.engine import Engine
from civicgrid.workflows.event import Event

__all__ = ["Move", "WalkRefused", "actor", "walk"]


def actor(*roles: str, id: str | None = None, powers: Iterable[str] = ()) -> Actor:
    """Return an actor holding ``roles`` (and ``powers``), named after them unless ``id``."""
    return Actor(id=id or "+".join(roles) or "nobody", roles=frozenset(roles), powers=powers)


@attrs.frozen
class Move:
    """One step of a walk: fire ``trigger`` as ``by``, after waiting ``after`` on the clock."""

    trigger: str
    by: Actor
    data: Mapping[str, Any] | None = None
    after: timedelta = timedelta(0)


class WalkRefused(AssertionError, CivicGridError):
    """A walk stopped: names the move, the actor, the case's step and the engine's reason."""

    def __init__(self, position: int, total: int, move: Move, case: Case, cause: CivicGridError):
        self.position = position
        self.move = move
        self.case = case
        self.cause = cause
        history = " → ".join(e.target for e in case.events)
        CivicGridError.__init__(
            self,
            f"move {position} of {total} ({move.trigger!r} by {move.by.id!r}) was refused at "
            f"step {case.step!r}: {cause.message_en}\n  history: {history}",
            f"第 {position}/{total} 步（{move.by.id!r} 执行 {move.trigger!r}）在 {case.step!r}"
            f" 被拒绝：{cause.message_zh or cause.message_en}",
        )


def walk(
    engine: Engine,
    case: Case,
    moves: Sequence[Move | tuple[str, Actor] | tuple[str, Actor, Mapping[str, Any] | None]],
    *,
    tick: bool = True,
) -> list[Event]:
    """Fire each move on ``case`` in turn and return the events recorded on the way.

    Waits move the engine's clock when it can be advanced (a
    :class:`~civicgrid.ManualClock`); with ``tick``, due deadlines are recorded before each
    move. The first refusal raises :class:`WalkRefused`, an ``AssertionError`` that pytest
    shows with the move, the step and the reason.
    """
    start = len(case.events)
    total = len(moves)
    for position, raw in enumerate(moves, start=1):
        move = raw if isinstance(raw, Move) else Move(*raw)
        at: datetime | None = None
        if move.after:
            advance = getattr(engine.clock, "advance", None)
            if advance is None:
                raise TypeError("waiting needs a clock with advance(), e.g. ManualClock")
            at = advance(move.after)
        if tick:
            engine.tick(at)
        try:
            engine.fire(case, move.trigger, move.by, at=at, data=move.data)
        except CivicGridError as exc:
            raise WalkRefused(position, total, move, case, exc) from exc
    return list(case.events[start:])
