"""Re-gridding with history (DOMAIN.md G9): split, merge, move, add, retire, replace, the past."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.grid_changes import (
    BeforeHistory,
    ChangeKind,
    ChangeOutOfOrder,
    GridChange,
    UnitNotPresent,
)
from civicgrid.domain.regridding import GridHistory
from civicgrid.domain.time import DEFAULT_TZ, get_timezone
from civicgrid.domain.units import TreeChangeRefused, Unit, UnitKind, UnitTree, UnknownUnit
from civicgrid.errors import CivicGridError, InvalidData, NaiveDatetimeError
from civicgrid.serialization import make_converter

K = UnitKind
SINCE = datetime(2026, 1, 1, tzinfo=DEFAULT_TZ)
"""The instant the base tree describes: New Year 2026 in Chengdu."""
OFFICE = "worker-yilitang-01"
"""The community worker who records the changes."""


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant in 2026, Asia/Shanghai."""
    return datetime(2026, month, day, hour, minute, tzinfo=DEFAULT_TZ)


def unit(unit_id: str, kind: UnitKind, parent: str | None, name_zh: str = "") -> Unit:
    """Make a unit, named after its id unless a name is given."""
    return Unit(id=unit_id, kind=kind, name_zh=name_zh or unit_id, parent=parent)


def yilitang() -> list[Unit]:
    """一里塘社区 in 成华区, as Chenghua nests its 3+1 grids, down to households.

    community → total grid → general grids → compounds → micro grids → buildings → households.
    """
    return [
        unit("chenghua", K.DISTRICT, None, "成华区"),
        unit("yilitang", K.COMMUNITY, "chenghua", "一里塘社区"),
        unit("tg", K.TOTAL_GRID, "yilitang", "一里塘社区总网格"),
        unit("gg1", K.GENERAL_GRID, "tg", "第一一般网格"),
        unit("cp1", K.COMPOUND, "gg1", "锦城小区"),
        unit("mg1", K.MICRO_GRID, "cp1", "锦城第一微网格"),
        unit("b1", K.BUILDING, "mg1", "1栋"),
        unit("h101", K.HOUSEHOLD, "b1"),
        unit("h102", K.HOUSEHOLD, "b1"),
        unit("b2", K.BUILDING, "mg1", "2栋"),
        unit("h201", K.HOUSEHOLD, "b2"),
        unit("h202", K.HOUSEHOLD, "b2"),
        unit("b3", K.BUILDING, "mg1", "3栋"),
        unit("h301", K.HOUSEHOLD, "b3"),
        unit("mg2", K.MICRO_GRID, "cp1", "锦城第二微网格"),
        unit("b4", K.BUILDING, "mg2", "4栋"),
        unit("h401", K.HOUSEHOLD, "b4"),
        unit("h402", K.HOUSEHOLD, "b4"),
        unit("gg2", K.GENERAL_GRID, "tg", "第二一般网格"),
        unit("cp2", K.COMPOUND, "gg2", "电子科大宿舍院落"),
        unit("mg3", K.MICRO_GRID, "cp2", "宿舍微网格"),
        unit("b5", K.BUILDING, "mg3", "5栋"),
        unit("h501", K.HOUSEHOLD, "b5"),
    ]


HOUSEHOLDS = [u.id for u in yilitang() if u.kind is K.HOUSEHOLD]


@pytest.fixture
def history() -> GridHistory:
    """The base tree on 2026-01-01, no change recorded yet."""
    return GridHistory(yilitang(), since=SINCE)


def regrid(history: GridHistory) -> GridHistory:
    """Split mg1 in April, merge mg2 into a part in June, move building 2 in August."""
    history.split(
        "mg1",
        [
            unit("mg1a", K.MICRO_GRID, "cp1", "锦城一微网格（北）"),
            unit("mg1b", K.MICRO_GRID, "cp1", "锦城一微网格（南）"),
        ],
        {"b1": "mg1a", "b2": "mg1a", "b3": "mg1b"},
        at=at(4, 15),
        actor=OFFICE,
        reason="建设路把小区分成两半：按街区和道路重新划分微网格",
    )
    history.merge(
        ["mg2"],
        "mg1b",
        at=at(6, 20),
        actor=OFFICE,
        reason="第二微网格只剩一栋楼，并入南片",
    )
    history.move("b2", "mg1b", at=at(8, 10), actor=OFFICE, reason="2栋出入口改到南侧，随南片管理")
    return history


def ids(units: tuple[Unit, ...]) -> list[str]:
    """Return the ids of the units, in order."""
    return [u.id for u in units]


def tree_snapshot(tree: UnitTree) -> tuple[list[Unit], dict[str, list[str]], str]:
    """Everything observable about a tree's shape: units in order, children in order, root."""
    return list(tree), {u.id: ids(tree.children(u.id)) for u in tree}, tree.root.id


def snapshot(history: GridHistory) -> tuple[Any, ...]:
    """Everything observable about a history: its tree, its changes and its answers."""
    far = date(2027, 1, 1)
    known = sorted(
        {u.id for u in history.base} | {u.id for c in history.changes() for u in c.units}
    )
    return (
        tree_snapshot(history.current),
        history.changes(),
        history.assign_households(K.MICRO_GRID, SINCE, far),
        {i: history.unit_as_of(i, far) for i in known},
        tree_snapshot(history.as_of(far)),
    )


def micro_grid(history: GridHistory, household: str, when: date | datetime) -> str | None:
    """Return the id of the household's micro grid at ``when``."""
    grid = history.grid_of(household, K.MICRO_GRID, when)
    return None if grid is None else grid.id


# --------------------------------------------------------------------------- kinds and events


def test_every_change_kind_has_a_chinese_and_an_english_label() -> None:
    """Each kind of change carries both labels."""
    assert {k.value: k.label_zh for k in ChangeKind} == {
        "add": "新增",
        "retire": "撤销",
        "move": "调整隶属",
        "replace": "变更",
        "split": "拆分",
        "merge": "合并",
    }
    assert all(k.label_en for k in ChangeKind)


def test_a_change_reports_every_bad_field_at_once() -> None:
    """Naive time, empty actor and reason, and fields the kind does not use are listed together."""
    with pytest.raises(InvalidData) as caught:
        GridChange(
            kind=ChangeKind.MOVE,
            at=datetime(2026, 4, 15, 9),  # noqa: DTZ001 - naive on purpose
            actor="",
            reason=" ",
            subject="b2",
            sources=("mg2",),
        )
    assert [p.path for p in caught.value.problems] == [
        "at",
        "actor",
        "reason",
        "sources",
        "parent",
    ]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"kind": ChangeKind.ADD, "units": ()}, "units"),
        ({"kind": ChangeKind.ADD, "units": (unit("b9", K.BUILDING, "mg1"),)}, "units"),
        ({"kind": ChangeKind.SPLIT, "units": (unit("x", K.MICRO_GRID, "cp1"),)}, "units"),
        (
            {
                "kind": ChangeKind.SPLIT,
                "units": (unit("x", K.MICRO_GRID, "cp1"), unit("y", K.MICRO_GRID, "cp1")),
                "assign": (("b1", "x"), ("b1", "y")),
            },
            "assign",
        ),
        (
            {
                "kind": ChangeKind.SPLIT,
                "units": (unit("x", K.MICRO_GRID, "cp1"), unit("y", K.MICRO_GRID, "cp1")),
                "assign": (("b1", "z"),),
            },
            "assign",
        ),
        ({"kind": ChangeKind.MERGE, "sources": ()}, "sources"),
        ({"kind": ChangeKind.MERGE, "sources": ("mg2", "mg2")}, "sources"),
        (
            {"kind": ChangeKind.MERGE, "sources": ("s",), "units": (unit("q", K.GRID, "t"),)},
            "units",
        ),
        ({"kind": ChangeKind.RETIRE, "units": ("b1",)}, "units"),
        ({"kind": "split"}, "kind"),
    ],
)
def test_a_malformed_change_names_the_field(fields: dict[str, Any], path: str) -> None:
    """Each kind checks the fields it uses, and the error names the field."""
    with pytest.raises(InvalidData) as caught:
        GridChange(**{"at": at(4, 15), "actor": OFFICE, "reason": "r", "subject": "mg1", **fields})
    assert path in [p.path for p in caught.value.problems]


def test_changes_are_plain_data_that_round_trip_through_json(history: GridHistory) -> None:
    """Every recorded change survives the project's converter and JSON unchanged."""
    regrid(history)
    converter = make_converter()
    for change in history.changes():
        text = json.dumps(converter.unstructure(change))
        assert converter.structure(json.loads(text), GridChange) == change


# --------------------------------------------------------------------------- the scenario


def test_split_merge_and_move_answer_which_grid_a_household_was_in(history: GridHistory) -> None:
    """Household h201 was in mg1 on 1 March, mg1a on 1 May and mg1b on 1 September."""
    regrid(history)
    assert micro_grid(history, "h201", date(2026, 3, 1)) == "mg1"
    assert micro_grid(history, "h201", date(2026, 5, 1)) == "mg1a"
    assert micro_grid(history, "h201", date(2026, 9, 1)) == "mg1b"
    assert micro_grid(history, "h401", date(2026, 3, 1)) == "mg2"
    assert micro_grid(history, "h401", date(2026, 9, 1)) == "mg1b"
    assert micro_grid(history, "h501", date(2026, 9, 1)) == "mg3"
    general = history.grid_of("h201", K.GENERAL_GRID, date(2026, 9, 1))
    assert general is not None
    assert general.id == "gg1"
    assert history.grid_of("h201", K.DEDICATED_GRID, date(2026, 9, 1)) is None


def test_the_live_tree_has_the_parts_and_not_the_retired_grids(history: GridHistory) -> None:
    """After the changes mg1 and mg2 are gone, and the south part holds buildings 3, 4 and 2."""
    regrid(history)
    tree = history.current
    assert "mg1" not in tree
    assert "mg2" not in tree
    assert ids(tree.children("cp1")) == ["mg1a", "mg1b"]
    assert ids(tree.children("mg1a")) == ["b1"]
    assert ids(tree.children("mg1b")) == ["b3", "b4", "b2"]


def test_as_of_rebuilds_the_tree_of_any_day(history: GridHistory) -> None:
    """The tree on 1 March is the base; on 1 September it is the live tree."""
    base = tree_snapshot(UnitTree(yilitang()))
    regrid(history)
    assert tree_snapshot(history.as_of(date(2026, 3, 1))) == base
    assert tree_snapshot(history.as_of(SINCE)) == base
    assert tree_snapshot(history.as_of(date(2026, 9, 1))) == tree_snapshot(history.current)
    may = history.as_of(date(2026, 5, 1))
    assert ids(may.children("cp1")) == ["mg2", "mg1a", "mg1b"]


def test_a_tree_from_as_of_is_a_copy(history: GridHistory) -> None:
    """Changing a rebuilt tree changes neither the history nor the next rebuild."""
    regrid(history)
    before = snapshot(history)
    history.as_of(date(2026, 9, 1)).remove("h501")
    assert snapshot(history) == before


def test_unit_as_of_gives_each_version_of_a_unit(history: GridHistory) -> None:
    """Building 2's parent and the grids' existence change with the dates."""
    regrid(history)
    b2 = [history.unit_as_of("b2", date(2026, m, 1)) for m in (3, 5, 9)]
    assert [u.parent if u else None for u in b2] == ["mg1", "mg1a", "mg1b"]
    assert history.unit_as_of("mg1", date(2026, 3, 1)) == unit(
        "mg1", K.MICRO_GRID, "cp1", "锦城第一微网格"
    )
    assert history.unit_as_of("mg1", date(2026, 5, 1)) is None
    assert history.unit_as_of("mg1a", date(2026, 3, 1)) is None


def test_rebuilding_from_the_recorded_changes_gives_an_identical_history(
    history: GridHistory,
) -> None:
    """Replaying (base, changes) as a store would gives the same tree, changes and answers."""
    regrid(history)
    history.rename("mg3", "宿舍南微网格", at=at(9, 1), actor=OFFICE, reason="更名")
    history.retire("h301", at=at(10, 1), actor=OFFICE, reason="房屋征收，住户迁出")
    rebuilt = GridHistory.replay(history.base, history.changes(), since=history.since)
    assert snapshot(rebuilt) == snapshot(history)


def test_a_date_means_the_end_of_that_day_in_shanghai(history: GridHistory) -> None:
    """A change at 00:30 on 16 April (Shanghai) is after 15 April, though 15 April in UTC."""
    history.move("b2", "mg2", at=at(4, 15, 23, 30), actor=OFFICE, reason="调整")
    history.move("b2", "mg3", at=at(4, 16, 0, 30), actor=OFFICE, reason="再调整")
    assert micro_grid(history, "h201", date(2026, 4, 14)) == "mg1"
    assert micro_grid(history, "h201", date(2026, 4, 15)) == "mg2"
    assert micro_grid(history, "h201", date(2026, 4, 16)) == "mg3"
    assert micro_grid(history, "h201", at(4, 15, 23, 29)) == "mg1"
    assert micro_grid(history, "h201", at(4, 15, 23, 30)) == "mg2"
    utc_evening = datetime(2026, 4, 15, 16, 29, tzinfo=get_timezone("UTC"))
    assert micro_grid(history, "h201", utc_evening) == "mg2"


def test_a_history_in_another_timezone_ends_its_days_there() -> None:
    """With tz=UTC, 00:30 on 16 April in Shanghai is still 15 April."""
    history = GridHistory(yilitang(), since=SINCE, tz=get_timezone("UTC"))
    history.move("b2", "mg3", at=at(4, 16, 0, 30), actor=OFFICE, reason="调整")
    assert micro_grid(history, "h201", date(2026, 4, 15)) == "mg3"


def test_changes_at_the_same_instant_apply_in_the_order_recorded(history: GridHistory) -> None:
    """Two moves at one instant are both kept; a question about that instant sees the last."""
    first = history.move("b2", "mg2", at=at(5, 1), actor=OFFICE, reason="先并入二格")
    second = history.move("b2", "mg3", at=at(5, 1), actor=OFFICE, reason="随即改入宿舍格")
    assert history.changes() == (first, second)
    assert micro_grid(history, "h201", at(5, 1)) == "mg3"
    assert micro_grid(history, "h201", at(4, 30, 23, 59)) == "mg1"


def test_changes_are_listed_by_period(history: GridHistory) -> None:
    """``changes(start, end)`` is half-open; with no bounds it lists them all."""
    regrid(history)
    assert [c.kind for c in history.changes()] == [
        ChangeKind.SPLIT,
        ChangeKind.MERGE,
        ChangeKind.MOVE,
    ]
    assert [c.kind for c in history.changes(date(2026, 4, 15), date(2026, 8, 10))] == [
        ChangeKind.SPLIT,
        ChangeKind.MERGE,
    ]
    assert history.changes(end=date(2026, 4, 15)) == ()
    (merge,) = history.changes(at(6, 20), at(6, 20, 9, 1))
    assert (merge.actor, merge.reason, merge.sources) == (
        OFFICE,
        "第二微网格只剩一栋楼，并入南片",
        ("mg2",),
    )


def test_a_merge_into_a_new_grid_adds_it_first(history: GridHistory) -> None:
    """Merging mg1 and mg2 into a new micro grid moves all four buildings under it."""
    history.merge(
        ["mg1", "mg2"],
        unit("mg12", K.MICRO_GRID, "cp1", "锦城合并微网格"),
        at=at(3, 1),
        actor=OFFICE,
        reason="两格合一",
    )
    assert ids(history.current.children("mg12")) == ["b1", "b2", "b3", "b4"]
    assert micro_grid(history, "h402", date(2026, 3, 1)) == "mg12"


def test_retiring_with_cascade_retires_everything_below(history: GridHistory) -> None:
    """A demolished building takes its households with it."""
    history.retire("b4", cascade=True, at=at(3, 1), actor=OFFICE, reason="危房拆除")
    assert "h401" not in history.current
    with pytest.raises(UnitNotPresent) as caught:
        history.grid_of("h401", K.MICRO_GRID, date(2026, 3, 2))
    assert caught.value.unit_id == "h401"
    assert isinstance(caught.value, LookupError)
    assert micro_grid(history, "h401", date(2026, 2, 28)) == "mg2"


def test_an_added_unit_is_found_from_its_date_on(history: GridHistory) -> None:
    """A household that moves in on 1 March is unknown in the tree of February."""
    history.add(unit("h203", K.HOUSEHOLD, "b2"), at=at(3, 1), actor=OFFICE, reason="新入住")
    assert micro_grid(history, "h203", date(2026, 3, 1)) == "mg1"
    with pytest.raises(UnitNotPresent):
        history.grid_of("h203", K.MICRO_GRID, date(2026, 2, 28))


def test_questions_before_the_history_or_about_strangers_are_refused(history: GridHistory) -> None:
    """Before ``since`` raises BeforeHistory; an id never seen raises UnknownUnit."""
    with pytest.raises(BeforeHistory) as caught:
        history.as_of(date(2025, 12, 31))
    assert caught.value.since == SINCE
    assert "早于" in str(caught.value)
    with pytest.raises(BeforeHistory):
        history.grid_of("h101", K.MICRO_GRID, SINCE - timedelta(seconds=1))
    with pytest.raises(BeforeHistory):
        history.assign_households(K.MICRO_GRID, date(2025, 12, 1), date(2026, 2, 1))
    with pytest.raises(UnknownUnit):
        history.grid_of("h999", K.MICRO_GRID, date(2026, 3, 1))
    with pytest.raises(UnknownUnit):
        history.unit_as_of("h999", date(2026, 3, 1))
    with pytest.raises(NaiveDatetimeError):
        history.as_of(datetime(2026, 3, 1))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(NaiveDatetimeError):
        GridHistory(yilitang(), since=datetime(2026, 1, 1))  # noqa: DTZ001


# --------------------------------------------------------------------------- period counting


def test_a_household_that_moved_is_counted_once_in_its_last_grid(history: GridHistory) -> None:
    """Over 2026 each household counts once, where it was at the end of the year."""
    regrid(history)
    by_grid = history.households_by_unit(K.MICRO_GRID, date(2026, 1, 1), date(2027, 1, 1))
    assert by_grid == {
        "mg1a": ("h101", "h102"),
        "mg1b": ("h201", "h202", "h301", "h401", "h402"),
        "mg3": ("h501",),
    }
    assert sum(len(v) for v in by_grid.values()) == len(HOUSEHOLDS)


def test_a_period_before_the_changes_counts_the_old_grids(history: GridHistory) -> None:
    """The first quarter ends before the split: the old micro grids hold everyone."""
    regrid(history)
    by_grid = history.households_by_unit(K.MICRO_GRID, date(2026, 1, 1), date(2026, 4, 1))
    assert {k: len(v) for k, v in by_grid.items()} == {"mg1": 5, "mg2": 2, "mg3": 1}


def test_a_period_ending_on_the_day_of_a_change_excludes_it(history: GridHistory) -> None:
    """[1 Jan, 15 Apr) ends before the split of 15 April: h201 is still in mg1."""
    regrid(history)
    assignment = history.assign_households(K.MICRO_GRID, date(2026, 1, 1), date(2026, 4, 15))
    assert assignment["h201"] == "mg1"
    assignment = history.assign_households(K.MICRO_GRID, date(2026, 1, 1), date(2026, 4, 16))
    assert assignment["h201"] == "mg1a"


def test_a_retired_household_counts_where_it_was_before_it_left(history: GridHistory) -> None:
    """h301 leaves on 20 August, after the split: it counts in mg1b, not in September."""
    regrid(history)
    history.retire("h301", at=at(8, 20), actor=OFFICE, reason="房屋征收，住户迁出")
    history.add(unit("h502", K.HOUSEHOLD, "b5"), at=at(10, 1), actor=OFFICE, reason="新入住")
    year = history.assign_households(K.MICRO_GRID, date(2026, 1, 1), date(2027, 1, 1))
    assert year["h301"] == "mg1b"
    assert year["h502"] == "mg3"
    assert len(year) == len(HOUSEHOLDS) + 1
    autumn = history.assign_households(K.MICRO_GRID, date(2026, 9, 1), date(2026, 10, 1))
    assert "h301" not in autumn
    assert "h502" not in autumn
    spring = history.assign_households(K.MICRO_GRID, SINCE, date(2026, 4, 1))
    assert spring["h301"] == "mg1"


def test_households_under_no_unit_of_the_kind_are_listed_under_none(
    history: GridHistory,
) -> None:
    """No dedicated grid exists: every household is listed under ``None``."""
    by_grid = history.households_by_unit(K.DEDICATED_GRID, date(2026, 1, 1), date(2026, 2, 1))
    assert by_grid == {None: tuple(HOUSEHOLDS)}


def test_buildings_can_be_counted_per_grid_instead(history: GridHistory) -> None:
    """``member=BUILDING`` counts buildings per general grid."""
    regrid(history)
    by_grid = history.households_by_unit(
        K.GENERAL_GRID, date(2026, 1, 1), date(2027, 1, 1), member=K.BUILDING
    )
    assert by_grid == {"gg1": ("b1", "b2", "b3", "b4"), "gg2": ("b5",)}


def test_an_empty_or_backward_period_is_refused(history: GridHistory) -> None:
    """A period whose end is not after its start names the end."""
    with pytest.raises(InvalidData) as caught:
        history.assign_households(K.MICRO_GRID, date(2026, 5, 1), date(2026, 5, 1))
    assert [p.path for p in caught.value.problems] == ["end"]


# --------------------------------------------------------------------------- refusals


def attempt(name: str) -> Callable[[GridHistory], object]:
    """Return a refused change to try, by name."""
    who: dict[str, Any] = {"at": at(7, 1), "actor": OFFICE, "reason": "调整"}
    parts = [unit("mg1a", K.MICRO_GRID, "cp1"), unit("mg1b", K.MICRO_GRID, "cp1")]
    refused: dict[str, Callable[[GridHistory], object]] = {
        "move an unknown unit": lambda h: h.move("b9", "mg2", **who),
        "move under an unknown parent": lambda h: h.move("b1", "mg9", **who),
        "move a grid under its own building": lambda h: h.move("mg1", "b1", **who),
        "move to where it already is": lambda h: h.move("b1", "mg1", **who),
        "move the root": lambda h: h.move("chenghua", "tg", **who),
        "merge a grid into itself": lambda h: h.merge(["mg1", "mg2"], "mg1", **who),
        "merge into a building inside a source": lambda h: h.merge(["mg1"], "b1", **who),
        "merge a source below another": lambda h: h.merge(["cp1", "mg1"], "mg3", **who),
        "merge an unknown grid": lambda h: h.merge(["mg9"], "mg3", **who),
        "merge the root": lambda h: h.merge(["chenghua"], "mg3", **who),
        "merge into a new grid inside a source": lambda h: h.merge(
            ["mg1"], unit("mgx", K.MICRO_GRID, "b1"), **who
        ),
        "split into an id that exists": lambda h: h.split(
            "mg1", [parts[0], unit("mg2", K.MICRO_GRID, "cp1")], {}, **who
        ),
        "split into a retired id": lambda h: h.split(
            "mg1", [parts[0], unit("h402", K.MICRO_GRID, "cp1")], {}, **who
        ),
        "split leaving a building out": lambda h: h.split(
            "mg1", parts, {"b1": "mg1a", "b2": "mg1b"}, **who
        ),
        "split taking a building from elsewhere": lambda h: h.split(
            "mg1", parts, {"b1": "mg1a", "b2": "mg1b", "b3": "mg1b", "b4": "mg1b"}, **who
        ),
        "split into a part inside the old grid": lambda h: h.split(
            "mg1", [parts[0], unit("mg1b", K.MICRO_GRID, "b1")], {}, **who
        ),
        "split under an unknown parent": lambda h: h.split(
            "mg1", [parts[0], unit("mg1b", K.MICRO_GRID, "cp9")], {}, **who
        ),
        "split into a second root": lambda h: h.split(
            "mg1", [parts[0], unit("mg1b", K.MICRO_GRID, None)], {}, **who
        ),
        "split the root": lambda h: h.split("chenghua", parts, {}, **who),
        "split an unknown grid": lambda h: h.split("mg9", parts, {}, **who),
        "split into one part": lambda h: h.split("mg1", parts[:1], {}, **who),
        "add an id used before": lambda h: h.add(unit("h402", K.HOUSEHOLD, "b4"), **who),
        "add a second root": lambda h: h.add(unit("sh", K.CITY, None), **who),
        "retire a grid with buildings": lambda h: h.retire("mg1", **who),
        "retire the root": lambda h: h.retire("chenghua", cascade=True, **who),
        "retire a retired unit": lambda h: h.retire("h402", **who),
        "replace with another parent": lambda h: h.replace(unit("b1", K.BUILDING, "mg2"), **who),
        "replace with the same unit": lambda h: h.replace(h.current.unit("b1"), **who),
        "rename an unknown unit": lambda h: h.rename("b9", "九栋", **who),
        "change before the last change": lambda h: h.move(
            "b1", "mg2", at=at(1, 31), actor=OFFICE, reason="补录"
        ),
        "change before the history": lambda h: h.move(
            "b1", "mg2", at=SINCE - timedelta(days=1), actor=OFFICE, reason="补录"
        ),
        "change without a reason": lambda h: h.move(
            "b1", "mg2", at=at(7, 1), actor=OFFICE, reason=""
        ),
        "change at a naive time": lambda h: h.move(
            "b1",
            "mg2",
            at=datetime(2026, 7, 1),  # noqa: DTZ001 - naive on purpose
            actor=OFFICE,
            reason="r",
        ),
    }
    return refused[name]


REFUSALS: dict[str, type[CivicGridError]] = {
    "move an unknown unit": UnknownUnit,
    "move under an unknown parent": UnknownUnit,
    "move a grid under its own building": TreeChangeRefused,
    "move to where it already is": TreeChangeRefused,
    "move the root": TreeChangeRefused,
    "merge a grid into itself": InvalidData,
    "merge into a building inside a source": TreeChangeRefused,
    "merge a source below another": TreeChangeRefused,
    "merge an unknown grid": UnknownUnit,
    "merge the root": TreeChangeRefused,
    "merge into a new grid inside a source": TreeChangeRefused,
    "split into an id that exists": TreeChangeRefused,
    "split into a retired id": TreeChangeRefused,
    "split leaving a building out": TreeChangeRefused,
    "split taking a building from elsewhere": TreeChangeRefused,
    "split into a part inside the old grid": TreeChangeRefused,
    "split under an unknown parent": UnknownUnit,
    "split into a second root": TreeChangeRefused,
    "split the root": TreeChangeRefused,
    "split an unknown grid": UnknownUnit,
    "split into one part": InvalidData,
    "add an id used before": TreeChangeRefused,
    "add a second root": TreeChangeRefused,
    "retire a grid with buildings": TreeChangeRefused,
    "retire the root": TreeChangeRefused,
    "retire a retired unit": UnknownUnit,
    "replace with another parent": TreeChangeRefused,
    "replace with the same unit": TreeChangeRefused,
    "rename an unknown unit": UnknownUnit,
    "change before the last change": ChangeOutOfOrder,
    "change before the history": ChangeOutOfOrder,
    "change without a reason": InvalidData,
    "change at a naive time": InvalidData,
}


@pytest.mark.parametrize(("name", "error"), REFUSALS.items())
def test_a_refused_change_leaves_history_and_tree_as_they_were(
    history: GridHistory, name: str, error: type[CivicGridError]
) -> None:
    """Each refused change raises its error and changes nothing observable."""
    history.retire("h402", at=at(2, 1), actor=OFFICE, reason="住户迁出")
    before = snapshot(history)
    with pytest.raises(error) as caught:
        attempt(name)(history)
    assert caught.value.message_zh
    assert snapshot(history) == before


def test_an_out_of_order_change_says_when_the_last_change_was(history: GridHistory) -> None:
    """The error carries the refused instant and the last recorded one."""
    history.move("b1", "mg2", at=at(5, 1), actor=OFFICE, reason="调整")
    with pytest.raises(ChangeOutOfOrder) as caught:
        history.move("b1", "mg3", at=at(4, 1), actor=OFFICE, reason="补录")
    assert (caught.value.at, caught.value.last, caught.value.unit_id) == (at(4, 1), at(5, 1), "b1")
    assert "time order" in str(caught.value)
    assert isinstance(caught.value, TreeChangeRefused)


def test_a_failure_while_applying_restores_the_tree(
    history: GridHistory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the tree fails halfway through a split, the tree is rebuilt and nothing is recorded."""
    regrid(history)
    before = snapshot(history)

    remove = UnitTree.remove
    calls: list[str] = []

    def broken_once(self: UnitTree, unit_id: str, *, cascade: bool = False) -> tuple[Unit, ...]:
        calls.append(unit_id)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")
        return remove(self, unit_id, cascade=cascade)

    monkeypatch.setattr(UnitTree, "remove", broken_once)
    with pytest.raises(RuntimeError):
        history.split(
            "mg3",
            [unit("mg3a", K.MICRO_GRID, "cp2"), unit("mg3b", K.MICRO_GRID, "cp2")],
            {"b5": "mg3a"},
            at=at(9, 1),
            actor=OFFICE,
            reason="拆分",
        )
    monkeypatch.undo()
    assert snapshot(history) == before


# --------------------------------------------------------------------------- invariants


def attempt_random_change(
    history: GridHistory, data: st.DataObject, n: int, when: datetime
) -> None:
    """Draw one change of any kind on the live tree and try to record it."""
    tree = history.current
    units = sorted(u.id for u in tree)

    def pick() -> str:
        return data.draw(st.sampled_from(units))

    who: dict[str, Any] = {"at": when, "actor": OFFICE, "reason": "随机调整"}
    kind = data.draw(st.sampled_from(list(ChangeKind)))
    if kind is ChangeKind.ADD:
        new_kind = data.draw(st.sampled_from([K.BUILDING, K.HOUSEHOLD, K.MICRO_GRID]))
        history.add(unit(f"n{n}", new_kind, pick()), **who)
    elif kind is ChangeKind.RETIRE:
        history.retire(pick(), cascade=data.draw(st.booleans()), **who)
    elif kind is ChangeKind.MOVE:
        history.move(pick(), pick(), **who)
    elif kind is ChangeKind.REPLACE:
        history.rename(pick(), f"名{n}", **who)
    elif kind is ChangeKind.SPLIT:
        grid = tree.unit(pick())
        parts = [attrs.evolve(grid, id=f"n{n}{s}") for s in "ab"]
        children = [c.id for c in tree.children(grid.id)]
        sides = data.draw(
            st.lists(st.sampled_from("ab"), min_size=len(children), max_size=len(children))
        )
        history.split(
            grid.id, parts, {c: f"n{n}{s}" for c, s in zip(children, sides, strict=True)}, **who
        )
    else:
        sources = data.draw(st.lists(st.sampled_from(units), min_size=1, max_size=2, unique=True))
        into: str | Unit = (
            pick() if data.draw(st.booleans()) else unit(f"n{n}", K.MICRO_GRID, pick())
        )
        history.merge(sources, into, **who)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_random_changes_keep_the_past_equal_to_a_replay(data: st.DataObject) -> None:
    """Whatever is recorded or refused, as_of(t), the index and period counts agree with replays."""
    history = GridHistory(yilitang(), since=SINCE)
    when = SINCE
    for n in range(data.draw(st.integers(1, 12))):
        when += timedelta(days=data.draw(st.integers(-1, 2)))  # 0: the same instant; -1: refused
        before = snapshot(history)
        try:
            attempt_random_change(history, data, n, when)
        except (TreeChangeRefused, UnknownUnit, InvalidData):
            assert snapshot(history) == before
        when = max([SINCE, when, *(c.at for c in history.changes())])

    changes = history.changes()
    prefixes = [
        GridHistory.replay(yilitang(), changes[:k], since=SINCE).current
        for k in range(len(changes) + 1)
    ]
    known = sorted({u.id for u in yilitang()} | {u.id for c in changes for u in c.units})
    for t in sorted({SINCE, *(c.at for c in changes)}):
        tree = prefixes[sum(c.at <= t for c in changes)]
        assert tree_snapshot(history.as_of(t)) == tree_snapshot(tree)
        for unit_id in known:
            version = tree.unit(unit_id) if unit_id in tree else None
            assert history.unit_as_of(unit_id, t) == version
            if version is not None:
                for kind in (K.MICRO_GRID, K.COMPOUND):
                    assert history.grid_of(unit_id, kind, t) == tree.above(unit_id, kind)

    bounds = sorted({SINCE, *(c.at for c in changes), when + timedelta(days=1)})
    start = data.draw(st.sampled_from(bounds[:-1]))
    end = data.draw(st.sampled_from([b for b in bounds if b > start]))
    first, last = sum(c.at <= start for c in changes), sum(c.at < end for c in changes)
    last_tree: dict[str, UnitTree] = {}
    for tree in prefixes[first : last + 1]:  # a unit counts where it was last seen in the period
        last_tree.update(dict.fromkeys((u.id for u in tree), tree))
    expected: dict[str, str | None] = {}
    for unit_id, tree in last_tree.items():
        if tree.unit(unit_id).kind is K.HOUSEHOLD:
            grid = tree.above(unit_id, K.MICRO_GRID)
            expected[unit_id] = None if grid is None else grid.id
    assignment = history.assign_households(K.MICRO_GRID, start, end)
    assert assignment == expected
    by_grid = history.households_by_unit(K.MICRO_GRID, start, end)
    counted = [h for households in by_grid.values() for h in households]
    assert sorted(counted) == sorted(set(counted)) == sorted(assignment)
