"""The HTML report of a simulation run: one self-contained file rebuilt from the store alone.

:func:`write_report` reads a run (:func:`~civicgrid.report.loading.load_run`), folds its
case streams one at a time (:func:`~civicgrid.report.loading.fold_run`) with
:class:`~civicgrid.report.indicators.IndicatorBuilder` s that retire closed cases, so a year of
a district is reported in bounded memory, and lays out what a community secretary looks at:
the indicator table for the district, per subdistrict and per method
(:func:`~civicgrid.report.comparison.compare_methods`, so every figure is the one the command
line prints), requests per day by channel, on-time rate per deadline, share closed at each
level, time to close, points earned and redeemed, and the overdue list, all over the cases of
the run's requests method alone; when the run has a deliberation method, a section of its own
gives its topics' figures. Charts are inline SVG
(:mod:`~civicgrid.report.charts`), the style sheet is inline, and every text from the store is
escaped: the file opens with no network. Labels are Chinese first, English beside.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from string import Template

import attrs

from civicgrid.domain.ledger import BUILTIN_CURRENCIES
from civicgrid.domain.requests import Channel
from civicgrid.domain.units import UnitKind
from civicgrid.plugins.registry import Registry, load_registry
from civicgrid.report.charts import bar_chart, pygal_module
from civicgrid.report.comparison import Comparison, ComparisonRow, compare_methods, format_value
from civicgrid.report.indicators import IndicatorBuilder, Indicators, summarise
from civicgrid.report.loading import PointsDay, Run, fold_run, load_run, points_by_day
from civicgrid.report.records import GroupKey, IndicatorDimension, IndicatorPeriod
from civicgrid.store.protocol import EventStore

__all__ = [
    "REPORT_FILE",
    "PointsDay",
    "as_of",
    "method_indicators",
    "points_by_day",
    "render_report",
    "run_indicators",
    "summary_table",
    "write_report",
]

REPORT_FILE = "report.html"
"""The name of the file :func:`write_report` writes in its directory."""
OVERDUE_SHOWN = 200
"""The overdue list shows the longest overdue cases first, at most this many."""
_CLOSE_BUCKETS: tuple[tuple[timedelta, str], ...] = (
    (timedelta(hours=1), "≤1小时 1h"),
    (timedelta(hours=5), "≤5小时 5h"),
    (timedelta(days=1), "≤1天 1d"),
    (timedelta(days=2), "≤2天 2d"),
    (timedelta(days=7), "≤7天 7d"),
    (timedelta(days=30), "≤30天 30d"),
)
_LONGER = ">30天 30d+"


def _relabel(zh: str, en: str) -> Callable[[ComparisonRow], ComparisonRow]:
    def relabel(row: ComparisonRow) -> ComparisonRow:
        return attrs.evolve(row, label_zh=zh, label_en=en)

    return relabel


_TOPIC_ROWS: dict[str, Callable[[ComparisonRow], ComparisonRow]] = {
    "received": _relabel("议题数", "topics received"),
    "closed": _relabel("办结议题数", "topics closed"),
    "in_progress": _relabel("在议议题数", "topics in progress"),
    "completion_rate": _relabel("办结率", "completion rate"),
    "time_to_close.median": _relabel("办结用时中位数", "median time to close"),
    "time_to_close.p90": _relabel("办结用时90分位", "90th percentile time to close"),
}
"""The deliberation section's own rows, relabelled for topics."""
_TOPIC_PREFIXES = ("outcome.", "on_time.", "closed_at_level.")


def run_indicators(
    run: Run, registry: Registry, store: EventStore | None = None
) -> IndicatorBuilder:
    """Fold every case of ``run`` with the registry's methods and calendar.

    From ``store`` the case streams are read one at a time (:func:`fold_run`: ``run`` may have
    been loaded with ``events=False``); without it, from ``run.events``.
    """
    builder = IndicatorBuilder(registry.compiled, calendar=registry.calendar, tz=run.meta.zone)
    if store is not None:
        fold_run(store, builder)
    else:
        builder.extend(run.events)
    return builder


def method_indicators(
    builder: IndicatorBuilder, method: str | None, when: datetime | None
) -> Indicators:
    """Return the indicators of the cases of ``method`` alone (none for ``None``) at ``when``."""
    found = None
    if method is not None:
        found = builder.grouped([IndicatorDimension.METHOD], as_of=when).get(
            GroupKey(method=method)
        )
    return found if found is not None else summarise((), as_of=when)


def as_of(run: Run, builder: IndicatorBuilder) -> datetime | None:
    """Return the instant figures are read at: the end of the last committed day, or later."""
    end, latest = run.as_of, builder.latest
    if end is None or (latest is not None and latest > end):
        return latest
    return end


def summary_table(
    run: Run, registry: Registry, builder: IndicatorBuilder | None = None
) -> Comparison:
    """Return the run's indicator table, one column per method its cases run.

    The same table ``civicgrid report`` prints and the report shows, and whose requests and
    deliberation columns ``civicgrid simulate`` prints: the requests method first (present,
    empty, before any request), the deliberation method last, other methods (redemption
    orders …) between. ``builder`` is :func:`run_indicators` of the run when already folded.
    """
    builder = builder if builder is not None else run_indicators(run, registry)
    when = as_of(run, builder)
    grouped = builder.grouped([IndicatorDimension.METHOD], as_of=when)
    found = {key.method or "": indicators for key, indicators in grouped.items()}
    first, last = run.meta.requests_method, run.meta.deliberation_method
    columns: dict[str, Indicators] = {}
    if first is not None:
        columns[first] = found.get(first) or summarise((), as_of=when)
    columns.update((key, ind) for key, ind in found.items() if key not in (first, last))
    if last is not None:
        columns[last] = found.get(last) or summarise((), as_of=when)
    if not columns:
        columns = {"": builder.indicators(as_of=when)}
    return compare_methods(columns, methods=registry.methods.values())


def write_report(
    source: EventStore | Run,
    directory: str | Path,
    *,
    registry: Registry | None = None,
    builder: IndicatorBuilder | None = None,
) -> Path:
    """Write ``report.html`` for the run in ``source`` into ``directory``; return its path.

    ``registry`` gives the methods the events are folded with (default: the installed
    plugins). From a store, the case streams are folded one at a time, never all held;
    ``builder`` is :func:`run_indicators` of the run when already folded. Raises
    :class:`~civicgrid.report.charts.MissingReportExtra` without the ``report`` extra,
    :class:`~civicgrid.report.loading.NotARun` for a store without a run.
    """
    pygal_module()
    registry = registry if registry is not None else load_registry()
    if isinstance(source, Run):
        run = source
    else:
        run = load_run(source, events=False, ledger=False)
        if builder is None:
            builder = run_indicators(run, registry, source)
    page = render_report(run, registry, builder)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / REPORT_FILE
    path.write_text(page, encoding="utf-8")
    return path


def render_report(run: Run, registry: Registry, builder: IndicatorBuilder | None = None) -> str:
    """Return the report page of ``run`` as HTML text (``builder``: its cases, folded).

    Every requests figure is over the cases of the requests method alone; the deliberation
    method's cases have a section of their own, and every method a column side by side.
    """
    builder = builder if builder is not None else run_indicators(run, registry)
    when = as_of(run, builder)
    requests = run.meta.requests_method
    total = method_indicators(builder, requests, when)
    methods = list(registry.methods.values())
    page = _Page(run, methods_labels=registry)
    page.heading("全区 District", "district")
    page.comparison("district", compare_methods({"district": total}, methods=methods))
    page.charts_for(builder, requests, total, when)
    subdistricts = _subdistricts(run, builder, when)
    if subdistricts:
        page.heading("各街道 Subdistricts", "subdistricts")
        names = {key: _unit_name(run, key) for key in subdistricts}
        table = compare_methods(subdistricts, methods=methods)
        page.comparison("subdistricts", table, headers=[names[k] for k in table.columns])
        page.chart(
            "完成率（按街道） completion rate by subdistrict",
            [names[k] for k in subdistricts],
            [("办结率 completion rate", [i.completion_rate for i in subdistricts.values()])],
            percent=True,
        )
    page.heading("工作法对比 Methods side by side", "methods")
    page.comparison("methods", summary_table(run, registry, builder))
    topics = run.meta.deliberation_method
    if topics is not None:
        page.deliberation(topics, method_indicators(builder, topics, when))
    page.points(run)
    page.overdue(total)
    return page.render()


def _subdistricts(
    run: Run, builder: IndicatorBuilder, when: datetime | None
) -> dict[str, Indicators]:
    tree = run.tree
    if tree is None:
        return {}
    wanted = [u.id for u in tree if u.kind is UnitKind.SUBDISTRICT]
    dims = [IndicatorDimension.UNIT, IndicatorDimension.METHOD]
    grouped = builder.grouped(dims, tree=tree, as_of=when, units=wanted)
    method = run.meta.requests_method
    found = {key.unit: ind for key, ind in grouped.items() if key.method == method}
    return {unit: found[unit] for unit in wanted if unit in found}


def _unit_name(run: Run, unit_id: str | None) -> str:
    if unit_id is None or run.tree is None or unit_id not in run.tree:
        return unit_id or "—"
    unit = run.tree.unit(unit_id)
    return unit.name_zh or unit.id


class _Page:
    """The page being built: sections of escaped HTML, charts numbered in order."""

    def __init__(self, run: Run, *, methods_labels: Registry) -> None:
        self.run = run
        self.registry = methods_labels
        self.parts: list[str] = []
        self.charts = 0

    # ------------------------------------------------------------------ pieces

    def heading(self, text: str, anchor: str) -> None:
        self.parts.append(f'<h2 id="{anchor}">{_e(text)}</h2>')

    def chart(
        self,
        title: str,
        x_labels: Sequence[str],
        series: Sequence[tuple[str, Sequence[float | None]]],
        *,
        stacked: bool = False,
        percent: bool = False,
    ) -> None:
        self.charts += 1
        svg = bar_chart(
            f"chart-{self.charts}", title, x_labels, series, stacked=stacked, percent=percent
        )
        self.parts.append(f'<figure class="chart">{svg}</figure>')

    def comparison(
        self, name: str, table: Comparison, *, headers: Sequence[str] | None = None
    ) -> None:
        heads = "".join(f"<th>{_e(h)}</th>" for h in (headers or table.headers))
        rows = []
        for row in table.rows:
            cells = "".join(
                f'<td data-column="{_e(column)}">{_e(format_value(value))}</td>'
                for column, value in zip(table.columns, row.values, strict=True)
            )
            label = f"{_e(row.label_zh)} <span class=en>{_e(row.label_en)}</span>"
            rows.append(f'<tr data-key="{_e(row.key)}"><th>{label}</th>{cells}</tr>')
        self.parts.append(
            f'<table class="figures" id="{name}"><thead><tr><th>指标 indicator</th>{heads}'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def charts_for(
        self,
        builder: IndicatorBuilder,
        method: str | None,
        total: Indicators,
        when: datetime | None,
    ) -> None:
        daily = builder.grouped(
            [IndicatorDimension.PERIOD, IndicatorDimension.METHOD],
            period=IndicatorPeriod.DAY,
            as_of=when,
        )
        per_day = sorted(
            (key.period, ind) for key, ind in daily.items() if key.period and key.method == method
        )
        channels = sorted(total.by_channel, key=lambda c: (c is None, c or ""))
        self.chart(
            "每日诉求（按渠道） requests per day by channel",
            [d.strftime("%m-%d") for d, _ in per_day],
            [(_channel(c), [ind.by_channel.get(c, 0) for _, ind in per_day]) for c in channels],
            stacked=True,
        )
        deadlines = self._deadline_labels()
        keys = [k for k in total.deadlines if total.deadlines[k].on_time_rate is not None]
        if keys:
            self.chart(
                "按期率（按时限） on-time rate per deadline",
                [deadlines.get(k, k) for k in keys],
                [("按期率 on time", [total.deadlines[k].on_time_rate for k in keys])],
                percent=True,
            )
        self._level_shares(
            "各层级办结占比 share closed at each level",
            total.share_closed_at_level,
            list(self._level_labels()),
        )
        buckets = [0] * (len(_CLOSE_BUCKETS) + 1)
        for of, took in builder.closing_times():
            if of != method:
                continue
            buckets[next((i for i, (b, _) in enumerate(_CLOSE_BUCKETS) if took <= b), -1)] += 1
        if total.closed:
            self.chart(
                "办结用时分布 time to close",
                [label for _, label in _CLOSE_BUCKETS] + [_LONGER],
                [("办结数 cases closed", buckets)],
            )

    def deliberation(self, method: str, figures: Indicators) -> None:
        """Add the deliberation method's topics: received, closed, on time, to close, levels."""
        self.heading(f"议事 Deliberation: {_method(self.registry, method)}", "deliberation")
        own = self.registry.methods.get(method)
        labels = [own] if own is not None else list(self.registry.methods.values())
        full = compare_methods({method: figures}, methods=labels)
        rows = [_TOPIC_ROWS[r.key](r) if r.key in _TOPIC_ROWS else r for r in full.rows]
        kept = tuple(r for r in rows if r.key in _TOPIC_ROWS or r.key.startswith(_TOPIC_PREFIXES))
        self.comparison("deliberation", attrs.evolve(full, rows=kept))
        deadlines = {d.key: f"{d.label_zh} {d.label_en}" for d in own.deadlines} if own else {}
        keys = [k for k, t in figures.deadlines.items() if t.on_time_rate is not None]
        if keys:
            self.chart(
                "议题按期率（按时限） topics on time per deadline",
                [deadlines.get(k, k) for k in keys],
                [("按期率 on time", [figures.deadlines[k].on_time_rate for k in keys])],
                percent=True,
            )
        ladder = [level.key for level in own.escalation] if own else []
        self._level_shares(
            "议题各层级办结占比 topics: share closed at each level",
            figures.share_closed_at_level,
            ladder,
        )

    def points(self, run: Run) -> None:
        self.heading("积分 Points", "points")
        days = run.points
        if days is None and run.ledger is not None:
            days = points_by_day(run.ledger, run.meta.zone)
        if days is None:
            self.parts.append(
                "<p>本次运行没有积分记录。 <span class=en>No points ledger.</span></p>"
            )
            return
        currencies = {currency.key: currency for currency in BUILTIN_CURRENCIES}
        used = sorted({c for d in days.values() for c in (*d.earned, *d.redeemed)})
        rows = []
        for key in used:
            currency = currencies[key]
            earned = sum(d.earned.get(key, 0) for d in days.values())
            redeemed = sum(d.redeemed.get(key, 0) for d in days.values())
            label = f"{_e(currency.label_zh)} <span class=en>{_e(currency.label_en)}</span>"
            rows.append(
                f'<tr data-currency="{_e(key)}"><th>{label}</th>'
                f'<td data-key="earned">{earned}</td><td data-key="redeemed">{redeemed}</td></tr>'
            )
            self.chart(
                f"{currency.label_zh}：每日获得与兑换 "
                f"{currency.label_en}: earned and redeemed per day",
                [d.strftime("%m-%d") for d in days],
                [
                    ("获得 earned", [d.earned.get(key, 0) for d in days.values()]),
                    ("兑换 redeemed", [d.redeemed.get(key, 0) for d in days.values()]),
                ],
            )
        self.parts.append(
            '<table class="figures" id="points"><thead><tr><th>积分 currency</th>'
            "<th>获得 earned</th><th>兑换 redeemed</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def overdue(self, total: Indicators) -> None:
        self.heading("超期清单 Overdue list", "overdue")
        cases = total.overdue
        if not cases:
            self.parts.append("<p>没有超期在办事项。 <span class=en>No overdue case.</span></p>")
            return
        levels = self._level_labels()
        deadlines = self._deadline_labels()
        rows = []
        for case in cases[:OVERDUE_SHOWN]:
            steps = (
                {
                    s.key: f"{s.label_zh} {s.label_en}"
                    for s in self.registry.methods[case.method].steps
                }
                if case.method in self.registry.methods
                else {}
            )
            late = "；".join(
                f"{deadlines.get(k, k)} {format_value(v)}" for k, v in case.deadlines.items()
            )
            cells = (
                case.case_id,
                _unit_name(self.run, case.unit),
                steps.get(case.step, case.step),
                levels.get(case.level or "", case.level or "—"),
                case.opened_at.astimezone(self.run.meta.zone).strftime("%Y-%m-%d %H:%M"),
                format_value(case.overdue_by),
                late,
            )
            rows.append(
                f'<tr data-case="{_e(case.case_id)}">'
                + "".join(f"<td>{_e(c)}</td>" for c in cells)
                + "</tr>"
            )
        heads = (
            "事项 case",
            "单元 unit",
            "环节 step",
            "层级 level",
            "受理 opened",
            "超期 overdue by",
            "时限 deadlines",
        )
        shown = f"{min(len(cases), OVERDUE_SHOWN)} / {len(cases)}"
        self.parts.append(
            f"<p>显示 shown: {shown}</p>"
            '<table class="list" id="overdue-list"><thead><tr>'
            + "".join(f"<th>{_e(h)}</th>" for h in heads)
            + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    # ------------------------------------------------------------------ labels

    def _level_shares(
        self, title: str, shares: Mapping[str | None, float], order: list[str]
    ) -> None:
        """Chart the share closed at each level, ``order``'s levels first, if any closed."""
        if not shares:
            return
        levels = self._level_labels()
        ordered = sorted(
            shares, key=lambda v: (v not in order, order.index(v) if v in order else 0)
        )
        self.chart(
            title,
            [levels.get(v or "", "未分层级 no level") for v in ordered],
            [("办结占比 share closed", [shares[v] for v in ordered])],
            percent=True,
        )

    def _level_labels(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for method in self.registry.methods.values():
            for level in method.escalation:
                out.setdefault(level.key, f"{level.label_zh} {level.label_en}")
        return out

    def _deadline_labels(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for method in self.registry.methods.values():
            for deadline in method.deadlines:
                out.setdefault(deadline.key, f"{deadline.label_zh} {deadline.label_en}")
        return out

    # ------------------------------------------------------------------ the page

    def render(self) -> str:
        meta = self.run.meta
        template = Template(_resource("report.html"))
        facts = (
            ("方案 preset", meta.preset),
            ("种子 seed", str(meta.seed)),
            ("开始 start", meta.start.isoformat()),
            ("已提交天数 days committed", f"{len(self.run.days)} / {meta.days}"),
            ("诉求工作法 requests method", _method(self.registry, meta.requests_method)),
            ("议事工作法 deliberation method", _method(self.registry, meta.deliberation_method)),
            ("版本 civicgrid", meta.library),
        )
        return template.substitute(
            title=_e(f"社区治理报告 community governance report: {meta.preset}"),
            style=_resource("report.css"),
            facts="".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts),
            body="\n".join(self.parts),
        )


def _method(registry: Registry, key: str | None) -> str:
    if key is None:
        return "—"
    method = registry.methods.get(key)
    return key if method is None else f"{method.label_zh} {method.label_en} ({key})"


def _channel(value: str | None) -> str:
    if value is None:
        return "未注明 not given"
    try:
        channel = Channel(value)
    except ValueError:
        return value
    return f"{channel.label_zh} {channel.label_en}"


def _resource(name: str) -> str:
    return resources.files("civicgrid.report").joinpath("templates", name).read_text("utf-8")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
