"""People, seats and appointments: who held which seat on which date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta

from civicgrid import (
    Appointment,
    InvalidData,
    Person,
    PersonName,
    PhoneNumber,
    Roster,
    Seat,
    UnknownPerson,
)


def person(person_id: str, **kw: Any) -> Person:
    """A person with a made-up name."""
    return Person(id=person_id, name=PersonName.parse("张三"), **kw)


def test_every_seat_has_both_labels() -> None:
    """Each seat carries its Chinese and English title, from the glossary."""
    assert all(s.label_zh and s.label_en for s in Seat)
    assert Seat.HOUSEHOLD_LEADER.label_zh == "联户长"
    assert Seat.RED_STEWARD.label_en == "red steward"
    assert str(Seat.GRID_WORKER) == "grid_worker"


def test_a_person_is_masked_in_repr() -> None:
    """Personal data never shows in repr; reveal() gives it on request."""
    someone = person("p1", phone=PhoneNumber.parse("13812345678"))
    assert "13812345678" not in repr(someone)
    assert "138****5678" in repr(someone)
    assert someone.phone is not None
    assert someone.phone.reveal() == "13812345678"


def test_bad_person_fields_are_named() -> None:
    """A name that is not a PersonName and a non-boolean flag are both reported."""
    with pytest.raises(InvalidData) as refused:
        Person(id="p", name="张三", veteran="yes")  # type: ignore[arg-type]
    assert {p.path for p in refused.value.problems} == {"name", "veteran"}


def test_a_three_year_term_ends_three_years_later_exclusive() -> None:
    """for_term adds a relativedelta; the end day is no longer held."""
    seat = Appointment.for_term(
        person="p1",
        role=Seat.GRID_LEADER,
        unit="g1",
        start=date(2026, 11, 23),
        term=relativedelta(years=3),
    )
    assert seat.end == date(2029, 11, 23)
    assert seat.held_on(date(2029, 11, 22))
    assert not seat.held_on(date(2029, 11, 23))
    assert not seat.held_on(date(2026, 11, 22))
    assert seat.overlaps(date(2029, 1, 1), date(2030, 1, 1))
    assert not seat.overlaps(date(2029, 11, 23), date(2030, 1, 1))


def test_an_appointment_needs_an_org_or_a_unit_and_a_forward_term() -> None:
    """Neither an organisation nor a unit, and an end before the start, are both refused."""
    with pytest.raises(InvalidData) as refused:
        Appointment(person="p", role="grid_worker", start=date(2026, 1, 2), end=date(2026, 1, 1))
    assert {p.path for p in refused.value.problems} == {"org", "end"}


def test_the_roster_answers_who_held_a_seat_on_a_date() -> None:
    """A grid leader replaced mid-year: each date has its own holder."""
    roster = Roster(
        [person("a"), person("b")],
        [
            Appointment(
                person="a",
                role="grid_leader",
                unit="g1",
                start=date(2023, 1, 1),
                end=date(2026, 7, 1),
            ),
            Appointment(person="b", role="grid_leader", unit="g1", start=date(2026, 7, 1)),
            Appointment(person="a", role="deliberator", org="rc", start=date(2024, 1, 1)),
        ],
    )
    assert [
        a.person for a in roster.holders(on=date(2026, 6, 30), role="grid_leader", unit="g1")
    ] == ["a"]
    assert [
        a.person for a in roster.holders(on=date(2026, 7, 1), role="grid_leader", unit="g1")
    ] == ["b"]
    assert [a.role for a in roster.seats_of("a", on=date(2026, 8, 1))] == ["deliberator"]
    assert len(roster.seats_of("a")) == 2
    assert [a.person for a in roster.holders(on=date(2026, 8, 1), org="rc")] == ["a"]
    assert len(roster) == 3


def test_a_roster_with_people_refuses_appointments_of_strangers() -> None:
    """An appointment naming a person not on the roster is refused, at load and later."""
    with pytest.raises(InvalidData, match="unknown person"):
        Roster(
            [person("a")],
            [Appointment(person="x", role="volunteer", unit="u", start=date(2026, 1, 1))],
        )
    roster = Roster([person("a")])
    with pytest.raises(UnknownPerson):
        roster.appoint(Appointment(person="x", role="volunteer", unit="u", start=date(2026, 1, 1)))
    assert len(roster) == 0
    with pytest.raises(UnknownPerson):
        roster.person("x")


def test_workers_per_unit_roll_up_the_tree() -> None:
    """Community workers counted per unit and summed up the tree (the workers roll-up)."""
    from civicgrid import Unit, UnitKind, UnitTree  # noqa: PLC0415 - only this test needs units

    tree = UnitTree(
        [
            Unit(id="c", kind=UnitKind.COMMUNITY, name_zh="社区", parent=None),
            Unit(id="g1", kind=UnitKind.GRID, name_zh="一网格", parent="c"),
            Unit(id="g2", kind=UnitKind.GRID, name_zh="二网格", parent="c"),
        ]
    )
    worker = Seat.COMMUNITY_WORKER
    roster = Roster(
        appointments=[
            Appointment(person="a", role=worker, unit="g1", start=date(2026, 1, 1)),
            Appointment(person="b", role=worker, unit="g1", start=date(2026, 1, 1)),
            Appointment(
                person="c", role=worker, unit="g2", start=date(2026, 1, 1), end=date(2026, 6, 1)
            ),
            Appointment(person="d", role=Seat.VOLUNTEER, unit="g2", start=date(2026, 1, 1)),
        ]
    )
    counts = roster.count_by_unit(on=date(2026, 11, 23), role=worker)
    assert counts == {"g1": 2}
    assert tree.sum_up(counts) == {"c": 2, "g1": 2, "g2": 0}
    assert roster.count_by_unit(on=date(2026, 3, 1)) == {"g1": 2, "g2": 2}
