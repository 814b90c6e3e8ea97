"""Compound governance teams (DOMAIN.md O4): instructor, secretary and red stewards per compound.

Wuhu staffs each compound with a team: a party-building instructor (小区党建指导员), the
secretary of the compound's party organisation (党组织书记) and "red stewards" (红色小管家),
with a compound station run by the branch secretary together with community workers. A
:class:`CompoundTeam` says who holds each of those seats in one compound on a date;
:func:`compound_team_check` turns missing seats into findings for a city that requires the team.

A seat belongs to a compound when the appointment's ``unit`` is the compound, or, for a seat
in an organisation, when that organisation serves the compound (a branch secretary is
appointed to the branch, which serves the compound). Community workers count where their
appointment's unit is the compound itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from civicgrid.domain.findings import Finding, Severity
from civicgrid.domain.organisations import Organisations
from civicgrid.domain.people import Appointment, Roster, Seat
from civicgrid.domain.schemes import GridCheck, GridContext
from civicgrid.domain.units import UnitKind, UnitTree

__all__ = ["TEAM_SEATS", "CompoundTeam", "compound_team", "compound_team_check", "compound_teams"]

TEAM_SEATS: tuple[Seat, ...] = (Seat.PARTY_BUILDING_INSTRUCTOR, Seat.SECRETARY, Seat.RED_STEWARD)
"""The three seats of a compound governance team (O4, seed 000), in the order reported."""

_COMPOUND_KINDS = frozenset({UnitKind.COMPOUND, UnitKind.COURTYARD, UnitKind.AREA})


@attrs.frozen(kw_only=True)
class CompoundTeam:
    """Who holds each team seat in one compound on one date (person ids, never personal data)."""

    compound: str
    on: date
    instructors: tuple[str, ...]
    secretaries: tuple[str, ...]
    red_stewards: tuple[str, ...]
    community_workers: tuple[str, ...]

    @property
    def missing(self) -> tuple[Seat, ...]:
        """The team seats nobody holds, in :data:`TEAM_SEATS` order."""
        held = {
            Seat.PARTY_BUILDING_INSTRUCTOR: self.instructors,
            Seat.SECRETARY: self.secretaries,
            Seat.RED_STEWARD: self.red_stewards,
        }
        return tuple(seat for seat in TEAM_SEATS if not held[seat])

    @property
    def complete(self) -> bool:
        """Whether every team seat is held."""
        return not self.missing


def compound_team(
    compound: str, *, on: date, roster: Roster, organisations: Organisations
) -> CompoundTeam:
    """Return the team of ``compound`` on ``on`` from the roster and organisations.

    A secretary counts only when appointed to a party organisation that serves the compound
    and is active on ``on``; the secretary of a residents' committee is not the compound's
    party secretary.
    """
    party_orgs = {org.id for org in organisations.serving(compound, on=on) if org.kind.is_party}
    serving = {org.id for org in organisations.serving(compound, on=on)}
    seats: dict[str, list[str]] = {
        Seat.PARTY_BUILDING_INSTRUCTOR: [],
        Seat.SECRETARY: [],
        Seat.RED_STEWARD: [],
        Seat.COMMUNITY_WORKER: [],
    }

    def add(appointment: Appointment) -> None:
        people = seats.get(appointment.role)
        if people is None or appointment.person in people:
            return
        if appointment.role == Seat.SECRETARY and appointment.org not in party_orgs:
            return
        people.append(appointment.person)

    for appointment in roster.holders(on=on, unit=compound):
        add(appointment)
    for org_id in sorted(serving):
        for appointment in roster.holders(on=on, org=org_id):
            if appointment.unit is None or appointment.unit == compound:
                add(appointment)
    return CompoundTeam(
        compound=compound,
        on=on,
        instructors=tuple(seats[Seat.PARTY_BUILDING_INSTRUCTOR]),
        secretaries=tuple(seats[Seat.SECRETARY]),
        red_stewards=tuple(seats[Seat.RED_STEWARD]),
        community_workers=tuple(seats[Seat.COMMUNITY_WORKER]),
    )


def compound_teams(
    tree: UnitTree, *, on: date, roster: Roster, organisations: Organisations
) -> tuple[CompoundTeam, ...]:
    """Return the team of every compound, courtyard and area in the tree, in tree order."""
    return tuple(
        compound_team(unit.id, on=on, roster=roster, organisations=organisations)
        for unit in tree
        if unit.kind in _COMPOUND_KINDS
    )


def compound_team_check(*, severity: Severity = Severity.WARNING) -> GridCheck:
    """Return a grid check reporting each compound whose team misses a seat.

    The library does not register it (the team is Wuhu's practice, not every city's rule); a
    city that requires it returns this check from its ``register_grid_checks`` hook.
    """

    def check(context: GridContext) -> Iterable[Finding]:
        for team in compound_teams(
            context.tree,
            on=context.on,
            roster=context.roster,
            organisations=context.organisations,
        ):
            if team.complete:
                continue
            missing_en = ", ".join(seat.label_en for seat in team.missing)
            missing_zh = "、".join(seat.label_zh for seat in team.missing)
            yield Finding(
                rule="compound_team",
                severity=severity,
                unit=team.compound,
                value=len(TEAM_SEATS) - len(team.missing),
                limit=len(TEAM_SEATS),
                message_en=f"compound governance team incomplete: no {missing_en}",
                message_zh=f"小区治理团队不全：缺{missing_zh}",
            )

    return GridCheck(
        name="compound_team",
        check=check,
        label_zh="小区党建指导员、党组织书记、红色小管家配齐",
        label_en="compound governance team complete",
    )
