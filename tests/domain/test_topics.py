"""Topics, participants, quorum, meetings, minutes and follow-ups (DOMAIN.md D1–D7)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    EIGHT_PARTIES_NAMED,
    THREE_PARTIES,
    THREE_PARTY_QUORUM,
    Appointment,
    Channel,
    Decision,
    DecisionOutcome,
    FollowUp,
    FollowUpKind,
    InvalidData,
    Meeting,
    MeetingRefused,
    MeetingStatus,
    Minutes,
    Organisation,
    Organisations,
    OrgKind,
    Participant,
    Party,
    ProposerKind,
    Quorum,
    QuorumNotMet,
    Roster,
    Seat,
    Topic,
    Urgency,
    deliberators,
    make_converter,
    participants_from,
    party_of,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.serialization import structure

EVENING = datetime(2026, 11, 20, 19, 0, tzinfo=DEFAULT_TZ)
"""爱邻议事日, 20 November 2026, 19:00 Asia/Shanghai."""
DAY = date(2026, 11, 20)


TOPIC = Topic(
    id="t1",
    title="文明养犬公约",
    unit="c1",
    category="dog_keeping",
    raised_by="resident-1",
    proposer=ProposerKind.RESIDENT,
    raised_at=datetime(2026, 11, 2, 10, 0, tzinfo=DEFAULT_TZ),
)
"""A resident's topic about dog keeping in compound c1."""


def topic(**changes: Any) -> Topic:
    """The dog-keeping topic with ``changes``."""
    return attrs.evolve(TOPIC, **changes)


TABLE = (
    Participant(id="rc", party=Party.RESIDENTS_COMMITTEE, organisation="rc"),
    Participant(id="oc", party=Party.OWNERS_COMMITTEE, organisation="oc"),
    Participant(id="pc", party=Party.PROPERTY_COMPANY, organisation="pc"),
    Participant(id="d1", party=Party.DELIBERATOR),
    Participant(id="d2", party=Party.DELIBERATOR),
    Participant(id="d3", party=Party.DELIBERATOR),
)


MEETING = Meeting(
    id="m1",
    unit="c1",
    title="十一月爱邻议事日",
    at=EVENING,
    participants=TABLE,
    agenda=("t1", "t2"),
    quorum=THREE_PARTY_QUORUM,
    form="ailin_deliberation_day",
)
"""A three-party meeting on two topics, nobody marked present yet."""


def meeting(**changes: Any) -> Meeting:
    """The November meeting with ``changes``."""
    return attrs.evolve(MEETING, **changes)


def minutes(*decisions: Decision) -> Minutes:
    """Minutes recorded by deliberator d1."""
    return Minutes(summary="议定文明养犬公约", decisions=decisions, recorder="d1")


ADOPTED = Decision(
    topic="t1",
    outcome=DecisionOutcome.ADOPTED,
    text="通过《文明养犬公约》",
    votes_for=5,
    votes_against=1,
    follow_ups=(
        FollowUp(
            id="f1",
            kind=FollowUpKind.REQUEST,
            text="在小区入口设置宠物便袋箱",
            category="facilities",
        ),
        FollowUp(
            id="f2",
            kind=FollowUpKind.TASK,
            text="张贴公约",
            assignee="pc",
            due=date(2026, 11, 27),
        ),
    ),
)


# --------------------------------------------------------------------------- topics


def test_a_topic_is_raised_by_a_resident_deliberator_or_organisation() -> None:
    """The three proposer kinds carry Chinese labels; a topic keeps what it was given."""
    assert [k.label_zh for k in ProposerKind] == ["居民", "议事员", "组织"]
    raised = topic(proposer=ProposerKind.DELIBERATOR, level="community")
    assert (raised.category, raised.level, raised.urgency) == (
        "dog_keeping",
        "community",
        Urgency.ROUTINE,
    )


def test_a_bad_topic_names_every_field_at_once() -> None:
    """Blank title, bad category, naive time, unknown level: every problem listed by path."""
    with pytest.raises(InvalidData) as caught:
        topic(
            id="",
            title=" ",
            category="Dog Keeping",
            raised_at=datetime(2026, 11, 2, 10, 0),  # noqa: DTZ001 - naive on purpose
            level="city",
            proposer="resident",
            handled_by="",
        )
    paths = [p.path for p in caught.value.problems]
    assert paths == [
        "id",
        "title",
        "category",
        "proposer",
        "raised_at",
        "level",
        "handled_by",
    ]


# --------------------------------------------------------------------------- participants


def test_every_party_and_status_has_both_labels() -> None:
    """Parties, statuses, outcomes and follow-up kinds are labelled in Chinese and English."""
    for kind in (Party, MeetingStatus, DecisionOutcome, FollowUpKind):
        for member in kind:
            assert member.label_zh
            assert member.label_en
    assert Party.OWNERS_COMMITTEE.label_zh == "业主委员会"


def test_three_parties_are_the_committees_and_the_property_company() -> None:
    """三方共议: residents' committee, owners' committee, property company (seed 002)."""
    assert {p.label_zh for p in THREE_PARTIES} == {"居民委员会", "业主委员会", "物业服务企业"}
    assert len(EIGHT_PARTIES_NAMED) == 4  # the seed names four of the eight


def test_organisations_sit_for_their_party() -> None:
    """Party organisations lead as one party; funds have no seat."""
    assert party_of(OrgKind.PARTY_BRANCH) is Party.PARTY_ORGANISATION
    assert party_of(OrgKind.PROPERTY_COMPANY) is Party.PROPERTY_COMPANY
    assert party_of(OrgKind.MICRO_FUND) is None


def test_a_three_party_table_is_drawn_from_the_organisations_serving_a_compound() -> None:
    """The residents' committee of the community and the compound's two bodies are invited."""
    orgs = Organisations(
        [
            Organisation(id="rc", kind=OrgKind.RESIDENTS_COMMITTEE, name_zh="居委会", unit="cm"),
            Organisation(id="oc", kind=OrgKind.OWNERS_COMMITTEE, name_zh="业委会", unit="c1"),
            Organisation(id="pc", kind=OrgKind.PROPERTY_COMPANY, name_zh="物业", unit="c1"),
            Organisation(
                id="old",
                kind=OrgKind.PROPERTY_COMPANY,
                name_zh="旧物业",
                unit="c1",
                end=date(2025, 1, 1),
            ),
            Organisation(id="pb", kind=OrgKind.PARTY_BRANCH, name_zh="党支部", unit="c1"),
        ]
    )
    table = participants_from(orgs, ["c1", "cm"], on=DAY)
    assert {(p.id, p.party) for p in table} == {
        ("oc", Party.OWNERS_COMMITTEE),
        ("pc", Party.PROPERTY_COMPANY),
        ("rc", Party.RESIDENTS_COMMITTEE),
    }
    led = participants_from(orgs, ["c1"], on=DAY, parties={Party.PARTY_ORGANISATION})
    assert [p.id for p in led] == ["pb"]


def test_elected_deliberators_are_invited_from_the_roster() -> None:
    """Deliberators (议事员) seated for the compound on the day are invited, once each."""
    roster = Roster(
        appointments=[
            Appointment(person="d1", role=Seat.DELIBERATOR, start=date(2025, 1, 1), unit="c1"),
            Appointment(person="d2", role=Seat.DELIBERATOR, start=date(2025, 1, 1), unit="c1"),
            Appointment(
                person="d3",
                role=Seat.DELIBERATOR,
                start=date(2020, 1, 1),
                end=date(2023, 1, 1),
                unit="c1",
            ),
            Appointment(person="w1", role=Seat.GRID_WORKER, start=date(2025, 1, 1), unit="c1"),
        ]
    )
    assert [p.id for p in deliberators(roster, "c1", on=DAY)] == ["d1", "d2"]


# --------------------------------------------------------------------------- quorum


def test_a_three_party_meeting_needs_each_party_present() -> None:
    """Without the property company at the table, 三方共议 has no quorum, and says so."""
    shortfalls = THREE_PARTY_QUORUM.shortfalls(TABLE, {"rc", "oc", "d1"})
    assert [s.requirement for s in shortfalls] == ["party:property_company"]
    assert "物业服务企业无人到会" in shortfalls[0].message_zh
    assert THREE_PARTY_QUORUM.shortfalls(TABLE, {"rc", "oc", "pc"}) == ()


def test_at_least_two_thirds_includes_the_bound() -> None:
    """以上 includes the bound: 4 of 6 is two thirds and passes; 3 of 6 does not."""
    quorum = Quorum(share=(2, 3))
    assert quorum.shortfalls(TABLE, {"rc", "oc", "pc", "d1"}) == ()
    below = quorum.shortfalls(TABLE, {"rc", "oc", "pc"})
    assert [s.requirement for s in below] == ["share"]
    assert "3 of 6 present" in below[0].message_en


def test_more_than_half_excludes_the_bound() -> None:
    """过半数 is strict: 3 of 6 is half and fails; 4 of 6 passes."""
    quorum = Quorum(share=(1, 2), more_than_share=True)
    assert [s.requirement for s in quorum.shortfalls(TABLE, {"rc", "oc", "pc"})] == ["share"]
    assert quorum.shortfalls(TABLE, {"rc", "oc", "pc", "d1"}) == ()


def test_a_headcount_is_a_floor() -> None:
    """A quorum of five people fails with four present, naming both numbers."""
    short = Quorum(headcount=5).shortfalls(TABLE, {"rc", "oc", "pc", "d1"})
    assert short[0].message_en == "4 present, at least 5 needed"


def test_a_bad_quorum_is_refused_with_its_fields() -> None:
    """A zero headcount and a share above one are both named."""
    with pytest.raises(InvalidData) as caught:
        Quorum(headcount=0, share=(3, 2))
    assert [p.path for p in caught.value.problems] == ["headcount", "share"]


@settings(max_examples=200)
@given(
    present=st.sets(st.sampled_from([p.id for p in TABLE])),
    extra=st.sampled_from([p.id for p in TABLE]),
    numerator=st.integers(1, 6),
    strict=st.booleans(),
)
def test_more_people_present_never_adds_a_shortfall(
    present: set[str], extra: str, numerator: int, strict: bool
) -> None:
    """Quorum is monotone: whoever else arrives, no requirement becomes unmet."""
    quorum = Quorum(
        headcount=3, share=(numerator, 6), more_than_share=strict, parties=THREE_PARTIES
    )
    before = {s.requirement for s in quorum.shortfalls(TABLE, present)}
    after = {s.requirement for s in quorum.shortfalls(TABLE, present | {extra})}
    assert after <= before


# --------------------------------------------------------------------------- meetings


def test_attendance_of_someone_not_invited_is_refused_and_changes_nothing() -> None:
    """Recording an unknown id names it; the meeting keeps its (empty) attendance."""
    scheduled = meeting()
    with pytest.raises(MeetingRefused, match="not invited: stranger") as caught:
        scheduled.record_attendance({"rc", "stranger"})
    assert caught.value.meeting is scheduled
    assert scheduled.present == frozenset()
    assert scheduled.status is MeetingStatus.SCHEDULED


def test_a_meeting_without_its_quorum_cannot_be_held() -> None:
    """Holding with the owners' committee absent raises QuorumNotMet; nothing is held."""
    gathered = meeting().record_attendance({"rc", "pc", "d1"})
    with pytest.raises(QuorumNotMet) as caught:
        gathered.hold(minutes(ADOPTED))
    assert [s.requirement for s in caught.value.shortfalls] == ["party:owners_committee"]
    assert "业主委员会无人到会" in str(caught.value)
    assert gathered.status is MeetingStatus.SCHEDULED
    assert gathered.minutes is None


def test_a_held_meeting_keeps_minutes_and_refuses_a_second_holding() -> None:
    """With the three parties present the meeting is held; it cannot be held or cancelled again."""
    gathered = meeting().record_attendance({"rc", "oc", "pc", "d1", "d2", "d3"})
    assert gathered.has_quorum
    held = gathered.hold(minutes(ADOPTED))
    assert held.status is MeetingStatus.HELD
    assert held.status.label_zh == "已召开"
    with pytest.raises(MeetingRefused, match="cannot hold: the meeting is held"):
        held.hold(minutes(ADOPTED))
    with pytest.raises(MeetingRefused, match="cannot cancel: the meeting is held"):
        held.cancel("下雨")
    with pytest.raises(MeetingRefused, match="会议已召开，不能登记到会"):
        held.record_attendance({"rc"})


def test_minutes_must_fit_the_meeting() -> None:
    """A decision off the agenda, or more ballots than people present, is named by path."""
    gathered = meeting().record_attendance({"rc", "oc", "pc"})
    off_agenda = attrs.evolve(ADOPTED, topic="t9", follow_ups=())
    with pytest.raises(InvalidData) as caught:
        gathered.hold(minutes(off_agenda))
    assert [p.path for p in caught.value.problems] == [
        "minutes.recorder",
        "minutes.decisions[0].topic",
        "minutes.decisions[0].votes_for",
    ]
    assert gathered.status is MeetingStatus.SCHEDULED


def test_a_cancelled_meeting_says_why() -> None:
    """Cancelling needs a reason; a cancelled meeting cannot be held."""
    with pytest.raises(InvalidData, match="cancel_reason"):
        meeting().cancel(" ")
    cancelled = meeting().cancel("台风预警")
    assert cancelled.status is MeetingStatus.CANCELLED
    with pytest.raises(MeetingRefused):
        cancelled.hold(minutes())


def test_a_meeting_needs_a_unique_table_and_agenda() -> None:
    """Someone invited twice, an empty agenda and an uninvited person present are all named."""
    with pytest.raises(InvalidData) as caught:
        meeting(participants=(*TABLE, TABLE[0]), agenda=(), present={"nobody"})
    assert [p.path for p in caught.value.problems] == ["participants[6].id", "agenda", "present"]


# --------------------------------------------------------------------------- decisions


def test_an_adopted_decision_needs_more_votes_for_than_against() -> None:
    """A tie cannot be adopted, a majority cannot be rejected, votes come in pairs."""
    unvoted = Decision(topic="t1", text="议定", outcome=DecisionOutcome.DEFERRED)
    assert (unvoted.voted, unvoted.ballots) == (False, 0)
    adopted = attrs.evolve(unvoted, outcome=DecisionOutcome.ADOPTED)
    with pytest.raises(InvalidData, match="adopted with 3 for and 3 against"):
        attrs.evolve(adopted, votes_for=3, votes_against=3)
    with pytest.raises(InvalidData, match="rejected with 4 for and 3 against"):
        attrs.evolve(unvoted, outcome=DecisionOutcome.REJECTED, votes_for=4, votes_against=3)
    with pytest.raises(InvalidData) as half:
        attrs.evolve(adopted, votes_for=4)
    assert half.value.problems[0].path == "votes_against"
    with pytest.raises(InvalidData) as negative:
        attrs.evolve(unvoted, votes_for=-1, votes_against=0)
    assert negative.value.problems[0].path == "votes_for"


def test_minutes_refuse_a_topic_decided_twice_and_duplicate_follow_up_ids() -> None:
    """Two decisions on t1, and two follow-ups with id f1, are both named."""
    twin = attrs.evolve(ADOPTED, follow_ups=(ADOPTED.follow_ups[0],))
    with pytest.raises(InvalidData) as caught:
        Minutes(summary="纪要", decisions=(ADOPTED, twin))
    assert [p.path for p in caught.value.problems] == [
        "decisions[1].topic",
        "decisions[1].follow_ups[0].id",
    ]


def test_a_task_needs_an_assignee() -> None:
    """A follow-up task without anyone to do it is refused."""
    with pytest.raises(InvalidData) as caught:
        FollowUp(id="f9", kind=FollowUpKind.TASK, text="张贴公约")
    assert caught.value.problems[0].path == "assignee"


def test_follow_ups_become_requests_from_the_meeting_and_tasks() -> None:
    """Request items become requests (channel meeting) for the meeting's unit; tasks stay tasks."""
    everyone = {p.id for p in TABLE}
    held = meeting().record_attendance(everyone).hold(minutes(ADOPTED))
    (request,) = held.requests()
    assert request.channel is Channel.MEETING
    assert (request.id, request.unit, request.category) == ("f1", "c1", "facilities")
    assert request.submitted_at == EVENING
    assert dict(request.extra) == {"meeting": "m1", "topic": "t1", "outcome": "adopted"}
    assert [t.assignee for t in held.tasks()] == ["pc"]
    assert meeting().requests() == ()


# --------------------------------------------------------------------------- round trips


def test_a_topic_round_trips_through_the_converter() -> None:
    """A topic written by the converter reads back equal."""
    converter = make_converter()
    raised = topic(urgency=Urgency.URGENT, level="community", handled_by="pc")
    data = converter.unstructure(raised)
    assert data["raised_at"] == "2026-11-02T10:00:00+08:00"
    assert structure(converter, data, Topic, what="topic") == raised


@settings(max_examples=50)
@given(
    present=st.sets(st.sampled_from([p.id for p in TABLE[3:]])),
    votes=st.integers(0, 3),
)
def test_a_held_meeting_round_trips_through_the_converter(present: set[str], votes: int) -> None:
    """A held meeting, minutes and follow-ups included, reads back equal from plain data."""
    decision = attrs.evolve(ADOPTED, votes_for=votes + 1, votes_against=0)
    held = (
        meeting(quorum=Quorum(share=(1, 2), parties=THREE_PARTIES))
        .record_attendance({"rc", "oc", "pc", "d1", *present})
        .hold(minutes(decision))
    )
    converter = make_converter()
    assert structure(converter, converter.unstructure(held), Meeting, what="meeting") == held
