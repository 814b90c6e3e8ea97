"""The "three priorities" (三优先, DOMAIN.md O10) when choosing grid workers and household leaders.

Huichuan (Guizhou, seeds/002) chooses grid workers and household leaders (网格员、联户长) "on the
principle of the three priorities: party members first, veterans first, outstanding volunteers
first" (党员优先、退役军人优先、优秀志愿者优先). :func:`rank_candidates` orders candidates by
those priorities and says, for each, which ones they met, in Chinese and English, so a
selection can be explained to the people not chosen.

The source names the three priorities side by side without ranking them against each other,
so by default a candidate meeting more of them comes first (each counts once). A city that
ranks them in order (every party member before any veteran) passes ``in_order=True``. The
ranking only proposes: who is appointed is the organisation's decision, recorded as an
:class:`~civicgrid.domain.people.Appointment`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.people import Person
from civicgrid.errors import InvalidData, Problem

__all__ = ["THREE_PRIORITIES", "Priority", "RankedCandidate", "rank_candidates"]


class Priority(Labelled):
    """One of the three priorities, read from the :class:`Person` field of the same name."""

    PARTY_MEMBER = "party_member"
    VETERAN = "veteran"
    OUTSTANDING_VOLUNTEER = "outstanding_volunteer"

    def met_by(self, person: Person) -> bool:
        """Whether ``person`` meets this priority (is a party member, a veteran …)."""
        met: bool = getattr(person, self.value)
        return met


_PRIORITY_LABELS: dict[Priority, tuple[str, str]] = {
    Priority.PARTY_MEMBER: ("党员优先", "party members first"),
    Priority.VETERAN: ("退役军人优先", "veterans first"),
    Priority.OUTSTANDING_VOLUNTEER: ("优秀志愿者优先", "outstanding volunteers first"),
}
register_labels(_PRIORITY_LABELS)

THREE_PRIORITIES: tuple[Priority, ...] = (
    Priority.PARTY_MEMBER,
    Priority.VETERAN,
    Priority.OUTSTANDING_VOLUNTEER,
)
"""The three priorities in the order the source lists them."""


@attrs.frozen(kw_only=True)
class RankedCandidate:
    """One candidate's place in a ranking and why they are there.

    ``rank`` counts from 1 in ranking order; ``position`` is where the candidate stood in the
    input (from 0), which decides between candidates equal on everything else. ``met`` lists
    the priorities they meet, in the order the ranking weighed them. ``extra`` is the value of
    the city's extra key, when one was given.
    """

    rank: int
    person: Person
    met: tuple[Priority, ...]
    position: int
    extra: Any = None

    @property
    def score(self) -> int:
        """How many priorities the candidate meets."""
        return len(self.met)

    @property
    def explanation_zh(self) -> str:
        """Why the candidate stands here, in Chinese (``第1名：符合党员优先、退役军人优先``)."""
        if not self.met:
            return f"第{self.rank}名：不符合“三优先”条件"
        return f"第{self.rank}名：符合{'、'.join(p.label_zh for p in self.met)}"

    @property
    def explanation_en(self) -> str:
        """Why the candidate stands here, in English (``#1: party members first, …``)."""
        if not self.met:
            return f"#{self.rank}: meets none of the three priorities"
        return f"#{self.rank}: meets {', '.join(p.label_en for p in self.met)}"


def rank_candidates(
    people: Iterable[Person],
    *,
    priorities: Sequence[Priority] = THREE_PRIORITIES,
    in_order: bool = False,
    extra_key: Callable[[Person], Any] | None = None,
) -> tuple[RankedCandidate, ...]:
    """Rank candidates by the three priorities; stable, and explained entry by entry.

    By default a candidate meeting more ``priorities`` ranks higher; with ``in_order`` the
    priorities are weighed one after the other, as a dictionary orders words (every party
    member before any candidate who is not, then veterans among each group …). Candidates
    equal on the priorities are ordered by ``extra_key`` when the city supplies one (lower
    values first, as in :func:`sorted`; e.g. ``lambda p: -years_in_building[p.id]``), and
    candidates equal on that too keep their input order.

    Raises :class:`~civicgrid.errors.InvalidData` listing every problem at once: an item that
    is not a :class:`Person` (``people[2]``), a person given twice, or a priority that is not a
    :class:`Priority` or is given twice (``priorities[1]``).
    """
    candidates = list(people)
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(candidates):
        candidate: object = item
        if not isinstance(candidate, Person):
            problems.append(Problem(f"people[{i}]", f"not a Person: {candidate!r}"))
        elif candidate.id in seen:
            problems.append(
                Problem(
                    f"people[{i}]",
                    f"{candidate.id!r} is listed twice (first at people[{seen[candidate.id]}])",
                )
            )
        else:
            seen[candidate.id] = i
    chosen: list[Priority] = []
    for j, given in enumerate(priorities):
        priority: object = given
        if not isinstance(priority, Priority):
            choices = ", ".join(repr(p.value) for p in Priority)
            problems.append(Problem(f"priorities[{j}]", f"{priority!r} is not one of {choices}"))
        elif priority in chosen:
            problems.append(Problem(f"priorities[{j}]", f"{priority.value!r} is given twice"))
        else:
            chosen.append(priority)
    if problems:
        raise InvalidData("candidates for the three priorities", problems)

    met = [tuple(p for p in chosen if p.met_by(person)) for person in candidates]
    extras = [None if extra_key is None else extra_key(person) for person in candidates]

    def weight(i: int) -> tuple[Any, ...]:
        if in_order:
            weighed: tuple[Any, ...] = tuple(p not in met[i] for p in chosen)
        else:
            weighed = (-len(met[i]),)
        return (*weighed, extras[i]) if extra_key is not None else weighed

    order = sorted(range(len(candidates)), key=weight)  # sorted is stable: ties keep input order
    return tuple(
        RankedCandidate(rank=rank, person=candidates[i], met=met[i], position=i, extra=extras[i])
        for rank, i in enumerate(order, start=1)
    )
