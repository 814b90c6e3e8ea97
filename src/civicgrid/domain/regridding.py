"""Re-gridding with history (DOMAIN.md G9): grids split, merge and move, and the past is kept.

Chenghua keeps adjusting its grids "considering blocks, roads and history" (充分考虑街区、道路、
历史沿革等因素，持续优化调整网格设置). A :class:`GridHistory` owns a base tree, the instant
``since`` it describes, and an append-only list of
:class:`~civicgrid.domain.grid_changes.GridChange` events — who, when, why and the data needed
to redo the change — so any past tree can be rebuilt and a report can ask which
grid a household was in on a given day.

The rules the history keeps:

- **Time runs forward.** A change dated before the last recorded one (or before ``since``) is
  refused. Equal timestamps are allowed: such changes take effect in the order recorded, and a
  question about that instant sees all of them.
- **Ids are never reused.** Adding or splitting into an id that is in the tree, or ever was, is
  refused, so an id names one area all through the history. For the same reason a split retires
  the old grid's id and its parts take new ids; a merge keeps the target's id and retires the
  sources, whose children move under the target.
- **A refused change changes nothing.** It raises :class:`~civicgrid.domain.units.UnknownUnit`,
  :class:`~civicgrid.domain.units.TreeChangeRefused` (or its :class:`ChangeOutOfOrder`) or, for a
  malformed event, :class:`~civicgrid.errors.InvalidData`, and the history and the live tree are
  exactly as they were.
- **Dates mean the end of the day.** Where an instant is asked for, a ``date`` means the end of
  that day in the history's timezone (Asia/Shanghai unless told): every change dated that day has
  taken effect. A ``datetime`` means that instant, changes at exactly that instant included.
  Periods are half-open like terms: ``[start, end)``, a date ``end`` excluded.

Answers about the past come from a per-unit index of versions (only units that ever changed have
one), not from rebuilding trees: :meth:`GridHistory.grid_of` costs a few dictionary look-ups and
binary searches, and :meth:`GridHistory.assign_households` one pass over the units with the walk
up the tree shared between households of the same building. :meth:`GridHistory.as_of` does rebuild
a tree, replaying the changes on the base, for callers who want the whole picture. Measured on a
4,536-unit community tree (4,000 households) after 276 splits, merges and moves: ``grid_of`` about
5 µs, a year's ``assign_households`` 3.5 ms, ``as_of`` 9–14 ms (building the base tree alone takes
5 ms), recording a move 28 µs.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import chain
from typing import Any

import attrs

from civicgrid.domain.grid_changes import (
    BeforeHistory,
    ChangeKind,
    ChangeOutOfOrder,
    GridChange,
    UnitNotPresent,
)
from civicgrid.domain.time import DEFAULT_TZ, require_aware
from civicgrid.domain.units import TreeChangeRefused, Unit, UnitKind, UnitTree, UnknownUnit
from civicgrid.errors import InvalidData, Problem

__all__ = ["GridHistory"]


# --------------------------------------------------------------------------- the history


class GridHistory:
    """A base tree and the append-only changes made to it since, with questions about the past.

    ``GridHistory(units, since=...)`` validates the base as a :class:`UnitTree` would; ``since``
    (timezone-aware) is the instant the base describes. :meth:`replay` rebuilds a history from a
    store's (base, changes). :attr:`current` is the live tree: read it, change it only through
    the history's methods, or the history no longer describes it. Each change method returns the
    recorded :class:`GridChange`.
    """

    def __init__(self, base: Iterable[Unit], *, since: datetime, tz: tzinfo = DEFAULT_TZ) -> None:
        self._since = require_aware(since, "since")
        self._tz = tz
        self._base_units = tuple(base)
        self._current = UnitTree(self._base_units)
        self._base = {unit.id: unit for unit in self._base_units}
        self._changes: list[GridChange] = []
        self._times: list[datetime] = []
        # Units that ever changed: (positions, states); state None while not in the tree.
        self._versions: dict[str, tuple[list[int], list[Unit | None]]] = {}

    @classmethod
    def replay(
        cls,
        base: Iterable[Unit],
        changes: Iterable[GridChange],
        *,
        since: datetime,
        tz: tzinfo = DEFAULT_TZ,
    ) -> GridHistory:
        """Rebuild a history from its base and recorded changes, checking each as it goes."""
        history = cls(base, since=since, tz=tz)
        for change in changes:
            history.record(change)
        return history

    def __repr__(self) -> str:
        return f"<GridHistory since={self._since.isoformat()} changes={len(self._changes)}>"

    @property
    def since(self) -> datetime:
        """The instant the base tree describes; the history knows nothing before it."""
        return self._since

    @property
    def base(self) -> tuple[Unit, ...]:
        """The units of the base tree, as given."""
        return self._base_units

    @property
    def current(self) -> UnitTree:
        """The live tree, with every recorded change applied."""
        return self._current

    def changes(
        self, start: date | datetime | None = None, end: date | datetime | None = None
    ) -> tuple[GridChange, ...]:
        """Return the recorded changes in ``[start, end)`` (all of them by default), in order."""
        low = 0 if start is None else bisect_left(self._times, self._instant(start, "start"))
        high = (
            len(self._times) if end is None else bisect_left(self._times, self._instant(end, "end"))
        )
        return tuple(self._changes[low:high])

    # ----------------------------------------------------------------------- changes

    def record(self, change: GridChange) -> GridChange:
        """Check ``change`` against the live tree and append it, or raise and change nothing."""
        last = self._times[-1] if self._times else self._since
        if change.at < last:
            raise ChangeOutOfOrder(change, last)
        _check(self._current, change, self._known)
        try:
            updates = _apply(self._current, change)
        except BaseException:  # checked above, so unexpected: restore the tree, then raise
            self._current = self._tree_after(len(self._changes))
            raise
        position = len(self._changes) + 1
        for unit_id, state in updates.items():
            versions = self._versions.get(unit_id)
            if versions is None:
                base = self._base.get(unit_id)
                versions = ([0], [base]) if base is not None else ([], [])
                self._versions[unit_id] = versions
            versions[0].append(position)
            versions[1].append(state)
        self._changes.append(change)
        self._times.append(change.at)
        return change

    def _record(
        self, kind: ChangeKind, subject: str, at: datetime, actor: str, reason: str, **data: Any
    ) -> GridChange:
        change = GridChange(kind=kind, at=at, actor=actor, reason=reason, subject=subject, **data)
        return self.record(change)

    def add(self, unit: Unit, *, at: datetime, actor: str, reason: str) -> GridChange:
        """Add a unit (a new building, a new dedicated grid) under an existing parent."""
        return self._record(ChangeKind.ADD, unit.id, at, actor, reason, units=(unit,))

    def retire(
        self, unit_id: str, *, cascade: bool = False, at: datetime, actor: str, reason: str
    ) -> GridChange:
        """Retire a unit; one with units below it only with ``cascade=True`` (they go too)."""
        return self._record(ChangeKind.RETIRE, unit_id, at, actor, reason, cascade=cascade)

    def move(
        self, unit_id: str, new_parent: str, *, at: datetime, actor: str, reason: str
    ) -> GridChange:
        """Hang a unit (a building, a compound) and everything below it under another parent."""
        return self._record(ChangeKind.MOVE, unit_id, at, actor, reason, parent=new_parent)

    def replace(self, unit: Unit, *, at: datetime, actor: str, reason: str) -> GridChange:
        """Put a new version of a unit (same id and parent) in place of the current one."""
        return self._record(ChangeKind.REPLACE, unit.id, at, actor, reason, units=(unit,))

    def rename(
        self,
        unit_id: str,
        name_zh: str,
        name_en: str | None = None,
        *,
        at: datetime,
        actor: str,
        reason: str,
    ) -> GridChange:
        """Give a unit a new name (``name_en`` kept unless given); recorded as a replacement."""
        old = self._current.unit(unit_id)
        new = attrs.evolve(
            old, name_zh=name_zh, name_en=old.name_en if name_en is None else name_en
        )
        return self.replace(new, at=at, actor=actor, reason=reason)

    def split(
        self,
        grid_id: str,
        into: Sequence[Unit],
        assign: Mapping[str, str],
        *,
        at: datetime,
        actor: str,
        reason: str,
    ) -> GridChange:
        """Split a grid into new parts; ``assign`` maps every unit directly under it to a part.

        The parts are added (each under its own ``parent``, which must not lie inside the old
        grid), the units below move to their parts, and the old grid's id is retired.
        """
        return self._record(
            ChangeKind.SPLIT,
            grid_id,
            at,
            actor,
            reason,
            units=tuple(into),
            assign=tuple(assign.items()),
        )

    def merge(
        self, sources: Sequence[str], into: str | Unit, *, at: datetime, actor: str, reason: str
    ) -> GridChange:
        """Merge grids into an existing one (its id) or a new one (a Unit, added first).

        The units under each source move under the target, in order, and the sources are retired.
        """
        target = into if isinstance(into, str) else into.id
        return self._record(
            ChangeKind.MERGE,
            target,
            at,
            actor,
            reason,
            units=() if isinstance(into, str) else (into,),
            sources=(sources,) if isinstance(sources, str) else tuple(sources),
        )

    # ----------------------------------------------------------------------- the past

    def as_of(self, when: date | datetime) -> UnitTree:
        """Rebuild the tree as it was at ``when`` (a date: at the end of that day).

        The tree is new (changing it changes nothing here) and is built by replaying the
        recorded changes on the base, so it costs about as much as building the base tree.
        """
        return self._tree_after(self._through(when))

    def unit_as_of(self, unit_id: str, when: date | datetime) -> Unit | None:
        """Return the unit as it was at ``when``, or ``None`` if it was not in the tree then."""
        if not self._known(unit_id):
            raise UnknownUnit(unit_id)
        return self._state(unit_id, self._through(when))

    def grid_of(self, unit_id: str, kind: UnitKind, when: date | datetime) -> Unit | None:
        """Return the unit of ``kind`` the unit was in at ``when``, or ``None`` if there was none.

        Like :meth:`UnitTree.above`, the unit itself is not counted: ``grid_of(household,
        MICRO_GRID, date(2026, 3, 1))`` is the household's micro grid at the end of 1 March.
        Raises :class:`UnitNotPresent` if the unit was not in the tree then.
        """
        position = self._through(when)
        unit = self._present(unit_id, position, when)
        return self._above(unit.parent, kind, position, {})

    def assign_households(
        self,
        kind: UnitKind,
        start: date | datetime,
        end: date | datetime,
        *,
        member: UnitKind = UnitKind.HOUSEHOLD,
    ) -> dict[str, str | None]:
        """Give every household in the tree during ``[start, end)`` exactly one unit of ``kind``.

        A household is counted where it was at the end of the period or, if it was retired during
        the period, just before it was retired; ``None`` when no unit of ``kind`` was above it
        then. Its kind is read at that moment too. ``member`` counts units of another kind
        (buildings per grid) instead of households. Surveyed figures (``Unit.households``) are
        not households of the tree and are not counted here.
        """
        first, last = self._period(start, end)
        memo: dict[tuple[str, int], Unit | None] = {}
        assigned: dict[str, str | None] = {}
        base, versions_of = self._base, self._versions
        for unit_id in chain(base, (i for i in versions_of if i not in base)):
            versions = versions_of.get(unit_id)
            position = last
            if versions is not None:
                positions, states = versions
                if positions[0] > last or (states[-1] is None and positions[-1] <= first):
                    continue  # added after the period, or retired before it began
                if states[-1] is None:
                    position = min(last, positions[-1] - 1)
            unit = self._present(unit_id, position, end)
            if unit.kind is member:
                found = self._above(unit.parent, kind, position, memo)
                assigned[unit_id] = None if found is None else found.id
        return assigned

    def households_by_unit(
        self,
        kind: UnitKind,
        start: date | datetime,
        end: date | datetime,
        *,
        member: UnitKind = UnitKind.HOUSEHOLD,
    ) -> dict[str | None, tuple[str, ...]]:
        """Group :meth:`assign_households` by unit: the totals add up to the distinct households.

        Households under no unit of ``kind`` are listed under ``None``.
        """
        grouped: dict[str | None, list[str]] = {}
        for household, unit_id in self.assign_households(kind, start, end, member=member).items():
            grouped.setdefault(unit_id, []).append(household)
        return {unit_id: tuple(households) for unit_id, households in grouped.items()}

    # ----------------------------------------------------------------------- internals

    def _known(self, unit_id: str) -> bool:
        return unit_id in self._base or unit_id in self._versions

    def _tree_after(self, position: int) -> UnitTree:
        tree = UnitTree(self._base_units)
        for change in self._changes[:position]:
            _apply(tree, change)
        return tree

    def _instant(self, when: date | datetime, field: str) -> datetime:
        if isinstance(when, datetime):
            return require_aware(when, field)
        return datetime.combine(when, time(), tzinfo=self._tz)

    def _through(self, when: date | datetime) -> int:
        """How many changes are in effect at ``when`` (a date: at the end of that day)."""
        if isinstance(when, datetime):
            instant = require_aware(when, "when")
            if instant < self._since:
                raise BeforeHistory(when, self._since)
            return bisect_right(self._times, instant)
        cutoff = self._instant(when + timedelta(days=1), "when")
        if cutoff <= self._since:
            raise BeforeHistory(when, self._since)
        return bisect_left(self._times, cutoff)

    def _period(self, start: date | datetime, end: date | datetime) -> tuple[int, int]:
        """Return how many changes are in effect when the period starts and just before it ends."""
        begins, ends = self._instant(start, "start"), self._instant(end, "end")
        if ends <= begins:
            raise InvalidData(
                "period", [Problem("end", f"must be after start ({begins.isoformat()})")]
            )
        if begins < self._since:
            raise BeforeHistory(start, self._since)
        return bisect_right(self._times, begins), bisect_left(self._times, ends)

    def _state(self, unit_id: str, position: int) -> Unit | None:
        versions = self._versions.get(unit_id)
        if versions is None:
            return self._base.get(unit_id)
        positions, states = versions
        index = bisect_right(positions, position) - 1
        return states[index] if index >= 0 else None

    def _present(self, unit_id: str, position: int, when: date | datetime) -> Unit:
        unit = self._state(unit_id, position)
        if unit is None:
            raise UnitNotPresent(unit_id, when) if self._known(unit_id) else UnknownUnit(unit_id)
        return unit

    def _above(
        self,
        parent: str | None,
        kind: UnitKind,
        position: int,
        memo: dict[tuple[str, int], Unit | None],
    ) -> Unit | None:
        """Find the nearest unit of ``kind`` at or above ``parent``, sharing walks via ``memo``."""
        walked: list[tuple[str, int]] = []
        found: Unit | None = None
        while parent is not None:
            key = (parent, position)
            if key in memo:
                found = memo[key]
                break
            walked.append(key)
            unit = self._present(parent, position, self._since)
            if unit.kind is kind:
                found = unit
                break
            parent = unit.parent
        for key in walked:
            memo[key] = found
        return found


# --------------------------------------------------------------------------- checking and applying


def _check(tree: UnitTree, change: GridChange, known: Callable[[str], bool]) -> None:
    """Raise if ``change`` cannot be applied to ``tree``; touch nothing."""
    kind, subject = change.kind, change.subject
    if kind is not ChangeKind.REPLACE:
        for unit in change.units:
            if known(unit.id):
                raise TreeChangeRefused(
                    unit.id,
                    "the id is in the tree or was used before; ids are never reused",
                    "该编号已存在或曾经使用过；编号不可重复使用",
                )
            if unit.parent is None:
                raise TreeChangeRefused(
                    unit.id, "a tree has exactly one root", "一棵树只能有一个根单元"
                )
            if unit.parent not in tree:
                raise UnknownUnit(unit.parent)
    if kind is ChangeKind.MOVE:
        parent = tree.parent(subject)
        if parent is not None and parent.id == change.parent:
            raise TreeChangeRefused(
                subject, f"it is already under {change.parent!r}", f"已经在 {change.parent!r} 之下"
            )
    elif kind is ChangeKind.REPLACE:
        old, (new,) = tree.unit(subject), change.units
        if new.parent != old.parent:
            raise TreeChangeRefused(
                subject,
                f"a replacement keeps the parent {old.parent!r}; record a move to change it",
                f"变更须保留上级 {old.parent!r}；调整隶属请记录为移动",
            )
        if new == old:
            raise TreeChangeRefused(subject, "the replacement changes nothing", "变更前后内容相同")
    elif kind is ChangeKind.SPLIT:
        _check_split(tree, change)
    elif kind is ChangeKind.MERGE:
        _check_merge(tree, change)


def _check_split(tree: UnitTree, change: GridChange) -> None:
    grid = change.subject
    if tree.parent(grid) is None:
        raise TreeChangeRefused(grid, "the root cannot be split", "根单元不能拆分")
    for part in change.units:
        if grid in _chain(tree, part.parent):
            raise TreeChangeRefused(
                grid,
                f"part {part.id!r} would hang under {part.parent!r}, which the split retires",
                f"拆分后的 {part.id!r} 会挂在随拆分撤销的 {part.parent!r} 之下",
            )
    children = [c.id for c in tree.children(grid)]
    assigned = dict(change.assign)
    strays = [c for c in assigned if c not in set(children)]
    if strays:
        raise TreeChangeRefused(
            grid,
            f"{', '.join(strays)} is not directly under it",
            f"{'、'.join(strays)} 不是它的直接下级",
        )
    missing = [c for c in children if c not in assigned]
    if missing:
        raise TreeChangeRefused(
            grid,
            f"every unit directly under it must go to a part; not assigned: {', '.join(missing)}",
            f"其直接下级都须分配到拆分后的网格；未分配：{'、'.join(missing)}",
        )


def _check_merge(tree: UnitTree, change: GridChange) -> None:
    target, sources = change.subject, set(change.sources)
    for source in change.sources:
        if tree.parent(source) is None:
            raise TreeChangeRefused(source, "the root cannot be merged away", "根单元不能被合并")
        below = [a.id for a in tree.ancestors(source) if a.id in sources]
        if below:
            raise TreeChangeRefused(
                source,
                f"it lies below another source, {below[0]!r}; merge them one at a time",
                f"它位于另一个被合并单元 {below[0]!r} 之下；请分别合并",
            )
    anchor = change.units[0].parent if change.units else tree.unit(target).id
    inside = [u for u in _chain(tree, anchor) if u in sources]
    if inside:
        raise TreeChangeRefused(
            inside[0],
            f"the target {target!r} lies inside it and would be retired with it",
            f"合并目标 {target!r} 位于其下，会随之撤销",
        )


def _chain(tree: UnitTree, unit_id: str | None) -> list[str]:
    """Return the unit's id and its ancestors' ids, nearest first; empty for ``None``."""
    if unit_id is None:
        return []
    return [unit_id, *(a.id for a in tree.ancestors(unit_id))]


def _apply(tree: UnitTree, change: GridChange) -> dict[str, Unit | None]:
    """Apply a checked change; return the new state of every unit it touched (None: retired)."""
    kind, subject = change.kind, change.subject
    updates: dict[str, Unit | None] = {}
    if kind is ChangeKind.REPLACE:
        (unit,) = change.units
        tree.replace(unit)
        updates[subject] = unit
        return updates
    for unit in change.units:
        tree.add(unit)
        updates[unit.id] = unit
    if kind is ChangeKind.RETIRE:
        updates.update((u.id, None) for u in tree.remove(subject, cascade=change.cascade))
    elif kind is ChangeKind.MOVE:
        updates[subject] = tree.move(subject, change.parent)
    elif kind is ChangeKind.SPLIT:
        for child, part in change.assign:
            updates[child] = tree.move(child, part)
        tree.remove(subject)
        updates[subject] = None
    elif kind is ChangeKind.MERGE:
        for source in change.sources:
            for child in [c.id for c in tree.children(source)]:
                updates[child] = tree.move(child, subject)
            tree.remove(source)
            updates[source] = None
    return updates
