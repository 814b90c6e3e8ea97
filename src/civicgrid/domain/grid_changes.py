"""Re-gridding events (DOMAIN.md G9): what a :class:`GridChange` records, and its errors.

Plain data a store can persist: the kind of change, when, who, why, and what is needed to redo
it on the tree before it. :class:`~civicgrid.domain.regridding.GridHistory` records and
replays them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.units import TreeChangeRefused, Unit, UnknownUnit
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "BeforeHistory",
    "ChangeKind",
    "ChangeOutOfOrder",
    "GridChange",
    "UnitNotPresent",
]


class ChangeKind(Labelled):
    """What a :class:`GridChange` does to the tree."""

    ADD = "add"
    RETIRE = "retire"
    MOVE = "move"
    REPLACE = "replace"
    SPLIT = "split"
    MERGE = "merge"


_LABELS: dict[ChangeKind, tuple[str, str]] = {
    ChangeKind.ADD: ("新增", "add"),
    ChangeKind.RETIRE: ("撤销", "retire"),
    ChangeKind.MOVE: ("调整隶属", "move"),
    ChangeKind.REPLACE: ("变更", "replace"),
    ChangeKind.SPLIT: ("拆分", "split"),
    ChangeKind.MERGE: ("合并", "merge"),
}
register_labels(_LABELS)

# The optional fields each kind uses; every other one must keep its default.
_USES: dict[ChangeKind, frozenset[str]] = {
    ChangeKind.ADD: frozenset({"units"}),
    ChangeKind.RETIRE: frozenset({"cascade"}),
    ChangeKind.MOVE: frozenset({"parent"}),
    ChangeKind.REPLACE: frozenset({"units"}),
    ChangeKind.SPLIT: frozenset({"units", "assign"}),
    ChangeKind.MERGE: frozenset({"units", "sources"}),
}
_OPTIONAL = ("units", "assign", "sources", "parent", "cascade")


# --------------------------------------------------------------------------- errors


class ChangeOutOfOrder(TreeChangeRefused):
    """A change is dated before the last recorded change (or before the base tree)."""

    def __init__(self, change: GridChange, last: datetime) -> None:
        self.change = change
        self.at = change.at
        self.last = last
        super().__init__(
            change.subject,
            f"it is dated {change.at.isoformat()}, before {last.isoformat()} (the last recorded "
            "change or the start of the history); history is appended in time order",
            f"日期 {change.at.isoformat()} 早于 {last.isoformat()}（最近一次调整或历史起点）；"
            "调整记录只能按时间顺序追加",
        )


class BeforeHistory(CivicGridError, LookupError):
    """A question about a moment before the base tree: the history does not know it."""

    def __init__(self, when: date | datetime, since: datetime) -> None:
        self.when = when
        self.since = since
        super().__init__(
            f"{when.isoformat()} is before the history starts ({since.isoformat()})",
            f"{when.isoformat()} 早于调整历史的起点（{since.isoformat()}）",
        )


class UnitNotPresent(UnknownUnit):
    """The unit is known to the history but was not in the tree at that moment."""

    def __init__(self, unit_id: str, when: date | datetime) -> None:
        self.when = when
        CivicGridError.__init__(
            self,
            f"unit {unit_id!r} was not in the tree at {when.isoformat()}",
            f"单元 {unit_id!r} 在 {when.isoformat()} 不在树中",
        )
        self.unit_id = unit_id


# --------------------------------------------------------------------------- events


@attrs.frozen(kw_only=True)
class GridChange:
    """One recorded re-gridding step: plain data, enough to redo it on the tree before it.

    ``subject`` is the unit the change is about: the added, retired, moved or replaced unit, the
    grid that is split, or the target of a merge. The other fields are used by some kinds only
    and keep their defaults otherwise:

    - ``units``: the units the change brings in — the added unit, the replacement (same id and
      parent), the parts of a split (at least two), or a merge's new target (none when the target
      already exists);
    - ``assign``: for a split, ``(child id, part id)`` pairs placing every unit directly under the
      old grid in one of the parts;
    - ``sources``: for a merge, the units retired into ``subject``;
    - ``parent``: for a move, the new parent;
    - ``cascade``: for a retirement, whether the units below go too.

    Every problem is reported at once as :class:`~civicgrid.errors.InvalidData`.
    """

    kind: ChangeKind
    at: datetime
    actor: str
    reason: str
    subject: str
    units: tuple[Unit, ...] = ()
    assign: tuple[tuple[str, str], ...] = ()
    sources: tuple[str, ...] = ()
    parent: str = ""
    cascade: bool = False

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        kind: object = self.kind
        at: object = self.at
        if not isinstance(kind, ChangeKind):
            problems.append(Problem("kind", f"must be a ChangeKind, not {kind!r}"))
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            problems.append(Problem("at", "must be a timezone-aware datetime"))
        for field in ("actor", "reason", "subject"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(field, "must be a non-empty string"))
        if isinstance(kind, ChangeKind):
            defaults = attrs.fields_dict(GridChange)
            problems.extend(
                Problem(field, f"is not used by a {kind} change")
                for field in _OPTIONAL
                if field not in _USES[kind] and getattr(self, field) != defaults[field].default
            )
            problems.extend(self._kind_problems(kind))
        if problems:
            raise InvalidData(f"grid change to {self.subject!r}", problems)

    def _kind_problems(self, kind: ChangeKind) -> Iterator[Problem]:
        units: tuple[object, ...] = self.units
        if not all(isinstance(u, Unit) for u in units):
            yield Problem("units", "must all be Units")
            return
        ids = [u.id for u in self.units]
        if kind in {ChangeKind.ADD, ChangeKind.REPLACE} and ids != [self.subject]:
            yield Problem("units", f"must be exactly one unit, with id {self.subject!r}")
        elif kind is ChangeKind.MERGE and ids not in ([], [self.subject]):
            yield Problem("units", f"holds at most the new target, with id {self.subject!r}")
        elif kind is ChangeKind.MOVE and not self.parent:
            yield Problem("parent", "a move needs the id of the new parent")
        elif kind is ChangeKind.SPLIT:
            if len(ids) < 2 or len(set(ids)) != len(ids) or self.subject in ids:
                yield Problem("units", "a split needs two or more parts with new, distinct ids")
            children = [child for child, _ in self.assign]
            if len(set(children)) != len(children):
                yield Problem("assign", "each unit goes to one part only")
            strays = sorted({part for _, part in self.assign} - set(ids))
            if strays:
                yield Problem("assign", f"{', '.join(strays)} is not one of the parts")
        if kind is ChangeKind.MERGE:
            if not self.sources or len(set(self.sources)) != len(self.sources):
                yield Problem("sources", "a merge needs one or more distinct sources")
            if self.subject in self.sources:
                yield Problem("sources", f"{self.subject!r} cannot be merged into itself")
