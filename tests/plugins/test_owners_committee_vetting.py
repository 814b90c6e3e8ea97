"""O6: the party organisation vets owners'-committee candidates at founding and re-election."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest

from civicgrid import (
    Actor,
    Case,
    Engine,
    GuardRefused,
    ManualClock,
    OpenRefused,
    Registry,
    RoleRefused,
    TriggerNotAllowed,
    load_registry,
)
from civicgrid.plugins.builtin.owners_committee_vetting import VettingOccasion

DAY = timedelta(days=1)

OWNERS = Actor(id="preparatory-group", roles={"owners"})
PARTY_ORG = Actor(id="community-party-committee", roles={"party_org"})
SUBDISTRICT = Actor(id="subdistrict-office", roles={"subdistrict_office"})

SLATE = ["owner-1", "owner-2", "owner-3", "owner-4", "owner-5"]
DECISION: Mapping[str, Any] = {
    "decision": "经社区党委会议研究，同意5名候选人",
    "reasons": ["真正代表居民利益", "有履职时间", "有履职能力"],
}


def steps_zh(case: Case) -> list[str]:
    """The Chinese labels of the steps the case entered, in order."""
    return [case.method.step(event.target).label_zh for event in case.events]


def submitted(engine: Engine, occasion: str = "founding") -> Case:
    """A slate nominated by the owners and submitted for vetting."""
    case = engine.open("owners_committee_vetting", actor=OWNERS)
    engine.fire(case, "submit", OWNERS, data={"occasion": occasion, "candidates": SLATE})
    return case


def test_the_method_carries_the_steps_of_o6(registry: Registry) -> None:
    """Nominated → 党组织把关 → approved, returned or rejected → published → elected."""
    method = registry.methods["owners_committee_vetting"]
    assert (method.label_zh, method.source) == ("业委会成立换届党组织把关", "O6")
    assert [s.label_zh for s in method.steps] == [
        "候选人提名",
        "党组织把关",
        "退回调整",
        "把关通过",
        "候选人公示",
        "选举产生",
        "未能选出",
        "不予通过",
        "撤回",
    ]
    assert {r.key: r.label_zh for r in method.roles} == {
        "party_org": "社区党组织",
        "owners": "业主（筹备组、换届小组、业主大会）",
        "subdistrict_office": "街道办事处",
    }
    assert method.deadlines == ()


def test_a_founding_slate_runs_to_election(engine: Engine, clock: ManualClock) -> None:
    """At founding: submitted, approved with reasons, published, elected."""
    case = submitted(engine)
    clock.advance(3 * DAY)
    engine.fire(case, "approve", PARTY_ORG, data=DECISION)
    engine.fire(case, "publish", OWNERS)
    clock.advance(15 * DAY)
    engine.fire(case, "elect", OWNERS, data={"elected": SLATE})
    assert steps_zh(case) == ["候选人提名", "党组织把关", "把关通过", "候选人公示", "选举产生"]
    assert case.is_closed
    approval = case.events[2]
    assert approval.actor == "community-party-committee"
    assert approval.data == DECISION


def test_a_returned_slate_is_resubmitted_and_keeps_its_occasion(engine: Engine) -> None:
    """At re-election the slate comes back once; the resubmission inherits the occasion."""
    case = submitted(engine, VettingOccasion.RE_ELECTION)
    returned = {"decision": "退回调整", "reasons": ["owner-3 长期欠缴物业费"]}
    engine.fire(case, "return", PARTY_ORG, data=returned)
    assert case.current_step.label_zh == "退回调整"
    engine.fire(case, "resubmit", OWNERS, data={"candidates": [*SLATE[:2], "owner-6"]})
    engine.fire(case, "approve", PARTY_ORG, data=DECISION)
    assert steps_zh(case) == ["候选人提名", "党组织把关", "退回调整", "党组织把关", "把关通过"]


def test_a_rejected_slate_ends_the_case(engine: Engine) -> None:
    """Rejection is recorded with its reasons and nothing can follow it."""
    case = submitted(engine)
    engine.fire(case, "reject", PARTY_ORG, data={"decision": "不予通过", "reasons": ["不符合条件"]})
    assert case.current_step.label_zh == "不予通过"
    assert case.is_closed
    with pytest.raises(TriggerNotAllowed):
        engine.fire(case, "publish", OWNERS)


def test_the_subdistrict_office_may_open_and_carry_a_founding(engine: Engine) -> None:
    """The subdistrict office convenes the founding: it opens, submits and publishes."""
    case = engine.open("owners_committee_vetting", actor=SUBDISTRICT, data={"occasion": "founding"})
    engine.fire(case, "submit", SUBDISTRICT, data={"candidates": SLATE})
    engine.fire(case, "approve", PARTY_ORG, data=DECISION)
    engine.fire(case, "publish", SUBDISTRICT)
    engine.fire(case, "fail_election", SUBDISTRICT)
    assert case.current_step.label_zh == "未能选出"
    assert case.is_closed


def test_a_slate_may_be_withdrawn_after_it_is_returned(engine: Engine) -> None:
    """The owners may give up a returned slate; the case ends as withdrawn."""
    case = submitted(engine)
    engine.fire(case, "return", PARTY_ORG, data={"decision": "退回", "reasons": ["人数不足"]})
    engine.fire(case, "withdraw", OWNERS)
    assert case.current_step.label_zh == "撤回"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (None, "data.decision must record"),
        ({"reasons": ["有履职能力"]}, "data.decision must record"),
        ({"decision": "  ", "reasons": ["有履职能力"]}, "data.decision must record"),
        ({"decision": "同意"}, "data.reasons must be a non-empty list"),
        ({"decision": "同意", "reasons": []}, "data.reasons must be a non-empty list"),
        ({"decision": "同意", "reasons": "有履职能力"}, "data.reasons must be a non-empty list"),
        ({"decision": "同意", "reasons": ["有履职能力", " "]}, "data.reasons must be"),
    ],
    ids=[
        "no-data",
        "no-decision",
        "blank-decision",
        "no-reasons",
        "empty-reasons",
        "reasons-as-one-string",
        "a-blank-reason",
    ],
)
@pytest.mark.parametrize("trigger", ["approve", "return", "reject"])
def test_a_decision_without_its_record_is_refused_and_changes_nothing(
    engine: Engine, trigger: str, data: Mapping[str, Any] | None, says: str
) -> None:
    """Approval, return and rejection all need the decision and its reasons."""
    case = submitted(engine)
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, trigger, PARTY_ORG, data=data)
    assert says in str(refused.value)
    assert "vetting_decision_recorded" in str(refused.value)
    assert case.current_step.label_zh == "党组织把关"
    assert len(case.events) == 2


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"candidates": SLATE}, "data.occasion must be one of 'founding', 're_election'"),
        ({"occasion": "annual", "candidates": SLATE}, "got 'annual'"),
        ({"occasion": "founding"}, "data.candidates must be a non-empty list"),
        ({"occasion": "founding", "candidates": []}, "data.candidates must be"),
        ({"occasion": "founding", "candidates": "owner-1"}, "data.candidates must be"),
        ({"occasion": "founding", "candidates": ["owner-1", "owner-1"]}, "names a candidate twice"),
    ],
    ids=["no-occasion", "unknown-occasion", "no-candidates", "empty", "one-string", "twice"],
)
def test_a_slate_without_occasion_or_candidates_is_refused(
    engine: Engine, data: Mapping[str, Any], says: str
) -> None:
    """Submission names when and whom; the refusal names the field and nothing moves."""
    case = engine.open("owners_committee_vetting", actor=OWNERS)
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "submit", OWNERS, data=data)
    assert says in str(refused.value)
    assert case.step == "nominated"
    assert len(case.events) == 1


def test_a_resubmission_may_not_change_the_occasion(engine: Engine) -> None:
    """A founding slate does not become a re-election slate on its way back."""
    case = submitted(engine, "founding")
    engine.fire(case, "return", PARTY_ORG, data={"decision": "退回", "reasons": ["补充材料"]})
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "resubmit", OWNERS, data={"occasion": "re_election", "candidates": SLATE})
    assert "与此前提交的 'founding' 不一致" in str(refused.value)
    assert case.step == "returned"


def test_only_the_party_organisation_decides(engine: Engine) -> None:
    """The owners cannot approve their own slate, and the party organisation does not publish."""
    case = submitted(engine)
    with pytest.raises(RoleRefused):
        engine.fire(case, "approve", OWNERS, data=DECISION)
    assert case.step == "review"
    engine.fire(case, "approve", PARTY_ORG, data=DECISION)
    with pytest.raises(RoleRefused):
        engine.fire(case, "publish", PARTY_ORG)
    assert case.step == "approved"


def test_the_party_organisation_does_not_nominate(engine: Engine) -> None:
    """Cases are opened by the owners or the subdistrict office, never by the vetting body."""
    with pytest.raises(OpenRefused):
        engine.open("owners_committee_vetting", actor=PARTY_ORG)


def test_occasions_carry_their_labels() -> None:
    """成立 founding and 换届 re-election."""
    assert [(o.value, o.label_zh, o.label_en) for o in VettingOccasion] == [
        ("founding", "成立", "founding"),
        ("re_election", "换届", "re-election"),
    ]


def test_blocking_the_plugin_removes_the_method_and_its_guards() -> None:
    """A city with its own vetting rules blocks the built-in by name."""
    registry = load_registry(entry_points=False, blocked=["civicgrid.owners_committee_vetting"])
    assert "owners_committee_vetting" not in registry.methods
    assert "candidates_submitted" not in registry.guards
    assert "vetting_decision_recorded" not in registry.guards
