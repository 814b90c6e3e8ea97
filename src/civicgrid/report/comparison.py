"""Methods side by side: one indicator table, one column per method (DOMAIN.md X).

Every level invents a branded "model" (over-innovation, 002). The library's answer: a method is
data running on one kernel, so any two are measured with the same indicators.
:func:`compare_methods` lays :class:`~civicgrid.report.indicators.Indicators` out as one row
per indicator and one column per method (or per unit, per period: any labelled columns), as
data and as text with Chinese and English labels.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta

import attrs

from civicgrid.domain.requests import LEVELS, Channel, Rating
from civicgrid.errors import InvalidData, Problem
from civicgrid.report.indicators import Indicators
from civicgrid.workflows.method import Method

__all__ = ["Comparison", "ComparisonRow", "Value", "compare_methods", "format_value"]

Value = int | float | timedelta | None
"""A cell: a count, a rate (a fraction), a duration, or ``None`` where there is no figure."""


@attrs.frozen(kw_only=True)
class ComparisonRow:
    """One indicator across the columns: its key, its labels and a value per column."""

    key: str
    """Stable and machine-readable: ``completion_rate``, ``on_time.reply``,
    ``time_to_step.handling.p90``, ``closed_at_level.grid`` …"""
    label_zh: str
    label_en: str
    values: tuple[Value, ...]


@attrs.frozen(kw_only=True)
class Comparison:
    """An indicator table: ``rows`` of values, one per column in ``columns`` order."""

    columns: tuple[str, ...]
    headers: tuple[str, ...]
    """A label per column: the method's Chinese and English names where the column is one."""
    rows: tuple[ComparisonRow, ...]

    def row(self, key: str) -> ComparisonRow:
        """Return the row called ``key``; ``KeyError`` if there is none."""
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(key)

    def column(self, name: str) -> dict[str, Value]:
        """Return one column as {row key: value}; ``KeyError`` if there is no such column."""
        if name not in self.columns:
            raise KeyError(name)
        index = self.columns.index(name)
        return {row.key: row.values[index] for row in self.rows}

    def to_text(self) -> str:
        """Render the table as aligned text, each label in Chinese and English."""
        lines = [("指标 / indicator", *self.headers)]
        lines += [(f"{r.label_zh} / {r.label_en}", *map(format_value, r.values)) for r in self.rows]
        widths = [max(_width(line[i]) for line in lines) for i in range(len(lines[0]))]
        out = []
        for n, line in enumerate(lines):
            cells = [_pad(line[0], widths[0], left=True)]
            cells += [
                _pad(cell, width, left=False)
                for cell, width in zip(line[1:], widths[1:], strict=True)
            ]
            out.append("  ".join(cells).rstrip())
            if n == 0:
                out.append("  ".join("-" * width for width in widths))
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()


def format_value(value: Value) -> str:
    """Format a cell: rates as percentages, durations as ``[Nd ]h:mm:ss``, none as ``—``."""
    if value is None:
        return "—"
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        days, rest = divmod(seconds, 86_400)
        hours, rest = divmod(rest, 3_600)
        clock = f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
        return f"{days}d {clock}" if days else clock
    if isinstance(value, float):
        return f"{value:.1%}"
    return str(value)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    space = " " * (width - _width(text))
    return text + space if left else space + text


_TIMINGS = (("median", "中位数", "median"), ("p90", "90分位", "90th percentile"))


class _Labels:
    """Chinese and English names of steps, deadlines, levels and methods, from the methods."""

    def __init__(self, methods: Iterable[Method]) -> None:
        self.methods = {m.key: m for m in methods}
        self.steps: dict[str, tuple[str, str]] = {}
        self.deadlines: dict[str, tuple[str, str]] = {}
        self.levels = {key: (zh, en) for key, zh, en in LEVELS}
        for m in self.methods.values():
            for step in m.steps:
                self.steps.setdefault(step.key, (step.label_zh, step.label_en))
            for d in m.deadlines:
                self.deadlines.setdefault(d.key, (d.label_zh, d.label_en))
            for level in m.escalation:
                self.levels.setdefault(level.key, (level.label_zh, level.label_en))

    def ordered(self, keys: Iterable[str | None], known: Mapping[str, object]) -> list[str]:
        """Return ``keys`` in the methods' declaration order, keys they do not name last."""
        order = list(known)
        rank = {key: i for i, key in enumerate(order)}
        return sorted((k or "" for k in keys), key=lambda k: (rank.get(k, len(order)), k))

    def header(self, column: str) -> str:
        method = self.methods.get(column)
        return column if method is None else f"{method.label_zh} {method.label_en}"


def compare_methods(
    columns: Mapping[str, Indicators], *, methods: Iterable[Method] = ()
) -> Comparison:
    """Lay ``columns`` (a name, usually a method key, to its indicators) side by side.

    ``methods`` give the labels of steps, deadlines, levels and method columns; a key no method
    names is shown as it is. A row appears when any column has a figure for it (a method
    without a deadline shows ``None`` on that deadline's row). No column raises
    :class:`~civicgrid.errors.InvalidData`.
    """
    if not columns:
        raise InvalidData("comparison", [Problem("columns", "give at least one column")])
    names = tuple(columns)
    table = tuple(columns.values())
    labels = _Labels(methods)
    rows: list[ComparisonRow] = []

    def add(key: str, zh: str, en: str, pick: Callable[[Indicators], Value]) -> None:
        rows.append(
            ComparisonRow(key=key, label_zh=zh, label_en=en, values=tuple(map(pick, table)))
        )

    def union(get: Callable[[Indicators], Iterable[str | None]]) -> list[str | None]:
        return list(dict.fromkeys(key for ind in table for key in get(ind)))

    add("received", "受理数", "requests received", lambda i: i.received)
    channels = union(lambda i: i.by_channel)
    known = [c.value for c in Channel]
    for ch in sorted(channels, key=lambda c: (c is None, known.index(c) if c in known else 99)):
        zh, en = (Channel(ch).label_zh, Channel(ch).label_en) if ch in known else (ch, ch)
        if ch is None:
            zh, en = "未注明", "not given"
        add(f"channel.{ch or ''}", f"渠道：{zh}", f"channel: {en}", _get(ch, "by_channel"))
    add("closed", "办结数", "closed", lambda i: i.closed)
    add("in_progress", "在办数", "in progress", lambda i: i.in_progress)
    add("completion_rate", "办结率", "completion rate", lambda i: i.completion_rate)
    for step in labels.ordered(union(lambda i: i.outcomes), labels.steps):
        zh, en = labels.steps.get(step, (step, step))
        add(f"outcome.{step}", f"结果：{zh}", f"outcome: {en}", _get(step, "outcomes"))
    for key in labels.ordered(union(lambda i: i.deadlines), labels.deadlines):
        zh, en = labels.deadlines.get(key, (key, key))
        add(f"on_time.{key}", f"按期率：{zh}", f"on time: {en}", _on_time(key))
    for which, zh, en in _TIMINGS:
        add(f"time_to_close.{which}", f"办结用时{zh}", f"{en} time to close", _timing(None, which))
    for step in labels.ordered(union(lambda i: i.time_to_step), labels.steps):
        szh, sen = labels.steps.get(step, (step, step))
        for which, zh, en in _TIMINGS:
            add(
                f"time_to_step.{step}.{which}",
                f"到“{szh}”用时{zh}",
                f"{en} time to {sen}",
                _timing(step, which),
            )
    order = list(labels.levels)
    levels = union(lambda i: i.closed_at_level)
    for level in sorted(levels, key=lambda v: (v is None, order.index(v) if v in order else 99)):
        zh, en = labels.levels.get(level or "", ("未分层级", "no level"))
        add(
            f"closed_at_level.{level or ''}",
            f"在{zh}办结占比",
            f"share closed at {en}",
            _share(level),
        )
    add("satisfaction", "满意度", "satisfaction", lambda i: i.satisfaction)
    for rating in Rating:
        zh, en = f"评价：{rating.label_zh}", f"ratings: {rating.label_en}"
        add(f"ratings.{rating.value}", zh, en, _get(rating.value, "ratings"))
    add("rated", "参评事项数", "cases rated", lambda i: i.rated)
    add("reopen_rate", "重办率", "reopen rate", lambda i: i.reopen_rate)
    add("overdue", "超期在办数", "overdue open cases", lambda i: len(i.overdue))
    add(
        "without_deadline",
        "无时限在办数",
        "open cases without a deadline",
        lambda i: len(i.without_deadline),
    )
    headers = tuple(labels.header(name) for name in names)
    return Comparison(columns=names, headers=headers, rows=tuple(rows))


def _get(key: str | None, field: str) -> Callable[[Indicators], Value]:
    def pick(indicators: Indicators) -> Value:
        counts: Mapping[str | None, int] = getattr(indicators, field)
        return counts.get(key, 0)

    return pick


def _on_time(key: str) -> Callable[[Indicators], Value]:
    def pick(indicators: Indicators) -> Value:
        tally = indicators.deadlines.get(key)
        return None if tally is None else tally.on_time_rate

    return pick


def _timing(step: str | None, which: str) -> Callable[[Indicators], Value]:
    """Pick a timing: to ``step``, or to closing when ``step`` is ``None``."""

    def pick(indicators: Indicators) -> Value:
        timing = indicators.time_to_close if step is None else indicators.time_to_step.get(step)
        if timing is None:
            return None
        return timing.median if which == "median" else timing.p90

    return pick


def _share(level: str | None) -> Callable[[Indicators], Value]:
    def pick(indicators: Indicators) -> Value:
        return indicators.share_closed_at_level.get(level, 0.0) if indicators.closed else None

    return pick
