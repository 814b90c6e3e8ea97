"""The time bank (P3, 时间银行): deposits on the recipient's confirmation, community overdraft."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicgrid.domain.ledger import InsufficientBalance, Ledger
from civicgrid.domain.people import Person, Roster, UnknownPerson
from civicgrid.domain.personal import PersonName
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.domain.time_bank import ServiceConfirmation, ServiceReceipt, TimeBank
from civicgrid.errors import InvalidData

AT = datetime(2026, 11, 23, 9, tzinfo=DEFAULT_TZ)
HOUR = timedelta(hours=1)


def _bank() -> tuple[TimeBank, Ledger]:
    roster = Roster(
        [
            Person(id="li", name=PersonName("李秀英")),
            Person(id="wang", name=PersonName("王建国")),
            Person(id="zhao", name=PersonName("赵敏")),
        ]
    )
    ledger = Ledger()
    return TimeBank(ledger, community="shuangqiao", roster=roster), ledger


def _served(
    n: str, volunteer: str, recipient: str, minutes: int, at: datetime
) -> ServiceConfirmation:
    return ServiceConfirmation(
        id=n, volunteer=volunteer, recipient=recipient, minutes=minutes, what="陪同就医", at=at
    )


def test_a_confirmed_service_is_deposited_and_the_community_backs_it() -> None:
    """Two hours confirmed by the recipient: the volunteer holds 120, the community owes 120."""
    bank, ledger = _bank()
    booked = bank.deposit(_served("c1", "li", "wang", 120, AT))
    assert (booked.kind, booked.key) == ("deposit", "timebank:shuangqiao:deposit:c1")
    assert booked.data["recipient"] == "wang"
    assert bank.balance("li") == 120
    assert ledger.balance("timebank:shuangqiao") == -120
    assert ledger.total("time_bank") == 0


def test_service_received_is_withdrawn_and_cannot_overdraw_a_person() -> None:
    """The volunteer draws 90 of their 120 minutes; 60 more is refused and changes nothing."""
    bank, ledger = _bank()
    bank.deposit(_served("c1", "li", "wang", 120, AT))
    bank.withdraw(ServiceReceipt(id="s1", person="li", minutes=90, what="理发", at=AT + HOUR))
    assert bank.balance("li") == 30
    with pytest.raises(InsufficientBalance) as error:
        bank.withdraw(ServiceReceipt(id="s2", person="li", minutes=60, what="家政", at=AT + HOUR))
    assert error.value.account == "person:li:time_bank"
    assert bank.balance("li") == 30
    assert len(ledger) == 2


def test_the_report_gives_the_community_position_and_each_balance() -> None:
    """Deposited 300, withdrawn 90: outstanding 210 minutes = 3.5 hours, as of any instant."""
    bank, _ = _bank()
    bank.deposit(_served("c1", "li", "wang", 120, AT))
    bank.deposit(_served("c2", "zhao", "li", 180, AT + HOUR))
    bank.withdraw(
        ServiceReceipt(
            id="s1", person="li", minutes=90, what="理发", at=AT + 2 * HOUR, provider="shop-17"
        )
    )
    report = bank.report()
    assert (report.deposited, report.withdrawn, report.outstanding) == (300, 90, 210)
    assert report.outstanding_hours == 3.5
    assert report.community_balance == -210
    assert dict(report.balances) == {"li": 120 - 90, "zhao": 180}
    earlier = bank.report(as_of=AT + HOUR)
    assert (earlier.deposited, earlier.withdrawn, earlier.outstanding) == (300, 0, 300)
    assert dict(earlier.balances) == {"li": 120, "zhao": 180}


def test_a_confirmation_submitted_twice_is_deposited_once() -> None:
    """Idempotent by the confirmation id."""
    bank, ledger = _bank()
    bank.deposit(_served("c1", "li", "wang", 120, AT))
    bank.deposit(_served("c1", "li", "wang", 120, AT))
    assert bank.balance("li") == 120
    assert len(ledger) == 1


def test_a_reversed_deposit_is_not_counted() -> None:
    """A deposit reversed (confirmed by mistake) leaves nothing deposited or outstanding."""
    bank, ledger = _bank()
    bank.deposit(_served("c1", "li", "wang", 120, AT))
    ledger.reverse("timebank:shuangqiao:deposit:c1", at=AT + HOUR)
    report = bank.report()
    assert (report.deposited, report.outstanding, report.community_balance) == (0, 0, 0)


def test_self_confirmation_and_non_positive_minutes_are_refused_by_field() -> None:
    """One cannot confirm one's own service; minutes must be a whole number above zero."""
    with pytest.raises(InvalidData) as error:
        _served("c1", "li", "li", 0, AT)
    assert {p.path for p in error.value.problems} == {"recipient", "minutes"}
    with pytest.raises(InvalidData) as naive:
        ServiceReceipt(id="s1", person="li", minutes=-5, what="理发", at=datetime(2026, 1, 1))  # noqa: DTZ001
    assert {p.path for p in naive.value.problems} == {"minutes", "at"}


def test_unknown_people_are_refused_and_nothing_is_booked() -> None:
    """A volunteer or recipient not in the roster is named in the error."""
    bank, ledger = _bank()
    with pytest.raises(UnknownPerson) as error:
        bank.deposit(_served("c1", "li", "ghost", 60, AT))
    assert error.value.person_id == "ghost"
    with pytest.raises(UnknownPerson):
        bank.deposit(_served("c2", "ghost", "li", 60, AT))
    with pytest.raises(UnknownPerson):
        bank.withdraw(ServiceReceipt(id="s1", person="ghost", minutes=5, what="x", at=AT))
    assert len(ledger) == 0
    assert bank.balance("li") == 0
