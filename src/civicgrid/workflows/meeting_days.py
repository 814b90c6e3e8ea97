"""Recurring meeting days (DOMAIN.md D3, D4): dateutil rules, a holiday policy, a work calendar.

A :class:`MeetingRule` says when a deliberation form meets — the 20th of every month (爱邻议事日),
every Thursday (周四来说事), twice a month (半月说事), weekends (周末议事厅), monthly and
quarterly joint meetings — with a Chinese and an English description made from the rule, and
what happens when a meeting day falls on a public holiday (:class:`HolidayPolicy`: keep it,
move it to the next or the previous working day, or skip it). The days come from
:mod:`dateutil.rrule`; the holidays from the kernel's :class:`~civicgrid.WorkCalendar`, e.g.
:class:`~civicgrid.OfficialChineseCalendar`.

A public holiday here is a rest day that belongs to a holiday break: a Monday-to-Friday rest
day, or a weekend day in the same run of rest days as one (a Saturday inside the Spring
Festival break). An ordinary weekend is not a holiday, so a weekend meeting is not moved off
it, and the default weekend-only calendar never moves anything. A make-up working day
(调休上班) is a working day, so a meeting on it is held.

"The next five meeting days after X" is ``rule.next_after(X, 5, calendar=c)``; "all meeting
days in 2026" is ``rule.in_year(2026, calendar=c)``. Both select by the day a meeting is
*held*; each :class:`MeetingDay` also says the day it was scheduled for.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta

import attrs
from dateutil import rrule

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.errors import CalendarError, InvalidData, Problem
from civicgrid.workflows.calendar import DEFAULT_CALENDAR, WorkCalendar

__all__ = [
    "AILIN_DELIBERATION_DAY",
    "HALF_MONTH_TALKS",
    "MEETING_RULES",
    "MONTHLY_JOINT_MEETING",
    "QUARTERLY_JOINT_MEETING",
    "THURSDAY_TALKS",
    "WEEKEND_HALL",
    "Frequency",
    "HolidayPolicy",
    "MeetingDay",
    "MeetingDayError",
    "MeetingDayTooFar",
    "MeetingRule",
    "Weekday",
    "is_public_holiday",
]

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_DAY = timedelta(days=1)
_HORIZON = timedelta(days=3660)
"""How far ahead ``next_after`` looks before it gives up: ten years."""


class Weekday(Labelled):
    """A day of the week; :attr:`number` is ``date.weekday()`` (Monday is 0)."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """0 for Monday to 6 for Sunday, as :meth:`datetime.date.weekday`."""
        return list(Weekday).index(self)

    @property
    def short_zh(self) -> str:
        """The character after 周 (``四`` in 周四)."""
        return "一二三四五六日"[self.number]


class Frequency(Labelled):
    """How often a rule repeats."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class HolidayPolicy(Labelled):
    """What happens to a meeting day that falls on a public holiday."""

    KEEP = "keep"
    NEXT_WORKING_DAY = "next_working_day"
    PREVIOUS_WORKING_DAY = "previous_working_day"
    SKIP = "skip"


_LABELS: dict[enum.StrEnum, tuple[str, str]] = {
    Weekday.MONDAY: ("星期一", "Monday"),
    Weekday.TUESDAY: ("星期二", "Tuesday"),
    Weekday.WEDNESDAY: ("星期三", "Wednesday"),
    Weekday.THURSDAY: ("星期四", "Thursday"),
    Weekday.FRIDAY: ("星期五", "Friday"),
    Weekday.SATURDAY: ("星期六", "Saturday"),
    Weekday.SUNDAY: ("星期日", "Sunday"),
    Frequency.WEEKLY: ("每周", "weekly"),
    Frequency.MONTHLY: ("每月", "monthly"),
    Frequency.QUARTERLY: ("每季度", "quarterly"),
    HolidayPolicy.KEEP: ("逢法定节假日照常举行", "held on public holidays too"),
    HolidayPolicy.NEXT_WORKING_DAY: (
        "逢法定节假日顺延至下一个工作日",
        "moved to the next working day when it falls on a public holiday",
    ),
    HolidayPolicy.PREVIOUS_WORKING_DAY: (
        "逢法定节假日提前至上一个工作日",
        "brought forward to the previous working day when it falls on a public holiday",
    ),
    HolidayPolicy.SKIP: ("逢法定节假日当次不举行", "not held when it falls on a public holiday"),
}
register_labels(_LABELS)


def is_public_holiday(calendar: WorkCalendar, day: date) -> bool:
    """Whether ``day`` is a public holiday on ``calendar`` (see the module docstring).

    A rest day from Monday to Friday is one; a Saturday or Sunday is one when its run of rest
    days reaches a weekday (the Friday before, or the Monday after), which asks the calendar
    about at most two more days.
    """
    if calendar.is_working_day(day):
        return False
    weekday = day.weekday()
    if weekday < 5:
        return True
    step = _DAY if weekday == 5 else -_DAY  # towards the other day of the weekend
    if not calendar.is_working_day(day - step):  # the Friday before a Saturday, Monday after Sunday
        return True
    return not calendar.is_working_day(day + step) and not calendar.is_working_day(day + 2 * step)


@attrs.frozen(kw_only=True)
class MeetingDay:
    """A day a meeting is held, and the day its rule scheduled it for."""

    held: date
    scheduled: date

    @property
    def moved(self) -> bool:
        """Whether the holiday policy moved the meeting off its scheduled day."""
        return self.held != self.scheduled


class MeetingDayError(CalendarError, ValueError):
    """A meeting rule cannot answer about a day; :attr:`rule` and :attr:`day` say which."""

    def __init__(self, rule: MeetingRule, day: date, message_en: str, message_zh: str) -> None:
        self.rule = rule
        self.day = day
        super().__init__(
            f"meeting rule {rule.key!r}: {message_en}", f"会议规则 {rule.key!r}：{message_zh}"
        )


class MeetingDayTooFar(MeetingDayError):
    """A holiday would move a meeting further than its rule allows (``max_shift_days``)."""

    def __init__(self, rule: MeetingRule, scheduled: date, held: date) -> None:
        self.scheduled = scheduled
        self.held = held
        days = abs((held - scheduled).days)
        super().__init__(
            rule,
            scheduled,
            f"{scheduled} falls on a public holiday and would move to {held}, {days} days "
            f"away; the rule allows {rule.max_shift_days}",
            f"{scheduled} 逢法定节假日，将调整到 {held}（相隔 {days} 天），"
            f"超过允许的 {rule.max_shift_days} 天",
        )


def _weekdays(value: Iterable[Weekday] | Weekday) -> tuple[Weekday, ...]:
    days = (value,) if isinstance(value, Weekday) else tuple(value)
    return tuple(sorted(set(days), key=_day_number))


def _day_number(day: object) -> int:
    return day.number if isinstance(day, Weekday) else -1


def _month_days(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


_NTH = {1: ("第一个", "first"), 2: ("第二个", "second"), 3: ("第三个", "third")}
_NTH |= {4: ("第四个", "fourth"), -1: ("最后一个", "last")}


@attrs.frozen(kw_only=True)
class MeetingRule:
    """When a deliberation form meets, and what a public holiday does to a meeting day.

    ``WEEKLY`` meets on ``weekdays``. ``MONTHLY`` and ``QUARTERLY`` meet on ``month_days``
    (1–28, or -1 for the last day) or on the ``nth`` (1–4, or -1 for the last) of one weekday;
    a quarterly rule does so in month ``month_of_quarter`` (1–3) of each quarter. ``interval``
    repeats every n weeks or months, counted from ``start`` ("every other Thursday from
    2026-01-01"); a rule with a ``start`` has no meeting before it. A meeting is moved at most
    ``max_shift_days`` by the holiday policy.
    """

    key: str
    label_zh: str
    label_en: str
    frequency: Frequency
    weekdays: tuple[Weekday, ...] = attrs.field(default=(), converter=_weekdays)
    month_days: tuple[int, ...] = attrs.field(default=(), converter=_month_days)
    nth: int | None = None
    month_of_quarter: int = 1
    interval: int = 1
    start: date | None = None
    holiday_policy: HolidayPolicy = HolidayPolicy.KEEP
    max_shift_days: int = 15
    source: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        key: object = self.key
        if not isinstance(key, str) or not _KEY.match(key):
            problems.append(Problem("key", f"must be a lower_snake key, not {key!r}"))
        for field in ("label_zh", "label_en"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(field, "must be non-blank text"))
        for field, kind in (("frequency", Frequency), ("holiday_policy", HolidayPolicy)):
            value = getattr(self, field)
            if not isinstance(value, kind):
                problems.append(Problem(field, f"must be a {kind.__name__}, not {value!r}"))
        weekdays: tuple[object, ...] = self.weekdays
        problems.extend(
            Problem("weekdays", f"must hold Weekday members, not {day!r}")
            for day in weekdays
            if not isinstance(day, Weekday)
        )
        problems.extend(self._pattern_problems())
        for field in ("interval", "max_shift_days", "month_of_quarter"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(Problem(field, f"must be a whole number ≥ 1, not {value!r}"))
        if not problems:
            problems.extend(self._repeat_problems())
        if problems:
            raise InvalidData(f"meeting rule {self.key!r}", problems)

    def _pattern_problems(self) -> list[Problem]:
        if self.frequency is Frequency.WEEKLY:
            problems = [] if self.weekdays else [Problem("weekdays", "name at least one day")]
            if self.month_days or self.nth is not None:
                problems.append(Problem("month_days", "a weekly rule meets on weekdays only"))
            return problems
        month_days: tuple[object, ...] = self.month_days
        problems = [
            Problem("month_days", f"must be 1–28 or -1 (the last day), not {day!r}")
            for day in month_days
            if isinstance(day, bool)
            or not isinstance(day, int)
            or not (1 <= day <= 28 or day == -1)
        ]
        if len(set(self.month_days)) != len(self.month_days):
            problems.append(Problem("month_days", "a day is named twice"))
        if self.nth is None:
            if not self.month_days:
                problems.append(Problem("month_days", "give month days, or nth and one weekday"))
            if self.weekdays:
                problems.append(Problem("weekdays", "a weekday needs nth (the first Monday …)"))
        elif self.month_days or self.nth not in _NTH or len(self.weekdays) != 1:
            problems.append(
                Problem("nth", "nth (1–4 or -1) takes exactly one weekday and no month days")
            )
        return problems

    def _repeat_problems(self) -> list[Problem]:
        problems = []
        if self.frequency is not Frequency.QUARTERLY and self.month_of_quarter != 1:
            problems.append(Problem("month_of_quarter", "only a quarterly rule has one"))
        if self.frequency is Frequency.QUARTERLY and self.month_of_quarter > 3:
            problems.append(Problem("month_of_quarter", "must be 1, 2 or 3"))
        if self.frequency is Frequency.QUARTERLY and self.interval != 1:
            problems.append(Problem("interval", "a quarterly rule meets every quarter"))
        if self.interval > 1 and self.start is None:
            problems.append(Problem("start", f"every {self.interval} periods counts from a start"))
        return problems

    # ------------------------------------------------------------------ descriptions

    @property
    def when_zh(self) -> str:
        """When the rule meets, in Chinese (``每月20日``, ``每周四``)."""
        if self.frequency is Frequency.WEEKLY:
            period = "每" if self.interval == 1 else f"每{_count_zh(self.interval)}周的"
            return period + "、".join(f"周{d.short_zh}" for d in self.weekdays)
        if self.frequency is Frequency.QUARTERLY:
            period = f"每季度第{'一二三'[self.month_of_quarter - 1]}个月的"
        else:
            period = "每月" if self.interval == 1 else f"每{_count_zh(self.interval)}个月的"
        if self.nth is not None:
            return f"{period}{_NTH[self.nth][0]}{self.weekdays[0].label_zh}"
        return period + "、".join("最后一天" if d == -1 else f"{d}日" for d in self.month_days)

    @property
    def when_en(self) -> str:
        """When the rule meets, in English (``the 20th of every month``, ``every Thursday``)."""
        counted = "" if self.start is None else f" (counted from {self.start.isoformat()})"
        if self.frequency is Frequency.WEEKLY:
            days = _join_en([d.label_en for d in self.weekdays])
            if self.interval == 1:
                return f"every {days}"
            if self.interval == 2:
                return f"every other {days}{counted}"
            return f"every {self.interval} weeks on {days}{counted}"
        if self.frequency is Frequency.QUARTERLY:
            month = ("first", "second", "third")[self.month_of_quarter - 1]
            period = f"the {month} month of every quarter"
        elif self.interval == 1:
            period = "every month"
        elif self.interval == 2:
            period = f"every other month{counted}"
        else:
            period = f"every {self.interval} months{counted}"
        if self.nth is not None:
            return f"the {_NTH[self.nth][1]} {self.weekdays[0].label_en} of {period}"
        days = _join_en(["last day" if d == -1 else _ordinal(d) for d in self.month_days])
        return f"the {days} of {period}"

    @property
    def description_zh(self) -> str:
        """The rule in one Chinese sentence, holiday policy included."""
        return f"{self.label_zh}：{self.when_zh}，{self.holiday_policy.label_zh}"

    @property
    def description_en(self) -> str:
        """The rule in one English sentence, holiday policy included."""
        return f"{self.label_en}: {self.when_en}; {self.holiday_policy.label_en}"

    # ------------------------------------------------------------------ days

    def scheduled(self, first: date, last: date | None = None) -> Iterator[date]:
        """Yield the days the rule schedules from ``first`` to ``last`` (inclusive), in order.

        No holiday policy is applied; without ``last`` the days never end.
        """
        if self.interval > 1 and self.start is not None:
            begin = self.start  # every n periods: counted from the rule's start
        else:
            begin = first if self.start is None else max(first, self.start)
        byweekday: list[rrule.weekday] | None = None
        if self.frequency is Frequency.WEEKLY:
            byweekday = [rrule.weekday(d.number) for d in self.weekdays]
        elif self.nth is not None:
            byweekday = [rrule.weekday(self.weekdays[0].number, self.nth)]
        quarterly = self.frequency is Frequency.QUARTERLY
        days = rrule.rrule(
            rrule.WEEKLY if self.frequency is Frequency.WEEKLY else rrule.MONTHLY,
            dtstart=_instant(begin),
            interval=self.interval,
            until=None if last is None else _instant(last),
            byweekday=byweekday,
            bymonthday=list(self.month_days) or None,
            bymonth=[self.month_of_quarter + 3 * q for q in range(4)] if quarterly else None,
        )
        for instant in days:
            day = instant.date()
            if day >= first:
                yield day

    def held_on(self, scheduled: date, *, calendar: WorkCalendar = DEFAULT_CALENDAR) -> date | None:
        """Return the day a meeting scheduled for ``scheduled`` is held; ``None`` if skipped.

        Raises :class:`MeetingDayTooFar` if the policy would move it more than
        ``max_shift_days``, and :class:`~civicgrid.errors.CalendarRangeError` if the calendar
        does not know the year.
        """
        policy = self.holiday_policy
        if policy is HolidayPolicy.KEEP or not is_public_holiday(calendar, scheduled):
            return scheduled
        if policy is HolidayPolicy.SKIP:
            return None
        step = 1 if policy is HolidayPolicy.NEXT_WORKING_DAY else -1
        held = calendar.add_working_days(scheduled, step)
        if abs((held - scheduled).days) > self.max_shift_days:
            raise MeetingDayTooFar(self, scheduled, held)
        return held

    def _days(self, first: date, last: date, calendar: WorkCalendar) -> Iterator[MeetingDay]:
        """Yield the meeting days held from ``first`` to ``last``, one per held day, in order.

        Held days never run backwards (a holiday moves a day at most to the working day next
        to its break, where any other scheduled day of the same break lands too), so a day
        moved onto another is dropped by comparing with the one before, and the first held
        day past ``last`` ends the search.
        """
        margin = timedelta(days=self.max_shift_days)
        policy = self.holiday_policy
        low = first - margin if policy is HolidayPolicy.NEXT_WORKING_DAY else first
        high = last + margin if policy is HolidayPolicy.PREVIOUS_WORKING_DAY else last
        previous: date | None = None
        for scheduled in self.scheduled(low, high):
            held = self.held_on(scheduled, calendar=calendar)
            if held is None or held < first or held == previous:
                continue
            if held > last:
                return
            previous = held
            yield MeetingDay(held=held, scheduled=scheduled)

    def between(
        self, first: date, last: date, *, calendar: WorkCalendar = DEFAULT_CALENDAR
    ) -> tuple[MeetingDay, ...]:
        """Return the meeting days held from ``first`` to ``last`` inclusive, in order."""
        if last < first:
            return ()
        return tuple(self._days(first, last, calendar))

    def in_year(
        self, year: int, *, calendar: WorkCalendar = DEFAULT_CALENDAR
    ) -> tuple[MeetingDay, ...]:
        """Return every meeting day held in ``year``, in order."""
        return self.between(date(year, 1, 1), date(year, 12, 31), calendar=calendar)

    def next_after(
        self, day: date, count: int = 5, *, calendar: WorkCalendar = DEFAULT_CALENDAR
    ) -> tuple[MeetingDay, ...]:
        """Return the next ``count`` meeting days held after ``day`` (``day`` itself excluded).

        Looks at most ten years ahead, so a rule the calendar skips forever returns fewer.
        """
        if count < 1:
            return ()
        found: list[MeetingDay] = []
        for meeting in self._days(day + _DAY, day + _HORIZON, calendar):
            found.append(meeting)
            if len(found) == count:
                break
        return tuple(found)

    def is_meeting_day(self, day: date, *, calendar: WorkCalendar = DEFAULT_CALENDAR) -> bool:
        """Whether a meeting is held on ``day``."""
        return bool(self.between(day, day, calendar=calendar))

    def collection_window(
        self, held: date, *, calendar: WorkCalendar = DEFAULT_CALENDAR
    ) -> tuple[date, date]:
        """Return the days whose topics go to the meeting held on ``held`` (both inclusive).

        每月收集议题、每月召开会议 (D4): a meeting takes the topics raised since the meeting
        before it, from the day after that meeting to the day before this one. Raises
        :class:`MeetingDayError` if no meeting is held on ``held``, or none in the 400 days
        before it.
        """
        if not self.is_meeting_day(held, calendar=calendar):
            raise MeetingDayError(self, held, f"no meeting is held on {held}", f"{held} 不举行会议")
        earlier = self.between(held - timedelta(days=400), held - _DAY, calendar=calendar)
        if not earlier:
            raise MeetingDayError(
                self,
                held,
                f"no meeting in the 400 days before {held}",
                f"{held} 之前 400 天内没有会议",
            )
        return earlier[-1].held + _DAY, held - _DAY


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _count_zh(n: int) -> str:
    return "两" if n == 2 else str(n)


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join_en(words: list[str]) -> str:
    if len(words) < 3:
        return " and ".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


# --------------------------------------------------------------------------- the documents' forms

AILIN_DELIBERATION_DAY = MeetingRule(
    key="ailin_deliberation_day",
    label_zh="爱邻议事日",
    label_en="Ailin deliberation day",
    frequency=Frequency.MONTHLY,
    month_days=(20,),
    holiday_policy=HolidayPolicy.NEXT_WORKING_DAY,
    source="D3, 003",
)
"""D3 (003): "将每月20日固定设置为小区（院落）‘爱邻议事日’". The seed fixes the day and says
nothing of holidays; the library moves a holiday 20th to the next working day (顺延), so that
no month goes without its deliberation day."""

THURSDAY_TALKS = MeetingRule(
    key="thursday_talks",
    label_zh="周四来说事",
    label_en="Come and talk on Thursday",
    frequency=Frequency.WEEKLY,
    weekdays=(Weekday.THURSDAY,),
    holiday_policy=HolidayPolicy.SKIP,
    source="D4, 000",
)
"""D4 (000): Hefei Yaohai Hengtong's weekly party-mass council "周四来说事". Library default: a
Thursday inside a holiday break is skipped; the next one is a week away."""

HALF_MONTH_TALKS = MeetingRule(
    key="half_month_talks",
    label_zh="半月说事",
    label_en="Talks every half month",
    frequency=Frequency.MONTHLY,
    month_days=(1, 16),
    holiday_policy=HolidayPolicy.NEXT_WORKING_DAY,
    source="D4, 000",
)
"""D4 (000): Hefei Furong community's "半月说事" platform; the seed does not say which days. The
library reads "every half month" as the 1st and the 16th of each month: two meetings in every
month, always one in each half, where "every other week" would give some months three. A city
that means every other week registers ``MeetingRule(frequency=WEEKLY, interval=2, start=…)``."""

WEEKEND_HALL = MeetingRule(
    key="weekend_hall",
    label_zh="周末议事厅",
    label_en="Weekend deliberation hall",
    frequency=Frequency.WEEKLY,
    weekdays=(Weekday.SATURDAY, Weekday.SUNDAY),
    holiday_policy=HolidayPolicy.SKIP,
    source="D4, 000",
)
"""D4 (000): Hefei's 1,433 party-mass deliberation platforms include "周末议事厅". Ordinary
weekends are not holidays; a weekend inside a holiday break is skipped (library default)."""

MONTHLY_JOINT_MEETING = MeetingRule(
    key="monthly_joint_meeting",
    label_zh="每月收集议题、每月召开会议",
    label_en="Monthly topic collection and meeting",
    frequency=Frequency.MONTHLY,
    weekdays=(Weekday.MONDAY,),
    nth=1,
    holiday_policy=HolidayPolicy.NEXT_WORKING_DAY,
    source="D4, I7, 002",
)
"""D4, I7 (002): Huichuan's party-building joint meeting "每月收集议题、每月召开会议". The seed
gives no day; the first Monday of the month is the library's default. The topics of a meeting
are those raised since the one before (:meth:`MeetingRule.collection_window`)."""

QUARTERLY_JOINT_MEETING = MeetingRule(
    key="quarterly_joint_meeting",
    label_zh="城市基层党建联席会议（每季度）",
    label_en="Quarterly joint meeting of the eight working groups",
    frequency=Frequency.QUARTERLY,
    weekdays=(Weekday.MONDAY,),
    nth=1,
    holiday_policy=HolidayPolicy.NEXT_WORKING_DAY,
    source="D4, 002",
)
"""D4 (002): Huichuan's eight working groups meet "每季度召开城市基层党建联席会议". The seed gives
no day; the first Monday of each quarter is the library's default."""

MEETING_RULES: tuple[MeetingRule, ...] = (
    AILIN_DELIBERATION_DAY,
    THURSDAY_TALKS,
    HALF_MONTH_TALKS,
    WEEKEND_HALL,
    MONTHLY_JOINT_MEETING,
    QUARTERLY_JOINT_MEETING,
)
"""The meeting forms of D3 and D4, in the order DOMAIN.md lists them."""
