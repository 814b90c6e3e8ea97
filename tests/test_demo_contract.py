"""The main job's contract: the summary a run prints equals the one rebuilt from its store.

`make demo` runs `civicgrid simulate … --store sqlite:demo.db --report demo-report`; the README
promises that `civicgrid report sqlite:demo.db` gives the same figures. This runs the same
commands on a tiny Chenghua and compares every figure both print.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from civicgrid.cli import main

pytest.importorskip("pygal", reason="the report extra (pygal) is not installed")


def run_json(argv: list[str]) -> dict[str, Any]:
    """Run the command line and parse its single JSON object."""
    out = io.StringIO()
    assert main(argv, stdout=out) == 0
    parsed: dict[str, Any] = json.loads(out.getvalue())
    return parsed


def test_the_report_rebuilt_from_the_store_equals_the_runs_summary(tmp_path: Path) -> None:
    """Requests, completion, on-time rates, closing levels, satisfaction and reopens agree."""
    store = f"sqlite:{tmp_path / 'demo.db'}"
    run = ["simulate", "--preset", "chenghua", "--days", "3", "--seed", "1", "--scale", "0.01"]
    summary = run_json([*run, "--store", store, "--report", str(tmp_path / "report"), "--json"])
    assert (tmp_path / "report" / "report.html").is_file()
    rebuilt = run_json(["report", store, "--json"])
    assert rebuilt["days_committed"] == summary["days"] == 3
    (column,) = rebuilt["indicators"].values()
    assert column["received"] == summary["requests"] > 0
    assert column["closed"] == summary["closed"]
    assert column["completion_rate"] == pytest.approx(summary["completion_rate"])
    assert column["time_to_close.median"] == pytest.approx(summary["median_time_to_close_seconds"])
    for key, rate in summary["on_time_rate"].items():
        assert column[f"on_time.{key}"] == pytest.approx(rate)
    for level, share in summary["share_closed_at_level"].items():
        assert column[f"closed_at_level.{level}"] == pytest.approx(share)
    assert column["satisfaction"] == pytest.approx(summary["satisfaction"])
    assert column["reopen_rate"] == pytest.approx(summary["reopen_rate"])
