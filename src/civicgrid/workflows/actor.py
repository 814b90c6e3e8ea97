"""Actors: who fires a transition, with the roles and powers that permit it."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from civicgrid.workflows.method import SYSTEM_ROLE

__all__ = ["SYSTEM_ACTOR", "Actor", "grants_of"]


def _frozenset(value: Iterable[str] | str) -> frozenset[str]:
    return frozenset((value,) if isinstance(value, str) else value)


@attrs.frozen(kw_only=True)
class Actor:
    """A person or system acting on a case.

    ``roles`` are the roles they hold (``grid_worker``, ``resident`` …); ``powers`` are the
    powers their organisation holds (``dispatch`` 调度权 …, DOMAIN.md O11). A transition is
    permitted when the actor holds one of its roles or one of its powers.
    """

    id: str
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset)
    powers: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset)
    unit: str | None = None
    """The unit (grid, compound, community …) the actor acts for, where it matters."""
    levels: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset)
    """The rungs of an escalation ladder the actor may act at (``grid``, ``community`` …),
    read by the ``acts_at_case_level`` guard; :func:`civicgrid.actor_for` derives them from
    the kinds of the units the actor's seats serve."""
    grants: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    """Roles and ``power:``-prefixed powers in one set, so a permission check is one lookup."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "grants", grants_of(self.roles, self.powers))


def grants_of(roles: Iterable[str], powers: Iterable[str]) -> frozenset[str]:
    """Return roles and powers as one set; keys cannot hold ':', so the two never collide."""
    return frozenset(roles).union(f"power:{p}" for p in powers)


SYSTEM_ACTOR = Actor(id="system", roles=frozenset({SYSTEM_ROLE}))
"""The engine itself, when a deadline breach fires a transition."""
