"""Account ids name their accounts: the conventions the simulation books by and the report reads."""

from __future__ import annotations

import pytest

from civicgrid.domain.account_ids import account_for
from civicgrid.domain.ledger import AccountKind
from civicgrid.errors import InvalidData


def test_a_holder_is_owned_by_its_id_without_the_currency() -> None:
    """person:p1:city_points is a holder of city points owned by person:p1."""
    account = account_for("person:p1:city_points")
    assert (account.kind, account.currency, account.owner) == (
        AccountKind.HOLDER,
        "city_points",
        "person:p1",
    )


def test_funds_and_the_time_bank_carry_their_currency_by_prefix() -> None:
    """fund:<id> counts micro-fund fen; timebank:<community> minutes, with overdraft."""
    assert account_for("fund:f1").currency == "micro_fund"
    timebank = account_for("timebank:c1")
    assert (timebank.currency, timebank.overdraft) == ("time_bank", True)


def test_an_id_naming_no_currency_is_refused_naming_it() -> None:
    """me:gold names no declared currency."""
    with pytest.raises(InvalidData, match="me:gold"):
        account_for("me:gold")
