"""A simulation run read back from its store alone: meta, units, case events, ledger, days.

A run writes one store with the streams ``sim:meta`` (one JSON object), ``district:units``
(one ``[id, parent, kind, name_zh, households, residents]`` record per unit, parents first),
``case:<id>`` (each case's events), ``ledger:points`` (the points ledger's transactions) and
``sim:days`` (one record per committed day). :func:`load_run` reads them into a :class:`Run`;
:func:`fold_run` folds the case streams one at a time into indicator builders, so a year of
cases is summarised without holding its events; :func:`open_store` opens the store a command
line names. Ledger accounts are configuration,
not history, so they are declared again from the transactions' account ids by the agreed
conventions (:func:`accounts_for`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs

from civicgrid.domain.account_ids import account_for, accounts_for
from civicgrid.domain.ledger import AccountKind, Ledger, Transaction
from civicgrid.domain.time import get_timezone
from civicgrid.domain.units import Unit, UnitKind, UnitTree
from civicgrid.errors import InvalidData, Problem
from civicgrid.store.codec import ledger_stream
from civicgrid.store.errors import StoreError
from civicgrid.store.protocol import EventStore
from civicgrid.store.sqlite import SQLiteStore
from civicgrid.store.streams import iter_transactions, read_events, read_transactions
from civicgrid.workflows.event import Event

if TYPE_CHECKING:
    from civicgrid.report.indicators import IndicatorBuilder
    from civicgrid.store.postgres import PostgresStore

__all__ = [
    "DAYS_STREAM",
    "LEDGER",
    "META_STREAM",
    "POSTGRES_SCHEMES",
    "UNITS_STREAM",
    "DayRecord",
    "NotARun",
    "PointsDay",
    "Run",
    "RunMeta",
    "accounts_for",
    "fold_run",
    "load_run",
    "open_postgres",
    "open_store",
    "points_by_day",
    "read_meta",
    "read_units",
    "unit_record",
]

META_STREAM = "sim:meta"
UNITS_STREAM = "district:units"
DAYS_STREAM = "sim:days"
LEDGER = "points"
"""The ledger name: its stream is ``ledger:points``."""

"""Accounts whose id does not end in their currency: micro-funds and time-bank backing."""


class NotARun(StoreError, LookupError):
    """The store holds no ``sim:meta`` record: it is not the store of a simulation run."""

    def __init__(self, store: object) -> None:
        self.store = store
        super().__init__(
            f"{store!r} holds no {META_STREAM!r} record: not the store of a simulation run",
            f"{store!r} 中没有 {META_STREAM!r} 记录：不是模拟运行的存储",
        )


@attrs.frozen(kw_only=True)
class RunMeta:
    """What ``sim:meta`` says about a run: preset, seed, length, start, methods, timezone."""

    preset: str
    seed: int
    days: int
    start: date
    requests_method: str | None
    """``None`` for a run of topics alone (deliberation without requests)."""
    deliberation_method: str | None
    tz: str
    library: str
    schema: int

    @property
    def zone(self) -> tzinfo:
        """The run's timezone as an object."""
        return ZoneInfo(self.tz)


@attrs.frozen(kw_only=True)
class DayRecord:
    """One committed simulated day, as ``sim:days`` records it."""

    day: int
    date: date
    requests: int
    events: int
    transactions: int
    open_cases: int


@attrs.frozen(kw_only=True, eq=False)
class Run:
    """A run read back: its meta, unit tree, every case event, points ledger and days."""

    meta: RunMeta
    tree: UnitTree | None
    """``None`` when the store holds no ``district:units``."""
    events: tuple[Event, ...]
    """Every case's events, case by case in stream-name order, each case's in order; empty when
    read with ``load_run(store, events=False)`` (fold them with :func:`fold_run`)."""
    ledger: Ledger | None
    """``None`` when the store holds no ``ledger:points``, or it was not rebuilt
    (``load_run(..., ledger=False)``)."""
    points: Mapping[date, PointsDay] | None = None
    """Each day's points earned and redeemed (:func:`points_by_day`); ``None`` without a
    ``ledger:points`` stream."""
    days: tuple[DayRecord, ...]

    @property
    def as_of(self) -> datetime | None:
        """The end of the last committed day (midnight after it), ``None`` before any day."""
        if not self.days:
            return None
        return datetime.combine(self.days[-1].date + timedelta(days=1), time(), self.meta.zone)


POSTGRES_SCHEMES = ("postgresql://", "postgres://")
"""The URL prefixes that name a PostgreSQL store."""


def open_store(spec: str | os.PathLike[str]) -> SQLiteStore | PostgresStore:
    """Open an existing store: ``sqlite:PATH``, a path, or a ``postgresql://…`` URL.

    A missing SQLite file raises :class:`~civicgrid.store.errors.StoreError` (opening would
    create an empty store); a file that is not a store raises what :class:`SQLiteStore`
    raises. A ``postgresql://`` or ``postgres://`` URL opens a
    :class:`~civicgrid.store.postgres.PostgresStore` (the optional extra, psycopg 3); a server
    that cannot be reached, or psycopg missing, raises :class:`StoreError`.
    """
    text = os.fspath(spec)
    if text.startswith(POSTGRES_SCHEMES):
        return open_postgres(text)
    path = Path(text.removeprefix("sqlite:"))
    if not path.is_file():
        raise StoreError(f"{text}: no such store file", f"{text}：存储文件不存在")
    try:
        return SQLiteStore(path)
    except StoreError:
        raise
    except Exception as error:  # sqlite3.DatabaseError for a file that is not SQLite
        raise StoreError(
            f"{text}: cannot open ({error})", f"{text}：无法打开（{error}）"
        ) from error


def open_postgres(url: str) -> PostgresStore:
    """Open the PostgreSQL store at ``url``, importing the optional extra only now."""
    from civicgrid.store.postgres import PostgresStore  # noqa: PLC0415 - optional extra

    return PostgresStore(url)


def load_run(store: EventStore, *, events: bool = True, ledger: bool = True) -> Run:
    """Read the run in ``store``; :class:`NotARun` when it has no ``sim:meta``.

    Malformed records raise :class:`~civicgrid.errors.InvalidData` naming the stream and the
    record; events and transactions are decoded as the store's helpers decode them. With
    ``events=False`` the case events are not read (:attr:`Run.events` is empty): a year of a
    district holds millions, which :func:`fold_run` folds stream by stream instead. With
    ``ledger=False`` the points ledger is not rebuilt (:attr:`Run.ledger` is ``None``): its
    transactions are read a page at a time into :attr:`Run.points` only.
    """
    meta_records = store.read(META_STREAM)
    if not meta_records:
        raise NotARun(store)
    meta = read_meta(meta_records[0].data)
    units = read_units(store)
    case_events: list[Event] = []
    if events:
        for stream in store.streams("case:"):
            case_events.extend(read_events(store, stream.removeprefix("case:")))
    book = points = None
    if ledger:
        transactions = read_transactions(store, LEDGER)
        if transactions:
            book = Ledger.replay(transactions, accounts=accounts_for(transactions))
            points = points_by_day(book, meta.zone)
    elif store.version(ledger_stream(LEDGER)):
        points = points_by_day(iter_transactions(store, LEDGER), meta.zone)
    days = tuple(_day(r.version, r.data) for r in store.read(DAYS_STREAM))
    return Run(
        meta=meta,
        tree=UnitTree(units) if units else None,
        events=tuple(case_events),
        ledger=book,
        days=days,
        points=points,
    )


class PointsDay:
    """Points issued (earned) and redeemed on one day, by currency."""

    __slots__ = ("earned", "redeemed")

    def __init__(self) -> None:
        self.earned: dict[str, int] = {}
        self.redeemed: dict[str, int] = {}


_REDEEMED = "sink:redeemed:"


def points_by_day(transactions: Iterable[Transaction], tz: tzinfo) -> dict[date, PointsDay]:
    """Return each day's points earned and redeemed in ``tz``, by currency.

    Earned is the net amount out of issuer accounts (earnings and awards), redeemed the net
    amount into ``sink:redeemed:<currency>``; a reversal nets against the day it is booked.
    Accounts are read from their ids by the agreed conventions (:func:`account_for`), so a
    ledger, or transactions streamed from a store, will do.
    """
    days: dict[date, PointsDay] = {}
    kinds: dict[str, tuple[AccountKind, str]] = {}
    for transaction in transactions:
        day = transaction.at.astimezone(tz).date()
        for posting in transaction.postings:
            if posting.account not in kinds:
                account = account_for(posting.account)
                kinds[posting.account] = (account.kind, account.currency)
            kind, currency = kinds[posting.account]
            if kind is AccountKind.ISSUER:
                flow = days.setdefault(day, PointsDay()).earned
                flow[currency] = flow.get(currency, 0) - posting.amount
            elif posting.account.startswith(_REDEEMED):
                flow = days.setdefault(day, PointsDay()).redeemed
                flow[currency] = flow.get(currency, 0) + posting.amount
    return dict(sorted(days.items()))


def fold_run(store: EventStore, builder: IndicatorBuilder) -> int:
    """Fold every ``case:`` stream of ``store`` into ``builder``, one stream at a time.

    Only one case's events are held at a time, and a builder that retires closed cases (the
    default) keeps a few dozen bytes per closed case, so a year of a district folds in bounded
    memory. Returns the number of cases folded; raises what the builder raises for events that
    do not fold.
    """
    count = 0
    for stream in store.streams("case:"):
        builder.extend(read_events(store, stream.removeprefix("case:")))
        count += 1
    return count


# --------------------------------------------------------------------------- records


def read_meta(data: Any) -> RunMeta:
    """Return the :class:`RunMeta` a ``sim:meta`` record holds; InvalidData naming each field."""
    what = f"{META_STREAM} record 1"
    if not isinstance(data, Mapping):
        raise InvalidData(what, [Problem("", "must be a JSON object")])
    problems: list[Problem] = []
    methods = data.get("methods")
    if not isinstance(methods, Mapping):
        problems.append(Problem("methods", "must map requests and deliberation to methods"))
        methods = {}
    requests = methods.get("requests")
    deliberation = methods.get("deliberation")
    for key, value in (("requests", requests), ("deliberation", deliberation)):
        if value is not None and not isinstance(value, str):
            problems.append(Problem(f"methods.{key}", "must be a method key or null"))
    if requests is None and deliberation is None:
        problems.append(Problem("methods.requests", "must name the requests method"))
    fields = {key: data.get(key) for key in ("preset", "tz", "library")}
    problems += [
        Problem(k, "must be a string") for k, v in fields.items() if not isinstance(v, str)
    ]
    numbers = {key: data.get(key) for key in ("seed", "days", "schema")}
    problems += [
        Problem(k, "must be a whole number")
        for k, v in numbers.items()
        if not isinstance(v, int) or isinstance(v, bool)
    ]
    start = _date(data.get("start"), "start", problems)
    if isinstance(fields["tz"], str) and not _known_zone(fields["tz"]):
        problems.append(Problem("tz", f"{fields['tz']!r} is not a known timezone"))
    if problems or start is None:
        raise InvalidData(what, problems)
    return RunMeta(
        preset=str(fields["preset"]),
        seed=int(numbers["seed"]),  # type: ignore[arg-type]  # checked above
        days=int(numbers["days"]),  # type: ignore[arg-type]
        start=start,
        requests_method=requests,
        deliberation_method=deliberation,
        tz=str(fields["tz"]),
        library=str(fields["library"]),
        schema=int(numbers["schema"]),  # type: ignore[arg-type]
    )


def _known_zone(name: str) -> bool:
    """Whether ``name`` is a timezone this machine (or python-dateutil's copy) knows."""
    try:
        get_timezone(name)
    except (LookupError, ValueError):
        return False
    return True


def unit_record(unit: Unit) -> list[Any]:
    """Return the ``district:units`` record of ``unit``: ``[id, parent, kind, name_zh, …]``."""
    return [unit.id, unit.parent, unit.kind.value, unit.name_zh, unit.households, unit.residents]


def read_units(store: EventStore) -> list[Unit]:
    """Return the units of the run in ``store``, parents first.

    A malformed record raises :class:`~civicgrid.errors.InvalidData` naming it.
    """
    return [_unit(r.version, r.data) for r in store.read(UNITS_STREAM)]


def _unit(version: int, data: Any) -> Unit:
    what = f"{UNITS_STREAM} record {version}"
    if not isinstance(data, list) or len(data) != 6:
        raise InvalidData(what, [Problem("", "must be [id, parent, kind, name_zh, hh, res]")])
    unit_id, parent, kind, name_zh, households, residents = data
    try:
        unit_kind = UnitKind(kind)
    except ValueError:
        raise InvalidData(what, [Problem("kind", f"{kind!r} is not a unit kind")]) from None
    return Unit(
        id=unit_id,
        parent=parent,
        kind=unit_kind,
        name_zh=name_zh if isinstance(name_zh, str) else "",
        households=households,
        residents=residents,
    )


def _day(version: int, data: Any) -> DayRecord:
    what = f"{DAYS_STREAM} record {version}"
    if not isinstance(data, Mapping):
        raise InvalidData(what, [Problem("", "must be a JSON object")])
    problems: list[Problem] = []
    keys = ("day", "requests", "events", "transactions", "open_cases")
    counts = {key: data.get(key) for key in keys}
    problems += [
        Problem(k, "must be a whole number")
        for k, v in counts.items()
        if not isinstance(v, int) or isinstance(v, bool)
    ]
    day = _date(data.get("date"), "date", problems)
    if problems or day is None:
        raise InvalidData(what, problems)
    numbers = {k: int(v) for k, v in counts.items() if isinstance(v, int)}
    return DayRecord(
        day=numbers["day"],
        date=day,
        requests=numbers["requests"],
        events=numbers["events"],
        transactions=numbers["transactions"],
        open_cases=numbers["open_cases"],
    )


def _date(value: object, field: str, problems: list[Problem]) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.append(Problem(field, f"must be a date YYYY-MM-DD, not {value!r}"))
    return None
