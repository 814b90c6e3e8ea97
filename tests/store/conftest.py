"""A throwaway PostgreSQL server for the store tests, started once and only when needed.

``CIVICGRID_TEST_POSTGRES_URL`` names a server to test against. When it is not set and a
collected test needs PostgreSQL, ``scripts/postgres.py`` starts one on 127.0.0.1 (from the
machine's PostgreSQL programs, installing Debian's package first when root with apt-get),
puts its URL in that variable for the tests and their subprocesses, and stops it at the end.
Where no server can be had, the PostgreSQL tests are skipped with the reason and the
terminal summary says so loudly; the SQLite and in-memory tests run all the same.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest

from script_support import load_script

ENV = "CIVICGRID_TEST_POSTGRES_URL"
"""The environment variable naming the PostgreSQL server the tests use."""

_state: dict[str, Any] = {"server": None, "reason": None, "given": ENV in os.environ}


def _script() -> Any:
    """Load scripts/postgres.py (a script, not a package module)."""
    return load_script("scripts/postgres.py", "civicgrid_pg_script")


def _start() -> None:
    """Start a throwaway server, or record why none could be had."""
    try:
        import psycopg  # noqa: F401, PLC0415
    except ImportError:
        _state["reason"] = "psycopg is not installed (pip install -e '.[dev]')"
        return
    script = _script()
    if script.find_bindir() is None:
        script.install()
    try:
        server = script.start()
    except RuntimeError as error:
        _state["reason"] = f"could not start PostgreSQL: {error}"
        return
    _state["server"] = server
    os.environ[ENV] = server.url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the server once if any collected test runs against PostgreSQL."""
    if _state["given"]:
        return
    if any("postgres" in item.nodeid for item in items):
        _start()


def pytest_sessionfinish() -> None:
    """Stop the server this session started."""
    server = _state["server"]
    if server is not None:
        _state["server"] = None
        os.environ.pop(ENV, None)
        server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say loudly when the store tests ran without PostgreSQL."""
    if _state["reason"]:
        terminalreporter.write_sep("!", "PostgreSQL store tests SKIPPED", red=True, bold=True)
        terminalreporter.write_line(
            f"{_state['reason']}; the store contract ran against SQLite and memory only. "
            f"Set {ENV}=postgresql://user@host:port/db to use a server of your own."
        )


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """Create an empty schema on the server; yield a URL whose search_path is it; drop it."""
    import psycopg  # noqa: PLC0415

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    joiner = "&" if "?" in url else "?"
    try:
        yield f"{url}{joiner}options={quote(f'-csearch_path={name}')}"
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {name} CASCADE")


def postgres_url_or_skip() -> str:
    """The server's URL, or skip the test saying why there is none."""
    url = os.environ.get(ENV)
    if not url:
        pytest.skip(f"no PostgreSQL server: {_state['reason'] or 'none given'}")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to an empty schema of its own on the test server (skips when there is none)."""
    with fresh_schema(postgres_url_or_skip()) as url:
        yield url
