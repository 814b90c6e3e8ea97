"""Reminders (DOMAIN.md I13): notices a case raises by itself on dates, from dateutil rules.

"The rental-housing system reminds before a lease ends and pushes it to the property
company"; "a follow-up visit every week". A :class:`Reminder` names what to remind of and
when: a single instant, a python-dateutil ``rrule`` or ``rruleset``, or "N before a date"
(:meth:`Reminder.before`). :meth:`civicgrid.Engine.remind` attaches it to a case, and
``tick`` records each occurrence on the case as a ``reminded`` event, by the rule deadlines
follow: an occurrence at ``t`` is raised by ``tick(now)`` when ``t < now``, and recorded at
``t``.

Everything a reminder does is an event, so replaying a case's events rebuilds its schedule:
setting one is a ``reminder_set`` event whose data holds the rule as RFC 5545 text (the
``DTSTART;TZID=…`` and ``RRULE:`` lines of iCalendar, read back with
:func:`dateutil.rrule.rrulestr`), each occurrence is a ``reminded`` event, and cancelling one
is a ``reminder_cancelled`` event. A reminder stops by itself when its rule, its ``until`` or
its ``count`` runs out, and when the case closes; those need no event, the history implies
them.

Time: occurrences keep their wall-clock time in the rule's timezone (every Monday at 09:00
stays 09:00 across a daylight-saving change) and are recorded at that instant, expressed in
the engine's timezone; they are ordered by instant. A rule's timezone must have an IANA name
(``Asia/Shanghai``) or be UTC, so that it can be written down and read back.

:class:`ReminderState` and :class:`ReminderBook` are the engine's bookkeeping: read them,
never change them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs
from dateutil import tz as dateutil_tz
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rruleset, rrulestr

from civicgrid.domain.time import DEFAULT_TZ, get_timezone
from civicgrid.errors import InvalidData, Problem, WorkflowError
from civicgrid.workflows.event import EventKind, RawEvent
from civicgrid.workflows.method import KEY_PATTERN

if TYPE_CHECKING:
    from civicgrid.workflows.case import Case
    from civicgrid.workflows.event import Event

__all__ = [
    "DuplicateReminder",
    "Reminder",
    "ReminderRefused",
    "ReminderState",
    "Schedule",
    "UnknownReminder",
]

Schedule = datetime | rrule | rruleset | str
"""When a reminder reminds: one aware instant, a dateutil rule or rule set, or RFC 5545 text."""

_NINE = time(9, 0)


# --------------------------------------------------------------------------- errors


class ReminderRefused(WorkflowError, ValueError):
    """A reminder cannot be set on the case (closed, or it would never remind); nothing changed."""

    def __init__(self, case_id: str, key: str, message_en: str, message_zh: str) -> None:
        self.case_id = case_id
        self.key = key
        super().__init__(
            f"case {case_id!r}, reminder {key!r}: {message_en}",
            f"事项 {case_id!r} 的提醒 {key!r}：{message_zh}",
        )


class DuplicateReminder(ReminderRefused):
    """The case already has a running reminder with this key; cancel it first."""


class UnknownReminder(WorkflowError, LookupError):
    """The case has no running reminder with this key; nothing changed."""

    def __init__(self, case_id: str, key: str, running: tuple[str, ...]) -> None:
        self.case_id = case_id
        self.key = key
        self.running = running
        listed = ", ".join(running) or "none"
        super().__init__(
            f"case {case_id!r} has no running reminder {key!r} (running: {listed})",
            f"事项 {case_id!r} 没有进行中的提醒 {key!r}（进行中：{'、'.join(running) or '无'}）",
        )


# --------------------------------------------------------------------------- RFC 5545 text


def _zone_name(zone: tzinfo | None) -> str | None:
    """Return the IANA name of ``zone`` ("UTC" for any UTC zone), or ``None`` if it has none."""
    if zone is None:
        return None
    key = getattr(zone, "key", None)  # zoneinfo.ZoneInfo
    if isinstance(key, str) and key:
        return key
    if isinstance(zone, dateutil_tz.tzutc) or (
        isinstance(zone, timezone) and zone.utcoffset(None) == timedelta(0)
    ):
        return "UTC"
    filename = getattr(zone, "_filename", None)  # dateutil.tz.tzfile, from the tz database
    if isinstance(filename, str) and "zoneinfo/" in filename:
        return filename.rsplit("zoneinfo/", 1)[1]
    return None


def _private(rule: object, name: str) -> Any:
    # dateutil exposes no accessor for a rule's start, end or a set's parts; its own
    # ``rrule.__str__`` reads these attributes too.
    return vars(rule)[name]


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _dtstart(start: datetime, where: str) -> tuple[str | None, list[Problem]]:
    name = _zone_name(start.tzinfo) if start.utcoffset() is not None else None
    if name is None:
        why = (
            "the rule must start at a timezone-aware instant (dtstart=…, tzinfo=Asia/Shanghai)"
            if start.utcoffset() is None
            else "the rule's timezone needs an IANA name (zoneinfo.ZoneInfo) or UTC"
        )
        return None, [Problem(where, why)]
    return f"DTSTART;TZID={name}:{start.strftime('%Y%m%dT%H%M%S')}", []


def _rrule_line(rule: rrule, prefix: str) -> str:
    line = str(rule).split("\n")[-1]  # "RRULE:FREQ=…"; dateutil writes UNTIL without its zone
    until: datetime | None = _private(rule, "_until")
    if until is not None:
        line = re.sub(r"UNTIL=[0-9T]+", f"UNTIL={_utc(until)}", line)
    return prefix + line.removeprefix("RRULE:")


def _rule_text(schedule: rrule | rruleset, where: str) -> tuple[str, list[Problem]]:
    """Write ``schedule`` as RFC 5545 text, the form :func:`rrulestr` reads back."""
    if isinstance(schedule, rrule):
        rules, exrules, rdates, exdates = [schedule], [], [], []
    else:
        rules = list(_private(schedule, "_rrule"))
        exrules = list(_private(schedule, "_exrule"))
        rdates = list(_private(schedule, "_rdate"))
        exdates = list(_private(schedule, "_exdate"))
    problems: list[Problem] = []
    lines: list[str] = []
    starts = {(s, _zone_name(s.tzinfo)) for s in (_private(r, "_dtstart") for r in rules + exrules)}
    if len(starts) > 1:
        problems.append(Problem(where, "every rule of a set must share one dtstart"))
    elif starts:
        line, trouble = _dtstart(next(iter(starts))[0], where)
        problems.extend(trouble)
        lines.extend([line] if line else [])
    lines.extend(_rrule_line(r, "RRULE:") for r in rules)
    lines.extend(_rrule_line(r, "EXRULE:") for r in exrules)
    for name, instants in (("RDATE", rdates), ("EXDATE", exdates)):
        if any(d.utcoffset() is None for d in instants):
            problems.append(Problem(where, f"every {name.lower()} must be timezone-aware"))
        elif instants:
            lines.append(f"{name}:{','.join(sorted(_utc(d) for d in instants))}")
    if not rules and not rdates:
        problems.append(Problem(where, "the rule set has no rule and no date"))
    return "\n".join(lines), problems


def _instant_text(at: datetime, where: str) -> tuple[str, list[Problem]]:
    if at.utcoffset() is None:
        return "", [Problem(where, "must be a timezone-aware datetime (tzinfo=Asia/Shanghai)")]
    if at.microsecond:
        return "", [Problem(where, "must be a whole second (RFC 5545 times have no fractions)")]
    zone = at.tzinfo if _zone_name(at.tzinfo) is not None else UTC
    line, problems = _dtstart(at.astimezone(zone), where)
    return f"{line}\nRRULE:FREQ=DAILY;COUNT=1", problems


def _parse(text: str, where: str) -> tuple[rrule | rruleset | None, list[Problem]]:
    try:
        return rrulestr(text, tzids=get_timezone), []
    except (ValueError, LookupError, TypeError) as error:
        return None, [Problem(where, f"not RFC 5545 text dateutil can read: {error}")]


def _normalise(schedule: object, where: str) -> tuple[rrule | rruleset | None, str, list[Problem]]:
    """Return the schedule as a dateutil rule and as canonical RFC 5545 text."""
    if isinstance(schedule, str):
        rule, problems = _parse(schedule, where)
        if rule is None:
            return None, "", problems
        schedule = rule
    if isinstance(schedule, datetime):
        text, problems = _instant_text(schedule, where)
    elif isinstance(schedule, rrule | rruleset):
        text, problems = _rule_text(schedule, where)
    else:
        why = f"must be a datetime, an rrule, an rruleset or RFC 5545 text, not {schedule!r}"
        return None, "", [Problem(where, why)]
    if problems:
        return None, "", problems
    # Read the text back: what runs is exactly what is recorded, live and replayed alike.
    rule, problems = _parse(text, where)
    return rule, text, problems


# --------------------------------------------------------------------------- the reminder


def _frozen_data(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@attrs.frozen(kw_only=True)
class Reminder:
    """What to remind of on a case, when, and whom to tell.

    ``schedule`` is one aware instant, a dateutil ``rrule``/``rruleset`` with an aware
    ``dtstart`` (e.g. ``rrule(WEEKLY, dtstart=…)`` for a weekly follow-up visit), or that rule
    as RFC 5545 text; :meth:`before` makes "30 days before the lease ends, at 09:00".
    Occurrences before the instant the reminder is set are skipped. ``until`` (inclusive) and
    ``count`` (occurrences raised) stop it earlier than its rule would.

    ``notify_role`` is the role told of each occurrence (``property_company``); left out, the
    case's assignee at that moment is told. ``data`` travels with every occurrence, for the
    observer that pushes the notice.

    :attr:`rule` is the schedule as canonical RFC 5545 text, and two reminders are equal when
    everything but the form the schedule was given in is.
    """

    key: str
    label_zh: str
    label_en: str
    schedule: Schedule = attrs.field(eq=False, repr=False)
    until: datetime | None = None
    count: int | None = None
    notify_role: str | None = None
    data: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_data, hash=False, repr=False
    )
    rule: str = attrs.field(init=False)
    """The schedule as RFC 5545 text (``DTSTART;TZID=Asia/Shanghai:…`` then ``RRULE:…``)."""
    _compiled: rrule | rruleset = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        key: object = self.key
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            problems.append(Problem("key", f"must be lower snake case, not {key!r}"))
        for field in ("label_zh", "label_en"):
            label: object = getattr(self, field)
            if not isinstance(label, str) or not label.strip():
                problems.append(Problem(field, "must be non-blank text"))
        compiled, text, trouble = _normalise(self.schedule, "schedule")
        problems.extend(trouble)
        until: object = self.until
        if until is not None and (not isinstance(until, datetime) or until.utcoffset() is None):
            problems.append(Problem("until", "must be a timezone-aware datetime or None"))
        count: object = self.count
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
            problems.append(Problem("count", f"must be a whole number or None, not {count!r}"))
        elif count is not None and count < 1:
            problems.append(Problem("count", f"must be at least 1, not {count}"))
        role: object = self.notify_role
        if role is not None and (not isinstance(role, str) or not KEY_PATTERN.match(role)):
            problems.append(Problem("notify_role", f"must be a role key or None, not {role!r}"))
        names: list[object] = list(self.data)
        problems.extend(
            Problem(f"data.{name}", "keys must be text")
            for name in names
            if not isinstance(name, str)
        )
        if problems:
            raise InvalidData(f"reminder {self.key!r}", problems)
        object.__setattr__(self, "rule", text)
        object.__setattr__(self, "_compiled", compiled)

    @classmethod
    def before(
        cls,
        end: date,
        offset: relativedelta | timedelta,
        *,
        key: str,
        label_zh: str,
        label_en: str,
        at: time = _NINE,
        tz: tzinfo = DEFAULT_TZ,
        notify_role: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Reminder:
        """Remind ``offset`` before the day ``end``, at ``at`` local time (09:00 by default).

        A lease ending on 31 December reminds, with ``relativedelta(days=30)``, on 1 December
        at 09:00 in ``tz``: the arithmetic is on the local calendar, like a deadline's days.
        """
        problems: list[Problem] = []
        given: tuple[object, object, object] = (end, offset, at)
        if not isinstance(given[0], date) or isinstance(given[0], datetime):
            problems.append(Problem("end", f"must be a date, not {end!r}"))
        if not isinstance(given[1], relativedelta | timedelta):
            problems.append(Problem("offset", "must be a relativedelta or a timedelta"))
        if not isinstance(given[2], time) or at.tzinfo is not None:
            problems.append(Problem("at", "must be a local time of day without a timezone"))
        if problems:
            raise InvalidData(f"reminder {key!r}", problems)
        instant = (datetime.combine(end, at) - offset).replace(tzinfo=tz)
        return cls(
            key=key,
            label_zh=label_zh,
            label_en=label_en,
            schedule=instant,
            notify_role=notify_role,
            data=data,
        )

    def occurrences(self, start: datetime, tz: tzinfo = DEFAULT_TZ) -> Iterator[datetime]:
        """Yield the instants it reminds at, from ``start`` on (inclusive), in ``tz``."""
        until, count = self.until, self.count
        for n, instant in enumerate(self._compiled.xafter(start, inc=True)):
            if (count is not None and n >= count) or (until is not None and instant > until):
                return
            yield instant.astimezone(tz)

    def to_data(self) -> dict[str, Any]:
        """Return the reminder as the data of its ``reminder_set`` event (JSON-friendly)."""
        return {
            "rule": self.rule,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "until": None if self.until is None else self.until.isoformat(),
            "count": self.count,
            "notify_role": self.notify_role,
            "data": dict(self.data),
        }

    @classmethod
    def from_data(cls, key: str, data: Mapping[str, Any] | None) -> Reminder:
        """Rebuild a reminder from its ``reminder_set`` event's key and data."""
        data = data or {}
        missing = [name for name in ("rule", "label_zh", "label_en") if name not in data]
        if missing:
            problems = [Problem(name, "missing from the event's data") for name in missing]
            raise InvalidData(f"reminder {key!r}", problems)
        until = data.get("until")
        try:
            until = None if until is None else datetime.fromisoformat(until)
        except (TypeError, ValueError):
            raise InvalidData(
                f"reminder {key!r}", [Problem("until", f"not an ISO 8601 instant: {until!r}")]
            ) from None
        return cls(
            key=key,
            label_zh=data["label_zh"],
            label_en=data["label_en"],
            schedule=data["rule"],
            until=until,
            count=data.get("count"),
            notify_role=data.get("notify_role"),
            data=data.get("data"),
        )


# --------------------------------------------------------------------------- run time


class ReminderState:
    """One reminder on one case: when it reminds next and how often it has; owned by the engine."""

    __slots__ = ("_upcoming", "key", "next_alarm", "raised", "reminder", "set_at", "token")

    def __init__(self, reminder: Reminder, set_at: datetime, tz: tzinfo) -> None:
        self.key = reminder.key
        self.reminder = reminder
        self.set_at = set_at
        self.raised = 0
        """How many occurrences have been recorded."""
        self.token = 0
        """Bumped on every change, so queued entries of an older state are ignored."""
        self._upcoming = reminder.occurrences(set_at, tz)
        self.next_alarm: datetime | None = next(self._upcoming, None)
        """The next occurrence; ``None`` once the reminder has ended."""

    def advance(self) -> datetime | None:
        """Count the occurrence just recorded; move to the next one and return it."""
        self.raised += 1
        self.token += 1
        self.next_alarm = next(self._upcoming, None)
        return self.next_alarm

    def end(self) -> None:
        """Stop: no further occurrence (cancelled, or the case closed)."""
        self.token += 1
        self.next_alarm = None
        self._upcoming = iter(())

    def _key(self) -> tuple[object, ...]:
        return (self.key, self.reminder, self.set_at, self.next_alarm, self.raised)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReminderState):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable

    def __repr__(self) -> str:
        when = self.next_alarm.isoformat() if self.next_alarm else "ended"
        return f"ReminderState({self.key!r}, raised={self.raised}, next={when})"


class ReminderBook:
    """The running reminders of one case; the engine's, which records what it returns."""

    __slots__ = ("case", "states")

    def __init__(self, case: Case) -> None:
        self.case = case
        self.states: dict[str, ReminderState] = {}

    def next_alarm(self) -> datetime | None:
        """Return the earliest next occurrence of any running reminder."""
        due = self.due()
        return None if due is None else due.next_alarm

    def due(self) -> ReminderState | None:
        """Return the reminder due next; of those due at one instant, the first key."""
        best: ReminderState | None = None
        for state in self.states.values():
            at = state.next_alarm
            if at is not None and (
                best is None
                or at < best.next_alarm  # type: ignore[operator]  # best is running
                or (at == best.next_alarm and state.key < best.key)
            ):
                best = state
        return best

    def _event(
        self, kind: EventKind, at: datetime, actor: str, key: str, data: Mapping[str, Any] | None
    ) -> RawEvent:
        case = self.case
        event = (
            case._id,
            len(case._events) + 1,
            kind,
            at,
            actor,
            key,
            case._step,
            case._step,
            case._level,
            case._assignee,
            data,
        )
        case._events.append(event)
        case._updated = at
        return event

    def set(self, reminder: Reminder, at: datetime, actor: str, tz: tzinfo) -> ReminderState:
        """Check, then record ``reminder_set`` on the case; return the new state."""
        case = self.case
        if not isinstance(reminder, Reminder):
            raise TypeError(f"expected a Reminder, got {type(reminder).__name__}")
        key = reminder.key
        if case.is_closed:
            raise ReminderRefused(case._id, key, "the case is closed", "事项已办结，不能再设置提醒")
        if key in self.states:
            raise DuplicateReminder(
                case._id,
                key,
                "is already running; cancel it before setting it again",
                "已在进行中；须先取消再重新设置",
            )
        state = ReminderState(reminder, at, tz)
        if state.next_alarm is None:
            raise ReminderRefused(
                case._id,
                key,
                f"has no occurrence at or after {at.isoformat()}",
                f"在 {at.isoformat()} 之后没有提醒时间",
            )
        self._event(EventKind.REMINDER_SET, at, actor, key, reminder.to_data())
        self.states[key] = state
        return state

    def cancel(
        self, key: str, at: datetime, actor: str, data: Mapping[str, Any] | None
    ) -> RawEvent:
        """Check, then record ``reminder_cancelled`` and end the reminder."""
        state = self.states.get(key)
        if state is None or self.case.is_closed:
            running = () if self.case.is_closed else tuple(sorted(self.states))
            raise UnknownReminder(self.case._id, key, running)
        event = self._event(EventKind.REMINDER_CANCELLED, at, actor, key, data)
        state.end()
        del self.states[key]
        return event

    def remind(self, state: ReminderState, at: datetime, actor: str) -> RawEvent:
        """Record the occurrence of ``state`` at ``at`` and move it on."""
        reminder = state.reminder
        role = reminder.notify_role
        data = {
            "occurrence": state.raised + 1,
            "notify": "assignee" if role is None else "role",
            "to": self.case._assignee if role is None else role,
            "label_zh": reminder.label_zh,
            "label_en": reminder.label_en,
            "data": reminder.data,
        }
        event = self._event(EventKind.REMINDED, at, actor, state.key, data)
        if state.advance() is None:
            del self.states[state.key]
        return event

    def stop(self) -> None:
        """End every reminder (the case closed): nothing is recorded, the closing event is."""
        for state in self.states.values():
            state.end()
        self.states.clear()

    def replay(self, event: Event, tz: tzinfo) -> None:
        """Apply a recorded reminder event; raise ``ValueError`` saying why it cannot be."""
        case, key = self.case, event.trigger or ""
        if case.is_closed or (event.source, event.target, event.level, event.assignee) != (
            case._step,
            case._step,
            case._level,
            case._assignee,
        ):
            raise ValueError(f"a reminder event does not fit the case as it is ({case._step!r})")
        state = self.states.get(key)
        if event.kind is EventKind.REMINDER_SET:
            if state is not None:
                raise ValueError(f"reminder {key!r} is set while it is running")
            state = ReminderState(Reminder.from_data(key, event.data), event.at, tz)
            if state.next_alarm is None:
                raise ValueError(f"reminder {key!r} would never remind")
            self.states[key] = state
        elif state is None:
            raise ValueError(f"reminder {key!r} is not running")
        elif event.kind is EventKind.REMINDER_CANCELLED:
            state.end()
            del self.states[key]
        else:
            occurrence = (event.data or {}).get("occurrence")
            if self.due() is not state or state.next_alarm != event.at:
                raise ValueError(f"reminder {key!r} is not the one due at {event.at.isoformat()}")
            if occurrence != state.raised + 1:
                raise ValueError(f"reminder {key!r}: occurrence {occurrence!r} is out of turn")
            if state.advance() is None:
                del self.states[key]
        case._events.append(event)
        case._updated = event.at
