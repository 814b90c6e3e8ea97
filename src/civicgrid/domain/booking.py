"""Booking shared community spaces in slots (DOMAIN.md S1).

Shanbanqiao community (杉板桥社区, seed 003) built a digital-twin community where "打开小程序就
能免费预约使用家门口的社区共享空间". A :class:`SharedSpace` (a room, a court) is open by
:class:`OpeningHours`: a recurrence rule in RFC 5545 text read by dateutil
(``FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR`` for weekdays) with local opening and closing times
(9:00–21:00), in the space's timezone (Asia/Shanghai by default). Time inside the hours is
cut into slots of ``slot`` length from the opening time.

:class:`SpaceBook` takes :class:`Booking` records and refuses (:class:`BookingRefused`, the
book unchanged) a booking outside the hours, off the slot grid, made after it began, or
overlapping active bookings, which it names. A cancellation is recorded
(:class:`Cancellation`) and frees the slots. Instants are timezone-aware; intervals are
``[start, end)``, so a booking ending at 10:00 and one starting at 10:00 do not overlap.

Days a space is closed besides its rule (a holiday, a repair) are dates on the space, or a
callable given to the book (``closed=lambda day: not calendar.is_working_day(day)`` follows a
work calendar without the domain importing it). Opening days are computed once per year and
space; an overlap is found by bisection, so a year of slots books in well under a second.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, tzinfo

import attrs
from dateutil.rrule import rrule, rruleset, rrulestr

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.errors import CivicGridError, InvalidData, NaiveDatetimeError, Problem

__all__ = [
    "Booking",
    "BookingRefusal",
    "BookingRefused",
    "Cancellation",
    "CancellationRefused",
    "OpeningHours",
    "SharedSpace",
    "SpaceBook",
    "UnknownBooking",
    "UnknownSpace",
]

Window = tuple[datetime, datetime]
"""An interval ``[start, end)`` of aware instants."""


class BookingRefusal(Labelled):
    """Why a booking was refused."""

    UNKNOWN_SPACE = "unknown_space"
    DUPLICATE_ID = "duplicate_id"
    OUTSIDE_HOURS = "outside_hours"
    NOT_ON_SLOTS = "not_on_slots"
    ALREADY_BEGUN = "already_begun"
    OVERLAP = "overlap"


_REFUSAL_LABELS = {
    BookingRefusal.UNKNOWN_SPACE: ("未知的共享空间", "unknown space"),
    BookingRefusal.DUPLICATE_ID: ("预约编号重复", "the booking id is already used"),
    BookingRefusal.OUTSIDE_HOURS: ("不在开放时间内", "outside the opening hours"),
    BookingRefusal.NOT_ON_SLOTS: ("未按时段预约", "not on the slot grid"),
    BookingRefusal.ALREADY_BEGUN: ("预约时段已开始", "the slot has already begun"),
    BookingRefusal.OVERLAP: ("与已有预约冲突", "overlaps another booking"),
}
register_labels(_REFUSAL_LABELS)


class UnknownSpace(CivicGridError, LookupError):
    """No space with this id is in the book."""

    def __init__(self, space_id: str) -> None:
        self.space_id = space_id
        super().__init__(f"unknown space {space_id!r}", f"未知的共享空间 {space_id!r}")


class UnknownBooking(CivicGridError, LookupError):
    """No booking with this id is in the book."""

    def __init__(self, booking_id: str) -> None:
        self.booking_id = booking_id
        super().__init__(f"unknown booking {booking_id!r}", f"未知的预约 {booking_id!r}")


def _aware(problems: list[Problem], owner: object, *fields: str) -> None:
    for field in fields:
        value: object = getattr(owner, field)
        if not isinstance(value, datetime):
            problems.append(Problem(field, f"must be a datetime, not {value!r}"))
            continue
        try:
            require_aware(value, field)
        except NaiveDatetimeError as error:
            problems.append(Problem(field, error.message_en))


def _nonempty(problems: list[Problem], owner: object, *fields: str) -> None:
    for field in fields:
        value: object = getattr(owner, field)
        if not isinstance(value, str) or not value:
            problems.append(Problem(field, "must be a non-empty string"))


# --------------------------------------------------------------------------- spaces


@attrs.frozen(kw_only=True)
class OpeningHours:
    """Days from a recurrence rule, open from ``opens`` to ``closes`` local time.

    ``rule`` is RFC 5545 RRULE text (``FREQ=DAILY``, ``FREQ=WEEKLY;BYDAY=SA,SU``), counted
    from ``since``, the day the hours take effect (it fixes the phase of ``INTERVAL=2`` and
    where ``COUNT`` starts); an ``UNTIL`` or ``COUNT`` in the rule ends it.
    """

    rule: str
    opens: time
    closes: time
    since: date

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("opens", "closes"):
            value: object = getattr(self, field)
            if not isinstance(value, time) or value.tzinfo is not None:
                problems.append(Problem(field, "must be a local time of day without a timezone"))
        if not problems and self.closes <= self.opens:
            problems.append(Problem("closes", f"must be after opens ({self.opens})"))
        since: object = self.since
        if not isinstance(since, date) or isinstance(since, datetime):
            problems.append(Problem("since", f"must be a date, not {since!r}"))
        else:
            try:
                self.recurrence()
            except (ValueError, TypeError) as error:
                problems.append(Problem("rule", f"not a recurrence rule: {error}"))
        if problems:
            raise InvalidData(f"opening hours {self.rule!r}", problems)

    def recurrence(self) -> rrule | rruleset:
        """Return the dateutil recurrence of the opening days, from ``since``."""
        return rrulestr(self.rule, dtstart=datetime.combine(self.since, time()), cache=True)

    def days(self, first: date, last: date) -> list[date]:
        """Return the opening days from ``first`` to ``last``, both included."""
        start, end = datetime.combine(first, time()), datetime.combine(last, time())
        return [moment.date() for moment in self.recurrence().between(start, end, inc=True)]


@attrs.frozen(kw_only=True)
class SharedSpace:
    """A shared community space (共享空间): a room, a court, with its hours and slot length."""

    id: str
    name_zh: str
    name_en: str = ""
    unit: str
    hours: tuple[OpeningHours, ...]
    slot: timedelta = timedelta(hours=1)
    closed_on: frozenset[date] = frozenset()
    tz: tzinfo = DEFAULT_TZ
    capacity: int | None = None

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        _nonempty(problems, self, "id", "name_zh", "unit")
        if not self.hours:
            problems.append(Problem("hours", "a space needs opening hours"))
        hours: tuple[object, ...] = self.hours
        problems.extend(
            Problem(f"hours[{i}]", f"not OpeningHours: {item!r}")
            for i, item in enumerate(hours)
            if not isinstance(item, OpeningHours)
        )
        slot: object = self.slot
        if not isinstance(slot, timedelta) or slot <= timedelta(0):
            problems.append(Problem("slot", f"must be a positive timedelta, not {slot!r}"))
        capacity: object = self.capacity
        if capacity is not None and (
            isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1
        ):
            problems.append(Problem("capacity", f"must be a whole number >= 1, not {capacity!r}"))
        if problems:
            raise InvalidData(f"space {self.id!r}", problems)


# --------------------------------------------------------------------------- bookings


@attrs.frozen(kw_only=True)
class Booking:
    """A booking of one space by one person from ``start`` to ``end``, made at ``booked_at``."""

    id: str
    space: str
    booker: str
    start: datetime
    end: datetime
    booked_at: datetime
    purpose: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        _nonempty(problems, self, "id", "space", "booker")
        _aware(problems, self, "start", "end", "booked_at")
        if not problems and self.end <= self.start:
            problems.append(Problem("end", f"must be after start ({self.start.isoformat()})"))
        if problems:
            raise InvalidData(f"booking {self.id!r}", problems)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether the booking shares time with ``[start, end)``."""
        return self.start < end and start < self.end


@attrs.frozen(kw_only=True)
class Cancellation:
    """The record that a booking was cancelled: when, by whom, why."""

    booking: str
    at: datetime
    by: str
    reason: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        _nonempty(problems, self, "booking", "by")
        _aware(problems, self, "at")
        if problems:
            raise InvalidData(f"cancellation of {self.booking!r}", problems)


class BookingRefused(CivicGridError, ValueError):
    """A booking was refused; the book is as it was.

    ``conflicts`` are the active bookings in the way (for an overlap), by start time;
    ``conflict`` is the first of them.
    """

    def __init__(
        self, booking: Booking, reason: BookingRefusal, conflicts: tuple[Booking, ...] = ()
    ) -> None:
        self.booking = booking
        self.reason = reason
        self.conflicts = conflicts
        self.conflict = conflicts[0] if conflicts else None
        spans = [(c.id, c.booker, f"{c.start.isoformat()}–{c.end.isoformat()}") for c in conflicts]
        clash_en = "".join(f"; booking {i!r} by {who!r}, {span}" for i, who, span in spans)
        clash_zh = "".join(f"；{who!r} 的预约 {i!r}（{span}）" for i, who, span in spans)
        super().__init__(
            f"booking {booking.id!r} of {booking.space!r} refused: {reason.label_en}{clash_en}",
            f"共享空间 {booking.space!r} 的预约 {booking.id!r} 未成功：{reason.label_zh}{clash_zh}",
        )


class CancellationRefused(CivicGridError, ValueError):
    """A cancellation was refused: already cancelled, or the booking is over."""

    def __init__(self, booking: Booking, message_en: str, message_zh: str) -> None:
        self.booking = booking
        super().__init__(
            f"booking {booking.id!r} cannot be cancelled: {message_en}",
            f"预约 {booking.id!r} 不能取消：{message_zh}",
        )


class SpaceBook:
    """The bookings of a community's shared spaces: free slots, bookings, cancellations.

    ``closed``, when given, is asked about each opening day and closes the space on days it
    answers True (holidays from a work calendar, say).
    """

    __slots__ = ("_active", "_all", "_cancelled", "_closed", "_days", "_spaces", "_starts")

    def __init__(
        self, spaces: Iterable[SharedSpace], *, closed: Callable[[date], bool] | None = None
    ) -> None:
        self._spaces: dict[str, SharedSpace] = {}
        problems: list[Problem] = []
        for i, space in enumerate(spaces):
            if space.id in self._spaces:
                problems.append(Problem(f"spaces[{i}].id", f"duplicate id {space.id!r}"))
            self._spaces[space.id] = space
        if problems:
            raise InvalidData("space book", problems)
        self._closed = closed
        self._days: dict[tuple[str, int], dict[date, list[tuple[time, time]]]] = {}
        self._starts: dict[str, list[datetime]] = {s: [] for s in self._spaces}
        self._active: dict[str, list[Booking]] = {s: [] for s in self._spaces}
        self._all: dict[str, Booking] = {}
        self._cancelled: dict[str, Cancellation] = {}

    def space(self, space_id: str) -> SharedSpace:
        """Return the space with this id, or raise :class:`UnknownSpace`."""
        try:
            return self._spaces[space_id]
        except KeyError:
            raise UnknownSpace(space_id) from None

    def _year(self, space: SharedSpace, year: int) -> dict[date, list[tuple[time, time]]]:
        key = (space.id, year)
        if key not in self._days:
            days: dict[date, list[tuple[time, time]]] = {}
            for hours in space.hours:
                for day in hours.days(date(year, 1, 1), date(year, 12, 31)):
                    if day in space.closed_on or (self._closed is not None and self._closed(day)):
                        continue
                    days.setdefault(day, []).append((hours.opens, hours.closes))
            self._days[key] = days
        return self._days[key]

    def opening(self, space_id: str, day: date) -> tuple[Window, ...]:
        """Return the space's opening windows on ``day`` (local date), as aware instants."""
        space = self.space(space_id)
        return tuple(
            sorted(
                (datetime.combine(day, opens, space.tz), datetime.combine(day, closes, space.tz))
                for opens, closes in self._year(space, day.year).get(day, ())
            )
        )

    def slots(self, space_id: str, day: date) -> tuple[Window, ...]:
        """Every slot of ``day``: each window cut into slot lengths from its opening."""
        step = self.space(space_id).slot
        out: list[Window] = []
        for opens, closes in self.opening(space_id, day):
            moment = opens
            while moment + step <= closes:
                out.append((moment, moment + step))
                moment += step
        return tuple(out)

    def free_slots(self, space_id: str, day: date) -> tuple[Window, ...]:
        """Return the slots of ``day`` that no active booking touches."""
        return tuple(
            (start, end)
            for start, end in self.slots(space_id, day)
            if not self._conflicts(space_id, start, end)
        )

    def _conflicts(self, space_id: str, start: datetime, end: datetime) -> tuple[Booking, ...]:
        # Active bookings of a space never overlap, so sorted by start they are sorted by end:
        # walk back from the last one starting before ``end`` while they reach past ``start``.
        active = self._active[space_id]
        i = bisect.bisect_left(self._starts[space_id], end)
        found: list[Booking] = []
        while i and active[i - 1].end > start:
            i -= 1
            found.append(active[i])
        return tuple(reversed(found))

    def book(self, booking: Booking) -> Booking:
        """Record a booking and return it, or raise :class:`BookingRefused` (nothing changed)."""
        space = self._spaces.get(booking.space)
        if space is None:
            raise BookingRefused(booking, BookingRefusal.UNKNOWN_SPACE)
        if booking.id in self._all:
            raise BookingRefused(booking, BookingRefusal.DUPLICATE_ID)
        if booking.start < booking.booked_at:
            raise BookingRefused(booking, BookingRefusal.ALREADY_BEGUN)
        day = booking.start.astimezone(space.tz).date()
        window = next(
            (
                w
                for w in self.opening(space.id, day)
                if w[0] <= booking.start and booking.end <= w[1]
            ),
            None,
        )
        if window is None:
            raise BookingRefused(booking, BookingRefusal.OUTSIDE_HOURS)
        if (booking.start - window[0]) % space.slot or (booking.end - booking.start) % space.slot:
            raise BookingRefused(booking, BookingRefusal.NOT_ON_SLOTS)
        conflicts = self._conflicts(space.id, booking.start, booking.end)
        if conflicts:
            raise BookingRefused(booking, BookingRefusal.OVERLAP, conflicts)
        i = bisect.bisect_left(self._starts[space.id], booking.start)
        self._starts[space.id].insert(i, booking.start)
        self._active[space.id].insert(i, booking)
        self._all[booking.id] = booking
        return booking

    def get(self, booking_id: str) -> Booking:
        """Return the booking with this id, active or cancelled, or raise UnknownBooking."""
        try:
            return self._all[booking_id]
        except KeyError:
            raise UnknownBooking(booking_id) from None

    def cancel(self, booking_id: str, *, at: datetime, by: str, reason: str = "") -> Cancellation:
        """Cancel a booking before it ends; record and return the cancellation.

        Raises :class:`UnknownBooking`, or :class:`CancellationRefused` when it is already
        cancelled or over by ``at``; nothing changes then.
        """
        booking = self.get(booking_id)
        record = Cancellation(booking=booking_id, at=at, by=by, reason=reason)
        if booking_id in self._cancelled:
            raise CancellationRefused(booking, "it is already cancelled", "该预约已取消")
        if at >= booking.end:
            raise CancellationRefused(booking, "it is over", "预约时段已结束")
        active = self._active[booking.space]
        i = bisect.bisect_left(self._starts[booking.space], booking.start)
        del active[i], self._starts[booking.space][i]
        self._cancelled[booking_id] = record
        return record

    def cancellation(self, booking_id: str) -> Cancellation | None:
        """Return the cancellation of a booking, or ``None`` while it stands."""
        self.get(booking_id)
        return self._cancelled.get(booking_id)

    def bookings(
        self,
        space_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        cancelled: bool = False,
    ) -> tuple[Booking, ...]:
        """Return the space's active bookings (and cancelled ones, if asked) in a span.

        The span ``[start, end)`` is open on a side left as ``None``; bookings come by start.
        """
        self.space(space_id)
        pool = (
            sorted((b for b in self._all.values() if b.space == space_id), key=lambda b: b.start)
            if cancelled
            else self._active[space_id]
        )
        return tuple(
            b for b in pool if (start is None or b.end > start) and (end is None or b.start < end)
        )
