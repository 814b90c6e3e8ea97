"""Command posts (DOMAIN.md G6) and building contact boards (G10)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.command import (
    BOARD_ROLES,
    CommandLevel,
    CommandPost,
    CommandSystem,
    LevelSummary,
    UnknownCommandPost,
    contact_board,
)
from civicgrid.domain.findings import Severity
from civicgrid.domain.people import Appointment, Person, Roster, Seat
from civicgrid.domain.personal import PersonName, PhoneNumber
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.domain.units import Unit, UnitKind, UnitTree, UnknownUnit
from civicgrid.errors import CivicGridError, InvalidData

K = UnitKind
L = CommandLevel
DAY = date(2026, 11, 23)


def unit(unit_id: str, kind: UnitKind, parent: str | None, **fields: Any) -> Unit:
    """Make a unit named after its id."""
    return Unit(id=unit_id, kind=kind, name_zh=unit_id, parent=parent, **fields)


def post(post_id: str, level: CommandLevel, unit_id: str, **kw: Any) -> CommandPost:
    """Make a post named after its id."""
    return CommandPost(id=post_id, level=level, unit=unit_id, name_zh=post_id, **kw)


def small_tree() -> UnitTree:
    """District → subdistrict → community → two compounds → buildings → 单元 → households.

    b1 has two 单元 (u1, u2); b2 has none; b3 (in cp2) has one 单元 u3.
    """
    return UnitTree(
        [
            unit("d", K.DISTRICT, None),
            unit("sd", K.SUBDISTRICT, "d"),
            unit("cm", K.COMMUNITY, "sd"),
            unit("cp1", K.COMPOUND, "cm"),
            unit("mg1", K.MICRO_GRID, "cp1"),
            unit("b1", K.BUILDING, "mg1"),
            unit("u1", K.UNIT, "b1"),
            unit("hh1", K.HOUSEHOLD, "u1", households=1, residents=3),
            unit("u2", K.UNIT, "b1"),
            unit("hh2", K.HOUSEHOLD, "u2", households=1, residents=2),
            unit("b2", K.BUILDING, "mg1", households=30),
            unit("cp2", K.COURTYARD, "cm", households=12),
            unit("b3", K.BUILDING, "cp2"),
            unit("u3", K.UNIT, "b3"),
        ]
    )


def full_posts() -> list[CommandPost]:
    """A post at every level: one compound point for both compounds; contact points at 单元."""
    return [
        post("tf", L.DISTRICT_TASK_FORCE, "d"),
        post("cmd", L.SUBDISTRICT_COMMAND, "sd"),
        post("ws", L.COMMUNITY_STATION, "cm"),
        post("sp", L.COMPOUND_POINT, "cp1", serves=["cp2"]),
        post("k1", L.BUILDING_CONTACT, "u1"),
        post("k2", L.BUILDING_CONTACT, "u2"),
        post("k3", L.BUILDING_CONTACT, "b2"),
        post("k4", L.BUILDING_CONTACT, "b3"),
    ]


# --------------------------------------------------------------------------- levels and posts


def test_the_five_levels_carry_the_documents_names_and_unit_kinds() -> None:
    """Labels follow the Chenghua document; a community station also sits at a village."""
    assert [level.label_zh for level in L] == [
        "区级工作专班",
        "街道指挥部",
        "社区工作站",
        "小区（院落）服务点",
        "楼栋单元联系点",
    ]
    assert all(level.label_en for level in L)
    assert [level.rank for level in L] == [0, 1, 2, 3, 4]
    assert L.COMMUNITY_STATION.unit_kinds == {K.COMMUNITY, K.VILLAGE}
    assert L.COMPOUND_POINT.unit_kinds == {K.COMPOUND, K.COURTYARD, K.AREA}
    assert L.BUILDING_CONTACT.unit_kinds == {K.BUILDING, K.UNIT}


def test_every_problem_with_a_post_is_reported_at_once() -> None:
    """An empty id, a level given as text, a unit served twice and a bare phone string."""
    with pytest.raises(InvalidData) as refused:
        CommandPost(
            id="",
            level="compound_point",  # type: ignore[arg-type]
            unit="cp1",
            name_zh="服务点",
            serves=["cp2", "cp2", "cp1", ""],
            contact="13812345678",  # type: ignore[arg-type]
        )
    assert [p.path for p in refused.value.problems] == [
        "id",
        "level",
        "serves[1]",
        "serves[2]",
        "serves[3]",
        "contact",
    ]


def test_a_posts_duty_line_is_masked() -> None:
    """The contact phone shows masked in repr; reveal() gives it."""
    station = post("ws", L.COMMUNITY_STATION, "cm", contact=PhoneNumber.parse("13812345678"))
    assert "13812345678" not in repr(station)
    assert "138****5678" in repr(station)


def test_duplicate_post_ids_are_refused() -> None:
    """Two posts with one id, or something not a post, make an invalid system, by index."""
    with pytest.raises(InvalidData) as refused:
        CommandSystem([post("p", L.COMMUNITY_STATION, "cm"), post("p", L.COMPOUND_POINT, "cp1")])
    assert [p.path for p in refused.value.problems] == ["posts[1].id"]
    with pytest.raises(InvalidData) as refused:
        CommandSystem([post("p", L.COMMUNITY_STATION, "cm"), "q"])  # type: ignore[list-item]
    assert [p.path for p in refused.value.problems] == ["posts[1]"]


def test_an_unknown_post_id_raises_a_lookup_error_in_both_languages() -> None:
    """post() names the id; the error is a LookupError and a CivicGridError."""
    system = CommandSystem(full_posts())
    assert system.post("sp").serves == ("cp2",)
    with pytest.raises(UnknownCommandPost) as missing:
        system.post("nope")
    assert isinstance(missing.value, LookupError)
    assert isinstance(missing.value, CivicGridError)
    assert missing.value.post_id == "nope"
    assert missing.value.message_zh is not None
    assert "nope" in missing.value.message_zh


# --------------------------------------------------------------------------- Chenghua's figures


def chenghua() -> tuple[UnitTree, list[CommandPost]]:
    """成华区: 11 subdistricts, 81 communities + 2 villages, 1299 compounds, 15,800 buildings.

    571 compound service points serve the 1299 compounds: the first 157 points serve three
    compounds each, the other 414 two (157 × 3 + 414 × 2 = 1299). Every building has its
    contact point.
    """
    units = [unit("chenghua", K.DISTRICT, None)]
    units.extend(unit(f"sd{i}", K.SUBDISTRICT, "chenghua") for i in range(11))
    units.extend(
        unit(f"cm{i}", K.VILLAGE if i >= 81 else K.COMMUNITY, f"sd{i % 11}") for i in range(83)
    )
    units.extend(unit(f"cp{i}", K.COMPOUND, f"cm{i % 83}") for i in range(1299))
    units.extend(unit(f"b{i}", K.BUILDING, f"cp{i % 1299}") for i in range(15_800))
    posts = [post("tf", L.DISTRICT_TASK_FORCE, "chenghua")]
    posts.extend(post(f"cmd{i}", L.SUBDISTRICT_COMMAND, f"sd{i}") for i in range(11))
    posts.extend(post(f"ws{i}", L.COMMUNITY_STATION, f"cm{i}") for i in range(83))
    compounds = iter(range(1299))
    for i in range(571):
        group = [f"cp{next(compounds)}" for _ in range(3 if i < 157 else 2)]
        posts.append(post(f"sp{i}", L.COMPOUND_POINT, group[0], serves=group[1:]))
    posts.extend(post(f"k{i}", L.BUILDING_CONTACT, f"b{i}") for i in range(15_800))
    return UnitTree(units), posts


def test_chenghuas_five_level_system_is_complete() -> None:
    """1 → 11 → 83 → 571 → 15,800 posts cover Chenghua's units with no finding."""
    tree, posts = chenghua()
    system = CommandSystem(posts)
    assert list(system.counts().values()) == [1, 11, 83, 571, 15_800]
    assert system.check(tree) == ()
    assert system.summary(tree) == (
        LevelSummary(level=L.DISTRICT_TASK_FORCE, posts=1, units=1, missing=0),
        LevelSummary(level=L.SUBDISTRICT_COMMAND, posts=11, units=11, missing=0),
        LevelSummary(level=L.COMMUNITY_STATION, posts=83, units=83, missing=0),
        LevelSummary(level=L.COMPOUND_POINT, posts=571, units=1299, missing=0),
        LevelSummary(level=L.BUILDING_CONTACT, posts=15_800, units=15_800, missing=0),
    )


def test_a_compound_left_out_of_every_service_point_is_a_gap() -> None:
    """Dropping the last compound from its point leaves exactly that compound without one."""
    tree, posts = chenghua()
    last = posts.index(next(p for p in posts if p.id == "sp570"))
    posts[last] = post("sp570", L.COMPOUND_POINT, "cp1297")  # no longer serves cp1298
    system = CommandSystem(posts)
    assert system.gaps(tree)[L.COMPOUND_POINT] == ("cp1298",)
    [finding] = system.check(tree)
    assert (finding.rule, finding.unit, finding.severity) == (
        "command.missing_post",
        "cp1298",
        Severity.WARNING,
    )
    assert "小区（院落）服务点" in finding.message_zh


# --------------------------------------------------------------------------- gaps and findings


def test_a_building_is_served_by_its_own_point_or_by_points_at_all_its_units() -> None:
    """b1's 单元 both have points, b2 and b3 have their own: no building gap."""
    system = CommandSystem(full_posts())
    assert system.gaps(small_tree()) == dict.fromkeys(L, ())


def test_a_gap_is_named_as_high_as_it_is_whole() -> None:
    """A building with one of two 单元 served names the other; one with none names itself."""
    posts = [p for p in full_posts() if p.id not in {"k2", "k4"}]
    gaps = CommandSystem(posts).gaps(small_tree())
    assert gaps[L.BUILDING_CONTACT] == ("u2", "b3")
    without_any = [p for p in full_posts() if p.id not in {"k1", "k2"}]
    assert CommandSystem(without_any).gaps(small_tree())[L.BUILDING_CONTACT] == ("b1",)


def test_missing_posts_carry_the_households_they_leave_out() -> None:
    """The finding's value is the unit's households, so a report can weigh the gap."""
    posts = [p for p in full_posts() if p.id not in {"sp", "k3"}]
    findings = CommandSystem(posts).check(small_tree())
    assert {(f.rule, f.unit, f.value) for f in findings} == {
        ("command.missing_post", "cp1", 32),  # hh1 + hh2 + b2's 30
        ("command.missing_post", "cp2", 12),
        ("command.missing_post", "b2", 30),
    }


def test_posts_on_unknown_units_or_the_wrong_kind_are_errors_listed_first() -> None:
    """A station at a compound, a point serving an unknown unit, two stations at one unit."""
    posts = [
        *full_posts(),
        post("ws2", L.COMMUNITY_STATION, "cp1"),
        post("sp2", L.COMPOUND_POINT, "cp2", serves=["ghost"]),
        post("ws3", L.COMMUNITY_STATION, "cm"),
    ]
    findings = CommandSystem(posts).check(small_tree())
    seen = [(f.rule, f.severity, f.subject, f.unit) for f in findings]
    assert seen == [
        ("command.wrong_kind", Severity.ERROR, "ws2", "cp1"),
        ("command.unknown_unit", Severity.ERROR, "sp2", None),
        ("command.duplicate_post", Severity.WARNING, "ws3", "cm"),
        ("command.duplicate_post", Severity.WARNING, "sp2", "cp2"),
    ]
    assert "ghost" in findings[1].message_en
    assert all(f.message_zh for f in findings)


def test_a_wrongly_placed_post_does_not_count_as_serving() -> None:
    """A compound point sitting at a building leaves the compound without one."""
    posts = [p for p in full_posts() if p.id != "sp"]
    posts.append(post("sp", L.COMPOUND_POINT, "b1", serves=["cp2"]))
    assert CommandSystem(posts).gaps(small_tree())[L.COMPOUND_POINT] == ("cp1",)


# --------------------------------------------------------------------------- the chain above


def post_ids(chain: dict[CommandLevel, CommandPost | None]) -> list[str | None]:
    """The ids of a chain's posts, nearest level first, None where a level has none."""
    return [p.id if p else None for p in chain.values()]


def test_the_chain_above_a_household_runs_from_its_contact_point_to_the_task_force() -> None:
    """hh2's chain: its 单元's point, the compound point, station, command post, task force."""
    chain = CommandSystem(full_posts()).chain(small_tree(), "hh2")
    assert list(chain) == [
        L.BUILDING_CONTACT,
        L.COMPOUND_POINT,
        L.COMMUNITY_STATION,
        L.SUBDISTRICT_COMMAND,
        L.DISTRICT_TASK_FORCE,
    ]
    assert post_ids(chain) == ["k2", "sp", "ws", "cmd", "tf"]


def test_a_unit_served_by_another_units_point_finds_it_through_serves() -> None:
    """u3 in cp2 reaches the building point k4 and the point at cp1 that serves cp2."""
    chain = CommandSystem(full_posts()).chain(small_tree(), "u3")
    assert post_ids(chain)[:2] == ["k4", "sp"]


def test_a_post_sitting_at_the_unit_comes_before_one_serving_it() -> None:
    """When cp2 has its own point and is also served from cp1, its own point is chosen."""
    posts = [*full_posts(), post("own", L.COMPOUND_POINT, "cp2")]
    chain = CommandSystem(posts).chain(small_tree(), "b3")
    assert post_ids(chain)[1] == "own"


def test_a_level_without_a_post_is_none_in_the_chain() -> None:
    """Without a subdistrict command post that level is None; an unknown unit raises."""
    system = CommandSystem([p for p in full_posts() if p.id != "cmd"])
    assert system.chain(small_tree(), "hh1")[L.SUBDISTRICT_COMMAND] is None
    with pytest.raises(UnknownUnit):
        system.chain(small_tree(), "hh9")


# --------------------------------------------------------------------------- contact boards


def board_roster() -> Roster:
    """People with seats at hh1's 单元, building, micro grid, compound and community."""
    phone = PhoneNumber.parse("13812345678")
    people = [Person(id=f"p{i}", name=PersonName.parse("李四"), phone=phone) for i in range(1, 10)]
    seats = [
        Appointment(person="p1", role=Seat.BUILDING_LEADER, unit="b1", start=date(2025, 1, 1)),
        Appointment(person="p2", role=Seat.GRID_LEADER, unit="mg1", start=date(2025, 1, 1)),
        Appointment(person="p3", role=Seat.COMMUNITY_WORKER, unit="cm", start=date(2024, 3, 1)),
        Appointment(person="p4", role=Seat.POLICE_OFFICER, unit="cm", start=date(2024, 3, 1)),
        Appointment(
            person="p5", role=Seat.PARTNER_UNIT_CONTACT, unit="cp1", start=date(2026, 1, 1)
        ),
        Appointment(person="p6", role=Seat.VOLUNTEER, unit="u1", start=date(2026, 1, 1)),
        # ended the day before, starts the day after, bound only to an organisation
        Appointment(
            person="p7", role=Seat.BUILDING_LEADER, unit="b1", start=date(2022, 1, 1), end=DAY
        ),
        Appointment(person="p8", role=Seat.GRID_LEADER, unit="mg1", start=date(2026, 11, 24)),
        Appointment(person="p9", role=Seat.SECRETARY, org="party-cm", start=date(2024, 1, 1)),
    ]
    return Roster(people, seats)


def test_the_board_lists_who_serves_a_household_nearest_first() -> None:
    """hh1: the volunteer at its 单元, building leader, grid leader, partner, worker, police."""
    board = contact_board(small_tree(), board_roster(), "hh1", DAY)
    assert [(c.role, c.person, c.unit, c.steps) for c in board] == [
        ("volunteer", "p6", "u1", 1),
        ("building_leader", "p1", "b1", 2),
        ("grid_leader", "p2", "mg1", 3),
        (Seat.PARTNER_UNIT_CONTACT, "p5", "cp1", 4),
        ("community_worker", "p3", "cm", 5),
        ("police_officer", "p4", "cm", 5),
    ]
    assert board[1].unit_kind is K.BUILDING
    assert board[1].seat is Seat.BUILDING_LEADER
    assert (board[1].label_zh, board[1].label_en) == ("楼栋长", "building leader")
    assert board[3].seat is Seat.PARTNER_UNIT_CONTACT
    assert (board[3].label_zh, board[3].label_en) == ("共驻共建单位联系人", "partner-unit contact")


def test_the_posted_board_keeps_only_g10s_roles() -> None:
    """With BOARD_ROLES the volunteer drops out; the five G10 roles stay."""
    board = contact_board(small_tree(), board_roster(), "hh1", DAY, roles=BOARD_ROLES)
    assert [c.person for c in board] == ["p1", "p2", "p5", "p3", "p4"]


def test_the_board_reads_the_seats_held_on_the_day() -> None:
    """The day before, p7 was still building leader; the day after, p8 is grid leader too."""
    before = contact_board(small_tree(), board_roster(), "hh1", date(2026, 11, 22))
    assert [c.person for c in before if c.role == Seat.BUILDING_LEADER] == ["p1", "p7"]
    after = contact_board(small_tree(), board_roster(), "hh1", date(2026, 11, 24))
    assert [c.person for c in after if c.role == Seat.GRID_LEADER] == ["p2", "p8"]


def test_the_board_shows_ids_never_personal_data() -> None:
    """Names and phone numbers stay in the roster; the board carries person ids only."""
    board = contact_board(small_tree(), board_roster(), "hh1", DAY)
    text = repr(board)
    assert "李四" not in text
    assert "138" not in text


def test_a_bad_board_request_is_refused_clearly() -> None:
    """An unknown household raises UnknownUnit; a datetime for the day is named as ``on``."""
    with pytest.raises(UnknownUnit):
        contact_board(small_tree(), board_roster(), "hh9", DAY)
    with pytest.raises(InvalidData) as refused:
        contact_board(
            small_tree(), board_roster(), "hh1", datetime(2026, 11, 23, tzinfo=DEFAULT_TZ)
        )
    assert [p.path for p in refused.value.problems] == ["on"]


@st.composite
def estates(draw: st.DrawFn) -> tuple[UnitTree, list[CommandPost]]:
    """A compound of buildings, some split into 单元, households below; random contact points."""
    units = [unit("d", K.DISTRICT, None), unit("cp", K.COMPOUND, "d")]
    for b in range(draw(st.integers(min_value=1, max_value=5))):
        units.append(unit(f"b{b}", K.BUILDING, "cp"))
        parts = draw(st.integers(min_value=0, max_value=3))
        for u in range(parts):
            units.append(unit(f"b{b}u{u}", K.UNIT, f"b{b}"))
            units.append(unit(f"b{b}u{u}h", K.HOUSEHOLD, f"b{b}u{u}"))
        if not parts:
            units.append(unit(f"b{b}h", K.HOUSEHOLD, f"b{b}"))
    places = [u.id for u in units if u.kind in L.BUILDING_CONTACT.unit_kinds]
    chosen = draw(st.lists(st.sampled_from(places), unique=True))
    return UnitTree(units), [post(f"k-{p}", L.BUILDING_CONTACT, p) for p in chosen]


@settings(max_examples=200, deadline=None)
@given(estates())
def test_gaps_are_unserved_named_once_and_closed_by_a_post_each(
    drawn: tuple[UnitTree, list[CommandPost]],
) -> None:
    """Each gap lies on the way up from exactly the households left without a contact point."""
    tree, posts = drawn
    system = CommandSystem(posts)
    gaps = set(system.gaps(tree)[L.BUILDING_CONTACT])
    for household in tree.descendants("d", K.HOUSEHOLD):
        path = {household.id} | {u.id for u in tree.ancestors(household.id)}
        unserved = system.chain(tree, household.id)[L.BUILDING_CONTACT] is None
        assert unserved == bool(path & gaps), household.id
        assert len(path & gaps) <= 1
    closed = [*posts, *(post(f"new-{g}", L.BUILDING_CONTACT, g) for g in gaps)]
    assert CommandSystem(closed).gaps(tree)[L.BUILDING_CONTACT] == ()
