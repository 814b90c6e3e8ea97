"""People and the seats they hold (DOMAIN.md O4–O10, G10): who served where, and when.

A :class:`Person` carries personal data (masked everywhere but :meth:`reveal` calls) and the
facts selection rules read (party member, veteran, outstanding volunteer: the "three
priorities" of O10). A person holds a :class:`Seat` (secretary, grid leader, building
leader, household leader, red steward …) through an :class:`Appointment` with a term, bound to
an organisation, a unit or both. :class:`Roster` answers who held a seat on any date and which
seats a person held, which is what a contact board (G10), a permission check (O11) or a
cross-appointment report (O5) needs.

Terms run from ``start`` (inclusive) to ``end`` (exclusive); ``Appointment.for_term`` computes
``end`` from a :class:`dateutil.relativedelta.relativedelta` ("a three-year term" is
``relativedelta(years=3)``), so 2026-11-23 plus three years ends on 2029-11-23.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Self

import attrs
from dateutil.relativedelta import relativedelta

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.personal import IdNumber, PersonName, PhoneNumber
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "Appointment",
    "Person",
    "Roster",
    "Seat",
    "UnknownPerson",
]


class Seat(Labelled):
    """The seats people hold in the documents; values are the role keys methods name."""

    SECRETARY = "secretary"
    DEPUTY_SECRETARY = "deputy_secretary"
    COMMITTEE_MEMBER = "committee_member"
    DIRECTOR = "director"
    CHAIR = "chair"
    PROPERTY_MANAGER = "property_manager"
    PARTY_BUILDING_INSTRUCTOR = "party_building_instructor"
    GRID_LEADER = "grid_leader"
    GRID_WORKER = "grid_worker"
    MICRO_GRID_WORKER = "micro_grid_worker"
    BUILDING_LEADER = "building_leader"
    HOUSEHOLD_LEADER = "household_leader"
    PARTY_MEMBER_HOUSEHOLD_HEAD = "party_member_household_head"
    RED_STEWARD = "red_steward"
    COMMUNITY_WORKER = "community_worker"
    POLICE_OFFICER = "police_officer"
    PARTNER_UNIT_CONTACT = "partner_unit_contact"
    DELIBERATOR = "deliberator"
    COMMUNITY_PLANNER = "community_planner"
    VOLUNTEER = "volunteer"
    IN_SERVICE_MEMBER = "in_service_member"


_SEAT_LABELS: dict[Seat, tuple[str, str]] = {
    Seat.SECRETARY: ("书记", "secretary"),
    Seat.DEPUTY_SECRETARY: ("副书记", "deputy secretary"),
    Seat.COMMITTEE_MEMBER: ("委员", "committee member"),
    Seat.DIRECTOR: ("主任", "director"),
    Seat.CHAIR: ("主任（业委会）", "chair"),
    Seat.PROPERTY_MANAGER: ("物业项目经理", "property manager"),
    Seat.PARTY_BUILDING_INSTRUCTOR: ("小区党建指导员", "party-building instructor"),
    Seat.GRID_LEADER: ("网格长", "grid leader"),
    Seat.GRID_WORKER: ("网格员", "grid worker"),
    Seat.MICRO_GRID_WORKER: ("微网格员", "micro-grid worker"),
    Seat.BUILDING_LEADER: ("楼栋长", "building leader"),
    Seat.HOUSEHOLD_LEADER: ("联户长", "household leader"),
    Seat.PARTY_MEMBER_HOUSEHOLD_HEAD: ("党员中心户", "party-member household head"),
    Seat.RED_STEWARD: ("红色小管家", "red steward"),
    Seat.COMMUNITY_WORKER: ("社区工作者", "community worker"),
    Seat.POLICE_OFFICER: ("社区民警", "community police officer"),
    Seat.PARTNER_UNIT_CONTACT: ("共驻共建单位联系人", "partner-unit contact"),
    Seat.DELIBERATOR: ("议事员", "deliberator"),
    Seat.COMMUNITY_PLANNER: ("社区规划师", "community planner"),
    Seat.VOLUNTEER: ("志愿者", "volunteer"),
    Seat.IN_SERVICE_MEMBER: ("在职党员", "in-service party member"),
}
register_labels(_SEAT_LABELS)


class UnknownPerson(CivicGridError, LookupError):
    """No person with this id is known."""

    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        super().__init__(f"unknown person {person_id!r}", f"未知的人员 {person_id!r}")


@attrs.frozen(kw_only=True)
class Person:
    """A resident, worker or member; personal data masked in every textual form.

    ``home`` is the id of the household (or other unit) they live in, when known.
    """

    id: str
    name: PersonName
    phone: PhoneNumber | None = None
    id_number: IdNumber | None = None
    home: str | None = None
    party_member: bool = False
    veteran: bool = False
    outstanding_volunteer: bool = False

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        person_id: object = self.id
        if not isinstance(person_id, str) or not person_id:
            problems.append(Problem("id", "must be a non-empty string"))
        name: object = self.name
        if not isinstance(name, PersonName):
            problems.append(Problem("name", "must be a PersonName"))
        for field, kind in (("phone", PhoneNumber), ("id_number", IdNumber)):
            value: object = getattr(self, field)
            if value is not None and not isinstance(value, kind):
                problems.append(Problem(field, f"must be a {kind.__name__} or None"))
        problems.extend(
            Problem(field, "must be true or false")
            for field in ("party_member", "veteran", "outstanding_volunteer")
            if not isinstance(getattr(self, field), bool)
        )
        if problems:
            raise InvalidData(f"person {self.id!r}", problems)


@attrs.frozen(kw_only=True)
class Appointment:
    """A person holding a role for a term, in an organisation, for a unit, or both.

    ``org`` is the organisation the seat belongs to (the residents' committee whose director
    they are); ``unit`` the unit they serve (the micro grid of a micro-grid worker, the
    building of a building leader). At least one of the two is required. The appointment runs
    from ``start`` (inclusive) to ``end`` (exclusive, ``None`` while open).
    """

    person: str
    role: str
    start: date
    end: date | None = None
    org: str | None = None
    unit: str | None = None
    id: str = ""
    """An optional id of the appointment itself (a decision document number, say)."""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("person", "role"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(field, "must be a non-empty string"))
        for field in ("org", "unit"):
            value = getattr(self, field)
            if value is not None and (not isinstance(value, str) or not value):
                problems.append(Problem(field, "must be a non-empty string or None"))
        if self.org is None and self.unit is None:
            problems.append(Problem("org", "an appointment needs an organisation, a unit or both"))
        start: object = self.start
        end: object = self.end
        if not isinstance(start, date) or hasattr(start, "hour"):
            problems.append(Problem("start", f"must be a date, not {start!r}"))
        if end is not None and (not isinstance(end, date) or hasattr(end, "hour")):
            problems.append(Problem("end", f"must be a date or None, not {end!r}"))
        elif isinstance(end, date) and isinstance(start, date) and end <= start:
            problems.append(Problem("end", f"must be after start ({start.isoformat()})"))
        if problems:
            raise InvalidData(f"appointment of {self.person!r} as {self.role!r}", problems)

    @classmethod
    def for_term(
        cls,
        *,
        person: str,
        role: str,
        start: date,
        term: relativedelta,
        org: str | None = None,
        unit: str | None = None,
        id: str = "",
    ) -> Self:
        """Appoint for a term: ``end = start + term`` (a three-year term is ``years=3``)."""
        end = start + term
        return cls(person=person, role=role, start=start, end=end, org=org, unit=unit, id=id)

    def held_on(self, day: date) -> bool:
        """Whether the seat is held on ``day``: ``start <= day < end``."""
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, start: date, end: date) -> bool:
        """Whether the term shares a day with the period ``[start, end)``."""
        return self.start < end and (self.end is None or start < self.end)


class Roster:
    """People and their appointments, answering who held which seat on which date.

    People are optional: a roster of appointments alone answers seat questions, and
    :meth:`person` raises :class:`UnknownPerson` for an id it was not given. Appointments are
    kept in the order given.
    """

    __slots__ = ("_appointments", "_by_org", "_by_person", "_by_unit", "_people")

    def __init__(
        self, people: Iterable[Person] = (), appointments: Iterable[Appointment] = ()
    ) -> None:
        self._people: dict[str, Person] = {}
        problems: list[Problem] = []
        for i, person in enumerate(people):
            if person.id in self._people:
                problems.append(Problem(f"people[{i}].id", f"duplicate id {person.id!r}"))
            self._people[person.id] = person
        self._appointments: list[Appointment] = []
        self._by_person: dict[str, list[Appointment]] = {}
        self._by_unit: dict[str, list[Appointment]] = {}
        self._by_org: dict[str, list[Appointment]] = {}
        items = list(appointments)
        if self._people:
            problems.extend(
                Problem(f"appointments[{i}].person", f"unknown person {a.person!r}")
                for i, a in enumerate(items)
                if a.person not in self._people
            )
        if problems:
            raise InvalidData("roster", problems)
        for appointment in items:
            self.appoint(appointment)

    def appoint(self, appointment: Appointment) -> None:
        """Add an appointment (people given to the roster must include its holder)."""
        if self._people and appointment.person not in self._people:
            raise UnknownPerson(appointment.person)
        self._appointments.append(appointment)
        self._by_person.setdefault(appointment.person, []).append(appointment)
        if appointment.unit is not None:
            self._by_unit.setdefault(appointment.unit, []).append(appointment)
        if appointment.org is not None:
            self._by_org.setdefault(appointment.org, []).append(appointment)

    def __iter__(self) -> Iterator[Appointment]:
        return iter(self._appointments)

    def __len__(self) -> int:
        return len(self._appointments)

    @property
    def people(self) -> tuple[Person, ...]:
        """The people given, in order."""
        return tuple(self._people.values())

    def person(self, person_id: str) -> Person:
        """Return the person with this id, or raise :class:`UnknownPerson`."""
        try:
            return self._people[person_id]
        except KeyError:
            raise UnknownPerson(person_id) from None

    def seats_of(self, person_id: str, *, on: date | None = None) -> tuple[Appointment, ...]:
        """Return the person's appointments, only those held on ``on`` when given."""
        return tuple(a for a in self._by_person.get(person_id, ()) if on is None or a.held_on(on))

    def count_by_unit(self, *, on: date, role: str | None = None) -> dict[str, int]:
        """Count the appointments held on ``on`` per unit they serve (those with a unit).

        Feed it to :meth:`~civicgrid.domain.units.UnitTree.sum_up` to roll workers up the tree:
        ``tree.sum_up(roster.count_by_unit(on=day, role=Seat.COMMUNITY_WORKER))``.
        """
        counts: dict[str, int] = {}
        for unit, appointments in self._by_unit.items():
            held = sum(
                1 for a in appointments if a.held_on(on) and (role is None or a.role == role)
            )
            if held:
                counts[unit] = held
        return counts

    def holders(
        self,
        *,
        on: date,
        role: str | None = None,
        unit: str | None = None,
        org: str | None = None,
    ) -> tuple[Appointment, ...]:
        """Return the appointments held on ``on``, filtered by role, unit and organisation."""
        if unit is not None:
            pool: Iterable[Appointment] = self._by_unit.get(unit, ())
        elif org is not None:
            pool = self._by_org.get(org, ())
        else:
            pool = self._appointments
        return tuple(
            a
            for a in pool
            if a.held_on(on)
            and (role is None or a.role == role)
            and (unit is None or a.unit == unit)
            and (org is None or a.org == org)
        )
