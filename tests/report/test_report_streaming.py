"""The report folds a store case stream by case stream, and shows deliberation topics apart.

A year of a district is 1.5 million cases and 7 million events: the report must not hold them
all. These tests check that the report built from a store reads one case stream at a time and
shows exactly what the report built from every event in memory shows, and that a run whose
meta names a deliberation method reports its requests as before and its topics in a section
of their own.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from civicgrid import DEFAULT_TZ, Actor, Engine, Event, InvalidData, ManualClock, Registry
from civicgrid.plugins.registry import load_registry
from civicgrid.report import html as report_html
from civicgrid.report.comparison import format_value
from civicgrid.report.html import method_indicators, run_indicators, summary_table, write_report
from civicgrid.report.indicators import IndicatorBuilder
from civicgrid.report.loading import Run, fold_run, load_run, points_by_day, read_meta
from civicgrid.simulation import simulate
from civicgrid.store import MemoryStore, SQLiteStore, case_stream, encode_events, read_events
from civicgrid.store.protocol import EventStore
from civicgrid.store.streams import iter_transactions, read_transactions
from test_cli_report import METHOD, START, run_cli, write_run

TOPICS = "five_steps"
CHAIR = Actor(
    id="chair-1",
    roles={"community", "grid_worker", "deliberator", "resident"},
    levels={"compound", "community", "subdistrict"},
)
FEEDBACK = {"feedback": "已向居民反馈"}


def topic_events(registry: Registry) -> list[list[Event]]:
    """Three 五步议事法 topics on the run's first day: closed, dropped, left in 议题确认."""
    clock = ManualClock(datetime.combine(START, time(10), DEFAULT_TZ))
    engine = Engine.from_registry(registry, clock=clock)
    moves: list[list[tuple[str, dict[str, Any] | None]]] = [
        [
            ("sort", None),
            ("confirm", None),
            ("agree", {"agreement": "同意加装电梯"}),
            ("implement", None),
            ("report_back", FEEDBACK),
        ],
        [("drop", FEEDBACK)],
        [("sort", None)],
    ]
    out = []
    for i, steps in enumerate(moves):
        case = engine.open(TOPICS, actor=CHAIR, case_id=f"t{i}", data={"unit": "sd000000"})
        for trigger, data in steps:
            clock.advance(timedelta(hours=2))
            engine.fire(case, trigger, CHAIR, data=data)
        out.append(list(case.events))
    return out


def copy_with_topics(source: EventStore, target: EventStore, registry: Registry) -> None:
    """Copy a run, its meta naming five_steps as the deliberation method, and add its topics."""
    for stream in source.streams(""):
        records = [r.data for r in source.read(stream)]
        if stream == "sim:meta":
            meta = dict(records[0])
            meta["methods"] = {"requests": METHOD, "deliberation": TOPICS}
            records = [meta]
        target.append(stream, records, expected_version=0)
    for events in topic_events(registry):
        case_id = events[0].case_id
        target.append(case_stream(case_id), encode_events(case_id, events, 0), expected_version=0)


@pytest.fixture(scope="module")
def plain(registry: Registry) -> MemoryStore:
    """Three days of eight 53522 requests, no deliberation method."""
    store = MemoryStore()
    write_run(store, registry)
    return store


@pytest.fixture(scope="module")
def topics(plain: MemoryStore, registry: Registry) -> MemoryStore:
    """The same run with three five_steps topics and ``methods.deliberation`` set."""
    store = MemoryStore()
    copy_with_topics(plain, store, registry)
    return store


class Cells(HTMLParser):
    """Every table cell as {(table id, row key, column): text}."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str, str], str] = {}
        self.table = self.row = self.column = ""
        self.text: list[str] | None = None
        self.index = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note the table, row and column a cell belongs to."""
        found = dict(attrs)
        if tag == "table":
            self.table = found.get("id") or ""
        elif tag == "tr":
            self.row = found.get("data-key") or found.get("data-case") or ""
            self.index = 0
        elif tag == "td":
            self.index += 1
            self.column = found.get("data-column") or found.get("data-key") or str(self.index)
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        """Keep a cell's text when it ends."""
        if tag == "td" and self.text is not None:
            self.cells[(self.table, self.row, self.column)] = "".join(self.text)
            self.text = None

    def handle_data(self, data: str) -> None:
        """Collect a cell's text."""
        if self.text is not None:
            self.text.append(data)


def parsed(path: Path) -> Cells:
    """The report's table cells."""
    cells = Cells()
    cells.feed(path.read_text(encoding="utf-8"))
    return cells


# --------------------------------------------------------------------------- streaming


def test_fold_run_reads_each_case_stream_once_and_gives_the_in_memory_figures(
    plain: MemoryStore, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One read per case stream, never all at once; figures equal a fold of every event."""
    reads: list[str] = []

    def spy(store: EventStore, case_id: str, from_seq: int = 1) -> list[Event]:
        reads.append(case_id)
        return read_events(store, case_id, from_seq)

    monkeypatch.setattr("civicgrid.report.loading.read_events", spy)
    builder = IndicatorBuilder(registry.compiled, calendar=registry.calendar)
    count = fold_run(plain, builder)
    streams = plain.streams("case:")
    assert count == len(streams) == len(reads) == len(set(reads)) == 24
    monkeypatch.undo()
    keeping = IndicatorBuilder(registry.compiled, calendar=registry.calendar, retire_closed=False)
    keeping.extend(load_run(plain).events)
    end = datetime.combine(START + timedelta(days=3), time(), DEFAULT_TZ)
    assert builder.indicators(as_of=end) == keeping.indicators(as_of=end)
    assert builder.retired == 12  # the rated half left memory
    assert len(builder.cases) == 12


def test_load_run_without_events_reads_everything_else(plain: MemoryStore) -> None:
    """events=False leaves the case events to fold_run; meta, units, ledger and days are read."""
    full, light = load_run(plain), load_run(plain, events=False)
    assert light.events == ()
    assert len(full.events) > 0
    assert (light.meta, light.days) == (full.meta, full.days)
    assert light.tree is not None
    assert list(light.tree) == list(full.tree or ())
    assert light.ledger is not None
    assert full.ledger is not None
    assert list(light.ledger) == list(full.ledger)


def test_the_report_from_a_store_is_streamed_and_equals_the_in_memory_one(
    plain: MemoryStore,
    registry: Registry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """write_report(store) renders a run without its events in memory; the page is the same."""
    from_memory = write_report(load_run(plain), tmp_path / "memory", registry=registry)
    rendered: list[Run] = []
    real = report_html.render_report

    def spy(run: Run, *args: Any, **kwargs: Any) -> str:
        rendered.append(run)
        return real(run, *args, **kwargs)

    monkeypatch.setattr(report_html, "render_report", spy)
    streamed = write_report(plain, tmp_path / "store", registry=registry)
    assert [run.events for run in rendered] == [()]
    assert streamed.read_bytes() == from_memory.read_bytes()


# --------------------------------------------------------------------------- deliberation


def test_requests_figures_leave_the_topics_out(
    plain: MemoryStore, topics: MemoryStore, registry: Registry, tmp_path: Path
) -> None:
    """With topics in the store, every requests figure of the report is as without them.

    The methods table gains the deliberation method's column, as ``civicgrid simulate``
    prints it: requests first, then topics.
    """
    before = parsed(write_report(plain, tmp_path / "plain", registry=registry)).cells
    after = parsed(write_report(topics, tmp_path / "topics", registry=registry)).cells
    for table in ("district", "subdistricts", "overdue-list"):
        assert {k: v for k, v in after.items() if k[0] == table} == {
            k: v for k, v in before.items() if k[0] == table
        }, table
    methods = {k: v for k, v in before.items() if k[0] == "methods"}
    assert methods
    assert {k: after[k] for k in methods} == methods  # the topics add rows and a column
    assert after[("methods", "received", TOPICS)] == "3"
    assert not any(key[0] == "deliberation" or key[2] == TOPICS for key in before)


def test_the_deliberation_section_gives_the_topics_figures(
    topics: MemoryStore, registry: Registry, tmp_path: Path
) -> None:
    """Topics received, closed, on time per deadline, time to close, share closed per level."""
    path = write_report(topics, tmp_path / "topics", registry=registry)
    text = path.read_text(encoding="utf-8")
    cells = parsed(path).cells
    assert (
        '<h2 id="deliberation">议事 Deliberation: 五步议事法 Five Steps (five_steps)</h2>' in text
    )
    assert "议题数 <span class=en>topics received</span>" in text
    figures = method_indicators(
        run_indicators(load_run(topics), registry),
        TOPICS,
        datetime.combine(START + timedelta(days=3), time(), DEFAULT_TZ),
    )
    assert (figures.received, figures.closed) == (3, 2)
    shown = {key[1]: value for key, value in cells.items() if key[0] == "deliberation"}
    assert shown["received"] == "3"
    assert shown["closed"] == "2"
    assert shown["outcome.closed"] == shown["outcome.dropped"] == "1"
    for deadline in ("confirmation", "consultation", "report"):
        assert shown[f"on_time.{deadline}"] == "100.0%"
    assert figures.time_to_close is not None
    assert shown["time_to_close.median"] == format_value(figures.time_to_close.median)
    assert shown["closed_at_level.compound"] == "100.0%"
    assert not any(key.startswith(("channel.", "ratings.")) for key in shown)


def test_report_cli_prints_requests_then_topics(
    plain: MemoryStore, registry: Registry, tmp_path: Path
) -> None:
    """``civicgrid report`` of a SQLite run with topics: the requests column, then the topics'."""
    path = tmp_path / "topics.sqlite"
    with SQLiteStore(path) as store:
        copy_with_topics(plain, store, registry)
    status, out = run_cli(["report", f"sqlite:{path}", "--json", "--out", str(tmp_path)], registry)
    assert status == 0
    data = json.loads(out)
    assert list(data["indicators"]) == [METHOD, TOPICS]
    assert data["indicators"][METHOD]["received"] == 24
    assert data["indicators"][TOPICS]["received"] == 3
    assert data["meta"]["methods"]["deliberation"] == TOPICS
    assert 'id="deliberation"' in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_a_run_of_topics_alone_is_reported(registry: Registry, tmp_path: Path) -> None:
    """methods.requests null: no request, the topics' column and section; nothing refused."""
    store = MemoryStore()
    store.append(
        "sim:meta",
        [
            {
                "preset": "tiny",
                "seed": 1,
                "days": 1,
                "start": START.isoformat(),
                "methods": {"requests": None, "deliberation": TOPICS},
                "tz": "Asia/Shanghai",
                "library": "test",
                "schema": 1,
            }
        ],
        expected_version=0,
    )
    for events in topic_events(registry):
        case_id = events[0].case_id
        store.append(case_stream(case_id), encode_events(case_id, events, 0), expected_version=0)
    run = load_run(store, events=False)
    assert run.meta.requests_method is None
    table = summary_table(run, registry, run_indicators(run, registry, store))
    assert table.columns == (TOPICS,)
    assert table.column(TOPICS)["received"] == 3
    cells = parsed(write_report(store, tmp_path, registry=registry)).cells
    assert cells[("district", "received", "district")] == "0"
    assert cells[("deliberation", "received", TOPICS)] == "3"


def test_a_meta_naming_no_method_at_all_is_refused() -> None:
    """Requests and deliberation both null (or not keys) is InvalidData naming the field."""
    record = {
        "preset": "tiny",
        "seed": 1,
        "days": 1,
        "start": START.isoformat(),
        "tz": "Asia/Shanghai",
        "library": "test",
        "schema": 1,
    }
    for methods in ({"requests": None, "deliberation": None}, {"requests": 5}):
        with pytest.raises(InvalidData) as caught:
            read_meta({**record, "methods": methods})
        assert "methods.requests" in {p.path for p in caught.value.problems}
    meta = read_meta({**record, "methods": {"requests": None, "deliberation": TOPICS}})
    assert (meta.requests_method, meta.deliberation_method) == (None, TOPICS)


def test_points_read_page_by_page_equal_the_rebuilt_ledgers() -> None:
    """``load_run(ledger=False)`` reads transactions in pages; the daily points are the same."""
    store = MemoryStore()
    registry = load_registry(entry_points=False)
    simulate("chenghua", days=6, seed=2, store=store, scale=0.005, registry=registry)
    whole = load_run(store, events=False)
    paged = load_run(store, events=False, ledger=False)
    assert whole.ledger is not None
    assert paged.ledger is None
    assert paged.points is not None
    assert whole.points is not None

    def flat(days: dict[Any, Any]) -> dict[Any, Any]:
        return {day: (p.earned, p.redeemed) for day, p in days.items()}

    assert flat(dict(paged.points)) == flat(dict(whole.points))
    assert flat(points_by_day(whole.ledger, whole.meta.zone)) == flat(dict(whole.points))
    assert list(iter_transactions(store, "points", page=7)) == read_transactions(store, "points")
