"""Unit trees as CSV tables: reading every problem at once by line, writing, round trips."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.units import Unit, UnitKind, UnitTree
from civicgrid.errors import InvalidData
from civicgrid.interchange.units_csv import COLUMNS, dump_units_csv, load_units_csv

EXAMPLES = Path(__file__).parents[2] / "examples" / "districts"
HEADER = "id,parent_id,kind,name_zh,households,residents"


def load(text: str) -> UnitTree:
    """Load a table from text."""
    return load_units_csv(io.StringIO(text))


def problems(text: str) -> list[str]:
    """Load a table that must be refused; return its problems as text."""
    with pytest.raises(InvalidData) as refused:
        load(text)
    assert refused.value.what == "unit table"
    return [str(p) for p in refused.value.problems]


def table(*rows: str, header: str = HEADER) -> str:
    """Join a header and rows into a table."""
    return "\n".join([header, *rows]) + "\n"


def units_of(tree: UnitTree) -> list[Unit]:
    """The tree's units, in order."""
    return list(tree)


# --------------------------------------------------------------------------- reading


def test_a_table_becomes_a_tree_with_its_figures() -> None:
    """Rows become units; figures roll up where a unit has none of its own."""
    tree = load(
        table(
            "c,,community,锦华社区,,",
            "g,c,general_grid,第一网格,,",
            "b1,g,building,1栋,36,96",
            "b2,g,building,2栋,48,131",
        )
    )
    assert tree.root.id == "c"
    assert tree.unit("b1") == Unit(
        id="b1", parent="g", kind=UnitKind.BUILDING, name_zh="1栋", households=36, residents=96
    )
    assert tree.households("c") == 84
    assert tree.residents("g") == 227


def test_empty_figure_cells_mean_unknown() -> None:
    """An empty households or residents cell is None, not zero."""
    tree = load(table("c,,community,社区,,", "b,c,building,楼,,12"))
    assert tree.unit("b").households is None
    assert tree.unit("b").residents == 12


def test_optional_columns_may_come_in_any_order() -> None:
    """name_en and coordinates are optional columns; the header decides the order."""
    tree = load(
        table(
            "社区,c,,community,Jinhua,,,,",
            "1单元101室,h,c,household,Room 101,1,3,104.10412,30.67325",
            header="name_zh,id,parent_id,kind,name_en,households,residents,longitude,latitude",
        )
    )
    household = tree.unit("h")
    assert (household.name_en, household.longitude, household.latitude) == (
        "Room 101",
        104.10412,
        30.67325,
    )
    assert tree.unit("c").longitude is None


def test_the_sample_table_loads_as_a_chengdu_community() -> None:
    """The example file is a community with 3 general grids, micro grids and households."""
    tree = load_units_csv(EXAMPLES / "sample-district.csv")
    assert tree.root.id == "jh"
    counts = tree.counts_by_kind("jh")
    assert counts[UnitKind.TOTAL_GRID] == 1
    assert counts[UnitKind.GENERAL_GRID] == 3
    assert counts[UnitKind.MICRO_GRID] == 8
    assert [u.id for u in tree.ancestors("jh-c1-b1-u1-101")] == [
        "jh-c1-b1-u1",
        "jh-c1-b1",
        "jh-c1-m1",
        "jh-c1",
        "jh-g1",
        "jh-t",
        "jh",
    ]


def test_a_byte_order_mark_is_accepted_from_a_file_and_a_stream(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts with a BOM; it is not part of the first column's name."""
    text = table("c,,community,社区,,")
    path = tmp_path / "bom.csv"
    path.write_bytes(text.encode("utf-8-sig"))
    assert load_units_csv(path).root.id == "c"
    assert load_units_csv(str(path)).root.id == "c"
    assert load("\ufeff" + text).root.id == "c"


def test_a_gbk_file_is_refused_with_the_line_and_how_to_convert_it(tmp_path: Path) -> None:
    """Excel's plain "CSV" on Chinese Windows is GBK: refused, never read as mojibake."""
    path = tmp_path / "gbk.csv"
    path.write_bytes(table("c,,community,锦华社区,,", "g,c,general_grid,第一网格,,").encode("gbk"))
    with pytest.raises(InvalidData) as refused:
        load_units_csv(path)
    (problem,) = refused.value.problems
    assert problem.path == "line 2"
    assert "not UTF-8" in problem.message
    assert "GBK" in problem.message
    assert "CSV UTF-8" in problem.message
    assert refused.value.source == str(path)


def test_a_utf16_file_is_refused(tmp_path: Path) -> None:
    """Excel's "Unicode Text" is UTF-16; the message says what to save instead."""
    path = tmp_path / "utf16.csv"
    path.write_bytes(table("c,,community,社区,,").encode("utf-16"))
    with pytest.raises(InvalidData, match="UTF-16"):
        load_units_csv(path)


def test_a_stream_that_cannot_decode_is_refused() -> None:
    """A stream opened with the wrong encoding is refused with advice, not a traceback."""
    raw = io.BytesIO(table("c,,community,锦华社区,,").encode("gbk"))
    with pytest.raises(InvalidData, match="cannot be decoded"):
        load_units_csv(io.TextIOWrapper(raw, encoding="utf-8"))


def test_a_missing_file_raises_the_usual_os_error(tmp_path: Path) -> None:
    """No file is an OSError, as with open()."""
    with pytest.raises(FileNotFoundError):
        load_units_csv(tmp_path / "absent.csv")


# --------------------------------------------------------------------------- bad rows


def test_every_bad_row_is_reported_at_once_by_line_and_column() -> None:
    """All rows' problems come together, each at its line (header = 1) and column."""
    found = problems(
        table(
            "c,,community,社区,,",
            "g,c,general_grid,网格,,",
            "m,g,grdi,微网格,12.5,",
            "b,g,building,楼,,-3",
            ",g,building,楼,,",
            "h,g,household,户,1,2",
        )
    )
    assert found == [
        "line 4: kind: unknown kind 'grdi' (did you mean 'grid'? known: "
        + ", ".join(k.value for k in UnitKind)
        + ")",
        "line 4: households: expected a whole number (0 or more) or an empty cell, got '12.5'",
        "line 5: residents: expected a whole number (0 or more) or an empty cell, got '-3'",
        "line 6: id: empty; every row needs an id",
    ]


@pytest.mark.parametrize("cell", ["12.5", "-1", "1,234", "１２", "1_000", "twelve"])
def test_households_must_be_plain_digits(cell: str) -> None:
    """Decimals, signs, separators and full-width digits are refused, with the cell quoted."""
    assert problems(table("c,,community,社区,,", f'b,c,building,楼,"{cell}",')) == [
        f"line 3: households: expected a whole number (0 or more) or an empty cell, got {cell!r}"
    ]


def test_coordinates_are_checked_by_the_unit_itself() -> None:
    """Out-of-range degrees and a lone coordinate are reported at their columns."""
    header = HEADER + ",longitude,latitude"
    found = problems(
        table(
            "c,,community,社区,,,,",
            "a,c,household,户,1,2,204.1,30.6",
            "b,c,household,户,1,2,104.1,",
            "d,c,household,户,1,2,east,30.6",
            header=header,
        )
    )
    assert found == [
        "line 3: longitude: must lie in [-180, 180], not 204.1",
        "line 4: latitude: longitude and latitude go together: both or neither",
        "line 5: longitude: expected decimal degrees (e.g. 104.1036) or an empty cell, got 'east'",
    ]


def test_line_numbers_are_physical_lines_of_the_file() -> None:
    """Blank lines and a name spanning two lines still leave each row at its own line."""
    text = "\r\n".join([HEADER, 'c,,community,"锦华', '社区",,', "", "b,c,bilding,楼,,", ""])
    assert problems(text) == [
        "line 5: kind: unknown kind 'bilding' (did you mean 'building'? known: "
        + ", ".join(k.value for k in UnitKind)
        + ")"
    ]


def test_rows_with_only_empty_cells_are_skipped() -> None:
    """Excel leaves rows of bare commas at the end of a sheet; they are not units."""
    assert len(load(table("c,,community,社区,,", ",,,,,", " , ,,,,"))) == 1


def test_a_row_with_the_wrong_number_of_cells_is_reported() -> None:
    """A row with a stray comma is reported, and its children are not called orphans."""
    assert problems(table("c,,community,社区,,", "g,c,grid,网格,1,2,3", "b,g,building,楼,,")) == [
        "line 3: has 7 cells, the header has 6"
    ]


# --------------------------------------------------------------------------- the tree


def test_tree_problems_name_the_lines_of_the_rows_involved() -> None:
    """Unknown parents, second roots, cycles and duplicates each name their lines."""
    found = problems(
        table(
            "c,,community,社区,,",
            "g,c,general_grid,网格,,",
            "m,g9,micro_grid,微网格,,",
            "x,,community,另一个社区,,",
            "a,b,building,甲,,",
            "b,a,building,乙,,",
            "s,s,building,丙,,",
            "g,c,grid,重复,,",
        )
    )
    assert found == [
        "line 4: parent_id: unknown parent 'g9' (no row has this id)",
        (
            "line 5: parent_id: empty, but line 2 ('c') is already the root; "
            "a tree has exactly one root"
        ),
        "line 6: parent_id: cycle: 'a' (line 6) → 'b' (line 7) → 'a'",
        "line 8: parent_id: the unit is its own parent",
        "line 9: id: duplicate id 'g' (first on line 3)",
    ]


def test_a_table_without_a_root_says_so() -> None:
    """Every row has a parent: there is no root, and the cycle is named by its lines."""
    found = problems(table("a,b,community,甲,,", "b,a,community,乙,,"))
    assert found == [
        "parent_id: no root: exactly one row must leave parent_id empty",
        "line 2: parent_id: cycle: 'a' (line 2) → 'b' (line 3) → 'a'",
    ]


def test_row_and_tree_problems_are_reported_together() -> None:
    """A bad kind does not hide an unknown parent elsewhere: one error lists both."""
    assert problems(table("c,,community,社区,,", "m,c,grdi,微网格,,", "b,zz,building,楼,,")) == [
        "line 3: kind: unknown kind 'grdi' (did you mean 'grid'? known: "
        + ", ".join(k.value for k in UnitKind)
        + ")",
        "line 4: parent_id: unknown parent 'zz' (no row has this id)",
    ]


# --------------------------------------------------------------------------- the header


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "id,parent_id,kind,name_zh",
            [
                (
                    "line 1: missing column(s) households, residents; the header needs "
                    "id,parent_id,kind,name_zh,households,residents"
                )
            ],
        ),
        (
            HEADER + ",nmae_en",
            [
                "line 1: unknown column 'nmae_en' (did you mean 'name_en'?); known: "
                + ", ".join(COLUMNS)
            ],
        ),
        (HEADER + ",kind", ["line 1: column 'kind' appears twice"]),
        (HEADER + ",longitude", ["line 1: longitude and latitude go together: both or neither"]),
    ],
)
def test_a_bad_header_is_refused_before_any_row(header: str, expected: list[str]) -> None:
    """Without the right columns no row can be read: the header's problems come alone."""
    assert problems(header + "\nc,,community,社区,,\n") == expected


def test_an_empty_file_needs_a_header() -> None:
    """An empty table names the header it expected."""
    assert problems("") == [
        "line 1: the header row is missing; expected id,parent_id,kind,name_zh,households,residents"
    ]


def test_a_header_without_rows_has_no_units() -> None:
    """A tree needs at least its root."""
    assert problems(HEADER + "\n") == ["no units: the table has a header but no rows"]


# --------------------------------------------------------------------------- writing


def test_dump_writes_every_column_and_reads_back_the_same_units() -> None:
    """The sample table written out and read again gives the same units in the same order."""
    tree = load_units_csv(EXAMPLES / "sample-district.csv")
    out = io.StringIO(newline="")
    dump_units_csv(tree, out)
    assert out.getvalue().splitlines()[0] == ",".join(COLUMNS)
    assert units_of(load(out.getvalue())) == units_of(tree)


def test_dump_to_a_path_writes_a_bom_for_excel(tmp_path: Path) -> None:
    """A file is written with the BOM Excel needs to see UTF-8, and loads back."""
    tree = load_units_csv(EXAMPLES / "sample-district.csv")
    path = tmp_path / "out.csv"
    dump_units_csv(tree, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert units_of(load_units_csv(path)) == units_of(tree)


TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
"""Any text a cell may hold: commas, quotes, line breaks, Chinese, NUL (not lone surrogates)."""


@st.composite
def trees(draw: st.DrawFn) -> UnitTree:
    """Draw a valid tree: each unit's parent is drawn among the units before it."""
    ids = draw(st.lists(TEXT.filter(bool), min_size=1, max_size=25, unique=True))
    units = []
    for position, unit_id in enumerate(ids):
        parent = None if position == 0 else ids[draw(st.integers(0, position - 1))]
        located = draw(st.booleans())
        units.append(
            Unit(
                id=unit_id,
                parent=parent,
                kind=draw(st.sampled_from(UnitKind)),
                name_zh=draw(TEXT),
                name_en=draw(TEXT),
                households=draw(st.none() | st.integers(0, 10**7)),
                residents=draw(st.none() | st.integers(0, 10**7)),
                longitude=draw(st.floats(-180, 180)) if located else None,
                latitude=draw(st.floats(-90, 90)) if located else None,
            )
        )
    return UnitTree(units)


@settings(max_examples=200)
@given(trees())
def test_any_tree_survives_a_round_trip_through_csv(tree: UnitTree) -> None:
    """Dump then load gives back exactly the same units, text and floats included."""
    out = io.StringIO(newline="")
    dump_units_csv(tree, out)
    assert units_of(load(out.getvalue())) == units_of(tree)
