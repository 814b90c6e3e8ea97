"""``civicgrid requests dispatch-eval``: the dispatch figures on the shipped sample or a file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from civicgrid import load_registry
from civicgrid.cli import main
from civicgrid.plugins.builtin import dispatch
from civicgrid.plugins.builtin.dispatch import dispatch_sample
from civicgrid.plugins.manager import BUILTIN_PLUGINS
from civicgrid.workflows.dispatch_eval import evaluate_dispatch, load_labelled_requests

BUILTIN = (
    ()
    if any(name == "civicgrid.dispatch" for name, _module in BUILTIN_PLUGINS)
    else (("civicgrid.dispatch", dispatch),)
)
"""The plugin, for runs before it joins BUILTIN_PLUGINS (then: nothing to add)."""

SMALL = (
    "id,split,channel,category,level,text\n"
    "a,train,hotline_12345,gas_safety,community,楼道里一股煤气味\n"
    "b,test,hotline_12345,noise,grid,楼上半夜噪音扰民\n"
    "c,test,mini_program,other,,社区书记的电话是多少\n"
)


def run(*argv: str) -> tuple[int, str]:
    """Run the command in-process with the built-in dispatcher; return status and output."""
    out = io.StringIO()
    status = main(list(argv), stdout=out, plugins=BUILTIN)
    return status, out.getvalue()


def test_dispatch_eval_prints_rate_and_accuracy_per_split() -> None:
    """The shipped sample: one line per split and one for all, with Chengdu's two figures."""
    status, text = run("requests", "dispatch-eval")
    assert status == 0
    assert "civicgrid.dispatch" in text
    assert "95%" in text
    assert "≥ 90%" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    assert "81.8%" in lines["test"]
    assert "87.4%" in lines["test"]
    assert "87.6%" in lines["train"]
    assert "not met" in lines["all"]
    assert "per category" in text
    assert "gas_safety" in text


def test_dispatch_eval_json_equals_the_library_figures() -> None:
    """--json gives the same counts as evaluating through the library directly."""
    status, text = run("requests", "dispatch-eval", "--json")
    assert status == 0
    data = json.loads(text)
    registry = load_registry(entry_points=False, plugins=BUILTIN)
    evaluation = evaluate_dispatch(
        registry.classify_request, load_labelled_requests(dispatch_sample())
    )
    assert data["all"] == evaluation.to_data()
    assert data["splits"]["test"] == evaluation.only("test").to_data()
    assert set(data["splits"]) == {"train", "test"}
    assert data["chengdu"] == {"automatic_rate": 0.95, "accuracy": 0.9}
    assert data["dispatchers"] == ["civicgrid.dispatch"]
    assert data["file"] is None


def test_dispatch_eval_reads_a_file_of_its_own(tmp_path: Path) -> None:
    """FILE replaces the shipped sample; the unlabelled-by-the-table request is left to a person."""
    path = tmp_path / "mine.csv"
    path.write_text(SMALL, encoding="utf-8")
    status, text = run("requests", "dispatch-eval", str(path), "--json")
    assert status == 0
    figures = json.loads(text)["all"]
    assert (figures["total"], figures["automatic"], figures["automatic_right"]) == (3, 2, 2)
    assert figures["accuracy"] == 1.0
    assert json.loads(text)["file"] == str(path)


def test_dispatch_eval_refuses_an_invalid_file_with_its_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad channel is named by line, and the exit status is 2."""
    path = tmp_path / "bad.csv"
    path.write_text(SMALL.replace("mini_program", "carrier_pigeon"), encoding="utf-8")
    status, _text = run("requests", "dispatch-eval", str(path))
    assert status == 2
    assert "line 4: channel" in capsys.readouterr().err


def test_dispatch_eval_refuses_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is not there exits 2 with the path."""
    status, _text = run("requests", "dispatch-eval", str(tmp_path / "nowhere.csv"))
    assert status == 2
    assert "nowhere.csv" in capsys.readouterr().err


def test_dispatch_eval_without_a_dispatcher_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """Blocking the built-in dispatcher leaves nothing to measure."""
    out = io.StringIO()
    status = main(
        ["--block", "civicgrid.dispatch", "requests", "dispatch-eval"], stdout=out, plugins=()
    )
    assert status == 1
    assert "no dispatcher" in capsys.readouterr().err


def test_requests_alone_prints_its_help_and_exits_2() -> None:
    """The group without an action shows its actions."""
    status, text = run("requests")
    assert status == 2
    assert "dispatch-eval" in text


def test_the_other_commands_still_work() -> None:
    """Adding the requests group leaves methods and grid as they were."""
    assert run("methods")[0] == 0
    assert run("grid")[0] == 2
