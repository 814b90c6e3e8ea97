"""How events and ledger transactions become stored records, and back.

An event is stored as a compact JSON list ``[kind, at, actor, trigger, source, target,
level, assignee, data]`` with trailing nulls dropped: its case is the stream's name and its
``seq`` the record's version, so neither is repeated in every row. Instants are ISO 8601 with
their offset and kinds are their values, as :func:`~civicgrid.serialization.make_converter`
writes them; a read-back instant carries a fixed offset (``+08:00``) in place of the zone it
was made with: it is the same instant and compares equal. An event's ``data`` comes back as
parsed JSON (tuples as lists).

A transaction is stored as the converter writes it, without its ``seq`` (the version) and
without fields left at their defaults.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import attrs
import cattrs

from civicgrid.domain.ledger import Transaction
from civicgrid.errors import InvalidData, Problem
from civicgrid.serialization import make_converter, structure
from civicgrid.store.protocol import JSONValue
from civicgrid.workflows.event import Event, EventKind

__all__ = [
    "case_stream",
    "decode_event",
    "decode_transaction",
    "encode_events",
    "encode_transactions",
    "ledger_stream",
]

_FIELDS = 9
"""Fields of an event kept in its record: all but ``case_id`` and ``seq``."""
_fromisoformat = datetime.fromisoformat


def case_stream(case_id: str) -> str:
    """Return the name of the stream that holds the events of case ``case_id``."""
    return f"case:{case_id}"


def ledger_stream(name: str) -> str:
    """Return the name of the stream that holds the transactions of ledger ``name``."""
    return f"ledger:{name}"


@functools.cache
def _converter() -> cattrs.Converter:
    return make_converter(reveal_personal=True)


def encode_events(
    case_id: str, events: Iterable[Sequence[Any]], expected_version: int
) -> list[JSONValue]:
    """Return the records of ``events`` of case ``case_id``, to be appended at a version.

    Each must belong to the case and follow on from ``expected_version`` (seq
    ``expected_version + 1``, ``+ 2`` …), else :class:`InvalidData` lists each one.
    """
    records: list[JSONValue] = []
    problems: list[Problem] = []
    seq = expected_version
    for position, event in enumerate(events):
        seq += 1
        if not isinstance(event, tuple) or len(event) != _FIELDS + 2:
            problems.append(Problem(f"events[{position}]", "must be an Event"))
            continue
        (cid, number, kind, at, actor, trigger, source, target, level, assignee, data) = event
        if cid != case_id or number != seq:
            problems.append(
                Problem(
                    f"events[{position}]",
                    f"expected case {case_id!r} seq {seq}, got case {cid!r} seq {number}",
                )
            )
            continue
        if not isinstance(at, datetime) or at.utcoffset() is None:
            problems.append(Problem(f"events[{position}].at", "must be a timezone-aware datetime"))
            continue
        record = [kind.value, at.isoformat(), actor, trigger, source, target, level, assignee]
        if data is not None:
            record.append(dict(data))
        else:
            while record[-1] is None:
                record.pop()
        records.append(record)
    if problems:
        raise InvalidData(f"events of case {case_id!r}", problems)
    return records


def decode_event(case_id: str, version: int, record: JSONValue) -> Event:
    """Rebuild the event stored as ``record`` at ``version`` of case ``case_id``'s stream.

    A record that is not an event raises :class:`InvalidData` naming the record and each
    field that is wrong (``kind``, ``at`` …), never a bare ``TypeError``.
    """
    problems, instant = _event_problems(record)
    if problems or instant is None or not isinstance(record, list):
        raise InvalidData(f"stored event {version} of stream {case_stream(case_id)!r}", problems)
    fields = record + [None] * (_FIELDS - len(record))
    kind, _at, actor, trigger, source, target, level, assignee, data = fields
    return Event(
        case_id,
        version,
        EventKind(kind),
        instant,
        actor,
        trigger,
        source,
        target,
        level,
        assignee,
        data,
    )


_KINDS = frozenset(kind.value for kind in EventKind)
_TEXT_OR_NULL = ("trigger", "source", "level", "assignee")
_SHORTEST = 6
"""``[kind, at, actor, trigger, source, target]``: a target is never null, so never dropped."""


def _event_problems(record: JSONValue) -> tuple[list[Problem], datetime | None]:
    """Return what is wrong with a stored event record, by field, and its instant if sound.

    The instant is parsed here once, for the check and for the event.
    """
    if not isinstance(record, list) or not _SHORTEST <= len(record) <= _FIELDS:
        got = f"{len(record)} items" if isinstance(record, list) else type(record).__name__
        return [Problem("", f"must be a list of {_SHORTEST} to {_FIELDS} fields, got {got}")], None
    fields = dict(zip(_EVENT_FIELDS, record + [None] * (_FIELDS - len(record)), strict=True))
    problems: list[Problem] = []
    kind = fields["kind"]
    if not isinstance(kind, str) or kind not in _KINDS:
        problems.append(Problem("kind", f"unknown event kind {kind!r}"))
    at = fields["at"]
    try:
        instant = _fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        instant = None
    if instant is None or instant.utcoffset() is None:
        problems.append(Problem("at", f"must be an ISO 8601 instant with its offset, not {at!r}"))
        instant = None
    problems.extend(
        Problem(name, f"must be text, not {fields[name]!r}")
        for name in ("actor", "target")
        if not isinstance(fields[name], str)
    )
    problems.extend(
        Problem(name, f"must be text or null, not {fields[name]!r}")
        for name in _TEXT_OR_NULL
        if fields[name] is not None and not isinstance(fields[name], str)
    )
    if fields["data"] is not None and not isinstance(fields["data"], dict):
        problems.append(Problem("data", f"must be an object or null, not {fields['data']!r}"))
    return problems, instant


_EVENT_FIELDS = ("kind", "at", "actor", "trigger", "source", "target", "level", "assignee", "data")


def encode_transactions(
    transactions: Iterable[Transaction], expected_version: int
) -> list[JSONValue]:
    """Return the records of ``transactions``, to be appended at ``expected_version``.

    A transaction already booked in a ledger carries its ``seq``: it must be the version it
    will be stored at (a ledger and its stream advance together). An unbooked one (``seq``
    0) takes the next version.
    """
    converter = _converter()
    records: list[JSONValue] = []
    problems: list[Problem] = []
    for position, given in enumerate(transactions):
        version = expected_version + position + 1
        transaction: object = given
        if not isinstance(transaction, Transaction):
            problems.append(Problem(f"transactions[{position}]", "must be a Transaction"))
            continue
        if transaction.seq not in (0, version):
            problems.append(
                Problem(
                    f"transactions[{position}].seq",
                    f"is {transaction.seq}, but it would be stored as number {version}",
                )
            )
            continue
        record: dict[str, Any] = converter.unstructure(transaction)
        del record["seq"]
        for field in ("memo", "reverses", "data"):
            if not record[field]:
                del record[field]
        records.append(record)
    if problems:
        raise InvalidData("transactions", problems)
    return records


def decode_transaction(ledger: str, version: int, record: JSONValue) -> Transaction:
    """Rebuild the transaction stored as ``record`` at ``version`` of ledger ``ledger``."""
    what = f"stored transaction {version} of {ledger!r}"
    if not isinstance(record, dict):
        raise InvalidData(what, [Problem("", f"expected an object, got {type(record).__name__}")])
    transaction = structure(_converter(), record, Transaction, what=what)
    return attrs.evolve(transaction, seq=version)
