"""The problem ledger (问题台账, I7): rows folded from events, for a unit and a period."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from civicgrid import (
    Actor,
    Channel,
    DeadlineStatus,
    Engine,
    ManualClock,
    Method,
    PersonName,
    PhoneNumber,
    Rating,
    Registry,
    Request,
    RequestDesk,
    Unit,
    UnitKind,
    UnitTree,
    compile_method,
    method_from_data,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.domain.units import UnknownUnit
from civicgrid.errors import InvalidData
from civicgrid.interchange.ledger import (
    LEDGER_COLUMNS,
    LedgerRow,
    ledger_json,
    ledger_rows,
    write_ledger_csv,
)

NOV = datetime(2026, 11, 2, 9, 0, tzinfo=DEFAULT_TZ)
"""Monday 2 November 2026, 09:00 in Shanghai: the month's first working morning."""
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
OPERATOR = Actor(id="operator-1", roles={"operator"})
GRID_WORKER = Actor(id="grid-worker-1", roles={"grid_worker"}, levels={"grid"})
COMMUNITY = Actor(id="community-1", roles={"community"}, levels={"community"})
RESIDENT = Actor(id="resident-1", roles={"resident"})
START, END = date(2026, 11, 1), date(2026, 12, 1)


def transition(trigger: str, source: str, target: str, zh: str, **more: Any) -> dict[str, Any]:
    """One transition of the ledger method."""
    base = {"trigger": trigger, "from": [source], "to": target, "label_zh": zh, "label_en": trigger}
    return base | more


def ledger_method() -> Method:
    """问题收集 → 处置 → 反馈 → 办结, on the grid → community → subdistrict ladder."""
    steps = [("collect", "问题收集"), ("handle", "处置"), ("feedback", "反馈")]
    handlers = ["grid_worker", "community"]
    return method_from_data(
        {
            "key": "ledger_test",
            "label_zh": "问题台账",
            "label_en": "problem ledger",
            "initial": "collect",
            "open_roles": ["operator"],
            "roles": [
                {"key": key, "label_zh": key, "label_en": key}
                for key in ("operator", "grid_worker", "community", "resident")
            ],
            "steps": [
                *({"key": key, "label_zh": zh, "label_en": key} for key, zh in steps),
                {"key": "closed", "label_zh": "办结", "label_en": "closed", "terminal": True},
            ],
            "transitions": [
                transition("accept", "collect", "handle", "接件", roles=handlers),
                transition("escalate", "handle", "handle", "上报", roles=handlers, escalate=True),
                transition(
                    "answer",
                    "handle",
                    "feedback",
                    "反馈",
                    roles=handlers,
                    guards=["acts_at_case_level", "feedback_given"],
                ),
                transition("rate", "feedback", "closed", "评价", roles=["resident"])
                | {"guards": ["rating_closes"]},
                transition("reopen", "feedback", "handle", "重办", roles=["resident"])
                | {"guards": ["rating_reopens"]},
            ],
            "deadlines": [
                {
                    "key": "accept_in",
                    "label_zh": "2小时内接件",
                    "label_en": "accepted within two hours",
                    "start": ["collect"],
                    "stop": ["handle"],
                    "duration": {"hours": 2},
                },
                {
                    "key": "handle_in",
                    "label_zh": "3日内反馈",
                    "label_en": "answered within three days",
                    "start": ["handle"],
                    "stop": ["feedback"],
                    "duration": {"days": 3},
                },
            ],
            "escalation": [
                {"key": "grid", "label_zh": "网格", "label_en": "grid"},
                {"key": "community", "label_zh": "社区", "label_en": "community"},
                {"key": "subdistrict", "label_zh": "街道", "label_en": "subdistrict"},
            ],
        }
    )


def tree() -> UnitTree:
    """A subdistrict with two communities; the first with two grids and three buildings."""

    def unit(unit_id: str, kind: UnitKind, name: str, parent: str | None) -> Unit:
        return Unit(id=unit_id, kind=kind, name_zh=name, parent=parent)

    return UnitTree(
        [
            unit("s", UnitKind.SUBDISTRICT, "东湖街道", None),
            unit("c1", UnitKind.COMMUNITY, "锦华社区", "s"),
            unit("g1", UnitKind.GRID, "第一网格", "c1"),
            unit("b1", UnitKind.BUILDING, "1栋", "g1"),
            unit("b2", UnitKind.BUILDING, "2栋", "g1"),
            unit("g2", UnitKind.GRID, "第二网格", "c1"),
            unit("b3", UnitKind.BUILDING, "3栋", "g2"),
            unit("c2", UnitKind.COMMUNITY, "静安社区", "s"),
            unit("b9", UnitKind.BUILDING, "9栋", "c2"),
        ]
    )


def request(request_id: str, at: datetime, unit: str, text: str, **more: Any) -> Request:
    """A hotline request about ``unit``."""
    return Request(
        id=request_id,
        channel=more.pop("channel", Channel.HOTLINE_12345),
        text=text,
        submitted_at=at,
        unit=unit,
        category=more.pop("category", "环境卫生"),
        **more,
    )


@pytest.fixture
def desk(registry: Registry) -> RequestDesk:
    """A November of requests, handled in every way the ledger must show."""
    clock = ManualClock(NOV)
    engine = Engine([compile_method(ledger_method(), registry.guards)], clock=clock)
    desk = RequestDesk(engine, method="ledger_test")
    fire = engine.fire

    smooth = desk.receive(
        request(
            "r1",
            NOV,
            "b1",
            "1栋楼道灯坏了，请联系我13812345678",
            reporter_name=PersonName("王建国"),
            reporter_phone=PhoneNumber("13812345678"),
        ),
        actor=OPERATOR,
    )
    fire(smooth, "accept", GRID_WORKER, at=NOV + HOUR, assignee="grid-worker-1")
    fire(smooth, "answer", GRID_WORKER, at=NOV + 5 * HOUR, data={"feedback": "已更换灯泡"})
    fire(smooth, "rate", RESIDENT, at=NOV + DAY, data={"rating": "satisfied"})

    hard_at = NOV + DAY
    hard = desk.receive(
        request("r2", hard_at, "b3", "3栋外墙瓷砖脱落，有安全隐患", category="房屋安全"),
        actor=OPERATOR,
    )
    fire(hard, "accept", GRID_WORKER, at=hard_at + HOUR)
    fire(hard, "escalate", GRID_WORKER, at=hard_at + 2 * HOUR, assignee="community-1")
    engine.tick(hard_at + 5 * DAY)  # 3 days to answer: breached
    fire(hard, "answer", COMMUNITY, at=hard_at + 5 * DAY, data={"feedback": "已拉警戒线"})
    fire(hard, "reopen", RESIDENT, at=hard_at + 6 * DAY, data={"rating": "unsatisfied"})
    done = hard_at + 7 * DAY
    answer = "已请施工队修复外墙，请致电028-85123456"
    fire(hard, "answer", COMMUNITY, at=done, data={"feedback": answer})
    fire(hard, "rate", RESIDENT, at=done + HOUR, data={"rating": "basically_satisfied"})

    desk.receive(request("r3", NOV + 3 * DAY, "b2", "2栋门口共享单车乱停"), actor=OPERATOR)
    desk.receive(request("r4", NOV - 2 * DAY, "b1", "十月的问题"), actor=OPERATOR)
    desk.receive(request("r5", NOV + 4 * DAY, "b9", "另一个社区的问题"), actor=OPERATOR)
    last = datetime(2026, 11, 30, 23, 59, tzinfo=DEFAULT_TZ)
    desk.receive(request("r6", last, "b1", "月末最后一分钟"), actor=OPERATOR)
    desk.receive(request("r7", last + 2 * MINUTE, "b1", "十二月"), actor=OPERATOR)
    return desk


def rows_of(desk: RequestDesk, **options: Any) -> list[LedgerRow]:
    """The November ledger of the first community, from the desk."""
    return ledger_rows(desk, desk, unit="c1", tree=tree(), start=START, end=END, **options)


# --------------------------------------------------------------------------- rows


def test_the_ledger_holds_the_periods_requests_under_the_unit_in_order(
    desk: RequestDesk,
) -> None:
    """October, December and the other community's requests are left out; the last minute in."""
    assert [row.id for row in rows_of(desk)] == ["r1", "r2", "r3", "r6"]


def test_a_request_closed_at_the_grid_shows_its_whole_course(desk: RequestDesk) -> None:
    """Received, assigned, deadlines met, answered, rated and closed at the grid."""
    row = rows_of(desk)[0]
    assert (row.channel, row.category, row.unit, row.unit_name) == (
        Channel.HOTLINE_12345,
        "环境卫生",
        "b1",
        "1栋",
    )
    assert row.received_at == NOV
    assert (row.method_zh, row.step_zh, row.outcome, row.outcome_zh) == (
        "问题台账",
        "办结",
        "closed",
        "办结",
    )
    assert (row.level, row.level_closed, row.level_closed_zh) == ("grid", "grid", "网格")
    assert row.assignee == "grid-worker-1"
    assert [(d.key, d.status) for d in row.deadlines] == [
        ("accept_in", DeadlineStatus.MET),
        ("handle_in", DeadlineStatus.MET),
    ]
    assert row.deadlines[0].due == NOV + 2 * HOUR
    assert (row.rating, row.reopened, row.breached) == (Rating.SATISFIED, 0, False)
    assert row.feedback == "已更换灯泡"
    assert row.closed_at == NOV + DAY


def test_an_escalated_breached_and_reopened_request_says_so(desk: RequestDesk) -> None:
    """Closed at the community after a breach and one reopen; the last rating counts."""
    row = rows_of(desk)[1]
    assert (row.level, row.level_closed, row.level_closed_zh) == ("community", "community", "社区")
    assert row.assignee == "community-1"
    assert row.reopened == 1
    assert row.rating is Rating.BASICALLY_SATISFIED
    handle = row.deadlines[1]
    assert (handle.key, handle.status, handle.breaches) == ("handle_in", DeadlineStatus.MET, 1)
    assert row.breached
    assert row.closed_at == NOV + 8 * DAY + HOUR


def test_an_open_request_has_no_outcome_yet(desk: RequestDesk) -> None:
    """Still being collected: its step, level and running deadline, nothing closed."""
    row = rows_of(desk)[2]
    assert (row.step, row.step_zh, row.level_zh) == ("collect", "问题收集", "网格")
    assert (row.outcome, row.level_closed, row.closed_at, row.rating) == (None, None, None, None)
    assert [(d.key, d.status) for d in row.deadlines] == [("accept_in", DeadlineStatus.RUNNING)]


def test_personal_data_is_masked_unless_asked(desk: RequestDesk) -> None:
    """Names, phones and numbers inside the text and the answer are masked by default."""
    masked = rows_of(desk)
    assert (masked[0].reporter_name, masked[0].reporter_phone) == ("王**", "138****5678")
    assert masked[0].text == "1栋楼道灯坏了，请联系我138****5678"
    assert masked[1].feedback == "已请施工队修复外墙，请致电028-******56"
    shown = rows_of(desk, reveal_personal=True)
    assert (shown[0].reporter_name, shown[0].reporter_phone) == ("王建国", "13812345678")
    assert shown[0].text.endswith("13812345678")


def test_without_a_tree_only_the_unit_itself_is_kept(desk: RequestDesk) -> None:
    """No tree, no subtree: the filter compares unit ids, and rows carry no unit names."""
    rows = ledger_rows(desk, desk, unit="b1", start=START, end=END)
    assert [(row.id, row.unit_name) for row in rows] == [("r1", None), ("r6", None)]
    assert len(ledger_rows(desk, desk, start=START, end=END)) == 5  # every unit


def test_the_period_follows_the_ledgers_timezone(desk: RequestDesk) -> None:
    """A minute past midnight in Shanghai on 1 December is still 30 November in UTC."""
    utc = ledger_rows(desk, desk, unit="b1", tz=UTC, start=START, end=END)
    assert [row.id for row in utc] == ["r1", "r6", "r7"]


def test_requests_may_be_given_as_a_list_or_by_id(desk: RequestDesk) -> None:
    """The desk, a list of requests and a mapping by id give the same rows."""
    requests = [desk.request(case.id) for case in desk]
    by_list = ledger_rows(desk, requests, start=START, end=END)
    by_id = ledger_rows(list(desk), {r.id: r for r in requests}, start=START, end=END)
    assert by_list == by_id == ledger_rows(desk, desk, start=START, end=END)


def test_a_case_without_its_request_or_a_bad_period_is_refused(desk: RequestDesk) -> None:
    """Every missing request is named; the period must run forward over whole days."""
    with pytest.raises(InvalidData) as refused:
        ledger_rows(desk, [desk.request("r1")], start=START, end=END)
    assert [p.path for p in refused.value.problems] == [
        "cases['r2']",
        "cases['r3']",
        "cases['r5']",
        "cases['r6']",
    ]
    with pytest.raises(InvalidData) as refused:
        ledger_rows(desk, desk, start=date(2026, 12, 1), end=date(2026, 11, 1))
    assert [str(p) for p in refused.value.problems] == ["end: must come after start (2026-12-01)"]
    with pytest.raises(InvalidData) as refused:
        ledger_rows(desk, desk, start=NOV, end=date(2026, 12, 1))
    assert [p.path for p in refused.value.problems] == ["start"]
    with pytest.raises(UnknownUnit):
        ledger_rows(desk, desk, unit="c9", tree=tree(), start=START, end=END)


# --------------------------------------------------------------------------- files


def test_the_csv_starts_with_a_byte_order_mark_and_a_chinese_header(desk: RequestDesk) -> None:
    """Excel on Chinese Windows needs the mark; the columns are the ledger's own words."""
    stream = io.StringIO(newline="")
    write_ledger_csv(rows_of(desk), stream)
    text = stream.getvalue()
    assert text.startswith("\ufeff编号,受理时间,来源渠道,")
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert table[0] == [header for _, header in LEDGER_COLUMNS]
    first = dict(zip(table[0], table[1], strict=True))
    assert first["受理时间"] == "2026-11-02 09:00"
    assert first["来源渠道"] == "12345热线"
    assert first["所属单元"] == "1栋"
    assert first["联系电话"] == "138****5678"
    assert first["办结层级"] == "网格"
    assert first["办理时限"] == (
        "2小时内接件（截止 2026-11-02 11:00）按时完成；3日内反馈（截止 2026-11-05 10:00）按时完成"
    )
    assert (first["是否超时"], first["群众评价"], first["办理结果"]) == ("否", "满意", "办结")
    second = dict(zip(table[0], table[2], strict=True))
    assert second["是否超时"] == "是"
    assert second["办理时限"].endswith("按时完成，曾超时")
    assert second["重新办理次数"] == "1"


def test_a_path_is_written_as_utf8_with_the_mark_once(desk: RequestDesk, tmp_path: Path) -> None:
    """A file gets exactly one mark, also through a stream that writes its own."""
    path = tmp_path / "台账.csv"
    write_ledger_csv(rows_of(desk), path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert not data[3:].startswith(b"\xef\xbb\xbf")
    other = tmp_path / "sig.csv"
    with other.open("w", encoding="utf-8-sig", newline="") as stream:
        write_ledger_csv(rows_of(desk), stream)
    assert other.read_bytes() == data


def test_the_json_ledger_carries_keys_labels_and_instants(desk: RequestDesk) -> None:
    """One object per row, Chinese text as is, instants with their offset."""
    data = json.loads(ledger_json(rows_of(desk)))
    assert [item["id"] for item in data] == ["r1", "r2", "r3", "r6"]
    second = data[1]
    assert second["received_at"] == "2026-11-03T09:00:00+08:00"
    assert (second["channel"], second["channel_zh"]) == ("hotline_12345", "12345热线")
    assert (second["rating"], second["rating_zh"]) == ("basically_satisfied", "基本满意")
    assert second["deadlines"][1]["breaches"] == 1
    assert second["breached"] is True
    assert "王建国" not in ledger_json(rows_of(desk))
