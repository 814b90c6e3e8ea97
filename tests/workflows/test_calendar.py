"""Work calendars and working-time arithmetic."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.time import DEFAULT_TZ, get_timezone
from civicgrid.errors import CalendarError, CalendarRangeError, InvalidData, NaiveDatetimeError
from civicgrid.workflows.calendar import (
    DEFAULT_CALENDAR,
    CalendarBase,
    HolidayCalendar,
    HolidayNotice,
    HolidayPeriod,
    OfficialChineseCalendar,
    WeekendCalendar,
    WorkCalendar,
    add_working_time,
    holiday_notice_from_data,
    load_holiday_notice,
    working_time_between,
)

if TYPE_CHECKING:
    from pathlib import Path

SHANGHAI = DEFAULT_TZ
BERLIN = get_timezone("Europe/Berlin")
TEHRAN = get_timezone("Asia/Tehran")  # until 2022: DST changed at midnight, on weekdays
WEEKEND = WeekendCalendar()
PROPERTY = settings(max_examples=60, deadline=None)


def _package_years() -> frozenset[int]:
    try:
        return OfficialChineseCalendar().covered_years
    except CalendarError:
        return frozenset()


PACKAGE_YEARS = _package_years()
OFFICIAL = OfficialChineseCalendar() if PACKAGE_YEARS else None
needs_2026 = pytest.mark.skipif(
    2026 not in PACKAGE_YEARS, reason="needs chinesecalendar >= 1.11 (the 2026 arrangement)"
)
# The first year the package has no arrangement for: 2027 with chinesecalendar 1.11.
UNCOVERED = max(PACKAGE_YEARS, default=2026) + 1


def official() -> OfficialChineseCalendar:
    """Return the shared official calendar (tests using it are marked ``needs_2026``)."""
    assert OFFICIAL is not None
    return OFFICIAL


def at(year: int, month: int, day: int, hour: int = 0, tz: tzinfo = SHANGHAI) -> datetime:
    """Return a local instant in ``tz``."""
    return datetime(year, month, day, hour, tzinfo=tz)


def made_up_notice(year: int = 2027, title: str = "TEST DATA, not a real notice") -> HolidayNotice:
    """Return an invented notice: New Year on 01-01 to 01-03, then a weekend day worked."""
    makeup = date(year, 1, 4)
    while makeup.weekday() < 5:
        makeup += timedelta(days=1)
    return HolidayNotice(
        year=year,
        title=title,
        holidays=(
            HolidayPeriod(
                name_zh="元旦",
                name_en="New Year's Day",
                first=date(year, 1, 1),
                last=date(year, 1, 3),
            ),
        ),
        workdays=(makeup,),
    )


class EveryDayCalendar(CalendarBase):
    """Every day is a working day: measures plain elapsed time day by day."""

    name = "every-day"

    def is_working_day(self, day: date) -> bool:
        """Say yes."""
        return True


class NoDayCalendar(CalendarBase):
    """No day is a working day: a broken calendar."""

    name = "no-day"

    def is_working_day(self, day: date) -> bool:
        """Say no."""
        return False


# --------------------------------------------------------------------------- weekend calendar


def test_weekend_calendar_counts_monday_to_friday_as_working_days() -> None:
    """Monday to Friday are working days, Saturday and Sunday are not, in any year."""
    week = [date(2026, 11, 23) + timedelta(days=i) for i in range(7)]
    assert [WEEKEND.is_working_day(day) for day in week] == [True] * 5 + [False] * 2
    assert WEEKEND.is_working_day(date(1900, 1, 1))
    assert WEEKEND.is_working_day(date(2999, 12, 29)) is False  # a Sunday


def test_weekend_calendar_is_the_default_and_a_work_calendar() -> None:
    """The default calendar is the weekend calendar, and every calendar meets the protocol."""
    assert isinstance(DEFAULT_CALENDAR, WeekendCalendar)
    assert DEFAULT_CALENDAR.name == "weekend"
    assert isinstance(WEEKEND, WorkCalendar)
    assert isinstance(HolidayCalendar([made_up_notice()]), WorkCalendar)


def test_weekend_calendar_adds_working_days_over_weekends() -> None:
    """Friday plus one is Monday; zero rolls a Saturday to Monday; minus one goes back."""
    friday, saturday, monday = date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 30)
    assert WEEKEND.add_working_days(friday, 1) == monday
    assert WEEKEND.add_working_days(friday, 0) == friday
    assert WEEKEND.add_working_days(saturday, 0) == monday
    assert WEEKEND.add_working_days(saturday, 1) == monday
    assert WEEKEND.add_working_days(saturday, 2) == monday + timedelta(days=1)
    assert WEEKEND.add_working_days(monday, -1) == friday
    assert WEEKEND.add_working_days(saturday, -1) == friday
    assert WEEKEND.add_working_days(monday, 10) == date(2026, 12, 14)


def test_working_days_between_counts_a_half_open_range() -> None:
    """The range includes its start and excludes its end; a reversed range holds none."""
    monday = date(2026, 11, 23)
    assert WEEKEND.working_days_between(monday, monday) == 0
    assert WEEKEND.working_days_between(monday, monday + timedelta(days=1)) == 1
    assert WEEKEND.working_days_between(monday, monday + timedelta(days=7)) == 5
    assert WEEKEND.working_days_between(monday, monday + timedelta(days=19)) == 15
    assert WEEKEND.working_days_between(monday + timedelta(days=7), monday) == 0


def test_a_calendar_without_working_days_fails_instead_of_looping() -> None:
    """Looking for a working day that never comes raises after a year of rest days."""
    with pytest.raises(CalendarError, match="no working day"):
        NoDayCalendar().add_working_days(date(2026, 1, 1), 1)
    with pytest.raises(CalendarError, match="no working day"):
        add_working_time(NoDayCalendar(), at(2026, 1, 1), timedelta(hours=1))


# --------------------------------------------------------------------------- working time


def test_two_working_days_from_monday_morning_end_on_wednesday_morning() -> None:
    """Monday 10:00 plus two working days is Wednesday 10:00."""
    assert add_working_time(WEEKEND, at(2026, 11, 23, 10), timedelta(days=2)) == at(
        2026, 11, 25, 10
    )


def test_two_working_days_from_saturday_end_when_tuesday_ends() -> None:
    """From Saturday the count begins on Monday at midnight and ends at Wednesday 00:00."""
    due = add_working_time(WEEKEND, at(2026, 11, 21, 10), timedelta(days=2))
    assert due == at(2026, 11, 25)
    assert due.tzinfo is SHANGHAI


def test_adding_no_working_time_returns_the_start_even_on_a_rest_day() -> None:
    """Zero working time from Saturday noon is Saturday noon, not Monday morning."""
    saturday = at(2026, 11, 21, 12)
    assert add_working_time(WEEKEND, saturday, timedelta(0)) == saturday


def test_working_time_results_are_expressed_in_the_calendar_timezone() -> None:
    """A start given in UTC comes back as an instant in the requested zone."""
    start = datetime.fromisoformat("2026-11-23T02:00:00+00:00")  # Monday 10:00 in Shanghai
    due = add_working_time(WEEKEND, start, timedelta(days=1))
    assert due.utcoffset() == timedelta(hours=8)
    assert due == at(2026, 11, 24, 10)


def test_working_time_between_skips_rest_days_and_is_zero_backwards() -> None:
    """Friday 18:00 to Monday 09:00 holds 15 working hours; a reversed span holds none."""
    friday, monday = at(2026, 11, 27, 18), at(2026, 11, 30, 9)
    assert working_time_between(WEEKEND, friday, monday) == timedelta(hours=15)
    assert working_time_between(WEEKEND, monday, friday) == timedelta(0)
    assert working_time_between(WEEKEND, monday, monday) == timedelta(0)


def test_working_time_refuses_naive_datetimes_and_negative_amounts() -> None:
    """Naive instants name their field; a negative amount is a calendar error."""
    naive = datetime(2026, 11, 23, 10)  # noqa: DTZ001 - the point of the test
    with pytest.raises(NaiveDatetimeError) as caught:
        add_working_time(WEEKEND, naive, timedelta(hours=1))
    assert caught.value.field == "start"
    with pytest.raises(NaiveDatetimeError) as caught:
        working_time_between(WEEKEND, at(2026, 11, 23), naive)
    assert caught.value.field == "end"
    with pytest.raises(CalendarError, match="negative"):
        add_working_time(WEEKEND, at(2026, 11, 23), timedelta(hours=-1))


def test_a_working_day_with_a_dst_change_has_its_real_length() -> None:
    """Local days are measured in elapsed time: Berlin's spring-forward Sunday has 23 hours."""
    start, end = at(2026, 3, 29, tz=BERLIN), at(2026, 3, 30, tz=BERLIN)
    assert working_time_between(EveryDayCalendar(), start, end, BERLIN) == timedelta(hours=23)
    assert add_working_time(EveryDayCalendar(), start, timedelta(hours=23), BERLIN) == end


def test_a_midnight_that_does_not_exist_still_bounds_the_day() -> None:
    """Tehran skipped 00:00–01:00 on Monday 2021-03-22: that working day had 23 hours."""
    monday, tuesday = date(2021, 3, 22), date(2021, 3, 23)
    sunday_night = at(2021, 3, 21, 23, tz=TEHRAN)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=TEHRAN)
    end = datetime.combine(tuesday, datetime.min.time(), tzinfo=TEHRAN)
    assert working_time_between(WEEKEND, sunday_night, end, TEHRAN) == timedelta(hours=23)
    assert working_time_between(WEEKEND, start, end, TEHRAN) == timedelta(hours=23)


# --------------------------------------------------------------------------- the official calendar


@needs_2026
def test_package_data_has_the_2026_spring_festival_as_verified() -> None:
    """The package lists 2026-02-15 … 02-23 as holidays and 02-14, 02-28 as working days."""
    from chinese_calendar import constants  # noqa: PLC0415 - an optional extra

    festival = {day for day, name in constants.holidays.items() if name == "Spring Festival"}
    assert {day for day in festival if day.year == 2026} == {
        date(2026, 2, 15) + timedelta(days=i) for i in range(9)
    }
    makeup = {day for day, name in constants.workdays.items() if name == "Spring Festival"}
    assert {day for day in makeup if day.year == 2026} == {date(2026, 2, 14), date(2026, 2, 28)}


@needs_2026
def test_the_2026_spring_festival_is_nine_rest_days_between_two_working_saturdays() -> None:
    """2026-02-15 to 02-23 are rest days; Saturdays 02-14 and 02-28 are make-up working days."""
    calendar = official()
    assert calendar.name == "cn-official"
    for offset in range(9):
        assert not calendar.is_working_day(date(2026, 2, 15) + timedelta(days=offset))
    assert date(2026, 2, 14).weekday() == date(2026, 2, 28).weekday() == 5
    assert calendar.is_working_day(date(2026, 2, 14))
    assert calendar.is_working_day(date(2026, 2, 28))
    assert calendar.is_working_day(date(2026, 2, 24))
    assert not calendar.is_working_day(date(2026, 3, 1))


@needs_2026
def test_working_days_are_counted_across_the_spring_festival() -> None:
    """Friday 02-13 plus one is Saturday 02-14; plus one more jumps the festival to 02-24."""
    calendar = official()
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert calendar.add_working_days(date(2026, 2, 15), 0) == date(2026, 2, 24)
    assert calendar.add_working_days(date(2026, 2, 24), -1) == date(2026, 2, 14)
    assert calendar.working_days_between(date(2026, 2, 13), date(2026, 2, 25)) == 3


@needs_2026
def test_two_working_days_from_the_friday_before_the_festival_end_after_it() -> None:
    """Friday 02-13 10:00 + 2 working days: 14 h Friday, 24 h Saturday, 10 h on 02-24."""
    start = datetime.fromisoformat("2026-02-13T10:00:00+08:00")
    due = add_working_time(official(), start, timedelta(days=2))
    assert due == datetime.fromisoformat("2026-02-24T10:00:00+08:00")
    assert working_time_between(official(), start, due) == timedelta(days=2)


@needs_2026
def test_a_year_without_an_arrangement_raises_naming_the_year_and_the_covered_range() -> None:
    """The first year after the package's data (2027 today) raises, never guesses."""
    with pytest.raises(CalendarRangeError) as caught:
        official().is_working_day(date(UNCOVERED, 3, 1))
    error = caught.value
    assert error.year == UNCOVERED
    assert error.calendar == "cn-official"
    assert str(UNCOVERED) in str(error)
    assert f"{min(PACKAGE_YEARS)}–{UNCOVERED - 1}" in str(error)
    with pytest.raises(CalendarRangeError):
        official().add_working_days(date(UNCOVERED - 1, 12, 30), 5)


@needs_2026
def test_working_time_may_end_at_the_last_covered_midnight() -> None:
    """Ending exactly as the last covered year ends never asks about the next year."""
    start = at(UNCOVERED - 1, 12, 31)
    assert official().is_working_day(start.date())
    end = add_working_time(official(), start, timedelta(days=1))
    assert end == at(UNCOVERED, 1, 1)
    assert working_time_between(official(), start, end) == timedelta(days=1)


@needs_2026
def test_a_made_up_notice_covers_a_new_year() -> None:
    """An invented notice (test data, not the real arrangement) makes its year covered."""
    notice = made_up_notice(UNCOVERED)
    calendar = OfficialChineseCalendar([notice])
    assert calendar.covered_years == PACKAGE_YEARS | {UNCOVERED}
    assert calendar.notices == (notice,)
    assert not calendar.is_working_day(date(UNCOVERED, 1, 1))
    assert calendar.is_working_day(notice.workdays[0])
    assert not WEEKEND.is_working_day(notice.workdays[0])
    assert calendar.add_working_days(date(UNCOVERED - 1, 12, 31), 1) == (
        WEEKEND.add_working_days(date(UNCOVERED, 1, 3), 1)
    )


@needs_2026
def test_a_notice_replaces_the_package_data_for_its_year() -> None:
    """A (made-up) 2026 correction replaces every package entry of 2026, and only those."""
    correction = HolidayNotice(
        year=2026,
        title="TEST DATA: a fictional correction",
        holidays=(
            HolidayPeriod(
                name_zh="春节",
                name_en="Spring Festival",
                first=date(2026, 2, 16),
                last=date(2026, 2, 24),
            ),
        ),
    )
    calendar = OfficialChineseCalendar([correction])
    assert not calendar.is_working_day(date(2026, 2, 24))
    assert not calendar.is_working_day(date(2026, 2, 14))  # a Saturday again
    assert calendar.is_working_day(date(2026, 10, 1))  # not in the correction: a Thursday
    assert not calendar.is_working_day(date(2025, 10, 1))  # other years untouched
    assert not official().is_working_day(date(2026, 10, 1))


def test_a_new_year_period_belongs_to_the_notice_of_the_year_it_opens() -> None:
    """The package's 2018-12-29/31 come from the 2019 notice: replacing 2019 drops them."""
    if not {2018, 2019} <= PACKAGE_YEARS:
        pytest.skip("needs chinesecalendar's 2018-2019 data")
    assert official().is_working_day(date(2018, 12, 29))  # a make-up Saturday
    assert not official().is_working_day(date(2018, 12, 31))  # a holiday Monday
    replaced_2018 = OfficialChineseCalendar([made_up_notice(2018)])
    assert replaced_2018.is_working_day(date(2018, 12, 29))
    assert not replaced_2018.is_working_day(date(2018, 12, 31))
    replaced_2019 = OfficialChineseCalendar([made_up_notice(2019)])
    assert not replaced_2019.is_working_day(date(2018, 12, 29))
    assert replaced_2019.is_working_day(date(2018, 12, 31))


def test_the_official_calendar_explains_how_to_install_its_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without chinesecalendar the constructor says to install the ``china`` extra."""
    monkeypatch.setitem(sys.modules, "chinese_calendar", None)
    monkeypatch.setitem(sys.modules, "chinese_calendar.constants", None)
    with pytest.raises(CalendarError, match=r"pip install 'civicgrid\[china\]'"):
        OfficialChineseCalendar()


def test_the_module_imports_without_chinesecalendar() -> None:
    """chinese_calendar is imported lazily, so the module loads without the extra."""
    code = (
        "import sys; sys.modules['chinese_calendar'] = None; "
        "import civicgrid.workflows.calendar as c; print(c.WeekendCalendar().name)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "weekend"


# --------------------------------------------------------------------------- holiday calendars


def test_a_holiday_calendar_covers_exactly_its_notices_years() -> None:
    """Days outside the notices' years raise, naming the calendar and what it covers."""
    calendar = HolidayCalendar([made_up_notice(2091), made_up_notice(2092)], name="test-city")
    assert calendar.covered_years == frozenset({2091, 2092})
    assert not calendar.is_working_day(date(2091, 1, 2))
    assert calendar.is_working_day(made_up_notice(2092).workdays[0])
    with pytest.raises(CalendarRangeError) as caught:
        calendar.is_working_day(date(2093, 1, 5))
    assert caught.value.covered == (2091, 2092)
    assert "test-city" in str(caught.value)
    assert "2091–2092" in str(caught.value)


def test_a_later_notice_for_the_same_year_wins() -> None:
    """A city's correction given after the national notice replaces it for that year."""
    national = made_up_notice(2091)
    correction = HolidayNotice(year=2091, title="TEST DATA: correction", holidays=[])
    calendar = HolidayCalendar([national, correction])
    assert calendar.notices == (correction,)
    assert calendar.is_working_day(date(2091, 1, 1))
    assert not calendar.is_working_day(national.workdays[0])  # a weekend day again


def test_a_notice_may_reach_into_the_neighbouring_year() -> None:
    """A New Year period starting on 12-30 counts when the year before is covered too."""
    straddling = HolidayNotice(
        year=2092,
        title="TEST DATA",
        holidays=[
            HolidayPeriod(
                name_zh="元旦",
                name_en="New Year's Day",
                first=date(2091, 12, 31),
                last=date(2092, 1, 1),
            )
        ],
    )
    calendar = HolidayCalendar([made_up_notice(2091), straddling])
    assert date(2091, 12, 31).weekday() == 0
    assert not calendar.is_working_day(date(2091, 12, 31))
    assert HolidayCalendar([made_up_notice(2091)]).is_working_day(date(2091, 12, 31))


def test_calendars_refuse_datetimes_where_a_date_is_meant() -> None:
    """A datetime never equals a date, so a lookup would silently be wrong: it is refused."""
    with pytest.raises(TypeError, match="local date"):
        HolidayCalendar([made_up_notice(2091)]).is_working_day(
            datetime(2091, 1, 5, tzinfo=SHANGHAI)
        )


# --------------------------------------------------------------------------- notices as data

NOTICE_TOML = """\
year = 2091
title = "TEST DATA: 2091年部分节假日安排（虚构）"
workdays = [2091-01-07]

[[holidays]]
name_zh = "元旦"
name_en = "New Year's Day"
first = 2091-01-01
last = 2091-01-03
"""


def notice_data(**changes: object) -> dict[str, object]:
    """Return valid notice data with ``changes`` applied."""
    data: dict[str, object] = {
        "year": 2091,
        "title": "TEST DATA",
        "holidays": [
            {
                "name_zh": "元旦",
                "name_en": "New Year's Day",
                "first": "2091-01-01",
                "last": "2091-01-03",
            }
        ],
        "workdays": ["2091-01-07"],
    }
    data.update(changes)
    return data


def paths(error: InvalidData) -> list[str]:
    """Return the paths of an error's problems."""
    return [problem.path for problem in error.problems]


def test_a_notice_loads_from_toml_and_from_json(tmp_path: Path) -> None:
    """TOML (native dates) and JSON (ISO strings) give the same notice."""
    toml_file = tmp_path / "2091.toml"
    toml_file.write_text(NOTICE_TOML, encoding="utf-8")
    json_file = tmp_path / "2091.json"
    json_file.write_text(
        '{"year": 2091, "title": "TEST DATA: 2091年部分节假日安排（虚构）", '
        '"workdays": ["2091-01-07"], "holidays": [{"name_zh": "元旦", '
        '"name_en": "New Year\'s Day", "first": "2091-01-01", "last": "2091-01-03"}]}',
        encoding="utf-8",
    )
    notice = load_holiday_notice(toml_file)
    assert notice == load_holiday_notice(str(json_file))
    assert notice.workdays == (date(2091, 1, 7),)
    assert notice.holidays[0].last == date(2091, 1, 3)
    assert notice.rest_days() == {date(2091, 1, 1), date(2091, 1, 2), date(2091, 1, 3)}


def test_a_missing_field_is_reported_with_its_path() -> None:
    """A holiday without ``last`` is named as ``holidays[0].last``."""
    data = notice_data(holidays=[{"name_zh": "元旦", "name_en": "New Year", "first": "2091-01-01"}])
    with pytest.raises(InvalidData) as caught:
        holiday_notice_from_data(data, source="notices/2091.toml")
    assert paths(caught.value) == ["holidays[0].last"]
    assert caught.value.problems[0].message == "missing"
    assert "notices/2091.toml" in str(caught.value)


def test_a_make_up_working_day_inside_a_holiday_is_refused() -> None:
    """A working day that falls inside a holiday period is reported at ``workdays[1]``."""
    data = notice_data(workdays=["2091-01-07", "2091-01-02"])
    with pytest.raises(InvalidData) as caught:
        holiday_notice_from_data(data)
    assert paths(caught.value) == ["workdays[1]"]
    assert "holidays[0]" in caught.value.problems[0].message


def test_every_problem_of_a_notice_is_listed_at_once() -> None:
    """A reversed period, an over-long one and a date far from the year are all reported."""
    holidays = [
        {"name_zh": "甲", "name_en": "A", "first": "2091-05-05", "last": "2091-05-01"},
        {"name_zh": "乙", "name_en": "B", "first": "2091-07-01", "last": "2091-08-15"},
    ]
    data = notice_data(holidays=holidays, workdays=["2091-01-07", "2093-01-01"])
    with pytest.raises(InvalidData) as caught:
        holiday_notice_from_data(data)
    assert paths(caught.value) == ["holidays[0].last", "holidays[1].last", "workdays[1]"]
    assert "at most 31 days" in caught.value.problems[1].message


def test_dates_within_a_week_of_the_year_are_accepted() -> None:
    """A New Year period may begin in the last days of the year before."""
    data = notice_data(
        holidays=[
            {"name_zh": "元旦", "name_en": "New Year", "first": "2090-12-30", "last": "2091-01-01"}
        ],
        workdays=["2090-12-29"],
    )
    assert holiday_notice_from_data(data).workdays == (date(2090, 12, 29),)


def test_building_an_invalid_notice_in_python_raises_invalid_data() -> None:
    """Notices and periods built in code are checked like loaded ones."""
    with pytest.raises(InvalidData) as caught:
        HolidayNotice(
            year=2091,
            title="TEST DATA",
            holidays=made_up_notice(2091).holidays,
            workdays=(date(2091, 1, 2),),
        )
    assert paths(caught.value) == ["workdays[0]"]
    with pytest.raises(InvalidData) as caught:
        HolidayPeriod(name_zh="甲", name_en="A", first=date(2091, 1, 2), last=date(2091, 1, 1))
    assert paths(caught.value) == ["last"]


def test_wrong_types_and_unknown_fields_are_reported() -> None:
    """A year given as text and an unexpected key are both named."""
    with pytest.raises(InvalidData) as caught:
        holiday_notice_from_data(notice_data(year="2091", note="?"))
    assert sorted(paths(caught.value)) == ["", "year"]


def test_malformed_toml_names_the_file_and_line(tmp_path: Path) -> None:
    """A TOML syntax error becomes InvalidData naming the file and the line."""
    broken = tmp_path / "broken.toml"
    broken.write_text('year = 2091\ntitle = "unterminated\n', encoding="utf-8")
    with pytest.raises(InvalidData) as caught:
        load_holiday_notice(broken)
    assert caught.value.source == str(broken)
    assert "line 2" in str(caught.value)


def test_malformed_json_and_other_file_types_are_invalid_data(tmp_path: Path) -> None:
    """Broken JSON, a JSON list and an unknown suffix are all refused as invalid data."""
    broken = tmp_path / "broken.json"
    broken.write_text('{"year": 2091,', encoding="utf-8")
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    other = tmp_path / "notice.yaml"
    other.write_text("year: 2091\n", encoding="utf-8")
    for path, text in ((broken, "line 1"), (listed, "list"), (other, ".yaml")):
        with pytest.raises(InvalidData, match="holiday notice") as caught:
            load_holiday_notice(path)
        assert text in str(caught.value)


# --------------------------------------------------------------------------- properties

DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 10, 31))
COUNTS = st.integers(min_value=-40, max_value=40)
AMOUNTS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=15))


def calendars() -> st.SearchStrategy[CalendarBase]:
    """Return the weekend calendar and, when its data is there, the official one."""
    return st.sampled_from([WEEKEND, *([OFFICIAL] if OFFICIAL is not None else [])])


def starts(
    tz: tzinfo, first: date = date(2025, 1, 1), last: date = date(2026, 11, 30)
) -> st.SearchStrategy[datetime]:
    """Return aware local datetimes in ``tz`` between two dates."""
    return st.datetimes(
        min_value=datetime.combine(first, datetime.min.time()),
        max_value=datetime.combine(last, datetime.min.time()),
        timezones=st.just(tz),
    )


@needs_2026
@PROPERTY
@given(calendar=calendars(), day=DAYS, n=COUNTS)
def test_adding_working_days_lands_on_a_working_day_n_days_on(
    calendar: CalendarBase, day: date, n: int
) -> None:
    """The result is a working day, with exactly |n| working days counted to reach it."""
    result = calendar.add_working_days(day, n)
    assert calendar.is_working_day(result)
    one = timedelta(days=1)
    if n > 0:
        assert calendar.working_days_between(day + one, result + one) == n
        if calendar.is_working_day(day):
            assert calendar.working_days_between(day, result) == n
    elif n < 0:
        assert calendar.working_days_between(result, day) == -n
    else:
        assert calendar.working_days_between(day, result) == 0


@PROPERTY
@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 1, 1)), n=st.integers(-80, 80))
def test_weekend_shortcuts_agree_with_counting_day_by_day(day: date, n: int) -> None:
    """WeekendCalendar's week jumps give the same answers as the plain loop."""
    assert WEEKEND.add_working_days(day, n) == CalendarBase.add_working_days(WEEKEND, day, n)
    end = day + timedelta(days=abs(n))
    assert WEEKEND.working_days_between(day, end) == CalendarBase.working_days_between(
        WEEKEND, day, end
    )


@needs_2026
@PROPERTY
@given(calendar=calendars(), start=starts(SHANGHAI), amount=AMOUNTS)
def test_working_time_round_trips_in_shanghai(
    calendar: CalendarBase, start: datetime, amount: timedelta
) -> None:
    """The working time from a start to start plus an amount is exactly that amount."""
    end = add_working_time(calendar, start, amount)
    assert end >= start
    assert working_time_between(calendar, start, end) == amount


@PROPERTY
@given(start=starts(BERLIN), amount=AMOUNTS)
def test_working_time_round_trips_across_berlin_dst_changes(
    start: datetime, amount: timedelta
) -> None:
    """The round trip holds in a zone whose days are 23 or 25 hours long twice a year."""
    end = add_working_time(WEEKEND, start, amount, BERLIN)
    assert working_time_between(WEEKEND, start, end, BERLIN) == amount
    every_day_end = add_working_time(EveryDayCalendar(), start, amount, BERLIN)
    assert every_day_end.astimezone(UTC) - start.astimezone(UTC) == amount


@PROPERTY
@given(start=starts(TEHRAN, date(2020, 1, 1), date(2021, 12, 31)), amount=AMOUNTS)
def test_working_time_round_trips_where_midnight_is_skipped(
    start: datetime, amount: timedelta
) -> None:
    """The round trip holds where DST begins at midnight on a weekday (Tehran, 2020–2021)."""
    end = add_working_time(WEEKEND, start, amount, TEHRAN)
    assert working_time_between(WEEKEND, start, end, TEHRAN) == amount


@PROPERTY
@given(start=starts(SHANGHAI), span=AMOUNTS)
def test_adding_the_working_time_of_a_span_stops_at_its_last_working_instant(
    start: datetime, span: timedelta
) -> None:
    """Adding back the working time of a span ends at or before its end, with none left."""
    end = start + span
    reached = add_working_time(WEEKEND, start, working_time_between(WEEKEND, start, end))
    assert reached <= end
    assert working_time_between(WEEKEND, reached, end) == timedelta(0)
