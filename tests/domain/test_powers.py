"""Duty and power lists (O11): the named built-ins, a city's own entries as data, checks."""

from __future__ import annotations

import tomllib

import pytest

from civicgrid.domain.organisations import Organisation, Organisations, OrgKind
from civicgrid.domain.powers import (
    BUILTIN_CATALOGUE,
    Catalogue,
    ListEntry,
    ListKind,
    UnknownListEntry,
    check_all_lists,
    check_lists,
)
from civicgrid.errors import CivicGridError, InvalidData, Problem

CITY_LISTS = """
[[duties]]
key = "safety_inspection"
label_zh = "安全巡查"
label_en = "safety inspection"
source = "a city's notice"

[[powers]]
key = "recommendation"
label_zh = "推荐权"
label_en = "recommendation"
"""
"""A city's own additions, as it would keep them in a TOML file (invented for the test)."""


def branch(**extra: object) -> Organisation:
    """A compound party branch (小区党支部) with the given lists."""
    return Organisation(
        id="branch-1",
        kind=OrgKind.PARTY_BRANCH,
        name_zh="某小区党支部",
        unit="compound-1",
        **extra,  # type: ignore[arg-type]
    )


def test_the_builtin_lists_hold_exactly_the_entries_the_source_names() -> None:
    """3 of Chenghua's 8 duties and 3 of its 6 powers are named; only those ship."""
    duties = [(e.key, e.label_zh) for e in BUILTIN_CATALOGUE.duties]
    powers = [(e.key, e.label_zh) for e in BUILTIN_CATALOGUE.powers]
    assert duties == [
        ("political_leadership", "政治引领"),
        ("resource_coordination", "资源统筹"),
        ("contacting_residents", "联系群众"),
    ]
    assert powers == [("dispatch", "调度权"), ("deliberation", "议事权"), ("appraisal", "评议权")]
    assert len(duties) < 8
    assert len(powers) < 6
    assert all(e.source.startswith("O11") and e.label_en for e in BUILTIN_CATALOGUE)


def test_list_kinds_carry_their_chinese_and_english_labels() -> None:
    """The duty list is 职责清单, the empowerment list 赋权清单."""
    assert (ListKind.DUTY.label_zh, ListKind.DUTY.label_en) == ("职责清单", "duty list")
    assert (ListKind.POWER.label_zh, ListKind.POWER.label_en) == ("赋权清单", "empowerment list")
    assert (ListKind.DUTY.field, ListKind.POWER.field) == ("duties", "powers")


def test_a_city_extends_the_catalogue_from_toml_data() -> None:
    """A city's entries come as data and follow the built-ins; nothing built in changes."""
    city = Catalogue.from_data(tomllib.loads(CITY_LISTS), source="city.toml")
    catalogue = BUILTIN_CATALOGUE.extended(city)
    assert catalogue.power("recommendation").label_zh == "推荐权"
    assert catalogue.duty("safety_inspection").source == "a city's notice"
    assert [e.key for e in catalogue.powers] == [
        "dispatch",
        "deliberation",
        "appraisal",
        "recommendation",
    ]
    assert len(BUILTIN_CATALOGUE) == 6
    assert len(catalogue) == 8


def test_extending_with_a_key_already_there_is_refused() -> None:
    """A city cannot silently relabel a built-in power: the duplicate is named with its path."""
    relabelled = ListEntry(key="dispatch", kind=ListKind.POWER, label_zh="指挥权", label_en="x")
    with pytest.raises(InvalidData) as invalid:
        BUILTIN_CATALOGUE.extended([relabelled])
    assert invalid.value.problems == (
        Problem("entries[6].key", "duplicate power 'dispatch' (first at entries[3])"),
    )


def test_a_duty_and_a_power_may_share_a_key() -> None:
    """The two lists are separate, so the same key in each is two entries."""
    catalogue = Catalogue(
        [
            ListEntry(key="deliberation", kind=ListKind.DUTY, label_zh="组织议事", label_en="d"),
            ListEntry(key="deliberation", kind=ListKind.POWER, label_zh="议事权", label_en="p"),
        ]
    )
    assert catalogue.duty("deliberation").label_zh == "组织议事"
    assert catalogue.power("deliberation").label_zh == "议事权"


def test_bad_catalogue_data_lists_every_problem_with_its_path() -> None:
    """Unknown fields, wrong types and bad keys are all reported at once."""
    data = {
        "duties": [{"key": "Bad Key", "label_zh": "", "label_en": "x"}],
        "powers": [{"key": "ok", "label_zh": "好", "label_en": "ok", "colour": "red"}, "nope"],
        "rights": [],
    }
    with pytest.raises(InvalidData) as invalid:
        Catalogue.from_data(data, source="city.toml")
    paths = [p.path for p in invalid.value.problems]
    assert paths == [
        "rights",
        "duties[0].key",
        "duties[0].label_zh",
        "powers[0].colour",
        "powers[1]",
    ]
    assert invalid.value.source == "city.toml"


def test_a_list_that_is_not_a_list_is_refused() -> None:
    """``powers = "dispatch"`` is a mistake, not one power."""
    with pytest.raises(InvalidData) as invalid:
        Catalogue.from_data({"powers": "dispatch"})
    assert [p.path for p in invalid.value.problems] == ["powers"]


def test_a_label_that_is_not_a_string_is_refused() -> None:
    """Every field of an entry is text."""
    with pytest.raises(InvalidData) as invalid:
        Catalogue.from_data({"powers": [{"key": "a", "label_zh": 1, "label_en": "a"}]})
    assert invalid.value.problems == (Problem("powers[0].label_zh", "must be a string"),)


def test_an_entry_checks_its_own_fields() -> None:
    """A ListEntry built in Python is validated too, every field at once."""
    with pytest.raises(InvalidData) as invalid:
        ListEntry(key="", kind="power", label_zh=" ", label_en="")  # type: ignore[arg-type]
    assert [p.path for p in invalid.value.problems] == ["key", "kind", "label_zh", "label_en"]


def test_a_catalogue_refuses_what_is_not_an_entry() -> None:
    """Only ListEntry records make a catalogue."""
    with pytest.raises(InvalidData) as invalid:
        Catalogue(["dispatch"])  # type: ignore[list-item]
    assert [p.path for p in invalid.value.problems] == ["entries[0]"]


def test_an_unknown_entry_names_the_keys_that_exist() -> None:
    """Looking up a power the catalogue lacks raises a LookupError listing the known ones."""
    with pytest.raises(UnknownListEntry) as unknown:
        BUILTIN_CATALOGUE.power("veto")
    assert isinstance(unknown.value, LookupError)
    assert isinstance(unknown.value, CivicGridError)
    assert (unknown.value.kind, unknown.value.key) == (ListKind.POWER, "veto")
    assert unknown.value.known == ("appraisal", "deliberation", "dispatch")
    assert "赋权清单中没有 'veto'" in str(unknown.value)


def test_an_organisation_with_known_keys_has_no_problems() -> None:
    """A branch holding the named powers and duties passes the check."""
    org = branch(powers={"dispatch", "appraisal"}, duties={"political_leadership"})
    assert check_lists(org) == ()


def test_unknown_keys_are_reported_without_changing_the_organisation() -> None:
    """Each unknown power and duty is a problem naming its field; the organisation stays."""
    org = branch(powers={"dispatch", "veto", "approve"}, duties={"building_repair"})
    problems = check_lists(org)
    assert [(p.path, p.message.split(" is ")[0]) for p in problems] == [
        ("powers", "'approve'"),
        ("powers", "'veto'"),
        ("duties", "'building_repair'"),
    ]
    assert "empowerment list (赋权清单)" in problems[0].message
    assert org.powers == frozenset({"dispatch", "veto", "approve"})


def test_a_city_catalogue_accepts_the_city_keys() -> None:
    """Keys the city added are known once the catalogue is extended with them."""
    catalogue = BUILTIN_CATALOGUE.extended(Catalogue.from_data(tomllib.loads(CITY_LISTS)))
    org = branch(powers={"recommendation"}, duties={"safety_inspection"})
    assert check_lists(org) != ()
    assert check_lists(org, catalogue) == ()


def test_checking_all_organisations_names_each_one() -> None:
    """Problems across a district carry the organisation's id in their path."""
    organisations = Organisations(
        [
            branch(powers={"dispatch"}),
            Organisation(
                id="oc-1",
                kind=OrgKind.OWNERS_COMMITTEE,
                name_zh="业委会",
                unit="compound-1",
                powers={"veto"},
            ),
        ]
    )
    assert [p.path for p in check_all_lists(organisations)] == ["organisations['oc-1'].powers"]
