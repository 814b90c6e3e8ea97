"""Owners' votes under Civil Code art. 278 (DOMAIN.md D9): the thresholds, exactly.

民法典第二百七十八条 lists the nine matters owners decide together (:class:`Matter`) and says:

    业主共同决定事项，应当由专有部分面积占比三分之二以上的业主且人数占比三分之二以上的业主
    参与表决。决定前款第六项至第八项规定的事项，应当经参与表决专有部分面积四分之三以上的业主
    且参与表决人数四分之三以上的业主同意。决定前款其他事项，应当经参与表决专有部分面积过半数
    的业主且参与表决人数过半数的业主同意。

Four checks follow (:class:`ThresholdCheck`), each on area and on heads counted as the SPC
interpretation's arts. 8 and 9 say (:mod:`civicgrid.domain.ownership`):

- participation: at least 2/3 of the total area and at least 2/3 of all owners take part
  (以上 includes the bound);
- consent, items 6–8 (raising maintenance funds, altering or rebuilding — lift installation
  is item 7 — and changing the use of shared parts): at least 3/4 of the *participating* area
  and at least 3/4 of the *participating* owners;
- consent, the other items: more than half of each (过半数 is strictly more).

All arithmetic is :class:`~fractions.Fraction`; nothing is rounded except for display.

Ballot handling, each a declared rule:

- **Abstentions** (弃权) take part but do not consent. The law counts consent among "参与表决"
  owners, so an abstention weighs in the consent checks like a vote against. Owners who send
  no ballot are not counted at all: no "从众" or silence-follows-the-majority rule, which would
  count owners who never took part.
- **Repeat ballots** from one owner (the same person again, a co-owner of the same part, or
  the holder of several parts naming another of them) are settled by
  :class:`RepeatBallotPolicy`. The default, ``FIRST_COUNTS``, follows paper practice, as
  owners' assemblies' voting rules commonly put it: "选票一经投入投票箱，不得再进行任何更改";
  ``LAST_COUNTS`` suits platforms (皖事通 and others) that let an owner change the vote
  before the close. Ties in time are broken by channel (offline
  first), voter, choice and ballot id, so the count never depends on the order of entry.
- **Refusals** (:class:`BallotRefused`, raised and kept in :attr:`OwnersVote.refused`): an
  unknown part, a non-owner (a tenant, or the buyer of an undelivered part, which the developer
  votes for), a co-owner other than the designated representative, a ballot cast before the
  opening or at or after the close, and a ballot id already used. A refused ballot changes no
  count.
- **Closing** (:meth:`OwnersVote.close`) fixes the close instant; a vote closed without enough
  participation ends :attr:`VoteOutcome.INSUFFICIENT_PARTICIPATION`, the checks saying how
  many m² and owners were missing. Paper ballots cast before the close may still be entered
  while they are counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction
from types import MappingProxyType

import attrs

from civicgrid.domain.ownership import CountedOwner, OwnersRoll, UnknownPart
from civicgrid.domain.time import require_aware
from civicgrid.domain.vote_terms import (
    _CHANNEL_RANK,
    _NUMERALS_ZH,
    _SHARE_ZH,
    _TWO_THIRDS,
    BallotChannel,
    BallotChoice,
    BallotRefusal,
    Matter,
    RepeatBallotPolicy,
    ThresholdBasis,
    ThresholdStage,
    VoteOutcome,
)
from civicgrid.errors import CivicGridError, InvalidData, NaiveDatetimeError, Problem

__all__ = [
    "Ballot",
    "BallotRefused",
    "CloseRefused",
    "OwnersVote",
    "RefusedBallot",
    "ThresholdCheck",
    "VoteResult",
]


# --------------------------------------------------------------------------- ballots


@attrs.frozen(kw_only=True)
class Ballot:
    """One ballot: who cast it, for which exclusive part, what it says, when and how.

    ``part`` names the exclusive part voted for (any of them, for an owner of several);
    ``voter`` is the person casting it (the developer's id for its parts). ``platform`` names
    the online platform (``"皖事通"``) or the ballot box.
    """

    id: str
    part: str
    voter: str
    choice: BallotChoice
    cast_at: datetime
    channel: BallotChannel = BallotChannel.ONLINE
    platform: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("id", "part", "voter"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(field, "must be a non-empty string"))
        for field, kind in (("choice", BallotChoice), ("channel", BallotChannel)):
            value = getattr(self, field)
            if not isinstance(value, kind):
                problems.append(Problem(field, f"must be a {kind.__name__}, not {value!r}"))
        cast_at: object = self.cast_at
        if not isinstance(cast_at, datetime):
            problems.append(Problem("cast_at", f"must be a datetime, not {cast_at!r}"))
        else:
            try:
                require_aware(cast_at, "cast_at")
            except NaiveDatetimeError as error:
                problems.append(Problem("cast_at", error.message_en))
        if problems:
            raise InvalidData(f"ballot {self.id!r}", problems)

    def _order(self) -> tuple[datetime, int, str, str, str]:
        return (self.cast_at, _CHANNEL_RANK[self.channel], self.voter, self.choice, self.id)


@attrs.frozen(kw_only=True)
class RefusedBallot:
    """A refused ballot kept for the record, with the reason."""

    ballot: Ballot
    reason: BallotRefusal
    detail: str = ""


class BallotRefused(CivicGridError, ValueError):
    """A ballot was refused; the count is as it was. ``reason`` says why."""

    def __init__(self, vote: str, ballot: Ballot, reason: BallotRefusal, detail: str = "") -> None:
        self.vote = vote
        self.ballot = ballot
        self.reason = reason
        self.detail = detail
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"vote {vote!r}: ballot {ballot.id!r} by {ballot.voter!r} for part {ballot.part!r} "
            f"refused: {reason.label_en}{extra}",
            f"表决 {vote!r}：{ballot.voter!r} 为专有部分 {ballot.part!r} 投出的选票 "
            f"{ballot.id!r} 无效：{reason.label_zh}",
        )


class CloseRefused(CivicGridError, ValueError):
    """A vote cannot be closed at that instant; it is as it was."""

    def __init__(self, vote: str, at: datetime, message_en: str, message_zh: str) -> None:
        self.vote = vote
        self.at = at
        super().__init__(
            f"vote {vote!r} cannot close at {at.isoformat()}: {message_en}",
            f"表决 {vote!r} 不能于 {at.isoformat()} 截止：{message_zh}",
        )


# --------------------------------------------------------------------------- thresholds


def _fixed(value: Fraction, rounding: str = ROUND_HALF_UP) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{exact.quantize(Decimal('0.01'), rounding=rounding):,}"


@attrs.frozen(kw_only=True)
class ThresholdCheck:
    """One of the four checks: ``numerator / denominator`` against the ``required`` share.

    ``strict`` is True for 过半数 (more than half), False for 以上 (the bound itself passes).
    :attr:`margin` is how far the numerator lies from the bound (m² or owners; negative when
    short); :attr:`shortfall` how much more is needed (whole owners for heads: one more than
    half of 8 is 5, so 4 of 8 is one short).
    """

    stage: ThresholdStage
    basis: ThresholdBasis
    numerator: Fraction
    denominator: Fraction
    required: Fraction
    strict: bool

    @property
    def measured(self) -> Fraction:
        """The share reached (0 when nobody is in the base)."""
        return self.numerator / self.denominator if self.denominator else Fraction(0)

    @property
    def bound(self) -> Fraction:
        """``required × denominator``: the amount to reach (or, when strict, to exceed)."""
        return self.required * self.denominator

    @property
    def passed(self) -> bool:
        """Whether the check is met; never when nobody is in the base (no one consented)."""
        if not self.denominator:
            return False
        return self.numerator > self.bound if self.strict else self.numerator >= self.bound

    @property
    def margin(self) -> Fraction:
        """``numerator − bound``: positive (or, unless strict, zero) when passed."""
        return self.numerator - self.bound

    @property
    def least(self) -> Fraction:
        """The least passing amount for heads; the bound itself for area."""
        if self.basis is ThresholdBasis.AREA:
            return self.bound
        least = math.floor(self.bound) + 1 if self.strict else math.ceil(self.bound)
        return Fraction(max(least, 1))

    @property
    def shortfall(self) -> Fraction:
        """How much more is needed: whole owners for heads, m² for area (more than, if strict)."""
        return max(self.least - self.numerator, Fraction(0))

    def _figure(self, value: Fraction, *, up: bool = False) -> str:
        if self.basis is ThresholdBasis.HEADS:
            return str(value)
        return _fixed(value, ROUND_CEILING if up else ROUND_HALF_UP)

    def _texts(self) -> tuple[str, str, str, str]:
        unit_en, unit_zh = ("owners", "人") if self.basis is ThresholdBasis.HEADS else ("m²", " m²")
        over = self._figure(self.numerator - self.least)
        short = self._figure(self.shortfall, up=True)
        if self.passed:
            return f"passed, {over} {unit_en} over", f"达到，富余 {over}{unit_zh}", "", ""
        if self.strict and self.basis is ThresholdBasis.AREA:  # 过半数: half is not enough
            bound = self._figure(self.bound)
            return (
                f"failed, {short} {unit_en} short",
                f"未达到，尚差 {short}{unit_zh}",
                f" (it must exceed {bound} m²)",
                f"（须超过 {bound} m²）",
            )
        return f"failed, {short} {unit_en} short", f"未达到，尚差 {short}{unit_zh}", "", ""

    @property
    def message_en(self) -> str:
        """The check in English, with the figures and the margin."""
        unit = "owners" if self.basis is ThresholdBasis.HEADS else "m²"
        base = "the participants'" if self.stage is ThresholdStage.CONSENT else "the total"
        share = f"{'more than' if self.strict else 'at least'} {self.required} of {base}"
        verdict, _, note, _ = self._texts()
        return (
            f"{self.stage.label_en} by {self.basis.label_en}: {self._figure(self.numerator)} of "
            f"{self._figure(self.denominator)} {unit} ({_fixed(self.measured * 100)}%), "
            f"{share} required: {verdict}{note}"
        )

    @property
    def message_zh(self) -> str:
        """The check in Chinese, with the figures and the margin, in the law's words."""
        unit = "人" if self.basis is ThresholdBasis.HEADS else " m²"
        base = "参与表决" if self.stage is ThresholdStage.CONSENT else ""
        measure = ("总人数", "专有部分总面积") if not base else ("人数", "专有部分面积")
        what = f"{base}{measure[self.basis is ThresholdBasis.AREA]}的{_SHARE_ZH[self.required]}"
        rule = f"须超过{what}" if self.strict else f"须达{what}以上"
        _, verdict, _, note = self._texts()
        return (
            f"{self.stage.label_zh}的{self.basis.label_zh} {self._figure(self.numerator)}{unit}/"
            f"{self._figure(self.denominator)}{unit}（{_fixed(self.measured * 100)}%），"
            f"{rule}：{verdict}{note}"
        )


@attrs.frozen(kw_only=True)
class VoteResult:
    """The count of a vote: every figure, the four checks and the outcome.

    ``area`` and ``owners`` give the area and heads per choice among the owners who took
    part. ``closed`` is False for a provisional count. ``counted`` are the ballots that count
    (one per owner who took part), ``superseded`` those set aside by the repeat-ballot policy,
    ``conflicting`` the owners whose own ballots disagreed, ``refused`` the refused ballots.
    """

    vote: str
    matter: Matter
    policy: RepeatBallotPolicy
    closed: bool
    total_area: Fraction
    total_owners: int
    area: Mapping[BallotChoice, Fraction]
    owners: Mapping[BallotChoice, int]
    checks: tuple[ThresholdCheck, ...]
    counted: tuple[Ballot, ...]
    superseded: tuple[Ballot, ...]
    conflicting: tuple[CountedOwner, ...]
    refused: tuple[RefusedBallot, ...]

    @property
    def participating_area(self) -> Fraction:
        """The area of the owners who took part (for, against and abstaining)."""
        return sum(self.area.values(), Fraction(0))

    @property
    def participating_owners(self) -> int:
        """How many owners took part."""
        return sum(self.owners.values())

    @property
    def participation_met(self) -> bool:
        """Whether both participation checks pass."""
        return all(c.passed for c in self.checks if c.stage is ThresholdStage.PARTICIPATION)

    @property
    def outcome(self) -> VoteOutcome:
        """Passed only when all four checks pass; participation is judged first."""
        if not self.participation_met:
            return VoteOutcome.INSUFFICIENT_PARTICIPATION
        return VoteOutcome.PASSED if all(c.passed for c in self.checks) else VoteOutcome.REJECTED

    @property
    def passed(self) -> bool:
        """Whether the matter was decided."""
        return self.outcome is VoteOutcome.PASSED

    @property
    def failed(self) -> tuple[ThresholdCheck, ...]:
        """The checks that failed."""
        return tuple(c for c in self.checks if not c.passed)

    def check(self, stage: ThresholdStage, basis: ThresholdBasis) -> ThresholdCheck:
        """Return the check of this stage on this basis."""
        return next(c for c in self.checks if c.stage is stage and c.basis is basis)

    @property
    def summary_en(self) -> str:
        """The outcome and the four checks, one per line, in English."""
        head = f"{self.matter.label_en} (art. 278 item {self.matter.item}): {self.outcome.label_en}"
        return "\n".join([head, *(c.message_en for c in self.checks)])

    @property
    def summary_zh(self) -> str:
        """The outcome and the four checks, one per line, in Chinese."""
        item = f"民法典第二百七十八条第{_NUMERALS_ZH[self.matter.item]}项"
        head = f"{self.matter.wording_zh}（{item}）：{self.outcome.label_zh}"
        return "\n".join([head, *(c.message_zh for c in self.checks)])


# --------------------------------------------------------------------------- the vote


class OwnersVote:
    """One owners' vote on one matter, over a compound's roll, between two instants.

    The vote is open from ``opens_at`` (inclusive) to ``closes_at`` (exclusive). :meth:`cast`
    records a ballot or raises :class:`BallotRefused` (kept in :attr:`refused`);
    :meth:`result` counts at any time, :meth:`close` fixes the close (earlier than planned,
    if the organisers end it) and returns the final count.
    """

    __slots__ = (
        "_by_owner",
        "_closed",
        "_closes_at",
        "_ids",
        "_refused",
        "id",
        "matter",
        "opens_at",
        "policy",
        "roll",
        "title_zh",
    )

    def __init__(
        self,
        *,
        id: str,
        matter: Matter,
        roll: OwnersRoll,
        opens_at: datetime,
        closes_at: datetime,
        policy: RepeatBallotPolicy = RepeatBallotPolicy.FIRST_COUNTS,
        title_zh: str = "",
    ) -> None:
        problems: list[Problem] = []
        # Typed arguments, but data from outside may not follow the types: check as objects.
        given: dict[str, object] = {"id": id, "matter": matter, "roll": roll, "policy": policy}
        if not isinstance(given["id"], str) or not id:
            problems.append(Problem("id", "must be a non-empty string"))
        for field, kind in (
            ("matter", Matter),
            ("roll", OwnersRoll),
            ("policy", RepeatBallotPolicy),
        ):
            if not isinstance(given[field], kind):
                problems.append(Problem(field, f"must be a {kind.__name__}, not {given[field]!r}"))
        instants: dict[str, object] = {"opens_at": opens_at, "closes_at": closes_at}
        for field, value in instants.items():
            if not isinstance(value, datetime) or value.utcoffset() is None:
                problems.append(Problem(field, "must be a timezone-aware datetime"))
        if not problems and closes_at <= opens_at:
            problems.append(Problem("closes_at", "must be after opens_at"))
        if problems:
            raise InvalidData(f"owners' vote {id!r}", problems)
        self.id = id
        self.matter = matter
        self.roll = roll
        self.opens_at = opens_at
        self._closes_at = closes_at
        self.policy = policy
        self.title_zh = title_zh
        self._closed = False
        self._by_owner: dict[int, list[Ballot]] = {}
        self._ids: set[str] = set()
        self._refused: list[RefusedBallot] = []

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<OwnersVote {self.id!r} {self.matter} {state}: {len(self._ids)} ballots>"

    @property
    def closes_at(self) -> datetime:
        """The close instant: planned, or the one :meth:`close` fixed."""
        return self._closes_at

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    @property
    def refused(self) -> tuple[RefusedBallot, ...]:
        """The refused ballots, in the order they arrived."""
        return tuple(self._refused)

    def _refuse(self, ballot: Ballot, reason: BallotRefusal, detail: str = "") -> BallotRefused:
        self._refused.append(RefusedBallot(ballot=ballot, reason=reason, detail=detail))
        return BallotRefused(self.id, ballot, reason, detail)

    def cast(self, ballot: Ballot) -> None:
        """Record a ballot, or raise :class:`BallotRefused` (recorded in :attr:`refused`)."""
        if ballot.id in self._ids:
            raise self._refuse(ballot, BallotRefusal.DUPLICATE_ID)
        if ballot.cast_at < self.opens_at:
            raise self._refuse(ballot, BallotRefusal.BEFORE_OPEN, self.opens_at.isoformat())
        if ballot.cast_at >= self._closes_at:
            raise self._refuse(ballot, BallotRefusal.AFTER_CLOSE, self._closes_at.isoformat())
        try:
            position = self.roll.owner_index(ballot.part)
        except UnknownPart:
            raise self._refuse(ballot, BallotRefusal.UNKNOWN_PART) from None
        owner = self.roll.owners[position]
        if ballot.voter not in owner.holders:
            part = self.roll.part(ballot.part)
            detail = ""
            if part.status.developer_held and ballot.voter in part.owners:
                detail = f"{part.status.label_en}: the developer votes for it"
            raise self._refuse(ballot, BallotRefusal.NOT_AN_OWNER, detail)
        if not owner.may_cast(ballot.voter):
            raise self._refuse(
                ballot, BallotRefusal.NOT_REPRESENTATIVE, f"designated: {owner.representative}"
            )
        self._ids.add(ballot.id)
        self._by_owner.setdefault(position, []).append(ballot)

    def cast_all(self, ballots: Iterable[Ballot]) -> tuple[BallotRefused, ...]:
        """Cast each ballot; return the refusals instead of raising (each also recorded)."""
        refusals: list[BallotRefused] = []
        for ballot in ballots:
            try:
                self.cast(ballot)
            except BallotRefused as refusal:
                refusals.append(refusal)
        return tuple(refusals)

    def close(self, at: datetime) -> VoteResult:
        """Close the vote at ``at`` (no later than planned) and return the final count.

        Raises :class:`CloseRefused` when already closed, when ``at`` is before the opening or
        after the planned close, or when a recorded ballot was cast at or after ``at``.
        """
        require_aware(at, "at")
        if self._closed:
            raise CloseRefused(self.id, at, "it is already closed", "表决已截止")
        if not self.opens_at <= at <= self._closes_at:
            raise CloseRefused(
                self.id,
                at,
                f"it runs from {self.opens_at.isoformat()} to {self._closes_at.isoformat()}",
                f"表决期间为 {self.opens_at.isoformat()} 至 {self._closes_at.isoformat()}",
            )
        late = [b.id for ballots in self._by_owner.values() for b in ballots if b.cast_at >= at]
        if late:
            raise CloseRefused(
                self.id,
                at,
                f"ballots {', '.join(sorted(late))} were cast at or after it",
                f"选票 {'、'.join(sorted(late))} 的投票时间不早于该时刻",
            )
        self._closes_at = at
        self._closed = True
        return self.result()

    def result(self) -> VoteResult:
        """Count the ballots recorded so far (final once :meth:`close` was called)."""
        area = dict.fromkeys(BallotChoice, Fraction(0))
        heads = dict.fromkeys(BallotChoice, 0)
        counted: list[Ballot] = []
        superseded: list[Ballot] = []
        conflicting: list[CountedOwner] = []
        owners = self.roll.owners
        pick = min if self.policy is RepeatBallotPolicy.FIRST_COUNTS else max
        for position in sorted(self._by_owner):
            ballots = self._by_owner[position]
            chosen = pick(ballots, key=Ballot._order)
            counted.append(chosen)
            if len(ballots) > 1:
                superseded.extend(b for b in ballots if b is not chosen)
                if len({b.choice for b in ballots}) > 1:
                    conflicting.append(owners[position])
            area[chosen.choice] += owners[position].area
            heads[chosen.choice] += 1
        took_area = sum(area.values(), Fraction(0))
        took = Fraction(sum(heads.values()))
        need, strict = self.matter.consent_required, self.matter.consent_strict
        yes_area, yes_heads = area[BallotChoice.FOR], Fraction(heads[BallotChoice.FOR])
        part, yes = ThresholdStage.PARTICIPATION, ThresholdStage.CONSENT
        by_area, by_heads = ThresholdBasis.AREA, ThresholdBasis.HEADS
        checks = (
            ThresholdCheck(
                stage=part,
                basis=by_area,
                numerator=took_area,
                denominator=self.roll.total_area,
                required=_TWO_THIRDS,
                strict=False,
            ),
            ThresholdCheck(
                stage=part,
                basis=by_heads,
                numerator=took,
                denominator=Fraction(self.roll.total_owners),
                required=_TWO_THIRDS,
                strict=False,
            ),
            ThresholdCheck(
                stage=yes,
                basis=by_area,
                numerator=yes_area,
                denominator=took_area,
                required=need,
                strict=strict,
            ),
            ThresholdCheck(
                stage=yes,
                basis=by_heads,
                numerator=yes_heads,
                denominator=took,
                required=need,
                strict=strict,
            ),
        )
        return VoteResult(
            vote=self.id,
            matter=self.matter,
            policy=self.policy,
            closed=self._closed,
            total_area=self.roll.total_area,
            total_owners=self.roll.total_owners,
            area=MappingProxyType(area),
            owners=MappingProxyType(heads),
            checks=checks,
            counted=tuple(counted),
            superseded=tuple(sorted(superseded, key=Ballot._order)),
            conflicting=tuple(conflicting),
            refused=tuple(sorted(self._refused, key=lambda r: r.ballot._order())),
        )
