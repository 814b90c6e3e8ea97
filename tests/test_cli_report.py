"""``civicgrid report STORE``, and ``write_run``: a small run stored as a simulation stores it.

``write_run`` is shared with ``tests/report``: it drives a handful of 53522 requests through a
RequestDesk on a ManualClock, day by day, and commits each day's events, ledger transactions
and ``sim:days`` record in one ``append_many``, with the layout the simulation writes.
"""

from __future__ import annotations

import argparse
import functools
import heapq
import io
import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    Channel,
    Engine,
    ManualClock,
    Registry,
    Request,
    RequestDesk,
    UnitKind,
)
from civicgrid.cli import report as report_cli
from civicgrid.cli.common import EXIT_OK, EXIT_USAGE
from civicgrid.domain.ledger import Posting, Transaction
from civicgrid.report.comparison import compare_methods
from civicgrid.report.indicators import IndicatorBuilder
from civicgrid.report.loading import open_store
from civicgrid.store import (
    SQLiteStore,
    case_stream,
    encode_events,
    encode_transactions,
    read_events,
)
from civicgrid.store.protocol import EventStore
from civicgrid.testing import chenghua_units
from civicgrid.workflows.case import Case
from civicgrid.workflows.event import Event

METHOD = "immediate_53522"
START = date(2026, 11, 23)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
WORKER = Actor(
    id="worker-1",
    roles={"grid_worker", "community_worker", "director"},
    levels={"grid", "compound", "community", "subdistrict"},
)
RESIDENT = Actor(id="resident-1", roles={"resident"})
CHANNELS = (Channel.HOTLINE_12345, Channel.GRID_PATROL, Channel.MINI_PROGRAM)
ODD_NAME = '街道<b>&"一"</b>'
"""The first subdistrict's name: markup the report must escape."""


@attrs.frozen
class Written:
    """What ``write_run`` stored, to compare the report against."""

    earned: int
    redeemed: int


def write_run(store: EventStore, registry: Registry, *, days: int = 3, per_day: int = 8) -> Written:
    """Store a run of ``days`` days with ``per_day`` 53522 requests a day (see the module doc).

    Request ``i`` of a day opens at 09:00 + 20 min × i on community ``i``; by ``i % 4``: 0 is
    handled at the grid and rated, 1 is left alone (its on-site limit breaches and escalates,
    so it is overdue), 2 arrives late (escalated to the compound) and is then handled and
    rated, 3 is classified big and left open. Each rated case earns 10 city points; on each
    day after the first, 5 points are redeemed.
    """
    units = chenghua_units(down_to=UnitKind.COMMUNITY, scale=0.2)
    units = [attrs.evolve(u, name_zh=ODD_NAME) if u.id == "sd000000" else u for u in units]
    communities = [u.id for u in units if u.kind in (UnitKind.COMMUNITY, UnitKind.VILLAGE)]
    first = datetime.combine(START, time(), DEFAULT_TZ)
    clock = ManualClock(first)
    recorded: list[Event] = []
    engine = Engine.from_registry(
        registry, clock=clock, observers=[lambda _c, e: recorded.append(e)]
    )
    desk = RequestDesk(engine, method=METHOD)
    store.append(
        "sim:meta",
        [
            {
                "preset": "tiny",
                "seed": 1,
                "days": days,
                "start": START.isoformat(),
                "methods": {"requests": METHOD, "deliberation": None},
                "tz": "Asia/Shanghai",
                "library": "test",
                "schema": 1,
            }
        ],
        expected_version=0,
    )
    store.append(
        "district:units",
        [[u.id, u.parent, u.kind.value, u.name_zh, u.households, u.residents] for u in units],
        expected_version=0,
    )
    versions: dict[str, int] = {}
    ledger_version = 0
    earned = redeemed = 0
    for day in range(days):
        midnight = first + timedelta(days=day)
        actions: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        booked: list[Transaction] = []

        def plan(at: datetime, act: Callable[[datetime], None], into: list[Any] = actions) -> None:
            into.append((at, len(into), act))

        for i in range(per_day):
            rid = f"d{day}r{i:02d}"
            opened = midnight + 9 * HOUR + 20 * i * MINUTE
            request = Request(
                id=rid,
                channel=CHANNELS[i % 3],
                text="楼道灯坏了 <script>",
                submitted_at=opened,
                unit=communities[(day * per_day + i) % len(communities)],
            )
            plan(opened, functools.partial(_receive, desk, request))
            kind = i % 4
            if kind == 1:
                continue
            arrive = opened + (3 * MINUTE if kind != 2 else 10 * MINUTE)
            plan(arrive, _fire(desk, rid, "arrive", WORKER))
            if kind == 3:
                plan(arrive + MINUTE, _fire(desk, rid, "classify_big", WORKER))
                continue
            plan(arrive + MINUTE, _fire(desk, rid, "classify_small", WORKER))
            plan(arrive + 11 * MINUTE, _fire(desk, rid, "solve", WORKER))
            feedback = {"feedback": "已修好"}
            plan(arrive + 12 * MINUTE, _fire(desk, rid, "reply", WORKER, feedback))
            rated = arrive + HOUR

            def rate(at: datetime, rid: str = rid, into: list[Transaction] = booked) -> None:
                _fire(desk, rid, "rate", RESIDENT, {"rating": "satisfied"})(at)
                into.append(_earn(rid, at))

            plan(rated, rate)
            earned += 10
        if day:
            redeem_at = midnight + 20 * HOUR
            plan(redeem_at, functools.partial(_redeem, booked, f"x{day}"))
            redeemed += 5
        heapq.heapify(actions)
        while actions:
            at, _, act = heapq.heappop(actions)
            clock.set(at)
            engine.tick(at)
            act(at)
        end = midnight + timedelta(days=1)
        clock.set(end)
        engine.tick(end)
        by_case: dict[str, list[Event]] = {}
        for event in recorded:
            by_case.setdefault(event.case_id, []).append(event)
        batch: dict[str, tuple[list[Any], int]] = {}
        for case_id, events in by_case.items():
            seen = versions.get(case_id, 0)
            batch[case_stream(case_id)] = (encode_events(case_id, events, seen), seen)
            versions[case_id] = seen + len(events)
        batch["ledger:points"] = (encode_transactions(booked, ledger_version), ledger_version)
        ledger_version += len(booked)
        open_cases = sum(1 for case in desk if not case.is_closed)
        record = {
            "day": day,
            "date": (START + timedelta(days=day)).isoformat(),
            "requests": per_day,
            "events": len(recorded),
            "transactions": len(booked),
            "open_cases": open_cases,
        }
        batch["sim:days"] = ([record], day)
        store.append_many(batch)
        recorded.clear()
    return Written(earned=earned, redeemed=redeemed)


def _receive(desk: RequestDesk, request: Request, _at: datetime) -> None:
    desk.receive(request, actor=RESIDENT)


def _fire(
    desk: RequestDesk, rid: str, trigger: str, actor: Actor, data: dict[str, Any] | None = None
) -> Callable[[datetime], None]:
    def act(at: datetime) -> None:
        case: Case = desk.case(rid)
        desk.engine.fire(case, trigger, actor, at=at, data=data)

    return act


def _earn(rid: str, at: datetime) -> Transaction:
    return Transaction(
        key=f"earn:{rid}",
        at=at,
        kind="earn",
        postings=(
            Posting(account="issuer:city_points", amount=-10),
            Posting(account="person:worker-1:city_points", amount=10),
        ),
    )


def _redeem(into: list[Transaction], rid: str, at: datetime) -> None:
    hold = f"hold:{rid}:city_points"
    into += [
        Transaction(
            key=f"redeem:{rid}:hold",
            at=at,
            kind="hold",
            postings=(
                Posting(account="person:worker-1:city_points", amount=-5),
                Posting(account=hold, amount=5),
            ),
        ),
        Transaction(
            key=f"redeem:{rid}:fulfil",
            at=at,
            kind="redeem",
            postings=(
                Posting(account=hold, amount=-5),
                Posting(account="sink:redeemed:city_points", amount=5),
            ),
        ),
    ]


# --------------------------------------------------------------------------- the command


def run_cli(argv: list[str], registry: Registry) -> tuple[int, str]:
    """Parse ``argv`` with the report parser and run its handler; return status and output."""
    parser = argparse.ArgumentParser(prog="civicgrid")
    report_cli.add_parsers(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    out = io.StringIO()
    return int(args.handler(args, registry, out)), out.getvalue()


@pytest.fixture
def stored(tmp_path: Path, registry: Registry) -> Path:
    """A small run in a SQLite file."""
    path = tmp_path / "run.sqlite"
    with SQLiteStore(path) as store:
        write_run(store, registry)
    return path


def test_report_prints_the_summary_table_of_the_indicators(
    stored: Path, registry: Registry
) -> None:
    """The table printed is compare_methods over an IndicatorBuilder fed the stored events."""
    status, out = run_cli(["report", f"sqlite:{stored}"], registry)
    assert status == EXIT_OK
    with open_store(stored) as store:
        events = [e for s in store.streams("case:") for e in _events(store, s)]
    builder = IndicatorBuilder(registry.compiled, calendar=registry.calendar)
    builder.extend(events)
    end = datetime.combine(START + timedelta(days=3), time(), DEFAULT_TZ)
    table = compare_methods(
        {METHOD: builder.indicators(as_of=end)}, methods=registry.methods.values()
    )
    assert table.to_text() in out
    assert "已提交 committed 3/3" in out


def test_report_json_is_one_object_with_the_same_figures(stored: Path, registry: Registry) -> None:
    """--json prints the received count, completion rate and meta as one JSON object."""
    status, out = run_cli(["report", str(stored), "--json"], registry)
    assert status == EXIT_OK
    data = json.loads(out)
    figures = data["indicators"][METHOD]
    assert figures["received"] == 24
    assert figures["closed"] == 12
    assert figures["completion_rate"] == 0.5
    assert data["meta"]["preset"] == "tiny"
    assert data["days_committed"] == 3
    assert data["report"] is None


def test_report_out_writes_the_html_file(stored: Path, tmp_path: Path, registry: Registry) -> None:
    """--out DIR writes DIR/report.html and says where."""
    status, out = run_cli(["report", str(stored), "--out", str(tmp_path / "r")], registry)
    assert status == EXIT_OK
    assert (tmp_path / "r" / "report.html").is_file()
    assert str(tmp_path / "r" / "report.html") in out


@pytest.mark.parametrize("name", ["missing.sqlite", "sqlite:missing.db"])
def test_a_missing_store_exits_2_and_creates_nothing(
    name: str, tmp_path: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store that does not exist is not created: exit 2 with a message naming it."""
    spec = name.replace("missing", str(tmp_path / "missing"))
    status, _ = run_cli(["report", spec], registry)
    assert status == EXIT_USAGE
    assert "no such store file" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_a_file_that_is_not_a_store_exits_2(
    tmp_path: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    """Garbage in a .db file is an unreadable store: exit 2."""
    path = tmp_path / "junk.db"
    path.write_bytes(b"not a database at all" * 100)
    status, _ = run_cli(["report", str(path)], registry)
    assert status == EXIT_USAGE
    assert "junk.db" in capsys.readouterr().err


def test_a_store_without_a_run_exits_2(
    tmp_path: Path, registry: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    """An event store with no sim:meta is refused with exit 2, saying why."""
    path = tmp_path / "empty.sqlite"
    with SQLiteStore(path) as store:
        store.append("case:x", [["opened"]], expected_version=0)
    status, _ = run_cli(["report", str(path)], registry)
    assert status == EXIT_USAGE
    assert "sim:meta" in capsys.readouterr().err


def _events(store: EventStore, stream: str) -> list[Event]:
    return read_events(store, stream.removeprefix("case:"))
