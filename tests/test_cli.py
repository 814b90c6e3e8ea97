"""The ``civicgrid`` command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

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
