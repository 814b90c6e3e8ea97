# --8<-- [start:head]
"""Plugin ``thursday_talks``: 周四来说事, its Thursday calendar, its topics and its points.

civicgrid imports this module through the package's entry point and calls each ``@hookimpl``
function once, when it builds a registry. The method itself is data
(``methods/thursday_talks.toml``); this module adds what data alone cannot say.
"""

from __future__ import annotations

from datetime import date
from importlib.resources import files

from civicgrid import (
    DEFAULT_HANDLING_CLASSES,
    Earner,
    EarningRule,
    Frequency,
    Handling,
    HandlingClass,
    HolidayPolicy,
    MeetingDay,
    MeetingRule,
    MeetingSchedule,
    Method,
    OfficialChineseCalendar,
    TopicRule,
    TopicRules,
    Weekday,
    WorkCalendar,
    hookimpl,
    load_method,
)

__all__ = [
    "MEETINGS",
    "POINTS",
    "TOPICS",
    "next_talks",
    "register_earning_rules",
    "register_meeting_schedules",
    "register_methods",
    "register_topic_rules",
]


# --8<-- [end:head]
# --8<-- [start:method]
@hookimpl
def register_methods() -> list[Method]:
    """Provide 周四来说事, loaded from the method file shipped in this package."""
    method_file = files("civicgrid_thursday_talks").joinpath("methods", "thursday_talks.toml")
    return [load_method(method_file)]


# --8<-- [end:method]
# --8<-- [start:calendar]
MEETINGS = MeetingRule(
    key="thursday_talks",
    label_zh="周四来说事",
    label_en="Thursday talks",
    frequency=Frequency.WEEKLY,
    weekdays=(Weekday.THURSDAY,),
    holiday_policy=HolidayPolicy.NEXT_WORKING_DAY,
    max_shift_days=7,
    source="D4, 000",
)
"""Every Thursday; a Thursday in a holiday break moves to the next working day."""


def next_talks(
    after: date, count: int = 1, *, calendar: WorkCalendar | None = None
) -> tuple[MeetingDay, ...]:
    """Return the next ``count`` Thursday talks after ``after``, on the official calendar."""
    return MEETINGS.next_after(after, count, calendar=calendar or OfficialChineseCalendar())


@hookimpl
def register_meeting_schedules() -> list[MeetingSchedule]:
    """Matters being deliberated wait for the Thursday talks, which open at 19:00."""
    return [MeetingSchedule(method="thursday_talks", rule=MEETINGS, steps={"deliberating"})]


# --8<-- [end:calendar]
# --8<-- [start:topics]
_WHY_ZH = "事关小区居民共同利益，由党群议事会周四协商"
_WHY_EN = "a matter of the residents' common interest, deliberated by the council on Thursday"

TOPICS = TopicRules(
    key="thursday_talks",
    label_zh="周四来说事议事范围",
    label_en="What Thursday talks take up",
    deliberated=[
        TopicRule(
            key="public_space",
            label_zh="公共空间改造",
            label_en="public space improvements",
            reason_zh=_WHY_ZH,
            reason_en=_WHY_EN,
        ),
        TopicRule(
            key="neighbourhood_rules",
            label_zh="居民公约与小区秩序",
            label_en="residents' pact and compound order",
            categories=["parking", "dog_keeping", "noise"],
            reason_zh=_WHY_ZH,
            reason_en=_WHY_EN,
        ),
    ],
    not_deliberated=[
        TopicRule(
            key="law_enforcement",
            label_zh="违法行为查处",
            label_en="dealing with unlawful acts",
            reason_zh="属执法部门职责，依法办理，不由议事会表决",
            reason_en="the duty of the enforcement authorities, not put to the council",
        ),
    ],
    # Ordinary matters (三快) wait for Thursday on this plugin's method; the other classes keep
    # the library's defaults on the built-in method topic_handling.
    classes=[
        HandlingClass(handling=Handling.THREE_FAST, method="thursday_talks", deadline="answer")
        if c.handling is Handling.THREE_FAST
        else c
        for c in DEFAULT_HANDLING_CLASSES
    ],
    source="D4, D5",
)
"""The kinds of matters Thursday talks take up, and the one they leave to the authorities."""


@hookimpl
def register_topic_rules() -> list[TopicRules]:
    """Provide the Thursday talks' admissibility list."""
    return [TOPICS]


# --8<-- [end:topics]
# --8<-- [start:points]
POINTS = EarningRule(
    key="thursday_talks_done",
    label_zh="周四来说事办结",
    label_en="Thursday talks matter done",
    method="thursday_talks",
    target="closed",
    earner=Earner.ASSIGNEE,
    amounts={"city_points": 3, "district_points": 3},
    day_caps={"city_points": 6, "district_points": 6},
    period_caps={"city_points": 30, "district_points": 30},
)
"""Whoever the council named earns 3 and 3 points once the resident is answered."""


@hookimpl
def register_earning_rules() -> list[EarningRule]:
    """Provide the points rule for a matter done and answered."""
    return [POINTS]


# --8<-- [end:points]
