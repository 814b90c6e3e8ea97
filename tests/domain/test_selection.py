"""The three priorities (O10): ranking candidates for grid worker and household leader."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.domain.people import Person
from civicgrid.domain.personal import PersonName
from civicgrid.domain.selection import (
    THREE_PRIORITIES,
    Priority,
    RankedCandidate,
    rank_candidates,
)
from civicgrid.errors import InvalidData


def person(
    pid: str, *, member: bool = False, veteran: bool = False, volunteer: bool = False
) -> Person:
    """A candidate with the given facts."""
    return Person(
        id=pid,
        name=PersonName("王小明"),
        party_member=member,
        veteran=veteran,
        outstanding_volunteer=volunteer,
    )


def ids(ranking: tuple[RankedCandidate, ...]) -> list[str]:
    """The person ids of a ranking, in order."""
    return [entry.person.id for entry in ranking]


def test_the_three_priorities_carry_the_source_labels() -> None:
    """党员优先、退役军人优先、优秀志愿者优先, in the source's order."""
    assert [p.label_zh for p in THREE_PRIORITIES] == ["党员优先", "退役军人优先", "优秀志愿者优先"]
    assert [p.label_en for p in THREE_PRIORITIES] == [
        "party members first",
        "veterans first",
        "outstanding volunteers first",
    ]


def test_candidates_meeting_more_priorities_come_first() -> None:
    """By default each priority met counts once."""
    ranking = rank_candidates(
        [
            person("none"),
            person("member", member=True),
            person("veteran-volunteer", veteran=True, volunteer=True),
            person("all", member=True, veteran=True, volunteer=True),
        ]
    )
    assert ids(ranking) == ["all", "veteran-volunteer", "member", "none"]
    assert [e.rank for e in ranking] == [1, 2, 3, 4]
    assert [e.score for e in ranking] == [3, 2, 1, 0]


def test_each_entry_explains_itself_in_chinese_and_english() -> None:
    """An entry names the priorities it met, or says it met none."""
    first, second = rank_candidates([person("a"), person("b", member=True, volunteer=True)])
    assert first.met == (Priority.PARTY_MEMBER, Priority.OUTSTANDING_VOLUNTEER)
    assert first.explanation_zh == "第1名：符合党员优先、优秀志愿者优先"
    assert first.explanation_en == "#1: meets party members first, outstanding volunteers first"
    assert second.explanation_zh == "第2名：不符合“三优先”条件"
    assert second.explanation_en == "#2: meets none of the three priorities"
    assert second.position == 0


def test_ties_keep_the_input_order() -> None:
    """Equal candidates stay in the order given."""
    ranking = rank_candidates([person("c", veteran=True), person("a", member=True), person("b")])
    assert ids(ranking) == ["c", "a", "b"]


def test_in_order_weighs_party_members_before_everything_else() -> None:
    """With ``in_order``, one party member outranks a veteran who is also a volunteer."""
    people = [
        person("veteran-volunteer", veteran=True, volunteer=True),
        person("member", member=True),
    ]
    assert ids(rank_candidates(people)) == ["veteran-volunteer", "member"]
    assert ids(rank_candidates(people, in_order=True)) == ["member", "veteran-volunteer"]


def test_a_city_chooses_the_priorities_and_their_order() -> None:
    """Priorities given in another order are weighed, and explained, in that order."""
    people = [person("member", member=True), person("volunteer", volunteer=True)]
    ranking = rank_candidates(
        people, priorities=[Priority.OUTSTANDING_VOLUNTEER, Priority.PARTY_MEMBER], in_order=True
    )
    assert ids(ranking) == ["volunteer", "member"]
    only_veterans = rank_candidates(people, priorities=[Priority.VETERAN])
    assert [e.met for e in only_veterans] == [(), ()]


def test_the_city_extra_key_breaks_ties_and_is_recorded() -> None:
    """Among equals the extra key orders candidates, lowest first, and each entry keeps it."""
    years_in_building = {"a": 2, "b": 9, "c": 5, "d": 30}
    people = [
        person("a", member=True),
        person("b", member=True),
        person("c", member=True),
        person("d"),
    ]
    ranking = rank_candidates(people, extra_key=lambda p: -years_in_building[p.id])
    assert ids(ranking) == ["b", "c", "a", "d"]
    assert [e.extra for e in ranking] == [-9, -5, -2, -30]


def test_the_extra_key_never_overrides_the_priorities() -> None:
    """A candidate meeting no priority stays last whatever the extra key says."""
    ranking = rank_candidates(
        [person("none"), person("member", member=True)],
        extra_key=lambda p: 0 if p.id == "none" else 1,
    )
    assert ids(ranking) == ["member", "none"]


def test_no_candidates_give_an_empty_ranking() -> None:
    """Nobody to rank is not an error."""
    assert rank_candidates([]) == ()


def test_bad_input_lists_every_problem_with_its_path() -> None:
    """A non-person, a person twice and a bad or repeated priority are all reported."""
    with pytest.raises(InvalidData) as invalid:
        rank_candidates(
            [person("a"), "b", person("a")],  # type: ignore[list-item]
            priorities=[Priority.VETERAN, "party", Priority.VETERAN],  # type: ignore[list-item]
        )
    assert [p.path for p in invalid.value.problems] == [
        "people[1]",
        "people[2]",
        "priorities[1]",
        "priorities[2]",
    ]
    assert "listed twice (first at people[0])" in invalid.value.problems[1].message


facts = st.tuples(st.booleans(), st.booleans(), st.booleans())


@given(st.lists(facts, max_size=30), st.booleans())
def test_a_ranking_is_a_stable_permutation_ordered_by_the_priorities(
    rows: list[tuple[bool, bool, bool]], in_order: bool
) -> None:
    """Every candidate appears once; weights never rise; equals keep the input order."""
    people = [person(f"p{i}", member=m, veteran=v, volunteer=o) for i, (m, v, o) in enumerate(rows)]
    ranking = rank_candidates(people, in_order=in_order)
    assert sorted(e.position for e in ranking) == list(range(len(people)))
    assert [e.rank for e in ranking] == list(range(1, len(people) + 1))

    def weight(entry: RankedCandidate) -> tuple[int, ...]:
        if in_order:
            return tuple(int(p not in entry.met) for p in THREE_PRIORITIES)
        return (-entry.score,)

    for before, after in pairwise(ranking):
        assert weight(before) <= weight(after)
        if weight(before) == weight(after):
            assert before.position < after.position
    for entry in ranking:
        assert entry.met == tuple(p for p in THREE_PRIORITIES if p.met_by(entry.person))
