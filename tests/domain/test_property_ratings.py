"""Owners rating the property company, per period with trends, and the fee spiral (D11)."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.findings import Severity
from civicgrid.domain.property_ratings import (
    FEE_SPIRAL_RULE,
    SATISFACTION_SCHEME,
    FeeCollection,
    PropertyRating,
    PropertyRatings,
    RatingDimension,
    RatingPeriod,
    RatingRefused,
    RatingScheme,
    Trend,
    find_fee_spiral,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData

SCHEME = RatingScheme.from_data(
    {
        "key": "wuwei_property",
        "label_zh": "物业服务评价",
        "label_en": "property service rating",
        "scale_min": 1,
        "scale_max": 5,
        "dimensions": [
            {"key": "cleaning", "label_zh": "环境卫生", "label_en": "cleaning", "weight": "3"},
            {"key": "repairs", "label_zh": "维修", "label_en": "repairs", "weight": "1"},
        ],
    }
)
Q1 = RatingPeriod(key="2026Q1", start=date(2026, 1, 1), end=date(2026, 4, 1))
Q2 = RatingPeriod(key="2026Q2", start=date(2026, 4, 1), end=date(2026, 7, 1))
Q3 = RatingPeriod(key="2026Q3", start=date(2026, 7, 1), end=date(2026, 10, 1))


def rating(rater: str, cleaning: int, repairs: int, day: date, **kw: Any) -> PropertyRating:
    """An owner's rating of company ``pm1`` at noon on ``day``."""
    return PropertyRating(
        rater=rater,
        company=kw.pop("company", "pm1"),
        scores={"cleaning": cleaning, "repairs": repairs, **kw.pop("extra", {})},
        rated_at=datetime(day.year, day.month, day.day, 12, tzinfo=DEFAULT_TZ),
        **kw,
    )


def test_a_scheme_is_data_and_scores_are_weighted_exact_means() -> None:
    """Cleaning weighs 3, repairs 1: scores 5 and 1 make 4 on the 1–5 scale, 75%."""
    assert SCHEME.keys == ("cleaning", "repairs")
    assert SCHEME.dimensions[0].weight == 3
    assert SCHEME.score({"cleaning": 5, "repairs": 1}) == 4
    assert SCHEME.score({"cleaning": 4, "repairs": 3}) == Fraction(15, 4)
    assert SCHEME.percent(Fraction(4)) == 75


def test_the_example_scheme_has_six_labelled_items() -> None:
    """满意度 items with Chinese and English labels, on a 1–5 scale."""
    assert SATISFACTION_SCHEME.label_zh == "物业服务满意度"
    assert len(SATISFACTION_SCHEME.dimensions) == 6
    assert all(d.label_zh and d.label_en for d in SATISFACTION_SCHEME.dimensions)
    all_fives = dict.fromkeys(SATISFACTION_SCHEME.keys, 5)
    assert SATISFACTION_SCHEME.percent(SATISFACTION_SCHEME.score(all_fives)) == 100
    assert {t.label_zh for t in Trend} == {"上升", "下降", "持平", "无可比"}


def test_a_bad_scheme_names_every_problem_with_its_path() -> None:
    """A float weight, a duplicate key, an inverted scale and an unknown field."""
    with pytest.raises(InvalidData) as refused:
        RatingScheme.from_data(
            {
                "key": "bad",
                "label_zh": "坏",
                "label_en": "bad",
                "scale_min": 5,
                "scale_max": 1,
                "dimensions": [
                    {"key": "a", "label_zh": "甲", "label_en": "a", "weight": 0.5},
                    {"key": "b", "label_zh": "乙", "label_en": "b"},
                    {"key": "b", "label_zh": "乙", "label_en": "b"},
                    {"key": "c", "label_zh": "丙", "label_en": "c", "colour": "red"},
                ],
            },
            source="bad.toml",
        )
    assert [p.path for p in refused.value.problems] == [
        "dimensions[0].weight",
        "dimensions[3]",
        "dimensions[2].key",
        "scale_max",
    ]
    assert "bad.toml" in str(refused.value)
    with pytest.raises(InvalidData, match="more than 0"):
        RatingDimension(key="x", label_zh="x", label_en="x", weight="0")


def test_a_rating_off_the_scheme_is_refused_and_not_recorded() -> None:
    """Missing, unknown and off-scale scores, another company, a non-owner: all named."""
    ratings = PropertyRatings(SCHEME, company="pm1", owners={"o1", "o2"})
    with pytest.raises(RatingRefused) as refused:
        ratings.add(
            PropertyRating(
                rater="tenant",
                company="pm2",
                scores={"cleaning": 6, "view": 3},
                rated_at=datetime(2026, 2, 1, tzinfo=DEFAULT_TZ),
            )
        )
    assert [p.path for p in refused.value.problems] == [
        "rater",
        "company",
        "scores.repairs",
        "scores.cleaning",
        "scores.view",
    ]
    assert isinstance(refused.value, ValueError)
    assert len(ratings) == 0
    with pytest.raises(RatingRefused, match="whole number"):
        ratings.add(rating("o1", True, 3, date(2026, 2, 1)))
    with pytest.raises(InvalidData, match="timezone"):
        PropertyRating(rater="o1", company="pm1", scores={}, rated_at=datetime(2026, 2, 1))  # noqa: DTZ001


def test_scores_per_period_with_their_trend_beside_the_collection_rate() -> None:
    """Q1 4.0, Q2 3.0 (down), Q3 3.0 (flat); Shushan's 95% collection sits beside Q1."""
    ratings = PropertyRatings(SCHEME, company="pm1")
    for r in (
        rating("o1", 5, 1, date(2026, 2, 1)),
        rating("o2", 4, 4, date(2026, 3, 1)),
        rating("o1", 3, 3, date(2026, 5, 1)),
        rating("o2", 3, 3, date(2026, 8, 1)),
    ):
        ratings.add(r)
    fees = [
        FeeCollection(period="2026Q1", fee="1.2", rate="0.95"),
        FeeCollection.from_amounts(period="2026Q2", fee="1.2", billed="100000", collected="90000"),
    ]
    q1, q2, q3 = ratings.indicators([Q1, Q2, Q3], fees)
    assert (q1.raters, q1.score, q1.percent, q1.trend) == (2, Fraction(4), Fraction(75), Trend.NONE)
    assert q1.by_dimension == {"cleaning": Fraction(9, 2), "repairs": Fraction(5, 2)}
    assert (q1.fee, q1.collection_rate) == (Fraction("1.2"), Fraction(95, 100))
    assert (q2.score, q2.trend, q2.change) == (Fraction(3), Trend.DOWN, Fraction(-1))
    assert (q2.collection_rate, q2.collection_trend) == (Fraction(9, 10), Trend.DOWN)
    assert (q3.score, q3.trend, q3.change) == (Fraction(3), Trend.FLAT, Fraction(0))
    assert (q3.collection_rate, q3.collection_trend) == (None, Trend.NONE)


def test_an_owner_may_revise_a_rating_and_the_latest_in_the_period_counts() -> None:
    """Two ratings by one owner in a quarter count once, the later one."""
    ratings = PropertyRatings(SCHEME, company="pm1")
    ratings.add(rating("o1", 1, 1, date(2026, 2, 1)))
    ratings.add(rating("o1", 5, 5, date(2026, 3, 1)))
    (q1,) = ratings.indicators([Q1])
    assert (q1.raters, q1.score) == (1, Fraction(5))


def test_a_period_without_ratings_breaks_the_trend() -> None:
    """No score in Q2: its trend and Q3's are ``none``; a small change within the band is flat."""
    ratings = PropertyRatings(SCHEME, company="pm1")
    ratings.add(rating("o1", 4, 4, date(2026, 2, 1)))
    ratings.add(rating("o1", 4, 3, date(2026, 8, 1)))
    _, q2, q3 = ratings.indicators([Q1, Q2, Q3])
    assert (q2.score, q2.trend, q3.trend) == (None, Trend.NONE, Trend.NONE)
    assert q2.by_dimension == {}
    _, up = ratings.indicators([Q1, Q3], flat_within=Fraction(1, 2))
    assert (up.change, up.trend) == (Fraction(-1, 4), Trend.FLAT)


def test_fee_collection_rates_are_exact_and_bounded() -> None:
    """Shushan's 95% from amounts; a rate above 100% or a float fee is refused."""
    shushan = FeeCollection.from_amounts(period="2023", fee="1.5", billed="200", collected="190")
    assert shushan.rate == Fraction(95, 100)
    with pytest.raises(InvalidData) as refused:
        FeeCollection(period="", fee=1.2, rate="1.1")  # type: ignore[arg-type]
    assert {p.path for p in refused.value.problems} == {"period", "fee", "rate"}
    with pytest.raises(InvalidData, match="billed"):
        FeeCollection.from_amounts(period="x", fee="1", billed="0", collected="0")


def test_the_fee_spiral_of_wujiang_is_found() -> None:
    """1.2 → 0.8 → 0.6 yuan/m²/month while collection keeps falling: one warning."""
    fees = [
        FeeCollection(period="2019", fee="1.2", rate="0.70"),
        FeeCollection(period="2020", fee="1.2", rate="0.60"),
        FeeCollection(period="2021", fee="0.8", rate="0.55"),
        FeeCollection(period="2022", fee="0.6", rate="0.45"),
    ]
    (finding,) = find_fee_spiral(fees, unit="wujiang", company="pm1")
    assert finding.rule == FEE_SPIRAL_RULE
    assert finding.severity is Severity.WARNING
    assert (finding.unit, finding.subject) == ("wujiang", "pm1")
    assert "1.2 → 0.8 → 0.6" in finding.message_en
    assert "60.0% → 55.0% → 45.0%" in finding.message_en
    assert "物业费连续下调 2 次" in finding.message_zh
    assert finding.value == pytest.approx(0.45)
    assert finding.limit == pytest.approx(0.60)


def test_a_cut_that_brings_payment_back_is_no_spiral() -> None:
    """One failed cut, then a cut after which collection rises: nothing to report."""
    fees = [
        FeeCollection(period="1", fee="1.2", rate="0.70"),
        FeeCollection(period="2", fee="0.8", rate="0.60"),
        FeeCollection(period="3", fee="0.6", rate="0.90"),
        FeeCollection(period="4", fee="0.6", rate="0.95"),
    ]
    assert find_fee_spiral(fees) == ()
    assert find_fee_spiral(fees[:2], min_cuts=1) != ()
    assert find_fee_spiral([]) == ()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 20), st.integers(0, 100)), max_size=10))
def test_no_spiral_is_found_without_fee_cuts(points: list[tuple[int, int]]) -> None:
    """A fee that never falls is never a spiral, however collection moves."""
    fees = []
    level = 1
    for n, (rise, rate) in enumerate(points):
        level += rise
        fees.append(FeeCollection(period=str(n), fee=Fraction(level, 10), rate=Fraction(rate, 100)))
    assert find_fee_spiral(fees, min_cuts=1) == ()
