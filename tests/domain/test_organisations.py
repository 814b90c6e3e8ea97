"""Organisations: kinds with labels, terms, validation, and the lookups checks rely on."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from civicgrid import (
    CivicGridError,
    InvalidData,
    Organisation,
    Organisations,
    OrgKind,
    UnknownOrganisation,
)


def org(
    org_id: str, kind: OrgKind, unit: str, parent: str | None = None, **kw: Any
) -> Organisation:
    """An organisation with a Chinese name made from its id."""
    return Organisation(
        id=org_id, kind=kind, name_zh=f"组织{org_id}", unit=unit, parent=parent, **kw
    )


def yuanding_chain() -> Organisations:
    """Wuhu Yuanding's four-level chain (O1): committee, general branch, branch, household."""
    return Organisations(
        [
            org("c", OrgKind.PARTY_COMMITTEE, "community"),
            org("gb", OrgKind.PARTY_GENERAL_BRANCH, "compound", "c"),
            org("b", OrgKind.PARTY_BRANCH, "micro-grid", "gb"),
            org("h", OrgKind.PARTY_MEMBER_HOUSEHOLD, "household", "b"),
            org("rc", OrgKind.RESIDENTS_COMMITTEE, "community"),
            org("oc", OrgKind.OWNERS_COMMITTEE, "compound", start=date(2024, 1, 1)),
        ]
    )


def test_every_kind_has_both_labels_and_the_party_kinds_are_marked() -> None:
    """Each O12 kind carries a Chinese and an English name; party kinds say so."""
    assert all(k.label_zh and k.label_en for k in OrgKind)
    assert OrgKind.PARTY_BRANCH.label_zh == "党支部"
    assert OrgKind.OWNERS_COMMITTEE.label_zh == "业主委员会"
    assert OrgKind.TEMPORARY_PARTY_BRANCH.is_party
    assert not OrgKind.PROPERTY_COMPANY.is_party


def test_a_temporary_party_branch_must_end() -> None:
    """A project-based temporary branch (临时党支部) without an end date is refused."""
    with pytest.raises(InvalidData) as refused:
        org("t", OrgKind.TEMPORARY_PARTY_BRANCH, "area")
    assert [p.path for p in refused.value.problems] == ["end"]
    branch = org(
        "t", OrgKind.TEMPORARY_PARTY_BRANCH, "area", start=date(2026, 3, 1), end=date(2027, 3, 1)
    )
    assert branch.active_on(date(2026, 3, 1))
    assert not branch.active_on(date(2027, 3, 1))


def test_every_problem_with_an_organisation_is_reported_at_once() -> None:
    """Bad id, unit, powers and a term ending before it starts are all listed."""
    with pytest.raises(InvalidData) as refused:
        Organisation(
            id="",
            kind=OrgKind.PARTY_BRANCH,
            name_zh="支部",
            unit="",
            powers=["dispatch", ""],
            start=date(2026, 1, 2),
            end=date(2026, 1, 1),
        )
    assert {p.path for p in refused.value.problems} == {"id", "unit", "powers", "end"}


def test_a_chain_answers_parent_children_and_serving() -> None:
    """The lookups walk the chain and filter by unit, kind and date."""
    chain = yuanding_chain()
    assert len(chain) == 6
    assert chain.parent("b") == chain.get("gb")
    assert chain.parent("c") is None
    assert [o.id for o in chain.children("gb")] == ["b"]
    assert [o.id for o in chain.serving("community")] == ["c", "rc"]
    assert [o.id for o in chain.serving("community", kinds=[OrgKind.PARTY_COMMITTEE])] == ["c"]
    assert chain.serving("compound", on=date(2023, 6, 1)) == (chain.get("gb"),)
    assert [o.id for o in chain.of_kind(OrgKind.OWNERS_COMMITTEE, on=date(2025, 1, 1))] == ["oc"]
    assert "micro-grid" in chain.units_served()


def test_unknown_parents_duplicates_and_cycles_are_all_reported() -> None:
    """Loading reports every problem with its position and loads nothing."""
    with pytest.raises(InvalidData) as refused:
        Organisations(
            [
                org("a", OrgKind.PARTY_BRANCH, "u", "nope"),
                org("a", OrgKind.PARTY_BRANCH, "u"),
            ]
        )
    assert [p.path for p in refused.value.problems] == [
        "organisations[1].id",
        "organisations[0].parent",
    ]
    with pytest.raises(InvalidData, match="cycle"):
        Organisations(
            [org("a", OrgKind.PARTY_BRANCH, "u", "b"), org("b", OrgKind.PARTY_BRANCH, "u", "a")]
        )


def test_an_unknown_organisation_is_a_lookup_error_naming_it() -> None:
    """get() raises UnknownOrganisation, a LookupError and a CivicGridError."""
    with pytest.raises(UnknownOrganisation) as unknown:
        yuanding_chain().get("x")
    assert isinstance(unknown.value, LookupError)
    assert isinstance(unknown.value, CivicGridError)
    assert unknown.value.org_id == "x"


def test_organisations_per_unit_count_active_ones_of_the_kinds_asked() -> None:
    """count_by_unit feeds the organisations roll-up; dates and kinds filter it."""
    chain = yuanding_chain()
    assert chain.count_by_unit() == {"community": 2, "compound": 2, "micro-grid": 1, "household": 1}
    assert chain.count_by_unit(on=date(2023, 1, 1), kinds=[OrgKind.OWNERS_COMMITTEE]) == {}
    assert chain.count_by_unit(kinds=[OrgKind.PARTY_COMMITTEE]) == {"community": 1}
