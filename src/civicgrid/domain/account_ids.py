"""The agreed ledger account ids, and the accounts they stand for.

A store keeps a ledger's transactions, not its accounts: whoever rebuilds the ledger declares
the accounts again from their ids. The conventions: ``issuer:<currency>`` (ISSUER),
``hold:<redemption>:<currency>`` (HOLD), ``sink:<what>:<currency>`` (SINK), ``fund:<id>``
(FUND, micro-fund fen), ``timebank:<community>`` (FUND with overdraft, time-bank minutes), and
anything else a HOLDER owned by the id without its currency (``person:p1:city_points`` is
owned by ``person:p1``). The simulation books by these ids and the report reads them back.
"""

from __future__ import annotations

from collections.abc import Iterable

from civicgrid.domain.ledger import (
    BUILTIN_CURRENCIES,
    MICRO_FUND_FEN,
    TIME_BANK_MINUTES,
    Account,
    AccountKind,
    Transaction,
)
from civicgrid.errors import InvalidData, Problem

__all__ = ["account_for", "accounts_for"]

_BUILTIN_KEYS = frozenset(currency.key for currency in BUILTIN_CURRENCIES)
_KINDS = {
    "issuer": AccountKind.ISSUER,
    "hold": AccountKind.HOLD,
    "sink": AccountKind.SINK,
    "fund": AccountKind.FUND,
    "timebank": AccountKind.FUND,
}
_FALLBACK = {"fund": MICRO_FUND_FEN.key, "timebank": TIME_BANK_MINUTES.key}


def _declare(account_id: str, currencies: frozenset[str]) -> Account | None:
    """Return the account the id stands for, or ``None`` when it names no known currency."""
    prefix = account_id.partition(":")[0]
    head, _, last = account_id.rpartition(":")
    currency = last if last in currencies else _FALLBACK.get(prefix)
    if currency is None or currency not in currencies:
        return None
    kind = _KINDS.get(prefix)
    if kind is None:
        return Account(id=account_id, currency=currency, owner=head or None)
    return Account(id=account_id, currency=currency, kind=kind, overdraft=prefix == "timebank")


def account_for(account_id: str, currencies: Iterable[str] = _BUILTIN_KEYS) -> Account:
    """Return the account ``account_id`` stands for by the conventions above.

    An id naming none of ``currencies`` raises :class:`~civicgrid.errors.InvalidData`.
    """
    account = _declare(account_id, frozenset(currencies))
    if account is None:
        raise InvalidData("ledger account", [Problem(account_id, "names no known currency")])
    return account


def accounts_for(
    transactions: Iterable[Transaction], currencies: Iterable[str] = _BUILTIN_KEYS
) -> list[Account]:
    """Declare every account ``transactions`` name, in the order first named.

    Ids naming no known currency raise :class:`~civicgrid.errors.InvalidData` listing each, at
    the path ``<transaction key>.<account id>``.
    """
    known = frozenset(currencies)
    accounts: dict[str, Account] = {}
    problems: list[Problem] = []
    for transaction in transactions:
        for posting in transaction.postings:
            account_id = posting.account
            if account_id in accounts:
                continue
            account = _declare(account_id, known)
            if account is None:
                problems.append(
                    Problem(f"{transaction.key}.{account_id}", "names no known currency")
                )
                continue
            accounts[account_id] = account
    if problems:
        raise InvalidData("ledger accounts", problems)
    return list(accounts.values())
