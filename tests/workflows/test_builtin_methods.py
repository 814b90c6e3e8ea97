"""The built-in methods: D1 Six Self (六自) and D2 Five Steps (五步议事法), end to end."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    BreachAction,
    Case,
    DeadlineStatus,
    Engine,
    EventKind,
    GuardRefused,
    LadderExhausted,
    ManualClock,
    Registry,
    RoleRefused,
)

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

SIX_SELF_ZH = ["自提", "自议", "自决", "自办", "自管", "自享"]
"""DOMAIN.md D1, in order."""
FIVE_STEPS_ZH = ["收集信息整理", "议题确认", "组织协商", "监督落实", "跟踪反馈"]
"""DOMAIN.md D2, in order."""

GRID_WORKER = Actor(id="grid-worker-1", roles={"grid_worker"})
DELIBERATOR = Actor(id="deliberator-1", roles={"deliberator"})
PROPERTY = Actor(id="property-1", roles={"property_company"})
PARTY_ORG = Actor(id="party-org-1", roles={"party_org"})


def status(case: Case, deadline: str) -> DeadlineStatus:
    """Return the status of one of the case's deadlines (read afresh on every call)."""
    return case.deadlines[deadline].status


def labels(case: Case) -> list[str]:
    """Return the Chinese labels of the steps a case has been in, in order, once each."""
    seen: list[str] = []
    for event in case.events:
        label = case.method.step(event.target).label_zh
        if not seen or seen[-1] != label:
            seen.append(label)
    return seen


# --------------------------------------------------------------------------- Six Self


def test_six_self_carries_the_labels_of_domain_d1(registry: Registry) -> None:
    """Six Self is D1, its six steps labelled 自提 自议 自决 自办 自管 自享 in order."""
    method = registry.methods["six_self"]
    assert (method.label_zh, method.label_en, method.source) == ("六自", "Six Self", "D1")
    assert [s.label_zh for s in method.steps[:6]] == SIX_SELF_ZH
    assert [s.key for s in method.steps if s.terminal] == ["enjoy", "declined"]
    assert method.initial == "propose"


def test_six_self_runs_end_to_end(
    engine: Engine, resident: Actor, council: Actor, clock: ManualClock
) -> None:
    """A resident's proposal goes 自提→自议→自决→自办→自管→自享, every deadline met."""
    case = engine.open("six_self", actor=resident, data={"topic": "楼道加装扶手"})
    assert case.current_step.label_zh == "自提"
    clock.advance(DAY)
    engine.fire(case, "table", council)
    assert case.current_step.label_zh == "自议"
    clock.advance(7 * DAY)
    engine.fire(case, "call_vote", council)
    assert case.current_step.label_zh == "自决"
    clock.advance(DAY)
    engine.fire(case, "adopt", council, data={"votes_for": 46, "votes_against": 3})
    assert case.current_step.label_zh == "自办"
    clock.advance(20 * DAY)
    engine.fire(case, "complete", resident)
    assert case.current_step.label_zh == "自管"
    clock.advance(30 * DAY)
    engine.fire(case, "share", council)
    assert case.current_step.label_zh == "自享"
    assert case.is_closed
    assert labels(case) == SIX_SELF_ZH
    assert case.allowed_triggers() == ()
    assert {k: s.status for k, s in case.deadlines.items()} == {
        "feedback": DeadlineStatus.MET,
        "decision": DeadlineStatus.MET,
    }
    assert engine.tick(MONDAY + 400 * DAY) == []
    assert [e.kind for e in case.events].count(EventKind.TRANSITION) == 5


def test_the_vote_needs_more_votes_for_than_against(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """自决 by show of hands: a tie, or votes that are not counts, are refused."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    engine.fire(case, "table", council, at=MONDAY + HOUR)
    engine.fire(case, "call_vote", council, at=MONDAY + 2 * HOUR)
    at = MONDAY + 3 * HOUR
    attempts: list[tuple[dict[str, object], str]] = [
        ({"votes_for": 10, "votes_against": 10}, "more votes for than against"),
        ({"votes_for": 10}, "data.votes_against must be a whole number"),
        ({"votes_for": True, "votes_against": 0}, "data.votes_for must be a whole number"),
        ({"votes_for": 3, "votes_against": -5}, "data.votes_against must be a whole number"),
        ({"votes_for": 3.5, "votes_against": 1}, "data.votes_for must be a whole number"),
    ]
    for votes, reason in attempts:
        with pytest.raises(GuardRefused, match=reason) as caught:
            engine.fire(case, "adopt", council, at=at, data=votes)
        assert caught.value.guard == "majority_in_favour"
    assert case.step == "decide"
    engine.fire(case, "adopt", council, at=at, data={"votes_for": 11, "votes_against": 10})
    assert case.step == "do"


def test_only_the_council_calls_and_counts_the_vote(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """The party organisation may table or decline, but only the council puts it to the vote."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    engine.fire(case, "table", PARTY_ORG, at=MONDAY + HOUR)
    with pytest.raises(RoleRefused):
        engine.fire(case, "call_vote", PARTY_ORG, at=MONDAY + HOUR)
    with pytest.raises(RoleRefused):
        engine.fire(case, "call_vote", resident, at=MONDAY + HOUR)
    engine.fire(case, "call_vote", council, at=MONDAY + HOUR)
    assert case.step == "decide"


@pytest.mark.parametrize("feedback", [None, "", "   ", 42])
def test_declining_needs_feedback_to_the_resident(
    engine: Engine, resident: Actor, council: Actor, feedback: object
) -> None:
    """Every matter gets feedback: declining without a written answer is refused."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    data: dict[str, object] | None = None if feedback is None else {"feedback": feedback}
    with pytest.raises(GuardRefused) as caught:
        engine.fire(case, "decline", council, at=MONDAY + HOUR, data=data)
    assert caught.value.guard == "feedback_given"
    assert case.step == "propose"


def test_a_proposal_may_be_declined_with_feedback(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """Declined with an answer, the case closes and the feedback deadline is met."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    answer = {"feedback": "属于物业维修范围，已转物业处理"}
    engine.fire(case, "decline", council, at=MONDAY + DAY, data=answer)
    event = case.events[-1]
    assert event.data == answer
    assert case.step == "declined"
    assert case.current_step.label_zh == "不予采纳（已反馈）"
    assert case.is_closed
    assert case.deadlines["feedback"].status is DeadlineStatus.MET


def test_a_discussed_topic_may_be_declined_or_rejected_with_feedback(
    engine: Engine, resident: Actor, council: Actor
) -> None:
    """Declining while discussing, and rejecting at the vote, both need feedback."""
    discussed = engine.open("six_self", actor=resident, at=MONDAY)
    engine.fire(discussed, "table", council, at=MONDAY + HOUR)
    engine.fire(discussed, "decline", council, at=MONDAY + DAY, data={"feedback": "条件不具备"})
    assert discussed.step == "declined"
    assert discussed.deadlines["decision"].status is DeadlineStatus.MET

    voted = engine.open("six_self", actor=resident, at=MONDAY)
    engine.fire(voted, "table", council, at=MONDAY + HOUR)
    engine.fire(voted, "call_vote", council, at=MONDAY + 2 * HOUR)
    with pytest.raises(GuardRefused, match="feedback"):
        engine.fire(voted, "reject", council, at=MONDAY + DAY)
    engine.fire(voted, "reject", council, at=MONDAY + DAY, data={"feedback": "表决未通过"})
    assert voted.step == "declined"


def test_an_untabled_proposal_breaches_its_feedback_deadline(
    engine: Engine, resident: Actor
) -> None:
    """Without an answer in five working days, the feedback deadline warns and breaches."""
    case = engine.open("six_self", actor=resident, at=MONDAY)
    definition = case.method.deadlines[0]
    assert (definition.key, definition.working_days, definition.warn_at) == ("feedback", 5, 0.8)
    events = engine.tick(MONDAY + 30 * DAY)
    assert [(e.kind, e.at) for e in events] == [
        (EventKind.WARNED, MONDAY + 4 * DAY),  # four working days: Friday 09:00
        (EventKind.BREACHED, MONDAY + 7 * DAY),  # five: the next Monday 09:00
    ]
    assert case.step == "propose"


# --------------------------------------------------------------------------- Five Steps


def test_five_steps_carries_the_labels_of_domain_d2(registry: Registry) -> None:
    """Five Steps is D2, its steps labelled as the Shushan document names them, in order."""
    method = registry.methods["five_steps"]
    assert (method.label_zh, method.source) == ("五步议事法", "D2")
    assert [s.label_zh for s in method.steps[:5]] == FIVE_STEPS_ZH
    assert [level.key for level in method.escalation] == ["compound", "community", "subdistrict"]
    assert [level.label_zh for level in method.escalation] == ["小区", "社区", "街道"]


def test_five_steps_runs_end_to_end_with_escalation(
    engine: Engine, resident: Actor, community: Actor
) -> None:
    """A topic is collected, confirmed, referred up to the subdistrict, agreed, done and closed."""
    case = engine.open("five_steps", actor=resident, at=MONDAY, data={"topic": "电动车充电"})
    assert case.level == "compound"
    engine.fire(case, "sort", GRID_WORKER, at=MONDAY + HOUR)
    engine.fire(case, "confirm", community, at=MONDAY + DAY)
    assert case.deadlines["confirmation"].status is DeadlineStatus.MET
    assert case.deadlines["consultation"].status is DeadlineStatus.RUNNING

    engine.fire(case, "refer_up", community, at=MONDAY + 2 * DAY)
    first = case.events[-1]
    assert (first.level, case.level, case.step) == ("community", "community", "consult")
    engine.fire(case, "refer_up", community, at=MONDAY + 3 * DAY)
    second = case.events[-1]
    assert (second.level, case.level) == ("subdistrict", "subdistrict")
    events = len(case.events)
    with pytest.raises(LadderExhausted):
        engine.fire(case, "refer_up", community, at=MONDAY + 4 * DAY)
    assert len(case.events) == events
    assert case.level == "subdistrict"
    # Referring up keeps the month of consultation running from when it started.
    assert case.deadlines["consultation"].started_at == MONDAY + DAY

    with pytest.raises(GuardRefused, match="agreement"):
        engine.fire(case, "agree", DELIBERATOR, at=MONDAY + 5 * DAY, data={"agreement": " "})
    engine.fire(case, "agree", DELIBERATOR, at=MONDAY + 5 * DAY, data={"agreement": "增设充电桩"})
    engine.fire(case, "implement", PROPERTY, at=MONDAY + 20 * DAY)
    with pytest.raises(GuardRefused, match="feedback"):
        engine.fire(case, "report_back", GRID_WORKER, at=MONDAY + 21 * DAY)
    engine.fire(case, "report_back", GRID_WORKER, at=MONDAY + 21 * DAY, data={"feedback": "已投用"})
    assert case.step == "closed"
    assert case.is_closed
    assert labels(case)[:5] == FIVE_STEPS_ZH
    assert labels(case)[5] == "办结"
    assert {k: s.status for k, s in case.deadlines.items()} == {
        "confirmation": DeadlineStatus.MET,
        "consultation": DeadlineStatus.MET,
        "report": DeadlineStatus.MET,
    }
    assert engine.tick(MONDAY + 400 * DAY) == []


def test_a_topic_may_be_dropped_with_feedback(engine: Engine, resident: Actor) -> None:
    """The community may drop a topic while collecting or confirming, with feedback only."""
    community = Actor(id="community-1", roles={"community"})
    case = engine.open("five_steps", actor=resident, at=MONDAY)
    engine.fire(case, "sort", GRID_WORKER, at=MONDAY + HOUR)
    with pytest.raises(GuardRefused):
        engine.fire(case, "drop", community, at=MONDAY + DAY)
    with pytest.raises(RoleRefused):
        engine.fire(case, "drop", GRID_WORKER, at=MONDAY + DAY, data={"feedback": "已答复"})
    engine.fire(case, "drop", community, at=MONDAY + DAY, data={"feedback": "不属于小区事务"})
    assert case.step == "dropped"
    assert case.deadlines["confirmation"].status is DeadlineStatus.MET


def test_the_consultation_deadline_escalates_when_breached(
    engine: Engine, resident: Actor, community: Actor
) -> None:
    """A month without agreement warns at 80%, then breaches and moves the case up a rung."""
    case = engine.open("five_steps", actor=resident, at=MONDAY)
    engine.fire(case, "sort", GRID_WORKER, at=MONDAY)
    start = MONDAY + DAY
    engine.fire(case, "confirm", community, at=start)
    rule = case.method.deadlines[1]
    assert (rule.key, rule.on_breach) == ("consultation", BreachAction.ESCALATE)
    due = datetime(2026, 12, 24, 9, 0, tzinfo=DEFAULT_TZ)  # one calendar month later
    assert case.deadlines["consultation"].due == due
    [warning] = engine.tick(due)
    [breach] = engine.tick(due + timedelta(seconds=1))
    assert (warning.kind, warning.at) == (EventKind.WARNED, start + (due - start) * 0.8)
    assert (breach.kind, breach.at, breach.trigger) == (EventKind.BREACHED, due, "consultation")
    assert breach.data == {"action": "escalate", "escalated": True}
    assert breach.level == case.level == "community"
    assert case.step == "consult"
    assert case == engine.replay(case.events, track=False)


def test_the_consultation_deadline_breaches_without_climbing_at_the_top(
    engine: Engine, resident: Actor, community: Actor
) -> None:
    """Referred up to the subdistrict, a late consultation breaches on the top rung."""
    case = engine.open("five_steps", actor=resident, at=MONDAY)
    engine.fire(case, "sort", GRID_WORKER, at=MONDAY)
    engine.fire(case, "confirm", community, at=MONDAY)
    engine.fire(case, "refer_up", community, at=MONDAY + DAY)
    engine.fire(case, "refer_up", community, at=MONDAY + 2 * DAY)
    events = engine.tick(MONDAY + 60 * DAY)
    [breach] = [e for e in events if e.kind is EventKind.BREACHED]
    assert breach.data == {"action": "escalate", "escalated": False}
    assert case.level == "subdistrict"


def test_a_dissatisfied_follow_up_goes_back_to_consultation(
    engine: Engine, resident: Actor, community: Actor
) -> None:
    """``reconsult`` returns to 组织协商, restarting the month and meeting the report deadline."""
    case = engine.open("five_steps", actor=resident, at=MONDAY)
    engine.fire(case, "sort", GRID_WORKER, at=MONDAY)
    engine.fire(case, "confirm", community, at=MONDAY + HOUR)
    engine.fire(case, "agree", community, at=MONDAY + DAY, data={"agreement": "错峰停车"})
    engine.fire(case, "implement", GRID_WORKER, at=MONDAY + 3 * DAY)
    assert status(case, "report") is DeadlineStatus.RUNNING
    first_consultation = case.deadlines["consultation"]
    assert first_consultation.status is DeadlineStatus.MET
    again = MONDAY + 4 * DAY
    engine.fire(case, "reconsult", community, at=again)
    assert case.step == "consult"
    assert case.current_step.label_zh == "组织协商"
    assert status(case, "report") is DeadlineStatus.MET
    restarted = case.deadlines["consultation"]
    assert restarted is not first_consultation
    assert restarted.status is DeadlineStatus.RUNNING
    assert restarted.started_at == again
    engine.fire(case, "agree", DELIBERATOR, at=again + DAY, data={"agreement": "划定专用车位"})
    engine.fire(case, "implement", PROPERTY, at=again + 2 * DAY)
    engine.fire(case, "report_back", community, at=again + 3 * DAY, data={"feedback": "已落实"})
    assert case.is_closed
    assert [e.trigger for e in case.events if e.kind is EventKind.TRANSITION].count("agree") == 2


def test_the_report_deadline_counts_two_working_days(
    engine: Engine, resident: Actor, community: Actor
) -> None:
    """Implemented on a Friday afternoon, the report back is due Tuesday afternoon."""
    case = engine.open("five_steps", actor=resident, at=MONDAY)
    engine.fire(case, "sort", GRID_WORKER, at=MONDAY)
    engine.fire(case, "confirm", community, at=MONDAY)
    engine.fire(case, "agree", community, at=MONDAY, data={"agreement": "同意"})
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=DEFAULT_TZ)
    engine.fire(case, "implement", PROPERTY, at=friday)
    assert case.deadlines["report"].due == datetime(2026, 12, 1, 15, 0, tzinfo=DEFAULT_TZ)


def test_both_methods_run_side_by_side_in_one_engine(engine: Engine) -> None:
    """One engine runs both deliberation methods on one kernel, beside the other built-ins."""
    assert {"six_self", "five_steps"} <= set(engine.methods)
    assert engine.compiled("six_self").method is engine.methods["six_self"]
