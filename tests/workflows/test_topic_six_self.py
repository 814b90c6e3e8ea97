"""A topic walks Six Self (D1) from 自提 to 自享, decided by vote on the 爱邻议事日.

The topic is admitted by Chenghua's rules (D5), deliberated at a three-party meeting held on
the 20th (D3, D7), adopted by vote in the decide step through ``majority_in_favour``, and the
meeting's follow-up items arrive at a :class:`~civicgrid.RequestDesk` as requests.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from civicgrid import (
    THREE_PARTY_QUORUM,
    Actor,
    Channel,
    DeadlineStatus,
    Decision,
    DecisionOutcome,
    Engine,
    FollowUp,
    FollowUpKind,
    GuardRefused,
    ManualClock,
    Meeting,
    Minutes,
    Participant,
    Party,
    ProposerKind,
    Registry,
    RequestDesk,
    Topic,
)
from civicgrid.domain.admissibility import CHENGHUA_TOPIC_RULES, Handling, TopicOutsideRules
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.workflows.meeting_days import AILIN_DELIBERATION_DAY

RAISED = datetime(2026, 11, 3, 20, 15, tzinfo=DEFAULT_TZ)
SIX_SELF_ZH = ["自提", "自议", "自决", "自办", "自管", "自享"]

RESIDENT = Actor(id="resident-7", roles={"resident"})
COUNCIL = Actor(id="council-1", roles={"council"})
PARTY_ORG = Actor(id="party-org-1", roles={"party_org"})
COMMUNITY = Actor(id="community-1", roles={"community"})

TOPIC = Topic(
    id="topic-2026-11-007",
    title="3栋楼下建设电动自行车集中充电棚",
    unit="compound-guanjiayuan",
    category="non_motor_vehicles",
    raised_by="resident-7",
    proposer=ProposerKind.RESIDENT,
    raised_at=RAISED,
    description="电动车在楼道充电有火灾隐患，提议建设集中充电棚",
)

DELIBERATORS = [Participant(id=f"deliberator-{n}", party=Party.DELIBERATOR) for n in range(1, 8)]
TABLE = [
    Participant(id="rc-guanjiayuan", party=Party.RESIDENTS_COMMITTEE, organisation="rc"),
    Participant(id="oc-guanjiayuan", party=Party.OWNERS_COMMITTEE, organisation="oc"),
    Participant(id="pc-guanjiayuan", party=Party.PROPERTY_COMPANY, organisation="pc"),
    *DELIBERATORS,
]

DECISION = Decision(
    topic=TOPIC.id,
    outcome=DecisionOutcome.ADOPTED,
    text="同意在3栋北侧空地建设充电棚，费用由公共收益列支",
    votes_for=8,
    votes_against=1,
    abstentions=1,
    follow_ups=[
        FollowUp(
            id="follow-1",
            kind=FollowUpKind.REQUEST,
            text="申请供电部门核定3栋北侧充电棚用电容量",
            category="power_supply",
        ),
        FollowUp(
            id="follow-2",
            kind=FollowUpKind.REQUEST,
            text="清理3栋北侧空地堆放杂物",
            unit="building-3",
            category="sanitation",
        ),
        FollowUp(
            id="follow-3",
            kind=FollowUpKind.TASK,
            text="公示议事结果七日",
            assignee="rc-guanjiayuan",
            due=date(2026, 11, 27),
        ),
    ],
)


def ailin_meeting() -> Meeting:
    """The November 爱邻议事日 meeting of the compound, everyone at the table, held."""
    (day,) = AILIN_DELIBERATION_DAY.between(date(2026, 11, 1), date(2026, 11, 30))
    scheduled = Meeting(
        id="ailin-2026-11",
        unit=TOPIC.unit,
        title="关家苑十一月爱邻议事日",
        at=datetime.combine(day.held, time(19, 0), tzinfo=DEFAULT_TZ),
        participants=TABLE,
        agenda=[TOPIC.id],
        quorum=THREE_PARTY_QUORUM,
        form=AILIN_DELIBERATION_DAY.key,
    )
    present = scheduled.record_attendance(p.id for p in TABLE)
    return present.hold(
        Minutes(summary="议定充电棚建设", decisions=[DECISION], recorder="deliberator-1")
    )


def test_a_topic_walks_six_self_from_proposal_to_enjoyment(
    registry: Registry, clock: ManualClock
) -> None:
    """自提→自议→自决 (vote at the 20 November meeting)→自办→自管→自享, deadlines met."""
    triage = CHENGHUA_TOPIC_RULES.triage(TOPIC)
    assert (triage.rule.label_zh, triage.handling) == ("非机动车管理", Handling.THREE_FAST)
    engine = Engine.from_registry(registry, clock=clock)
    case = engine.open(
        "six_self", actor=RESIDENT, at=RAISED, case_id=TOPIC.id, data=triage.opening_data()
    )
    assert case.current_step.label_zh == "自提"
    engine.fire(case, "table", COUNCIL, at=RAISED + timedelta(days=2))
    meeting = ailin_meeting()
    assert meeting.at == datetime(2026, 11, 20, 19, 0, tzinfo=DEFAULT_TZ)
    engine.fire(case, "call_vote", COUNCIL, at=meeting.at)
    assert case.current_step.label_zh == "自决"

    assert meeting.minutes is not None
    (decision,) = meeting.minutes.decisions
    tie = {"votes_for": 4, "votes_against": 4}
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "adopt", COUNCIL, at=meeting.at, data=tie)
    assert refused.value.guard == "majority_in_favour"
    assert case.step == "decide"
    votes = {
        "votes_for": decision.votes_for,
        "votes_against": decision.votes_against,
        "meeting": meeting.id,
    }
    engine.fire(case, "adopt", COUNCIL, at=meeting.at + timedelta(hours=1), data=votes)
    engine.fire(case, "complete", RESIDENT, at=meeting.at + timedelta(days=30))
    engine.fire(case, "share", PARTY_ORG, at=meeting.at + timedelta(days=60))

    assert case.is_closed
    assert [case.method.step(e.target).label_zh for e in case.events] == SIX_SELF_ZH
    assert case.data is not None
    assert case.data["rule"] == "non_motor_vehicles"
    assert case.events[3].data == votes
    assert {k: s.status for k, s in case.deadlines.items()} == {
        "feedback": DeadlineStatus.MET,
        "decision": DeadlineStatus.MET,
    }


def test_the_meetings_follow_up_items_arrive_as_requests(
    registry: Registry, clock: ManualClock
) -> None:
    """Each request item becomes a case at the desk, channel meeting; the task stays a task."""
    meeting = ailin_meeting()
    engine = Engine.from_registry(registry, clock=clock)
    desk = RequestDesk(engine, method="five_steps", classify=registry.classify_request)
    for request in meeting.requests():
        desk.receive(request, actor=COMMUNITY)
    assert [case.id for case in desk] == ["follow-1", "follow-2"]
    for case in desk:
        request = desk.request(case.id)
        assert request.channel is Channel.MEETING
        assert request.submitted_at == meeting.at
        assert request.extra["meeting"] == "ailin-2026-11"
        assert request.extra["topic"] == TOPIC.id
        assert case.data is not None
        assert case.data["channel"] == "meeting"
    assert desk.request("follow-1").unit == TOPIC.unit
    assert desk.request("follow-2").unit == "building-3"
    assert [(t.id, t.assignee) for t in meeting.tasks()] == [("follow-3", "rc-guanjiayuan")]


def test_a_topic_outside_the_rules_never_reaches_six_self() -> None:
    """A topic Chenghua's lists do not name is refused before any case is opened."""
    with pytest.raises(TopicOutsideRules) as refused:
        CHENGHUA_TOPIC_RULES.triage(
            Topic(
                id="topic-x",
                title="调整小区停车收费",
                unit=TOPIC.unit,
                category="parking_fees",
                raised_by="resident-9",
                proposer=ProposerKind.RESIDENT,
                raised_at=RAISED,
            )
        )
    assert refused.value.rules.key == "chenghua"
    assert "parking_fees" in str(refused.value)
