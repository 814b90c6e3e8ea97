r"""Checking and encoding what is appended, the same way in every implementation.

Each record is stored as one compact JSON text (no spaces, UTF-8 kept as it is, so Chinese
text costs three bytes a character rather than six of ``\uXXXX``). Non-finite floats are
refused: they are not JSON, and PostgreSQL's ``jsonb`` refuses them too. So is text holding
a lone UTF-16 surrogate (``"\ud800"``, what ``surrogateescape`` makes of bytes that are not
UTF-8): it is not Unicode text, UTF-8 cannot store it, and the durable stores would fail on
it halfway; the problem names the record and the field within it (``records[2].memo``).
Control characters, NUL included, are escaped by JSON and round-trip.

Stream names and idempotency keys are stored as text columns and indexed, so they must be
non-empty text of at most :data:`MAX_NAME` characters, without NUL (PostgreSQL's text cannot
hold it) or lone surrogates.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from civicgrid.errors import InvalidData, Problem
from civicgrid.store.errors import StorageFault
from civicgrid.store.protocol import Batch, JSONValue, StoredRecord

__all__ = [
    "MAX_NAME",
    "batch_digest",
    "check_batch",
    "check_key",
    "check_prefix",
    "check_stream",
    "check_version",
    "decode",
    "decode_rows",
    "decode_versions",
    "encode_records",
    "encode_versions",
    "page_end",
]

MAX_NAME: Final = 512
"""The longest stream name or idempotency key, in characters (2 KiB of UTF-8 at most, so it
fits one PostgreSQL index entry)."""

_encode = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=True
).encode
decode = json.JSONDecoder().decode
"""Parse one stored record's JSON text."""


def _name_problem(value: object, what: str) -> str | None:
    """Why ``value`` cannot be a stream name or key (``None`` when it can)."""
    if not isinstance(value, str) or not value:
        return f"must be a non-empty string, not {_short(value)}"
    if len(value) > MAX_NAME:
        return f"must be at most {MAX_NAME} characters, not {len(value)}"
    if "\x00" in value:
        return f"must not hold a NUL character: {what} is stored as text"
    return _surrogate(value)


def _surrogate(text: str) -> str | None:
    """Say where ``text`` holds a lone surrogate, or ``None`` when UTF-8 can encode it."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return (
            f"holds a lone surrogate {text[error.start]!r} at character {error.start}: "
            "not Unicode text, UTF-8 cannot store it"
        )
    return None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}… ({len(text)} characters)"


def check_stream(stream: object) -> str:
    """Return ``stream`` if it is a usable stream name, else raise :class:`InvalidData`."""
    reason = _name_problem(stream, "a stream name")
    if reason is not None:
        raise InvalidData("stream name", [Problem("stream", reason)])
    assert isinstance(stream, str)  # noqa: S101 - narrowed by _name_problem
    return stream


def check_prefix(prefix: object) -> str:
    """Return ``prefix`` if stream names can start with it, else raise :class:`InvalidData`."""
    if not isinstance(prefix, str):
        reason: str | None = f"must be a string, not {_short(prefix)}"
    elif "\x00" in prefix:
        reason = "must not hold a NUL character: stream names cannot"
    else:
        reason = _surrogate(prefix)
    if reason is not None:
        raise InvalidData("stream prefix", [Problem("prefix", reason)])
    assert isinstance(prefix, str)  # noqa: S101 - narrowed above
    return prefix


def check_key(key: object) -> str | None:
    """Return ``key`` if it is ``None`` or a usable idempotency key, else raise InvalidData."""
    if key is None:
        return None
    reason = _name_problem(key, "a key")
    if reason is not None:
        raise InvalidData("idempotency key", [Problem("key", reason)])
    assert isinstance(key, str)  # noqa: S101 - narrowed by _name_problem
    return key


def check_version(value: object, field: str, *, least: int = 0) -> int:
    """Return ``value`` if it is a whole number >= ``least``, else raise :class:`InvalidData`."""
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        problem = Problem(field, f"must be a whole number >= {least}, not {value!r}")
        raise InvalidData(field, [problem])
    return value


def encode_records(stream: str, records: Sequence[JSONValue]) -> list[str]:
    """Encode each record as compact JSON.

    Raise :class:`InvalidData` listing every record JSON cannot hold, with its position.
    """
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Sequence):
        raise InvalidData(
            f"records for stream {stream!r}",
            [Problem("records", f"must be a sequence of records, not {type(records).__name__}")],
        )
    texts: list[str] = []
    problems: list[Problem] = []
    for position, record in enumerate(records):
        try:
            texts.append(_encode(record))
        except (TypeError, ValueError) as error:
            problems.append(Problem(f"records[{position}]", f"not JSON-able: {error}"))
            texts.append("")
    if _surrogate("".join(texts)) is not None:  # one pass over the batch; then find which
        for position, (record, text) in enumerate(zip(records, texts, strict=True)):
            reason = _surrogate(text)
            if reason is not None:
                where = f"records[{position}]"
                problems.append(_surrogate_at(record, where) or Problem(where, reason))
        problems.sort(key=lambda problem: _position(problem.path))
    if problems:
        raise InvalidData(f"records for stream {stream!r}", problems)
    return texts


def _position(path: str) -> int:
    """Return the record number a problem's path starts with (``records[12].memo`` → 12)."""
    return int(path[len("records[") :].partition("]")[0])


def _member(name: str) -> str:
    """Name a mapping's member in a path: ``.memo``, or ``['a key']`` when not a name."""
    if name.isidentifier() and len(name) <= 40:
        return f".{name}"
    text = repr(name)
    return f"[{text}]" if len(text) <= 42 else f"[{text[:40]}…]"


def _surrogate_at(value: JSONValue, path: str) -> Problem | None:
    """Name the first string (or mapping key) in ``value`` holding a lone surrogate."""
    if isinstance(value, str):
        reason = _surrogate(value)
        return None if reason is None else Problem(path, reason)
    if isinstance(value, Mapping):
        for name, item in value.items():
            reason = _surrogate(str(name))
            if reason is not None:
                return Problem(path, f"a key {reason}")
            found = _surrogate_at(item, path + _member(str(name)))
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _surrogate_at(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def check_batch(batch: Batch) -> dict[str, tuple[list[str], int]]:
    """Check and encode a whole ``append_many`` batch before anything is written."""
    given: object = batch
    if not isinstance(given, Mapping):
        problem = Problem("batch", "must map stream names to (records, expected_version)")
        raise InvalidData("batch", [problem])
    out: dict[str, tuple[list[str], int]] = {}
    for stream, pair in batch.items():
        check_stream(stream)
        entry: object = pair
        if not isinstance(entry, tuple) or len(entry) != 2:
            raise InvalidData(
                "batch", [Problem(stream, "must be a pair (records, expected_version)")]
            )
        records, expected = entry
        check_version(expected, "expected_version")
        out[stream] = (encode_records(stream, records), expected)
    return out


def batch_digest(encoded: Mapping[str, tuple[list[str], int]]) -> str:
    """Fingerprint a checked batch (streams, expected versions, record texts) for its key.

    Two batches have the same digest exactly when they would store the same thing: the one
    stored with an idempotency key is compared with each retry.
    """
    canonical = json.dumps(
        [[stream, expected, texts] for stream, (texts, expected) in sorted(encoded.items())],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def encode_versions(versions: Mapping[str, int]) -> str:
    """Encode the new versions of a committed batch, as stored with its idempotency key."""
    return _encode(dict(versions))


def decode_versions(text: str) -> dict[str, int]:
    """Decode the versions stored with an idempotency key."""
    return {str(stream): int(version) for stream, version in decode(text).items()}


def decode_rows(where: str, stream: str, rows: Iterable[Sequence[object]]) -> list[StoredRecord]:
    """Decode stored ``(version, text)`` rows of ``stream``; text that is not JSON is damage.

    A record altered outside the library (by hand, or a damaged page that still reads)
    raises :class:`~civicgrid.store.errors.StorageFault` ``"corrupt"`` naming the stream and
    the version, never a bare ``JSONDecodeError``.
    """
    out: list[StoredRecord] = []
    for version, text in (row[:2] for row in rows):
        number = int(str(version))
        try:
            out.append(StoredRecord(number, decode(str(text))))
        except ValueError as error:
            raise StorageFault(
                where,
                "corrupt",
                f"record {number} of stream {stream!r} is not JSON",
                f"流 {stream!r} 的第 {number} 条记录不是 JSON",
                str(error),
            ) from error
    return out


NO_END: Final = 2**62
"""A version past any stream's last: the end of a read without ``limit``."""


def page_end(from_version: int, limit: object) -> int:
    """Return the version a read from ``from_version`` stops before (``limit`` records on).

    Versions are consecutive, so a page is a range of versions. A ``limit`` that is not
    ``None`` or a whole number ≥ 1 is refused, naming ``limit``.
    """
    if limit is None:
        return NO_END
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InvalidData("read", [Problem("limit", f"must be a whole number >= 1, not {limit!r}")])
    return from_version + limit
