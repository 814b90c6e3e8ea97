"""Command posts (DOMAIN.md G6) and building contact boards (G10).

Chenghua's five-level command system (五级指挥体系, seed 003) is 1 district task force
(区级工作专班) → 11 subdistrict command posts (街道指挥部) → 83 community work stations (社区工作站)
→ 571 compound service points (小区（院落）服务点) → 15,800+ building/unit contact points
(楼栋单元联系点). A :class:`CommandPost` sits at one unit of its level's kinds; a
:class:`CommandSystem` checks a tree against its posts and answers which post stands above a
household. :func:`contact_board` answers G10's "who serves this household": the people posted
on a building's board (community worker, police officer, grid leader, building leader,
partner-unit contact), seat by seat, nearest unit first.

One post may serve several units: Chenghua has 571 compound service points for 1299 compounds
and courtyards, so a point sits at one compound (``unit``) and lists the others it serves
(``serves``). A unit counts as served when a post of the level sits at it or serves it, when a
unit above it of the same level is served (a building's point serves its 单元), or when every
unit of the level directly below it is served (a building whose 单元 all have points).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime

import attrs

from civicgrid.domain.findings import Finding, Severity
from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.people import Roster, Seat
from civicgrid.domain.personal import PhoneNumber
from civicgrid.domain.units import UnitKind, UnitTree
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "BOARD_ROLES",
    "CommandLevel",
    "CommandPost",
    "CommandSystem",
    "Contact",
    "LevelSummary",
    "UnknownCommandPost",
    "contact_board",
]

_K = UnitKind


class CommandLevel(Labelled):
    """A level of the five-level command system, from the district down to the building."""

    DISTRICT_TASK_FORCE = "district_task_force"
    SUBDISTRICT_COMMAND = "subdistrict_command"
    COMMUNITY_STATION = "community_station"
    COMPOUND_POINT = "compound_point"
    BUILDING_CONTACT = "building_contact"

    @property
    def unit_kinds(self) -> frozenset[UnitKind]:
        """The unit kinds a post of this level sits at (a community station: 社区 or 村)."""
        return _LEVELS[self][2]

    @property
    def rank(self) -> int:
        """0 for the district task force, 4 for a building contact point."""
        return _RANK[self]


_LEVELS: dict[CommandLevel, tuple[str, str, frozenset[UnitKind]]] = {
    CommandLevel.DISTRICT_TASK_FORCE: (
        "区级工作专班",
        "district task force",
        frozenset({_K.DISTRICT}),
    ),
    CommandLevel.SUBDISTRICT_COMMAND: (
        "街道指挥部",
        "subdistrict command post",
        frozenset({_K.SUBDISTRICT}),
    ),
    CommandLevel.COMMUNITY_STATION: (
        "社区工作站",
        "community work station",
        frozenset({_K.COMMUNITY, _K.VILLAGE}),
    ),
    CommandLevel.COMPOUND_POINT: (
        "小区（院落）服务点",
        "compound service point",
        frozenset({_K.COMPOUND, _K.COURTYARD, _K.AREA}),
    ),
    CommandLevel.BUILDING_CONTACT: (
        "楼栋单元联系点",
        "building/unit contact point",
        frozenset({_K.BUILDING, _K.UNIT}),
    ),
}
register_labels({level: (zh, en) for level, (zh, en, _) in _LEVELS.items()})
_RANK = {level: rank for rank, level in enumerate(CommandLevel)}


class UnknownCommandPost(CivicGridError, LookupError):
    """No command post with this id is in the system."""

    def __init__(self, post_id: str) -> None:
        self.post_id = post_id
        super().__init__(f"unknown command post {post_id!r}", f"未知的指挥体系站点 {post_id!r}")


def _ids(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class CommandPost:
    """One post of the command system, sitting at ``unit`` and serving ``serves`` as well.

    ``contact`` is the post's duty line, masked like every phone number.
    """

    id: str
    level: CommandLevel
    unit: str
    name_zh: str
    name_en: str = ""
    serves: tuple[str, ...] = attrs.field(default=(), converter=_ids)
    contact: PhoneNumber | None = None

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        for field in ("id", "unit", "name_zh"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value:
                problems.append(Problem(field, "must be a non-empty string"))
        level: object = self.level
        if not isinstance(level, CommandLevel):
            problems.append(Problem("level", f"must be a CommandLevel, not {level!r}"))
        seen: set[object] = {self.unit}
        for i, item in enumerate(self.serves):
            served: object = item
            if not isinstance(served, str) or not served or served in seen:
                problems.append(Problem(f"serves[{i}]", f"not a new unit id: {served!r}"))
            seen.add(served)
        contact: object = self.contact
        if contact is not None and not isinstance(contact, PhoneNumber):
            problems.append(Problem("contact", "must be a PhoneNumber or None"))
        if problems:
            raise InvalidData(f"command post {self.id!r}", problems)


@attrs.frozen(kw_only=True)
class LevelSummary:
    """One level of a tree's command system: posts, units of the level, units without a post."""

    level: CommandLevel
    posts: int
    units: int
    missing: int


class CommandSystem:
    """The posts of a five-level command system, checked against a unit tree.

    Posts are kept in the order given; duplicate ids raise
    :class:`~civicgrid.errors.InvalidData`. The system does not hold the tree: :meth:`check`,
    :meth:`gaps`, :meth:`summary` and :meth:`chain` take it, so one set of posts can be checked
    against a tree as it changes.
    """

    __slots__ = ("_at", "_posts")

    def __init__(self, posts: Iterable[CommandPost] = ()) -> None:
        self._posts: dict[str, CommandPost] = {}
        self._at: dict[tuple[CommandLevel, str], list[CommandPost]] = {}
        problems: list[Problem] = []
        for i, item in enumerate(posts):
            post: object = item
            if not isinstance(post, CommandPost):
                problems.append(Problem(f"posts[{i}]", f"not a CommandPost: {post!r}"))
                continue
            if post.id in self._posts:
                problems.append(Problem(f"posts[{i}].id", f"duplicate id {post.id!r}"))
                continue
            self._posts[post.id] = post
            for unit_id in (post.unit, *post.serves):
                self._at.setdefault((post.level, unit_id), []).append(post)
        if problems:
            raise InvalidData("command system", problems)

    def __iter__(self) -> Iterator[CommandPost]:
        return iter(self._posts.values())

    def __len__(self) -> int:
        return len(self._posts)

    def post(self, post_id: str) -> CommandPost:
        """Return the post with this id, or raise :class:`UnknownCommandPost`."""
        try:
            return self._posts[post_id]
        except KeyError:
            raise UnknownCommandPost(post_id) from None

    def counts(self) -> dict[CommandLevel, int]:
        """Return how many posts each level has (every level a key, top first)."""
        counts = dict.fromkeys(CommandLevel, 0)
        for post in self._posts.values():
            counts[post.level] += 1
        return counts

    def _serving(self, tree: UnitTree, level: CommandLevel) -> set[str]:
        """Return the units of the level's kinds that a post of the level sits at or serves."""
        kinds = level.unit_kinds
        return {
            unit_id
            for (post_level, unit_id) in self._at
            if post_level is level and unit_id in tree and tree.unit(unit_id).kind in kinds
        }

    def gaps(self, tree: UnitTree) -> dict[CommandLevel, tuple[str, ...]]:
        """Return, per level, the units of the level's kinds that no post serves.

        Within a unit of the level (a building), the gap is named as high as it is whole: a
        building none of whose 单元 has a point is one gap; a building where some have one
        names the 单元 without (households hanging straight from such a building, beside its
        单元, are not looked at). Units are in tree order.
        """
        return {
            level: _gaps(tree, level.unit_kinds, self._serving(tree, level))
            for level in CommandLevel
        }

    def summary(self, tree: UnitTree) -> tuple[LevelSummary, ...]:
        """Return posts, units and units without a post for every level, top first."""
        counts = self.counts()
        gaps = self.gaps(tree)
        by_kind = Counter(unit.kind for unit in tree)
        units = {lv: sum(by_kind[kind] for kind in lv.unit_kinds) for lv in CommandLevel}
        return tuple(
            LevelSummary(level=lv, posts=counts[lv], units=units[lv], missing=len(gaps[lv]))
            for lv in CommandLevel
        )

    def check(self, tree: UnitTree) -> tuple[Finding, ...]:
        """Check the posts against ``tree``; return findings, errors first.

        ``command.unknown_unit`` (error): a post sits at or serves a unit not in the tree.
        ``command.wrong_kind`` (error): the unit is not of a kind the level sits at.
        ``command.duplicate_post`` (warning): two posts of one level at or serving one unit.
        ``command.missing_post`` (warning): a gap (see :meth:`gaps`), its households as value.
        """
        rows: list[tuple[str, Severity, str | None, str | None, float | None, str, str]] = []
        for post in self._posts.values():
            level = post.level
            for unit_id in (post.unit, *post.serves):
                if unit_id not in tree:
                    en = f"{level.label_en} {post.id!r} names unknown unit {unit_id!r}"
                    zh = f"{level.label_zh} {post.id!r} 关联的单元 {unit_id!r} 不存在"
                    rows.append(
                        ("command.unknown_unit", Severity.ERROR, post.id, None, None, en, zh)
                    )
                elif (kind := tree.unit(unit_id).kind) not in level.unit_kinds:
                    en = f"a {level.label_en} cannot sit at a {kind.label_en}"
                    zh = f"{level.label_zh}不能设在{kind.label_zh}"
                    rows.append(
                        ("command.wrong_kind", Severity.ERROR, post.id, unit_id, None, en, zh)
                    )
        for (level, unit_id), posts in self._at.items():
            en = f"second {level.label_en} for the unit (the first is {posts[0].id!r})"
            zh = f"该单元已有{level.label_zh} {posts[0].id!r}"
            rows.extend(
                ("command.duplicate_post", Severity.WARNING, extra.id, unit_id, None, en, zh)
                for extra in posts[1:]
            )
        for level, missing in self.gaps(tree).items():
            for unit_id in missing:
                kind, households = tree.unit(unit_id).kind, tree.households(unit_id)
                en = (
                    f"{kind.label_en} {unit_id!r} ({households} households) has no {level.label_en}"
                )
                zh = f"{kind.label_zh} {unit_id!r}（{households} 户）没有{level.label_zh}"
                rows.append(
                    ("command.missing_post", Severity.WARNING, None, unit_id, households, en, zh)
                )
        found = [
            Finding(rule=r, severity=s, subject=p, unit=u, value=v, message_en=en, message_zh=zh)
            for r, s, p, u, v, en, zh in rows
        ]
        found.sort(key=lambda f: -f.severity.rank)
        return tuple(found)

    def chain(self, tree: UnitTree, unit_id: str) -> dict[CommandLevel, CommandPost | None]:
        """Return the post of each level above a household, nearest level first.

        For each level, the post at or serving the nearest unit of the level's kinds on the
        way up (the unit itself included), a post sitting there before one serving it;
        ``None`` where no post serves. An unknown ``unit_id`` raises
        :class:`~civicgrid.domain.units.UnknownUnit`.
        """
        path = (tree.unit(unit_id), *tree.ancestors(unit_id))
        chain: dict[CommandLevel, CommandPost | None] = {}
        for level in reversed(CommandLevel):
            chain[level] = None
            for unit in path:
                posts = self._at.get((level, unit.id))
                if posts and unit.kind in level.unit_kinds:
                    at = [p for p in posts if p.unit == unit.id]
                    chain[level] = (at or posts)[0]
                    break
        return chain


def _gaps(tree: UnitTree, kinds: frozenset[UnitKind], direct: set[str]) -> tuple[str, ...]:
    """Return the units of ``kinds`` no post serves, named as high as the gap is whole."""
    order = [u.id for u in tree if u.kind in kinds]
    up: dict[str, str | None] = {}  # nearest ancestor of the level's kinds
    below: dict[str, list[str]] = {}
    for unit_id in order:
        parent = tree.unit(unit_id).parent
        while parent is not None and tree.unit(parent).kind not in kinds:
            parent = tree.unit(parent).parent
        up[unit_id] = parent
        if parent is not None:
            below.setdefault(parent, []).append(unit_id)

    def depth(unit_id: str) -> int:
        steps, parent = 0, up[unit_id]
        while parent is not None:
            steps, parent = steps + 1, up[parent]
        return steps

    by_depth = sorted(order, key=depth)
    served: dict[str, bool] = {}  # by a post at it, or at a unit above it of the level
    for unit_id in by_depth:
        parent = up[unit_id]
        served[unit_id] = unit_id in direct or (parent is not None and served[parent])
    ok: dict[str, bool] = {}  # served, or every unit of the level directly below is ok
    for unit_id in reversed(by_depth):
        kids = below.get(unit_id, [])
        ok[unit_id] = served[unit_id] or (bool(kids) and all(ok[k] for k in kids))
    gaps: set[str] = set()
    stack = [u for u in order if up[u] is None]
    while stack:
        unit_id = stack.pop()
        if ok[unit_id]:
            continue
        kids = below.get(unit_id, [])
        if any(ok[k] for k in kids):
            stack.extend(kids)
        else:
            gaps.add(unit_id)
    return tuple(u for u in order if u in gaps)


# --------------------------------------------------------------------------- contact boards

BOARD_ROLES: frozenset[str] = frozenset(
    {
        Seat.COMMUNITY_WORKER,
        Seat.POLICE_OFFICER,
        Seat.GRID_LEADER,
        Seat.BUILDING_LEADER,
        Seat.PARTNER_UNIT_CONTACT,
    }
)
"""The roles G10's boards post on each building (seed 002)."""

_SEATS: dict[str, Seat] = {seat.value: seat for seat in Seat}


@attrs.frozen(kw_only=True)
class Contact:
    """One line of a contact board: a role, who holds it (by id), at which unit, how far up.

    ``steps`` is 0 for the household itself, 1 for the unit directly above, and so on.
    Personal data stays in the :class:`~civicgrid.domain.people.Roster`; only ids are here.
    """

    role: str
    person: str
    unit: str
    unit_kind: UnitKind
    steps: int
    appointment: str = ""

    @property
    def seat(self) -> Seat | None:
        """The :class:`Seat` the role names, or ``None`` for a role outside it."""
        return _SEATS.get(self.role)

    @property
    def label_zh(self) -> str:
        """The Chinese title of the role (``社区民警``); the role key when unknown."""
        return self.seat.label_zh if self.seat else self.role

    @property
    def label_en(self) -> str:
        """The English title of the role (``community police officer``)."""
        return self.seat.label_en if self.seat else self.role


def contact_board(
    tree: UnitTree,
    roster: Roster,
    household: str,
    on: date,
    *,
    roles: Iterable[str] | None = None,
) -> tuple[Contact, ...]:
    """Return who serves ``household`` on ``on``: seats at it and every unit above, nearest first.

    Reads appointments bound to a unit (``Appointment.unit``); seats held only in an
    organisation are not placed. Within a unit, appointments keep the roster's order. With
    ``roles`` (for instance :data:`BOARD_ROLES`), only those roles. Any unit may be asked,
    not only a household: a building's board is ``contact_board(tree, roster, building, on)``.
    An unknown unit raises :class:`~civicgrid.domain.units.UnknownUnit`; an ``on`` that is
    not a date raises :class:`~civicgrid.errors.InvalidData`.
    """
    day: object = on
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidData("contact board", [Problem("on", f"must be a date, not {day!r}")])
    wanted = None if roles is None else frozenset(roles)
    path = (tree.unit(household), *tree.ancestors(household))
    return tuple(
        Contact(
            role=a.role,
            person=a.person,
            unit=unit.id,
            unit_kind=unit.kind,
            steps=steps,
            appointment=a.id,
        )
        for steps, unit in enumerate(path)
        for a in roster.holders(on=on, unit=unit.id)
        if wanted is None or a.role in wanted
    )
