r"""Checking and encoding what is appended, the same way in every implementation.

Each record is stored as one compact JSON text (no spaces, UTF-8 kept as it is, so Chinese
text costs three bytes a character rather than six of ``\uXXXX``). Non-finite floats are
refused: they are not JSON, and PostgreSQL's ``jsonb`` refuses them too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from civicgrid.errors import InvalidData, Problem
from civicgrid.store.protocol import Batch, JSONValue

__all__ = ["check_batch", "check_stream", "check_version", "decode", "encode_records"]

_encode = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), allow_nan=False, check_circular=True
).encode
decode = json.JSONDecoder().decode
"""Parse one stored record's JSON text."""


def check_stream(stream: object) -> str:
    """Return ``stream`` if it is a usable stream name, else raise :class:`InvalidData`."""
    if not isinstance(stream, str) or not stream or "\x00" in stream:
        problem = Problem("stream", f"must be a non-empty string, not {stream!r}")
        raise InvalidData("stream name", [problem])
    return stream


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
    if problems:
        raise InvalidData(f"records for stream {stream!r}", problems)
    return texts


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
