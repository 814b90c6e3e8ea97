"""Expiry policies and first-earned-first-spent lots, across year ends and leap days."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from civicgrid.domain.expiry import ExpiryKind, ExpiryPolicy, LotBook, due
from civicgrid.domain.ledger import Account, AccountKind, Ledger
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData

CITY = "city_points"
HOLDER = f"person:p1:{CITY}"
YEAR_AFTER = ExpiryPolicy(
    key="year_after",
    label_zh="次年年底清零",
    label_en="end of the following year",
    currency=CITY,
    kind=ExpiryKind.END_OF_YEAR,
    count=1,
)
TWELVE_MONTHS = ExpiryPolicy(
    key="twelve_months",
    label_zh="十二个月有效",
    label_en="twelve months",
    currency=CITY,
    kind=ExpiryKind.AFTER_MONTHS,
    count=12,
)


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """An instant in Asia/Shanghai."""
    return datetime(year, month, day, hour, tzinfo=DEFAULT_TZ)


def ledger() -> Ledger:
    """A ledger with the city issuer, one holder and the two sinks."""
    return Ledger(
        accounts=[
            Account(id=f"issuer:{CITY}", currency=CITY, kind=AccountKind.ISSUER),
            Account(id=HOLDER, currency=CITY),
            Account(id=f"sink:redeemed:{CITY}", currency=CITY, kind=AccountKind.SINK),
            Account(id=f"sink:expired:{CITY}", currency=CITY, kind=AccountKind.SINK),
        ]
    )


def earn(book: Ledger, key: str, when: datetime, amount: int) -> None:
    """Earn ``amount`` into the holder."""
    book.transfer(
        key=key, at=when, kind="earn", source=f"issuer:{CITY}", target=HOLDER, amount=amount
    )


def spend(book: Ledger, key: str, when: datetime, amount: int) -> None:
    """Spend ``amount`` from the holder."""
    book.transfer(
        key=key,
        at=when,
        kind="redeem",
        source=HOLDER,
        target=f"sink:redeemed:{CITY}",
        amount=amount,
    )


def lots_of(book: Ledger) -> list[tuple[str, int]]:
    """The holder's lots as (source, remaining)."""
    rebuilt = LotBook.of(book, lambda account: account == HOLDER)
    return [(lot.source, lot.remaining) for lot in rebuilt.lots(HOLDER)]


def test_points_earned_in_a_year_lapse_when_the_following_year_ends() -> None:
    """Earned on 31 Dec 2025 at 23:59 or on 1 Jan 2025: both lapse at 00:00 on 1 Jan 2027."""
    assert YEAR_AFTER.expires_at(at(2025, 12, 31, 23)) == datetime(2027, 1, 1, tzinfo=DEFAULT_TZ)
    assert YEAR_AFTER.expires_at(at(2025, 1, 1, 0)) == datetime(2027, 1, 1, tzinfo=DEFAULT_TZ)


def test_the_year_is_read_in_asia_shanghai_not_utc() -> None:
    """20:00 UTC on 31 Dec 2025 is already 2026 in Shanghai, so the points last to 2028."""
    earned = datetime(2025, 12, 31, 20, tzinfo=UTC)
    assert YEAR_AFTER.expires_at(earned) == datetime(2028, 1, 1, tzinfo=DEFAULT_TZ)


def test_twelve_months_after_29_february_is_28_february() -> None:
    """Clipped to the month's end by dateutil: 29 Feb 2024 + 12 months is 28 Feb 2025."""
    assert TWELVE_MONTHS.expires_at(at(2024, 2, 29)) == at(2025, 2, 28)
    four_years = ExpiryPolicy(
        key="k",
        label_zh="四年",
        label_en="four years",
        currency=CITY,
        kind=ExpiryKind.AFTER_MONTHS,
        count=48,
    )
    assert four_years.expires_at(at(2024, 2, 29)) == at(2028, 2, 29)


def test_spending_takes_the_oldest_lots_first() -> None:
    """FIFO: 10 then 5 earned, 12 spent: the first lot is gone, 3 left of the second."""
    book = ledger()
    earn(book, "e1", at(2025, 3, 1), 10)
    earn(book, "e2", at(2025, 6, 1), 5)
    spend(book, "r1", at(2025, 7, 1), 12)
    assert lots_of(book) == [("e1", 0), ("e2", 3)]


def test_only_what_is_left_of_a_lot_expires_across_the_year_end() -> None:
    """2025's lot part-spent; at 1 Jan 2027 its rest lapses, 2026's lot does not."""
    book = ledger()
    earn(book, "e1", at(2025, 11, 1), 10)
    spend(book, "r1", at(2025, 12, 1), 4)
    earn(book, "e2", at(2026, 1, 2), 7)
    rebuilt = LotBook.of(book, lambda account: account == HOLDER)
    assert due(rebuilt, HOLDER, YEAR_AFTER, at(2026, 12, 31, 23)) == ()
    (lapsed,) = due(rebuilt, HOLDER, YEAR_AFTER, datetime(2027, 1, 1, tzinfo=DEFAULT_TZ))
    assert (lapsed.amount, lapsed.lots) == (6, (("e1", 6),))
    assert lapsed.key == f"expire:{HOLDER}:2027-01-01T00:00:00+08:00"
    book.post(lapsed.transaction(at=at(2027, 1, 1)))
    assert lots_of(book) == [("e1", 0), ("e2", 7)]
    assert book.balance(HOLDER) == 7


def test_a_reversed_earn_takes_back_from_its_own_lot() -> None:
    """Reversing the second earn empties the second lot, not the oldest one."""
    book = ledger()
    earn(book, "e1", at(2025, 3, 1), 10)
    earn(book, "e2", at(2025, 6, 1), 5)
    book.reverse("e2", at=at(2025, 6, 2))
    assert lots_of(book) == [("e1", 10), ("e2", 0)]


def test_a_cancelled_spending_gives_back_to_the_lots_it_took() -> None:
    """A reversed redemption restores the old lot, so returned points keep their age."""
    book = ledger()
    earn(book, "e1", at(2025, 3, 1), 10)
    earn(book, "e2", at(2025, 6, 1), 5)
    spend(book, "r1", at(2025, 7, 1), 12)
    book.reverse("r1", at=at(2025, 7, 2))
    assert lots_of(book) == [("e1", 10), ("e2", 5)]


def test_lots_with_the_same_instant_lapse_together_and_in_order() -> None:
    """Two 2025 lots lapse in one transaction; a 2026 lot lapses a year later, listed after."""
    book = ledger()
    earn(book, "e1", at(2025, 3, 1), 1)
    earn(book, "e2", at(2025, 9, 1), 2)
    earn(book, "e3", at(2026, 9, 1), 4)
    rebuilt = LotBook.of(book, lambda account: account == HOLDER)
    found = due(rebuilt, HOLDER, YEAR_AFTER, at(2028, 6, 1))
    assert [(d.amount, d.expires_at.year) for d in found] == [(3, 2027), (4, 2028)]


def test_a_bad_policy_names_its_fields() -> None:
    """An empty currency and a zero month count are both reported."""
    with pytest.raises(InvalidData) as bad:
        ExpiryPolicy(
            key="k", label_zh="k", label_en="k", currency="", kind=ExpiryKind.AFTER_MONTHS, count=0
        )
    assert {p.path for p in bad.value.problems} == {"currency", "count"}


def test_expiry_kinds_are_bilingual() -> None:
    """Each kind carries both labels."""
    assert all(kind.label_zh and kind.label_en for kind in ExpiryKind)
