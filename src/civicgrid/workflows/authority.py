"""Authority: turn a person's seats on a date into the kernel's :class:`Actor` (DOMAIN.md O11).

A transition names the roles or powers (职权) that may fire it. :func:`actor_for` reads them
from the records instead of a string typed at the call site: the roles are the roles of the
seats a person holds that day, and the powers are those of the organisations they hold the
seats in (the empowerment list, 赋权清单, of a compound or grid party organisation). A grid
worker may dispatch because their organisation holds ``dispatch`` that day, and may no longer
the day their term ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from civicgrid.domain.organisations import Organisations
from civicgrid.domain.people import Appointment, Roster, UnknownPerson
from civicgrid.domain.requests import LEVEL_OF_KIND
from civicgrid.domain.units import UnitKind, UnitTree
from civicgrid.workflows.actor import Actor

__all__ = ["actor_for", "seats_counted"]


def seats_counted(
    person_id: str,
    *,
    on: date,
    roster: Roster,
    organisations: Organisations,
    unit: str | None = None,
    units: Iterable[str] | None = None,
) -> tuple[Appointment, ...]:
    """Return the appointments :func:`actor_for` reads for ``person_id`` on ``on``, in order.

    These are the appointments held on ``on`` whose organisation, if they name one, is active
    on ``on``. With ``unit`` or ``units``, only those serving one of the units named: an
    appointment serves its own ``unit``, or, when it has none, the unit its organisation
    serves. Errors are those of :func:`actor_for`; a seat outside the units named is skipped
    before its organisation is looked up.
    """
    try:
        roster.person(person_id)
    except UnknownPerson:
        # A roster of appointments only knows people through their appointments.
        if roster.people or not roster.seats_of(person_id):
            raise
    allowed: frozenset[str] | None = None
    if unit is not None or units is not None:
        allowed = frozenset(units or ()) | ({unit} if unit is not None else frozenset())
    counted: list[Appointment] = []
    for appointment in roster.seats_of(person_id, on=on):
        if allowed is not None and appointment.unit is not None and appointment.unit not in allowed:
            continue
        serves = appointment.unit
        if appointment.org is not None:
            org = organisations.get(appointment.org)  # raises UnknownOrganisation
            if not org.active_on(on):
                continue
            if serves is None:
                serves = org.unit
        if allowed is not None and serves not in allowed:
            continue
        counted.append(appointment)
    return tuple(counted)


def actor_for(
    person_id: str,
    *,
    on: date,
    roster: Roster,
    organisations: Organisations,
    unit: str | None = None,
    units: Iterable[str] | None = None,
    tree: UnitTree | None = None,
    level_of_kind: Mapping[UnitKind, str] = LEVEL_OF_KIND,
) -> Actor:
    """Return the :class:`Actor` a person is on ``on``: roles from seats, powers from orgs.

    * ``roles`` are the ``role`` of every appointment the person holds on ``on`` (terms run
      from ``start`` inclusive to ``end`` exclusive, so on the end date the role is gone).
    * ``powers`` are the ``powers`` of the organisations those appointments are in. An
      organisation not active on ``on`` (not yet founded, or closed, like a temporary party
      branch after its renovation) gives neither its powers nor the roles of the seats in it.
    * ``unit`` is the unit the actor acts for, set on the actor. With ``unit``, only seats
      serving that unit count; ``units`` names further units whose seats count (pass
      ``[u.id for u in tree.ancestors(unit)]`` to let a community secretary act on a
      compound's case). See :func:`seats_counted` for what "serving" means.

    * ``levels`` (with ``tree``) are the escalation rungs the actor may act at: for each seat
      counted, the level ``level_of_kind`` gives the kind of the unit it serves (its own
      ``unit``, or its organisation's). A community secretary acts at ``community``; a
      building leader at ``grid``. Without ``tree`` the actor has no levels. Units not in the
      tree raise :class:`~civicgrid.domain.units.UnknownUnit`.

    A person with no seat that counts gets an actor with no roles and no powers: it may
    fire nothing that needs one.

    Raises :class:`~civicgrid.domain.people.UnknownPerson` for a person the roster does not
    know: not among its people when it was given people, or, for a roster of appointments
    only, named by none of its appointments (on any date). Raises
    :class:`~civicgrid.domain.organisations.UnknownOrganisation` when a seat that would count
    is in an organisation ``organisations`` does not hold: a permission is never granted or
    withheld on a record that cannot be read, so the broken reference is reported instead.
    """
    counted = seats_counted(
        person_id, on=on, roster=roster, organisations=organisations, unit=unit, units=units
    )
    roles = frozenset(a.role for a in counted)
    powers: set[str] = set()
    levels: set[str] = set()
    for appointment in counted:
        serves = appointment.unit
        if appointment.org is not None:
            org = organisations.get(appointment.org)
            powers |= org.powers
            serves = serves or org.unit
        if tree is not None and serves is not None:
            level = level_of_kind.get(tree.unit(serves).kind)
            if level is not None:
                levels.add(level)
    return Actor(
        id=person_id,
        roles=roles,
        powers=frozenset(powers),
        unit=unit,
        levels=frozenset(levels),
    )
