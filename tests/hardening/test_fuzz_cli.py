"""Fuzzing the command line: every subcommand with generated arguments, options and files.

Whoever runs ``civicgrid`` types what they like, and points it at whatever files they have.
Generated argument lists (the parser's subcommands and options with good and bad values,
stray words, unreadable, garbled and hostile files and stores) must end with exit status 0,
1 or 2 and, when not 0, a message on stderr: never an uncaught exception, never a traceback.
Runs stay tiny (one simulated day at scale 0.01) and every file written stays in a scratch
directory.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.cli import main
from civicgrid.interchange.units_csv import dump_units_csv
from civicgrid.report.loading import DAYS_STREAM, META_STREAM, UNITS_STREAM
from civicgrid.store.sqlite import SQLiteStore
from civicgrid.testing.sample import sample_district
from hardening_support import FUZZ, Tally

DOOR = "CLI arguments"

COMMANDS = (
    (),
    ("methods",),
    ("methods", "show"),
    ("demo",),
    ("grid",),
    ("grid", "check"),
    ("requests",),
    ("requests", "dispatch-eval"),
    ("simulate",),
    ("compare",),
    ("report",),
    ("nonsense",),
)
FILES = (
    "units.csv",
    "district.json",
    "garbage.csv",
    "garbage.json",
    "empty.csv",
    "labelled.csv",
    "missing.csv",
    "folder",
    "run.sqlite",
    "garbage_meta.sqlite",
    "bad_days.sqlite",
    "not_sqlite.db",
    "sqlite:run.sqlite",
    "sqlite:",
    "postgresql://127.0.0.1:1/none",
    "-",
    "",
    "/dev/null",
)
STORES = ("sqlite:garbage_meta.sqlite", "sqlite:bad_days.sqlite", "sqlite:not_sqlite.db")
METHODS = ("six_self", "immediate_53522", "five_steps", "nope", "", "SIX_SELF", "six_self,")
WORDS = st.sampled_from(
    ["--json", "--help", "-h", "--block", "civicgrid.six_self", "--", "show", "check", "=", "x"]
) | st.text(max_size=6)


def _group(*tokens: str | st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.tuples(*(st.just(t) if isinstance(t, str) else t for t in tokens)).map(list)


_ONE = st.sampled_from
GROUPS: dict[str, st.SearchStrategy[list[str]]] = {
    "json": _group("--json"),
    "file": _group(_ONE(FILES)),
    "key": _group(_ONE(METHODS)),
    "format": _group("--format", _ONE(["text", "json", "mermaid", "yaml"])),
    "scheme": _group("--scheme", _ONE(["chengdu_3plus1", "nope", ""])),
    "on": _group("--on", _ONE(["2026-01-01", "2026-02-30", "yesterday", ""])),
    "preset": _group("--preset", _ONE(["chenghua", "hefei", "atlantis"])),
    "seed": _group("--seed", _ONE(["1", "-5", "x", "99999999999999999999"])),
    "method": _group("--method", _ONE(METHODS)),
    "methods": _group("--methods", _ONE(["immediate_53522", "immediate_53522,six_self", ","])),
    "deliberation": _group("--deliberation", _ONE(["six_self", "five_steps", "nope"])),
    "start": _group("--start", _ONE(["2026-01-01", "2026-13-01", "x"])),
    "store": _group("--store", _ONE(["memory", "sqlite:new.sqlite", *STORES, *FILES])),
    "resume": _group("--resume"),
    "out": _group("--out", _ONE(["out", "folder", "units.csv", "/dev/null/x"])),
    "report": _group("--report", _ONE(["out", "units.csv", "/dev/null/x"])),
    "word": _group(WORDS),
}
OWN = {
    "methods": ["json"],
    "show": ["key", "format"],
    "check": ["file", "scheme", "json", "on"],
    "dispatch-eval": ["file", "json"],
    "simulate": [
        *("preset", "seed", "json", "method", "deliberation", "store", "resume", "start"),
        "report",
    ],
    "compare": ["preset", "seed", "json", "methods", "deliberation"],
    "report": ["file", "out", "json"],
}
"""Each subcommand's own options (by its last word), drawn far more often than others'."""


@st.composite
def options(draw: st.DrawFn, command: tuple[str, ...]) -> list[str]:
    """Options for ``command``: mostly its own, sometimes others', good and bad values."""
    own = OWN.get(command[-1] if command else "", [])
    foreign: bool = draw(st.integers(0, 4)) == 0
    chosen = draw(st.lists(_ONE(sorted(GROUPS) if foreign or not own else own), max_size=4))
    argv = [token for name in chosen for token in draw(GROUPS[name])]
    if command and command[0] in ("simulate", "compare"):
        # Keep runs tiny: a bad value still fails parsing; a good one is replaced by these.
        argv += ["--days", draw(_ONE(["1", "1", "0", "-1", "x"])), "--scale"]
        argv += [draw(_ONE(["0.01", "0.01", "0", "-1", "nan", "inf", "x"]))]
        if draw(st.booleans()):
            argv += ["--days", "1", "--scale", "0.01"]
    return argv


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    """A whole argument list: global options, a subcommand path, then options."""
    command = draw(st.sampled_from(COMMANDS))
    head = draw(st.sampled_from([[], ["--block", "civicgrid.six_self"], ["--block"]]))
    return [*head, *command, *draw(options(command))]


def _write_store(path: Path, streams: dict[str, list[object]]) -> None:
    store = SQLiteStore(path)
    try:
        for stream, records in streams.items():
            store.append(stream, records, expected_version=0)
    finally:
        store.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch directory holding the files the arguments name, good and bad."""
    root = tmp_path_factory.mktemp("cli")
    tree = sample_district().tree
    dump_units_csv(tree, root / "units.csv")
    (root / "district.json").write_text(
        json.dumps(
            {"units": [{"id": "c", "kind": "community", "name_zh": "社区", "parent": None}]}
        ),
        encoding="utf-8",
    )
    (root / "garbage.csv").write_bytes(b'\xff\xfe,,\x00\n"unterminated')
    (root / "garbage.json").write_bytes(b'{"units": [1, 2, {"id": null}], ')
    (root / "empty.csv").write_text("", encoding="utf-8")
    (root / "labelled.csv").write_text("id,split,channel\n1,x\n", encoding="utf-8")
    (root / "folder").mkdir()
    (root / "not_sqlite.db").write_bytes(b"SQLite format 2\x00" + bytes(200))
    with contextlib.chdir(root):
        assert _run(["simulate", "--days", "1", "--scale", "0.01", "--store", "sqlite:run.sqlite"])[
            0
        ] in (0, 1)
    _write_store(root / "garbage_meta.sqlite", {META_STREAM: [["not", "a", "run"]]})
    meta = json.loads(
        json.dumps(SQLiteStore(root / "run.sqlite").read(META_STREAM)[0].data, default=str)
    )
    _write_store(
        root / "bad_days.sqlite",
        {
            META_STREAM: [meta],
            UNITS_STREAM: [["c", None, "community", "社区", None, None], ["x", "c"]],
            DAYS_STREAM: [{"day": "one"}],
        },
    )
    return root


def _run(argv: list[str]) -> tuple[int, str, str]:
    """Run the command line; return its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv, stdout=out)
        except SystemExit as exit_:  # argparse: bad usage (2) or --help (0)
            status = exit_.code if isinstance(exit_.code, int) else 2
    return status, out.getvalue(), err.getvalue()


@settings(FUZZ)
@given(argv=argvs())
def test_any_arguments_end_in_a_status_and_a_message(
    argv: list[str], tally: Tally, workdir: Path
) -> None:
    """Generated arguments exit 0, 1 or 2; a failure says why on stderr, with no traceback."""
    with contextlib.chdir(workdir):
        status, out, err = _run(argv)
    tally.add("fuzz", DOOR, "loaded" if status == 0 else "refused")
    assert status in (0, 1, 2), f"{argv}: exit {status}\n{err}"
    assert "Traceback" not in err + out, f"{argv}:\n{err}"
    if status != 0:
        assert err.strip() or out.strip(), f"{argv}: exit {status} without a message"
    for stray in ("out", "new.sqlite"):
        if (workdir / stray).exists():
            shutil.rmtree(workdir / stray) if (workdir / stray).is_dir() else (
                workdir / stray
            ).unlink()


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "garbage_meta.sqlite"],
        ["report", "bad_days.sqlite"],
        ["report", "not_sqlite.db"],
        ["simulate", "--resume", "--store", "sqlite:garbage_meta.sqlite", "--days", "1"],
        ["grid", "check", "garbage.json"],
        ["grid", "check", "folder"],
        ["requests", "dispatch-eval", "labelled.csv"],
        ["methods", "show", "nope"],
    ],
)
def test_hostile_files_end_in_a_usage_or_error_status(argv: list[str], workdir: Path) -> None:
    """Each hostile file or store gives exit 1 or 2 with a message, never a traceback."""
    with contextlib.chdir(workdir):
        status, out, err = _run(argv)
    assert status in (1, 2), f"{argv}: exit {status}\n{out}\n{err}"
    assert err.strip()
    assert "Traceback" not in err


@pytest.mark.parametrize("target", ["units.csv", "/dev/null/x"])
def test_a_report_that_cannot_be_written_exits_1_with_a_message(target: str, workdir: Path) -> None:
    """Regression: ``--report`` into a file or an impossible path exits 1 and says why.

    It used to end in an uncaught FileExistsError / NotADirectoryError traceback.
    """
    argv = ["simulate", "--days", "1", "--scale", "0.01", "--report", target]
    with contextlib.chdir(workdir):
        status, _, err = _run(argv)
    assert status == 1
    assert err.startswith("civicgrid: ")
    assert "Traceback" not in err
