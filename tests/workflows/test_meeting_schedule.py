"""Meeting schedules: which steps of a deliberation method wait for its meeting days."""

from __future__ import annotations

from datetime import datetime

import pluggy
import pytest

from civicgrid import MeetingSchedule, PluginError, build_registry
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import DuplicateRegistration, InvalidData, NaiveDatetimeError
from civicgrid.plugins.manager import plugin_manager
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.meeting_days import AILIN_DELIBERATION_DAY, THURSDAY_TALKS


def at(day: int, hour: int, month: int = 11) -> datetime:
    """An instant in 2026, Asia/Shanghai."""
    return datetime(2026, month, day, hour, 0, tzinfo=DEFAULT_TZ)


THURSDAYS = MeetingSchedule(method="five_steps", rule=THURSDAY_TALKS, steps={"consult"})


def test_a_topic_raised_before_the_meeting_goes_to_that_days_meeting() -> None:
    """Thursday 26 November 2026 at 10:00: the meeting that evening at 19:00."""
    assert THURSDAYS.next_meeting(at(26, 10)) == at(26, 19)
    assert THURSDAYS.next_meeting(at(26, 19)) == at(26, 19)


def test_a_topic_raised_after_the_meeting_waits_a_week() -> None:
    """After Thursday's meeting has begun, the next is the following Thursday."""
    assert THURSDAYS.next_meeting(at(26, 20)) == datetime(2026, 12, 3, 19, tzinfo=DEFAULT_TZ)
    assert THURSDAYS.next_meeting(at(23, 9)) == at(26, 19)


def test_the_day_is_read_in_the_schedule_timezone() -> None:
    """Wednesday 23:30 UTC is Thursday 07:30 in Shanghai: that Thursday's meeting."""
    from datetime import UTC  # noqa: PLC0415

    late = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    assert THURSDAYS.next_meeting(late) == at(26, 19)


def test_a_monthly_rule_meets_on_its_day() -> None:
    """爱邻议事日 meets on the 20th: from 21 November, the next is Sunday 20 December.

    An ordinary weekend is not a holiday, so the Sunday meeting is kept.
    """
    schedule = MeetingSchedule(method="six_self", rule=AILIN_DELIBERATION_DAY, steps="discuss")
    assert schedule.steps == frozenset({"discuss"})
    assert schedule.next_meeting(at(21, 9)) == datetime(2026, 12, 20, 19, tzinfo=DEFAULT_TZ)


def test_naive_instants_are_refused() -> None:
    """Time is always timezone-aware."""
    with pytest.raises(NaiveDatetimeError):
        THURSDAYS.next_meeting(datetime(2026, 11, 26, 10))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"method": "Five Steps"}, "method"),
        ({"steps": set()}, "steps"),
        ({"steps": {"Consult"}}, "steps"),
        ({"hour": 24}, "hour"),
        ({"hour": True}, "hour"),
        ({"rule": "thursday"}, "rule"),
    ],
)
def test_bad_schedules_name_the_field(changes: dict[str, object], field: str) -> None:
    """Every bad field is named, in English and Chinese."""
    fields: dict[str, object] = {"method": "five_steps", "rule": THURSDAY_TALKS, "steps": {"x"}}
    with pytest.raises(InvalidData) as caught:
        MeetingSchedule(**(fields | changes))  # type: ignore[arg-type]
    assert field in {problem.path for problem in caught.value.problems}


class _Plugin:
    def __init__(self, *schedules: MeetingSchedule) -> None:
        self.schedules = list(schedules)

    @hookimpl
    def register_meeting_schedules(self) -> list[MeetingSchedule]:
        return self.schedules


def _build(*plugins: tuple[str, object]) -> object:
    pm: pluggy.PluginManager = plugin_manager(entry_points=False)
    for name, plugin in plugins:
        pm.register(plugin, name=name)
    return build_registry(pm)


def test_the_built_in_five_steps_waits_for_its_monthly_consultation() -> None:
    """Five Steps' consultation (组织协商) meets on the first Saturday of each month at 09:00."""
    registry = build_registry(plugin_manager(entry_points=False))
    schedule = registry.meeting_schedules["five_steps"]
    assert schedule.plugin == "civicgrid.five_steps"
    assert schedule.steps == frozenset({"consult"})
    assert schedule.next_meeting(at(9, 10)) == datetime(2026, 12, 5, 9, tzinfo=DEFAULT_TZ)


def test_a_schedule_for_a_missing_method_fails_the_build() -> None:
    """The plugin and the hook are named; no registry is made."""
    stray = MeetingSchedule(method="no_such_method", rule=THURSDAY_TALKS, steps={"x"})
    with pytest.raises(PluginError) as caught:
        _build(("city", _Plugin(stray)))
    assert "city" in str(caught.value)
    assert "no_such_method" in str(caught.value)


def test_a_schedule_naming_a_missing_step_fails_the_build() -> None:
    """A step the method lacks is named."""
    stray = MeetingSchedule(method="six_self", rule=THURSDAY_TALKS, steps={"party"})
    with pytest.raises(PluginError, match="party"):
        _build(("city", _Plugin(stray)))


def test_a_second_schedule_for_a_method_names_both_plugins() -> None:
    """Five Steps already meets monthly (the built-in): a city's second schedule collides."""
    with pytest.raises(DuplicateRegistration) as caught:
        _build(("city", _Plugin(THURSDAYS)))
    assert "civicgrid.five_steps" in str(caught.value)
    assert "city" in str(caught.value)
