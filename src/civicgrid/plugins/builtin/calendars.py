"""Built-in plugin ``civicgrid.calendars``: the weekend-only calendar, the default.

The calendar answer is ``trylast``, so a city plugin returning the official Chinese calendar
(or any other) wins.
"""

from __future__ import annotations

from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.calendar import WeekendCalendar, WorkCalendar

__all__ = ["work_calendar"]


@hookimpl(trylast=True)
def work_calendar() -> WorkCalendar:
    """Monday to Friday are working days."""
    return WeekendCalendar()
