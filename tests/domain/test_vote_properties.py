"""Invariants of owners' votes: order never matters, the policy picks, the law is exact."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    Ballot,
    BallotChannel,
    BallotChoice,
    BallotRefused,
    Matter,
    OwnersVote,
    RepeatBallotPolicy,
    ThresholdBasis,
    ThresholdStage,
    VoteOutcome,
    VoteResult,
)
from civicgrid.domain.ownership import ExclusivePart, OwnersRoll, PartStatus
from civicgrid.domain.time import DEFAULT_TZ

OPENS = datetime(2026, 3, 2, 9, 0, tzinfo=DEFAULT_TZ)
MINUTES = 600
"""The vote runs for ten hours; ballots are drawn from a little before to a little after."""

PEOPLE = ("ann", "bo", "chen", "dai", "tenant")
"""Owners are drawn from these; ``tenant`` also votes without owning anything."""


@st.composite
def rolls(draw: st.DrawFn) -> OwnersRoll:
    """A small roll: flats held alone or jointly, buyers of several, developer parts."""
    count = draw(st.integers(min_value=1, max_value=8))
    parts = []
    for i in range(count):
        area = str(Fraction(draw(st.integers(min_value=1, max_value=20_000)), 100))
        status = draw(st.sampled_from(PartStatus))
        owners: frozenset[str] = frozenset()
        if status is PartStatus.DELIVERED:
            owners = frozenset(draw(st.sets(st.sampled_from(PEOPLE[:4]), min_size=1, max_size=2)))
        parts.append(ExclusivePart(id=f"p{i}", status=status, owners=owners, contract_area=area))
    return OwnersRoll(parts, compound="c1", developer="dev")


@st.composite
def ballot_lists(draw: st.DrawFn, roll: OwnersRoll, *, once: bool = False) -> list[Ballot]:
    """Ballots with unique ids; with ``once``, one ballot per counted owner, all in time."""
    ballots = []
    if once:
        for n, owner in enumerate(roll.owners):
            if draw(st.booleans()):
                ballots.append(
                    Ballot(
                        id=f"b{n}",
                        part=owner.parts[0],
                        voter=min(owner.holders),
                        choice=draw(st.sampled_from(BallotChoice)),
                        cast_at=OPENS + timedelta(minutes=draw(st.integers(0, MINUTES - 1))),
                    )
                )
        return ballots
    parts = [p.id for p in roll]
    return [
        Ballot(
            id=f"b{n}",
            part=draw(st.sampled_from([*parts, "p99"])),
            voter=draw(st.sampled_from([*PEOPLE, "dev"])),
            choice=draw(st.sampled_from(BallotChoice)),
            cast_at=OPENS + timedelta(minutes=draw(st.integers(-5, MINUTES + 5))),
            channel=draw(st.sampled_from(BallotChannel)),
        )
        for n in range(draw(st.integers(min_value=0, max_value=14)))
    ]


def tally(
    roll: OwnersRoll,
    matter: Matter,
    ballots: list[Ballot],
    policy: RepeatBallotPolicy = RepeatBallotPolicy.FIRST_COUNTS,
) -> VoteResult:
    """Cast the ballots in the order given and close at the planned time."""
    vote = OwnersVote(
        id="v",
        matter=matter,
        roll=roll,
        opens_at=OPENS,
        closes_at=OPENS + timedelta(minutes=MINUTES),
        policy=policy,
    )
    vote.cast_all(ballots)
    return vote.close(vote.closes_at)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), matter=st.sampled_from(Matter), policy=st.sampled_from(RepeatBallotPolicy))
def test_the_outcome_never_depends_on_the_order_of_ballots(
    data: st.DataObject, matter: Matter, policy: RepeatBallotPolicy
) -> None:
    """Any order of the same ballots, repeats and refusals included, gives the same count."""
    roll = data.draw(rolls())
    ballots = data.draw(ballot_lists(roll))
    shuffled = data.draw(st.permutations(ballots))
    assert tally(roll, matter, ballots, policy) == tally(roll, matter, shuffled, policy)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), matter=st.sampled_from(Matter))
def test_when_each_owner_votes_once_the_policy_changes_nothing(
    data: st.DataObject, matter: Matter
) -> None:
    """One ballot per owner: every ballot counts, in any order, under either policy."""
    roll = data.draw(rolls())
    ballots = data.draw(ballot_lists(roll, once=True))
    shuffled = data.draw(st.permutations(ballots))
    first = tally(roll, matter, ballots)
    assert first == tally(roll, matter, shuffled)
    last = tally(roll, matter, shuffled, RepeatBallotPolicy.LAST_COUNTS)
    assert first.counted == last.counted
    assert len(first.counted) == len(ballots)
    assert first.superseded == ()
    assert first.refused == ()


@settings(max_examples=100, deadline=None)
@given(data=st.data(), policy=st.sampled_from(RepeatBallotPolicy))
def test_the_policy_picks_each_owners_earliest_or_latest_ballot(
    data: st.DataObject, policy: RepeatBallotPolicy
) -> None:
    """The counted ballot of an owner is its first (or last) by time, whatever the entry order."""
    roll = data.draw(rolls())
    ballots = data.draw(st.permutations(data.draw(ballot_lists(roll))))
    result = tally(roll, Matter.OTHER_MAJOR_MATTER, ballots, policy)
    refused = {r.ballot.id for r in result.refused}
    by_owner: dict[int, list[Ballot]] = {}
    for b in ballots:
        if b.id not in refused:
            by_owner.setdefault(roll.owner_index(b.part), []).append(b)
    for b in result.counted:
        times = [x.cast_at for x in by_owner[roll.owner_index(b.part)]]
        expected = min(times) if policy is RepeatBallotPolicy.FIRST_COUNTS else max(times)
        assert b.cast_at == expected
    assert len(result.counted) + len(result.superseded) + len(refused) == len(ballots)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), matter=st.sampled_from(Matter))
def test_the_checks_agree_with_the_law_by_cross_multiplication(
    data: st.DataObject, matter: Matter
) -> None:
    """Integer arithmetic on the tallies gives the same four verdicts and the outcome."""
    roll = data.draw(rolls())
    result = tally(roll, matter, data.draw(ballot_lists(roll)))
    took_area, took = result.participating_area, result.participating_owners
    assert took <= result.total_owners
    assert took_area <= result.total_area
    pa = result.check(ThresholdStage.PARTICIPATION, ThresholdBasis.AREA).passed
    ph = result.check(ThresholdStage.PARTICIPATION, ThresholdBasis.HEADS).passed
    assert pa is (3 * took_area >= 2 * result.total_area)
    assert ph is (3 * took >= 2 * result.total_owners)
    ca = result.check(ThresholdStage.CONSENT, ThresholdBasis.AREA).passed
    ch = result.check(ThresholdStage.CONSENT, ThresholdBasis.HEADS).passed
    if matter.special:
        assert ca is (4 * result.area[BallotChoice.FOR] >= 3 * took_area and took_area > 0)
        assert ch is (4 * result.owners[BallotChoice.FOR] >= 3 * took and took > 0)
    else:
        assert ca is (2 * result.area[BallotChoice.FOR] > took_area)
        assert ch is (2 * result.owners[BallotChoice.FOR] > took)
    if not (pa and ph):
        assert result.outcome is VoteOutcome.INSUFFICIENT_PARTICIPATION
    else:
        assert result.outcome is (VoteOutcome.PASSED if ca and ch else VoteOutcome.REJECTED)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_a_refused_ballot_changes_no_count(data: st.DataObject) -> None:
    """Casting a refused ballot leaves the count exactly as it was."""
    roll = data.draw(rolls())
    vote = OwnersVote(
        id="v",
        matter=Matter.OTHER_MAJOR_MATTER,
        roll=roll,
        opens_at=OPENS,
        closes_at=OPENS + timedelta(minutes=MINUTES),
    )
    for b in data.draw(ballot_lists(roll)):
        before = vote.result()
        try:
            vote.cast(b)
        except BallotRefused:
            after = vote.result()
            assert (after.counted, after.superseded) == (before.counted, before.superseded)
