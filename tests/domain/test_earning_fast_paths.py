"""The tally's fast paths give what its plain ones give (assessing a known match, pruning)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.domain.earning import Activity, CapPeriod, EarnedTally, Earner, EarningRule
from civicgrid.domain.ledger import Posting, Transaction
from civicgrid.domain.time import DEFAULT_TZ

START = datetime(2026, 3, 29, 20, tzinfo=DEFAULT_TZ)
ZONES: list[tzinfo] = [DEFAULT_TZ, UTC, timezone(timedelta(hours=-5))]
CURRENCIES = ["city_points", "district_points"]


@st.composite
def rules(draw: st.DrawFn) -> EarningRule:
    """A patrol rule with any amounts, caps on earned currencies, earner, period and zone."""
    earned = draw(st.lists(st.sampled_from(CURRENCIES), min_size=1, unique=True))
    amounts = st.integers(1, 5)
    caps = st.dictionaries(st.sampled_from(earned), st.integers(1, 12))
    return EarningRule(
        key="patrol",
        label_zh="巡查",
        label_en="patrol",
        activity="patrol",
        amounts={currency: draw(amounts) for currency in earned},
        earner=draw(st.sampled_from(Earner)),
        roles=draw(st.sampled_from([frozenset(), frozenset({"grid_worker"})])),
        per=draw(st.integers(1, 3)),
        day_caps=draw(caps),
        period_caps=draw(caps),
        period=draw(st.sampled_from(CapPeriod)),
        tz=draw(st.sampled_from(ZONES)),
    )


def earn(
    key: str, earner: str, day: date, period: str, amounts: dict[str, int], rule: str = "patrol"
) -> Transaction:
    """An earn transaction under ``rule`` as the points desk books one."""
    postings = [
        Posting(account=account, amount=sign * amount)
        for currency, amount in amounts.items()
        for account, sign in ((f"issuer:{currency}", -1), (f"person:{earner}:{currency}", 1))
    ]
    return Transaction(
        key=key,
        at=START,
        kind="earn",
        postings=postings,
        data={
            "rule": rule,
            "earner": earner,
            "activity": key,
            "day": day.isoformat(),
            "period": period,
            "amounts": amounts,
        },
    )


@settings(max_examples=200, deadline=None)
@given(
    rule=rules(),
    hours=st.integers(0, 24 * 40),
    quantity=st.integers(1, 7),
    assignee=st.sampled_from([None, "w2"]),
    earned=st.lists(
        st.tuples(st.sampled_from(["w1", "w2"]), st.integers(-2, 2), st.integers(1, 6)),
        max_size=8,
    ),
    holds_role=st.booleans(),
)
def test_assessing_a_known_match_equals_assessing(
    rule: EarningRule,
    hours: int,
    quantity: int,
    assignee: str | None,
    earned: list[tuple[str, int, int]],
    holds_role: bool,
) -> None:
    """``assess_matched`` (the desk's path) gives exactly the award ``assess`` gives.

    Whatever the rule's timezone, period, caps, roles and earner, and whatever was earned
    already around the activity's day, so the desk's shortcut changes no award.
    """
    at = START + timedelta(hours=hours)
    activity = Activity(
        key="a", at=at, actor="w1", name="patrol", quantity=quantity, assignee=assignee
    )
    day = at.astimezone(rule.tz).date()
    tally = EarnedTally()
    for n, (earner, shift, amount) in enumerate(earned):
        on = day + timedelta(days=shift)
        tally.fold(earn(f"e{n}", earner, on, rule.period.key_of(on), {"city_points": amount}))

    def roles(_person: str) -> set[str]:
        return {"grid_worker"} if holds_role else set()

    assert tally.assess_matched(rule, activity, day, roles) == tally.assess(rule, activity, roles)


def month(day: date) -> str:
    """The month key of ``day``."""
    return CapPeriod.MONTH.key_of(day)


Fold = tuple[int, str, int, int, str]
"""An earn folded: key number, earner, day (from 2026-01-01), period drift in days, rule."""

folds = st.tuples(
    st.integers(0, 15),
    st.sampled_from(["w1", "w2"]),
    st.integers(0, 70),
    st.integers(-40, 40),
    st.sampled_from(["patrol", "other"]),
)


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.one_of(folds, st.integers(0, 80)), max_size=40))
def test_pruning_drops_exactly_the_earns_a_full_scan_drops(steps: list[Fold | int]) -> None:
    """An earn still held after folds and prunes is one the full scan over every earn keeps.

    The scan (the reference here) keeps an earn unless its day is before ``before`` and its
    rule's period is before the one given for that rule. "Held" is read as users see it: the
    reversal of a held earn frees its room under a cap, of a dropped one frees nothing. Keys
    are folded again with other data (a key the ledger forgot, booked again), and some earns
    carry a period that does not hold their day, so only the data counts, as in the scan.
    """
    base = date(2026, 1, 1)
    tally = EarnedTally()
    held: dict[str, tuple[str, str, date, str]] = {}
    last: dict[str, tuple[str, str, date, str]] = {}
    for step in steps:
        if isinstance(step, int):
            before = base + timedelta(days=step)
            periods = {"patrol": month(before)}  # rule "other" is not the desk's: never pruned
            tally.prune(before, periods)
            held = {
                key: (earner, rule, day, period)
                for key, (earner, rule, day, period) in held.items()
                if not (day < before and rule in periods and period < periods[rule])
            }
            continue
        number, earner, offset, drift, rule = step
        key, day = f"e{number}", base + timedelta(days=offset)
        period = month(day + timedelta(days=drift))
        tally.fold(earn(key, earner, day, period, {"city_points": 1}, rule))
        held[key] = last[key] = (earner, rule, day, period)
    for key, (earner, rule, day, period) in last.items():
        on_day = tally.earned_on(earner, rule, day).get("city_points", 0)
        in_period = tally.earned_in(earner, rule, period).get("city_points", 0)
        tally.fold(
            Transaction(
                key=f"reverse:{key}",
                at=START,
                kind="reverse",
                postings=(
                    Posting(account=f"person:{earner}:city_points", amount=-1),
                    Posting(account="issuer:city_points", amount=1),
                ),
                reverses=key,
            )
        )
        freed = (
            tally.earned_on(earner, rule, day).get("city_points", 0) == on_day - 1
            and tally.earned_in(earner, rule, period).get("city_points", 0) == in_period - 1
        )
        assert freed == (key in held), key
