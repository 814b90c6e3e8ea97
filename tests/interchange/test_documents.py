"""District documents in JSON: loading with paths, masking by default, round trips."""

from __future__ import annotations

import copy
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.organisations import OrgKind
from civicgrid.domain.personal import IdNumber, PhoneNumber
from civicgrid.domain.units import UnitKind
from civicgrid.errors import InvalidData
from civicgrid.interchange.documents import (
    District,
    document_from_data,
    dump_document,
    load_district,
    load_document,
)
from civicgrid.interchange.units_csv import load_units_csv

EXAMPLES = Path(__file__).parents[2] / "examples" / "districts"
SAMPLE = EXAMPLES / "sample-district.json"


def sample_data() -> dict[str, Any]:
    """The sample document as parsed JSON, a fresh copy each time."""
    data: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


def refused(data: object) -> list[str]:
    """Load data that must be refused; return its problems as text."""
    with pytest.raises(InvalidData) as info:
        document_from_data(data)
    assert info.value.what == "district document"
    return [str(p) for p in info.value.problems]


MINIMAL: dict[str, Any] = {
    "units": [
        {"id": "c", "kind": "community", "name_zh": "社区", "parent": None},
        {"id": "g", "kind": "general_grid", "name_zh": "网格", "parent": "c"},
    ]
}


# --------------------------------------------------------------------------- loading


def test_the_sample_document_is_a_whole_district() -> None:
    """Units, organisations, people, appointments and the default scheme all load."""
    district = load_document(SAMPLE)
    assert district.scheme == "chengdu_3plus1"
    assert len(district.tree) == 40
    assert district.tree.root.id == "jh"
    committee = district.organisations.get("jh-pc")
    assert committee.kind is OrgKind.PARTY_COMMITTEE
    assert committee.powers == {"dispatch", "deliberation", "appraisal"}
    assert [o.id for o in district.organisations.children("jh-pc")] == [
        "jh-g1-pb",
        "jh-g2-pb",
        "jh-g3-pb",
    ]
    assert len(district.roster.people) == 7
    secretary = district.roster.holders(on=date(2026, 11, 23), role="secretary", org="jh-pc")
    assert [a.person for a in secretary] == ["p-001"]


def test_personal_data_is_parsed_and_masked_in_repr() -> None:
    """Names, phones and ID numbers become personal types whose repr hides them."""
    person = load_document(SAMPLE).roster.person("p-006")
    assert person.phone == PhoneNumber("028-80000006")
    assert isinstance(person.id_number, IdNumber)
    assert person.id_number.birth_date == date(1965, 1, 30)
    assert "赵磊" not in repr(person)
    assert "80000006" not in repr(person)


def test_the_sample_document_and_table_hold_the_same_units() -> None:
    """The two sample files describe one community."""
    from_json = list(load_document(SAMPLE).tree)
    from_csv = list(load_units_csv(EXAMPLES / "sample-district.csv"))
    assert from_json == from_csv


def test_a_document_may_hold_units_alone() -> None:
    """Organisations, people, appointments and scheme are optional."""
    district = document_from_data(MINIMAL)
    assert len(district.tree) == 2
    assert len(district.organisations) == 0
    assert len(district.roster) == 0
    assert district.scheme is None


def test_a_document_is_read_from_a_stream() -> None:
    """A text stream works as well as a path."""
    district = load_document(io.StringIO(json.dumps(MINIMAL)))
    assert district.tree.unit("g").kind is UnitKind.GENERAL_GRID


# --------------------------------------------------------------------------- refusals


def test_bad_entries_are_reported_with_their_paths() -> None:
    """Every entry's problem names its path in the document, all at once."""
    data = sample_data()
    data["units"][3]["kind"] = "grdi"
    data["units"][4]["households"] = "36"
    data["units"][5]["colour"] = "red"
    data["organisations"][0]["kind"] = "party_comittee"
    data["people"][1]["id_number"] = "510108198607050021"
    del data["appointments"][0]["start"]
    found = refused(data)
    kinds = ", ".join(k.value for k in UnitKind)
    assert found[0] == f"units[3].kind: unknown value 'grdi'; known: {kinds}"
    assert found[1:3] == [
        "units[4].households: expected a whole number, got str",
        "units[5]: unknown field(s): colour",
    ]
    assert found[3].startswith("organisations[0].kind: unknown value 'party_comittee'")
    assert found[4].startswith("people[1].id_number: the check digit (character 18) is wrong")
    assert found[5] == "appointments[0].start: missing"
    assert len(found) == 6


def test_an_entity_rule_is_reported_at_the_entity_path() -> None:
    """A unit's own validation (a lone coordinate) keeps the field's path."""
    data = copy.deepcopy(MINIMAL)
    data["units"][1]["longitude"] = 104.1
    assert refused(data) == [
        "units[1].latitude: longitude and latitude go together: both or neither"
    ]


def test_relations_are_checked_across_the_whole_document() -> None:
    """Tree, organisation, roster and reference problems come in one error."""
    data = sample_data()
    data["units"][2]["parent"] = "nowhere"
    data["organisations"][3]["parent"] = "jh-xx"
    data["organisations"][4]["unit"] = "jh-g9"
    data["appointments"][2]["person"] = "p-999"
    data["appointments"][3]["org"] = "jh-g9-pb"
    data["appointments"][4]["unit"] = "jh-g9"
    assert refused(data) == [
        "units[2].parent: unknown parent 'nowhere'",
        "organisations[3].parent: unknown parent 'jh-xx'",
        "appointments[2].person: unknown person 'p-999'",
        "organisations[4].unit: unknown unit 'jh-g9'",
        "appointments[3].org: unknown organisation 'jh-g9-pb'",
        "appointments[4].unit: unknown unit 'jh-g9'",
    ]


def test_a_persons_home_may_lie_outside_the_district() -> None:
    """An in-service member may live elsewhere: home is not a reference to resolve."""
    data = sample_data()
    data["people"][0]["home"] = "another-community-3-2-501"
    assert document_from_data(data).roster.person("p-001").home == "another-community-3-2-501"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], ["expected a JSON object with 'units', got list"]),
        ({}, ["units: missing"]),
        ({"units": [], "extra": 1}, ["unknown field(s): extra"]),
        ({"units": []}, ["units: no root: exactly one unit must have parent None"]),
    ],
)
def test_the_document_shape_is_checked(data: object, expected: list[str]) -> None:
    """Not an object, no units, unknown keys, an empty tree: each is named."""
    assert refused(data) == expected


def test_text_that_is_not_json_is_refused_with_its_position(tmp_path: Path) -> None:
    """A syntax error names the line and column, and the file."""
    path = tmp_path / "broken.json"
    path.write_text('{\n  "units": [\n    {"id": "c",}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(InvalidData) as info:
        load_document(path)
    (problem,) = info.value.problems
    assert problem.path == "line 3, column 16"
    assert problem.message.startswith("not JSON: ")
    assert info.value.source == str(path)


def test_a_document_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    """A GBK-encoded document is refused at the line of the first bad byte."""
    path = tmp_path / "gbk.json"
    path.write_bytes(
        json.dumps({"units": [{"id": "c", "name_zh": "社区"}]}, ensure_ascii=False).encode("gbk")
    )
    with pytest.raises(InvalidData, match="not UTF-8"):
        load_document(path)


# --------------------------------------------------------------------------- writing


def test_a_default_dump_masks_every_personal_value() -> None:
    """Without asking, names, phones and ID numbers leave only in masked form."""
    district = load_document(SAMPLE)
    text = json.dumps(dump_document(district), ensure_ascii=False)
    raw = json.dumps(sample_data()["people"], ensure_ascii=False)
    for person in sample_data()["people"]:
        assert person["name"] not in text
        assert person["phone"] not in text
        assert person["id_number"] not in text
    assert "欧阳**" in text
    assert "138****0001" in text
    assert "028-******06" in text
    assert "510***********" in text
    assert raw not in text


def test_a_masked_dump_cannot_be_loaded_again() -> None:
    """Reading a masked export back is refused at each masked field, never half loaded."""
    data = dump_document(load_document(SAMPLE))
    found = refused(data)
    assert len(found) == 3 * 7  # name, phone and ID number of each of the seven people
    assert found[0].startswith("people[0].name: is masked (it contains *)")
    assert "reveal_personal=True" in found[0]


def test_a_revealed_dump_loads_back_to_the_same_district() -> None:
    """With reveal_personal=True the dump is data again, and a second dump is identical."""
    district = load_document(SAMPLE)
    data = dump_document(district, reveal_personal=True)
    again = document_from_data(json.loads(json.dumps(data)))
    assert dump_document(again, reveal_personal=True) == data
    assert list(again.tree) == list(district.tree)
    assert list(again.roster) == list(district.roster)
    assert again.roster.people == district.roster.people


def test_a_dump_is_plain_json_with_sorted_key_sets() -> None:
    """Kinds are their values and powers a sorted list, so the dump needs no custom encoder."""
    data = dump_document(load_document(SAMPLE))
    committee = data["organisations"][0]
    assert committee["powers"] == ["appraisal", "deliberation", "dispatch"]
    assert type(committee["kind"]) is str
    assert type(data["units"][0]["kind"]) is str
    assert data["scheme"] == "chengdu_3plus1"
    json.dumps(data)


@st.composite
def districts(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a document: a tree with party organisations bound to its units and people."""
    size = draw(st.integers(1, 12))
    units = [
        {
            "id": f"u{i}",
            "kind": draw(st.sampled_from(UnitKind)).value,
            "name_zh": draw(st.text(max_size=6)),
            "parent": None if i == 0 else f"u{draw(st.integers(0, i - 1))}",
            "households": draw(st.none() | st.integers(0, 500)),
        }
        for i in range(size)
    ]
    organisations = [
        {
            "id": f"o{i}",
            "kind": draw(st.sampled_from(OrgKind)).value,
            "name_zh": "党组织",
            "unit": f"u{draw(st.integers(0, size - 1))}",
            "powers": draw(st.lists(st.sampled_from(["dispatch", "deliberation", "appraisal"]))),
            "start": "2024-01-01",
            "end": "2027-01-01",
        }
        for i in range(draw(st.integers(0, 4)))
    ]
    people = [
        {"id": f"p{i}", "name": draw(st.sampled_from(["张明", "欧阳小红", "Ann Lee"]))}
        for i in range(draw(st.integers(0, 3)))
    ]
    appointments = [
        {"person": person["id"], "role": "grid_worker", "unit": "u0", "start": "2025-01-01"}
        for person in people
    ]
    return {
        "units": units,
        "organisations": organisations,
        "people": people,
        "appointments": appointments,
    }


@settings(max_examples=60)
@given(districts())
def test_any_document_survives_a_revealed_round_trip(data: dict[str, Any]) -> None:
    """Load, dump with reveal_personal=True, load again: the same dump both times."""
    first = dump_document(document_from_data(data), reveal_personal=True)
    second = dump_document(document_from_data(first), reveal_personal=True)
    assert first == second
    assert [u["id"] for u in first["units"]] == [u["id"] for u in data["units"]]


# --------------------------------------------------------------------------- by suffix


def test_load_district_chooses_the_reader_by_suffix(tmp_path: Path) -> None:
    """.csv gives a tree alone; .json a whole district; the suffix's case does not matter."""
    from_csv = load_district(EXAMPLES / "sample-district.csv")
    assert isinstance(from_csv, District)
    assert len(from_csv.tree) == 40
    assert len(from_csv.organisations) == 0
    assert from_csv.scheme is None
    upper = tmp_path / "SAMPLE.CSV"
    upper.write_bytes((EXAMPLES / "sample-district.csv").read_bytes())
    assert len(load_district(upper).tree) == 40
    assert load_district(SAMPLE).scheme == "chengdu_3plus1"


def test_load_district_refuses_other_suffixes(tmp_path: Path) -> None:
    """A spreadsheet or a file without a suffix is refused, saying what is accepted."""
    for name in ("district.xlsx", "district"):
        with pytest.raises(InvalidData, match=r"use \.csv for a unit table or \.json"):
            load_district(tmp_path / name)


def test_the_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example in examples/districts/README.md runs and masks as it says."""
    monkeypatch.chdir(EXAMPLES.parents[1])
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["findings"] == ()
    assert namespace["data"]["people"][0]["phone"] == "138****0001"
    assert namespace["data"]["people"][0]["name"] == "张*"


def test_a_stream_that_cannot_decode_is_refused() -> None:
    """A stream opened with the wrong encoding is refused with advice, not a traceback."""
    raw = io.BytesIO(json.dumps({"units": [], "scheme": "社区"}, ensure_ascii=False).encode("gbk"))
    with pytest.raises(InvalidData, match="cannot be decoded"):
        load_document(io.TextIOWrapper(raw, encoding="utf-8"))
