"""The unit hierarchy (DOMAIN.md G1–G4): 市 → 区 → 街道 → 社区 → 小区 → 网格 → 楼栋 → 单元 → 户.

A :class:`Unit` is one node of the administrative chain or of a grid scheme (Chengdu's "3+1":
社区总网格 → 一般网格 → 微网格, plus 专属网格). A :class:`UnitTree` holds a whole district of
them (Chenghua has about 500,000 units down to the household) and answers the questions every
other part of the library asks: who is above this household, what lies below this community,
how many households and residents it has.

The tree is stored as plain dicts (id → unit, id → parent id, id → list of child ids) and every
algorithm is iterative, so nothing recurses over hundreds of thousands of nodes. The tree does
not impose an order of kinds (a city may hang compounds under general grids or the other way
round); it only requires one root, known parents and no cycles.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "TreeChangeRefused",
    "Unit",
    "UnitKind",
    "UnitTree",
    "UnknownUnit",
]


class UnitKind(Labelled):
    """The level a unit sits at: administrative (G1), grid (G2–G4) or residential."""

    CITY = "city"
    DISTRICT = "district"
    SUBDISTRICT = "subdistrict"
    COMMUNITY = "community"
    VILLAGE = "village"
    COMPOUND = "compound"
    COURTYARD = "courtyard"
    AREA = "area"
    TOTAL_GRID = "total_grid"
    GENERAL_GRID = "general_grid"
    MICRO_GRID = "micro_grid"
    DEDICATED_GRID = "dedicated_grid"
    GRID = "grid"
    """A generic grid, for schemes without Chengdu's 3+1 split (Hefei's 一小区一网格)."""
    BUILDING = "building"
    UNIT = "unit"
    HOUSEHOLD_GROUP = "household_group"
    """About ten linked households under one household leader (联户, Guizhou's 十联户, G4)."""
    HOUSEHOLD = "household"


_LABELS: dict[UnitKind, tuple[str, str]] = {
    UnitKind.CITY: ("市", "city"),
    UnitKind.DISTRICT: ("区", "district"),
    UnitKind.SUBDISTRICT: ("街道", "subdistrict"),
    UnitKind.COMMUNITY: ("社区", "community"),
    UnitKind.VILLAGE: ("村", "village"),
    UnitKind.COMPOUND: ("小区", "compound"),
    UnitKind.COURTYARD: ("院落", "courtyard"),
    UnitKind.AREA: ("片区", "area"),
    UnitKind.TOTAL_GRID: ("社区总网格", "total grid"),
    UnitKind.GENERAL_GRID: ("一般网格", "general grid"),
    UnitKind.MICRO_GRID: ("微网格", "micro grid"),
    UnitKind.DEDICATED_GRID: ("专属网格", "dedicated grid"),
    UnitKind.GRID: ("网格", "grid"),
    UnitKind.BUILDING: ("楼栋", "building"),
    UnitKind.UNIT: ("单元", "unit"),
    UnitKind.HOUSEHOLD_GROUP: ("联户", "linked households"),
    UnitKind.HOUSEHOLD: ("户", "household"),
}
register_labels(_LABELS)


# --------------------------------------------------------------------------- errors


class UnknownUnit(CivicGridError, LookupError):
    """No unit with this id is in the tree."""

    def __init__(self, unit_id: str) -> None:
        self.unit_id = unit_id
        super().__init__(f"unknown unit {unit_id!r}", f"未知的单元 {unit_id!r}")


class TreeChangeRefused(CivicGridError, ValueError):
    """A change to a :class:`UnitTree` was refused; the tree is exactly as it was."""

    def __init__(self, unit_id: str, message_en: str, message_zh: str) -> None:
        self.unit_id = unit_id
        super().__init__(
            f"cannot change unit {unit_id!r}: {message_en}",
            f"不能修改单元 {unit_id!r}：{message_zh}",
        )


# --------------------------------------------------------------------------- units


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _in_range(value: object, bound: float) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and -bound <= value <= bound
    )


@attrs.frozen(kw_only=True, slots=True)
class Unit:
    """One node of the hierarchy: a district, a community, a micro grid, a household.

    ``parent`` is the id of the unit above (``None`` for the root). ``households`` and
    ``residents`` are the unit's own figures when known; :meth:`UnitTree.households` rolls
    them up. Coordinates are WGS-84 degrees, given both or neither.

    Every problem with the fields is reported at once as :class:`~civicgrid.errors.InvalidData`.
    """

    id: str
    kind: UnitKind
    name_zh: str
    name_en: str = ""
    parent: str | None
    households: int | None = None
    residents: int | None = None
    longitude: float | None = None
    latitude: float | None = None

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        # Typed fields, but data from outside may not follow the types: check as objects.
        unit_id: object = self.id
        kind: object = self.kind
        parent: object = self.parent
        if not isinstance(unit_id, str) or not unit_id:
            problems.append(Problem("id", "must be a non-empty string"))
        if not isinstance(kind, UnitKind):
            problems.append(Problem("kind", f"must be a UnitKind, not {kind!r}"))
        if parent is not None and (not isinstance(parent, str) or not parent):
            problems.append(Problem("parent", "must be a non-empty string or None"))
        for field in ("households", "residents"):
            value = getattr(self, field)
            if value is not None and not _is_count(value):
                problems.append(Problem(field, f"must be a whole number >= 0, not {value!r}"))
        if self.longitude is not None and not _in_range(self.longitude, 180):
            problems.append(
                Problem("longitude", f"must lie in [-180, 180], not {self.longitude!r}")
            )
        if self.latitude is not None and not _in_range(self.latitude, 90):
            problems.append(Problem("latitude", f"must lie in [-90, 90], not {self.latitude!r}"))
        if (self.longitude is None) != (self.latitude is None):
            problems.append(
                Problem("latitude", "longitude and latitude go together: both or neither")
            )
        if problems:
            raise InvalidData(f"unit {self.id!r}", problems)


# --------------------------------------------------------------------------- the tree


class UnitTree:
    """A validated tree of units with one root, answering lookups and roll-ups fast.

    ``UnitTree(units)`` (or :meth:`build`) checks the whole input at once — duplicate ids,
    unknown parents, cycles, no root or more than one — and raises
    :class:`~civicgrid.errors.InvalidData` listing every problem with its path
    (``units[12].parent``).

    Roll-ups (:meth:`households`, :meth:`residents`): a unit's own figure when it has one,
    otherwise the sum of its children's roll-ups; a leaf without a figure counts 0. They are
    computed for the whole tree in one pass on first read and cached. Every change
    (:meth:`add`, :meth:`remove`, :meth:`move`, :meth:`replace`) only sets a dirty flag: the
    next roll-up read recomputes the whole tree (about half a second for 500,000 units), which
    is simpler to keep correct than invalidating ancestors one by one. A change that is
    refused raises before touching anything, so the tree is left exactly as it was.

    Lookups raise :class:`UnknownUnit` for an id not in the tree.
    """

    __slots__ = (
        "_children",
        "_households",
        "_ordered",
        "_parent",
        "_residents",
        "_root",
        "_units",
    )

    def __init__(self, units: Iterable[Unit], *, source: str | None = None) -> None:
        self._units: dict[str, Unit] = {}
        self._parent: dict[str, str | None] = {}
        self._children: dict[str, list[str]] = {}
        self._root: str = ""
        self._households: dict[str, int] | None = None
        self._residents: dict[str, int] | None = None
        self._ordered = True  # every parent is stored before its children
        self._load(list(units), source)

    @classmethod
    def build(cls, units: Iterable[Unit], *, source: str | None = None) -> UnitTree:
        """Build and validate a tree; the same as ``UnitTree(units)``."""
        return cls(units, source=source)

    def _load(self, units: list[Unit], source: str | None) -> None:
        problems: list[Problem] = []
        index: dict[str, int] = {}
        by_id = self._units
        for i, item in enumerate(units):
            unit: object = item  # the input may not follow the types
            if not isinstance(unit, Unit):
                problems.append(Problem(f"units[{i}]", f"not a Unit: {unit!r}"))
                continue
            first = index.setdefault(unit.id, i)
            if first != i:
                problems.append(
                    Problem(f"units[{i}].id", f"duplicate id {unit.id!r} (first at units[{first}])")
                )
                continue
            by_id[unit.id] = unit

        parent_of = self._parent
        roots: list[str] = []
        ordered = True
        for unit_id, unit in by_id.items():
            parent = unit.parent
            parent_of[unit_id] = parent
            if parent is None:
                roots.append(unit_id)
            elif parent in index:
                if ordered and index[parent] > index[unit_id]:
                    ordered = False
            else:
                problems.append(
                    Problem(f"units[{index[unit_id]}].parent", f"unknown parent {parent!r}")
                )
        if not roots:
            problems.append(Problem("units", "no root: exactly one unit must have parent None"))
        problems.extend(
            Problem(
                f"units[{index[extra]}].parent",
                f"second root {extra!r} (the first is {roots[0]!r} at "
                f"units[{index[roots[0]]}]); a tree has exactly one root",
            )
            for extra in roots[1:]
        )
        problems.extend(
            Problem(
                f"units[{index[cycle[0]]}].parent",
                "cycle: " + " → ".join([*cycle, cycle[0]]),
            )
            for cycle in _cycles(parent_of)
        )
        if problems:
            raise InvalidData("unit tree", problems, source)

        children = self._children
        for unit_id in by_id:
            children[unit_id] = []
        for unit_id, parent in parent_of.items():
            if parent is not None:
                children[parent].append(unit_id)
        self._root = roots[0]
        self._ordered = ordered

    # ----------------------------------------------------------------------- lookups

    def __len__(self) -> int:
        return len(self._units)

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self._units

    def __iter__(self) -> Iterator[Unit]:
        """Yield every unit, in the order they were given or added."""
        return iter(self._units.values())

    def __repr__(self) -> str:
        return f"<UnitTree root={self._root!r} units={len(self._units)}>"

    @property
    def root(self) -> Unit:
        """The one unit without a parent."""
        return self._units[self._root]

    @property
    def roots(self) -> tuple[Unit, ...]:
        """The units without a parent: always exactly one, the :attr:`root`."""
        return (self._units[self._root],)

    def unit(self, unit_id: str) -> Unit:
        """Return the unit with this id."""
        try:
            return self._units[unit_id]
        except KeyError:
            raise UnknownUnit(unit_id) from None

    def parent(self, unit_id: str) -> Unit | None:
        """Return the unit directly above, or ``None`` for the root."""
        try:
            parent = self._parent[unit_id]
        except KeyError:
            raise UnknownUnit(unit_id) from None
        return None if parent is None else self._units[parent]

    def children(self, unit_id: str) -> tuple[Unit, ...]:
        """Return the units directly below, in the order they were given or added."""
        try:
            ids = self._children[unit_id]
        except KeyError:
            raise UnknownUnit(unit_id) from None
        units = self._units
        return tuple([units[c] for c in ids])

    def ancestors(self, unit_id: str) -> tuple[Unit, ...]:
        """Return the chain above the unit, nearest first, ending at the root.

        The unit itself is not included; the root's ancestors are ``()``.
        """
        parent_of = self._parent
        try:
            parent = parent_of[unit_id]
        except KeyError:
            raise UnknownUnit(unit_id) from None
        units = self._units
        chain: list[Unit] = []
        while parent is not None:
            chain.append(units[parent])
            parent = parent_of[parent]
        return tuple(chain)

    def above(self, unit_id: str, kind: UnitKind) -> Unit | None:
        """Return the nearest ancestor of this kind (the unit itself excluded), or ``None``."""
        parent_of = self._parent
        try:
            parent = parent_of[unit_id]
        except KeyError:
            raise UnknownUnit(unit_id) from None
        units = self._units
        while parent is not None:
            unit = units[parent]
            if unit.kind is kind:
                return unit
            parent = parent_of[parent]
        return None

    def depth(self, unit_id: str) -> int:
        """Return the number of ancestors: 0 for the root."""
        parent_of = self._parent
        try:
            parent = parent_of[unit_id]
        except KeyError:
            raise UnknownUnit(unit_id) from None
        depth = 0
        while parent is not None:
            depth += 1
            parent = parent_of[parent]
        return depth

    def _subtree_ids(self, unit_id: str) -> list[str]:
        """Return the unit's id and all its descendants' ids, breadth first."""
        if unit_id not in self._children:
            raise UnknownUnit(unit_id)
        children = self._children
        order = [unit_id]
        for current in order:  # the list grows while it is walked: breadth first
            order.extend(children[current])
        return order

    def descendants(self, unit_id: str, kind: UnitKind | None = None) -> tuple[Unit, ...]:
        """Return every unit below (the unit itself excluded), breadth first.

        With ``kind``, only the descendants of that kind.
        """
        units = self._units
        ids = self._subtree_ids(unit_id)
        if kind is None:
            return tuple([units[i] for i in ids[1:]])
        return tuple([u for u in map(units.__getitem__, ids[1:]) if u.kind is kind])

    def counts_by_kind(self, unit_id: str) -> dict[UnitKind, int]:
        """Return how many descendants of each kind lie below the unit (itself excluded).

        Kinds with no descendant are left out.
        """
        units = self._units
        if unit_id == self._root:  # the whole tree: no walk needed
            below: Iterable[Unit] = (u for u in units.values() if u.id != unit_id)
        else:
            below = map(units.__getitem__, self._subtree_ids(unit_id)[1:])
        counts: dict[UnitKind, int] = {}
        for unit in below:
            kind = unit.kind
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    # ----------------------------------------------------------------------- roll-ups

    def households(self, unit_id: str) -> int:
        """Return the unit's households: its own figure, else the sum over its children."""
        return self._rolled_up(unit_id, 0)

    def residents(self, unit_id: str) -> int:
        """Return the unit's residents: its own figure, else the sum over its children."""
        return self._rolled_up(unit_id, 1)

    def sum_up(self, values: Mapping[str, float]) -> dict[str, float]:
        """Roll any per-unit figure up the tree: each unit gets its own value plus all below.

        ``values`` maps unit ids to figures (community workers appointed to each unit,
        organisations serving it, childcare places …); units it does not name count 0. The
        result has an entry for every unit of the tree. Unlike :meth:`households`, a unit's own
        value is added to its children's, not put in their place. An id not in the tree raises
        :class:`UnknownUnit` before anything is summed.
        """
        for unit_id in values:
            if unit_id not in self._units:
                raise UnknownUnit(unit_id)
        totals: dict[str, float] = dict.fromkeys(self._units, 0)
        totals.update(values)
        parent_of = self._parent
        for unit_id in self._bottom_up():
            parent = parent_of[unit_id]
            if parent is not None:
                totals[parent] += totals[unit_id]
        return totals

    def _bottom_up(self) -> Iterable[str]:
        """Every unit id, each before its parent."""
        if self._ordered:
            return reversed(self._units)
        return reversed(self._subtree_ids(self._root))

    def _rolled_up(self, unit_id: str, which: int) -> int:
        """Read roll-up ``which`` (0 households, 1 residents), computing both if stale."""
        households, residents = self._households, self._residents
        if households is None or residents is None:
            households, residents = self._roll_up()
        try:
            return (households, residents)[which][unit_id]
        except KeyError:
            raise UnknownUnit(unit_id) from None

    def _roll_up(self) -> tuple[dict[str, int], dict[str, int]]:
        """Compute both roll-ups for every unit in one pass, every child before its parent.

        While units are stored parents-first (true after building from parents-first input
        and after :meth:`add`/:meth:`remove`; a move that may break it clears ``_ordered``),
        the stored order reversed is such an order; otherwise a reversed breadth-first walk
        is. Each unit's value is added into its parent's entry before the parent is reached;
        the parent then keeps that sum unless it has its own figure.
        """
        units: Iterable[Unit]
        if self._ordered:
            units = reversed(self._units.values())
        else:
            units = map(self._units.__getitem__, self._bottom_up())
        households: dict[str, int] = {}
        residents: dict[str, int] = {}
        get_h = households.get
        get_r = residents.get
        for unit in units:
            unit_id = unit.id
            h = unit.households
            if h is None:
                h = get_h(unit_id, 0)
            r = unit.residents
            if r is None:
                r = get_r(unit_id, 0)
            households[unit_id] = h
            residents[unit_id] = r
            parent = unit.parent
            if parent is not None:
                households[parent] = get_h(parent, 0) + h
                residents[parent] = get_r(parent, 0) + r
        self._households = households
        self._residents = residents
        return households, residents

    def _invalidate(self) -> None:
        self._households = None
        self._residents = None

    # ----------------------------------------------------------------------- changes

    def add(self, unit: Unit) -> None:
        """Add a unit under an existing parent.

        Raises :class:`TreeChangeRefused` for an id already in the tree or a second root, and
        :class:`UnknownUnit` for an unknown parent.
        """
        if unit.id in self._units:
            raise TreeChangeRefused(unit.id, "the id is already in the tree", "该编号已存在")
        if unit.parent is None:
            raise TreeChangeRefused(
                unit.id, "a tree has exactly one root", "一棵树只能有一个根单元"
            )
        if unit.parent not in self._units:
            raise UnknownUnit(unit.parent)
        self._units[unit.id] = unit
        self._parent[unit.id] = unit.parent
        self._children[unit.id] = []
        self._children[unit.parent].append(unit.id)
        self._invalidate()

    def remove(self, unit_id: str, *, cascade: bool = False) -> tuple[Unit, ...]:
        """Remove a leaf, or with ``cascade=True`` the unit and everything below it.

        Returns the removed units, the given one first. The root cannot be removed.
        """
        ids = self._subtree_ids(unit_id)
        parent = self._parent[unit_id]
        if parent is None:
            raise TreeChangeRefused(unit_id, "the root cannot be removed", "根单元不能删除")
        if len(ids) > 1 and not cascade:
            raise TreeChangeRefused(
                unit_id,
                f"it has {len(ids) - 1} unit(s) below it; pass cascade=True to remove them too",
                f"其下还有 {len(ids) - 1} 个单元；如需一并删除请传入 cascade=True",
            )
        removed = tuple([self._units[i] for i in ids])
        self._children[parent].remove(unit_id)
        for i in ids:
            del self._units[i]
            del self._parent[i]
            del self._children[i]
        self._invalidate()
        return removed

    def _check_move(self, unit_id: str, new_parent: str | None) -> str | None:
        """Check that the unit may hang under ``new_parent``; return its current parent."""
        if unit_id not in self._units:
            raise UnknownUnit(unit_id)
        old = self._parent[unit_id]
        if new_parent == old:
            return old
        if old is None or new_parent is None:
            raise TreeChangeRefused(
                unit_id, "a tree has exactly one root", "一棵树只能有一个根单元"
            )
        if new_parent not in self._units:
            raise UnknownUnit(new_parent)
        current: str | None = new_parent
        while current is not None:
            if current == unit_id:
                raise TreeChangeRefused(
                    unit_id,
                    f"moving it under {new_parent!r} would make a cycle",
                    f"移到 {new_parent!r} 之下会形成循环",
                )
            current = self._parent[current]
        return old

    def _relink(self, unit_id: str, old: str, new: str) -> None:
        if old != new:
            self._children[old].remove(unit_id)
            self._children[new].append(unit_id)
            self._parent[unit_id] = new
            self._ordered = False  # the new parent may be stored after the unit

    def move(self, unit_id: str, new_parent: str) -> Unit:
        """Hang the unit (and everything below it) under ``new_parent``; return the moved unit.

        Refused if ``new_parent`` is the unit itself or lies below it, or if the unit is the
        root.
        """
        old = self._check_move(unit_id, new_parent)
        unit = self._units[unit_id]
        if old is None or old == new_parent:  # old is None only when new_parent is too
            return unit
        moved = attrs.evolve(unit, parent=new_parent)
        self._relink(unit_id, old, new_parent)
        self._units[unit_id] = moved
        self._invalidate()
        return moved

    def replace(self, unit: Unit) -> Unit:
        """Put ``unit`` in place of the unit with the same id; return the old one.

        A different ``parent`` moves it, with the same checks as :meth:`move`.
        """
        old_parent = self._check_move(unit.id, unit.parent)
        previous = self._units[unit.id]
        if old_parent is not None and unit.parent is not None:
            self._relink(unit.id, old_parent, unit.parent)
        self._units[unit.id] = unit
        self._invalidate()
        return previous


def _cycles(parent_of: dict[str, str | None]) -> list[list[str]]:
    """Every cycle in the parent links, each listed once, starting at its first-seen unit."""
    state: dict[str, int] = {}  # absent: unseen; n > 0: on walk n; -1: done
    cycles: list[list[str]] = []
    for walk, start in enumerate(parent_of, start=1):
        if start in state:
            continue
        path: list[str] = []
        current: str | None = start
        while current is not None and current in parent_of and current not in state:
            state[current] = walk
            path.append(current)
            current = parent_of[current]
        if current is not None and state.get(current) == walk:
            cycles.append(path[path.index(current) :])
        for unit_id in path:
            state[unit_id] = -1
    return cycles
