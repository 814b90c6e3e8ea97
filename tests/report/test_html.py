"""The HTML report: its figures are the stored events' indicators; it is self-contained."""

from __future__ import annotations

import sys
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from civicgrid import DEFAULT_TZ, Registry
from civicgrid.report.charts import MissingReportExtra
from civicgrid.report.comparison import format_value
from civicgrid.report.html import REPORT_FILE, write_report
from civicgrid.report.indicators import IndicatorBuilder, Indicators
from civicgrid.report.loading import NotARun, load_run
from civicgrid.report.records import IndicatorDimension
from civicgrid.store import MemoryStore
from test_cli_report import METHOD, ODD_NAME, START, Written, write_run

END = datetime.combine(START + timedelta(days=3), time(), DEFAULT_TZ)


class Cells(HTMLParser):
    """Collect every table cell as {(table id, row key or currency, column): text}."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str, str], str] = {}
        self.table = self.row = self.column = ""
        self.text: list[str] | None = None
        self.all_text: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note the table, row and column a cell belongs to."""
        found = dict(attrs)
        self.attributes.extend(attrs)
        if tag == "table":
            self.table = found.get("id") or ""
        elif tag == "tr":
            self.row = found.get("data-key") or found.get("data-currency") or ""
        elif tag == "td":
            self.column = found.get("data-column") or found.get("data-key") or ""
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        """Keep a cell's text when it ends."""
        if tag == "td" and self.text is not None:
            self.cells[(self.table, self.row, self.column)] = "".join(self.text)
            self.text = None

    def handle_data(self, data: str) -> None:
        """Collect text, in a cell and on the page."""
        self.all_text.append(data)
        if self.text is not None:
            self.text.append(data)


@pytest.fixture(scope="module")
def written(registry: Registry) -> tuple[MemoryStore, Written]:
    """Three days of eight 53522 requests, in memory."""
    store = MemoryStore()
    return store, write_run(store, registry)


@pytest.fixture(scope="module")
def page(
    written: tuple[MemoryStore, Written],
    registry: Registry,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, Cells]:
    """The report written for the run, as text and parsed."""
    path = write_report(written[0], tmp_path_factory.mktemp("report"), registry=registry)
    assert path.name == REPORT_FILE
    text = path.read_text(encoding="utf-8")
    cells = Cells()
    cells.feed(text)
    return text, cells


def builder(store: MemoryStore, registry: Registry) -> IndicatorBuilder:
    """An IndicatorBuilder fed the stored events, independently of the report."""
    folded = IndicatorBuilder(registry.compiled, calendar=registry.calendar)
    folded.extend(load_run(store).events)
    return folded


def figures(indicators: Indicators) -> dict[str, str]:
    """The headline figures as the report formats them."""
    shown = {
        "received": format_value(indicators.received),
        "closed": format_value(indicators.closed),
        "completion_rate": format_value(indicators.completion_rate),
        "overdue": format_value(len(indicators.overdue)),
    }
    for key, tally in indicators.deadlines.items():
        shown[f"on_time.{key}"] = format_value(tally.on_time_rate)
    for level, share in indicators.share_closed_at_level.items():
        shown[f"closed_at_level.{level or ''}"] = format_value(share)
    return shown


def test_district_figures_are_the_indicators_of_the_stored_events(
    written: tuple[MemoryStore, Written], registry: Registry, page: tuple[str, Cells]
) -> None:
    """Received, completion, on-time per deadline and closed per level match IndicatorBuilder."""
    indicators = builder(written[0], registry).indicators(as_of=END)
    expected = figures(indicators)
    shown = {key: page[1].cells[("district", key, "district")] for key in expected}
    assert shown == expected
    assert indicators.received == 24
    assert {"on_time.on_site", "closed_at_level.grid", "closed_at_level.compound"} <= set(expected)


def test_subdistrict_columns_roll_up_their_communities(
    written: tuple[MemoryStore, Written], registry: Registry, page: tuple[str, Cells]
) -> None:
    """Each subdistrict column shows the indicators grouped by unit up the tree."""
    run = load_run(written[0])
    grouped = builder(written[0], registry).grouped(
        [IndicatorDimension.UNIT], tree=run.tree, as_of=END
    )
    subdistricts = [k for k in grouped if k.unit and k.unit.startswith("sd")]
    assert len(subdistricts) == 2
    for key in subdistricts:
        expected = figures(grouped[key])
        assert {k: page[1].cells[("subdistricts", k, key.unit or "")] for k in expected} == expected


def test_methods_table_has_one_column_for_the_one_method(
    written: tuple[MemoryStore, Written], registry: Registry, page: tuple[str, Cells]
) -> None:
    """One method in the run: one column, the same figures as the district's."""
    columns = {column for table, _, column in page[1].cells if table == "methods"}
    assert columns == {METHOD}
    received = page[1].cells[("methods", "received", METHOD)]
    assert received == page[1].cells[("district", "received", "district")]


def test_points_earned_and_redeemed_come_from_the_ledger(
    written: tuple[MemoryStore, Written], page: tuple[str, Cells]
) -> None:
    """Earned is what the issuer gave out, redeemed what reached sink:redeemed."""
    cells = page[1].cells
    assert cells[("points", "city_points", "earned")] == str(written[1].earned) == "120"
    assert cells[("points", "city_points", "redeemed")] == str(written[1].redeemed) == "10"


def test_the_overdue_list_names_every_overdue_case(
    written: tuple[MemoryStore, Written], registry: Registry, page: tuple[str, Cells]
) -> None:
    """Each overdue case of the indicators has a row, longest first."""
    overdue = builder(written[0], registry).indicators(as_of=END).overdue
    text = page[0]
    assert overdue
    positions = [text.index(f'data-case="{case.case_id}"') for case in overdue]
    assert positions == sorted(positions)


def test_the_page_loads_nothing_from_the_network(page: tuple[str, Cells]) -> None:
    """No http:// or https:// anywhere, no script, no external link."""
    text = page[0]
    assert "http://" not in text
    assert "https://" not in text
    assert "<script" not in text
    linked = [v for k, v in page[1].attributes if k in {"src", "href"} and v]
    assert all(v.startswith("#") for v in linked)


def test_labels_are_chinese_first_with_english_beside(page: tuple[str, Cells]) -> None:
    """Chart titles and table labels carry both languages, Chinese first."""
    text = page[0]
    for label in (
        "每日诉求（按渠道） requests per day by channel",
        "按期率（按时限） on-time rate per deadline",
        "各层级办结占比 share closed at each level",
        "办结用时分布 time to close",
        "超期清单 Overdue list",
        "受理数 <span class=en>requests received</span>",
    ):
        assert label in text


def test_text_from_the_store_is_escaped(page: tuple[str, Cells]) -> None:
    """A unit name with markup is shown as text, never as markup."""
    text = page[0]
    assert ODD_NAME not in text
    assert "<b>" not in text
    assert ODD_NAME in "".join(page[1].all_text)


def test_the_same_run_gives_the_same_file(
    written: tuple[MemoryStore, Written],
    registry: Registry,
    tmp_path: Path,
    page: tuple[str, Cells],
) -> None:
    """No random chart ids: writing again gives the same bytes."""
    again = write_report(load_run(written[0]), tmp_path, registry=registry)
    assert again.read_text(encoding="utf-8") == page[0]


def test_a_store_without_meta_is_refused(registry: Registry, tmp_path: Path) -> None:
    """No sim:meta: NotARun, and no file is written."""
    with pytest.raises(NotARun):
        write_report(MemoryStore(), tmp_path, registry=registry)
    assert not list(tmp_path.iterdir())


def test_without_the_extra_the_error_names_the_install_command(
    written: tuple[MemoryStore, Written],
    registry: Registry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without pygal: MissingReportExtra (an ImportError) saying pip install civicgrid[report]."""
    monkeypatch.setitem(sys.modules, "pygal", None)
    with pytest.raises(MissingReportExtra, match=r"pip install civicgrid\[report\]") as caught:
        write_report(written[0], tmp_path, registry=registry)
    assert isinstance(caught.value, ImportError)
    assert "pip install civicgrid[report]" in (caught.value.message_zh or "")
    assert not list(tmp_path.iterdir())
