"""A unit tree as a CSV table, one row per unit: the form a community keeps in Excel.

The header is required and names the columns, in any order::

    id,parent_id,kind,name_zh,name_en,households,residents,longitude,latitude

``name_en``, ``longitude`` and ``latitude`` may be left out of the header (the two coordinates
together). ``parent_id`` is empty for the one root; ``kind`` is a :class:`UnitKind` value
(``micro_grid``); an empty ``households``, ``residents`` or coordinate cell means *unknown*.
Text cells (ids, names) are taken exactly as written; spaces around a kind or a number are
ignored. Rows with no content (Excel leaves ``,,,,,`` at the end of a sheet) are skipped.

Files are UTF-8, with or without the byte-order mark Excel writes ("CSV UTF-8"). A file in
another encoding — Excel's plain "CSV" on Chinese Windows writes GBK — is refused with the
line of the first undecodable byte and how to convert it, never read as mojibake.

:func:`load_units_csv` reports every problem at once, as one
:class:`~civicgrid.errors.InvalidData` whose paths are physical lines of the file (the header
is line 1) and columns: ``line 7: kind: unknown kind 'grdi' (did you mean 'grid'? …)``. Tree
problems (an unknown parent, a cycle, a second root) name the lines of the rows involved.
Nothing is returned unless the whole table is valid.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple, TextIO

from civicgrid.domain.units import Unit, UnitKind, UnitTree
from civicgrid.errors import InvalidData, Problem

__all__ = ["COLUMNS", "REQUIRED_COLUMNS", "CsvSource", "dump_units_csv", "load_units_csv"]

COLUMNS = (
    "id",
    "parent_id",
    "kind",
    "name_zh",
    "name_en",
    "households",
    "residents",
    "longitude",
    "latitude",
)
"""Every column, in the order :func:`dump_units_csv` writes them."""

REQUIRED_COLUMNS = ("id", "parent_id", "kind", "name_zh", "households", "residents")
"""The columns the header must name; the cells of the figures may still be empty."""

CsvSource = str | os.PathLike[str] | TextIO
"""A path (``str`` or ``Path``: a string is always a path, never CSV text) or a text stream."""

_WHAT = "unit table"
_KINDS = tuple(kind.value for kind in UnitKind)
_COUNT = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_COLUMN_OF_FIELD = {"parent": "parent_id"}


class _Row(NamedTuple):
    """What the tree checks need from a row, even one whose other cells are wrong."""

    line: int
    id: str
    parent: str | None


# --------------------------------------------------------------------------- reading


def load_units_csv(source: CsvSource) -> UnitTree:
    """Read a unit tree from a CSV file or text stream; raise InvalidData listing every problem.

    A path is read as UTF-8 (a byte-order mark is allowed); a stream must already decode to
    text. An unreadable file raises the usual :class:`OSError`.
    """
    text, name = _read(source)
    problems: list[tuple[int, Problem]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _header(reader, name)
    units: list[Unit] = []
    rows: list[_Row] = []
    last_line = reader.line_num
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    _at(line, "", f"has {len(cells)} cells, the header has {len(header)}")
                )
                row = _row_of(line, dict(zip(header, cells, strict=False)))
                if row is not None:  # its id still counts, so its children are not orphans
                    rows.append(row)
                continue
            unit, row = _parse_row(line, dict(zip(header, cells, strict=True)), problems)
            if row is not None:
                rows.append(row)
            if unit is not None:
                units.append(unit)
    except csv.Error as exc:
        problems.append(_at(reader.line_num, "", f"not readable as CSV: {exc}"))
    if not rows and not problems:
        problems.append((0, Problem("", "no units: the table has a header but no rows")))
    if not problems:
        # The tree checks itself; only when it refuses are the rows' lines worth finding.
        try:
            return UnitTree(units, source=name)
        except InvalidData as exc:
            problems.extend(_tree_problems(rows) or ((0, p) for p in exc.problems))
    else:
        problems.extend(_tree_problems(rows))
    problems.sort(key=lambda item: item[0])  # stable: each line's problems keep their order
    raise InvalidData(_WHAT, [problem for _, problem in problems], name)


def _read(source: CsvSource) -> tuple[str, str | None]:
    """Return the whole text and a name for messages; refuse text that is not UTF-8."""
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        return _decode(Path(path).read_bytes(), path), path
    stream_name = getattr(source, "name", None)
    name = stream_name if isinstance(stream_name, str) else None
    try:
        text = source.read()
    except UnicodeDecodeError as exc:
        raise InvalidData(
            _WHAT,
            [
                Problem(
                    "",
                    f"the stream cannot be decoded as {exc.encoding}: open the file with the "
                    "encoding it was saved in, or pass its path (read as UTF-8)",
                )
            ],
            name,
        ) from None
    return text.removeprefix("\ufeff"), name


def _decode(data: bytes, name: str) -> str:
    """Decode UTF-8 (with or without BOM), or raise naming the line and the likely encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidData(
            _WHAT,
            [
                Problem(
                    "line 1",
                    "the file is UTF-16 (Excel's 'Unicode Text'); save it as 'CSV UTF-8' instead",
                )
            ],
            name,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            guess = "it is not UTF-8 text"
        else:
            guess = (
                "it looks like GBK/GB18030, which Excel writes for plain 'CSV' on Chinese Windows"
            )
        message = (
            f"the file is not UTF-8 ({guess}); save it from Excel as 'CSV UTF-8 (逗号分隔)', "
            "or convert it, e.g. iconv -f GB18030 -t UTF-8 in.csv > out.csv"
        )
        raise InvalidData(_WHAT, [Problem(f"line {line}", message)], name) from None


def _header(reader: Iterable[list[str]], name: str | None) -> tuple[str, ...]:
    """Read and check the header row; raise at once if the columns cannot be known."""
    try:
        first = next(iter(reader), None)
    except csv.Error as exc:
        raise InvalidData(_WHAT, [Problem("line 1", f"not readable as CSV: {exc}")], name) from None
    expected = ",".join(REQUIRED_COLUMNS)
    if first is None or not any(cell.strip() for cell in first):
        raise InvalidData(
            _WHAT, [Problem("line 1", f"the header row is missing; expected {expected}")], name
        )
    header = tuple(cell.strip() for cell in first)
    problems: list[Problem] = []
    seen: set[str] = set()
    for column in header:
        if column not in COLUMNS:
            close = _closest(column, COLUMNS)
            hint = f" (did you mean {close!r}?)" if close else ""
            problems.append(
                Problem("line 1", f"unknown column {column!r}{hint}; known: {', '.join(COLUMNS)}")
            )
        elif column in seen:
            problems.append(Problem("line 1", f"column {column!r} appears twice"))
        seen.add(column)
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        problems.append(
            Problem(
                "line 1", f"missing column(s) {', '.join(missing)}; the header needs {expected}"
            )
        )
    if ("longitude" in seen) != ("latitude" in seen):
        problems.append(Problem("line 1", "longitude and latitude go together: both or neither"))
    if problems:
        raise InvalidData(_WHAT, problems, name)
    return header


def _parse_row(
    line: int, cells: dict[str, str], problems: list[tuple[int, Problem]]
) -> tuple[Unit | None, _Row | None]:
    """Turn one row into a Unit, adding each bad cell to ``problems``.

    Returns the unit (``None`` if a cell is wrong) and what the tree checks need (``None``
    without an id).
    """
    found: list[tuple[int, Problem]] = []
    unit_id = cells["id"]
    parent = cells["parent_id"] or None
    row = _row_of(line, cells)
    if row is None:
        found.append(_at(line, "id", "empty; every row needs an id"))
    kind = _kind(cells["kind"].strip(), line, found)
    households = _figure(cells, "households", line, found)
    residents = _figure(cells, "residents", line, found)
    longitude = _coordinate(cells, "longitude", line, found)
    latitude = _coordinate(cells, "latitude", line, found)
    if found or kind is None:
        problems.extend(found)
        return None, row
    try:
        unit = Unit(
            id=unit_id,
            parent=parent,
            kind=kind,
            name_zh=cells["name_zh"],
            name_en=cells.get("name_en", ""),
            households=households,
            residents=residents,
            longitude=longitude,
            latitude=latitude,
        )
    except InvalidData as exc:
        problems.extend(
            _at(line, _COLUMN_OF_FIELD.get(p.path, p.path), p.message) for p in exc.problems
        )
        return None, row
    return unit, row


def _row_of(line: int, cells: dict[str, str]) -> _Row | None:
    unit_id = cells.get("id", "")
    return _Row(line, unit_id, cells.get("parent_id") or None) if unit_id else None


def _kind(text: str, line: int, problems: list[tuple[int, Problem]]) -> UnitKind | None:
    if text in _KINDS:
        return UnitKind(text)
    known = ", ".join(_KINDS)
    if not text:
        problems.append(_at(line, "kind", f"empty; give one of: {known}"))
    else:
        close = _closest(text, _KINDS)
        hint = f"did you mean {close!r}? " if close else ""
        problems.append(_at(line, "kind", f"unknown kind {text!r} ({hint}known: {known})"))
    return None


def _figure(
    cells: dict[str, str], column: str, line: int, problems: list[tuple[int, Problem]]
) -> int | None:
    text = cells.get(column, "").strip()
    if not text:
        return None
    if _COUNT.fullmatch(text):
        return int(text)
    problems.append(
        _at(line, column, f"expected a whole number (0 or more) or an empty cell, got {text!r}")
    )
    return None


def _coordinate(
    cells: dict[str, str], column: str, line: int, problems: list[tuple[int, Problem]]
) -> float | None:
    text = cells.get(column, "").strip()
    if not text:
        return None
    if _DECIMAL.fullmatch(text):
        return float(text)
    problems.append(
        _at(
            line,
            column,
            f"expected decimal degrees (e.g. 104.1036) or an empty cell, got {text!r}",
        )
    )
    return None


def _tree_problems(rows: list[_Row]) -> list[tuple[int, Problem]]:
    """Duplicate ids, roots, unknown parents and cycles, each naming the lines involved."""
    problems: list[tuple[int, Problem]] = []
    by_id: dict[str, _Row] = {}
    for row in rows:
        first = by_id.setdefault(row.id, row)
        if first is not row:
            problems.append(
                _at(row.line, "id", f"duplicate id {row.id!r} (first on line {first.line})")
            )
    roots = [row for row in by_id.values() if row.parent is None]
    if rows and not roots:
        problems.append(
            (0, Problem("parent_id", "no root: exactly one row must leave parent_id empty"))
        )
    problems.extend(
        _at(
            extra.line,
            "parent_id",
            f"empty, but line {roots[0].line} ({roots[0].id!r}) is already the root; "
            "a tree has exactly one root",
        )
        for extra in roots[1:]
    )
    problems.extend(
        _at(row.line, "parent_id", f"unknown parent {row.parent!r} (no row has this id)")
        for row in by_id.values()
        if row.parent is not None and row.parent not in by_id
    )
    for cycle in _cycles(by_id):
        if len(cycle) == 1:
            problems.append(_at(cycle[0].line, "parent_id", "the unit is its own parent"))
            continue
        chain = " → ".join(f"{row.id!r} (line {row.line})" for row in cycle)
        problems.append(_at(cycle[0].line, "parent_id", f"cycle: {chain} → {cycle[0].id!r}"))
    return problems


def _cycles(by_id: dict[str, _Row]) -> list[list[_Row]]:
    """Every cycle of parent links, each once, starting at its row nearest the top."""
    state: dict[str, int] = {}  # absent: unseen; n > 0: on walk n; -1: done
    cycles: list[list[_Row]] = []
    for walk, start in enumerate(by_id, start=1):
        path: list[str] = []
        current: str | None = start
        while current is not None and current in by_id and current not in state:
            state[current] = walk
            path.append(current)
            current = by_id[current].parent
        if current is not None and state.get(current) == walk:
            members = [by_id[i] for i in path[path.index(current) :]]
            first = min(range(len(members)), key=lambda i: members[i].line)
            cycles.append(members[first:] + members[:first])
        for unit_id in path:
            state[unit_id] = -1
    return cycles


def _at(line: int, column: str, message: str) -> tuple[int, Problem]:
    path = f"line {line}: {column}" if column else f"line {line}"
    return line, Problem(path, message)


def _closest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


# --------------------------------------------------------------------------- writing


def dump_units_csv(tree: UnitTree, target: CsvSource) -> None:
    """Write ``tree`` as a CSV table with every column, in the tree's order.

    A path is written as UTF-8 with a byte-order mark, so that Excel on Chinese Windows opens
    it correctly (:func:`load_units_csv` accepts the mark). A stream is written as it is: open
    files with ``newline=""`` as the :mod:`csv` module asks. Text cells are written exactly;
    a value starting with ``=`` is not escaped, so treat a table from an untrusted source
    with the care any spreadsheet needs.
    """
    if isinstance(target, str | os.PathLike):
        with Path(target).open("w", encoding="utf-8-sig", newline="") as stream:
            _write(tree, stream)
    else:
        _write(tree, target)


def _write(tree: UnitTree, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(
        (
            unit.id,
            unit.parent or "",
            unit.kind.value,
            unit.name_zh,
            unit.name_en,
            _text(unit.households),
            _text(unit.residents),
            _text(unit.longitude),
            _text(unit.latitude),
        )
        for unit in tree
    )


def _text(value: float | None) -> str:
    return "" if value is None else repr(value)
