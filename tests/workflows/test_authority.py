"""Authority (O11): a person's seats on a date become the actor the engine checks."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    Appointment,
    Case,
    Engine,
    ManualClock,
    Organisation,
    Organisations,
    OrgKind,
    Person,
    PersonName,
    RoleRefused,
    Roster,
    UnknownOrganisation,
    UnknownPerson,
    compile_method,
    method_from_data,
)
from civicgrid.workflows.authority import actor_for, seats_counted

DAY = timedelta(days=1)
FOUNDED = date(2026, 11, 23)
"""The day the compound party branch is founded, and empowered to dispatch."""

METHOD = method_from_data(
    {
        "key": "dispatch_test",
        "label_zh": "派单测试",
        "label_en": "dispatch test",
        "initial": "raised",
        "open_roles": ["resident"],
        "roles": [
            {"key": "resident", "label_zh": "居民", "label_en": "resident"},
            {"key": "grid_worker", "label_zh": "网格员", "label_en": "grid worker"},
        ],
        "steps": [
            {"key": "raised", "label_zh": "居民提事", "label_en": "raised"},
            {"key": "dispatched", "label_zh": "已派单", "label_en": "dispatched"},
            {"key": "done", "label_zh": "办结", "label_en": "done", "terminal": True},
        ],
        "transitions": [
            {
                "trigger": "dispatch",
                "from": ["raised"],
                "to": "dispatched",
                "label_zh": "派单",
                "label_en": "dispatch",
                "powers": ["dispatch"],
            },
            {
                "trigger": "finish",
                "from": ["dispatched"],
                "to": "done",
                "label_zh": "办结",
                "label_en": "finish",
                "roles": ["grid_worker"],
            },
        ],
    }
)
"""A small method whose dispatch step needs the power, not a role."""

ORGS = Organisations(
    [
        Organisation(
            id="branch-a",
            kind=OrgKind.PARTY_BRANCH,
            name_zh="甲小区党支部",
            unit="compound-a",
            powers={"dispatch", "appraisal"},
            start=FOUNDED,
        ),
        Organisation(
            id="oc-a",
            kind=OrgKind.OWNERS_COMMITTEE,
            name_zh="甲小区业委会",
            unit="compound-a",
            powers={"deliberation"},
        ),
        Organisation(
            id="rc-1",
            kind=OrgKind.RESIDENTS_COMMITTEE,
            name_zh="一社区居委会",
            unit="community-1",
        ),
        Organisation(
            id="temp-1",
            kind=OrgKind.TEMPORARY_PARTY_BRANCH,
            name_zh="老旧小区改造临时党支部",
            unit="compound-a",
            powers={"dispatch"},
            start=date(2025, 3, 1),
            end=date(2026, 3, 1),
        ),
    ]
)

START = date(2024, 1, 1)
APPOINTMENTS = [
    Appointment(person="worker", role="grid_worker", org="branch-a", start=START),
    Appointment(person="worker", role="building_leader", unit="building-7", start=START),
    Appointment(person="clerk", role="grid_worker", org="rc-1", start=START),
    Appointment(
        person="leaver", role="grid_worker", org="branch-a", start=START, end=date(2026, 12, 1)
    ),
    Appointment(person="chair", role="chair", org="oc-a", start=START),
    Appointment(person="chair", role="committee_member", org="rc-1", start=START),
    Appointment(person="renovator", role="secretary", org="temp-1", start=date(2025, 3, 1)),
]
ROSTER = Roster(appointments=APPOINTMENTS)


RESIDENT = Actor(id="resident-1", roles={"resident"})


def at(day: date) -> datetime:
    """Nine in the morning of ``day`` in Asia/Shanghai."""
    return datetime(day.year, day.month, day.day, 9, tzinfo=DEFAULT_TZ)


@pytest.fixture
def engine() -> Engine:
    """An engine over the dispatch method only."""
    return Engine([compile_method(METHOD)], clock=ManualClock(at(FOUNDED)))


def raised(engine: Engine, day: date) -> Case:
    """A resident raises a matter on ``day``."""
    return engine.open("dispatch_test", actor=RESIDENT, at=at(day), case_id=f"case-{day}")


def test_roles_come_from_seats_and_powers_from_their_organisations() -> None:
    """The worker's two seats give two roles; the branch gives its powers."""
    actor = actor_for("worker", on=FOUNDED, roster=ROSTER, organisations=ORGS)
    assert actor.id == "worker"
    assert actor.roles == {"grid_worker", "building_leader"}
    assert actor.powers == {"dispatch", "appraisal"}
    assert actor.unit is None


def test_a_worker_whose_organisation_holds_the_power_may_fire(engine: Engine) -> None:
    """The dispatch transition needs the power; the branch holds it, so its worker may."""
    case = raised(engine, FOUNDED)
    worker = actor_for("worker", on=FOUNDED, roster=ROSTER, organisations=ORGS)
    engine.fire(case, "dispatch", worker, at=at(FOUNDED))
    assert case.step == "dispatched"
    assert case.events[-1].actor == "worker"


def test_a_worker_whose_organisation_lacks_the_power_is_refused(engine: Engine) -> None:
    """Same role, but the residents' committee holds no dispatch power: refused, no change."""
    case = raised(engine, FOUNDED)
    clerk = actor_for("clerk", on=FOUNDED, roster=ROSTER, organisations=ORGS)
    assert clerk.roles == {"grid_worker"}
    assert clerk.powers == frozenset()
    with pytest.raises(RoleRefused) as refused:
        engine.fire(case, "dispatch", clerk, at=at(FOUNDED))
    assert refused.value.actor is clerk
    assert "power:dispatch" in str(refused.value)
    assert case.step == "raised"
    assert len(case.events) == 1


def test_the_power_is_gone_the_day_the_term_ends(engine: Engine) -> None:
    """The leaver's term ends on 1 December: permitted on 30 November, refused on the 1st."""
    last_day = date(2026, 11, 30)
    end = date(2026, 12, 1)
    on_last_day = actor_for("leaver", on=last_day, roster=ROSTER, organisations=ORGS)
    on_end = actor_for("leaver", on=end, roster=ROSTER, organisations=ORGS)
    assert on_end.roles == frozenset()
    assert on_end.powers == frozenset()
    late = raised(engine, end)
    with pytest.raises(RoleRefused):
        engine.fire(late, "dispatch", on_end, at=at(end))
    assert late.step == "raised"
    in_time = raised(engine, last_day)
    engine.fire(in_time, "dispatch", on_last_day, at=at(last_day))
    assert in_time.step == "dispatched"


def test_the_worker_may_fire_from_the_day_the_organisation_holds_the_power(
    engine: Engine,
) -> None:
    """Before the branch is founded its worker has nothing; from that day, dispatch."""
    eve = FOUNDED - DAY
    before = actor_for("worker", on=eve, roster=ROSTER, organisations=ORGS)
    assert before.roles == {"building_leader"}
    assert before.powers == frozenset()
    early = raised(engine, eve)
    with pytest.raises(RoleRefused):
        engine.fire(early, "dispatch", before, at=at(eve))
    assert early.step == "raised"
    on_the_day = actor_for("worker", on=FOUNDED, roster=ROSTER, organisations=ORGS)
    engine.fire(early, "dispatch", on_the_day, at=at(FOUNDED))
    assert early.step == "dispatched"


def test_a_closed_temporary_branch_gives_neither_role_nor_power() -> None:
    """After the renovation the temporary branch's secretary holds nothing through it."""
    during = actor_for("renovator", on=date(2025, 9, 1), roster=ROSTER, organisations=ORGS)
    after = actor_for("renovator", on=date(2026, 3, 1), roster=ROSTER, organisations=ORGS)
    assert during.roles == {"secretary"}
    assert during.powers == {"dispatch"}
    assert (after.roles, after.powers) == (frozenset(), frozenset())


def test_powers_of_several_organisations_are_joined() -> None:
    """A chair of the owners' committee who sits on the residents' committee too."""
    chair = actor_for("chair", on=FOUNDED, roster=ROSTER, organisations=ORGS)
    assert chair.roles == {"chair", "committee_member"}
    assert chair.powers == {"deliberation"}


def test_naming_a_unit_keeps_only_the_seats_serving_it() -> None:
    """Acting for compound A, the chair is the chair only; the unit is set on the actor."""
    chair = actor_for("chair", on=FOUNDED, roster=ROSTER, organisations=ORGS, unit="compound-a")
    assert chair.roles == {"chair"}
    assert chair.unit == "compound-a"
    worker = actor_for("worker", on=FOUNDED, roster=ROSTER, organisations=ORGS, unit="building-7")
    assert worker.roles == {"building_leader"}
    assert worker.powers == frozenset()


def test_further_units_let_seats_above_count() -> None:
    """``units`` adds the community, so the residents' committee seat counts for compound A."""
    chair = actor_for(
        "chair",
        on=FOUNDED,
        roster=ROSTER,
        organisations=ORGS,
        unit="compound-a",
        units=["community-1"],
    )
    assert chair.roles == {"chair", "committee_member"}
    assert chair.unit == "compound-a"


def test_the_seats_read_are_listed_for_an_explanation() -> None:
    """``seats_counted`` returns the appointments the actor was made from, in roster order."""
    seats = seats_counted("chair", on=FOUNDED, roster=ROSTER, organisations=ORGS)
    assert [(a.role, a.org) for a in seats] == [("chair", "oc-a"), ("committee_member", "rc-1")]


def test_a_person_the_roster_does_not_name_is_unknown() -> None:
    """A roster of appointments only: an id no appointment names raises UnknownPerson."""
    with pytest.raises(UnknownPerson) as unknown:
        actor_for("stranger", on=FOUNDED, roster=ROSTER, organisations=ORGS)
    assert unknown.value.person_id == "stranger"
    assert isinstance(unknown.value, LookupError)


def test_a_person_missing_from_the_roster_people_is_unknown() -> None:
    """With people given, an id not among them raises even before seats are read."""
    roster = Roster([Person(id="worker", name=PersonName("李四"))], APPOINTMENTS[:2])
    with pytest.raises(UnknownPerson):
        actor_for("clerk", on=FOUNDED, roster=roster, organisations=ORGS)


def test_a_known_person_without_seats_gets_no_roles_or_powers() -> None:
    """A person on the roster but holding nothing is an actor who may fire nothing."""
    roster = Roster([Person(id="newcomer", name=PersonName("赵六"))])
    actor = actor_for("newcomer", on=FOUNDED, roster=roster, organisations=ORGS)
    assert (actor.id, actor.roles, actor.powers) == ("newcomer", frozenset(), frozenset())


def test_a_seat_in_an_unknown_organisation_is_reported() -> None:
    """A seat that would count but names an organisation nobody holds raises, naming it."""
    roster = Roster(
        appointments=[Appointment(person="p", role="grid_worker", org="typo", start=START)]
    )
    with pytest.raises(UnknownOrganisation) as unknown:
        actor_for("p", on=FOUNDED, roster=roster, organisations=ORGS)
    assert unknown.value.org_id == "typo"


def test_a_seat_outside_the_units_named_is_skipped_before_its_organisation_is_read() -> None:
    """The unknown organisation does not matter when its seat serves another unit."""
    roster = Roster(
        appointments=[
            Appointment(person="p", role="x", org="typo", unit="elsewhere", start=START),
            Appointment(person="p", role="grid_worker", org="branch-a", start=START),
        ]
    )
    actor = actor_for("p", on=FOUNDED, roster=roster, organisations=ORGS, unit="compound-a")
    assert actor.roles == {"grid_worker"}
