"""Fuzzing the unit-tree doors: CSV unit tables and JSON district documents.

A community keeps its grid as an Excel table and trades whole districts as JSON, so both are
doors for outside data. Generated tables and documents, and the sample district written out
and then mutated (cells changed, lines cut or doubled, keys dropped or retyped, random
bytes), must give a :class:`~civicgrid.UnitTree` or raise
:class:`~civicgrid.errors.InvalidData` naming the place (``line 7: kind``,
``units[3].parent``): never another exception, never slowly, never half a tree.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.units import Unit, UnitKind, UnitTree
from civicgrid.errors import InvalidData
from civicgrid.interchange.documents import (
    District,
    document_from_data,
    dump_document,
    load_district,
    load_document,
)
from civicgrid.interchange.units_csv import COLUMNS, dump_units_csv, load_units_csv
from civicgrid.testing.sample import sample_district
from hardening_support import FUZZ, Tally, json_paths, not_of_type, parent_of

DOOR = "unit trees"
MAX_SECONDS = 1.0
KINDS = [kind.value for kind in UnitKind]

_SAMPLE = sample_district()
_TABLE = io.StringIO(newline="")
dump_units_csv(_SAMPLE.tree, _TABLE)
SAMPLE_CSV = _TABLE.getvalue()
SAMPLE_DOCUMENT: dict[str, Any] = json.loads(
    json.dumps(
        dump_document(
            District(tree=_SAMPLE.tree, organisations=_SAMPLE.organisations, roster=_SAMPLE.roster),
            reveal_personal=True,
        ),
        ensure_ascii=False,
    )
)
CSV_PATH = re.compile(r"^(line \d+(: [a-z_]+)?|parent_id)$")
"""Where a unit-table problem can be: a line of the file, a cell of it, or the whole tree."""
DOCUMENT_ROOTS = frozenset(("scheme", "units", "organisations", "people", "appointments"))
LEAKS = re.compile(r"has no attribute|unhashable|Traceback")
"""Python internals in a message. (``'NoneType' object is not iterable`` for a list field given
as null still escapes the shared converter's set and tuple hooks: reported, not fixed here.)"""


def _timed(load: Callable[[], UnitTree]) -> UnitTree | InvalidData:
    started = time.perf_counter()
    try:
        result: UnitTree | InvalidData = load()
    except InvalidData as exc:
        result = exc
    elapsed = time.perf_counter() - started
    assert elapsed < MAX_SECONDS, f"a load took {elapsed:.2f} s"
    return result


def _check_csv_refusal(exc: InvalidData) -> None:
    """Every problem with a table names a line (and its column) or the tree's root."""
    assert exc.problems
    for problem in exc.problems:
        assert not LEAKS.search(problem.message), problem
        if problem.path == "" and problem.message.startswith(("no units", "the stream")):
            continue
        assert CSV_PATH.match(problem.path), f"unplaced problem {problem!r} in {exc}"


def _check_document_refusal(exc: InvalidData) -> None:
    """Every problem with a document names a path inside it (or the file's line)."""
    assert exc.problems
    for problem in exc.problems:
        assert not LEAKS.search(problem.message), problem
        if problem.path.startswith("line "):
            continue  # not JSON, or not UTF-8: where in the file
        if problem.message.startswith("unknown field(s): "):
            # Unknown keys are named in the message, at the path of the object holding them.
            assert problem.message.removeprefix("unknown field(s): "), problem
            continue
        root = re.match(r"[a-z_]*", problem.path)
        assert root is not None
        assert problem.path, f"unplaced problem {problem!r} in {exc}"
        assert root[0] in DOCUMENT_ROOTS, f"unplaced problem {problem!r} in {exc}"


def _count(tally: Tally, result: object) -> None:
    tally.add("fuzz", DOOR, "refused" if isinstance(result, InvalidData) else "loaded")


def _check_tree(tree: UnitTree) -> None:
    """A tree that loaded is whole: one root, every parent present, roll-ups computable."""
    ids = {unit.id for unit in tree}
    assert len(ids) == len(tree)
    assert sum(1 for unit in tree if unit.parent is None) == 1
    assert all(unit.parent in ids for unit in tree if unit.parent is not None)
    assert tree.households(tree.root.id) >= 0


# --------------------------------------------------------------------------- CSV

_IDS = st.sampled_from(["c", "g1", "g2", "m1", "h1", " c", "c ", "", "g1"])
_CELLS = {
    "id": _IDS,
    "parent_id": _IDS,
    "kind": st.sampled_from([*KINDS, " grid ", "grdi", "", "GRID"]),
    "name_zh": st.sampled_from(["锦华", "", " ", "=HYPERLINK()"]) | st.text(max_size=5),
    "name_en": st.text(max_size=5),
    "households": st.sampled_from(["", "0", "12", "-1", "1.5", " 7 ", "１２", "1e3", "x"]),
    "residents": st.sampled_from(["", "0", "30", "9" * 30, "NaN"]),
    "longitude": st.sampled_from(["", "104.1", "181", "-180", "inf", "1e400", "abc", "nan"]),
    "latitude": st.sampled_from(["", "30.6", "91", "-90", "1e-400", ".5", "+5."]),
}


@st.composite
def unit_tables(draw: st.DrawFn) -> str:
    """A CSV table with a plausible or broken header and plausible or broken rows."""
    header = draw(
        st.sampled_from(
            [
                list(COLUMNS),
                list(COLUMNS[:7]),
                ["id", "parent_id", "kind", "name_zh", "households", "residents", "longitude"],
                ["id", "kind", "name_zh"],
                ["id", "parent_id", "kind", "name_zh", "households", "residents", "id"],
                ["ID", "parent", "kind", "name_zh", "households", "residents"],
            ]
        )
        | st.permutations(COLUMNS).map(list)
    )
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = [draw(_CELLS.get(column, st.text(max_size=3))) for column in header]
        if draw(st.integers(0, 9)) == 0:
            row = row[: draw(st.integers(0, len(row)))]
        rows.append(row)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\r\n", "\n", "\r"])))
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@st.composite
def mutated_tables(draw: st.DrawFn) -> str:
    """The sample district's table with one line cut, doubled, changed, or the text cut."""
    lines = SAMPLE_CSV.split("\r\n")
    at = draw(st.integers(0, len(lines) - 1))
    operation = draw(st.sampled_from(["truncate", "drop", "double", "cell", "noise", "swap"]))
    if operation == "truncate":
        return SAMPLE_CSV[: draw(st.integers(0, len(SAMPLE_CSV)))]
    if operation == "drop":
        del lines[at]
    elif operation == "double":
        lines.insert(at, lines[at])
    elif operation == "cell":
        cells = lines[at].split(",")
        column = draw(st.integers(0, len(cells) - 1))
        cells[column] = draw(st.sampled_from(['"', '"a""b"', "", "x", "-1", "grid"]))
        lines[at] = ",".join(cells)
    elif operation == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines[at], lines[other] = lines[other], lines[at]
    else:
        position = draw(st.integers(0, len(lines[at])))
        lines[at] = lines[at][:position] + draw(st.text(max_size=8)) + lines[at][position:]
    return "\r\n".join(lines)


@settings(FUZZ)
@given(text=unit_tables())
def test_generated_unit_tables_load_or_name_the_line(text: str, tally: Tally) -> None:
    """A generated table is a whole tree or InvalidData naming lines and columns."""
    _load_table(text, tally)


@settings(FUZZ)
@given(text=mutated_tables())
def test_mutated_sample_tables_load_or_name_the_line(text: str, tally: Tally) -> None:
    """The sample table mutated is a whole tree or InvalidData naming lines and columns."""
    _load_table(text, tally)


def _load_table(text: str, tally: Tally) -> None:
    """Load ``text`` as a unit table: a whole tree, or InvalidData naming lines and columns."""
    result = _timed(lambda: load_units_csv(io.StringIO(text, newline="")))
    _count(tally, result)
    if isinstance(result, InvalidData):
        _check_csv_refusal(result)
    else:
        _check_tree(result)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for the files written byte by byte."""
    return tmp_path_factory.mktemp("unit_files")


@settings(FUZZ)
@given(
    cut=st.integers(0, 100_000),
    noise=st.binary(min_size=1, max_size=12),
    suffix=st.sampled_from([".csv", ".json", ".CSV", ".xlsx"]),
)
def test_random_bytes_in_a_district_file_are_refused_cleanly(
    cut: int, noise: bytes, suffix: str, tally: Tally, workdir: Path
) -> None:
    """Random bytes spliced into a table or document file: a district or InvalidData."""
    raw = (
        SAMPLE_CSV.encode("utf-8")
        if suffix.lower() == ".csv"
        else json.dumps(SAMPLE_DOCUMENT, ensure_ascii=False).encode("utf-8")
    )
    cut = min(cut, len(raw))
    path = workdir / f"district{suffix}"
    path.write_bytes(raw[:cut] + noise + raw[cut:])
    result = _timed(lambda: load_district(path).tree)
    _count(tally, result)
    if isinstance(result, InvalidData):
        assert result.problems
        assert result.source == str(path)
    else:
        _check_tree(result)


# --------------------------------------------------------------------------- JSON

_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from([*KINDS, "jh", "po-jh", "secretary", "2024-01-01", "13800000001"])
)
JSON_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "kind", "parent", "unit", "x"]), inner, max_size=4)
    ),
    max_leaves=15,
)


_DOCUMENT_PATHS = sorted(json_paths(SAMPLE_DOCUMENT), key=repr)


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    """The sample district's document with one or two values dropped, retyped or swapped."""
    data = copy.deepcopy(SAMPLE_DOCUMENT)
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(_DOCUMENT_PATHS))
        try:
            parent = parent_of(data, path)
            original = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed it
        operation = draw(st.sampled_from(["drop", "retype", "swap", "rename", "duplicate"]))
        if operation == "drop":
            del parent[path[-1]]
        elif operation == "retype":
            parent[path[-1]] = draw(JSON_VALUES.filter(not_of_type(type(original))))
        elif operation == "swap":
            other = draw(st.sampled_from(_DOCUMENT_PATHS))
            try:
                other_parent = parent_of(data, other)
                parent[path[-1]], other_parent[other[-1]] = other_parent[other[-1]], original
            except (KeyError, IndexError, TypeError):
                continue
        elif operation == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["Id", "parent_id", "kinds", "name"]))] = parent.pop(
                path[-1]
            )
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(original))
    return data


@settings(FUZZ)
@given(data=mutated_documents())
def test_mutated_documents_load_or_name_the_field(data: dict[str, Any], tally: Tally) -> None:
    """The sample document mutated is a whole district or InvalidData naming each path."""
    text = json.dumps(data, ensure_ascii=False)
    result = _timed(lambda: load_document(io.StringIO(text)).tree)
    _count(tally, result)
    if isinstance(result, InvalidData):
        _check_document_refusal(result)
    else:
        _check_tree(result)


@settings(FUZZ)
@given(
    data=st.fixed_dictionaries(
        {"units": st.lists(JSON_VALUES, max_size=5) | JSON_VALUES},
        optional={
            "organisations": JSON_VALUES,
            "people": JSON_VALUES,
            "appointments": JSON_VALUES,
            "scheme": JSON_VALUES,
        },
    )
    | JSON_VALUES
)
def test_generated_documents_load_or_name_the_field(data: Any, tally: Tally) -> None:
    """Any parsed JSON value given as a district is a district or InvalidData."""
    result = _timed(lambda: document_from_data(data).tree)
    _count(tally, result)
    if isinstance(result, InvalidData):
        if isinstance(data, dict):
            _check_document_refusal(result)
    else:
        _check_tree(result)


# --------------------------------------------------------------------------- records

_UNIT_FIELDS = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "b", "c", ""]) | st.integers() | st.none(),
        "kind": st.sampled_from(list(UnitKind)) | st.sampled_from(KINDS) | st.none(),
        "name_zh": st.text(max_size=3),
        "parent": st.sampled_from(["a", "b", "c", None, ""]) | st.integers(),
        "households": st.none() | st.integers(-2, 5) | st.booleans() | st.floats(),
        "latitude": st.none() | st.floats(),
        "longitude": st.none() | st.floats(),
    }
)


@settings(FUZZ)
@given(records=st.lists(_UNIT_FIELDS, max_size=6))
def test_trees_built_from_records_are_whole_or_refused(
    records: list[dict[str, Any]], tally: Tally
) -> None:
    """Units built from records of any type, then a tree of them: whole, or InvalidData.

    A unit with a wrong field is refused by itself; the tree then refuses duplicates, unknown
    parents, cycles and extra roots, each at ``units[i]``; a refused tree leaves nothing.
    """
    units: list[Unit] = []

    def build() -> UnitTree:
        units.extend(Unit(**record) for record in records)
        return UnitTree(units)

    result = _timed(build)
    _count(tally, result)
    if isinstance(result, InvalidData):
        assert result.problems
        assert all(problem.path for problem in result.problems), result
        assert not any(LEAKS.search(problem.message) for problem in result.problems), result
    else:
        _check_tree(result)
        assert [unit.id for unit in result] == [unit.id for unit in units]


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"units": None}, "units", "expected an array, got null"),
        ({"units": "c"}, "units", "expected an array, got text"),
        ({}, "units", "missing"),
        ({"units": [], "people": {"p": 1}}, "people", "expected an array, got an object"),
        ({"units": [None]}, "units[0]", "expected an object, got null"),
        ({"units": [], "appointments": [1]}, "appointments[0]", "expected an object, got a number"),
    ],
)
def test_a_document_list_of_the_wrong_shape_is_named(
    data: dict[str, Any], path: str, message: str
) -> None:
    """Regression: lists and entries of the wrong shape are named with what was expected.

    ``"units": null`` used to say "'NoneType' object is not iterable".
    """
    with pytest.raises(InvalidData) as caught:
        document_from_data(data)
    assert (path, message) in [(p.path, p.message) for p in caught.value.problems]
