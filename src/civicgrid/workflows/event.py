"""Events: the truth of a case. State, indicators and reports are folds over them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, overload

from civicgrid.domain.labels import Labelled, register_labels

__all__ = ["Event", "EventKind", "EventLog", "RawEvent"]


class EventKind(Labelled):
    """What an event records."""

    OPENED = "opened"
    """The case was opened in its method's initial step."""
    TRANSITION = "transition"
    """A trigger moved the case (possibly to the same step)."""
    WARNED = "warned"
    """A deadline reached its warning point; ``trigger`` holds the deadline's key."""
    BREACHED = "breached"
    """A deadline passed unmet; ``trigger`` holds the deadline's key."""
    REMINDER_SET = "reminder_set"
    """A reminder was attached to the case; ``trigger`` holds its key, ``data`` its rule."""
    REMINDED = "reminded"
    """A reminder came due (DOMAIN.md I13); ``trigger`` holds its key."""
    REMINDER_CANCELLED = "reminder_cancelled"
    """A running reminder was cancelled; ``trigger`` holds its key."""


_LABELS: dict[EventKind, tuple[str, str]] = {
    EventKind.OPENED: ("发起", "opened"),
    EventKind.TRANSITION: ("流转", "transition"),
    EventKind.WARNED: ("临期预警", "deadline warning"),
    EventKind.BREACHED: ("超时", "deadline breached"),
    EventKind.REMINDER_SET: ("设置提醒", "reminder set"),
    EventKind.REMINDED: ("到期提醒", "reminder due"),
    EventKind.REMINDER_CANCELLED: ("取消提醒", "reminder cancelled"),
}
register_labels(_LABELS)


class Event(NamedTuple):
    """One recorded fact about a case; immutable.

    ``level`` and ``assignee`` are the case's values *after* the event, so replaying is a
    matter of reading them. For an opening event, ``trigger`` holds the method's key.

    The engine records an event per transition, so cost matters: it keeps each as a plain
    tuple of these fields (42 ns to build, measured on the project's machine, against 136 ns
    for this named tuple and 490 ns for a frozen attrs instance) and makes the named tuple
    when the event is read, through :class:`EventLog`.
    """

    case_id: str
    seq: int
    """Position in the case's history, from 1."""
    kind: EventKind
    at: datetime
    actor: str
    """The id of the actor, ``"system"`` for the engine itself."""
    trigger: str | None
    """The transition's trigger, the deadline's key for warnings and breaches, or the
    reminder's key for reminder events."""
    source: str | None
    """The step before the event (``None`` when the case is opened)."""
    target: str
    """The step after the event."""
    level: str | None
    assignee: str | None
    data: Mapping[str, Any] | None

    def __repr__(self) -> str:
        """Return the fields as given, phone and ID numbers masked (a log is not a store)."""
        from civicgrid.domain.personal import mask_text  # noqa: PLC0415 - only when shown

        fields = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True)
        )
        return mask_text(f"Event({fields})")


RawEvent = tuple[
    str,
    int,
    EventKind,
    datetime,
    str,
    "str | None",
    "str | None",
    str,
    "str | None",
    "str | None",
    "Mapping[str, Any] | None",
]
"""An event as the engine stores it: the fields of :class:`Event`, in order, in a plain tuple."""


class EventLog(Sequence[Event]):
    """A read-only view of a case's history that gives each stored event as an :class:`Event`."""

    __slots__ = ("_raw",)

    def __init__(self, raw: Sequence[RawEvent]) -> None:
        self._raw = raw

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            return [Event._make(raw) for raw in self._raw[index]]
        return Event._make(self._raw[index])

    def __len__(self) -> int:
        return len(self._raw)

    def __iter__(self) -> Iterator[Event]:
        return map(Event._make, self._raw)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EventLog):
            return list(self._raw) == list(other._raw)
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self._raw) == [tuple(item) for item in other]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a view of a changing list

    def __repr__(self) -> str:
        return f"EventLog({list(self)!r})"
