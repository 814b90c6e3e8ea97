"""A small sample district to test with: a community, its grids, compounds, people and seats.

:func:`sample_district` returns 锦华社区 (Jinhua community), small enough to read in a failing
test and complete enough to derive every actor a built-in method needs from real seats
(:func:`civicgrid.actor_for`)::

    锦华社区 jh (community)
    └── 总网格 jh-t (total grid)
        ├── 第一网格 jh-g1 (general grid) ── 锦绣花园 jh-c1 (compound) ── 微网格 jh-c1-m1
        │       ├── 1栋 jh-c1-b1 ── 1单元 ── 101, 102 (households)
        │       └── 2栋 jh-c1-b2 ── 1单元 ── 101, 102
        └── 第二网格 jh-g2 (general grid) ── 翠苑 jh-c2 (compound) ── 微网格 jh-c2-m1
                ├── 1栋 jh-c2-b1 ── 1单元 ── 101, 102
                └── 2栋 jh-c2-b2 ── 1单元 ── 101, 102

Organisations: the community party committee, the residents' committee, a party branch on
each general grid, an owners' committee and a property company in 锦绣花园. People (ids are
their seats, so tests read plainly): the community secretary ``secretary``, a community worker
``community-worker``, a grid worker per general grid ``grid-worker-1``/``-2``, a red steward per
compound ``red-steward-1``/``-2``, a building leader per building ``building-leader-1`` … ``-4``
and a resident in each household ``resident-1`` … ``-8``. Seats run from :data:`SAMPLE_START`.
Everything is built afresh on each call, so a test may change its copy freely.
"""

from __future__ import annotations

from datetime import date

import attrs

from civicgrid.domain.organisations import Organisation, Organisations, OrgKind
from civicgrid.domain.people import Appointment, Person, Roster, Seat
from civicgrid.domain.personal import PersonName
from civicgrid.domain.units import Unit, UnitKind, UnitTree
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.authority import actor_for

__all__ = ["SAMPLE_START", "SampleDistrict", "sample_district"]

SAMPLE_START = date(2024, 1, 1)
"""The day every seat and organisation of the sample district starts."""

_COMPOUNDS = (
    ("jh-g1", "第一网格", "General grid 1", "jh-c1", "锦绣花园", "Jinxiu Garden"),
    ("jh-g2", "第二网格", "General grid 2", "jh-c2", "翠苑", "Cuiyuan"),
)
_NAMES = (
    "张明",
    "李娟",
    "王强",
    "赵敏",
    "刘洋",
    "陈静",
    "杨帆",
    "黄磊",
    "周婷",
    "吴刚",
    "郑丽",
    "孙浩",
    "马兰",
    "朱军",
    "胡霞",
    "郭峰",
    "何梅",
    "林涛",
)


@attrs.frozen(kw_only=True)
class SampleDistrict:
    """A unit tree, its organisations and a roster of seats, and the actors they make.

    Build it with :func:`sample_district`. :meth:`actor` is :func:`civicgrid.actor_for` on
    these three, so an actor's roles, powers and escalation levels come from the seats.
    """

    tree: UnitTree
    organisations: Organisations
    roster: Roster
    on: date = SAMPLE_START
    """The day :meth:`actor` reads the seats on."""

    def actor(self, person_id: str, *, unit: str | None = None) -> Actor:
        """Return the actor ``person_id`` is on :attr:`on`, from their seats (and ``unit``)."""
        return actor_for(
            person_id,
            on=self.on,
            roster=self.roster,
            organisations=self.organisations,
            unit=unit,
            tree=self.tree,
        )

    def resident(self, person_id: str) -> Actor:
        """Return a resident (居民) of the district as an actor acting for their household."""
        person = self.roster.person(person_id)
        return Actor(id=person.id, roles={"resident"}, unit=person.home)

    @property
    def households(self) -> list[Unit]:
        """The district's households, in tree order."""
        return [u for u in self.tree if u.kind is UnitKind.HOUSEHOLD]


def _units() -> list[Unit]:
    k = UnitKind
    units = [
        Unit(
            id="jh", kind=k.COMMUNITY, name_zh="锦华社区", name_en="Jinhua Community", parent=None
        ),
        Unit(
            id="jh-t",
            kind=k.TOTAL_GRID,
            name_zh="锦华社区总网格",
            name_en="Total grid",
            parent="jh",
        ),
    ]
    for grid, grid_zh, grid_en, compound, compound_zh, compound_en in _COMPOUNDS:
        micro = f"{compound}-m1"
        units += [
            Unit(id=grid, kind=k.GENERAL_GRID, name_zh=grid_zh, name_en=grid_en, parent="jh-t"),
            Unit(
                id=compound, kind=k.COMPOUND, name_zh=compound_zh, name_en=compound_en, parent=grid
            ),
            Unit(
                id=micro,
                kind=k.MICRO_GRID,
                name_zh=f"{compound_zh}第1微网格",
                name_en=f"{compound_en} micro grid 1",
                parent=compound,
            ),
        ]
        for b in (1, 2):
            building = f"{compound}-b{b}"
            stairwell = f"{building}-u1"
            units += [
                Unit(
                    id=building,
                    kind=k.BUILDING,
                    name_zh=f"{compound_zh}{b}栋",
                    name_en=f"{compound_en} building {b}",
                    parent=micro,
                ),
                Unit(
                    id=stairwell,
                    kind=k.UNIT,
                    name_zh="1单元",
                    name_en="Stairwell 1",
                    parent=building,
                ),
            ]
            units += [
                Unit(
                    id=f"{stairwell}-{room}",
                    kind=k.HOUSEHOLD,
                    name_zh=f"1单元{room}室",
                    name_en=f"Stairwell 1, room {room}",
                    parent=stairwell,
                    households=1,
                    residents=3,
                )
                for room in (101, 102)
            ]
    return units


def _organisations() -> list[Organisation]:
    start = SAMPLE_START
    k = OrgKind
    orgs = [
        Organisation(
            id="po-jh",
            kind=k.PARTY_COMMITTEE,
            name_zh="锦华社区党委",
            name_en="Jinhua community party committee",
            unit="jh",
            start=start,
        ),
        Organisation(
            id="rc-jh",
            kind=k.RESIDENTS_COMMITTEE,
            name_zh="锦华社区居民委员会",
            name_en="Jinhua residents' committee",
            unit="jh",
            start=start,
        ),
        Organisation(
            id="oc-jh-c1",
            kind=k.OWNERS_COMMITTEE,
            name_zh="锦绣花园业主委员会",
            name_en="Jinxiu Garden owners' committee",
            unit="jh-c1",
            start=start,
        ),
        Organisation(
            id="pm-jh-c1",
            kind=k.PROPERTY_COMPANY,
            name_zh="锦绣物业",
            name_en="Jinxiu property services",
            unit="jh-c1",
            start=start,
        ),
    ]
    orgs += [
        Organisation(
            id=f"po-{grid}",
            kind=k.PARTY_BRANCH,
            name_zh=f"{grid_zh}党支部",
            name_en=f"{grid_en} party branch",
            unit=grid,
            parent="po-jh",
            start=start,
        )
        for grid, grid_zh, grid_en, *_ in _COMPOUNDS
    ]
    return orgs


def _roster(tree: UnitTree) -> Roster:
    names = iter(_NAMES)
    people: list[Person] = []
    seats: list[Appointment] = []

    def seat(person: str, role: Seat, *, unit: str | None = None, org: str | None = None) -> None:
        people.append(Person(id=person, name=PersonName(next(names)), party_member=True))
        seats.append(
            Appointment(
                id=f"{person}:{role}",
                person=person,
                role=role,
                start=SAMPLE_START,
                unit=unit,
                org=org,
            )
        )

    seat("secretary", Seat.SECRETARY, org="po-jh")
    seat("community-worker", Seat.COMMUNITY_WORKER, org="rc-jh")
    for n, (grid, *_rest, compound, _zh, _en) in enumerate(_COMPOUNDS, start=1):
        seat(f"grid-worker-{n}", Seat.GRID_WORKER, unit=grid)
        seat(f"red-steward-{n}", Seat.RED_STEWARD, unit=compound)
    buildings = [u.id for u in tree if u.kind is UnitKind.BUILDING]
    for n, building in enumerate(buildings, start=1):
        seat(f"building-leader-{n}", Seat.BUILDING_LEADER, unit=building)
    households = [u.id for u in tree if u.kind is UnitKind.HOUSEHOLD]
    people += [
        Person(id=f"resident-{n}", name=PersonName(name), home=household)
        for n, (household, name) in enumerate(zip(households, names, strict=True), start=1)
    ]
    return Roster(people, seats)


def sample_district() -> SampleDistrict:
    """Return a fresh Jinhua community: 2 compounds, 4 buildings, 8 households, 16 people."""
    tree = UnitTree(_units(), source="civicgrid.testing.sample")
    return SampleDistrict(
        tree=tree,
        organisations=Organisations(_organisations(), source="civicgrid.testing.sample"),
        roster=_roster(tree),
    )
