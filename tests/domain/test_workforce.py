"""Community workers (O13): the post-and-grade ladder, certification and promotion."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import CivicGridError, InvalidData
from civicgrid.domain.workforce import (
    THREE_POSTS_EIGHTEEN_GRADES,
    Certification,
    CertificationLevel,
    CommunityWorker,
    GradeLadder,
    Post,
    Promotion,
    UnknownPost,
    Workforce,
    WorkforceRefused,
)
from civicgrid.serialization import make_converter

DAY = date(2026, 11, 23)


def worker(person: str, post: str = "staff", grade: int = 3, **kw: object) -> CommunityWorker:
    """A community worker in community c1 since 2020."""
    fields: dict[str, object] = {"community": "c1", "start": date(2020, 1, 1)}
    fields.update(kw)
    return CommunityWorker(person=person, post=post, grade=grade, **fields)  # type: ignore[arg-type]


def certificate(person: str, obtained_on: date = date(2022, 6, 1)) -> Certification:
    """An assistant social worker's qualification."""
    return Certification(person=person, level=CertificationLevel.ASSISTANT, obtained_on=obtained_on)


def test_the_default_ladder_has_three_posts_on_eighteen_grades() -> None:
    """正职 7–18, 副职 4–15, 其他 1–12, listed from the top post down."""
    ladder = THREE_POSTS_EIGHTEEN_GRADES
    assert ladder.label_zh == "三岗十八级"
    assert ladder.grades == 18
    assert [(p.label_zh, p.lowest, p.highest) for p in ladder.posts] == [
        ("社区正职", 7, 18),
        ("社区副职", 4, 15),
        ("其他社区工作者", 1, 12),
    ]
    assert ladder.rank("head") < ladder.rank("staff")
    assert ladder.allows("deputy", 15)
    assert not ladder.allows("deputy", 16)
    assert not ladder.allows("deputy", "4")
    assert all(level.label_zh and level.label_en for level in CertificationLevel)


def test_a_ladder_lists_every_problem() -> None:
    """A band above the top grade, a duplicate key and an upside-down band are all named."""
    with pytest.raises(InvalidData) as upside_down:
        Post(key="x", label_zh="岗", label_en="post", lowest=5, highest=2)
    assert [p.path for p in upside_down.value.problems] == ["highest"]
    with pytest.raises(InvalidData) as refused:
        GradeLadder(
            key="k",
            label_zh="两岗十级",
            label_en="two posts, ten grades",
            grades=10,
            posts=(
                Post(key="a", label_zh="甲", label_en="a", lowest=1, highest=12),
                Post(key="a", label_zh="乙", label_en="b", lowest=1, highest=5),
            ),
        )
    assert {p.path for p in refused.value.problems} == {"posts[0].highest", "posts[1].key"}
    with pytest.raises(InvalidData, match="posts"):
        GradeLadder(key="k", label_zh="空", label_en="empty", grades=3, posts=())


def test_an_unknown_post_is_a_civicgrid_lookup_error() -> None:
    """Asking the ladder for a post it lacks names the post and the ones it has."""
    with pytest.raises(UnknownPost) as refused:
        THREE_POSTS_EIGHTEEN_GRADES.post("chief")
    assert isinstance(refused.value, CivicGridError)
    assert isinstance(refused.value, LookupError)
    assert "head, deputy, staff" in str(refused.value)


def test_a_place_off_the_ladder_is_refused_and_nothing_changes() -> None:
    """Grade 13 is above the band of other community workers; an unknown post is refused too."""
    workforce = Workforce()
    for bad in (worker("a", grade=13), worker("a", post="chief")):
        with pytest.raises(WorkforceRefused) as refused:
            workforce.hire(bad)
        assert refused.value.record is bad
    assert workforce.workers_on(DAY) == ()


def test_a_worker_cannot_be_employed_twice_at_once() -> None:
    """An overlapping second employment is refused; a later one is accepted."""
    workforce = Workforce(workers=[worker("a", end=date(2025, 1, 1))])
    with pytest.raises(WorkforceRefused, match="already employed"):
        workforce.hire(worker("a", community="c2", start=date(2024, 6, 1)))
    workforce.hire(worker("a", community="c2", start=date(2025, 1, 1)))
    placement = workforce.placement("a", DAY)
    assert placement is not None
    assert placement.community == "c2"


def test_bad_worker_fields_are_listed() -> None:
    """An empty community, grade zero and a backward term are all reported."""
    with pytest.raises(InvalidData) as refused:
        worker("a", community="", grade=0, end=date(2019, 1, 1))
    assert {p.path for p in refused.value.problems} == {"community", "grade", "end"}


def test_only_workers_can_be_certified() -> None:
    """A certificate for someone who is not a community worker here is refused."""
    workforce = Workforce(workers=[worker("a")])
    with pytest.raises(WorkforceRefused, match="not a community worker"):
        workforce.certify(certificate("stranger"))
    assert not workforce.certified("stranger", DAY)


def test_chenghuas_certification_rate_is_53_3_percent() -> None:
    """533 of 1,000 workers certified is Chenghua's 53.3% (seed 003)."""
    people = [f"w{i}" for i in range(1000)]
    workforce = Workforce(
        workers=[worker(p) for p in people],
        certifications=[certificate(p) for p in people[:533]],
    )
    rate = workforce.certification_rate(DAY)
    assert rate is not None
    assert round(rate * 100, 1) == 53.3
    assert workforce.certification_rate(date(2022, 5, 31)) == 0
    assert workforce.certification_rate(DAY, community="c2") is None


def test_promotions_move_a_worker_up_the_ladder() -> None:
    """Staff grade 3 → 4 in 2023, then to deputy grade 6 in 2025; placements follow."""
    workforce = Workforce(workers=[worker("a")])
    workforce.promote(Promotion(person="a", on=date(2023, 1, 1), post="staff", grade=4))
    placement = workforce.promote(
        Promotion(person="a", on=date(2025, 1, 1), post="deputy", grade=6)
    )
    assert (placement.post, placement.grade, placement.since) == ("deputy", 6, date(2025, 1, 1))
    before = workforce.placement("a", date(2024, 12, 31))
    assert before is not None
    assert (before.post, before.grade) == ("staff", 4)
    assert workforce.by_post(DAY) == {"head": 0, "deputy": 1, "staff": 0}
    assert [p.grade for p in workforce.promotions_in(date(2023, 1, 1), date(2026, 1, 1))] == [4, 6]
    assert workforce.promotions_in(date(2024, 1, 1), date(2026, 1, 1), community="c2") == ()


@pytest.mark.parametrize(
    ("promotion", "reason"),
    [
        (Promotion(person="a", on=date(2023, 1, 1), post="staff", grade=3), "not above"),
        (Promotion(person="a", on=date(2023, 1, 1), post="staff", grade=2), "not above"),
        (Promotion(person="a", on=date(2019, 1, 1), post="staff", grade=5), "not employed"),
        (Promotion(person="a", on=date(2023, 1, 1), post="deputy", grade=2), "not on the ladder"),
        (Promotion(person="b", on=date(2023, 1, 1), post="staff", grade=5), "not employed"),
    ],
)
def test_a_promotion_that_does_not_go_up_is_refused(promotion: Promotion, reason: str) -> None:
    """Same grade, a lower grade, before employment, off the ladder, or a stranger."""
    workforce = Workforce(workers=[worker("a")])
    with pytest.raises(WorkforceRefused, match=reason):
        workforce.promote(promotion)
    assert workforce.promotions_in(date(2000, 1, 1), date(2100, 1, 1)) == ()


def test_promotions_are_added_in_date_order() -> None:
    """A promotion dated before the last one recorded is refused."""
    workforce = Workforce(
        workers=[worker("a")],
        promotions=[Promotion(person="a", on=date(2024, 1, 1), post="staff", grade=5)],
    )
    with pytest.raises(WorkforceRefused, match="date order"):
        workforce.promote(Promotion(person="a", on=date(2023, 1, 1), post="staff", grade=6))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                (p.key, g)
                for p in THREE_POSTS_EIGHTEEN_GRADES.posts
                for g in range(p.lowest, p.highest + 1)
            ]
        ),
        max_size=60,
    )
)
def test_workers_per_grade_add_up_to_the_workforce(places: list[tuple[str, int]]) -> None:
    """Counts per grade and per post both sum to the number of workers in service."""
    workforce = Workforce(
        workers=[worker(f"w{i}", post, grade) for i, (post, grade) in enumerate(places)]
    )
    by_grade = workforce.by_grade(DAY)
    assert list(by_grade) == list(range(1, 19))
    assert sum(by_grade.values()) == sum(workforce.by_post(DAY).values()) == len(places)


def test_worker_records_round_trip_through_the_converter() -> None:
    """Workers, certifications and promotions survive unstructure and structure."""
    converter = make_converter()
    items = (
        worker("a", end=date(2030, 1, 1)),
        certificate("a"),
        Promotion(person="a", on=DAY, post="head", grade=7, id="成华组〔2026〕1号"),
    )
    for item in items:
        assert converter.structure(converter.unstructure(item), type(item)) == item
