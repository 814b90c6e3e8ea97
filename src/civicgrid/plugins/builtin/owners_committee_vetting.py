"""Built-in plugin ``civicgrid.owners_committee_vetting``: O6, vetting owners'-committee slates.

Huichuan (seeds/002) asks the party organisation to vet the candidates for the owners'
committee (业委会) at its founding and at every re-election (业委会成立换届党组织把关). The
method ``owners_committee_vetting`` (its file says why it has no deadline) runs one slate of
candidates: nominated → party organisation review (把关) → approved, returned or rejected →
published → elected. Its two guards make the record complete: a slate is submitted with its
occasion and candidates, and every decision of the party organisation with its reasons.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from civicgrid.errors import Refusal
from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.method import Method

__all__ = [
    "VettingOccasion",
    "candidates_submitted",
    "register_guards",
    "register_methods",
    "vetting_decision_recorded",
]


class VettingOccasion(enum.StrEnum):
    """When candidates are vetted: at the committee's founding or at its re-election."""

    FOUNDING = "founding"
    RE_ELECTION = "re_election"

    @property
    def label_zh(self) -> str:
        """成立 or 换届."""
        return "成立" if self is VettingOccasion.FOUNDING else "换届"

    @property
    def label_en(self) -> str:
        """Founding or re-election."""
        return "founding" if self is VettingOccasion.FOUNDING else "re-election"


def _recorded_occasion(case: Case) -> object:
    for event in reversed(case.events):
        if event.data is not None and "occasion" in event.data:
            return event.data["occasion"]
    return None


def candidates_submitted(case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when the slate names its occasion and its candidates.

    ``data["candidates"]`` is a non-empty list of distinct person ids. ``data["occasion"]`` is
    ``"founding"`` or ``"re_election"``; on a resubmission it may be left out, and the one
    recorded before stands (giving a different one is refused: the occasion of a slate does
    not change). Refuses with the field at fault named.
    """
    given = data or {}
    recorded = _recorded_occasion(case)
    occasion = given.get("occasion", recorded)
    choices = ", ".join(repr(o.value) for o in VettingOccasion)
    if occasion not in {o.value for o in VettingOccasion}:
        raise Refusal(
            f"data.occasion must be one of {choices}, got {occasion!r}",
            f"data.occasion 须为 founding（成立）或 re_election（换届），实际为 {occasion!r}",
        )
    if recorded is not None and occasion != recorded:
        raise Refusal(
            f"data.occasion is {occasion!r}, but this slate was submitted for {recorded!r}",
            f"data.occasion 为 {occasion!r}，与此前提交的 {recorded!r} 不一致",
        )
    candidates = given.get("candidates")
    if not _non_blank_strings(candidates):
        raise Refusal(
            f"data.candidates must be a non-empty list of person ids, got {candidates!r}",
            f"data.candidates 须为候选人编号列表（不能为空），实际为 {candidates!r}",
        )
    if len(set(candidates)) != len(candidates):
        raise Refusal(
            "data.candidates names a candidate twice",
            "data.candidates 中有重复的候选人",
        )
    return True


def vetting_decision_recorded(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when the party organisation's decision is recorded with its reasons.

    ``data["decision"]`` is the decision as recorded (the text of the 把关意见 or the number of
    the meeting minutes); ``data["reasons"]`` a non-empty list of reasons, e.g. one per
    criterion of the source: represents residents' interests, has the time, has the ability.
    Refuses with the field at fault named.
    """
    given = data or {}
    decision = given.get("decision")
    if not isinstance(decision, str) or not decision.strip():
        raise Refusal(
            f"data.decision must record the party organisation's decision, got {decision!r}",
            f"data.decision 须记录党组织的把关意见，实际为 {decision!r}",
        )
    reasons = given.get("reasons")
    if not _non_blank_strings(reasons):
        raise Refusal(
            f"data.reasons must be a non-empty list of reasons, got {reasons!r}",
            f"data.reasons 须为理由列表（不能为空），实际为 {reasons!r}",
        )
    return True


def _non_blank_strings(value: object) -> TypeGuard[Sequence[str]]:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and bool(value)
        and all(isinstance(item, str) and item.strip() for item in value)
    )


@hookimpl
def register_methods() -> list[Method]:
    """Provide the vetting method, loaded from its method file."""
    return [builtin_method("owners_committee_vetting")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guards the vetting method uses."""
    return [
        Guard(
            name="candidates_submitted",
            check=candidates_submitted,
            label_zh="须写明换届类型和候选人名单（data.occasion、data.candidates）",
            label_en="the occasion and the candidates must be given (data.occasion, candidates)",
        ),
        Guard(
            name="vetting_decision_recorded",
            check=vetting_decision_recorded,
            label_zh="须记录把关意见及理由（data.decision、data.reasons）",
            label_en="the decision and its reasons must be recorded (data.decision, reasons)",
        ),
    ]
