"""Tests of ``civicgrid simulate`` and ``civicgrid compare`` (called through their handlers)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from civicgrid.cli import simulate as command
from civicgrid.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from civicgrid.plugins.registry import Registry, load_registry
from civicgrid.store import SQLiteStore


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-in registry, without entry points."""
    return load_registry(entry_points=False)


def run(registry: Registry, *argv: str) -> tuple[int, str]:
    """Parse ``argv`` with the commands' own parsers, run the handler, return status and stdout."""
    parser = argparse.ArgumentParser(prog="civicgrid")
    command.add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    out = io.StringIO()
    status = args.handler(args, registry, out)
    return status, out.getvalue()


def test_simulate_prints_a_bilingual_summary(registry: Registry) -> None:
    """A small in-memory run prints the indicator table and the run's cost."""
    status, out = run(registry, "simulate", "--days", "2", "--scale", "0.003", "--seed", "1")
    assert status == EXIT_OK
    assert "受理数 / requests received" in out
    assert "事件每秒 / events per second" in out


def test_simulate_json_is_one_object_on_stdout(registry: Registry) -> None:
    """``--json`` prints exactly one JSON object with the run's figures."""
    status, out = run(
        registry, "simulate", "--days", "2", "--scale", "0.003", "--preset", "hefei", "--json"
    )
    assert status == EXIT_OK
    data = json.loads(out)
    assert data["preset"] == "hefei"
    assert data["days"] == 2
    assert data["requests"] > 0


def test_simulate_into_sqlite_resumes_from_the_stored_meta(
    registry: Registry, tmp_path: Path
) -> None:
    """``--resume`` reads preset, seed, days and method from the store and adds nothing twice."""
    spec = f"sqlite:{tmp_path / 'run.db'}"
    args = ("simulate", "--days", "3", "--scale", "0.003", "--seed", "4", "--store", spec)
    status, first = run(registry, *args, "--method", "four_orders", "--json")
    assert status == EXIT_OK
    status, again = run(registry, "simulate", "--store", spec, "--resume", "--json")
    assert status == EXIT_OK
    assert json.loads(again)["method"] == "four_orders"
    assert json.loads(again)["events"] == json.loads(first)["events"]
    with SQLiteStore(tmp_path / "run.db") as store:
        assert store.version("sim:days") == 3


def test_resume_without_a_stored_run_is_a_usage_error(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Resuming an empty store says so on stderr and exits 2."""
    status, _ = run(registry, "simulate", "--store", f"sqlite:{tmp_path / 'x.db'}", "--resume")
    assert status == EXIT_USAGE
    assert "no run to resume" in capsys.readouterr().err


def test_an_unknown_store_kind_is_a_usage_error(
    registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store that is neither memory nor sqlite:PATH is refused, naming what is expected."""
    status, _ = run(registry, "simulate", "--store", "mysql://x")
    assert status == EXIT_USAGE
    assert "sqlite:PATH" in capsys.readouterr().err


def test_report_without_the_html_module_says_so(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--report`` writes the report through civicgrid.report.html, or explains its absence."""
    status, out = run(
        registry, "simulate", "--days", "1", "--scale", "0.003", "--report", str(tmp_path)
    )
    assert "受理数" in out
    try:
        import civicgrid.report.html  # noqa: F401, PLC0415
    except ImportError:
        assert status == EXIT_ERROR
        assert "write_report" in capsys.readouterr().err
    else:
        assert status == EXIT_OK


def test_compare_prints_methods_side_by_side_on_the_same_arrivals(registry: Registry) -> None:
    """Two methods get one table, one column each, with the same number of requests."""
    status, out = run(
        registry,
        "compare",
        "--methods",
        "immediate_53522,problem_ledger",
        "--days",
        "2",
        "--scale",
        "0.003",
    )
    assert status == EXIT_OK
    assert "53522马上办" in out
    received = next(line for line in out.splitlines() if line.startswith("受理数"))
    first, second = received.split()[-2:]
    assert first == second


def test_compare_json_gives_each_method_its_summary(registry: Registry) -> None:
    """``compare --json`` prints one object keyed by method."""
    status, out = run(
        registry,
        "compare",
        "--methods",
        "immediate_53522,four_orders",
        "--days",
        "1",
        "--scale",
        "0.003",
        "--json",
    )
    assert status == EXIT_OK
    assert set(json.loads(out)) == {"immediate_53522", "four_orders"}


def test_compare_with_no_method_is_a_usage_error(registry: Registry) -> None:
    """An empty ``--methods`` exits 2."""
    status, _ = run(registry, "compare", "--methods", ",")
    assert status == EXIT_USAGE


def test_compare_runs_deliberation_methods_on_the_same_topics(registry: Registry) -> None:
    """Five Steps and Six Self get one table on the same topics (周四来说事's last step)."""
    status, out = run(
        registry,
        "compare",
        "--preset",
        "hefei",
        "--methods",
        "five_steps,six_self",
        "--days",
        "20",
        "--scale",
        "0.02",
    )
    assert status == EXIT_OK
    assert "五步议事法 Five Steps" in out
    assert "六自 Six Self" in out
    received = next(line for line in out.splitlines() if line.startswith("受理数"))
    first, second = received.split()[-2:]
    assert first == second
    assert int(first) > 0


def test_simulate_with_deliberation_prints_both_methods(registry: Registry) -> None:
    """``--deliberation five_steps`` adds the topics' column and a JSON section."""
    status, out = run(
        registry,
        "simulate",
        "--preset",
        "hefei",
        "--days",
        "3",
        "--scale",
        "0.01",
        "--deliberation",
        "five_steps",
        "--json",
    )
    assert status == EXIT_OK
    data = json.loads(out)
    assert data["method"] == "immediate_53522"
    assert data["deliberation_method"] == "five_steps"
    assert data["deliberation"]["requests"] > 0
