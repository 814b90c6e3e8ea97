"""Owners' votes under Civil Code art. 278 and the SPC interpretation's arts. 8 and 9 (D9)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from civicgrid import (
    LIFT_INSTALLATION,
    Ballot,
    BallotChannel,
    BallotChoice,
    BallotRefusal,
    BallotRefused,
    CloseRefused,
    Matter,
    OwnersVote,
    RepeatBallotPolicy,
    ThresholdBasis,
    ThresholdStage,
    VoteOutcome,
    VoteResult,
)
from civicgrid.domain.ownership import (
    AreaSource,
    ExclusivePart,
    OwnersRoll,
    PartStatus,
    UnknownPart,
    exact_area,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import CivicGridError, InvalidData

OPENS = datetime(2026, 3, 2, 9, 0, tzinfo=DEFAULT_TZ)
CLOSES = OPENS + timedelta(days=14)
FOR, AGAINST, ABSTAIN = BallotChoice.FOR, BallotChoice.AGAINST, BallotChoice.ABSTAIN


def flat(i: int, area: str = "100.00", *owners: str) -> ExclusivePart:
    """Flat ``p{i}`` held by ``o{i}`` (or the owners given) with a registered area."""
    return ExclusivePart(id=f"p{i}", owners=owners or {f"o{i}"}, registered_area=area)


def roll_of(areas: Sequence[str]) -> OwnersRoll:
    """A roll of one flat per area, each with its own owner."""
    return OwnersRoll([flat(i, a) for i, a in enumerate(areas)], compound="c1")


def ballot(i: int, choice: BallotChoice, *, minutes: int = 60, **kw: object) -> Ballot:
    """Owner ``o{i}``'s ballot for flat ``p{i}``, cast ``minutes`` after the opening."""
    fields: dict[str, object] = {
        "id": f"b{i}-{minutes}",
        "part": f"p{i}",
        "voter": f"o{i}",
        "choice": choice,
        "cast_at": OPENS + timedelta(minutes=minutes),
    }
    fields.update(kw)
    return Ballot(**fields)  # type: ignore[arg-type]


def vote(roll: OwnersRoll, matter: Matter = LIFT_INSTALLATION, **kw: object) -> OwnersVote:
    """A two-week vote on ``matter`` over ``roll``."""
    return OwnersVote(
        id="v1",
        matter=matter,
        roll=roll,
        opens_at=OPENS,
        closes_at=CLOSES,
        **kw,  # type: ignore[arg-type]
    )


def count(roll: OwnersRoll, matter: Matter, choices: dict[int, BallotChoice]) -> VoteResult:
    """Cast each owner's choice, close at the planned time and return the count."""
    owners_vote = vote(roll, matter)
    assert owners_vote.cast_all(ballot(i, c) for i, c in choices.items()) == ()
    return owners_vote.close(CLOSES)


# --------------------------------------------------------------------------- the matters


def test_the_nine_matters_follow_the_law_in_order() -> None:
    """Items 1–9 carry the law's wording; lift installation is item 7."""
    assert [m.item for m in Matter] == list(range(1, 10))
    assert Matter.RULES_OF_PROCEDURE.wording_zh == "制定和修改业主大会议事规则"
    assert Matter.RAISE_MAINTENANCE_FUND.wording_zh == "筹集建筑物及其附属设施的维修资金"
    assert Matter.SHARED_PARTS_USE.wording_zh == "改变共有部分的用途或者利用共有部分从事经营活动"
    assert LIFT_INSTALLATION is Matter.ALTER_OR_REBUILD
    assert LIFT_INSTALLATION.item == 7
    assert LIFT_INSTALLATION.wording_zh == "改建、重建建筑物及其附属设施"
    assert all(m.label_zh and m.label_en for m in Matter)


def test_items_six_to_eight_need_three_quarters_and_the_rest_more_than_half() -> None:
    """3/4 (以上, inclusive) for items 6–8; more than 1/2 (过半数, strict) otherwise."""
    special = {m for m in Matter if m.special}
    assert special == {
        Matter.RAISE_MAINTENANCE_FUND,
        Matter.ALTER_OR_REBUILD,
        Matter.SHARED_PARTS_USE,
    }
    for matter in special:
        assert (matter.consent_required, matter.consent_strict) == (Fraction(3, 4), False)
    for matter in set(Matter) - special:
        assert (matter.consent_required, matter.consent_strict) == (Fraction(1, 2), True)
    assert not Matter.USE_MAINTENANCE_FUND.special


def test_every_vote_enum_has_both_labels() -> None:
    """Choices, channels, policies, reasons, outcomes, stages and bases are labelled."""
    for kind in (
        BallotChoice,
        BallotChannel,
        RepeatBallotPolicy,
        BallotRefusal,
        VoteOutcome,
        ThresholdStage,
        ThresholdBasis,
    ):
        assert all(member.label_zh and member.label_en for member in kind)
    assert BallotChoice.ABSTAIN.label_zh == "弃权"


# --------------------------------------------------------------------------- art. 8: area


def test_area_is_registered_else_surveyed_else_contract() -> None:
    """The interpretation's art. 8 fallback: register, then survey, then sale contract."""
    both = ExclusivePart(id="a", owners={"x"}, registered_area="89.37", contract_area="90")
    assert (both.area, both.area_source) == (Fraction("89.37"), AreaSource.REGISTERED)
    surveyed = ExclusivePart(id="b", owners={"x"}, surveyed_area="88.10", contract_area="90")
    assert (surveyed.area, surveyed.area_source) == (Fraction("88.10"), AreaSource.SURVEYED)
    contract = ExclusivePart(id="c", owners={"x"}, contract_area=Decimal("90.05"))
    assert (contract.area, contract.area_source) == (Fraction("90.05"), AreaSource.CONTRACT)
    assert AreaSource.SURVEYED.label_zh == "测绘机构实测面积"


def test_areas_are_exact_and_floats_are_refused() -> None:
    """Text, Decimal, Fraction and int are exact; a float is named as the problem."""
    assert exact_area("89.37") == Fraction(8937, 100)
    assert exact_area(Fraction(1, 3)) == Fraction(1, 3)
    with pytest.raises(InvalidData, match="float"):
        exact_area(89.37)  # type: ignore[arg-type]
    with pytest.raises(InvalidData) as refused:
        ExclusivePart(id="a", owners={"x"}, registered_area=89.37, contract_area="-1")  # type: ignore[arg-type]
    assert {p.path for p in refused.value.problems} == {"registered_area", "contract_area"}


def test_a_part_without_any_area_or_owner_is_refused_with_each_field_named() -> None:
    """No area at all, no owner for a delivered part, a stranger as representative."""
    with pytest.raises(InvalidData) as refused:
        ExclusivePart(id="a", representative="z")
    assert {p.path for p in refused.value.problems} == {
        "owners",
        "registered_area",
        "representative",
    }
    with pytest.raises(InvalidData, match="not a number"):
        ExclusivePart(id="b", owners={"x"}, registered_area="eighty")
    with pytest.raises(InvalidData, match="developer"):
        ExclusivePart(id="c", status=PartStatus.UNSOLD, owners={"x"}, contract_area="1")


# --------------------------------------------------------------------------- art. 9: heads


def test_each_exclusive_part_counts_as_one_owner() -> None:
    """Three flats, three owners, the total area their sum."""
    roll = roll_of(["89.37", "120.50", "66.13"])
    assert (roll.total_owners, roll.total_area) == (3, Fraction("276.00"))


def test_one_buyer_of_several_parts_counts_once_with_all_their_area() -> None:
    """Two flats and a parking space of one buyer are one owner of their summed area."""
    roll = OwnersRoll(
        [flat(1, "89.37", "wang"), flat(2, "120.50", "wang"), flat(3, "12.00", "wang"), flat(4)],
        compound="c1",
    )
    assert roll.total_owners == 2
    wang = roll.owner_of("p2")
    assert (wang.parts, wang.area) == (("p1", "p2", "p3"), Fraction("221.87"))
    assert roll.owners_held_by("wang") == (wang,)


def test_co_owners_of_one_part_are_one_owner() -> None:
    """A flat held jointly by a couple counts once; either may cast its ballot."""
    roll = OwnersRoll([flat(1, "90", "li", "zhao"), flat(2)], compound="c1")
    assert roll.total_owners == 2
    assert roll.owner_of("p1").may_cast("zhao")
    assert roll.owner_of("p1").name == "li+zhao"


def test_a_flat_held_alone_and_one_held_jointly_are_two_owners() -> None:
    """Different holders are different owners, even when one person is among both."""
    roll = OwnersRoll([flat(1, "90", "li"), flat(2, "90", "li", "zhao")], compound="c1")
    assert roll.total_owners == 2
    assert len(roll.owners_held_by("li")) == 2


def test_the_developers_unsold_and_undelivered_parts_count_as_one_owner() -> None:
    """Unsold and sold-but-undelivered parts are one head with all their area."""
    parts = [flat(i) for i in range(3)]
    parts += [
        ExclusivePart(id=f"u{i}", status=PartStatus.UNSOLD, contract_area="100") for i in range(40)
    ]
    parts.append(
        ExclusivePart(
            id="s1", status=PartStatus.SOLD_UNDELIVERED, owners={"buyer"}, contract_area="100"
        )
    )
    roll = OwnersRoll(parts, compound="c1", developer="dev")
    assert roll.total_owners == 4
    developer = roll.owner_of("u7")
    assert developer.developer
    assert developer.name == "developer"
    assert developer is roll.owner_of("s1")
    assert (len(developer.parts), developer.area) == (41, Fraction(4100))
    assert developer.holders == frozenset({"dev"})
    assert PartStatus.SOLD_UNDELIVERED.developer_held
    assert not PartStatus.DELIVERED.developer_held


def test_a_roll_names_every_problem() -> None:
    """Duplicate ids, developer parts without a developer, two representatives, no compound."""
    parts = [
        flat(1, "90", "wang"),
        ExclusivePart(id="p2", owners={"wang"}, registered_area="80", representative="wang"),
        ExclusivePart(id="p3", owners={"wang", "li"}, registered_area="80", representative="li"),
        ExclusivePart(id="p4", owners={"wang", "li"}, registered_area="80", representative="wang"),
        flat(1),
        ExclusivePart(id="u1", status=PartStatus.UNSOLD, contract_area="10"),
    ]
    with pytest.raises(InvalidData) as refused:
        OwnersRoll(parts, compound="")
    assert {p.path for p in refused.value.problems} == {
        "compound",
        "parts[4].id",
        "parts[5].status",
        "parts[2].representative",
    }
    with pytest.raises(InvalidData, match="at least one"):
        OwnersRoll([], compound="c1")


def test_an_unknown_part_is_a_lookup_error() -> None:
    """Asking the roll for a part it does not hold names the id."""
    with pytest.raises(UnknownPart, match="p9") as missing:
        roll_of(["1"]).owner_of("p9")
    assert isinstance(missing.value, LookupError)
    assert isinstance(missing.value, CivicGridError)


# --------------------------------------------------------------------------- participation


def test_participation_by_heads_at_below_and_above_two_thirds_of_3000_owners() -> None:
    """2,000 of 3,000 owners is exactly 2/3 and passes; 1,999 is one owner short."""
    roll = roll_of(["150.00"] * 2000 + ["50.00"] * 1000)  # participants hold most of the area
    for taking_part, passed, margin in ((1999, False, -1), (2000, True, 0), (2001, True, 1)):
        result = count(roll, Matter.PROPERTY_MANAGER, dict.fromkeys(range(taking_part), FOR))
        heads = result.check(ThresholdStage.PARTICIPATION, ThresholdBasis.HEADS)
        assert result.check(ThresholdStage.PARTICIPATION, ThresholdBasis.AREA).passed
        assert (heads.passed, heads.margin) == (passed, Fraction(margin))
        assert heads.shortfall == (0 if passed else 1)
        assert result.outcome is (
            VoteOutcome.PASSED if passed else VoteOutcome.INSUFFICIENT_PARTICIPATION
        )


@pytest.mark.parametrize(
    ("inside", "outside", "passed"),
    [("80.00", "200.00", True), ("79.99", "200.01", False), ("80.01", "199.99", True)],
)
def test_participation_by_area_at_below_and_above_two_thirds(
    inside: str, outside: str, passed: bool
) -> None:
    """2,500 participants of 3,000 hold exactly 2/3 of 300,000 m²; 0.01 m² decides."""
    areas = [inside, *["80.00"] * 2499, outside, *["200.00"] * 499]
    roll = roll_of(areas)
    assert roll.total_area == 300_000
    result = count(roll, Matter.PROPERTY_MANAGER, dict.fromkeys(range(2500), FOR))
    area = result.check(ThresholdStage.PARTICIPATION, ThresholdBasis.AREA)
    assert result.check(ThresholdStage.PARTICIPATION, ThresholdBasis.HEADS).passed
    assert area.bound == 200_000
    assert area.passed is passed
    assert area.margin == Fraction(area.numerator - 200_000)
    assert abs(area.margin) in {0, Fraction("0.01")}
    assert result.participation_met is passed


def test_exactly_two_thirds_passes_where_a_float_would_not() -> None:
    """Three flats of 85.40 m², two take part: exactly 2/3, which floats get wrong."""
    result = count(roll_of(["85.40"] * 3), Matter.PROPERTY_MANAGER, {0: FOR, 1: FOR})
    area = result.check(ThresholdStage.PARTICIPATION, ThresholdBasis.AREA)
    assert area.measured == Fraction(2, 3)
    assert area.passed
    assert not 85.40 + 85.40 >= (85.40 + 85.40 + 85.40) * 2 / 3  # what floats conclude


# --------------------------------------------------------------------------- consent


def test_three_quarters_of_participating_heads_at_below_and_above_for_item_seven() -> None:
    """Of 3,000 participants, 2,250 for is exactly 3/4 and passes; 2,249 is one short."""
    for in_favour, passed, short in ((2249, False, 1), (2250, True, 0), (2251, True, 0)):
        roll = roll_of(["100.00"] * in_favour + ["10.00"] * (3000 - in_favour))
        choices = {i: FOR if i < in_favour else AGAINST for i in range(3000)}
        result = count(roll, LIFT_INSTALLATION, choices)
        heads = result.check(ThresholdStage.CONSENT, ThresholdBasis.HEADS)
        assert result.check(ThresholdStage.CONSENT, ThresholdBasis.AREA).passed
        assert (heads.passed, heads.shortfall) == (passed, Fraction(short))
        assert result.passed is passed


@pytest.mark.parametrize(
    ("first_for", "first_against", "passed"),
    [("100.00", "300.00", True), ("99.99", "300.01", False), ("100.01", "299.99", True)],
)
def test_three_quarters_of_participating_area_at_below_and_above_for_item_six(
    first_for: str, first_against: str, passed: bool
) -> None:
    """2,700 for at 100 m² and 300 against at 300 m²: exactly 3/4 of the area; 0.01 decides."""
    areas = [first_for, *["100.00"] * 2699, first_against, *["300.00"] * 299]
    choices = {i: FOR if i < 2700 else AGAINST for i in range(3000)}
    result = count(roll_of(areas), Matter.RAISE_MAINTENANCE_FUND, choices)
    area = result.check(ThresholdStage.CONSENT, ThresholdBasis.AREA)
    assert result.check(ThresholdStage.CONSENT, ThresholdBasis.HEADS).passed
    assert area.bound == 270_000
    assert area.passed is passed
    assert result.outcome is (VoteOutcome.PASSED if passed else VoteOutcome.REJECTED)


def test_more_than_half_of_participating_heads_is_strict() -> None:
    """Of 3,000 participants, 1,500 for is exactly half and fails; 1,501 passes."""
    for in_favour, passed, short in ((1499, False, 2), (1500, False, 1), (1501, True, 0)):
        roll = roll_of(["100.00"] * in_favour + ["1.00"] * (3000 - in_favour))
        choices = {i: FOR if i < in_favour else AGAINST for i in range(3000)}
        result = count(roll, Matter.OWNERS_COMMITTEE, choices)
        heads = result.check(ThresholdStage.CONSENT, ThresholdBasis.HEADS)
        assert result.check(ThresholdStage.CONSENT, ThresholdBasis.AREA).passed
        assert (heads.passed, heads.shortfall) == (passed, Fraction(short))


@pytest.mark.parametrize(
    ("first_for", "first_against", "passed"),
    [("100.00", "900.00", False), ("99.99", "900.01", False), ("100.01", "899.99", True)],
)
def test_more_than_half_of_participating_area_is_strict(
    first_for: str, first_against: str, passed: bool
) -> None:
    """2,700 for at 100 m², 300 against at 900 m²: exactly half the area fails."""
    areas = [first_for, *["100.00"] * 2699, first_against, *["900.00"] * 299]
    choices = {i: FOR if i < 2700 else AGAINST for i in range(3000)}
    result = count(roll_of(areas), Matter.USE_MAINTENANCE_FUND, choices)
    area = result.check(ThresholdStage.CONSENT, ThresholdBasis.AREA)
    assert result.check(ThresholdStage.CONSENT, ThresholdBasis.HEADS).passed
    assert area.passed is passed
    assert result.passed is passed


def test_abstentions_take_part_but_do_not_consent() -> None:
    """Two for and one abstention: 2/3 of participants, short of 3/4 for item 7."""
    roll = roll_of(["100"] * 3)
    with_abstention = count(roll, LIFT_INSTALLATION, {0: FOR, 1: FOR, 2: ABSTAIN})
    assert with_abstention.participating_owners == 3
    assert with_abstention.participation_met
    assert with_abstention.owners[ABSTAIN] == 1
    assert with_abstention.area[ABSTAIN] == 100
    assert with_abstention.outcome is VoteOutcome.REJECTED
    two_of_three_silent = count(roll_of(["100"] * 3), Matter.OWNERS_COMMITTEE, {0: FOR, 1: FOR})
    assert two_of_three_silent.passed


def test_the_developer_votes_once_by_heads_with_all_its_area() -> None:
    """The developer's 40 unsold flats are one head and 4,000 m² of the base and the count."""
    parts = [flat(i) for i in range(4)]
    parts += [
        ExclusivePart(id=f"u{i}", status=PartStatus.UNSOLD, registered_area="100")
        for i in range(40)
    ]
    roll = OwnersRoll(parts, compound="c1", developer="dev")
    owners_vote = vote(roll, Matter.PROPERTY_MANAGER)
    owners_vote.cast(Ballot(id="d1", part="u0", voter="dev", choice=FOR, cast_at=OPENS))
    owners_vote.cast(Ballot(id="d2", part="u9", voter="dev", choice=FOR, cast_at=OPENS))
    for i in range(3):
        owners_vote.cast(ballot(i, AGAINST))
    result = owners_vote.close(CLOSES)
    assert (result.total_owners, result.total_area) == (5, Fraction(4400))
    assert (result.owners[FOR], result.area[FOR]) == (1, Fraction(4000))
    assert (result.owners[AGAINST], result.area[AGAINST]) == (3, Fraction(300))
    assert [b.id for b in result.superseded] == ["d2"]
    assert result.check(ThresholdStage.CONSENT, ThresholdBasis.AREA).passed
    assert not result.check(ThresholdStage.CONSENT, ThresholdBasis.HEADS).passed
    assert result.outcome is VoteOutcome.REJECTED


# --------------------------------------------------------------------------- ballots


def test_a_non_owner_is_refused_recorded_and_not_counted() -> None:
    """A tenant's ballot raises, is kept in ``refused``, and the count is unchanged."""
    owners_vote = vote(roll_of(["100"] * 3))
    owners_vote.cast(ballot(0, FOR))
    before = owners_vote.result()
    with pytest.raises(BallotRefused, match="not its owner") as refused:
        owners_vote.cast(ballot(1, FOR, voter="tenant"))
    assert refused.value.reason is BallotRefusal.NOT_AN_OWNER
    assert "投票人不是该专有部分的业主" in str(refused.value)
    assert isinstance(refused.value, ValueError)
    assert [r.ballot.voter for r in owners_vote.refused] == ["tenant"]
    after = owners_vote.result()
    assert after.counted == before.counted
    assert after.participating_owners == 1
    assert [r.reason for r in after.refused] == [BallotRefusal.NOT_AN_OWNER]


def test_the_buyer_of_an_undelivered_flat_is_told_the_developer_votes_for_it() -> None:
    """A sold but undelivered flat is the developer's to vote for (art. 9)."""
    part = ExclusivePart(
        id="s1", status=PartStatus.SOLD_UNDELIVERED, owners={"buyer"}, contract_area="90"
    )
    owners_vote = vote(OwnersRoll([part, flat(1)], compound="c1", developer="dev"))
    with pytest.raises(BallotRefused, match="developer votes") as refused:
        owners_vote.cast(Ballot(id="x", part="s1", voter="buyer", choice=FOR, cast_at=OPENS))
    assert refused.value.reason is BallotRefusal.NOT_AN_OWNER


@pytest.mark.parametrize(
    ("minutes", "reason"),
    [(-1, BallotRefusal.BEFORE_OPEN), (14 * 24 * 60, BallotRefusal.AFTER_CLOSE)],
)
def test_ballots_outside_the_voting_period_are_refused(minutes: int, reason: BallotRefusal) -> None:
    """A ballot a minute before the opening, or exactly at the close, does not count."""
    owners_vote = vote(roll_of(["100"]))
    with pytest.raises(BallotRefused) as refused:
        owners_vote.cast(ballot(0, FOR, minutes=minutes))
    assert refused.value.reason is reason
    assert owners_vote.result().participating_owners == 0


def test_an_unknown_part_and_a_reused_ballot_id_are_refused() -> None:
    """A ballot for a flat not on the roll, and a second ballot with a used id."""
    owners_vote = vote(roll_of(["100", "100"]))
    owners_vote.cast(ballot(0, FOR))
    refusals = owners_vote.cast_all(
        [ballot(0, AGAINST, part="p9", id="nowhere"), ballot(1, AGAINST, id="b0-60")]
    )
    assert [r.reason for r in refusals] == [BallotRefusal.UNKNOWN_PART, BallotRefusal.DUPLICATE_ID]
    assert owners_vote.result().owners[AGAINST] == 0


def test_closing_before_quorum_fails_for_lack_of_participation_with_the_shortfall() -> None:
    """Closed early with 1,200 of 3,000 owners: 800 owners and 80,000 m² short."""
    owners_vote = vote(roll_of(["100.00"] * 3000))
    owners_vote.cast_all(ballot(i, FOR) for i in range(1200))
    result = owners_vote.close(OPENS + timedelta(days=3))
    assert result.closed
    assert owners_vote.closes_at == OPENS + timedelta(days=3)
    assert result.outcome is VoteOutcome.INSUFFICIENT_PARTICIPATION
    assert not result.passed
    assert result.check(ThresholdStage.PARTICIPATION, ThresholdBasis.HEADS).shortfall == 800
    assert result.check(ThresholdStage.PARTICIPATION, ThresholdBasis.AREA).shortfall == 80_000
    assert "800 owners short" in result.summary_en
    assert "尚差 80,000.00 m²" in result.summary_zh
    assert "参与表决的业主未达法定比例" in result.summary_zh
    late = ballot(1500, FOR, minutes=4 * 24 * 60)
    with pytest.raises(BallotRefused, match="closed"):
        owners_vote.cast(late)


def test_paper_ballots_cast_before_the_close_may_be_entered_while_counting() -> None:
    """A ballot box emptied after the close still counts its ballots."""
    owners_vote = vote(roll_of(["100"] * 3))
    owners_vote.close(OPENS + timedelta(days=1))
    owners_vote.cast(ballot(0, FOR, channel=BallotChannel.OFFLINE))
    assert owners_vote.result().participating_owners == 1
    assert owners_vote.result().closed


def test_a_close_that_would_strand_ballots_or_repeat_is_refused() -> None:
    """Ballots cast after the instant, a second close, or a close after the plan: refused."""
    owners_vote = vote(roll_of(["100"] * 2))
    owners_vote.cast(ballot(0, FOR, minutes=120))
    with pytest.raises(CloseRefused, match="b0-120"):
        owners_vote.close(OPENS + timedelta(minutes=120))
    with pytest.raises(CloseRefused, match="runs from"):
        owners_vote.close(CLOSES + timedelta(seconds=1))
    assert not owners_vote.closed
    owners_vote.close(CLOSES)
    with pytest.raises(CloseRefused, match="already closed"):
        owners_vote.close(CLOSES)


def test_the_first_ballot_counts_by_default() -> None:
    """Paper practice: a ballot once in the box is not changed; the later one is set aside."""
    owners_vote = vote(roll_of(["100"] * 3))
    owners_vote.cast(ballot(0, AGAINST, minutes=90))
    owners_vote.cast(ballot(0, FOR, minutes=30))
    result = owners_vote.result()
    assert result.policy is RepeatBallotPolicy.FIRST_COUNTS
    assert [b.choice for b in result.counted] == [FOR]
    assert [b.id for b in result.superseded] == ["b0-90"]
    assert [o.name for o in result.conflicting] == ["o0"]


def test_the_last_ballot_before_the_close_counts_when_the_vote_declares_it() -> None:
    """Online practice: an owner may change the vote until the close."""
    owners_vote = vote(roll_of(["100"] * 3), policy=RepeatBallotPolicy.LAST_COUNTS)
    owners_vote.cast(ballot(0, AGAINST, minutes=90))
    owners_vote.cast(ballot(0, FOR, minutes=30))
    assert [b.choice for b in owners_vote.result().counted] == [AGAINST]


def test_online_and_paper_ballots_at_the_same_minute_are_ordered_paper_first() -> None:
    """A tie in time is broken by channel, so the result never depends on entry order."""
    online = ballot(0, FOR, id="on", platform="皖事通")
    paper = ballot(0, AGAINST, id="paper", channel=BallotChannel.OFFLINE)
    for order in ((online, paper), (paper, online)):
        first = vote(roll_of(["100"]))
        last = vote(roll_of(["100"]), policy=RepeatBallotPolicy.LAST_COUNTS)
        first.cast_all(order)
        last.cast_all(order)
        assert [b.id for b in first.result().counted] == ["paper"]
        assert [b.id for b in last.result().counted] == ["on"]


def test_conflicting_co_owners_follow_the_repeat_policy_and_are_listed() -> None:
    """Husband for, wife against, no one designated: one vote, the first; the clash shown."""
    roll = OwnersRoll([flat(1, "90", "li", "zhao"), flat(2)], compound="c1")
    owners_vote = vote(roll)
    owners_vote.cast(Ballot(id="a", part="p1", voter="li", choice=FOR, cast_at=OPENS))
    owners_vote.cast(
        Ballot(id="b", part="p1", voter="zhao", choice=AGAINST, cast_at=OPENS + timedelta(hours=1))
    )
    result = owners_vote.result()
    assert result.participating_owners == 1
    assert [b.voter for b in result.counted] == ["li"]
    assert [o.name for o in result.conflicting] == ["li+zhao"]


def test_only_the_designated_co_owner_may_vote_for_the_part() -> None:
    """With a representative named, another co-owner's ballot is refused."""
    part = ExclusivePart(
        id="p1", owners={"li", "zhao"}, registered_area="90", representative="zhao"
    )
    owners_vote = vote(OwnersRoll([part], compound="c1"))
    with pytest.raises(BallotRefused, match="designated") as refused:
        owners_vote.cast(Ballot(id="a", part="p1", voter="li", choice=FOR, cast_at=OPENS))
    assert refused.value.reason is BallotRefusal.NOT_REPRESENTATIVE
    owners_vote.cast(Ballot(id="b", part="p1", voter="zhao", choice=FOR, cast_at=OPENS))
    assert owners_vote.result().participating_owners == 1


def test_a_buyer_of_several_flats_votes_once_whichever_flat_is_named() -> None:
    """Ballots naming two of one buyer's flats are one owner's repeat ballots."""
    roll = OwnersRoll([flat(1, "90", "wang"), flat(2, "60", "wang"), flat(3)], compound="c1")
    owners_vote = vote(roll)
    owners_vote.cast(Ballot(id="a", part="p1", voter="wang", choice=FOR, cast_at=OPENS))
    owners_vote.cast(
        Ballot(id="b", part="p2", voter="wang", choice=FOR, cast_at=OPENS + timedelta(hours=1))
    )
    result = owners_vote.result()
    assert (result.owners[FOR], result.area[FOR]) == (1, Fraction(150))
    assert result.conflicting == ()
    assert [b.id for b in result.superseded] == ["b"]


# --------------------------------------------------------------------------- bad input


def test_a_bad_ballot_names_each_field() -> None:
    """Empty ids, a naive time and a string for the choice are all reported."""
    with pytest.raises(InvalidData) as refused:
        Ballot(
            id="",
            part="p1",
            voter="",
            choice="yes",  # type: ignore[arg-type]
            cast_at=datetime(2026, 3, 2, 9, 0),  # noqa: DTZ001 - naive on purpose
        )
    assert {p.path for p in refused.value.problems} == {"id", "voter", "choice", "cast_at"}


def test_a_bad_vote_names_each_field() -> None:
    """A float roll, an unknown matter and a close before the opening are reported."""
    with pytest.raises(InvalidData) as refused:
        OwnersVote(
            id="v",
            matter="lift",  # type: ignore[arg-type]
            roll=None,  # type: ignore[arg-type]
            opens_at=OPENS,
            closes_at=datetime(2026, 3, 2, 9, 0),  # noqa: DTZ001 - naive on purpose
        )
    assert {p.path for p in refused.value.problems} == {"matter", "roll", "closes_at"}
    with pytest.raises(InvalidData, match="after opens_at"):
        OwnersVote(
            id="v", matter=LIFT_INSTALLATION, roll=roll_of(["1"]), opens_at=CLOSES, closes_at=OPENS
        )


def test_messages_state_the_law_and_the_margin_in_both_languages() -> None:
    """Each check reads as a sentence with figures, share, verdict and margin."""
    result = count(
        roll_of(["100.00"] * 8),
        Matter.PROPERTY_MANAGER,
        dict.fromkeys(range(4), FOR) | {4: AGAINST, 5: AGAINST},
    )
    heads = result.check(ThresholdStage.CONSENT, ThresholdBasis.HEADS)
    assert heads.message_en == (
        "consent by owners: 4 of 6 owners (66.67%), more than 1/2 of the participants' "
        "required: passed, 0 owners over"
    )
    assert heads.message_zh == (
        "表示同意的人数 4人/6人（66.67%），须超过参与表决人数的半数：达到，富余 0人"
    )
    participation = result.check(ThresholdStage.PARTICIPATION, ThresholdBasis.AREA)
    assert participation.message_zh.endswith(
        "须达专有部分总面积的三分之二以上：达到，富余 66.67 m²"
    )
    assert result.summary_zh.startswith(
        "选聘和解聘物业服务企业或者其他管理人（民法典第二百七十八条第四项）：通过"
    )
    half = count(roll_of(["100.00"] * 2), Matter.PROPERTY_MANAGER, {0: FOR, 1: AGAINST})
    area = half.check(ThresholdStage.CONSENT, ThresholdBasis.AREA)
    assert area.message_en.endswith("failed, 0.00 m² short (it must exceed 100.00 m²)")
    assert area.message_zh.endswith("未达到，尚差 0.00 m²（须超过 100.00 m²）")
