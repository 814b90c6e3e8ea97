"""Meetings (DOMAIN.md D3, D4, D7): who attends, the quorum, minutes, decisions, follow-ups.

A :class:`Meeting` is held only with its quorum (:class:`~civicgrid.domain.topics.Quorum`);
refusals name what is missing and leave the meeting unchanged. Its :class:`Minutes` record
decisions, and a decision's :class:`FollowUp` items become requests (channel ``meeting``) or
tasks. Topics and participants are in :mod:`civicgrid.domain.topics`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

import attrs

from civicgrid.domain.requests import Channel, Request
from civicgrid.domain.topics import (
    DecisionOutcome,
    FollowUpKind,
    MeetingStatus,
    Participant,
    Quorum,
    Shortfall,
    _aware,
    _ids,
    _member,
    _texts,
)
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "Decision",
    "FollowUp",
    "Meeting",
    "MeetingRefused",
    "Minutes",
    "QuorumNotMet",
]


# --------------------------------------------------------------------------- minutes


@attrs.frozen(kw_only=True)
class FollowUp:
    """An item a decision leaves to do: a request to handle on the kernel, or a task.

    ``unit`` defaults to the meeting's unit when it becomes a request; ``assignee`` and ``due``
    say who does a task, and by when.
    """

    id: str
    kind: FollowUpKind
    text: str
    unit: str | None = None
    category: str | None = None
    assignee: str | None = None
    due: date | None = None

    def __attrs_post_init__(self) -> None:
        problems = _ids(self, "id") + _member(self, "kind", FollowUpKind) + _texts(self, "text")
        problems += _ids(self, "unit", "category", "assignee", optional=True)
        if self.kind is FollowUpKind.TASK and self.assignee is None:
            problems.append(Problem("assignee", "a task needs someone to do it"))
        if problems:
            raise InvalidData(f"follow-up {self.id!r}", problems)

    def to_request(self, meeting: Meeting, decision: Decision) -> Request:
        """Return the request this item becomes, received from ``meeting`` (channel ``meeting``).

        The request is submitted when the meeting sat, for the item's unit (else the
        meeting's), and keeps the meeting, topic and outcome in ``extra`` for the ledger.
        """
        return Request(
            id=self.id,
            channel=Channel.MEETING,
            text=self.text,
            submitted_at=meeting.at,
            category=self.category,
            unit=self.unit or meeting.unit,
            extra={
                "meeting": meeting.id,
                "topic": decision.topic,
                "outcome": decision.outcome.value,
            },
        )


def _follow_ups(value: Iterable[FollowUp]) -> tuple[FollowUp, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Decision:
    """What a meeting decided on one topic of its agenda, with the vote where one was taken.

    Votes are given together or not at all; an adopted decision needs more votes for than
    against (the simple majority of those voting, as Six Self's ``majority_in_favour``) and a
    rejected one does not have them. Owners' votes under Civil Code art. 278 are not decided
    here.
    """

    topic: str
    outcome: DecisionOutcome
    text: str
    votes_for: int | None = None
    votes_against: int | None = None
    abstentions: int = 0
    follow_ups: tuple[FollowUp, ...] = attrs.field(default=(), converter=_follow_ups)

    def __attrs_post_init__(self) -> None:
        problems = (
            _ids(self, "topic") + _member(self, "outcome", DecisionOutcome) + _texts(self, "text")
        )
        counts: dict[str, object] = {
            "votes_for": self.votes_for,
            "votes_against": self.votes_against,
            "abstentions": self.abstentions,
        }
        for field, count in counts.items():
            if count is None and field != "abstentions":
                continue
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                problems.append(Problem(field, f"must be a whole number ≥ 0, not {count!r}"))
        if (self.votes_for is None) != (self.votes_against is None):
            problems.append(Problem("votes_against", "votes for and against are given together"))
        elif self.voted and not problems:
            problems.extend(self._outcome_problems())
        if problems:
            raise InvalidData(f"decision on topic {self.topic!r}", problems)

    def _outcome_problems(self) -> list[Problem]:
        votes_for, votes_against = self.votes_for or 0, self.votes_against or 0
        if self.outcome is DecisionOutcome.ADOPTED and votes_for <= votes_against:
            return [Problem("outcome", f"adopted with {votes_for} for and {votes_against} against")]
        if self.outcome is DecisionOutcome.REJECTED and votes_for > votes_against:
            return [
                Problem("outcome", f"rejected with {votes_for} for and {votes_against} against")
            ]
        return []

    @property
    def voted(self) -> bool:
        """Whether a vote was taken."""
        return self.votes_for is not None

    @property
    def ballots(self) -> int:
        """Votes cast: for, against and abstentions (0 when no vote was taken)."""
        return (self.votes_for or 0) + (self.votes_against or 0) + self.abstentions


def _decisions(value: Iterable[Decision]) -> tuple[Decision, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Minutes:
    """The record of a meeting held (会议纪要): a summary, its recorder and its decisions."""

    summary: str
    decisions: tuple[Decision, ...] = attrs.field(default=(), converter=_decisions)
    recorder: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = _texts(self, "summary")
        seen: set[str] = set()
        for i, decision in enumerate(self.decisions):
            if decision.topic in seen:
                problems.append(
                    Problem(f"decisions[{i}].topic", f"topic {decision.topic!r} decided twice")
                )
            seen.add(decision.topic)
        ids: set[str] = set()
        for i, decision in enumerate(self.decisions):
            for j, item in enumerate(decision.follow_ups):
                if item.id in ids:
                    problems.append(
                        Problem(f"decisions[{i}].follow_ups[{j}].id", f"duplicate id {item.id!r}")
                    )
                ids.add(item.id)
        if problems:
            raise InvalidData("minutes", problems)


# --------------------------------------------------------------------------- meetings


class MeetingRefused(CivicGridError, ValueError):
    """A meeting cannot do what was asked; the meeting is as it was."""

    def __init__(self, meeting: Meeting, message_en: str, message_zh: str) -> None:
        self.meeting = meeting
        super().__init__(
            f"meeting {meeting.id!r}: {message_en}", f"会议 {meeting.id!r}：{message_zh}"
        )


class QuorumNotMet(MeetingRefused):
    """The meeting lacks its quorum: :attr:`shortfalls` says what is missing."""

    def __init__(self, meeting: Meeting, shortfalls: Iterable[Shortfall]) -> None:
        self.shortfalls = tuple(shortfalls)
        super().__init__(
            meeting,
            "quorum not met: " + "; ".join(s.message_en for s in self.shortfalls),
            "未达到法定到会要求：" + "；".join(s.message_zh for s in self.shortfalls),
        )


def _participants(value: Iterable[Participant]) -> tuple[Participant, ...]:
    return tuple(value)


def _agenda(value: Iterable[str] | str) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _present(value: Iterable[str] | str) -> frozenset[str]:
    return frozenset((value,) if isinstance(value, str) else value)


@attrs.frozen(kw_only=True)
class Meeting:
    """A deliberation meeting of a unit: who is invited, what is on the agenda, what happened.

    ``form`` is the key of the meeting rule it follows (``ailin_deliberation_day`` …), when
    it is one of a series. A held meeting has minutes and met its quorum; a cancelled one
    says why. Every decision is about a topic on the agenda, and a vote counts no more
    ballots than participants present.
    """

    id: str
    unit: str
    title: str
    at: datetime
    participants: tuple[Participant, ...] = attrs.field(converter=_participants)
    agenda: tuple[str, ...] = attrs.field(converter=_agenda)
    quorum: Quorum = attrs.field(factory=Quorum)
    form: str | None = None
    status: MeetingStatus = MeetingStatus.SCHEDULED
    present: frozenset[str] = attrs.field(default=frozenset(), converter=_present)
    minutes: Minutes | None = None
    cancel_reason: str = ""

    def __attrs_post_init__(self) -> None:
        problems = _ids(self, "id", "unit") + _texts(self, "title") + _aware(self, "at")
        invited: dict[str, int] = {}
        for i, participant in enumerate(self.participants):
            if participant.id in invited:
                problems.append(
                    Problem(f"participants[{i}].id", f"{participant.id!r} is invited twice")
                )
            invited.setdefault(participant.id, i)
        if not self.agenda:
            problems.append(Problem("agenda", "a meeting needs at least one topic"))
        if len(set(self.agenda)) != len(self.agenda):
            problems.append(Problem("agenda", "a topic is on the agenda twice"))
        problems.extend(
            Problem("present", f"{person!r} is not among the participants")
            for person in sorted(self.present - set(invited))
        )
        problems.extend(self._status_problems())
        if problems:
            raise InvalidData(f"meeting {self.id!r}", problems)

    def _status_problems(self) -> list[Problem]:
        problems: list[Problem] = []
        if (self.status is MeetingStatus.HELD) != (self.minutes is not None):
            problems.append(Problem("minutes", "a meeting has minutes exactly when it was held"))
        if self.status is MeetingStatus.CANCELLED and not self.cancel_reason.strip():
            problems.append(Problem("cancel_reason", "a cancelled meeting says why"))
        if self.minutes is None:
            return problems
        if self.quorum_shortfalls():
            problems.append(Problem("present", "a held meeting must have met its quorum"))
        recorder = self.minutes.recorder
        if recorder is not None and recorder not in self.present:
            problems.append(Problem("minutes.recorder", f"{recorder!r} was not present"))
        for i, decision in enumerate(self.minutes.decisions):
            if decision.topic not in self.agenda:
                problems.append(
                    Problem(
                        f"minutes.decisions[{i}].topic",
                        f"topic {decision.topic!r} is not on the agenda",
                    )
                )
            if decision.ballots > len(self.present):
                problems.append(
                    Problem(
                        f"minutes.decisions[{i}].votes_for",
                        f"{decision.ballots} ballots but {len(self.present)} present",
                    )
                )
        return problems

    # ------------------------------------------------------------------ attendance

    def quorum_shortfalls(self) -> tuple[Shortfall, ...]:
        """Return what the attendance lacks for the quorum; empty when it is met."""
        return self.quorum.shortfalls(self.participants, self.present)

    @property
    def has_quorum(self) -> bool:
        """Whether those present meet the quorum."""
        return not self.quorum_shortfalls()

    def record_attendance(self, present: Iterable[str]) -> Meeting:
        """Return the meeting with ``present`` (participant ids) as those at the table.

        Refused with :class:`MeetingRefused` once the meeting is held or cancelled, or when an
        id is not among the participants (each unknown id named).
        """
        self._require_scheduled("record attendance", "登记到会")
        present = _present(present)
        unknown = sorted(present - {p.id for p in self.participants})
        if unknown:
            raise MeetingRefused(
                self,
                f"not invited: {', '.join(unknown)}",
                f"以下人员不在参会名单中：{'、'.join(unknown)}",
            )
        return attrs.evolve(self, present=present)

    # ------------------------------------------------------------------ holding

    def hold(self, minutes: Minutes) -> Meeting:
        """Return the meeting held, with ``minutes``; refused without a quorum.

        Raises :class:`QuorumNotMet` listing each shortfall, :class:`MeetingRefused` if the
        meeting is not scheduled, and :class:`~civicgrid.errors.InvalidData` if the minutes do
        not fit the meeting (a decision on a topic not on the agenda, more ballots than
        people present), each problem with its path.
        """
        self._require_scheduled("hold", "召开")
        shortfalls = self.quorum_shortfalls()
        if shortfalls:
            raise QuorumNotMet(self, shortfalls)
        return attrs.evolve(self, status=MeetingStatus.HELD, minutes=minutes)

    def cancel(self, reason: str) -> Meeting:
        """Return the meeting cancelled for ``reason``; refused unless it is still scheduled."""
        self._require_scheduled("cancel", "取消")
        return attrs.evolve(self, status=MeetingStatus.CANCELLED, cancel_reason=reason)

    def _require_scheduled(self, action: str, action_zh: str) -> None:
        if self.status is not MeetingStatus.SCHEDULED:
            raise MeetingRefused(
                self,
                f"cannot {action}: the meeting is {self.status.label_en}",
                f"会议{self.status.label_zh}，不能{action_zh}",
            )

    # ------------------------------------------------------------------ follow-ups

    def follow_ups(self) -> Iterator[tuple[Decision, FollowUp]]:
        """Yield each follow-up item with its decision, in the order of the minutes."""
        if self.minutes is None:
            return
        for decision in self.minutes.decisions:
            for item in decision.follow_ups:
                yield decision, item

    def requests(self) -> tuple[Request, ...]:
        """Return the follow-up items that become requests, as requests (channel ``meeting``)."""
        return tuple(
            item.to_request(self, decision)
            for decision, item in self.follow_ups()
            if item.kind is FollowUpKind.REQUEST
        )

    def tasks(self) -> tuple[FollowUp, ...]:
        """Return the follow-up items that are tasks, each with its assignee and due date."""
        return tuple(item for _, item in self.follow_ups() if item.kind is FollowUpKind.TASK)
