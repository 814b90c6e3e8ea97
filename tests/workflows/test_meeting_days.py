"""Recurring meeting days (DOMAIN.md D3, D4) with a holiday policy on a work calendar."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    CalendarRangeError,
    HolidayCalendar,
    HolidayNotice,
    HolidayPeriod,
    InvalidData,
    OfficialChineseCalendar,
    WeekendCalendar,
    make_converter,
)
from civicgrid.serialization import structure
from civicgrid.workflows.meeting_days import (
    AILIN_DELIBERATION_DAY,
    HALF_MONTH_TALKS,
    MEETING_RULES,
    MONTHLY_JOINT_MEETING,
    QUARTERLY_JOINT_MEETING,
    THURSDAY_TALKS,
    WEEKEND_HALL,
    Frequency,
    HolidayPolicy,
    MeetingDay,
    MeetingDayError,
    MeetingDayTooFar,
    MeetingRule,
    Weekday,
    is_public_holiday,
)

SPRING_FESTIVAL_2026 = [date(2026, 2, 15) + timedelta(days=n) for n in range(9)]
"""The 2026 Spring Festival break: Sunday 15 to Monday 23 February (chinese_calendar 1.11)."""
MAKE_UP_DAYS_2026 = [date(2026, 2, 14), date(2026, 2, 28)]
"""The Saturdays worked for it (调休上班)."""


@pytest.fixture(scope="module")
def official() -> OfficialChineseCalendar:
    """The official Chinese calendar; skipped where the ``china`` extra is not installed."""
    pytest.importorskip(
        "chinese_calendar", reason="the official calendar needs: pip install 'civicgrid[china]'"
    )
    return OfficialChineseCalendar()


def policy(rule: MeetingRule, holiday_policy: HolidayPolicy) -> MeetingRule:
    """Return ``rule`` with another holiday policy."""
    return attrs.evolve(rule, holiday_policy=holiday_policy)


def pairs(days: tuple[MeetingDay, ...]) -> list[tuple[str, str]]:
    """Return (scheduled, held) as ISO strings, for readable assertions."""
    return [(d.scheduled.isoformat(), d.held.isoformat()) for d in days]


# --------------------------------------------------------------------------- the official year


def test_chinese_calendar_has_the_2026_spring_festival_as_these_tests_assume(
    official: OfficialChineseCalendar,
) -> None:
    """chinese_calendar's 2026 festival: nine rest days from 15 February, two make-up Saturdays."""
    import chinese_calendar  # noqa: PLC0415 - present: the fixture skipped otherwise

    for day in SPRING_FESTIVAL_2026:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        assert on_holiday
        assert name == chinese_calendar.Holiday.spring_festival.value
        assert not official.is_working_day(day)
    for day in MAKE_UP_DAYS_2026:
        assert chinese_calendar.is_workday(day)
        assert official.is_working_day(day)
    assert official.is_working_day(date(2026, 2, 24))


def test_the_2026_ailin_days_move_off_spring_festival_and_dragon_boat(
    official: OfficialChineseCalendar,
) -> None:
    """The 20th of every month, moved to the next working day on a public holiday.

    20 February is inside the Spring Festival break (to Tuesday the 24th), 20 June is the
    Dragon Boat Saturday (to Monday the 22nd); 20 September is a make-up working Sunday and
    20 December an ordinary Sunday, so both stay.
    """
    days = AILIN_DELIBERATION_DAY.in_year(2026, calendar=official)
    assert [d.held for d in days] == [
        date(2026, 1, 20),
        date(2026, 2, 24),
        date(2026, 3, 20),
        date(2026, 4, 20),
        date(2026, 5, 20),
        date(2026, 6, 22),
        date(2026, 7, 20),
        date(2026, 8, 20),
        date(2026, 9, 20),
        date(2026, 10, 20),
        date(2026, 11, 20),
        date(2026, 12, 20),
    ]
    assert [d.scheduled.day for d in days] == [20] * 12
    assert [d.held.month for d in days if d.moved] == [2, 6]


@pytest.mark.parametrize(
    ("holiday_policy", "moved"),
    [
        (HolidayPolicy.KEEP, []),
        (
            HolidayPolicy.PREVIOUS_WORKING_DAY,
            [("2026-02-20", "2026-02-14"), ("2026-06-20", "2026-06-18")],
        ),
        (
            HolidayPolicy.NEXT_WORKING_DAY,
            [("2026-02-20", "2026-02-24"), ("2026-06-20", "2026-06-22")],
        ),
    ],
)
def test_each_holiday_policy_moves_the_2026_ailin_days_its_way(
    official: OfficialChineseCalendar,
    holiday_policy: HolidayPolicy,
    moved: list[tuple[str, str]],
) -> None:
    """Keep leaves all twelve; previous goes back to the make-up Saturday 14 February."""
    days = policy(AILIN_DELIBERATION_DAY, holiday_policy).in_year(2026, calendar=official)
    assert len(days) == 12
    assert pairs(tuple(d for d in days if d.moved)) == moved


def test_skipping_drops_the_two_holiday_20ths(official: OfficialChineseCalendar) -> None:
    """Skip holds ten meetings in 2026, none in February or June."""
    days = policy(AILIN_DELIBERATION_DAY, HolidayPolicy.SKIP).in_year(2026, calendar=official)
    assert [d.held.month for d in days] == [1, 3, 4, 5, 7, 8, 9, 10, 11, 12]


def test_every_thursday_across_the_2026_spring_festival(official: OfficialChineseCalendar) -> None:
    """周四来说事 skips Thursday 19 February by default; the other policies move or keep it."""
    first, last = date(2026, 2, 1), date(2026, 3, 1)
    held = {
        p: [d.held for d in policy(THURSDAY_TALKS, p).between(first, last, calendar=official)]
        for p in HolidayPolicy
    }
    assert [d.held for d in THURSDAY_TALKS.between(first, last, calendar=official)] == [
        date(2026, 2, 5),
        date(2026, 2, 12),
        date(2026, 2, 26),
    ]
    assert held[HolidayPolicy.SKIP] == [date(2026, 2, 5), date(2026, 2, 12), date(2026, 2, 26)]
    assert held[HolidayPolicy.KEEP][2] == date(2026, 2, 19)
    assert held[HolidayPolicy.NEXT_WORKING_DAY][2] == date(2026, 2, 24)
    assert held[HolidayPolicy.PREVIOUS_WORKING_DAY][2] == date(2026, 2, 14)
    assert all(len(days) == 4 for p, days in held.items() if p is not HolidayPolicy.SKIP)


def test_the_next_five_meeting_days_are_one_call(official: OfficialChineseCalendar) -> None:
    """After Saturday 21 February the next is the moved February meeting on the 24th."""
    days = AILIN_DELIBERATION_DAY.next_after(date(2026, 2, 21), 5, calendar=official)
    assert pairs(days) == [
        ("2026-02-20", "2026-02-24"),
        ("2026-03-20", "2026-03-20"),
        ("2026-04-20", "2026-04-20"),
        ("2026-05-20", "2026-05-20"),
        ("2026-06-20", "2026-06-22"),
    ]
    after_meeting = AILIN_DELIBERATION_DAY.next_after(date(2026, 2, 24), 1, calendar=official)
    assert pairs(after_meeting) == [("2026-03-20", "2026-03-20")]
    assert AILIN_DELIBERATION_DAY.next_after(date(2026, 2, 21), 0, calendar=official) == ()


def test_weekend_meetings_stay_on_ordinary_and_make_up_weekends(
    official: OfficialChineseCalendar,
) -> None:
    """周末议事厅 meets on the make-up Saturday, skips the festival weekend, meets after it."""
    days = WEEKEND_HALL.between(date(2026, 2, 7), date(2026, 3, 1), calendar=official)
    assert [d.held.day for d in days] == [7, 8, 14, 28, 1]


def test_two_days_moved_onto_one_make_one_meeting(official: OfficialChineseCalendar) -> None:
    """The festival's three weekend days all move to Tuesday 24th: one meeting, the first kept."""
    moved = policy(WEEKEND_HALL, HolidayPolicy.NEXT_WORKING_DAY)
    days = moved.between(date(2026, 2, 20), date(2026, 2, 28), calendar=official)
    assert pairs(days) == [("2026-02-15", "2026-02-24"), ("2026-02-28", "2026-02-28")]


def test_half_month_talks_meet_on_the_1st_and_16th(official: OfficialChineseCalendar) -> None:
    """半月说事: 24 meetings in 2026; New Year, the festival, May Day and National Day move."""
    days = HALF_MONTH_TALKS.in_year(2026, calendar=official)
    assert len(days) == 24
    assert pairs(tuple(d for d in days if d.moved)) == [
        ("2026-01-01", "2026-01-04"),
        ("2026-02-16", "2026-02-24"),
        ("2026-05-01", "2026-05-06"),
        ("2026-10-01", "2026-10-08"),
    ]


def test_quarterly_joint_meetings_in_2026(official: OfficialChineseCalendar) -> None:
    """First Monday of each quarter; Qingming and National Day move two of them."""
    days = QUARTERLY_JOINT_MEETING.in_year(2026, calendar=official)
    assert pairs(days) == [
        ("2026-01-05", "2026-01-05"),
        ("2026-04-06", "2026-04-07"),
        ("2026-07-06", "2026-07-06"),
        ("2026-10-05", "2026-10-08"),
    ]


def test_a_monthly_meeting_takes_the_topics_raised_since_the_last_one(
    official: OfficialChineseCalendar,
) -> None:
    """每月收集议题、每月召开会议: March's meeting (2 March) collects from 3 February to 1 March."""
    assert MONTHLY_JOINT_MEETING.collection_window(date(2026, 3, 2), calendar=official) == (
        date(2026, 2, 3),
        date(2026, 3, 1),
    )
    with pytest.raises(MeetingDayError, match="'monthly_joint_meeting': no meeting is held on"):
        MONTHLY_JOINT_MEETING.collection_window(date(2026, 3, 3), calendar=official)
    first = attrs.evolve(MONTHLY_JOINT_MEETING, start=date(2026, 3, 1))
    with pytest.raises(MeetingDayError, match="no meeting in the 400 days before 2026-03-02"):
        first.collection_window(date(2026, 3, 2), calendar=official)


def test_a_move_further_than_allowed_is_refused(official: OfficialChineseCalendar) -> None:
    """With at most three days of shift, the festival's four-day move is refused, named."""
    tight = attrs.evolve(AILIN_DELIBERATION_DAY, max_shift_days=3)
    with pytest.raises(MeetingDayTooFar) as caught:
        tight.in_year(2026, calendar=official)
    assert (caught.value.scheduled, caught.value.held) == (date(2026, 2, 20), date(2026, 2, 24))
    assert "相隔 4 天" in str(caught.value)


def test_a_year_the_calendar_does_not_know_is_refused_not_guessed(
    official: OfficialChineseCalendar,
) -> None:
    """Moving needs the holidays of 2027, which the package lacks; keeping needs none."""
    with pytest.raises(CalendarRangeError):
        AILIN_DELIBERATION_DAY.in_year(2027, calendar=official)
    kept = policy(AILIN_DELIBERATION_DAY, HolidayPolicy.KEEP).in_year(2027, calendar=official)
    assert len(kept) == 12


# --------------------------------------------------------------------------- public holidays


@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        (date(2026, 2, 19), True),  # Thursday in the festival
        (date(2026, 2, 21), True),  # Saturday in the festival
        (date(2026, 2, 15), True),  # Sunday, first day of the break
        (date(2026, 2, 14), False),  # make-up working Saturday
        (date(2026, 2, 7), False),  # ordinary Saturday
        (date(2026, 1, 3), True),  # Saturday ending New Year (Thu–Sat)
        (date(2026, 6, 20), True),  # Dragon Boat Saturday
        (date(2026, 12, 20), False),  # ordinary Sunday
        (date(2026, 3, 20), False),  # working Friday
    ],
)
def test_a_public_holiday_is_a_rest_day_of_a_holiday_break(
    official: OfficialChineseCalendar, day: date, holiday: bool
) -> None:
    """Weekday rest days, and weekend days in the same break, are holidays; weekends are not."""
    assert is_public_holiday(official, day) is holiday


def test_the_weekend_calendar_has_no_holidays_so_nothing_moves() -> None:
    """On the default calendar the twelve 2026 meetings all fall on the 20th."""
    assert not is_public_holiday(WeekendCalendar(), date(2026, 12, 20))
    days = AILIN_DELIBERATION_DAY.in_year(2026)
    assert [d.held.day for d in days] == [20] * 12


def test_a_city_notice_is_enough_to_move_a_meeting() -> None:
    """A holiday notice given as data moves meetings without the chinese_calendar package."""
    notice = HolidayNotice(
        year=2030,
        title="测试通知",
        holidays=[
            HolidayPeriod(
                name_zh="测试节",
                name_en="Test Day",
                first=date(2030, 5, 20),
                last=date(2030, 5, 21),
            )
        ],
    )
    calendar = HolidayCalendar([notice])
    may = AILIN_DELIBERATION_DAY.between(date(2030, 5, 1), date(2030, 5, 31), calendar=calendar)
    assert pairs(may) == [("2030-05-20", "2030-05-22")]


# --------------------------------------------------------------------------- descriptions


@pytest.mark.parametrize(
    ("rule", "zh", "en"),
    [
        (
            AILIN_DELIBERATION_DAY,
            "爱邻议事日：每月20日，逢法定节假日顺延至下一个工作日",
            (
                "Ailin deliberation day: the 20th of every month; moved to the next working day "
                "when it falls on a public holiday"
            ),
        ),
        (
            THURSDAY_TALKS,
            "周四来说事：每周四，逢法定节假日当次不举行",
            "Come and talk on Thursday: every Thursday; not held when it falls on a public holiday",
        ),
        (HALF_MONTH_TALKS, "半月说事：每月1日、16日，", "the 1st and 16th of every month;"),
        (WEEKEND_HALL, "周末议事厅：每周六、周日，", "every Saturday and Sunday;"),
        (MONTHLY_JOINT_MEETING, "：每月第一个星期一，", "the first Monday of every month;"),
        (
            QUARTERLY_JOINT_MEETING,
            "：每季度第一个月的第一个星期一，",
            "the first Monday of the first month of every quarter;",
        ),
    ],
)
def test_each_rule_describes_itself_in_chinese_and_english(
    rule: MeetingRule, zh: str, en: str
) -> None:
    """Descriptions are made from the rule and its holiday policy."""
    assert zh in rule.description_zh
    assert en in rule.description_en


def test_the_documents_forms_are_all_listed_with_their_sources() -> None:
    """Six forms, each from D3 or D4 with its seed, with distinct keys."""
    assert [r.label_zh for r in MEETING_RULES][:4] == [
        "爱邻议事日",
        "周四来说事",
        "半月说事",
        "周末议事厅",
    ]
    assert len({r.key for r in MEETING_RULES}) == 6
    assert all(r.source.startswith(("D3", "D4")) for r in MEETING_RULES)


def rule(**fields: Any) -> MeetingRule:
    """A rule keyed ``r``, labelled for tests."""
    return MeetingRule(key="r", label_zh="规则", label_en="rule", **fields)


def test_other_patterns_describe_themselves() -> None:
    """Every other week, the last day, the last Friday, every three months."""
    fortnightly = rule(
        frequency=Frequency.WEEKLY,
        weekdays=Weekday.THURSDAY,
        interval=2,
        start=date(2026, 1, 1),
    )
    assert fortnightly.when_zh == "每两周的周四"
    assert fortnightly.when_en == "every other Thursday (counted from 2026-01-01)"
    assert [d.held.day for d in fortnightly.between(date(2026, 1, 1), date(2026, 2, 1))] == [
        1,
        15,
        29,
    ]
    last = rule(frequency=Frequency.MONTHLY, month_days=[-1])
    assert (last.when_zh, last.when_en) == ("每月最后一天", "the last day of every month")
    assert [d.held.day for d in last.between(date(2026, 2, 1), date(2026, 3, 31))] == [28, 31]
    friday = rule(frequency=Frequency.MONTHLY, weekdays=[Weekday.FRIDAY], nth=-1)
    assert friday.when_en == "the last Friday of every month"
    assert friday.when_zh == "每月最后一个星期五"
    quarterly = rule(
        frequency=Frequency.MONTHLY, month_days=[11, 22], interval=3, start=date(2026, 2, 1)
    )
    assert quarterly.when_en == "the 11th and 22nd of every 3 months (counted from 2026-02-01)"
    assert quarterly.when_zh == "每3个月的11日、22日"
    assert [d.held for d in quarterly.between(date(2026, 1, 1), date(2026, 6, 1))] == [
        date(2026, 2, 11),
        date(2026, 2, 22),
        date(2026, 5, 11),
        date(2026, 5, 22),
    ]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("fields", "paths"),
    [
        ({"frequency": Frequency.WEEKLY}, ["weekdays"]),
        ({"frequency": Frequency.WEEKLY, "weekdays": [Weekday.MONDAY], "nth": 1}, ["month_days"]),
        ({"frequency": Frequency.MONTHLY, "month_days": [31, 0]}, ["month_days", "month_days"]),
        ({"frequency": Frequency.MONTHLY, "month_days": [5, 5]}, ["month_days"]),
        ({"frequency": Frequency.MONTHLY}, ["month_days"]),
        (
            {"frequency": Frequency.MONTHLY, "weekdays": [Weekday.MONDAY]},
            ["month_days", "weekdays"],
        ),
        ({"frequency": Frequency.MONTHLY, "weekdays": [Weekday.MONDAY], "nth": 5}, ["nth"]),
        ({"frequency": Frequency.MONTHLY, "month_days": [1], "interval": 2}, ["start"]),
        (
            {"frequency": Frequency.MONTHLY, "month_days": [1], "month_of_quarter": 2},
            ["month_of_quarter"],
        ),
        (
            {"frequency": Frequency.QUARTERLY, "month_days": [1], "month_of_quarter": 4},
            ["month_of_quarter"],
        ),
        (
            {
                "frequency": Frequency.QUARTERLY,
                "month_days": [1],
                "interval": 2,
                "start": date(2026, 1, 1),
            },
            ["interval"],
        ),
        (
            {"frequency": Frequency.MONTHLY, "month_days": [1], "max_shift_days": 0},
            ["max_shift_days"],
        ),
        ({"frequency": "monthly", "month_days": [1]}, ["frequency"]),
    ],
)
def test_a_bad_rule_names_its_fields(fields: dict[str, Any], paths: list[str]) -> None:
    """Each impossible pattern is refused with the field at fault."""
    with pytest.raises(InvalidData) as caught:
        rule(**fields)
    assert [p.path for p in caught.value.problems] == paths


def test_a_rule_round_trips_through_the_converter() -> None:
    """Every built-in rule reads back equal from plain data."""
    converter = make_converter()
    for meeting_rule in MEETING_RULES:
        data = converter.unstructure(meeting_rule)
        assert structure(converter, data, MeetingRule, what="meeting rule") == meeting_rule
    assert converter.unstructure(THURSDAY_TALKS)["weekdays"] == ["thursday"]


# --------------------------------------------------------------------------- invariants

RULES = st.builds(policy, st.sampled_from(MEETING_RULES), st.sampled_from(list(HolidayPolicy)))
DAYS_2026 = st.dates(date(2026, 1, 20), date(2026, 12, 10))


@settings(max_examples=60, deadline=None)
@given(meeting_rule=RULES, first=DAYS_2026, span=st.integers(0, 90), cut=st.integers(0, 90))
def test_a_window_split_in_two_gives_the_same_meeting_days(
    official: OfficialChineseCalendar, meeting_rule: MeetingRule, first: date, span: int, cut: int
) -> None:
    """between(a, b) is between(a, m) then between(m + 1, b): held days, strictly rising."""
    last = min(first + timedelta(days=span), date(2026, 12, 15))  # 2027 is not covered
    middle = min(first + timedelta(days=cut), last)
    whole = meeting_rule.between(first, last, calendar=official)
    halves = meeting_rule.between(first, middle, calendar=official) + meeting_rule.between(
        middle + timedelta(days=1), last, calendar=official
    )
    assert whole == halves
    held = [d.held for d in whole]
    assert held == sorted(set(held))
    assert all(first <= day <= last for day in held)


@settings(max_examples=60, deadline=None)
@given(
    meeting_rule=st.builds(
        policy, st.sampled_from(MEETING_RULES[:5]), st.sampled_from(list(HolidayPolicy))
    ),
    day=st.dates(date(2026, 1, 20), date(2026, 6, 30)),
)
def test_no_meeting_is_held_on_a_holiday_unless_kept(
    official: OfficialChineseCalendar, meeting_rule: MeetingRule, day: date
) -> None:
    """Moved meetings land on working days; only the keep policy meets on a holiday."""
    for meeting in meeting_rule.next_after(day, 3, calendar=official):
        assert meeting.held > day
        if meeting.moved:
            assert official.is_working_day(meeting.held)
        if meeting_rule.holiday_policy is not HolidayPolicy.KEEP:
            assert not is_public_holiday(official, meeting.held)
