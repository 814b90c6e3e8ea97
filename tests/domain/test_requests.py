"""Requests (诉求) as data: every bad field is named, labels are complete, personal data masked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid import (
    DEFAULT_TZ,
    LEVEL_OF_KIND,
    LEVELS,
    Attachment,
    Channel,
    Dispatch,
    InvalidData,
    Rating,
    Request,
    RequestList,
    Urgency,
)
from civicgrid.domain.personal import PersonName, PhoneNumber
from civicgrid.domain.units import UnitKind

AT = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)


def valid(**changes: Any) -> dict[str, Any]:
    """The fields of a valid hotline request, with ``changes`` applied."""
    fields: dict[str, Any] = {
        "id": "12345-0001",
        "channel": Channel.HOTLINE_12345,
        "text": "3栋电梯坏了",
        "submitted_at": AT,
    }
    return fields | changes


def problems(**changes: Any) -> list[str]:
    """Build a request with ``changes`` and return the paths of the problems it is refused for."""
    with pytest.raises(InvalidData) as refused:
        Request(**valid(**changes))
    return [p.path for p in refused.value.problems]


def test_a_valid_request_keeps_its_fields_and_defaults() -> None:
    """A minimal request is routine, on no list, with no attachments and no extra fields."""
    request = Request(**valid())
    assert (request.urgency, request.request_list, request.attachments) == (
        Urgency.ROUTINE,
        None,
        (),
    )
    assert dict(request.extra) == {}


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", ""),
        ("id", 12345),
        ("channel", "hotline_12345"),
        ("channel", None),
        ("urgency", "urgent"),
        ("request_list", "hardship_need"),
        ("text", ""),
        ("text", "   "),
        ("text", None),
        ("submitted_at", datetime(2026, 11, 23, 9, 0)),  # noqa: DTZ001  (naive on purpose)
        ("submitted_at", "2026-11-23T09:00:00+08:00"),
        ("category", ""),
        ("category", 7),
        ("unit", ""),
        ("reporter", ""),
    ],
)
def test_each_bad_field_is_named_in_the_refusal(field: str, bad: object) -> None:
    """One bad field, one problem, and its path is the field's name."""
    assert problems(**{field: bad}) == [field]


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"longitude": 181.0, "latitude": 30.0}, "longitude"),
        ({"longitude": -180.5, "latitude": 30.0}, "longitude"),
        ({"longitude": 117.3, "latitude": 90.5}, "latitude"),
        ({"longitude": 117.3, "latitude": -91.0}, "latitude"),
        ({"longitude": 117.3}, "latitude"),
        ({"latitude": 31.8}, "latitude"),
    ],
)
def test_coordinates_out_of_range_or_alone_name_the_field(
    changes: dict[str, float], path: str
) -> None:
    """Longitude in [-180, 180], latitude in [-90, 90], and the two go together."""
    assert problems(**changes) == [path]


def test_extra_fields_must_be_text_and_the_bad_key_is_named() -> None:
    """Fields kept from a source system are text; the problem's path names the key."""
    assert problems(extra={"agency_responsible": 3}) == ["extra.agency_responsible"]


def test_every_problem_is_reported_at_once() -> None:
    """A request wrong in many ways lists all of them, in field order, in one error."""
    with pytest.raises(InvalidData) as refused:
        Request(
            id="",
            channel="12345",  # type: ignore[arg-type]
            text=" ",
            submitted_at=datetime(2026, 11, 23),  # noqa: DTZ001
            unit="",
            longitude=200.0,
            latitude=0.0,
        )
    paths = [p.path for p in refused.value.problems]
    assert paths == ["id", "channel", "text", "submitted_at", "unit", "longitude"]
    assert refused.value.what == "request ''"
    assert "6 problems" in refused.value.message_en


@given(
    longitude=st.floats(min_value=-180, max_value=180),
    latitude=st.floats(min_value=-90, max_value=90),
)
def test_any_coordinates_in_range_are_accepted(longitude: float, latitude: float) -> None:
    """Every point on the globe is a valid location for a request."""
    request = Request(**valid(longitude=longitude, latitude=latitude))
    assert (request.longitude, request.latitude) == (longitude, latitude)


@given(st.dictionaries(st.text(), st.text(), max_size=5))
def test_extra_text_fields_are_kept_verbatim_and_read_only(extra: dict[str, str]) -> None:
    """What cannot be mapped is kept, not dropped, and cannot be changed afterwards."""
    request = Request(**valid(extra=extra))
    assert dict(request.extra) == extra
    with pytest.raises(TypeError):
        request.extra["new"] = "x"  # type: ignore[index]


def test_attachments_are_references_kept_as_a_tuple() -> None:
    """Attachments given as a list are stored as a tuple of references."""
    photo = Attachment(ref="s3://civicgrid/r1/photo.jpg", media_type="image/jpeg")
    request = Request(**valid(attachments=[photo]))
    assert request.attachments == (photo,)


def test_the_reporters_personal_data_never_shows_in_repr() -> None:
    """Name and phone are masked in the request's repr; reveal() gives them back."""
    name, phone = PersonName.parse("张三丰"), PhoneNumber.parse("13812345678")
    request = Request(**valid(reporter_name=name, reporter_phone=phone))
    shown = repr(request)
    assert "张三丰" not in shown
    assert "13812345678" not in shown
    assert request.reporter_phone is not None
    assert request.reporter_phone.reveal() == "13812345678"


@pytest.mark.parametrize("kind", [Channel, RequestList, Urgency, Rating])
def test_every_member_carries_distinct_chinese_and_english_labels(kind: type[Channel]) -> None:
    """Channels, lists, urgencies and ratings are user-facing: each has both labels."""
    members = list(kind)
    assert all(m.label_zh.strip() and m.label_en.strip() for m in members)
    assert len({m.label_zh for m in members}) == len(members)


def test_the_intake_channels_of_i8_and_the_three_lists_of_s2_are_there() -> None:
    """The 12345 hotline, patrols, micro-wishes, sensors …; 服务、困难需求、意见建议 lists."""
    assert Channel.HOTLINE_12345.label_zh == "12345热线"
    assert Channel.MICRO_WISH.label_zh == "微心愿"
    assert [item.label_zh for item in RequestList] == ["服务清单", "困难需求清单", "意见建议清单"]


def test_only_an_unsatisfied_rating_does_not_close() -> None:
    """满意 and 基本满意 close a case; 不满意 reopens it."""
    assert [r for r in Rating if not r.closes] == [Rating.UNSATISFIED]


def test_the_ladder_is_grid_compound_community_subdistrict() -> None:
    """LEVELS is I4's ladder, lowest first, with both labels."""
    assert [key for key, _, _ in LEVELS] == ["grid", "compound", "community", "subdistrict"]
    assert [zh for _, zh, _ in LEVELS][2:] == ["社区", "街道"]


def test_the_unit_kinds_below_the_district_act_at_a_rung_of_the_ladder() -> None:
    """Kinds from unit to subdistrict map to a level; city, district and household lie outside."""
    keys = {key for key, _, _ in LEVELS}
    assert set(UnitKind) - set(LEVEL_OF_KIND) == {
        UnitKind.CITY,
        UnitKind.DISTRICT,
        UnitKind.HOUSEHOLD,
    }
    assert set(LEVEL_OF_KIND.values()) <= keys
    assert (LEVEL_OF_KIND[UnitKind.BUILDING], LEVEL_OF_KIND[UnitKind.COURTYARD]) == ("grid", "grid")
    assert LEVEL_OF_KIND[UnitKind.COMPOUND] == "compound"


def test_a_dispatch_and_an_attachment_name_their_bad_fields() -> None:
    """Dispatch and Attachment validate like every entity: each bad field is named."""
    with pytest.raises(InvalidData) as bad_dispatch:
        Dispatch(category="", level="grid", confidence=1.5)
    assert {p.path for p in bad_dispatch.value.problems} == {"category", "confidence"}
    with pytest.raises(InvalidData) as bad_attachment:
        Attachment(ref=" ")
    assert [p.path for p in bad_attachment.value.problems] == ["ref"]
