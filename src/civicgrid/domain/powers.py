"""Duty and power lists (DOMAIN.md O11): what compound and grid party organisations do.

Chenghua gives compound (grid) party organisations a duty list (职责清单) of 8 kinds "such as
political leadership, resource coordination and contacting residents" (政治引领、资源统筹、
联系群众等8类) and an empowerment list (赋权清单) of 6 powers "such as dispatch, deliberation
and appraisal" (调度权、议事权、评议权等6类), seeds/003. Only those three of each are named, so
only those three of each ship in :data:`BUILTIN_CATALOGUE`; a city adds the rest of its own lists
as data (:meth:`Catalogue.from_data`, :meth:`Catalogue.extended`), never by changing code.

An :class:`~civicgrid.domain.organisations.Organisation` holds list keys in ``powers`` and
``duties``; :func:`check_lists` and :func:`check_all_lists` report keys a catalogue does not
know, as :class:`~civicgrid.errors.Problem` records, without touching the organisation. The
powers are what permission checks read (:func:`civicgrid.actor_for`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping

import attrs

from civicgrid.domain.organisations import Organisation, Organisations
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "BUILTIN_CATALOGUE",
    "Catalogue",
    "ListEntry",
    "ListKind",
    "UnknownListEntry",
    "check_all_lists",
    "check_lists",
]

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
"""List keys are lower snake case, like the power keys a method names (``dispatch``)."""


class ListKind(enum.StrEnum):
    """Which list an entry belongs to: the duty list or the empowerment (power) list."""

    DUTY = "duty"
    POWER = "power"

    @property
    def label_zh(self) -> str:
        """职责清单 or 赋权清单."""
        return "职责清单" if self is ListKind.DUTY else "赋权清单"

    @property
    def label_en(self) -> str:
        """Duty list or empowerment list."""
        return "duty list" if self is ListKind.DUTY else "empowerment list"

    @property
    def field(self) -> str:
        """The :class:`Organisation` field holding keys of this list: ``duties`` or ``powers``."""
        return "duties" if self is ListKind.DUTY else "powers"


class UnknownListEntry(CivicGridError, LookupError):
    """A catalogue has no duty or power with this key."""

    def __init__(self, kind: ListKind, key: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.key = key
        self.known = tuple(sorted(known))
        super().__init__(
            f"no {kind} {key!r} in the {kind.label_en}; known: {', '.join(self.known) or 'none'}",
            f"{kind.label_zh}中没有 {key!r}；已有：{'、'.join(self.known) or '无'}",
        )


@attrs.frozen(kw_only=True)
class ListEntry:
    """One kind of duty (职责) or power (职权) with its labels and where it comes from.

    ``key`` is what an organisation's ``duties`` or ``powers`` hold and what a method's
    ``powers = ["dispatch"]`` names. ``source`` names the document (``O11, seeds/003`` or a
    city's own notice).
    """

    key: str
    kind: ListKind
    label_zh: str
    label_en: str
    source: str = ""
    description: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        key: object = self.key
        kind: object = self.kind
        if not isinstance(key, str) or not _KEY.match(key):
            problems.append(
                Problem(
                    "key", f"{key!r} is not a key: use lower_snake_case, starting with a letter"
                )
            )
        if not isinstance(kind, ListKind):
            choices = ", ".join(repr(k.value) for k in ListKind)
            problems.append(Problem("kind", f"{kind!r} is not one of {choices}"))
        for field in ("label_zh", "label_en"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                problems.append(
                    Problem(field, "empty: every entry carries its Chinese and English label")
                )
        problems.extend(
            Problem(field, "must be a string")
            for field in ("source", "description")
            if not isinstance(getattr(self, field), str)
        )
        if problems:
            raise InvalidData(f"list entry {self.key!r}", problems)


class Catalogue:
    """A set of duty and power entries, keyed by kind and key; immutable once built.

    Raises :class:`~civicgrid.errors.InvalidData` listing every problem at once (an item that
    is not a :class:`ListEntry`, a key given twice for one kind), with paths like
    ``entries[4].key``. A duty and a power may share a key: they live in different lists.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries: Iterable[ListEntry] = (), *, source: str | None = None) -> None:
        found: dict[tuple[ListKind, str], ListEntry] = {}
        index: dict[tuple[ListKind, str], int] = {}
        problems: list[Problem] = []
        for i, item in enumerate(entries):
            entry: object = item
            if not isinstance(entry, ListEntry):
                problems.append(Problem(f"entries[{i}]", f"not a ListEntry: {entry!r}"))
                continue
            slot = (entry.kind, entry.key)
            if slot in found:
                problems.append(
                    Problem(
                        f"entries[{i}].key",
                        f"duplicate {entry.kind} {entry.key!r} (first at entries[{index[slot]}])",
                    )
                )
                continue
            found[slot] = entry
            index[slot] = i
        if problems:
            raise InvalidData("duty and power catalogue", problems, source)
        self._entries = found

    @classmethod
    def from_data(cls, data: Mapping[str, object], *, source: str | None = None) -> Catalogue:
        """Build a catalogue from plain data, as a city's TOML or JSON file holds it.

        ``data`` has the lists ``duties`` and ``powers``, each a list of tables with ``key``,
        ``label_zh``, ``label_en`` and optionally ``source`` and ``description``. Every problem
        is reported at once, with paths like ``powers[2].label_en``; unknown fields are refused.
        """
        problems: list[Problem] = []
        entries: list[ListEntry] = []
        allowed = ("key", "label_zh", "label_en", "source", "description")
        problems.extend(
            Problem(name, "unknown field: expected 'duties' and 'powers'")
            for name in data
            if name not in ("duties", "powers")
        )
        for kind in ListKind:
            items = data.get(kind.field, [])
            if not isinstance(items, list):
                problems.append(Problem(kind.field, "must be a list of tables"))
                continue
            for i, item in enumerate(items):
                here = f"{kind.field}[{i}]"
                if not isinstance(item, Mapping):
                    problems.append(Problem(here, f"must be a table, not {item!r}"))
                    continue
                problems.extend(
                    Problem(f"{here}.{name}", "unknown field")
                    for name in item
                    if name not in allowed
                )
                fields = {name: item.get(name, "") for name in allowed}
                wrong = sorted(name for name, value in fields.items() if not isinstance(value, str))
                problems.extend(Problem(f"{here}.{name}", "must be a string") for name in wrong)
                if wrong:
                    continue
                try:
                    entries.append(
                        ListEntry(
                            key=str(fields["key"]),
                            kind=kind,
                            label_zh=str(fields["label_zh"]),
                            label_en=str(fields["label_en"]),
                            source=str(fields["source"]),
                            description=str(fields["description"]),
                        )
                    )
                except InvalidData as invalid:
                    problems.extend(
                        Problem(f"{here}.{p.path}", p.message) for p in invalid.problems
                    )
        if problems:
            raise InvalidData("duty and power catalogue", problems, source)
        return cls(entries, source=source)

    def extended(
        self, entries: Iterable[ListEntry] | Catalogue, *, source: str | None = None
    ) -> Catalogue:
        """Return a new catalogue with ``entries`` added after this one's.

        A key already in this catalogue (for the same kind) is refused, so a city cannot
        silently relabel a built-in entry; to replace the built-ins, build a catalogue of your
        own without them.
        """
        return Catalogue([*self, *entries], source=source)

    def __iter__(self) -> Iterator[ListEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<Catalogue {len(self.duties)} duties, {len(self.powers)} powers>"

    def entries(self, kind: ListKind) -> tuple[ListEntry, ...]:
        """Return the entries of one list, in the order given."""
        return tuple(e for e in self._entries.values() if e.kind is kind)

    @property
    def duties(self) -> tuple[ListEntry, ...]:
        """The duty list (职责清单), in the order given."""
        return self.entries(ListKind.DUTY)

    @property
    def powers(self) -> tuple[ListEntry, ...]:
        """The empowerment list (赋权清单), in the order given."""
        return self.entries(ListKind.POWER)

    def keys(self, kind: ListKind) -> frozenset[str]:
        """Return the keys of one list."""
        return frozenset(key for k, key in self._entries if k is kind)

    def get(self, kind: ListKind, key: str) -> ListEntry:
        """Return the entry, or raise :class:`UnknownListEntry` naming the keys that exist."""
        try:
            return self._entries[(kind, key)]
        except KeyError:
            raise UnknownListEntry(kind, key, self.keys(kind)) from None

    def duty(self, key: str) -> ListEntry:
        """Return the duty called ``key`` (:class:`UnknownListEntry` if there is none)."""
        return self.get(ListKind.DUTY, key)

    def power(self, key: str) -> ListEntry:
        """Return the power called ``key`` (:class:`UnknownListEntry` if there is none)."""
        return self.get(ListKind.POWER, key)


_O11 = "O11, seeds/003 (Chenghua)"

BUILTIN_CATALOGUE = Catalogue(
    [
        ListEntry(
            key="political_leadership",
            kind=ListKind.DUTY,
            label_zh="政治引领",
            label_en="political leadership",
            source=_O11,
        ),
        ListEntry(
            key="resource_coordination",
            kind=ListKind.DUTY,
            label_zh="资源统筹",
            label_en="resource coordination",
            source=_O11,
        ),
        ListEntry(
            key="contacting_residents",
            kind=ListKind.DUTY,
            label_zh="联系群众",
            label_en="contacting residents",
            source=_O11,
        ),
        ListEntry(
            key="dispatch", kind=ListKind.POWER, label_zh="调度权", label_en="dispatch", source=_O11
        ),
        ListEntry(
            key="deliberation",
            kind=ListKind.POWER,
            label_zh="议事权",
            label_en="deliberation",
            source=_O11,
        ),
        ListEntry(
            key="appraisal",
            kind=ListKind.POWER,
            label_zh="评议权",
            label_en="appraisal",
            source=_O11,
        ),
    ],
    source="civicgrid built-in lists",
)
"""The entries the source names: 3 of Chenghua's 8 duties and 3 of its 6 powers, no more.

The other five duties and three powers are not named in the documents; a city that has its
list adds them with :meth:`Catalogue.extended` or :meth:`Catalogue.from_data`.
"""


def check_lists(
    organisation: Organisation, catalogue: Catalogue = BUILTIN_CATALOGUE
) -> tuple[Problem, ...]:
    """Return a problem for every duty or power key of ``organisation`` the catalogue lacks.

    Paths are the organisation's field names (``powers``, ``duties``); keys are reported in
    sorted order. Nothing is raised and the organisation is not changed: the caller decides
    whether an unknown key is an error (wrap the result in
    :class:`~civicgrid.errors.InvalidData`) or a warning.
    """
    problems: list[Problem] = []
    for kind in (ListKind.POWER, ListKind.DUTY):
        known = catalogue.keys(kind)
        held: frozenset[str] = getattr(organisation, kind.field)
        problems.extend(
            Problem(
                kind.field,
                f"{key!r} is not in the {kind.label_en} ({kind.label_zh}); "
                f"known: {', '.join(sorted(known)) or 'none'}",
            )
            for key in sorted(held - known)
        )
    return tuple(problems)


def check_all_lists(
    organisations: Organisations | Iterable[Organisation], catalogue: Catalogue = BUILTIN_CATALOGUE
) -> tuple[Problem, ...]:
    """Run :func:`check_lists` on every organisation; paths read ``organisations['id'].powers``."""
    return tuple(
        Problem(f"organisations[{org.id!r}].{problem.path}", problem.message)
        for org in organisations
        for problem in check_lists(org, catalogue)
    )
