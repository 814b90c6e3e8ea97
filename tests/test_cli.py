"""The ``civicgrid`` command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from civicgrid import (
    Finding,
    GridCheck,
    GridContext,
    GridScheme,
    Severity,
    UnitKind,
    hookimpl,
)
from civicgrid.cli import main

SIX_SELF_ZH = ["自提", "自议", "自决", "自办", "自管", "自享"]
FIVE_STEPS_ZH = ["收集信息整理", "议题确认", "组织协商", "监督落实", "跟踪反馈"]


def run(*argv: str) -> tuple[int, str]:
    """Run the command in-process; return its exit status and what it printed."""
    out = io.StringIO()
    status = main(list(argv), stdout=out)
    return status, out.getvalue()


def test_methods_json_lists_the_builtins_with_domain_labels() -> None:
    """``methods --json`` gives each method with the Chinese step labels of DOMAIN.md."""
    status, text = run("methods", "--json")
    assert status == 0
    methods = {m["key"]: m for m in json.loads(text)}
    assert {"six_self", "five_steps"} <= set(methods)
    for key, labels in (("six_self", SIX_SELF_ZH), ("five_steps", FIVE_STEPS_ZH)):
        method = methods[key]
        assert {"key", "label_zh", "label_en", "steps", "transitions"} <= set(method)
        step_labels = [s["label_zh"] for s in method["steps"]]
        assert step_labels[: len(labels)] == labels
        for step in method["steps"]:
            assert {"key", "label_zh", "label_en"} <= set(step)
    assert methods["six_self"]["label_zh"] == "六自"
    assert methods["five_steps"]["label_zh"] == "五步议事法"


def test_methods_table_shows_keys_and_chinese_names() -> None:
    """The table lists both methods with their names."""
    status, text = run("methods")
    assert status == 0
    assert "six_self" in text
    assert "六自" in text
    assert "五步议事法" in text


def test_show_draws_a_mermaid_state_diagram() -> None:
    """``show --format mermaid`` draws every step and the start and end markers."""
    status, text = run("methods", "show", "six_self", "--format", "mermaid")
    assert status == 0
    assert "stateDiagram-v2" in text
    assert "[*] --> propose" in text
    assert "propose --> discuss: table 列入议题" in text
    assert "enjoy --> [*]" in text
    for label in SIX_SELF_ZH:
        assert label in text


def test_show_describes_steps_transitions_and_deadlines() -> None:
    """The text form lists steps, transitions, deadlines and the ladder."""
    status, text = run("methods", "show", "five_steps")
    assert status == 0
    for label in [*FIVE_STEPS_ZH, "refer_up", "5 working days", "街道"]:
        assert label in text


def test_an_unknown_method_exits_with_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown key is an error with exit status 2, naming what is installed."""
    status, _ = run("methods", "show", "no_such_method")
    assert status == 2
    err = capsys.readouterr().err
    assert "no_such_method" in err
    assert "six_self" in err


def test_blocking_a_builtin_removes_its_method() -> None:
    """``--block`` keeps a plugin out, as a city replacing a built-in would."""
    status, text = run("--block", "civicgrid.six_self", "methods", "--json")
    assert status == 0
    assert "six_self" not in {m["key"] for m in json.loads(text)}


def test_no_command_prints_help_and_exits_2() -> None:
    """Run bare, the command explains itself."""
    status, text = run()
    assert status == 2
    assert "methods" in text


def test_demo_walks_six_self_to_the_end() -> None:
    """The demo prints every step of Six Self and ends closed."""
    status, text = run("demo")
    assert status == 0
    for label in SIX_SELF_ZH:
        assert label in text
    assert "closed: True" in text


def test_the_console_script_runs_as_a_module() -> None:
    """``python -m civicgrid`` is the same command."""
    result = subprocess.run(
        [sys.executable, "-m", "civicgrid", "methods", "show", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "nope" in result.stderr


# --------------------------------------------------------------------------- grid check

DISTRICTS = Path(__file__).parents[1] / "examples" / "districts"
SAMPLE_CSV = str(DISTRICTS / "sample-district.csv")
SAMPLE_JSON = str(DISTRICTS / "sample-district.json")
BROKEN_CSV = str(DISTRICTS / "broken-district.csv")
ONLY_TINY = (
    "--block",
    "civicgrid.grid_schemes",
    "--block",
    "civicgrid.party_chains",
    "--block",
    "civicgrid.grid_checks",
)
"""Keep the built-in schemes and checks out, so these tests see only the tiny plugin's."""

TINY_SCHEME = GridScheme(
    key="tiny",
    label_zh="小方案",
    label_en="tiny scheme",
    root_kinds={UnitKind.COMMUNITY},
    parents={UnitKind.BUILDING: {UnitKind.COMMUNITY}},
)


def micro_grids_under_buildings(context: GridContext) -> list[Finding]:
    """An error for each micro grid hung under a building; an info naming the date read on."""
    tree = context.tree
    findings = [
        Finding(
            rule="tiny.micro_grid_parent",
            severity=Severity.ERROR,
            unit=unit.id,
            value=1,
            limit=0,
            message_en="micro grid under a building",
            message_zh="微网格位于楼栋之下",
        )
        for unit in tree
        if unit.kind is UnitKind.MICRO_GRID
        and (parent := tree.parent(unit.id)) is not None
        and parent.kind is UnitKind.BUILDING
    ]
    findings.append(
        Finding(
            rule="tiny.read_on",
            severity=Severity.INFO,
            value=len(context.organisations),
            message_en=f"read on {context.on.isoformat()}",
            message_zh=f"核查日期 {context.on.isoformat()}",
        )
    )
    return findings


class TinyGridPlugin:
    """A scheme and a check of this test's own, independent of the built-in ones."""

    @hookimpl
    def register_grid_schemes(self) -> list[GridScheme]:
        """Provide the tiny scheme."""
        return [TINY_SCHEME]

    @hookimpl
    def register_grid_checks(self) -> list[GridCheck]:
        """Provide the micro-grid check."""
        return [
            GridCheck(
                name="tiny.micro_grid_parent",
                check=micro_grids_under_buildings,
                label_zh="微网格的上级",
                label_en="micro grid parent",
            )
        ]


def grid(*argv: str) -> tuple[int, str]:
    """Run ``grid check`` with the tiny plugin and without the built-in grid plugins."""
    out = io.StringIO()
    plugins = [("tiny", TinyGridPlugin())]
    status = main([*ONLY_TINY, "grid", "check", *argv], stdout=out, plugins=plugins)
    return status, out.getvalue()


def test_grid_check_exits_0_when_no_finding_is_an_error() -> None:
    """The sample table has no error: the findings and the summary are printed, exit 0."""
    status, text = grid(SAMPLE_CSV, "--scheme", "tiny", "--on", "2026-11-23")
    assert status == 0
    assert "(40 units 个单元, on 2026-11-23)" in text
    assert "方案 scheme: tiny\n  小方案\n  tiny scheme\n" in text
    assert (
        "info 提示  tiny.read_on  value 0\n    核查日期 2026-11-23\n    read on 2026-11-23\n"
        in text
    )
    assert text.endswith("1 finding 项发现: 0 error 错误, 0 warning 警告, 1 info 提示\n")


def test_grid_check_exits_1_on_a_finding_at_error_severity() -> None:
    """The broken table hangs a micro grid under a building: an error, exit 1."""
    status, text = grid(BROKEN_CSV, "--scheme", "tiny")
    assert status == 1
    assert (
        "error 错误  tiny.micro_grid_parent  unit jh-c1-m2  value 1  limit 0\n"
        "    微网格位于楼栋之下\n    micro grid under a building\n"
    ) in text
    assert text.index("tiny.micro_grid_parent") < text.index("tiny.read_on")
    assert "2 findings 项发现: 1 error 错误, 0 warning 警告, 1 info 提示" in text


def test_grid_check_json_prints_a_list_of_findings() -> None:
    """``--json`` prints only a JSON list, each finding with its plugin."""
    status, text = grid(BROKEN_CSV, "--scheme", "tiny", "--json", "--on", "2026-11-23")
    assert status == 1
    findings = json.loads(text)
    assert [(f["severity"], f["rule"], f["unit"]) for f in findings] == [
        ("error", "tiny.micro_grid_parent", "jh-c1-m2"),
        ("info", "tiny.read_on", None),
    ]
    assert findings[0]["plugin"] == "tiny"
    assert findings[0]["message_zh"] == "微网格位于楼栋之下"
    assert findings[1]["message_en"] == "read on 2026-11-23"


def test_grid_check_reads_a_document_with_its_organisations() -> None:
    """A JSON document brings its organisations and people to the checks."""
    status, text = grid(SAMPLE_JSON, "--scheme", "tiny", "--json")
    assert status == 0
    (read_on,) = json.loads(text)
    assert read_on["value"] == 10


def test_grid_check_uses_the_documents_scheme(tmp_path: Path) -> None:
    """Without --scheme, the document's ``scheme`` is used."""
    data = json.loads(Path(SAMPLE_JSON).read_text(encoding="utf-8"))
    data["scheme"] = "tiny"
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    status, text = grid(str(path))
    assert status == 0
    assert "方案 scheme: tiny" in text


def test_grid_check_defaults_to_chengdu_3plus1(capsys: pytest.CaptureFixture[str]) -> None:
    """A table names no scheme: chengdu_3plus1 is asked for, here not installed: exit 2."""
    status, text = grid(SAMPLE_CSV)
    assert (status, text) == (2, "")
    err = capsys.readouterr().err
    assert "unknown grid scheme 'chengdu_3plus1'; installed: tiny" in err


def test_grid_check_refuses_an_unknown_scheme_listing_the_installed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An unknown --scheme exits 2 and names what is installed, in both languages."""
    status, _ = grid(SAMPLE_CSV, "--scheme", "nope")
    assert status == 2
    err = capsys.readouterr().err
    assert "unknown grid scheme 'nope'; installed: tiny" in err
    assert "未知的网格方案 'nope'" in err


def test_grid_check_refuses_an_invalid_table_with_its_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every bad row is printed to stderr with its line; exit 2 and nothing on stdout."""
    path = tmp_path / "bad.csv"
    path.write_text(
        "id,parent_id,kind,name_zh,households,residents\nc,,community,社区,,\nm,c,grdi,网格,,\n",
        encoding="utf-8",
    )
    status, text = grid(str(path), "--scheme", "tiny")
    assert (status, text) == (2, "")
    err = capsys.readouterr().err
    assert "line 3: kind: unknown kind 'grdi'" in err
    assert str(path) in err


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("absent.csv", "cannot read"),
        ("district.xlsx", "use .csv for a unit table or .json for a district document"),
    ],
)
def test_grid_check_refuses_unreadable_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    """A missing file or an unknown suffix exits 2 with the reason on stderr."""
    path = tmp_path / name
    if name.endswith(".xlsx"):
        path.write_bytes(b"PK")
    status, _ = grid(str(path), "--scheme", "tiny")
    assert status == 2
    assert message in capsys.readouterr().err


def test_grid_check_refuses_a_malformed_date(capsys: pytest.CaptureFixture[str]) -> None:
    """``--on`` must be YYYY-MM-DD: argparse exits 2 naming the value."""
    with pytest.raises(SystemExit) as exited:
        grid(SAMPLE_CSV, "--on", "2026-13-01")
    assert exited.value.code == 2
    assert "expected a date YYYY-MM-DD, got '2026-13-01'" in capsys.readouterr().err


def test_grid_alone_prints_its_help_and_exits_2() -> None:
    """``civicgrid grid`` without an action explains itself."""
    out = io.StringIO()
    assert main(["grid"], stdout=out) == 2
    assert "check" in out.getvalue()


def test_chengdu_3plus1_passes_the_sample_and_fails_the_broken_table() -> None:
    """With the built-in chengdu_3plus1, the sample exits 0 and the broken table 1."""
    status, text = run("grid", "check", SAMPLE_JSON, "--on", "2026-11-23")
    assert status == 0, text
    assert "方案 scheme: chengdu_3plus1" in text
    assert text.endswith("no findings 未发现问题\n")
    status, text = run("grid", "check", BROKEN_CSV, "--on", "2026-11-23", "--json")
    assert status == 1
    errors = [f for f in json.loads(text) if f["severity"] == "error"]
    assert [(f["rule"], f["unit"]) for f in errors] == [("civicgrid.kind_order", "jh-c1-m2")]
