"""``civicgrid simulate --store postgresql://…`` and ``civicgrid report postgresql://…``."""

from __future__ import annotations

import io
import json
import socket
from typing import Any

import pytest

from civicgrid.cli import main
from civicgrid.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from civicgrid.report.loading import open_store
from civicgrid.store.postgres import PostgresStore

pytest.importorskip("psycopg")


def cli(*argv: str) -> tuple[int, str]:
    """Run the command line with ``argv``; return the exit status and stdout."""
    out = io.StringIO()
    status = main(list(argv), stdout=out)
    return status, out.getvalue()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def simulate_json(url: str) -> dict[str, Any]:
    """Run the tiny Chenghua simulation into ``url`` and return its ``--json`` summary."""
    status, out = cli(
        "simulate", "--preset", "chenghua", "--scale", "0.01", "--days", "2", "--seed", "1",
        "--store", url, "--json",
    )  # fmt: skip
    assert status == EXIT_OK
    data: dict[str, Any] = json.loads(out)
    return data


def test_report_on_a_postgres_url_gives_the_simulation_figures(postgres_url: str) -> None:
    """The report rebuilt from PostgreSQL matches the simulation's own summary."""
    summary = simulate_json(postgres_url)
    assert summary["requests"] > 0
    status, out = cli("report", postgres_url, "--json")
    assert status == EXIT_OK
    report = json.loads(out)
    figures = report["indicators"][summary["method"]]
    assert figures["received"] == summary["requests"]
    assert figures["closed"] == summary["closed"]
    assert figures["completion_rate"] == pytest.approx(summary["completion_rate"])
    assert report["days_committed"] == summary["days"] == 2
    assert report["meta"]["preset"] == "chenghua"


def test_simulate_into_postgres_writes_the_run_streams(postgres_url: str) -> None:
    """The run's meta, units and days streams are in the PostgreSQL store afterwards."""
    simulate_json(postgres_url)
    with PostgresStore(postgres_url) as store:
        assert store.version("sim:days") == 2
        assert store.read("sim:meta")[0].data["preset"] == "chenghua"
        assert store.streams("case:")


def test_postgres_scheme_short_form_opens_a_postgres_store(postgres_url: str) -> None:
    """``postgres://`` names the same server as ``postgresql://``."""
    url = "postgres://" + postgres_url.removeprefix("postgresql://")
    with open_store(url) as store:
        assert isinstance(store, PostgresStore)


def test_simulating_twice_into_one_postgres_store_is_refused(postgres_url: str) -> None:
    """A second fresh run into a store that holds one fails and leaves the first intact."""
    first = simulate_json(postgres_url)
    status, _ = cli("simulate", "--scale", "0.01", "--days", "2", "--store", postgres_url)
    assert status != EXIT_OK
    status, out = cli("report", postgres_url, "--json")
    assert status == EXIT_OK
    assert json.loads(out)["indicators"][first["method"]]["received"] == first["requests"]


def test_report_on_an_empty_postgres_store_says_it_holds_no_run(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty schema is not a run: usage error, naming sim:meta."""
    status, _ = cli("report", postgres_url)
    assert status == EXIT_USAGE
    assert "sim:meta" in capsys.readouterr().err


def test_simulate_into_an_unreachable_server_fails_clearly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No server at the URL: exit 1 and a message, no traceback."""
    url = f"postgresql://civicgrid@127.0.0.1:{closed_port()}/postgres"
    status, out = cli("simulate", "--scale", "0.01", "--days", "1", "--store", url)
    assert status == EXIT_ERROR
    assert out == ""
    assert "cannot connect" in capsys.readouterr().err


def test_report_on_an_unreachable_server_fails_clearly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No server at the URL: usage error with the store's message."""
    url = f"postgresql://civicgrid:secret@127.0.0.1:{closed_port()}/postgres"
    status, _ = cli("report", url)
    assert status == EXIT_USAGE
    err = capsys.readouterr().err
    assert "cannot connect" in err
    assert "secret" not in err
