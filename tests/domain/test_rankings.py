"""Quarterly rankings from the ledger and the awards booked from them (P6, P7)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.ledger import Account, AccountKind, Ledger
from civicgrid.domain.rankings import (
    BUILTIN_RANKINGS,
    MOST_BEAUTIFUL_FAMILIES,
    TIE_BREAK,
    TOP_MICRO_GRIDS,
    RankingPeriod,
    RankingRule,
    book_awards,
    rank,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData

Q1 = RankingPeriod.quarter(2024, 1)
ISSUER = "issuer:district_points"


def at(days: float) -> datetime:
    """An instant ``days`` after the start of 2024Q1."""
    return Q1.start + timedelta(days=days)


def grid(name: str) -> str:
    """The district-points account of micro grid ``name``."""
    return f"micro_grid:{name}:district_points"


def ledger_with(grids: list[str]) -> Ledger:
    """A ledger with the district issuer and one account per micro grid, opened in order."""
    ledger = Ledger()
    ledger.open(Account(id=ISSUER, currency="district_points", kind=AccountKind.ISSUER))
    for name in grids:
        ledger.open(Account(id=grid(name), currency="district_points"))
    return ledger


def earn(ledger: Ledger, key: str, name: str, amount: int, when: float, kind: str = "earn") -> None:
    """Book an earning of ``amount`` points by micro grid ``name``."""
    ledger.transfer(
        key=key, at=at(when), kind=kind, source=ISSUER, target=grid(name), amount=amount
    )


def test_quarters_are_calendar_quarters_in_shanghai() -> None:
    """2024Q1 runs from 1 January to 1 April, midnight China time; quarter_of finds it."""
    assert Q1.start == datetime(2024, 1, 1, tzinfo=DEFAULT_TZ)
    assert Q1.end == datetime(2024, 4, 1, tzinfo=DEFAULT_TZ)
    late = datetime(2024, 3, 31, 16, 30, tzinfo=DEFAULT_TZ)
    assert RankingPeriod.quarter_of(late).key == "2024Q1"
    assert RankingPeriod.quarter(2024, 4).end == datetime(2025, 1, 1, tzinfo=DEFAULT_TZ)
    assert RankingPeriod.year(2024).key == "2024"


def test_a_bad_quarter_or_backwards_period_is_refused() -> None:
    """Quarter 5 and an end before the start are named."""
    with pytest.raises(InvalidData, match="quarter"):
        RankingPeriod.quarter(2024, 5)
    with pytest.raises(InvalidData, match="end"):
        RankingPeriod(key="x", start=Q1.end, end=Q1.start)


def test_the_builtin_rankings_carry_the_source_names() -> None:
    """百佳优秀微网格 / 微网格员, 优秀联户长 and 最美家庭/单元/楼栋, each with English."""
    names = [r.label_zh for r in BUILTIN_RANKINGS]
    assert names == [
        "百佳优秀微网格",
        "百佳优秀微网格员",
        "优秀联户长",
        "最美家庭",
        "最美单元",
        "最美楼栋",
    ]
    assert TOP_MICRO_GRIDS.size == 100
    assert len(TIE_BREAK) == 4


def test_a_rule_lists_every_problem_at_once() -> None:
    """An empty key, size 0 and reversals as earnings are named."""
    with pytest.raises(InvalidData) as caught:
        RankingRule(
            key="",
            label_zh="x",
            label_en="x",
            currency="c",
            prefix="p:",
            size=0,
            earning_kinds={"reverse"},
        )
    assert {p.path for p in caught.value.problems} == {"key", "size", "earning_kinds"}


def test_earnings_not_balances_decide_the_ranking() -> None:
    """Points redeemed or earned before the quarter do not count; other kinds are ignored."""
    ledger = ledger_with(["a", "b", "c"])
    ledger.transfer(
        key="old",
        at=Q1.start - timedelta(days=1),
        kind="earn",
        source=ISSUER,
        target=grid("c"),
        amount=1000,
    )
    earn(ledger, "e1", "a", 50, 1)
    earn(ledger, "e2", "b", 40, 2)
    earn(ledger, "bonus", "b", 500, 3, kind="award")
    ledger.transfer(
        key="spend", at=at(4), kind="redeem", source=grid("a"), target=ISSUER, amount=45
    )
    ranking = rank(ledger, TOP_MICRO_GRIDS, Q1)
    assert [(e.owner, e.score) for e in ranking.entries] == [
        ("micro_grid:a", 50),
        ("micro_grid:b", 40),
    ]
    assert [e.rank for e in ranking.entries] == [1, 2]


def test_reversals_are_netted_and_counted() -> None:
    """A reversed earning no longer counts; a fully reversed account is not ranked."""
    ledger = ledger_with(["a", "b"])
    earn(ledger, "e1", "a", 30, 1)
    earn(ledger, "e2", "a", 20, 2)
    earn(ledger, "e3", "b", 10, 3)
    ledger.reverse("e2", at=at(4))
    ledger.reverse("e3", at=at(5))
    (only,) = rank(ledger, TOP_MICRO_GRIDS, Q1).entries
    assert (only.owner, only.score, only.reversals) == ("micro_grid:a", 30, 1)


def test_ties_go_to_the_earlier_final_score_then_fewer_reversals_then_id() -> None:
    """Equal scores: who got there first; then fewer reversals; then account id."""
    ledger = ledger_with(["late", "early", "rev", "z", "y"])
    earn(ledger, "x1", "rev", 10, 0.5)
    earn(ledger, "x2", "rev", 5, 0.6)
    ledger.reverse("x2", at=at(1))
    earn(ledger, "e1", "early", 10, 1)
    earn(ledger, "e2", "late", 10, 2)
    earn(ledger, "e3", "z", 10, 3)
    earn(ledger, "e4", "y", 10, 3)
    ranking = rank(ledger, TOP_MICRO_GRIDS, Q1)
    assert [e.owner.split(":")[1] for e in ranking.entries] == ["early", "rev", "late", "y", "z"]


def test_only_eligible_accounts_compete_and_the_size_is_kept() -> None:
    """``eligible`` names owners; the rule's size cuts the list."""
    ledger = ledger_with([f"g{i}" for i in range(5)])
    for i in range(5):
        earn(ledger, f"e{i}", f"g{i}", 10 + i, i)
    rule = RankingRule(
        key="top2",
        label_zh="前二",
        label_en="top two",
        currency="district_points",
        prefix="micro_grid:",
        size=2,
    )
    ranking = rank(ledger, rule, Q1, eligible={"micro_grid:g0", "micro_grid:g1", "micro_grid:g2"})
    assert [e.owner for e in ranking.entries] == ["micro_grid:g2", "micro_grid:g1"]
    assert ranking.competitors == 3


def test_the_most_beautiful_families_rank_households_accounts() -> None:
    """P7: household accounts compete, other holders in the currency do not."""
    ledger = Ledger()
    ledger.open(Account(id="issuer:city_points", currency="city_points", kind=AccountKind.ISSUER))
    for owner in ("household:h1", "household:h2", "person:p1"):
        ledger.open(Account(id=f"{owner}:city_points", currency="city_points"))
    for i, (owner, points) in enumerate(
        [("household:h1", 5), ("household:h2", 9), ("person:p1", 99)]
    ):
        ledger.transfer(
            key=f"e{i}",
            at=at(i),
            kind="earn",
            source="issuer:city_points",
            target=f"{owner}:city_points",
            amount=points,
        )
    ranking = rank(ledger, MOST_BEAUTIFUL_FAMILIES, RankingPeriod.year(2024))
    assert [e.owner for e in ranking.entries] == ["household:h2", "household:h1"]


def test_awards_name_their_ranking_and_are_booked_once() -> None:
    """Each award carries ranking, period and rank; booking again books nothing."""
    ledger = ledger_with(["a", "b"])
    earn(ledger, "e1", "a", 50, 1)
    earn(ledger, "e2", "b", 40, 2)
    ranking = rank(ledger, TOP_MICRO_GRIDS, Q1)
    first = book_awards(ledger, ranking, at=Q1.end, source=ISSUER, amount=lambda e: 200 // e.rank)
    assert [dict(t.data) for t in first] == [
        {"ranking": "top_micro_grids", "period": "2024Q1", "rank": 1, "score": 50},
        {"ranking": "top_micro_grids", "period": "2024Q1", "rank": 2, "score": 40},
    ]
    assert {t.kind for t in first} == {"award"}
    assert (
        book_awards(ledger, ranking, at=Q1.end, source=ISSUER, amount=lambda e: 200 // e.rank) == ()
    )
    assert len(ledger) == 4
    assert ledger.balance(grid("a")) == 250
    assert rank(ledger, TOP_MICRO_GRIDS, Q1).entries == ranking.entries


def test_an_award_beyond_the_source_is_refused_and_rerunning_finishes_the_rest() -> None:
    """A fund that runs short stops the run; after a top-up the rest are booked once."""
    ledger = ledger_with(["a", "b"])
    ledger.open(Account(id="fund:awards", currency="district_points", kind=AccountKind.FUND))
    earn(ledger, "e1", "a", 50, 1)
    earn(ledger, "e2", "b", 40, 2)
    ledger.transfer(
        key="top1", at=at(3), kind="allocate", source=ISSUER, target="fund:awards", amount=100
    )
    ranking = rank(ledger, TOP_MICRO_GRIDS, Q1)
    with pytest.raises(ValueError, match="fund:awards"):
        book_awards(ledger, ranking, at=Q1.end, source="fund:awards", amount=lambda e: 100)
    assert ledger.balance(grid("b")) == 40
    ledger.transfer(
        key="top2", at=Q1.end, kind="allocate", source=ISSUER, target="fund:awards", amount=100
    )
    again = book_awards(ledger, ranking, at=Q1.end, source="fund:awards", amount=lambda e: 100)
    assert [t.data["rank"] for t in again] == [2]


@settings(max_examples=50)
@given(
    st.lists(st.tuples(st.integers(0, 7), st.integers(1, 20), st.integers(0, 80)), max_size=40),
    st.permutations(list(range(8))),
    st.sets(st.integers(0, 39)),
)
def test_the_ranking_does_not_depend_on_the_order_accounts_were_opened(
    earnings: list[tuple[int, int, int]], order: list[int], reversed_: set[int]
) -> None:
    """The same earnings and reversals rank the same whatever order the accounts opened in."""
    names = [f"g{i}" for i in range(8)]

    def build(opening: list[str]) -> tuple[tuple[str, int, int], ...]:
        ledger = ledger_with(opening)
        booked = sorted(enumerate(earnings), key=lambda item: item[1][2])
        for n, (who, amount, when) in booked:
            earn(ledger, f"e{n}", names[who], amount, when)
        for n in sorted(reversed_):
            if n < len(earnings):
                ledger.reverse(f"e{n}", at=at(90))
        return tuple((e.owner, e.score, e.rank) for e in rank(ledger, TOP_MICRO_GRIDS, Q1).entries)

    assert build(names) == build([names[i] for i in order])
