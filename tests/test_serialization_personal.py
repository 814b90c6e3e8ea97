"""Personal data through the converter: masked by default, raw only when asked, never re-read.

Every ID number here is synthetic: area 510108, a birth date and a sequence, with the check
digit computed by :func:`~civicgrid.domain.personal.id_check_digit`.
"""

from __future__ import annotations

import copy
import json
import pickle
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid import load_registry
from civicgrid.domain.organisations import Organisation, OrgKind
from civicgrid.domain.people import Person
from civicgrid.domain.personal import (
    IdNumber,
    InvalidPersonalData,
    PersonName,
    PhoneNumber,
    id_check_digit,
)
from civicgrid.domain.units import Unit, UnitKind
from civicgrid.errors import InvalidData
from civicgrid.serialization import make_converter, structure

FIRST17 = "51010819780312001"
ID = FIRST17 + id_check_digit(FIRST17)
PERSON = Person(
    id="p-001",
    name=PersonName("欧阳小红"),
    phone=PhoneNumber("138 0000 5678"),
    id_number=IdNumber(ID),
    party_member=True,
)


def test_a_default_converter_writes_personal_data_masked() -> None:
    """Without asking, a person's name, phone and ID number leave masked."""
    data = make_converter().unstructure(PERSON)
    assert data["name"] == "欧阳**"
    assert data["phone"] == "138****5678"
    assert data["id_number"] == f"510{'*' * 11}{ID[-4:]}"
    assert data["party_member"] is True


def test_the_registry_converter_masks_too() -> None:
    """The converter plugins extend is the masking one."""
    registry = load_registry(builtins=False, entry_points=False)
    assert registry.converter.unstructure(PERSON)["phone"] == "138****5678"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (PhoneNumber("028-12345678"), "028-******78"),
        (PersonName("Ann Lee"), "A***"),
        (PersonName("张三"), "张*"),
    ],
)
def test_each_personal_type_writes_its_masked_form(
    value: PhoneNumber | PersonName, masked: str
) -> None:
    """Standing alone, each type writes exactly its ``masked`` property."""
    assert make_converter().unstructure(value) == masked == value.masked


def test_raw_values_are_written_only_when_asked_by_name() -> None:
    """``reveal_personal=True`` writes the normalised raw values, and they read back equal."""
    converter = make_converter(reveal_personal=True)
    data = converter.unstructure(PERSON)
    assert (data["name"], data["phone"], data["id_number"]) == ("欧阳小红", "13800005678", ID)
    assert structure(converter, data, Person, what="person") == PERSON


def test_personal_data_is_read_from_raw_text_through_parse() -> None:
    """Text is normalised as ``parse`` does: +86 and spaces go, a lower-case x is upper."""
    converter = make_converter()
    data = {"id": "p", "name": " 张三 ", "phone": "+86 138-0000-5678", "id_number": ID.lower()}
    person = structure(converter, data, Person, what="person")
    assert person.phone == PhoneNumber("13800005678")
    assert person.name.reveal() == "张三"


def test_a_masked_export_read_back_is_refused_at_each_field() -> None:
    """Masked values are not data: reading them names each field and says why."""
    data = make_converter().unstructure(PERSON)
    with pytest.raises(InvalidData) as refused:
        structure(make_converter(), data, Person, what="person")
    assert [p.path for p in refused.value.problems] == ["name", "phone", "id_number"]
    for problem in refused.value.problems:
        assert problem.message.startswith("is masked (it contains *), not a real value")
        assert "reveal_personal=True" in problem.message


@pytest.mark.parametrize(
    ("cls", "text", "field"),
    [
        (PhoneNumber, "138****5678", "phone"),
        (PhoneNumber, "028-******78", "phone"),
        (IdNumber, f"510{'*' * 11}1234", "id_number"),
        (PersonName, "张*", "name"),
    ],
)
def test_a_masked_value_alone_raises_invalid_personal_data(
    cls: type[PhoneNumber | IdNumber | PersonName], text: str, field: str
) -> None:
    """Straight from the converter, the error is InvalidPersonalData with reason ``masked``."""
    with pytest.raises(InvalidPersonalData) as refused:
        make_converter().structure(text, cls)
    assert (refused.value.field, refused.value.reason) == (field, "masked")
    assert "脱敏" in str(refused.value)


def test_an_invalid_raw_value_is_reported_without_the_value() -> None:
    """A wrong check digit is named at its path; the number itself never shows."""
    wrong = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    data = {"id": "p", "name": "张三", "id_number": wrong}
    with pytest.raises(InvalidData) as refused:
        structure(make_converter(), data, Person, what="person")
    (problem,) = refused.value.problems
    assert problem.path == "id_number"
    assert problem.message.startswith("the check digit (character 18) is wrong")
    assert wrong not in str(refused.value)


def test_a_number_given_as_a_number_is_refused() -> None:
    """JSON numbers lose leading zeros and an X: a phone must be text."""
    with pytest.raises(InvalidData, match="phone: must be text, got int"):
        structure(
            make_converter(),
            {"id": "p", "name": "张三", "phone": 13800005678},
            Person,
            what="person",
        )


# --------------------------------------------------------------------------- what bypasses it


def test_attrs_asdict_bypasses_the_converter_and_gives_raw_values() -> None:
    """Documented caveat: ``attrs.asdict`` walks the fields and carries the raw value."""
    raw: dict[str, Any] = attrs.asdict(PERSON)
    assert raw["phone"] == {"_value": "13800005678"}
    assert raw["id_number"] == {"_value": ID}
    assert "13800005678" not in json.dumps(make_converter().unstructure(PERSON))


@pytest.mark.parametrize(
    "value", [PersonName("欧阳小红"), PhoneNumber("13800005678"), IdNumber(ID)]
)
def test_personal_values_survive_pickle_and_copy(
    value: PersonName | PhoneNumber | IdNumber,
) -> None:
    """Pickling and copying keep the value (raw inside, so a pickle is no export either)."""
    assert pickle.loads(pickle.dumps(value)) == value  # noqa: S301
    assert copy.copy(value) == value
    assert copy.deepcopy(value) == value
    assert copy.deepcopy(PERSON) == PERSON
    assert value.reveal().encode() in pickle.dumps(value)


# --------------------------------------------------------------------------- round trips


MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
NAMES = st.text(st.sampled_from("张王李赵欧阳小红明华静"), min_size=1, max_size=6)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    """A synthetic ID number with a real birth date and a correct check digit."""
    born = draw(st.dates(min_value=date(1900, 1, 1)))
    first17 = f"510108{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + id_check_digit(first17)


@given(NAMES, MOBILES, id_numbers())
def test_any_person_round_trips_when_revealed_and_never_when_masked(
    name: str, phone: str, number: str
) -> None:
    """Revealed exports read back equal; masked exports of the same person are refused."""
    person = Person(
        id="p", name=PersonName(name), phone=PhoneNumber(phone), id_number=IdNumber(number)
    )
    revealed = make_converter(reveal_personal=True).unstructure(person)
    assert structure(make_converter(), revealed, Person, what="person") == person
    masked = make_converter().unstructure(person)
    with pytest.raises(InvalidData):
        structure(make_converter(), masked, Person, what="person")


def test_string_enums_are_read_by_value_and_unknown_ones_refused() -> None:
    """A UnitKind comes back as a UnitKind, not a plain string; a misspelt kind is named."""
    converter = make_converter()
    unit = converter.structure(
        {"id": "c1", "kind": "community", "name_zh": "社区", "parent": None}, Unit
    )
    assert unit.kind is UnitKind.COMMUNITY
    with pytest.raises(InvalidData) as refused:
        structure(
            converter,
            {"id": "c1", "kind": "comunity", "name_zh": "社区", "parent": None},
            Unit,
            what="unit",
        )
    assert refused.value.problems[0].path == "kind"
    assert "known: city" in refused.value.problems[0].message


def test_key_sets_are_written_as_sorted_lists() -> None:
    """An organisation's powers unstructure to a sorted list, so json.dumps can write them."""
    converter = make_converter()
    org = Organisation(
        id="b",
        kind=OrgKind.PARTY_BRANCH,
        name_zh="支部",
        unit="g",
        powers={"dispatch", "appraisal"},
    )
    data = converter.unstructure(org)
    assert data["powers"] == ["appraisal", "dispatch"]
    assert converter.structure(json.loads(json.dumps(data)), Organisation) == org
