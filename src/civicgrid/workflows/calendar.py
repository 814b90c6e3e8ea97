"""Work calendars: which days are working days, and working time measured across them.

SLA deadlines such as "reply within 2 working days" count only the time that falls on working
days, local calendar days in a timezone (Asia/Shanghai by default). "2 working days" from
Monday 10:00 ends Wednesday 10:00; from Saturday 10:00 it ends Wednesday 00:00 (the end of
Tuesday), because counting begins on Monday at midnight.

Three calendars:

- :class:`WeekendCalendar`: Monday to Friday, every year; the library default.
- :class:`HolidayCalendar`: weekdays adjusted by State Council holiday notices given as data.
- :class:`OfficialChineseCalendar`: the official Chinese arrangement from the
  ``chinesecalendar`` package (``pip install 'civicgrid[china]'``), extended or corrected by
  notices.

A holiday calendar never guesses: a day in a year it has no notice for raises
:class:`~civicgrid.errors.CalendarRangeError`. A notice on file, TOML or JSON::

    year = 2026
    title = "国务院办公厅关于2026年部分节假日安排的通知"
    workdays = [2026-01-04, 2026-02-14]   # make-up working days (调休上班)

    [[holidays]]
    name_zh = "元旦"
    name_en = "New Year's Day"
    first = 2026-01-01
    last = 2026-01-03
"""

from __future__ import annotations

import abc
import json
import tomllib
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.errors import CalendarError, CalendarRangeError, InvalidData, Problem
from civicgrid.serialization import make_converter, structure

if TYPE_CHECKING:
    import os

    import cattrs

__all__ = [
    "DEFAULT_CALENDAR",
    "CalendarBase",
    "HolidayCalendar",
    "HolidayNotice",
    "HolidayPeriod",
    "OfficialChineseCalendar",
    "WeekendCalendar",
    "WorkCalendar",
    "add_working_time",
    "holiday_notice_from_data",
    "load_holiday_notice",
    "working_time_between",
]

_ONE_DAY = timedelta(days=1)
_NO_TIME = timedelta(0)

_MAX_HOLIDAY_DAYS = 31
"""The longest holiday period a notice may declare, in days."""

_NOTICE_MARGIN = timedelta(days=7)
"""How far outside its year a notice's dates may lie (New Year periods straddle years)."""

_MAX_REST_RUN = 366
"""Consecutive rest days after which a calendar is taken to have no working day at all."""


# --------------------------------------------------------------------------- the protocol


@runtime_checkable
class WorkCalendar(Protocol):
    """What deadlines need from a calendar: which days are working days, and counting them.

    ``add_working_days(day, n)``: for ``n > 0`` the n-th working day after ``day`` (``day``
    itself excluded); ``n == 0`` gives ``day`` if it is a working day, else the next one;
    ``n < 0`` the |n|-th working day before ``day``.
    """

    @property
    def name(self) -> str:
        """A short label for messages, such as ``"weekend"`` or ``"cn-official"``."""
        ...

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day."""
        ...

    def add_working_days(self, day: date, n: int) -> date:
        """Return the n-th working day from ``day`` (see the class docstring)."""
        ...


class CalendarBase(abc.ABC):
    """A :class:`WorkCalendar` built on one abstract method, :meth:`is_working_day`."""

    name: str

    @abc.abstractmethod
    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day."""

    def add_working_days(self, day: date, n: int) -> date:
        """Return the n-th working day after ``day`` (n > 0), before it (n < 0), or from it.

        ``day`` itself is never counted when ``n != 0``; ``n == 0`` returns ``day`` if it is
        a working day, else the next working day.
        """
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        remaining = abs(n)
        current = day
        rest_run = 0
        if n == 0:
            while not self.is_working_day(current):
                rest_run = _count_rest(self, rest_run, day)
                current += step
            return current
        while remaining:
            current += step
            if self.is_working_day(current):
                remaining -= 1
                rest_run = 0
            else:
                rest_run = _count_rest(self, rest_run, day)
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days in ``[start, end)``; 0 if ``end <= start``."""
        count = 0
        current = start
        while current < end:
            count += self.is_working_day(current)
            current += _ONE_DAY
        return count

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _count_rest(calendar: WorkCalendar, run: int, origin: date) -> int:
    """Count one more rest day in a row; refuse to search forever on a calendar with none."""
    run += 1
    if run > _MAX_REST_RUN:
        raise CalendarError(
            f"{calendar.name} has no working day within {_MAX_REST_RUN} days of {origin}",
            f"{calendar.name} 在 {origin} 前后 {_MAX_REST_RUN} 天内没有工作日",
        )
    return run


# --------------------------------------------------------------------------- weekends only


class WeekendCalendar(CalendarBase):
    """Monday to Friday are working days, in every year: the library's default calendar."""

    name = "weekend"

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` falls on Monday to Friday."""
        return day.weekday() < 5

    def add_working_days(self, day: date, n: int) -> date:
        """As :meth:`CalendarBase.add_working_days`, jumping whole weeks (5 working days each)."""
        if n == 0:
            return super().add_working_days(day, 0)
        sign = 1 if n > 0 else -1
        weeks = (abs(n) - 1) // 5
        # Any 7 consecutive days hold exactly 5 weekdays, whatever day the span starts on.
        jumped = day + timedelta(weeks=sign * weeks)
        return super().add_working_days(jumped, n - sign * 5 * weeks)

    def working_days_between(self, start: date, end: date) -> int:
        """Count the weekdays in ``[start, end)``, a whole week at a time."""
        if end <= start:
            return 0
        weeks = (end - start).days // 7
        return 5 * weeks + super().working_days_between(start + timedelta(weeks=weeks), end)


DEFAULT_CALENDAR: WorkCalendar = WeekendCalendar()
"""The calendar used wherever none is given: Monday to Friday."""


# --------------------------------------------------------------------------- holiday notices

_DEFER_CHECKS: ContextVar[bool] = ContextVar("civicgrid_calendar_defer_checks", default=False)
"""Set while loading data, so that all problems are gathered with their full paths at once."""


@contextmanager
def _checks_deferred() -> Iterator[None]:
    token = _DEFER_CHECKS.set(True)
    try:
        yield
    finally:
        _DEFER_CHECKS.reset(token)


def _check_period(instance: HolidayPeriod, _attribute: Any, _value: date) -> None:
    if _DEFER_CHECKS.get():
        return
    problems = _period_problems(instance, "")
    if problems:
        raise InvalidData("holiday period", problems)


@attrs.frozen(kw_only=True)
class HolidayPeriod:
    """One holiday of a notice: the rest days ``first`` to ``last`` inclusive (放假期间)."""

    name_zh: str
    name_en: str
    first: date
    last: date = attrs.field(validator=_check_period)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def days(self) -> Iterator[date]:
        """Yield each rest day of the period, in order."""
        current = self.first
        while current <= self.last:
            yield current
            current += _ONE_DAY


def _period_problems(period: HolidayPeriod, prefix: str) -> list[Problem]:
    if period.first > period.last:
        return [Problem(f"{prefix}last", f"{period.last} is before first day {period.first}")]
    length = (period.last - period.first).days + 1
    if length > _MAX_HOLIDAY_DAYS:
        return [
            Problem(
                f"{prefix}last",
                f"a holiday period lasts at most {_MAX_HOLIDAY_DAYS} days; "
                f"{period.first} to {period.last} is {length}",
            )
        ]
    return []


def _period_tuple(periods: Iterable[HolidayPeriod]) -> tuple[HolidayPeriod, ...]:
    return tuple(periods)


def _date_tuple(days: Iterable[date]) -> tuple[date, ...]:
    return tuple(days)


@attrs.frozen(kw_only=True)
class HolidayNotice:
    """One year's State Council notice (国务院办公厅关于某年部分节假日安排的通知), as data.

    ``holidays`` are the rest periods, ``workdays`` the make-up working days (调休上班), which
    are usually weekend days. Dates lie in ``year`` or within 7 days of it. Building an
    invalid notice raises :class:`~civicgrid.errors.InvalidData` naming each problem's path.
    """

    year: int
    title: str
    holidays: tuple[HolidayPeriod, ...] = attrs.field(converter=_period_tuple)
    workdays: tuple[date, ...] = attrs.field(default=(), converter=_date_tuple)

    def __attrs_post_init__(self) -> None:
        if _DEFER_CHECKS.get():
            return
        problems = _notice_problems(self)
        if problems:
            raise InvalidData(_notice_what(self), problems)

    def rest_days(self) -> frozenset[date]:
        """Every day inside one of the holiday periods."""
        return frozenset(day for period in self.holidays for day in period.days())


def _notice_what(notice: HolidayNotice) -> str:
    return f"holiday notice for {notice.year}"


def _notice_problems(notice: HolidayNotice) -> list[Problem]:
    """Everything wrong with ``notice``, each problem with its path."""
    year = notice.year
    if not MINYEAR < year < MAXYEAR:
        return [Problem("year", f"{year} is not a year this calendar can handle")]
    earliest = date(year, 1, 1) - _NOTICE_MARGIN
    latest = date(year, 12, 31) + _NOTICE_MARGIN

    def outside(day: date, path: str) -> list[Problem]:
        if earliest <= day <= latest:
            return []
        return [Problem(path, f"{day} is neither in {year} nor within 7 days of it")]

    problems: list[Problem] = []
    for i, period in enumerate(notice.holidays):
        prefix = f"holidays[{i}]."
        problems += _period_problems(period, prefix)
        problems += outside(period.first, f"{prefix}first")
        problems += outside(period.last, f"{prefix}last")
    for j, workday in enumerate(notice.workdays):
        path = f"workdays[{j}]"
        problems += outside(workday, path)
        problems.extend(
            Problem(
                path,
                f"make-up working day {workday} falls inside holidays[{i}] "
                f"({period.name_en} {period.name_zh}, {period.first} to {period.last})",
            )
            for i, period in enumerate(notice.holidays)
            if workday in period
        )
    return problems


@cache
def _converter() -> cattrs.Converter:
    return make_converter()


def holiday_notice_from_data(
    data: Mapping[str, Any], *, source: str | None = None
) -> HolidayNotice:
    """Build a notice from plain data (parsed TOML or JSON), or raise ``InvalidData``.

    Structure errors (a missing field, a bad date) and rule violations (a make-up working day
    inside a holiday) are reported with their paths, e.g. ``workdays[1]``.
    """
    with _checks_deferred():
        notice = structure(_converter(), data, HolidayNotice, what="holiday notice", source=source)
    problems = _notice_problems(notice)
    if problems:
        raise InvalidData(_notice_what(notice), problems, source)
    return notice


def load_holiday_notice(path: str | os.PathLike[str]) -> HolidayNotice:
    """Read a notice from a ``.toml`` or ``.json`` file, or raise ``InvalidData``.

    A file that cannot be read raises ``OSError`` as usual; one that cannot be parsed, or does
    not describe a valid notice, raises ``InvalidData`` naming the file (and the line).
    """
    file = Path(path)
    source = str(file)
    suffix = file.suffix.lower()
    if suffix not in {".toml", ".json"}:
        problem = f"unsupported file type {suffix or '(none)'!r}; use .toml or .json"
        raise InvalidData("holiday notice", [Problem("", problem)], source)
    data: Any
    try:
        if suffix == ".toml":
            with file.open("rb") as stream:
                data = tomllib.load(stream)
        else:
            data = json.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        # The message ends "(at line 3, column 9)".
        raise InvalidData("holiday notice", [Problem("", f"TOML: {exc}")], source) from exc
    except json.JSONDecodeError as exc:
        raise InvalidData("holiday notice", [Problem("", f"JSON: {exc}")], source) from exc
    except UnicodeDecodeError as exc:
        raise InvalidData("holiday notice", [Problem("", f"not UTF-8: {exc}")], source) from exc
    if not isinstance(data, Mapping):
        problem = f"expected a table of fields, got {type(data).__name__}"
        raise InvalidData("holiday notice", [Problem("", problem)], source)
    return holiday_notice_from_data(data, source=source)


# --------------------------------------------------------------------------- holiday calendars


class _TableCalendar(CalendarBase):
    """A calendar that knows each working day of its covered years, precomputed."""

    covered_years: frozenset[int]
    """The years this calendar can answer for; any other raises ``CalendarRangeError``."""

    def __init__(self, name: str, working: Mapping[int, frozenset[date]]) -> None:
        self.name = name
        self._working = dict(working)
        self.covered_years = frozenset(self._working)

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day; raises ``CalendarRangeError`` outside its years."""
        if isinstance(day, datetime):
            # A datetime never equals a date, so a set lookup would silently say "rest day".
            raise TypeError(f"expected a date, got a datetime ({day!r}); pass its local date")
        try:
            working = self._working[day.year]
        except KeyError:
            raise CalendarRangeError(day.year, self.covered_years, self.name) from None
        return day in working

    def __repr__(self) -> str:
        span = f"{min(self.covered_years)}–{max(self.covered_years)}" if self.covered_years else ""
        return f"{type(self).__name__}(name={self.name!r}, covered_years={span!r})"


def _working_days_by_year(
    years: Iterable[int], rest: Collection[date], work: Collection[date]
) -> dict[int, frozenset[date]]:
    """Each year's working days: make-up days, then weekdays that are not holidays."""
    table = {}
    for year in years:
        first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        days = (date.fromordinal(n) for n in range(first, last + 1))
        table[year] = frozenset(
            day for day in days if day in work or (day.weekday() < 5 and day not in rest)
        )
    return table


def _latest_per_year(notices: Iterable[HolidayNotice]) -> dict[int, HolidayNotice]:
    by_year: dict[int, HolidayNotice] = {}
    for notice in notices:
        by_year[notice.year] = notice  # a later notice (a city's correction) replaces
    return dict(sorted(by_year.items()))


class HolidayCalendar(_TableCalendar):
    """Weekdays adjusted by holiday notices; covers exactly the notices' years.

    A day is a working day if a notice makes it a make-up working day, else not if it lies in
    a holiday period, else if it is Monday to Friday. Of two notices for the same year the one
    given later wins, so a city's correction replaces the national notice. Dates a notice
    sets just outside its year (New Year periods) count when that neighbouring year is covered.
    """

    def __init__(self, notices: Iterable[HolidayNotice], name: str = "holidays") -> None:
        self.notices: tuple[HolidayNotice, ...] = tuple(_latest_per_year(notices).values())
        """The notices in force, one per covered year, in year order."""
        rest = {day for notice in self.notices for day in notice.rest_days()}
        work = {day for notice in self.notices for day in notice.workdays}
        years = [notice.year for notice in self.notices]
        super().__init__(name, _working_days_by_year(years, rest, work))


class OfficialChineseCalendar(_TableCalendar):
    """The official Chinese calendar from ``chinesecalendar``, extended by notices as data.

    Each year's arrangement is published in the November before, often after the package's
    latest release: a notice adds its year, or replaces the package's data for a year the
    package covers (everything the package sets for that year, including the late-December
    days of its New Year period). Covered years are the package's and the notices'.
    """

    name = "cn-official"

    def __init__(self, notices: Iterable[HolidayNotice] = ()) -> None:
        try:
            from chinese_calendar import constants  # noqa: PLC0415 - an optional extra
        except ImportError as exc:
            raise CalendarError(
                "the official Chinese calendar needs the chinesecalendar package: "
                "pip install 'civicgrid[china]'",
                "官方节假日日历需要安装 chinesecalendar：pip install 'civicgrid[china]'",
            ) from exc
        package_rest: Mapping[date, str] = constants.holidays
        package_work: Mapping[date, str] = constants.workdays
        new_year: str = constants.Holiday.new_years_day.value
        # The package covers every year from its first holiday's to its last one's.
        package_years = range(min(package_rest).year, max(package_rest).year + 1)

        def arranged_for(day: date, holiday: str) -> int:
            # Late-December days of a New Year period come from the next year's notice.
            return day.year + 1 if day.month == 12 and holiday == new_year else day.year

        self.notices: tuple[HolidayNotice, ...] = tuple(_latest_per_year(notices).values())
        """The notices in force, one per year they add or replace, in year order."""
        replaced = {notice.year for notice in self.notices}
        rest = {d for d, h in package_rest.items() if arranged_for(d, h) not in replaced}
        work = {d for d, h in package_work.items() if arranged_for(d, h) not in replaced}
        for notice in self.notices:
            rest |= notice.rest_days()
            work.update(notice.workdays)
        years = sorted(set(package_years) | replaced)
        super().__init__(self.name, _working_days_by_year(years, rest, work))


# --------------------------------------------------------------------------- working time


def _midnight(day: date, tz: tzinfo) -> datetime:
    """Return the UTC instant at which local ``day`` begins in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def add_working_time(
    calendar: WorkCalendar, start: datetime, amount: timedelta, tz: tzinfo = DEFAULT_TZ
) -> datetime:
    """Return the instant when ``amount`` of working time has passed since ``start``, in ``tz``.

    Only time on working days (local days in ``tz``) counts. An amount that ends exactly at
    the end of a working day gives that day's closing midnight, not a later morning; a zero
    amount gives ``start`` even on a rest day. The inverse of :func:`working_time_between`.
    """
    require_aware(start, "start")
    if amount < _NO_TIME:
        raise CalendarError(
            f"working time to add must not be negative, got {amount}",
            f"所加工作时长不能为负数：{amount}",
        )
    if not amount:
        return start.astimezone(tz)
    # Arithmetic in UTC between local midnights: right across DST changes in any zone.
    now = start.astimezone(UTC)
    day = start.astimezone(tz).date()
    remaining = amount
    rest_run = 0
    while True:
        day_end = _midnight(day + _ONE_DAY, tz)
        if calendar.is_working_day(day):
            rest_run = 0
            available = max(day_end - now, _NO_TIME)
            if remaining <= available:
                return (now + remaining).astimezone(tz)
            remaining -= available
        else:
            rest_run = _count_rest(calendar, rest_run, start.astimezone(tz).date())
        now = max(now, day_end)
        day += _ONE_DAY


def working_time_between(
    calendar: WorkCalendar, start: datetime, end: datetime, tz: tzinfo = DEFAULT_TZ
) -> timedelta:
    """Return the working time from ``start`` to ``end`` (days local to ``tz``); 0 if none."""
    require_aware(start, "start")
    require_aware(end, "end")
    low, high = start.astimezone(UTC), end.astimezone(UTC)
    if high <= low:
        return _NO_TIME
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    total = _NO_TIME
    while day <= last:
        day_end = _midnight(day + _ONE_DAY, tz)
        piece = min(day_end, high) - low
        # A day is only asked about if some of the span falls on it: an end at midnight must
        # not reach into a year the calendar does not cover.
        if piece > _NO_TIME and calendar.is_working_day(day):
            total += piece
        low = max(low, day_end)
        day += _ONE_DAY
    return total
