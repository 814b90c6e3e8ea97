"""Exclusive parts and how owners are counted in owners' votes (DOMAIN.md D9).

An owners' vote under Civil Code art. 278 counts two things: the floor area of the exclusive
parts (专有部分) of the owners who take part, and how many owners they are. The Supreme
People's Court's Interpretation on building distinguished ownership (最高人民法院关于审理建筑物
区分所有权纠纷案件适用法律若干问题的解释, 法释〔2009〕7号, amended 2020 by 法释〔2020〕17号)
says how to measure both:

    第八条　民法典第二百七十八条第二款和第二百八十三条规定的专有部分面积可以按照不动产登记簿
    记载的面积计算；尚未进行物权登记的，暂按测绘机构的实测面积计算；尚未进行实测的，暂按房屋
    买卖合同记载的面积计算。

    第九条　民法典第二百七十八条第二款规定的业主人数可以按照专有部分的数量计算，一个专有部分
    按一人计算。但建设单位尚未出售和虽已出售但尚未交付的部分，以及同一买受人拥有一个以上专有
    部分的，按一人计算。

So here:

- **Area** (art. 8): an :class:`ExclusivePart` carries the registered area (不动产登记簿); when it
  is not registered yet, the area surveyed by a mapping institute (实测) stands in, and when
  there is no survey either, the area in the sale contract (合同). :attr:`ExclusivePart.area`
  is the first of the three that is given and :attr:`~ExclusivePart.area_source` says which.
  Areas are exact: text such as ``"89.37"``, a ``Decimal``, a ``Fraction`` or an ``int``,
  stored as a :class:`~fractions.Fraction`; a ``float`` is refused, because 89.37 is not a
  binary fraction and thresholds are decided at the bound. Totals are the sums over the roll
  (the 2009 text's "统计总和").
- **Heads** (art. 9): each exclusive part is one owner (:class:`CountedOwner`), except that
  the parts one buyer holds count as one owner with their areas added, and the parts the
  developer (建设单位) has not sold, or sold but not delivered, count together as one owner.
  "One buyer" means the same registered holders: parts held by exactly the same set of
  people. A person who holds one flat alone and another jointly with a spouse is two owners,
  because the holders differ.
- **Co-owners of one part** (共有) are one owner with one vote, as the part is one person under
  art. 9. Beijing's housing commission states the practice for its "北京业主" voting app
  (2020): "一套共有产权房屋仅有一票投票权，投票时由共有产权人商定，由其中一个共有产权人投一次
  票" and, for one owner of several flats, "总票数计算为一票，面积为房屋专有部分面积累加". A part
  may name its
  :attr:`~ExclusivePart.representative`, the co-owner designated to vote; then only that
  person may cast its ballot. Without one, any co-owner may, and several ballots for one owner
  are settled by the vote's declared repeat-ballot policy (see :mod:`civicgrid.domain.votes`).

Who is an owner at all follows the interpretation's art. 1: the registered holder, or a buyer
from the developer who lawfully occupies the part before registration. A tenant is not an
owner and cannot vote.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "AreaInput",
    "AreaSource",
    "CountedOwner",
    "ExclusivePart",
    "OwnersRoll",
    "PartStatus",
    "UnknownPart",
    "exact_area",
]

AreaInput = str | Decimal | Fraction | int
"""What an area may be given as: text (``"89.37"``), ``Decimal``, ``Fraction`` or ``int``."""


class PartStatus(Labelled):
    """Whose vote a part carries: its buyer's once delivered, the developer's before."""

    DELIVERED = "delivered"
    SOLD_UNDELIVERED = "sold_undelivered"
    UNSOLD = "unsold"

    @property
    def developer_held(self) -> bool:
        """True when the developer votes for the part (unsold, or sold but not delivered)."""
        return self is not PartStatus.DELIVERED


class AreaSource(Labelled):
    """Where a part's area comes from, in the order of the interpretation's art. 8."""

    REGISTERED = "registered"
    SURVEYED = "surveyed"
    CONTRACT = "contract"


_LABELS: dict[Labelled, tuple[str, str]] = {
    PartStatus.DELIVERED: ("已交付业主", "delivered to its owner"),
    PartStatus.SOLD_UNDELIVERED: ("已出售但尚未交付", "sold but not yet delivered"),
    PartStatus.UNSOLD: ("建设单位尚未出售", "not yet sold by the developer"),
    AreaSource.REGISTERED: ("不动产登记簿记载面积", "area in the real-estate register"),
    AreaSource.SURVEYED: ("测绘机构实测面积", "area surveyed by a mapping institute"),
    AreaSource.CONTRACT: ("房屋买卖合同记载面积", "area in the sale contract"),
}
register_labels(_LABELS)

_AREA_FIELDS = (
    ("registered_area", AreaSource.REGISTERED),
    ("surveyed_area", AreaSource.SURVEYED),
    ("contract_area", AreaSource.CONTRACT),
)


class UnknownPart(CivicGridError, LookupError):
    """No exclusive part with this id is on the roll."""

    def __init__(self, part_id: str) -> None:
        self.part_id = part_id
        super().__init__(f"unknown exclusive part {part_id!r}", f"未知的专有部分 {part_id!r}")


# --------------------------------------------------------------------------- exact areas


def _parse(value: object) -> Fraction | str:
    """Return the exact area, or a message saying why ``value`` is not one."""
    if isinstance(value, bool | float):
        return (
            f"must be exact (text such as '89.37', a Decimal or a Fraction), not the "
            f"{type(value).__name__} {value!r}"
        )
    if not isinstance(value, str | Decimal | Fraction | int):
        return f"must be text such as '89.37', a Decimal, a Fraction or an int, not {value!r}"
    try:
        area = Fraction(value.strip() if isinstance(value, str) else value)
    except (ValueError, ArithmeticError):
        return f"is not a number: {value!r}"
    if area <= 0:
        return f"must be more than 0 m², not {value!r}"
    return area


def exact_area(value: AreaInput) -> Fraction:
    """Return ``value`` as an exact, positive area in m², or raise InvalidData.

    ``exact_area("89.37") == Fraction(8937, 100)``; a float is refused.
    """
    area = _parse(value)
    if isinstance(area, str):
        raise InvalidData("area", [Problem("", area)])
    return area


def _to_area(value: AreaInput | None) -> Fraction | None:
    # attrs converter: exact inputs become Fractions; anything else is kept as it is, for
    # __attrs_post_init__ to report with the other problems.
    if value is None:
        return None
    area = _parse(value)
    kept: Any = value
    return kept if isinstance(area, str) else area


def _people(value: Iterable[str] | str) -> frozenset[str]:
    return frozenset((value,) if isinstance(value, str) else value)


# --------------------------------------------------------------------------- parts


@attrs.frozen(kw_only=True)
class ExclusivePart:
    """One exclusive part (专有部分): a flat, a shop, a parking space, with its area.

    ``owners`` are the ids of its registered holders (or the buyer occupying it before
    registration); two or more are co-owners. A part the developer has not sold or not yet
    delivered (``status``) is voted by the developer; its buyer, if any, may be listed but does
    not vote for it. Give at least one of ``registered_area``, ``surveyed_area`` and
    ``contract_area``; :attr:`area` takes the first given (art. 8). ``representative`` is
    the co-owner designated to vote for the part. ``unit`` is the household in the unit tree,
    when linked.
    """

    id: str
    status: PartStatus = PartStatus.DELIVERED
    owners: frozenset[str] = attrs.field(default=frozenset(), converter=_people)
    registered_area: Fraction | None = attrs.field(default=None, converter=_to_area)
    surveyed_area: Fraction | None = attrs.field(default=None, converter=_to_area)
    contract_area: Fraction | None = attrs.field(default=None, converter=_to_area)
    representative: str | None = None
    unit: str | None = None

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        part_id: object = self.id
        status: object = self.status
        if not isinstance(part_id, str) or not part_id:
            problems.append(Problem("id", "must be a non-empty string"))
        if not isinstance(status, PartStatus):
            problems.append(Problem("status", f"must be a PartStatus, not {status!r}"))
        owners: frozenset[object] = self.owners
        problems.extend(
            Problem("owners", f"ids must be non-empty strings, not {owner!r}")
            for owner in owners
            if not isinstance(owner, str) or not owner
        )
        if status is PartStatus.DELIVERED and not self.owners:
            problems.append(Problem("owners", "a delivered part needs at least one owner"))
        if status is PartStatus.UNSOLD and self.owners:
            problems.append(Problem("owners", "an unsold part has no owner but the developer"))
        given = 0
        for field, _source in _AREA_FIELDS:
            value: object = getattr(self, field)
            if value is None:
                continue
            given += 1
            checked = _parse(value)
            if isinstance(checked, str):
                problems.append(Problem(field, checked))
        if not given:
            problems.append(
                Problem(
                    "registered_area",
                    "give the registered area, or the surveyed one, or the contract one (art. 8)",
                )
            )
        representative: object = self.representative
        if representative is not None:
            if isinstance(status, PartStatus) and status.developer_held:
                problems.append(
                    Problem("representative", "the developer votes for a part it still holds")
                )
            elif representative not in self.owners:
                problems.append(
                    Problem("representative", f"{representative!r} is not one of the owners")
                )
        unit: object = self.unit
        if unit is not None and (not isinstance(unit, str) or not unit):
            problems.append(Problem("unit", "must be a non-empty string or None"))
        if problems:
            raise InvalidData(f"exclusive part {self.id!r}", problems)

    @property
    def area(self) -> Fraction:
        """The area that counts: registered, else surveyed, else contract (art. 8), in m²."""
        for field, _source in _AREA_FIELDS:
            value: Fraction | None = getattr(self, field)
            if value is not None:
                return value
        raise AssertionError("validated: some area is given")  # pragma: no cover

    @property
    def area_source(self) -> AreaSource:
        """Which of the three areas :attr:`area` is."""
        for field, source in _AREA_FIELDS:
            if getattr(self, field) is not None:
                return source
        raise AssertionError("validated: some area is given")  # pragma: no cover


@attrs.frozen(kw_only=True)
class CountedOwner:
    """One owner as art. 9 counts them: one head, the area of all its parts.

    ``holders`` are the people who may cast its ballot (the co-owners, or the developer);
    ``representative``, when set, is the only one who may. ``developer`` marks the developer's
    single head for all the parts it still holds.
    """

    parts: tuple[str, ...]
    area: Fraction
    holders: frozenset[str]
    developer: bool = False
    representative: str | None = None

    def may_cast(self, person: str) -> bool:
        """Whether ``person`` may cast this owner's ballot."""
        if self.representative is not None:
            return person == self.representative
        return person in self.holders

    @property
    def name(self) -> str:
        """A readable name: the developer, or the holders' ids joined with ``+``."""
        return "developer" if self.developer else "+".join(sorted(self.holders))


# --------------------------------------------------------------------------- the roll


class OwnersRoll:
    """The owners' roll (业主名册) of one compound: its parts, and its owners counted by art. 9.

    ``OwnersRoll(parts, compound=..., developer=...)`` checks the parts together (unique ids,
    a developer id when the developer still holds parts, one representative per owner) and
    raises :class:`~civicgrid.errors.InvalidData` listing every problem (``parts[3].id``).
    Totals and owners are computed once; the roll does not change afterwards.
    """

    __slots__ = (
        "_by_person",
        "_compound",
        "_developer",
        "_head_of",
        "_heads",
        "_parts",
        "_total_area",
    )

    def __init__(
        self,
        parts: Iterable[ExclusivePart],
        *,
        compound: str,
        developer: str | None = None,
        source: str | None = None,
    ) -> None:
        items = list(parts)
        problems: list[Problem] = []
        compound_id: object = compound
        developer_id: object = developer
        if not isinstance(compound_id, str) or not compound_id:
            problems.append(Problem("compound", "must be the id of the compound"))
        if developer_id is not None and (not isinstance(developer_id, str) or not developer_id):
            problems.append(Problem("developer", "must be a non-empty string or None"))
        if not items:
            problems.append(Problem("parts", "a roll needs at least one exclusive part"))
        by_id: dict[str, ExclusivePart] = {}
        index: dict[str, int] = {}
        for i, item in enumerate(items):
            part: object = item
            if not isinstance(part, ExclusivePart):
                problems.append(Problem(f"parts[{i}]", f"not an ExclusivePart: {part!r}"))
            elif part.id in by_id:
                problems.append(
                    Problem(
                        f"parts[{i}].id",
                        f"duplicate id {part.id!r} (first at parts[{index[part.id]}])",
                    )
                )
            else:
                by_id[part.id] = part
                index[part.id] = i
        groups: dict[tuple[bool, frozenset[str]], list[ExclusivePart]] = {}
        for part in by_id.values():
            held = part.status.developer_held
            groups.setdefault((held, frozenset() if held else part.owners), []).append(part)
            if held and developer is None:
                problems.append(
                    Problem(
                        f"parts[{index[part.id]}].status",
                        f"the part is {part.status.label_en}: name the roll's developer",
                    )
                )
        for (held, _holders), group in groups.items():
            named = {p.representative for p in group if p.representative is not None}
            if not held and len(named) > 1:
                ids = ", ".join(p.id for p in group)
                problems.append(
                    Problem(
                        f"parts[{index[group[0].id]}].representative",
                        f"parts {ids} belong to one owner but name different representatives",
                    )
                )
        if problems:
            raise InvalidData(f"owners' roll of {compound!r}", problems, source)
        self._compound = compound
        self._developer = developer
        self._parts = by_id
        self._heads: list[CountedOwner] = []
        self._head_of: dict[str, int] = {}
        self._by_person: dict[str, list[int]] = {}
        for (held, holders), group in groups.items():
            position = len(self._heads)
            chosen = [p.representative for p in group if p.representative is not None]
            who = frozenset({developer}) if held and developer is not None else holders
            self._heads.append(
                CountedOwner(
                    parts=tuple(p.id for p in group),
                    area=sum((p.area for p in group), Fraction(0)),
                    holders=who,
                    developer=held,
                    representative=chosen[0] if chosen else None,
                )
            )
            for part in group:
                self._head_of[part.id] = position
            for person in who:
                self._by_person.setdefault(person, []).append(position)
        self._total_area = sum((h.area for h in self._heads), Fraction(0))

    def __len__(self) -> int:
        return len(self._parts)

    def __iter__(self) -> Iterator[ExclusivePart]:
        return iter(self._parts.values())

    def __contains__(self, part_id: object) -> bool:
        return part_id in self._parts

    def __repr__(self) -> str:
        return (
            f"<OwnersRoll {self._compound!r}: {len(self._parts)} parts, {len(self._heads)} owners>"
        )

    @property
    def compound(self) -> str:
        """The id of the compound (小区) the roll belongs to."""
        return self._compound

    @property
    def developer(self) -> str | None:
        """The id of the developer (建设单位), who votes for the parts it still holds."""
        return self._developer

    @property
    def owners(self) -> tuple[CountedOwner, ...]:
        """Every owner as art. 9 counts them, in the order their first part was given."""
        return tuple(self._heads)

    @property
    def total_area(self) -> Fraction:
        """The sum of the areas of all exclusive parts, in m² (the vote's area base)."""
        return self._total_area

    @property
    def total_owners(self) -> int:
        """How many owners art. 9 counts (the vote's head base)."""
        return len(self._heads)

    def part(self, part_id: str) -> ExclusivePart:
        """Return the part with this id, or raise :class:`UnknownPart`."""
        try:
            return self._parts[part_id]
        except KeyError:
            raise UnknownPart(part_id) from None

    def owner_index(self, part_id: str) -> int:
        """Return the position in :attr:`owners` of the owner counted for this part."""
        try:
            return self._head_of[part_id]
        except KeyError:
            raise UnknownPart(part_id) from None

    def owner_of(self, part_id: str) -> CountedOwner:
        """Return the owner counted for this part (the developer's head for its parts)."""
        return self._heads[self.owner_index(part_id)]

    def owners_held_by(self, person: str) -> tuple[CountedOwner, ...]:
        """Return the owners whose ballot ``person`` is a holder of (may be several)."""
        return tuple(self._heads[i] for i in self._by_person.get(person, ()))
