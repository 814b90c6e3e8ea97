"""Fuzzing the Open311 door: GeoReport v2 service requests imported from civic systems.

Records come from other cities' platforms, so every field may be missing, mistyped or hostile.
Generated records, and the sample file's records mutated (fields dropped, retyped, swapped,
the civicgrid extension garbled, random bytes in the file), must give requests or raise
:class:`~civicgrid.errors.InvalidData` naming the record and field (``[3].requested_datetime``)
— never another exception, never slowly, and never some of the requests without the rest.
"""

from __future__ import annotations

import copy
import io
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.requests import Request
from civicgrid.errors import InvalidData
from civicgrid.interchange.open311 import load_open311, requests_from_open311
from hardening_support import FUZZ, Tally, json_paths, not_of_type, parent_of

DOOR = "Open311 imports"
MAX_SECONDS = 1.0
SAMPLE_PATH = Path(__file__).resolve().parents[1] / "data" / "open311_sample.json"
SAMPLE_TEXT = SAMPLE_PATH.read_text(encoding="utf-8")
SAMPLE: list[dict[str, Any]] = json.loads(SAMPLE_TEXT)
RECORD_PATH = re.compile(r"^(service_requests)?\[\d+\](\.|$)")
LEAKS = re.compile(r"has no attribute|object is not|not iterable|unhashable|Traceback")

FIELDS = (
    "service_request_id",
    "description",
    "requested_datetime",
    "service_code",
    "lat",
    "long",
    "phone",
    "first_name",
    "last_name",
    "media_url",
    "status",
    "email",
    "civicgrid",
)
EXTENSION_KEYS = (
    "channel",
    "urgency",
    "request_list",
    "unit",
    "reporter",
    "attachments",
    "derived",
    "extra",
    "masked",
)


def _timed(load: Callable[[], list[Request]]) -> list[Request] | InvalidData:
    started = time.perf_counter()
    try:
        result: list[Request] | InvalidData = load()
    except InvalidData as exc:
        result = exc
    elapsed = time.perf_counter() - started
    assert elapsed < MAX_SECONDS, f"an import took {elapsed:.2f} s"
    return result


def _check(result: list[Request] | InvalidData, records: object, tally: Tally) -> None:
    """Requests for every record, or problems each naming a record (and its field)."""
    if isinstance(result, InvalidData):
        tally.add("fuzz", DOOR, "refused")
        assert result.problems
        for problem in result.problems:
            assert not LEAKS.search(problem.message), problem
            if isinstance(records, list) or (
                isinstance(records, dict) and isinstance(records.get("service_requests"), list)
            ):
                assert RECORD_PATH.match(problem.path), f"unplaced {problem!r} in {result}"
    else:
        tally.add("fuzz", DOOR, "loaded")
        given_records = records if isinstance(records, list) else records["service_requests"]  # type: ignore[index]
        assert len(result) == len(given_records)
        assert all(isinstance(request, Request) for request in result)
        assert len({request.id for request in result}) == len(result)


# --------------------------------------------------------------------------- strategies

_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(
        [
            "2026-03-02T08:15:30+08:00",
            "2026-03-02T08:15:30Z",
            "2026-03-02T08:15:30",
            "2026-13-40",
            "13800138000",
            "138****8000",
            "104.06",
            "-91",
            "NaN",
            "张",
            "Li",
            "emergency",
            "hotline_12345",
            " ",
            "",
        ]
    )
)
JSON_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from([*EXTENSION_KEYS, "ref", "x"]), inner, max_size=4)
    ),
    max_leaves=12,
)
RECORDS = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), JSON_VALUES, max_size=10)


_SAMPLE_PATHS = sorted(json_paths(SAMPLE), key=repr)


@st.composite
def mutated_samples(draw: st.DrawFn) -> list[Any]:
    """The sample file's records with one or two values dropped, retyped, swapped or doubled."""
    data: list[Any] = copy.deepcopy(SAMPLE)
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(_SAMPLE_PATHS))
        try:
            parent = parent_of(data, path)
            original = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
        operation = draw(st.sampled_from(["drop", "retype", "swap", "duplicate", "extension"]))
        if operation == "drop":
            del parent[path[-1]]
        elif operation == "retype":
            parent[path[-1]] = draw(JSON_VALUES.filter(not_of_type(type(original))))
        elif operation == "swap":
            other = draw(st.sampled_from(_SAMPLE_PATHS))
            try:
                other_parent = parent_of(data, other)
                parent[path[-1]], other_parent[other[-1]] = other_parent[other[-1]], original
            except (KeyError, IndexError, TypeError):
                continue
        elif operation == "extension" and isinstance(data[path[0]], dict):
            data[path[0]]["civicgrid"] = draw(
                st.dictionaries(st.sampled_from(EXTENSION_KEYS), JSON_VALUES, max_size=4)
                | JSON_VALUES
            )
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(original))
    return data


# --------------------------------------------------------------------------- tests


@settings(FUZZ)
@given(records=st.lists(RECORDS, max_size=4) | JSON_VALUES)
def test_generated_records_import_or_name_the_field(records: Any, tally: Tally) -> None:
    """Any parsed JSON given as service requests: all of them, or InvalidData by record."""
    _check(_timed(lambda: requests_from_open311(records)), records, tally)


@settings(FUZZ)
@given(records=mutated_samples(), wrapped=st.booleans())
def test_mutated_sample_records_import_or_name_the_field(
    records: list[Any], wrapped: bool, tally: Tally
) -> None:
    """The sample mutated, bare or under ``service_requests``, through a text stream."""
    data: Any = {"service_requests": records} if wrapped else records
    text = json.dumps(data, ensure_ascii=False)
    _check(_timed(lambda: load_open311(io.StringIO(text))), data, tally)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for the files written byte by byte."""
    return tmp_path_factory.mktemp("open311_files")


@settings(FUZZ)
@given(cut=st.integers(0, 100_000), noise=st.binary(min_size=1, max_size=12))
def test_random_bytes_in_an_open311_file_are_refused_cleanly(
    cut: int, noise: bytes, tally: Tally, workdir: Path
) -> None:
    """Random bytes spliced into the sample file: requests, or InvalidData naming the file."""
    raw = SAMPLE_TEXT.encode("utf-8")
    cut = min(cut, len(raw))
    path = workdir / "requests.json"
    path.write_bytes(raw[:cut] + noise + raw[cut:])
    result = _timed(lambda: load_open311(path))
    if isinstance(result, InvalidData):
        tally.add("fuzz", DOOR, "refused")
        assert result.source == str(path)
        assert result.problems
        assert not any(LEAKS.search(p.message) for p in result.problems), result
    else:
        tally.add("fuzz", DOOR, "loaded")
        assert all(isinstance(request, Request) for request in result)


@pytest.mark.parametrize("ref", [" ", "\t", "　"])
def test_a_blank_attachment_ref_is_named_at_its_record(ref: str) -> None:
    """Regression: a blank ``ref`` in the extension is refused at its record.

    It used to escape as a bare "invalid attachment" naming neither the record nor the field.
    """
    record = {
        "service_request_id": "1",
        "description": "路灯不亮",
        "requested_datetime": "2026-03-02T08:15:30+08:00",
        "civicgrid": {"attachments": [{"ref": ref}]},
    }
    with pytest.raises(InvalidData) as caught:
        requests_from_open311([record])
    assert [p.path for p in caught.value.problems] == ["[0].civicgrid.attachments[0]"]
