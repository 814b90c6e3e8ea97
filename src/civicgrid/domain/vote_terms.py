"""The terms of an owners' vote (DOMAIN.md D9): the matters, choices, policies and labels.

The nine matters of Civil Code art. 278, ballot choices and channels, the repeat-ballot
policy, outcomes and threshold labels.
Each carries the law's Chinese wording or a Chinese label beside the English one;
:mod:`civicgrid.domain.votes` counts the ballots.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Final

from civicgrid.domain.labels import Labelled, register_labels

__all__ = [
    "LIFT_INSTALLATION",
    "BallotChannel",
    "BallotChoice",
    "BallotRefusal",
    "Matter",
    "RepeatBallotPolicy",
    "ThresholdBasis",
    "ThresholdStage",
    "VoteOutcome",
]


class Matter(Labelled):
    """The nine kinds of matter of Civil Code art. 278, para. 1, in the law's order."""

    RULES_OF_PROCEDURE = "rules_of_procedure"
    MANAGEMENT_STATUTE = "management_statute"
    OWNERS_COMMITTEE = "owners_committee"
    PROPERTY_MANAGER = "property_manager"
    USE_MAINTENANCE_FUND = "use_maintenance_fund"
    RAISE_MAINTENANCE_FUND = "raise_maintenance_fund"
    ALTER_OR_REBUILD = "alter_or_rebuild"
    SHARED_PARTS_USE = "shared_parts_use"
    OTHER_MAJOR_MATTER = "other_major_matter"

    @property
    def item(self) -> int:
        """The item number in art. 278, 1 to 9."""
        return _MATTERS.index(self) + 1

    @property
    def wording_zh(self) -> str:
        """The law's own words for the item (``改建、重建建筑物及其附属设施``)."""
        return _WORDING[self]

    @property
    def special(self) -> bool:
        """True for items 6 to 8, which need 3/4 of the participants' area and heads."""
        return 6 <= self.item <= 8

    @property
    def consent_required(self) -> Fraction:
        """The share of participants whose consent is needed: 3/4, or 1/2."""
        return Fraction(3, 4) if self.special else Fraction(1, 2)

    @property
    def consent_strict(self) -> bool:
        """True when consent must exceed the share (过半数), False when reaching it does."""
        return not self.special


LIFT_INSTALLATION: Final = Matter.ALTER_OR_REBUILD
"""Installing a lift (加装电梯) alters a building and its facilities: art. 278 item 7."""


class BallotChoice(Labelled):
    """What a ballot says: 同意, 反对 or 弃权."""

    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


class BallotChannel(Labelled):
    """How a ballot arrived: online (皖事通 and other platforms) or on paper."""

    OFFLINE = "offline"
    ONLINE = "online"


class RepeatBallotPolicy(Labelled):
    """Which ballot counts when one owner sends several (declared per vote)."""

    FIRST_COUNTS = "first_counts"
    LAST_COUNTS = "last_counts"


class BallotRefusal(Labelled):
    """Why a ballot was refused."""

    UNKNOWN_PART = "unknown_part"
    NOT_AN_OWNER = "not_an_owner"
    NOT_REPRESENTATIVE = "not_representative"
    BEFORE_OPEN = "before_open"
    AFTER_CLOSE = "after_close"
    DUPLICATE_ID = "duplicate_id"


class VoteOutcome(Labelled):
    """The result of a vote: passed, rejected, or not enough owners took part."""

    PASSED = "passed"
    REJECTED = "rejected"
    INSUFFICIENT_PARTICIPATION = "insufficient_participation"


class ThresholdStage(Labelled):
    """Which of the law's two tests a check belongs to."""

    PARTICIPATION = "participation"
    CONSENT = "consent"


class ThresholdBasis(Labelled):
    """What a check measures: floor area (m²) or owners (heads)."""

    AREA = "area"
    HEADS = "heads"


_MATTERS = tuple(Matter)
_WORDING: dict[Matter, str] = {
    Matter.RULES_OF_PROCEDURE: "制定和修改业主大会议事规则",
    Matter.MANAGEMENT_STATUTE: "制定和修改管理规约",
    Matter.OWNERS_COMMITTEE: "选举业主委员会或者更换业主委员会成员",
    Matter.PROPERTY_MANAGER: "选聘和解聘物业服务企业或者其他管理人",
    Matter.USE_MAINTENANCE_FUND: "使用建筑物及其附属设施的维修资金",
    Matter.RAISE_MAINTENANCE_FUND: "筹集建筑物及其附属设施的维修资金",
    Matter.ALTER_OR_REBUILD: "改建、重建建筑物及其附属设施",
    Matter.SHARED_PARTS_USE: "改变共有部分的用途或者利用共有部分从事经营活动",
    Matter.OTHER_MAJOR_MATTER: "有关共有和共同管理权利的其他重大事项",
}
_LABELS: dict[Labelled, tuple[str, str]] = {
    Matter.RULES_OF_PROCEDURE: ("业主大会议事规则", "rules of procedure of the owners' assembly"),
    Matter.MANAGEMENT_STATUTE: ("管理规约", "management statute"),
    Matter.OWNERS_COMMITTEE: ("选举或更换业主委员会", "electing or changing the owners' committee"),
    Matter.PROPERTY_MANAGER: (
        "选聘或解聘物业服务企业",
        "hiring or dismissing the property company",
    ),
    Matter.USE_MAINTENANCE_FUND: ("使用维修资金", "using the maintenance funds"),
    Matter.RAISE_MAINTENANCE_FUND: ("筹集维修资金", "raising maintenance funds"),
    Matter.ALTER_OR_REBUILD: ("改建、重建", "altering or rebuilding buildings and facilities"),
    Matter.SHARED_PARTS_USE: (
        "改变共有部分用途或经营",
        "changing the use of shared parts or running a business on them",
    ),
    Matter.OTHER_MAJOR_MATTER: ("其他重大事项", "other major matters of shared ownership"),
    BallotChoice.FOR: ("同意", "for"),
    BallotChoice.AGAINST: ("反对", "against"),
    BallotChoice.ABSTAIN: ("弃权", "abstain"),
    BallotChannel.OFFLINE: ("线下书面表决", "paper ballot"),
    BallotChannel.ONLINE: ("线上表决", "online ballot"),
    RepeatBallotPolicy.FIRST_COUNTS: ("以首次有效投票为准", "the first valid ballot counts"),
    RepeatBallotPolicy.LAST_COUNTS: (
        "以截止前最后一次有效投票为准",
        "the last valid ballot before the close counts",
    ),
    BallotRefusal.UNKNOWN_PART: ("专有部分不在业主名册中", "the part is not on the owners' roll"),
    BallotRefusal.NOT_AN_OWNER: ("投票人不是该专有部分的业主", "the voter is not its owner"),
    BallotRefusal.NOT_REPRESENTATIVE: (
        "该专有部分已指定其他共有人投票",
        "another co-owner is designated to vote for the part",
    ),
    BallotRefusal.BEFORE_OPEN: ("投票尚未开始", "the vote is not open yet"),
    BallotRefusal.AFTER_CLOSE: ("投票已截止", "the vote is closed"),
    BallotRefusal.DUPLICATE_ID: ("选票编号重复", "the ballot id is already used"),
    VoteOutcome.PASSED: ("通过", "passed"),
    VoteOutcome.REJECTED: ("未通过", "rejected"),
    VoteOutcome.INSUFFICIENT_PARTICIPATION: (
        "参与表决的业主未达法定比例",
        "not enough owners took part",
    ),
    ThresholdStage.PARTICIPATION: ("参与表决", "participation"),
    ThresholdStage.CONSENT: ("表示同意", "consent"),
    ThresholdBasis.AREA: ("专有部分面积", "area"),
    ThresholdBasis.HEADS: ("人数", "owners"),
}
register_labels(_LABELS)
_TWO_THIRDS = Fraction(2, 3)
_SHARE_ZH = {Fraction(2, 3): "三分之二", Fraction(3, 4): "四分之三", Fraction(1, 2): "半数"}
_NUMERALS_ZH = dict(enumerate("〇一二三四五六七八九"))
_CHANNEL_RANK = {BallotChannel.OFFLINE: 0, BallotChannel.ONLINE: 1}
