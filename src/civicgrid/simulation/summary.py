"""A simulation run's summary: its indicators, folded from events, and what it cost.

Every figure about the district comes from recorded history: the indicators from the cases'
events through :class:`~civicgrid.report.indicators.IndicatorBuilder`, points from the
ledger's transactions, counts of events from the ``sim:days`` records. Only the wall time and
the speed are measured on the run itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from civicgrid.domain.ledger import Ledger, Transaction
from civicgrid.report.comparison import Comparison, compare_methods
from civicgrid.report.indicators import IndicatorBuilder, Indicators, summarise
from civicgrid.report.records import GroupKey, IndicatorDimension
from civicgrid.store.protocol import EventStore
from civicgrid.workflows.method import Method

__all__ = ["PointsTotals", "Summary", "summary_of"]


@attrs.frozen(kw_only=True)
class Summary:
    """What a run did (from its events and transactions) and how fast (wall time)."""

    meta: Mapping[str, Any]
    """The run's ``sim:meta`` record (preset, seed, days, start, methods …)."""
    indicators: Indicators = attrs.field(eq=False)
    """The requests' indicators at the end of the last simulated day."""
    points_earned: Mapping[str, int]
    """Points booked to earners, by currency."""
    points_redeemed: Mapping[str, int]
    """Points redeemed, by currency."""
    events: int
    """Events stored by the whole run (every committed day)."""
    transactions: int
    """Ledger transactions stored by the whole run."""
    days: int
    """Days committed."""
    open_cases: int
    """Cases still open at the end of the last committed day."""
    events_this_run: int = attrs.field(eq=False)
    """Events this call committed (less than ``events`` when resumed)."""
    days_this_run: int = attrs.field(eq=False)
    wall_seconds: float = attrs.field(eq=False)
    deliberation: Indicators | None = attrs.field(default=None, eq=False)
    """The deliberation method's indicators (its topics), ``None`` when the run had none."""
    definitions: tuple[Method, ...] = attrs.field(default=(), eq=False)
    """The methods the run drove, for their step, deadline and level labels."""

    @property
    def method(self) -> str | None:
        """The request method's key (``None`` when the run had no requests)."""
        key = self.meta["methods"]["requests"]
        return None if key is None else str(key)

    @property
    def deliberation_method(self) -> str | None:
        """The deliberation method's key (``None`` when the run had no topics)."""
        key = self.meta["methods"].get("deliberation")
        return None if key is None else str(key)

    @property
    def events_per_second(self) -> float | None:
        """Events committed by this call per second of wall time."""
        return self.events_this_run / self.wall_seconds if self.wall_seconds > 0 else None

    def comparison(self) -> Comparison:
        """Return the indicators as a bilingual table: one column per method the run drove.

        The requests method comes first, then the deliberation method.
        """
        columns: dict[str, Indicators] = {}
        if self.method is not None:
            columns[self.method] = self.indicators
        if self.deliberation_method is not None and self.deliberation is not None:
            columns[self.deliberation_method] = self.deliberation
        return compare_methods(columns, methods=self.definitions)

    def indicators_of(self, key: str) -> Indicators:
        """Return the indicators of the run's method ``key`` (requests or deliberation)."""
        if key == self.method:
            return self.indicators
        if key == self.deliberation_method and self.deliberation is not None:
            return self.deliberation
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-able data (rates as fractions, durations in seconds).

        The requests' indicators are at the top level; a run with topics adds them under
        ``deliberation`` (the same keys), with the method under ``deliberation_method``.
        """
        out: dict[str, Any] = {
            "preset": self.meta["preset"],
            "method": self.method,
            "seed": self.meta["seed"],
            "days": self.days,
            "start": self.meta["start"],
            **_indicator_dict(self.indicators),
            "points_earned": dict(self.points_earned),
            "points_redeemed": dict(self.points_redeemed),
            "events": self.events,
            "transactions": self.transactions,
            "open_cases": self.open_cases,
            "events_this_run": self.events_this_run,
            "days_this_run": self.days_this_run,
            "wall_seconds": round(self.wall_seconds, 3),
            "events_per_second": (
                None if self.events_per_second is None else round(self.events_per_second)
            ),
        }
        if self.deliberation_method is not None:
            out["deliberation_method"] = self.deliberation_method
            out["deliberation"] = (
                None if self.deliberation is None else _indicator_dict(self.deliberation)
            )
        return out

    def to_json(self) -> str:
        """Return :meth:`to_dict` as one line of JSON (Chinese kept as it is)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    def to_text(self) -> str:
        """Return the summary as a bilingual table followed by the run's cost."""
        meta = self.meta
        head = (
            f"模拟 / simulation: {meta['preset']}, {self.days} 天 / days from {meta['start']}, "
            f"种子 / seed {meta['seed']}, 工作法 / method "
            + " + ".join(m for m in (self.method, self.deliberation_method) if m)
        )
        rate = self.events_per_second
        extra = [
            ("积分发放 / points earned", _amounts(self.points_earned)),
            ("积分兑换 / points redeemed", _amounts(self.points_redeemed)),
            ("记录事件数 / events stored", f"{self.events:,}"),
            ("账务交易数 / ledger transactions", f"{self.transactions:,}"),
            ("在办事项 / open cases at the end", f"{self.open_cases:,}"),
            ("用时 / wall time", f"{self.wall_seconds:.2f} s"),
            ("事件每秒 / events per second", "—" if rate is None else f"{rate:,.0f}"),
        ]
        width = max(len(label) for label, _ in extra)
        tail = [f"{label.ljust(width)}  {value}" for label, value in extra]
        return "\n".join([head, "", self.comparison().to_text(), "", *tail])

    def __str__(self) -> str:
        return self.to_text()


def _indicator_dict(ind: Indicators) -> dict[str, Any]:
    timing = ind.time_to_close
    return {
        "requests": ind.received,
        "by_channel": {str(k): v for k, v in ind.by_channel.items()},
        "closed": ind.closed,
        "in_progress": ind.in_progress,
        "completion_rate": ind.completion_rate,
        "on_time_rate": {k: t.on_time_rate for k, t in ind.deadlines.items()},
        "share_closed_at_level": {str(k): v for k, v in ind.share_closed_at_level.items()},
        "median_time_to_close_seconds": (None if timing is None else timing.median.total_seconds()),
        "satisfaction": ind.satisfaction,
        "reopen_rate": ind.reopen_rate,
        "overdue": len(ind.overdue),
    }


def _amounts(amounts: Mapping[str, int]) -> str:
    return ", ".join(f"{currency} {n:,}" for currency, n in sorted(amounts.items())) or "0"


class PointsTotals:
    """Points earned and redeemed, by currency, folded from transactions as they are booked.

    The run folds each day's transactions at its commit, so the totals need no ledger
    history (the run's ledger forgets what the store holds).
    """

    __slots__ = ("earned", "redeemed")

    def __init__(self) -> None:
        self.earned: dict[str, int] = {}
        self.redeemed: dict[str, int] = {}

    def fold(self, transactions: Iterable[Transaction], ledger: Ledger) -> None:
        """Count the ``earn`` and ``redeem`` transactions among ``transactions``."""
        for transaction in transactions:
            if transaction.kind not in ("earn", "redeem"):
                continue
            into = self.earned if transaction.kind == "earn" else self.redeemed
            for posting in transaction.postings:
                if posting.amount > 0:
                    currency = ledger.account(posting.account).currency
                    into[currency] = into.get(currency, 0) + posting.amount


def summary_of(
    store: EventStore,
    builder: IndicatorBuilder,
    points: PointsTotals,
    *,
    meta: Mapping[str, Any],
    as_of: datetime,
    wall_seconds: float,
    events_this_run: int,
    days_this_run: int,
    definitions: Iterable[Method] = (),
) -> Summary:
    """Return the summary of the run in ``store`` whose events ``builder`` has folded."""
    days = [record.data for record in store.read("sim:days")]
    latest = builder.latest
    when = as_of if latest is None or latest <= as_of else None
    by_method = builder.grouped([IndicatorDimension.METHOD], as_of=when)
    methods = meta["methods"]
    empty = summarise((), as_of=when if when is not None else latest)

    def of(key: str | None) -> Indicators | None:
        if key is None:
            return None
        return by_method.get(GroupKey(method=key), empty)

    return Summary(
        meta=dict(meta),
        indicators=of(methods["requests"]) or empty,
        deliberation=of(methods.get("deliberation")),
        points_earned=dict(points.earned),
        points_redeemed=dict(points.redeemed),
        events=sum(d["events"] for d in days),
        transactions=sum(d["transactions"] for d in days),
        days=len(days),
        open_cases=days[-1]["open_cases"] if days else 0,
        events_this_run=events_this_run,
        days_this_run=days_this_run,
        wall_seconds=wall_seconds,
        definitions=tuple[Method, ...](definitions),
    )
