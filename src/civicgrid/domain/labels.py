"""Chinese and English labels on string enums: one base class instead of one per module.

Every user-facing kind carries its Chinese label beside the English one (``Channel.MICRO_WISH``
is 微心愿, "micro-wish"). A module declares its enums on :class:`Labelled` and registers one
table of labels with :func:`register_labels`; the table must cover every member of each enum it
names, so a member added without its labels fails at import, not when first shown.

Keep one table per enum when two enums share a value: a string enum's members equal their
values, so ``Party.RESIDENT`` and ``ProposerKind.RESIDENT`` are one key in a shared dict (the
completeness check catches it).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

__all__ = ["Labelled", "register_labels"]

_E = TypeVar("_E", bound=enum.Enum)

_TABLES: dict[type[enum.Enum], dict[enum.Enum, tuple[str, str]]] = {}


class Labelled(enum.StrEnum):
    """A string enum whose members carry a Chinese and an English label."""

    @property
    def label_zh(self) -> str:
        """The Chinese label."""
        return _TABLES[type(self)][self][0]

    @property
    def label_en(self) -> str:
        """The English label."""
        return _TABLES[type(self)][self][1]


def register_labels(table: Mapping[_E, tuple[str, str]]) -> None:
    """Register the (Chinese, English) labels of the members in ``table``.

    Raises ``TypeError`` for a key that is not a :class:`Labelled` member and ``ValueError``
    when an enum named in the table has a member without labels: both are programming errors
    in the module declaring them.
    """
    classes: set[type[enum.Enum]] = set()
    for member, labels in table.items():
        if not isinstance(member, Labelled):
            raise TypeError(f"{member!r} is not a member of a Labelled enum")
        _TABLES.setdefault(type(member), {})[member] = labels
        classes.add(type(member))
    for cls in classes:
        missing = [m.name for m in cls if m not in _TABLES[cls]]
        if missing:
            raise ValueError(f"{cls.__name__} has members without labels: {', '.join(missing)}")
