"""Four links (O8) and strong-helps-weak pairings (O9): records, coverage and clashes."""

from __future__ import annotations

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import Appointment, InvalidData, Severity
from civicgrid.domain.links import (
    Link,
    LinkKind,
    LinkTarget,
    Pairing,
    cadres_exchanged,
    check_four_links,
    check_link_coverage,
    check_pairings,
)
from civicgrid.serialization import make_converter

DAY = date(2026, 11, 23)
START = date(2024, 3, 1)
SUBDISTRICTS = [f"sd{i}" for i in range(11)]
"""Chenghua's 11 subdistricts (G2)."""


def sent(person: str, to: str, start: date = START) -> Appointment:
    """A cadre sent off their post to community ``to`` for the two years of the pairing."""
    return Appointment.for_term(
        person=person, role="community_worker", unit=to, start=start, term=relativedelta(years=2)
    )


def chenghua_pairings() -> list[Pairing]:
    """Chenghua's 38 communities paired one to one, 72 cadres exchanged (O9, seed 003).

    Fifteen pairs exchange four cadres (two each way), four pairs three (two to the weak).
    """
    pairings = []
    for i in range(19):
        strong, weak = f"c{2 * i}", f"c{2 * i + 1}"
        cadres = [sent(f"p{i}a", weak), sent(f"p{i}b", weak), sent(f"p{i}c", strong)]
        if i < 15:
            cadres.append(sent(f"p{i}d", strong))
        pairings.append(
            Pairing.for_term(
                id=f"pair{i}",
                strong=strong,
                weak=weak,
                start=START,
                term=relativedelta(years=2),
                cadres=cadres,
            )
        )
    return pairings


def test_each_link_kind_names_its_labels_and_target() -> None:
    """The four links of Huichuan carry Chinese and English names and what they reach."""
    assert all(k.label_zh and k.label_en for k in LinkKind)
    assert LinkKind.MEMBER_WITHOUT_POST.label_zh == "无职党员联系群众"
    assert LinkKind.SUBDISTRICT_CADRE.target is LinkTarget.ORGANISATION
    assert LinkKind.COMMITTEE_MEMBER.target.label_zh == "人员"


def test_a_bad_link_lists_every_problem() -> None:
    """A kind outside the four, an empty target and a backward term are all named."""
    with pytest.raises(InvalidData) as refused:
        Link(kind="five", person="p", to="", start=DAY, end=DAY)  # type: ignore[arg-type]
    assert {p.path for p in refused.value.problems} == {"kind", "to", "end"}


def test_a_committee_member_cannot_link_with_themself() -> None:
    """A representative link from a person to the same person is refused."""
    with pytest.raises(InvalidData, match="themself"):
        Link(kind=LinkKind.COMMITTEE_MEMBER, person="p1", to="p1", start=DAY)


def test_subdistricts_without_a_district_leader_are_found() -> None:
    """Ten of Chenghua's eleven subdistricts are linked; the last one and a lapsed one are not."""
    links = [
        Link.for_term(
            kind=LinkKind.DISTRICT_LEADER,
            person=f"leader{i}",
            to=sd,
            start=date(2024, 1, 1),
            term=relativedelta(years=3),
        )
        for i, sd in enumerate(SUBDISTRICTS[:10])
    ]
    findings = check_link_coverage(
        links, kind=LinkKind.DISTRICT_LEADER, targets=SUBDISTRICTS, on=DAY
    )
    assert [(f.unit, f.subject) for f in findings] == [("sd10", "sd10")]
    assert findings[0].rule == "four_links.uncovered"
    assert findings[0].severity is Severity.WARNING
    assert "区领导班子成员联系街道党工委" in findings[0].message_zh
    later = check_link_coverage(
        links, kind=LinkKind.DISTRICT_LEADER, targets=SUBDISTRICTS, on=date(2027, 1, 1)
    )
    assert len(later) == 11


def test_the_four_links_are_checked_together() -> None:
    """Each kind is held to its own targets; a link of another kind does not cover."""
    links = [
        Link(kind=LinkKind.SUBDISTRICT_CADRE, person="cadre", to="c1-party", start=START),
        Link(kind=LinkKind.MEMBER_WITHOUT_POST, person="m", to="c1-party", start=START),
        Link(kind=LinkKind.MEMBER_WITHOUT_POST, person="m", to="h1", start=START),
    ]
    findings = check_four_links(
        links,
        on=DAY,
        targets={
            LinkKind.SUBDISTRICT_CADRE: ["c1-party", "c2-party", "c2-party"],
            LinkKind.MEMBER_WITHOUT_POST: ["h1", "h2"],
        },
    )
    assert [(f.subject, f.unit) for f in findings] == [("c2-party", None), ("h2", "h2")]


def test_chenghuas_38_communities_pair_cleanly_with_72_cadres() -> None:
    """Nineteen one-to-one pairs: no clash, every weak one helped while they last, 72 cadres."""
    pairings = chenghua_pairings()
    weak = [p.weak for p in pairings]
    assert len({c for p in pairings for c in p.communities}) == 38
    assert check_pairings(pairings, on=date(2025, 6, 1), weak=weak) == ()
    expired = check_pairings(pairings, on=DAY, weak=weak)
    assert {f.rule for f in expired} == {"pairing.weak_uncovered"}
    assert len(expired) == 19
    assert cadres_exchanged(pairings) == 72
    assert cadres_exchanged(pairings, on=DAY) == 0
    assert cadres_exchanged(pairings, on=date(2025, 1, 1)) == 72
    assert len(pairings[0].sent_to("c1")) == 2


def test_a_community_cannot_be_paired_with_itself() -> None:
    """The weak side must differ from the strong side."""
    with pytest.raises(InvalidData) as refused:
        Pairing(id="x", strong="c1", weak="c1", start=START)
    assert [p.path for p in refused.value.problems] == ["weak"]


def test_cadres_must_go_to_one_of_the_pair_within_its_term() -> None:
    """A cadre sent elsewhere, too early, or beyond the pairing's end is named by index."""
    with pytest.raises(InvalidData) as refused:
        Pairing(
            id="x",
            strong="c1",
            weak="c2",
            start=START,
            end=date(2025, 3, 1),
            cadres=(
                sent("a", "c9"),
                Appointment(person="b", role="r", unit="c2", start=date(2024, 1, 1)),
            ),
        )
    assert {p.path for p in refused.value.problems} == {
        "cadres[0].unit",
        "cadres[0].end",
        "cadres[1].start",
        "cadres[1].end",
    }


def test_a_community_paired_twice_at_once_is_an_error() -> None:
    """A second pairing for c1 overlapping the first is reported; a later one is not."""
    pairings = [
        *chenghua_pairings(),
        Pairing(id="extra", strong="c0", weak="c99", start=date(2025, 1, 1)),
        Pairing(id="after", strong="c1", weak="c98", start=date(2026, 3, 1)),
    ]
    findings = check_pairings(pairings, on=DAY)
    assert [(f.rule, f.unit, f.subject) for f in findings] == [("pairing.twice", "c0", "extra")]
    assert findings[0].severity is Severity.ERROR


def test_a_cadre_sent_to_two_places_at_once_is_an_error() -> None:
    """The same person in two pairings' exchanges with overlapping terms is reported."""
    pairings = chenghua_pairings()
    pairings.append(
        Pairing(id="other", strong="c50", weak="c51", start=START, cadres=(sent("p0a", "c51"),))
    )
    findings = check_pairings(pairings, on=DAY)
    assert [(f.rule, f.subject, f.unit) for f in findings] == [
        ("pairing.cadre_twice", "p0a", "c51")
    ]


def test_weak_communities_without_a_partner_are_found() -> None:
    """A weak community left out, or paired as the strong side, is a warning."""
    pairings = [Pairing(id="p", strong="w2", weak="c1", start=START)]
    findings = check_pairings(pairings, on=DAY, weak=["c1", "w1", "w2", "w1"])
    assert [(f.rule, f.unit) for f in findings] == [
        ("pairing.weak_uncovered", "w1"),
        ("pairing.weak_as_strong", "w2"),
    ]


def test_duplicate_pairing_ids_are_refused() -> None:
    """Two pairings with one id cannot be told apart in findings."""
    pairing = Pairing(id="p", strong="a", weak="b", start=START)
    with pytest.raises(InvalidData) as refused:
        check_pairings([pairing, pairing], on=DAY)
    assert [p.path for p in refused.value.problems] == ["pairings[1].id"]


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 30), st.data())
def test_one_to_one_pairings_never_clash_and_a_reused_community_always_does(
    pairs: int, data: st.DataObject
) -> None:
    """Disjoint pairs are clean; reusing any community over the same term is reported."""
    pairings = [
        Pairing(id=f"p{i}", strong=f"c{2 * i}", weak=f"c{2 * i + 1}", start=START)
        for i in range(pairs)
    ]
    assert check_pairings(pairings, on=DAY) == ()
    reused = f"c{data.draw(st.integers(0, 2 * pairs - 1))}"
    pairings.append(Pairing(id="again", strong="new", weak=reused, start=DAY))
    assert [f.unit for f in check_pairings(pairings, on=DAY)] == [reused]


def test_links_and_pairings_round_trip_through_the_converter() -> None:
    """Both records survive unstructure and structure."""
    converter = make_converter()
    link = Link(kind=LinkKind.COMMITTEE_MEMBER, person="a", to="b", start=START, id="L1")
    pairing = chenghua_pairings()[0]
    assert converter.structure(converter.unstructure(link), Link) == link
    assert converter.structure(converter.unstructure(pairing), Pairing) == pairing
