"""Open311 GeoReport v2: importing with every problem at once, exporting cases, round trips."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    Actor,
    Attachment,
    Channel,
    Engine,
    ManualClock,
    Method,
    PersonName,
    PhoneNumber,
    Request,
    RequestDesk,
    RequestList,
    Urgency,
    compile_method,
    method_from_data,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData
from civicgrid.interchange.open311 import (
    Open311Mapping,
    load_open311,
    requests_from_open311,
    requests_to_open311,
)

SAMPLE = Path(__file__).parents[1] / "data" / "open311_sample.json"
CST = timezone(timedelta(hours=8))
MAPPING = Open311Mapping(
    categories={
        "LD01": "路灯",
        "DT01": "电梯",
        "LJ01": "环境卫生",
        "LJ02": "环境卫生",
        "GK01": "高空抛物",
    },
    channels={"GK01": Channel.SMART_SENSOR},
)
"""A district's table: two garbage codes share one category; the sensor feed's code is a channel."""
OPERATOR = Actor(id="operator-1", roles={"operator"})
WORKER = Actor(id="grid-worker-7", roles={"handler"})
LATER = datetime(2026, 3, 8, 9, 0, tzinfo=DEFAULT_TZ)
OFFSET = "GeoReport v2 requires one (Z or ±HH:MM)"
MASKED = (
    "is masked (it contains *), not a real value: a masked export cannot be imported as data; "
    "export with reveal_personal=True where the raw values are needed and allowed"
)
EXTENSION_KEYS = ["channel", "urgency", "request_list", "unit", "reporter", "attachments"]
EXTENSION_KEYS += ["derived", "extra", "masked"]


def sample() -> list[dict[str, Any]]:
    """The sample records, parsed afresh."""
    records: list[dict[str, Any]] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return records


def imported() -> list[Request]:
    """The sample imported through the district's mapping."""
    return load_open311(SAMPLE, mapping=MAPPING)


def problems(data: Any) -> list[str]:
    """Import data that must be refused; return the problems as text."""
    with pytest.raises(InvalidData) as refused:
        requests_from_open311(data, mapping=MAPPING)
    return [str(p) for p in refused.value.problems]


def record(**fields: Any) -> dict[str, Any]:
    """A valid minimal record, with ``fields`` changed (``None`` removes one)."""
    base: dict[str, Any] = {
        "service_request_id": "r1",
        "description": "楼道灯不亮",
        "requested_datetime": "2026-03-02T08:15:30+08:00",
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not None}


def handling_method() -> Method:
    """Received → handling → answered → closed, with a fifteen-day limit from receipt."""
    step = [
        ("received", "受理"),
        ("handling", "处置"),
        ("answered", "反馈"),
    ]
    return method_from_data(
        {
            "key": "exchange_test",
            "label_zh": "交换测试",
            "label_en": "exchange test",
            "initial": "received",
            "open_roles": ["operator"],
            "roles": [
                {"key": "operator", "label_zh": "话务员", "label_en": "operator"},
                {"key": "handler", "label_zh": "网格员", "label_en": "handler"},
            ],
            "steps": [
                *({"key": k, "label_zh": zh, "label_en": k} for k, zh in step),
                {"key": "closed", "label_zh": "办结", "label_en": "closed", "terminal": True},
            ],
            "transitions": [
                {
                    "trigger": "accept",
                    "from": ["received"],
                    "to": "handling",
                    "label_zh": "接单",
                    "label_en": "accept",
                    "roles": ["handler"],
                },
                {
                    "trigger": "answer",
                    "from": ["handling"],
                    "to": "answered",
                    "label_zh": "答复",
                    "label_en": "answer",
                    "roles": ["handler"],
                },
                {
                    "trigger": "close",
                    "from": ["answered"],
                    "to": "closed",
                    "label_zh": "办结",
                    "label_en": "close",
                    "roles": ["handler"],
                },
            ],
            "deadlines": [
                {
                    "key": "settle",
                    "label_zh": "十五日内办结",
                    "label_en": "settled within fifteen days",
                    "start": ["received"],
                    "stop": ["closed"],
                    "duration": {"days": 15},
                }
            ],
        }
    )


def desk_with(requests: list[Request]) -> RequestDesk:
    """A desk that has received every request, on a clock after the last of them."""
    engine = Engine([compile_method(handling_method())], clock=ManualClock(LATER))
    desk = RequestDesk(engine, method="exchange_test")
    for request in requests:
        desk.receive(request, actor=OPERATOR)
    return desk


def assert_same_requests(before: list[Request], after: list[Request]) -> None:
    """Two lists of requests agree field by field, extras included."""
    assert [r.id for r in after] == [r.id for r in before]
    for old, new in zip(before, after, strict=True):
        for field in attrs.fields(Request):
            assert getattr(new, field.name) == getattr(old, field.name), (old.id, field.name)
        assert dict(new.extra) == dict(old.extra)


# --------------------------------------------------------------------------- import


def test_the_sample_imports_each_field_into_its_home() -> None:
    """Id, text, time, category, coordinates, media and the reporter find their fields."""
    first = imported()[0]
    assert first.id == "CD12345-20260302-0001"
    assert first.text.startswith("锦华路三段88号门口路灯")
    assert first.submitted_at == datetime(2026, 3, 2, 8, 15, 30, tzinfo=CST)
    assert (first.category, first.channel) == ("路灯", Channel.HOTLINE_12345)
    assert (first.latitude, first.longitude) == (30.6265, 104.1103)
    assert first.attachments == (
        Attachment(ref="https://12345.chengdu.example/media/2026/03/02/ld-0001.jpg"),
    )
    assert first.reporter_name == PersonName("王建国")
    assert first.reporter_phone == PhoneNumber("13812345678")


def test_fields_without_a_home_are_kept_verbatim_in_extra() -> None:
    """Text is kept as sent; numbers, lists, objects, true and null as their JSON text."""
    lights, lift, _, rubble, noise, _ = imported()
    assert lights.extra["open311.address"] == "成都市锦江区锦华路三段88号"
    assert lights.extra["open311.attribute[灯杆编号]"] == "JH3-0317"
    assert lights.extra["open311.email"] == "wangjianguo@163.com"
    assert lights.extra["open311.status_notes"] == "已派单至街道城管科，待现场核实"
    assert lift.extra["open311.service_notice:json"] == "null"
    attributes = json.loads(lift.extra["open311.attributes:json"])
    assert attributes == {"楼栋": "3栋", "单元": "2单元", "停运天数": 2}
    assert rubble.extra["open311.priority:json"] == "2"
    assert json.loads(rubble.extra["open311.tags:json"]) == ["消防通道", "装修"]
    assert noise.extra["open311.is_anonymous:json"] == "true"
    assert "open311.description" not in lights.extra


def test_every_field_of_every_sample_record_is_kept_somewhere() -> None:
    """Each field is either in its home or in extra: nothing is dropped."""
    homes = {"service_request_id", "description", "requested_datetime", "service_code"}
    homes |= {"lat", "long", "media_url", "first_name", "last_name", "phone"}
    for source, request in zip(sample(), imported(), strict=True):
        for field in set(source) - homes:
            assert {f"open311.{field}", f"open311.{field}:json"} & set(request.extra), field


def test_a_service_code_the_mapping_cannot_give_back_is_kept() -> None:
    """Two garbage codes share a category; the second one's code is kept to be written back."""
    household, rubble = imported()[2:4]
    assert household.category == rubble.category == "环境卫生"
    assert "open311.service_code" not in household.extra
    assert rubble.extra["open311.service_code"] == "LJ02"


def test_the_channel_comes_from_the_mapping_or_the_hotline_default() -> None:
    """The sensor feed's code arrives as a smart sensor; every other code by the hotline."""
    channels = [request.channel for request in imported()]
    assert channels == [Channel.HOTLINE_12345] * 5 + [Channel.SMART_SENSOR]
    assert imported()[4].category == "ZS01"  # an unlisted code is its own category


def test_names_and_numbers_are_read_the_way_people_write_them() -> None:
    """A compound surname, a surname alone, +86 and dashes, a landline, coordinates as text."""
    _, lift, _, rubble, _, _ = imported()
    assert lift.reporter_name == PersonName("欧阳娜娜")
    assert lift.reporter_phone == PhoneNumber("13987654321")
    assert (lift.latitude, lift.longitude) == (30.5712, 104.0668)
    assert lift.submitted_at == datetime(2026, 3, 3, 1, 20, tzinfo=UTC)
    assert rubble.reporter_name == PersonName("李")
    assert rubble.reporter_phone is not None
    assert rubble.reporter_phone.reveal() == "028-85123456"


def test_a_latin_name_is_first_name_then_last_name() -> None:
    """Latin-letter names join with a space, first name first."""
    [request] = requests_from_open311([record(first_name="Anna", last_name="Schmidt")])
    assert request.reporter_name == PersonName("Anna Schmidt")


def test_an_object_holding_service_requests_is_read_like_the_array() -> None:
    """Some servers wrap the array; paths then start with its key."""
    assert len(requests_from_open311({"service_requests": [record()]})) == 1
    found = problems({"service_requests": [record(description=None)]})
    assert found == ["service_requests[0].description: missing"]


def test_every_problem_in_every_record_is_reported_at_once() -> None:
    """Each bad field is named with its record; nothing is returned."""
    found = problems(
        [
            record(),
            record(service_request_id="r2", requested_datetime="2026-03-02T08:15:30"),
            record(service_request_id="r3", requested_datetime="3月2日上午", description="  "),
            record(service_request_id="r4", lat=30.6, description=None),
            record(service_request_id="r5", lat=95, long="东经104度"),
            record(service_request_id="r6", phone="1381234567"),
            record(service_request_id="r7", phone="138****5678", first_name="**", last_name="王"),
            "not a record",
            record(),
            record(service_request_id=None, service_code=["LD01"]),
            record(service_request_id="r7", description=None),
        ]
    )
    assert found == [
        f"[1].requested_datetime: '2026-03-02T08:15:30' has no UTC offset; {OFFSET}",
        "[2].description: must be non-blank text, got text",
        "[2].requested_datetime: not an ISO 8601 date and time: '3月2日上午'",
        "[3].description: missing",
        "[3].long: lat and long go together",
        "[4].lat: must lie in [-90, 90], not 95.0",
        "[4].long: must be a number, got '东经104度'",
        "[5].phone: a mobile number has 11 digits, got 10",
        f"[6].phone: {MASKED}",
        f"[6].first_name: {MASKED}",
        "[7]: expected a JSON object, got text",
        "[8].service_request_id: 'r1' repeats [0]",
        "[9].service_request_id: missing",
        "[9].service_code: must be non-blank text, got an array",
        "[10].description: missing",
        "[10].service_request_id: 'r7' repeats [6]",
    ]


def test_anything_but_an_array_of_records_is_refused() -> None:
    """The top level must be the array (or an object holding it)."""
    assert problems({"request": []}) == ["expected a JSON array of service requests, got an object"]


def test_a_malformed_extension_is_reported_field_by_field() -> None:
    """The civicgrid extension is the library's own format: it is checked strictly."""
    found = problems(
        [record(civicgrid={"channel": "fax", "unit": 3, "derived": "status", "colour": "red"})]
    )
    assert found == [
        f"[0].civicgrid.colour: unknown field; known: {', '.join(sorted(EXTENSION_KEYS))}",
        "[0].civicgrid.unit: must be non-blank text, got a number",
        "[0].civicgrid.derived: must be an array of field names",
        "[0].civicgrid.channel: unknown value 'fax'; known: "
        + ", ".join(channel.value for channel in Channel),
    ]


def test_a_mapping_refuses_what_is_not_a_code_or_a_channel() -> None:
    """Bad entries of a city's table are listed at once."""
    with pytest.raises(InvalidData) as refused:
        Open311Mapping(categories={"LD01": ""}, channels={"GK01": "sensor"})  # type: ignore[dict-item]
    assert [p.path for p in refused.value.problems] == ["categories.LD01", "channels.GK01"]


# --------------------------------------------------------------------------- files


def test_a_file_with_a_byte_order_mark_or_a_stream_loads_the_same() -> None:
    """Excel-style UTF-8 with a mark, or an open text stream, read like the plain file."""
    text = SAMPLE.read_text(encoding="utf-8")
    from_stream = load_open311(io.StringIO("\ufeff" + text), mapping=MAPPING)
    assert_same_requests(imported(), from_stream)


def test_a_file_that_is_not_json_or_not_utf8_is_refused_with_its_place(tmp_path: Path) -> None:
    """Broken JSON names its line and column; GBK bytes name their line."""
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"service_request_id": "r1",}\n]\n', encoding="utf-8")
    with pytest.raises(InvalidData) as refused:
        load_open311(broken)
    assert refused.value.source == str(broken)
    assert str(refused.value.problems[0]).startswith("line 2, column 31: not JSON")
    gbk = tmp_path / "gbk.json"
    gbk.write_bytes('[\n"路灯"]'.encode("gbk"))
    with pytest.raises(InvalidData) as refused:
        load_open311(gbk)
    assert [str(p) for p in refused.value.problems] == ["line 2: the file is not UTF-8 text"]


# --------------------------------------------------------------------------- export


def test_requests_without_cases_export_as_the_records_they_came_from() -> None:
    """Every field of every sample record comes back, written in its normal form."""
    exported = requests_to_open311(imported(), mapping=MAPPING, reveal_personal=True)
    normal = {
        ("CD12345-20260303-0014", "lat"): 30.5712,
        ("CD12345-20260303-0014", "long"): 104.0668,
        ("CD12345-20260303-0014", "phone"): "13987654321",
        ("CD12345-20260303-0014", "requested_datetime"): "2026-03-03T01:20:00+00:00",
        ("CD12345-20260306-0051", "requested_datetime"): "2026-03-06T23:18:40.250000+08:00",
    }
    for source, out in zip(sample(), exported, strict=True):
        assert set(out) == {*source, "civicgrid"}
        for field, value in source.items():
            assert out[field] == normal.get((source["service_request_id"], field), value), field
        assert "masked" not in out["civicgrid"]


def test_the_case_gives_status_notes_times_and_who_is_responsible() -> None:
    """Status, notes, updated and expected times and the agency come from the case's events."""
    desk = desk_with(imported())
    lights = desk.case("CD12345-20260302-0001")
    desk.engine.fire(lights, "accept", WORKER, assignee="grid-worker-7")
    lift = desk.case("CD12345-20260303-0014")
    desk.engine.fire(lift, "accept", WORKER, assignee="天府家园物业")
    desk.engine.fire(lift, "answer", WORKER, data={"feedback": "电梯已恢复运行，已回访住户"})
    desk.engine.fire(lift, "close", WORKER, at=LATER + timedelta(hours=1))
    records = requests_to_open311(desk, mapping=MAPPING, reveal_personal=True)
    requests = [desk.request(case.id) for case in desk]
    by_cases = requests_to_open311(
        requests, cases=list(desk), mapping=MAPPING, reveal_personal=True
    )
    assert by_cases == records
    first, second, third, *_ = records
    assert first["status"] == "open"
    assert first["agency_responsible"] == "grid-worker-7"
    assert first["updated_datetime"] == LATER.isoformat()
    assert first["expected_datetime"] == "2026-03-17T08:15:30+08:00"
    assert first["status_notes"] == "已派单至街道城管科，待现场核实"  # no feedback: kept
    assert first["civicgrid"]["extra"]["open311.status"] == "open"  # the source's, overridden
    assert second["status"] == "closed"
    assert second["status_notes"] == "电梯已恢复运行，已回访住户"
    assert second["updated_datetime"] == (LATER + timedelta(hours=1)).isoformat()
    assert "expected_datetime" not in second
    assert second["civicgrid"]["extra"]["open311.status"] == "closed"
    assert third["status"] == "open"
    assert third["civicgrid"]["derived"] == ["status", "updated_datetime", "expected_datetime"]


def test_the_sample_survives_a_round_trip_through_a_desk() -> None:
    """Import, receive, handle, export and import again: every field and extra is equal."""
    before = imported()
    desk = desk_with(before)
    lift = desk.case("CD12345-20260303-0014")
    desk.engine.fire(lift, "accept", WORKER, assignee="天府家园物业")
    desk.engine.fire(lift, "answer", WORKER, data={"feedback": "已修复"})
    desk.engine.fire(lift, "close", WORKER)
    exported = requests_to_open311(desk, mapping=MAPPING, reveal_personal=True)
    text = json.dumps(exported, ensure_ascii=False)
    assert_same_requests(before, requests_from_open311(json.loads(text), mapping=MAPPING))


def test_what_open311_has_no_field_for_travels_in_the_extension() -> None:
    """Unit, reporter, list, urgency, several attachments and a city's own extras come back."""
    request = Request(
        id="mp-0001",
        channel=Channel.MINI_PROGRAM,
        text="希望社区开设老年人智能手机课堂",
        submitted_at=datetime(2026, 3, 9, 10, 0, tzinfo=DEFAULT_TZ),
        category="为老服务",
        unit="jinhua-b5",
        urgency=Urgency.URGENT,
        request_list=RequestList.SUGGESTION,
        reporter="p-102",
        attachments=(
            Attachment(ref="store://photos/1.jpg", media_type="image/jpeg", label="现场"),
            Attachment(ref="store://audio/1.m4a"),
        ),
        extra={"mini_program.openid_hash": "9f1c", "open311.status": "open"},
    )
    [out] = requests_to_open311([request], reveal_personal=True)
    assert out["media_url"] == "store://photos/1.jpg"
    assert out["civicgrid"]["unit"] == "jinhua-b5"
    assert out["civicgrid"]["extra"] == {"mini_program.openid_hash": "9f1c"}
    assert_same_requests([request], requests_from_open311(json.loads(json.dumps([out]))))


def test_the_export_masks_personal_data_unless_asked() -> None:
    """Names, phones, e-mail, devices and numbers in text are masked; the mark says so."""
    records = requests_to_open311(imported(), mapping=MAPPING)
    lights, lift, household, *_ = records
    assert (lights["last_name"], lights["first_name"]) == ("王", "**")
    assert lights["phone"] == "138****5678"
    assert lights["email"] == "w***@163.com"
    assert (lift["last_name"], lift["first_name"]) == ("欧阳", "**")
    assert lift["device_id"] == "a3****77"
    assert "139****4321" in household["description"]
    assert household["account_id"] == "wx****Qm"
    assert all(r["civicgrid"]["masked"] is True for r in records)
    assert "13812345678" not in json.dumps(records, ensure_ascii=False)


def test_a_masked_export_cannot_be_imported_as_data() -> None:
    """Reading a masked export back is refused record by record."""
    found = problems(requests_to_open311(imported()[:1], mapping=MAPPING))
    assert found[0].startswith("[0].civicgrid.masked: the record was exported masked")
    assert any(p.startswith("[0].phone: is masked") for p in found)


# --------------------------------------------------------------------------- round trip

_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_TEXT = st.text(st.one_of(_CJK, st.sampled_from("，。！？ 0123456789ab")), min_size=1).filter(
    str.strip
)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)
_KEPT_FIELDS = ("address", "zipcode", "service_name", "email", "account_id", "odd:json")
_CASE_FIELDS = ("status", "status_notes", "updated_datetime", "expected_datetime")
_FIELDS = st.sampled_from([*_KEPT_FIELDS, *_CASE_FIELDS, "agency_responsible"]) | st.from_regex(
    r"attribute\[[a-z]{1,6}\]", fullmatch=True
)
"""Standard fields with no home, those a case overrides, a city's attributes, an odd name."""


@st.composite
def open311_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A batch of records with unique ids, random optional fields and arbitrary extras."""
    ids = draw(st.lists(st.from_regex(r"[A-Z0-9-]{1,12}", fullmatch=True), unique=True))
    records = []
    for request_id in ids:
        at = draw(
            st.datetimes(
                min_value=datetime(2020, 1, 1),  # noqa: DTZ001  hypothesis takes naive bounds
                max_value=datetime(2030, 1, 1),  # noqa: DTZ001
                timezones=st.sampled_from([UTC, CST, DEFAULT_TZ]),
            )
        )
        out: dict[str, Any] = {
            "service_request_id": request_id,
            "description": draw(_TEXT),
            "requested_datetime": at.isoformat(),
        }
        if draw(st.booleans()):
            out["service_code"] = draw(st.sampled_from(["LD01", "LJ01", "LJ02", "GK01", "环境"]))
        if draw(st.booleans()):
            out["lat"] = draw(st.floats(-90, 90))
            out["long"] = draw(st.floats(-180, 180))
        if draw(st.booleans()):
            out["media_url"] = "https://example.org/" + draw(st.from_regex(r"[a-z0-9]{1,8}"))
        if draw(st.booleans()):
            out["phone"] = "1" + draw(st.from_regex(r"[3-9][0-9]{9}", fullmatch=True))
        if draw(st.booleans()):
            out["last_name"] = draw(st.sampled_from(["王", "欧阳", "司马", "张", "van Dyke"]))
        if draw(st.booleans()):
            out["first_name"] = draw(st.text(_CJK, min_size=1, max_size=3) | st.just("Mary Ann"))
        out.update(draw(st.dictionaries(_FIELDS, _JSON, max_size=4)))
        records.append(out)
    return records


@settings(max_examples=60, deadline=None)
@given(open311_records(), st.booleans())
def test_any_records_survive_export_and_import(records: list[dict[str, Any]], desk: bool) -> None:
    """Imported records, with or without a desk, come back from their export unchanged."""
    before = requests_from_open311(records, mapping=MAPPING)
    source = desk_with(before) if desk else before
    exported = requests_to_open311(source, mapping=MAPPING, reveal_personal=True)
    after = requests_from_open311(json.loads(json.dumps(exported)), mapping=MAPPING)
    assert_same_requests(before, after)
