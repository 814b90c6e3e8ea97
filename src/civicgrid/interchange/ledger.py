"""The problem ledger (问题台账, DOMAIN.md I7): one row per request, as CSV and JSON.

A community keeps a ledger of every problem collected (问题收集 → 处置 → 反馈): where it came
from, what it is, who handles it, by when, how it ended and what the resident said. Here the
ledger is derived from the recorded events of each case and the request as received, never
typed in twice (DOMAIN.md X): :func:`ledger_rows` builds the rows for a unit and a period,
:func:`write_ledger_csv` writes them for Excel and :func:`ledger_json` as JSON.

A request belongs to the period when it was received on a day from ``start`` (inclusive) to
``end`` (exclusive), in the ledger's timezone; with a ``unit``, when it concerns that unit or,
given the unit tree, any unit below it. Personal data is masked unless
``reveal_personal=True``: names and phone numbers in their masked forms, and the request's
text and the feedback through :func:`~civicgrid.domain.personal.mask_text`.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any, TextIO

import attrs

from civicgrid.domain.personal import mask_text
from civicgrid.domain.requests import Channel, Rating, Request
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.domain.units import UnitTree
from civicgrid.errors import InvalidData, Problem
from civicgrid.workflows.case import Case
from civicgrid.workflows.deadlines import DeadlineStatus
from civicgrid.workflows.event import EventKind
from civicgrid.workflows.intake import RequestDesk

__all__ = [
    "LEDGER_COLUMNS",
    "LedgerDeadline",
    "LedgerRow",
    "last_feedback",
    "last_rating",
    "ledger_json",
    "ledger_rows",
    "write_ledger_csv",
]

_REOPEN = "reopen"  # the trigger every request method reopens a case with (issue 4)

_STATUS_ZH = {
    DeadlineStatus.RUNNING: "计时中",
    DeadlineStatus.PAUSED: "暂停计时",
    DeadlineStatus.MET: "按时完成",
    DeadlineStatus.BREACHED: "已超时",
}
_RATINGS = {rating.value: rating for rating in Rating}
_CHANNELS = {channel.value: channel for channel in Channel}


def last_feedback(case: Case) -> str | None:
    """Return the last non-blank answer to the resident (``data["feedback"]``), if any."""
    for event in reversed(case.events):
        feedback = (event.data or {}).get("feedback")
        if isinstance(feedback, str) and feedback.strip():
            return feedback
    return None


def last_rating(case: Case) -> Rating | None:
    """Return the resident's last rating (``data["rating"]`` of a recorded event), if any."""
    for event in reversed(case.events):
        rating = (event.data or {}).get("rating")
        if isinstance(rating, str) and rating in _RATINGS:
            return _RATINGS[rating]
    return None


@attrs.frozen(kw_only=True)
class LedgerDeadline:
    """One deadline of a case as the ledger shows it: due when, and met or breached."""

    key: str
    label_zh: str
    status: DeadlineStatus
    due: datetime | None
    """When it falls due (``None`` while paused: the clock is stopped)."""
    ended_at: datetime | None
    """When it was met or breached."""
    breaches: int = 0
    """How many times it was breached, from the events: a deadline started again after a
    reopen may be met now and still have been breached before."""

    @property
    def status_zh(self) -> str:
        """The status in Chinese: 计时中, 暂停计时, 按时完成, 已超时."""
        return _STATUS_ZH[self.status]


@attrs.frozen(kw_only=True)
class LedgerRow:
    """One request in the ledger, with where its case stands; free text already masked."""

    id: str
    received_at: datetime
    channel: Channel
    category: str | None
    unit: str | None
    unit_name: str | None
    """The unit's Chinese name, when the ledger was given the unit tree."""
    text: str
    reporter_name: str | None
    reporter_phone: str | None
    method: str
    method_zh: str
    step: str
    step_zh: str
    level: str | None
    level_zh: str | None
    level_closed: str | None
    """The level the case was closed at (``None`` while open): 小事不出网格, measured."""
    level_closed_zh: str | None
    assignee: str | None
    deadlines: tuple[LedgerDeadline, ...]
    rating: Rating | None
    reopened: int
    """How many times a poor rating reopened the case."""
    outcome: str | None
    """The terminal step the case ended in (``closed``, ``withdrawn`` …), ``None`` while open."""
    outcome_zh: str | None
    feedback: str | None
    closed_at: datetime | None

    @property
    def breached(self) -> bool:
        """Whether any deadline of the case was ever breached."""
        return any(d.breaches for d in self.deadlines)

    def as_json(self) -> dict[str, Any]:
        """Return the row as JSON-ready data: instants in ISO 8601, labels beside keys."""
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "channel": self.channel.value,
            "channel_zh": self.channel.label_zh,
            "category": self.category,
            "unit": self.unit,
            "unit_name": self.unit_name,
            "text": self.text,
            "reporter_name": self.reporter_name,
            "reporter_phone": self.reporter_phone,
            "method": self.method,
            "method_zh": self.method_zh,
            "step": self.step,
            "step_zh": self.step_zh,
            "level": self.level,
            "level_zh": self.level_zh,
            "level_closed": self.level_closed,
            "level_closed_zh": self.level_closed_zh,
            "assignee": self.assignee,
            "deadlines": [
                {
                    "key": d.key,
                    "label_zh": d.label_zh,
                    "status": d.status.value,
                    "status_zh": d.status_zh,
                    "due": _iso(d.due),
                    "ended_at": _iso(d.ended_at),
                    "breaches": d.breaches,
                }
                for d in self.deadlines
            ],
            "breached": self.breached,
            "rating": None if self.rating is None else self.rating.value,
            "rating_zh": None if self.rating is None else self.rating.label_zh,
            "reopened": self.reopened,
            "outcome": self.outcome,
            "outcome_zh": self.outcome_zh,
            "feedback": self.feedback,
            "closed_at": _iso(self.closed_at),
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# --------------------------------------------------------------------------- rows


def ledger_rows(
    cases: Iterable[Case],
    requests: Mapping[str, Request] | Iterable[Request] | RequestDesk,
    *,
    unit: str | None = None,
    start: date,
    end: date,
    tree: UnitTree | None = None,
    tz: tzinfo = DEFAULT_TZ,
    reveal_personal: bool = False,
) -> list[LedgerRow]:
    """Return the ledger of the requests received from ``start`` to ``end`` (exclusive).

    ``cases`` are the requests' cases (a :class:`~civicgrid.RequestDesk` iterates over its
    own), ``requests`` the requests by id, a sequence of them, or the desk. ``unit`` keeps the
    requests concerning that unit, and with ``tree`` those under it too (an unknown unit raises
    :class:`~civicgrid.domain.units.UnknownUnit`); the tree also names each row's unit. Rows
    come in the order received. A case with no request, or a period that ends before it
    starts, is refused with :class:`~civicgrid.errors.InvalidData`.
    """
    problems = [
        Problem(name, "must be a date (a whole day), not a datetime")
        for name, day in (("start", start), ("end", end))
        if isinstance(day, datetime)
    ]
    if not problems and end <= start:
        problems.append(Problem("end", f"must come after start ({start.isoformat()})"))
    if problems:
        raise InvalidData("ledger period", problems)
    if isinstance(requests, RequestDesk):
        by_id: Mapping[str, Request] = {case.id: requests.request(case.id) for case in requests}
    elif isinstance(requests, Mapping):
        by_id = requests
    else:
        by_id = {request.id: request for request in requests}
    within: set[str] | None = None
    if unit is not None:
        within = {unit} if tree is None else {unit, *(u.id for u in tree.descendants(unit))}
    rows: list[LedgerRow] = []
    missing: list[Problem] = []
    for case in cases:
        if not start <= case.opened_at.astimezone(tz).date() < end:
            continue
        request = by_id.get(case.id)
        if request is None:
            missing.append(Problem(f"cases[{case.id!r}]", "no request with this id was given"))
            continue
        row = _row(case, request, tree, reveal_personal)
        if within is None or row.unit in within:
            rows.append(row)
    if missing:
        raise InvalidData("problem ledger", missing)
    rows.sort(key=lambda row: (row.received_at, row.id))
    return rows


def _row(case: Case, request: Request, tree: UnitTree | None, reveal: bool) -> LedgerRow:
    """Fold one case's events, with its request, into a ledger row."""
    opened = case.data or {}
    channel, unit, category = (opened.get(key) for key in ("channel", "unit", "category"))
    channel = _CHANNELS.get(channel, request.channel) if isinstance(channel, str) else None
    unit = unit if isinstance(unit, str) and unit else request.unit
    category = category if isinstance(category, str) and category else request.category
    method = case.method
    levels = {level.key: level.label_zh for level in method.escalation}
    order = {deadline.key: i for i, deadline in enumerate(method.deadlines)}
    labels = {deadline.key: deadline.label_zh for deadline in method.deadlines}
    breaches = Counter(e.trigger for e in case.events if e.kind is EventKind.BREACHED)
    closed = case.is_closed
    name, phone = request.reporter_name, request.reporter_phone
    feedback = last_feedback(case)
    if not reveal:
        feedback = None if feedback is None else mask_text(feedback)
    return LedgerRow(
        id=case.id,
        received_at=case.opened_at,
        channel=channel or request.channel,
        category=category,
        unit=unit,
        unit_name=tree.unit(unit).name_zh if tree is not None and unit and unit in tree else None,
        text=request.text if reveal else mask_text(request.text),
        reporter_name=None if name is None else (name.reveal() if reveal else name.masked),
        reporter_phone=None if phone is None else (phone.reveal() if reveal else phone.masked),
        method=method.key,
        method_zh=method.label_zh,
        step=case.step,
        step_zh=case.current_step.label_zh,
        level=case.level,
        level_zh=levels.get(case.level or ""),
        level_closed=case.level if closed else None,
        level_closed_zh=levels.get(case.level or "") if closed else None,
        assignee=case.assignee,
        deadlines=tuple(
            LedgerDeadline(
                key=key,
                label_zh=labels.get(key, key),
                status=state.status,
                due=state.due,
                ended_at=state.ended_at,
                breaches=breaches[key],
            )
            for key, state in sorted(case.deadlines.items(), key=lambda item: order[item[0]])
        ),
        rating=last_rating(case),
        reopened=sum(
            1
            for event in case.events
            if event.kind is EventKind.TRANSITION and event.trigger == _REOPEN
        ),
        outcome=case.step if closed else None,
        outcome_zh=case.current_step.label_zh if closed else None,
        feedback=feedback,
        closed_at=case.updated_at if closed else None,
    )


# --------------------------------------------------------------------------- writing

LEDGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "编号"),
    ("received_at", "受理时间"),
    ("channel", "来源渠道"),
    ("category", "问题类别"),
    ("unit", "单元编号"),
    ("unit_name", "所属单元"),
    ("text", "问题描述"),
    ("reporter_name", "反映人"),
    ("reporter_phone", "联系电话"),
    ("method", "工作法"),
    ("step", "当前环节"),
    ("level", "当前层级"),
    ("level_closed", "办结层级"),
    ("assignee", "责任人"),
    ("deadlines", "办理时限"),
    ("breached", "是否超时"),
    ("rating", "群众评价"),
    ("reopened", "重新办理次数"),
    ("outcome", "办理结果"),
    ("feedback", "答复意见"),
    ("closed_at", "办结时间"),
)
"""The CSV columns as (key, Chinese header), in order; the header row is the Chinese one."""

_TIME = "%Y-%m-%d %H:%M"


def _cells(row: LedgerRow, tz: tzinfo) -> list[str]:
    def when(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(tz).strftime(_TIME)

    def deadline(d: LedgerDeadline) -> str:
        due = "暂停计时" if d.due is None else f"截止 {when(d.due)}"
        before = "" if d.status is DeadlineStatus.BREACHED or not d.breaches else "，曾超时"
        return f"{d.label_zh}（{due}）{d.status_zh}{before}"

    return [
        row.id,
        when(row.received_at),
        row.channel.label_zh,
        row.category or "",
        row.unit or "",
        row.unit_name or "",
        row.text,
        row.reporter_name or "",
        row.reporter_phone or "",
        row.method_zh,
        row.step_zh,
        row.level_zh or row.level or "",
        row.level_closed_zh or row.level_closed or "",
        row.assignee or "",
        "；".join(map(deadline, row.deadlines)),
        "是" if row.breached else "否",
        "" if row.rating is None else row.rating.label_zh,
        str(row.reopened),
        row.outcome_zh or "",
        row.feedback or "",
        when(row.closed_at),
    ]


def write_ledger_csv(
    rows: Iterable[LedgerRow], target: str | os.PathLike[str] | TextIO, *, tz: tzinfo = DEFAULT_TZ
) -> None:
    """Write the ledger as CSV: a Chinese header row, then one row per request.

    The text is UTF-8 preceded by a byte-order mark. Excel on Chinese Windows reads a CSV
    without one in the ANSI code page (GBK), which turns every Chinese character into
    mojibake; the mark tells it the file is UTF-8, and other tools skip it. A path is written
    with the mark; to a stream the mark is written first, unless the stream's own encoding is
    ``utf-8-sig`` (which writes it already). Open streams with ``newline=""``, as :mod:`csv`
    asks. Times are local to ``tz``, to the minute; labels are the Chinese ones.
    """
    if isinstance(target, str | os.PathLike):
        with Path(target).open("w", encoding="utf-8-sig", newline="") as stream:
            _write(rows, stream, tz)
        return
    encoding = (getattr(target, "encoding", None) or "").lower().replace("_", "-")
    if encoding != "utf-8-sig":
        target.write("\ufeff")
    _write(rows, target, tz)


def _write(rows: Iterable[LedgerRow], stream: TextIO, tz: tzinfo) -> None:
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([header for _, header in LEDGER_COLUMNS])
    writer.writerows(_cells(row, tz) for row in rows)


def ledger_json(rows: Iterable[LedgerRow]) -> str:
    """Return the ledger as JSON text: an array of :meth:`LedgerRow.as_json` objects."""
    return json.dumps([row.as_json() for row in rows], ensure_ascii=False, indent=2)
