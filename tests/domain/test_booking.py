"""Booking shared community spaces in slots (S1): hours, overlaps, cancellations."""

from __future__ import annotations

import itertools
import time as clock
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.booking import (
    Booking,
    BookingRefusal,
    BookingRefused,
    CancellationRefused,
    OpeningHours,
    SharedSpace,
    SpaceBook,
    UnknownBooking,
    UnknownSpace,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData

SINCE = date(2026, 1, 1)
WEEKDAYS = OpeningHours(
    rule="FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", opens=time(9), closes=time(21), since=SINCE
)
MONDAY = date(2026, 3, 2)
EARLIER = datetime(2026, 2, 1, 8, tzinfo=DEFAULT_TZ)


def room(**kw: object) -> SharedSpace:
    """Shanbanqiao's shared meeting room, weekdays 9:00–21:00 in hour slots."""
    fields: dict[str, object] = {
        "id": "room",
        "name_zh": "共享会议室",
        "unit": "shanbanqiao",
        "hours": (WEEKDAYS,),
    }
    fields.update(kw)
    return SharedSpace(**fields)  # type: ignore[arg-type]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` on ``day`` in Asia/Shanghai."""
    return datetime.combine(day, time(hour, minute), DEFAULT_TZ)


def booking(booking_id: str, start: datetime, hours: int = 1, **kw: object) -> Booking:
    """A booking of the room by resident ``r1``, made well in advance."""
    fields: dict[str, object] = {
        "id": booking_id,
        "space": "room",
        "booker": "r1",
        "start": start,
        "end": start + timedelta(hours=hours),
        "booked_at": EARLIER,
    }
    fields.update(kw)
    return Booking(**fields)  # type: ignore[arg-type]


def test_weekdays_open_nine_to_nine_in_twelve_hour_slots() -> None:
    """Monday has one window and twelve slots; Sunday none."""
    book = SpaceBook([room()])
    assert book.opening("room", MONDAY) == ((at(MONDAY, 9), at(MONDAY, 21)),)
    slots = book.slots("room", MONDAY)
    assert len(slots) == 12
    assert slots[0] == (at(MONDAY, 9), at(MONDAY, 10))
    assert book.opening("room", date(2026, 3, 1)) == ()
    assert WEEKDAYS.days(date(2026, 3, 1), date(2026, 3, 8)) == [
        date(2026, 3, d) for d in range(2, 7)
    ]


def test_a_second_rule_adds_weekend_afternoons() -> None:
    """Weekend afternoons from another rule; a half-hour court fills them with 8 slots."""
    weekends = OpeningHours(
        rule="FREQ=WEEKLY;BYDAY=SA,SU", opens=time(14), closes=time(18), since=SINCE
    )
    court = room(id="court", hours=(WEEKDAYS, weekends), slot=timedelta(minutes=30))
    book = SpaceBook([court])
    assert len(book.slots("court", date(2026, 3, 7))) == 8
    assert len(book.slots("court", MONDAY)) == 24


def test_every_other_saturday_counts_from_the_day_the_hours_take_effect() -> None:
    """``INTERVAL=2`` is phased from ``since``; nothing opens before it or after ``UNTIL``."""
    fortnightly = OpeningHours(
        rule="FREQ=WEEKLY;INTERVAL=2;BYDAY=SA;UNTIL=20260430",
        opens=time(9),
        closes=time(12),
        since=date(2026, 3, 7),
    )
    assert fortnightly.days(date(2026, 3, 1), date(2026, 3, 31)) == [
        date(2026, 3, 7),
        date(2026, 3, 21),
    ]
    assert fortnightly.days(date(2026, 1, 1), date(2026, 3, 6)) == []
    assert fortnightly.days(date(2026, 5, 1), date(2026, 12, 31)) == []


def test_an_overlap_is_refused_naming_every_booking_in_the_way() -> None:
    """10:00–12:00 clashes with 10:00 and 11:00 bookings, both named; the book is unchanged."""
    book = SpaceBook([room()])
    ten = book.book(booking("b10", at(MONDAY, 10)))
    eleven = book.book(booking("b11", at(MONDAY, 11), booker="r2"))
    with pytest.raises(BookingRefused) as refused:
        book.book(booking("x", at(MONDAY, 10), hours=2))
    assert refused.value.reason is BookingRefusal.OVERLAP
    assert refused.value.conflicts == (ten, eleven)
    assert refused.value.conflict is ten
    assert "'b10'" in str(refused.value)
    assert "'b11'" in str(refused.value)
    assert "与已有预约冲突" in str(refused.value)
    assert book.bookings("room") == (ten, eleven)


def test_back_to_back_bookings_do_not_overlap() -> None:
    """A booking ending at 10:00 and one starting at 10:00 both stand."""
    book = SpaceBook([room()])
    book.book(booking("a", at(MONDAY, 9)))
    book.book(booking("b", at(MONDAY, 10)))
    assert len(book.bookings("room", at(MONDAY, 9), at(MONDAY, 11))) == 2
    assert book.bookings("room", at(MONDAY, 10, 30), at(MONDAY, 11)) == (book.get("b"),)


@pytest.mark.parametrize(
    ("start", "hours", "fields", "reason"),
    [
        (at(MONDAY, 8), 1, {}, BookingRefusal.OUTSIDE_HOURS),
        (at(MONDAY, 20), 2, {}, BookingRefusal.OUTSIDE_HOURS),
        (at(date(2026, 3, 7), 10), 1, {}, BookingRefusal.OUTSIDE_HOURS),
        (at(MONDAY, 9, 30), 1, {}, BookingRefusal.NOT_ON_SLOTS),
        (at(MONDAY, 9), 1, {"end": at(MONDAY, 9, 45)}, BookingRefusal.NOT_ON_SLOTS),
        (at(MONDAY, 9), 1, {"booked_at": at(MONDAY, 9, 5)}, BookingRefusal.ALREADY_BEGUN),
        (at(MONDAY, 9), 1, {"space": "gym"}, BookingRefusal.UNKNOWN_SPACE),
        (at(MONDAY, 12), 1, {"id": "held"}, BookingRefusal.DUPLICATE_ID),
    ],
)
def test_bookings_that_do_not_fit_are_refused_and_change_nothing(
    start: datetime, hours: int, fields: dict[str, object], reason: BookingRefusal
) -> None:
    """Before opening, past closing, on Saturday, off the grid, begun, unknown, reused id."""
    book = SpaceBook([room()])
    held = book.book(booking("held", at(MONDAY, 15)))
    with pytest.raises(BookingRefused) as refused:
        book.book(booking("new", start, hours, **fields))
    assert refused.value.reason is reason
    assert refused.value.conflicts == ()
    assert isinstance(refused.value, ValueError)
    assert book.bookings("room") == (held,)
    assert reason.label_zh
    assert reason.label_en


def test_cancelling_frees_the_slot_and_is_recorded() -> None:
    """A cancelled booking keeps its record; its slot can be booked again."""
    book = SpaceBook([room()])
    first = book.book(booking("a", at(MONDAY, 10)))
    assert at(MONDAY, 10) not in dict(book.free_slots("room", MONDAY))
    record = book.cancel("a", at=EARLIER + timedelta(days=1), by="r1", reason="改期")
    assert (record.booking, record.by, record.reason) == ("a", "r1", "改期")
    assert book.cancellation("a") == record
    assert at(MONDAY, 10) in dict(book.free_slots("room", MONDAY))
    assert book.bookings("room") == ()
    second = book.book(booking("b", at(MONDAY, 10), booker="r2"))
    assert book.bookings("room", cancelled=True) == (first, second)
    assert book.cancellation("b") is None


def test_a_cancellation_twice_or_after_the_end_is_refused() -> None:
    """Already cancelled, or the slot is over: refused, nothing changed."""
    book = SpaceBook([room()])
    book.book(booking("a", at(MONDAY, 10)))
    book.book(booking("b", at(MONDAY, 11)))
    book.cancel("a", at=EARLIER, by="r1")
    with pytest.raises(CancellationRefused, match="already cancelled"):
        book.cancel("a", at=EARLIER, by="r1")
    with pytest.raises(CancellationRefused, match="over"):
        book.cancel("b", at=at(MONDAY, 12), by="r1")
    assert [b.id for b in book.bookings("room")] == ["b"]
    with pytest.raises(UnknownBooking, match="zzz"):
        book.cancel("zzz", at=EARLIER, by="r1")
    with pytest.raises(InvalidData, match="timezone"):
        book.cancel("b", at=datetime(2026, 3, 1), by="r1")  # noqa: DTZ001 - naive on purpose


def test_instants_in_other_timezones_are_the_same_instants() -> None:
    """09:00 in Shanghai given as 01:00 UTC books the first slot."""
    book = SpaceBook([room()])
    made = book.book(booking("utc", datetime(2026, 3, 2, 1, tzinfo=UTC)))
    assert made.start == at(MONDAY, 9)
    assert book.free_slots("room", MONDAY)[0] == (at(MONDAY, 10), at(MONDAY, 11))


def test_closed_days_from_the_space_or_a_calendar_like_callable() -> None:
    """A repair day on the space, and Qingming from a holiday callable, have no slots."""
    qingming = date(2026, 4, 6)
    book = SpaceBook([room(closed_on=frozenset({MONDAY}))], closed=lambda day: day == qingming)
    assert book.slots("room", MONDAY) == ()
    assert book.slots("room", qingming) == ()
    assert len(book.slots("room", date(2026, 4, 7))) == 12
    with pytest.raises(BookingRefused, match="outside the opening hours"):
        book.book(booking("x", at(qingming, 10)))


def test_bad_spaces_hours_and_bookings_name_each_field() -> None:
    """A broken rule, hours the wrong way round, a naive booking, an unknown space."""
    with pytest.raises(InvalidData) as refused:
        OpeningHours(rule="FREQ=SOMETIMES", opens=time(21), closes=time(9), since=SINCE)
    assert {p.path for p in refused.value.problems} == {"closes", "rule"}
    with pytest.raises(InvalidData) as refused:
        room(id="", hours=(), slot=timedelta(0), capacity=0)
    assert {p.path for p in refused.value.problems} == {"id", "hours", "slot", "capacity"}
    with pytest.raises(InvalidData) as refused:
        Booking(
            id="b",
            space="room",
            booker="",
            start=datetime(2026, 3, 2, 9),  # noqa: DTZ001 - naive on purpose
            end=at(MONDAY, 10),
            booked_at=EARLIER,
        )
    assert {p.path for p in refused.value.problems} == {"booker", "start"}
    with pytest.raises(InvalidData, match="after start"):
        booking("b", at(MONDAY, 10), hours=0)
    with pytest.raises(UnknownSpace, match="gym"):
        SpaceBook([room()]).slots("gym", MONDAY)
    with pytest.raises(InvalidData, match="duplicate"):
        SpaceBook([room(), room()])


def test_a_year_of_slots_books_fast() -> None:
    """Every weekday hour of 2026 (3,132 slots) books well within a second, then is full."""
    book = SpaceBook([room()])
    started = clock.perf_counter()
    day, n = date(2026, 1, 1), 0
    while day.year == 2026:
        for start, end in book.slots("room", day):
            book.book(booking(f"b{n}", start, end=end, booked_at=at(date(2025, 12, 1), 8)))
            n += 1
        day += timedelta(days=1)
    elapsed = clock.perf_counter() - started
    assert n == 261 * 12
    assert elapsed < 2.0, elapsed
    assert book.free_slots("room", MONDAY) == ()
    assert len(book.bookings("room", at(MONDAY, 0), at(MONDAY + timedelta(days=1), 0))) == 12


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(8, 21), st.integers(1, 4), st.booleans()),
        max_size=25,
    )
)
def test_active_bookings_never_overlap_and_free_slots_are_the_rest(
    attempts: list[tuple[int, int, int, bool]],
) -> None:
    """Whatever is booked or cancelled, no two active bookings share time."""
    book = SpaceBook([room()])
    for n, (offset, hour, hours, cancel) in enumerate(attempts):
        try:
            made = book.book(booking(f"b{n}", at(MONDAY + timedelta(days=offset), hour), hours))
        except BookingRefused:
            continue
        if cancel:
            book.cancel(made.id, at=EARLIER, by="r1")
    active = book.bookings("room")
    for earlier, later in itertools.pairwise(active):
        assert earlier.end <= later.start
    for offset in range(5):
        day = MONDAY + timedelta(days=offset)
        taken = [s for s in book.slots("room", day) if any(b.overlaps(*s) for b in active)]
        assert len(taken) + len(book.free_slots("room", day)) == 12
