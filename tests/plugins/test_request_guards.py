"""The guards every request method shares: rating_closes, rating_reopens, acts_at_case_level."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    Case,
    Engine,
    GuardRefused,
    ManualClock,
    Method,
    Rating,
    compile_method,
    method_from_data,
)
from civicgrid.errors import Refusal
from civicgrid.plugins.builtin import requests as shared
from civicgrid.plugins.builtin.requests import (
    acts_at_case_level,
    rating_closes,
    rating_of,
    rating_reopens,
)

AT = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
RESIDENT = Actor(id="resident-1", roles={"resident"})
GRID = Actor(id="grid-worker-1", roles={"handler"}, levels={"grid"})
COMMUNITY = Actor(id="community-worker-1", roles={"handler"}, levels={"community"})
NO_LEVEL = Actor(id="helper-1", roles={"handler"})


def _transition(trigger: str, source: str, target: str, roles: str, **extra: Any) -> dict[str, Any]:
    return {
        "trigger": trigger,
        "from": [source],
        "to": target,
        "label_zh": trigger,
        "label_en": trigger,
        "roles": [roles],
        **extra,
    }


def rated_method(*, ladder: bool = True) -> Method:
    """A small request method: handle at the case's level, then rate or reopen."""
    return method_from_data(
        {
            "key": "rated_request",
            "label_zh": "评价诉求",
            "label_en": "rated request",
            "initial": "handling",
            "open_roles": ["resident"],
            "roles": [
                {"key": "resident", "label_zh": "居民", "label_en": "resident"},
                {"key": "handler", "label_zh": "承办人", "label_en": "handler"},
            ],
            "steps": [
                {"key": "handling", "label_zh": "办理", "label_en": "handling"},
                {"key": "rating", "label_zh": "评价", "label_en": "rating"},
                {"key": "closed", "label_zh": "办结", "label_en": "closed", "terminal": True},
            ],
            "transitions": [
                _transition(
                    "handle", "handling", "rating", "handler", guards=["acts_at_case_level"]
                ),
                _transition("rate", "rating", "closed", "resident", guards=["rating_closes"]),
                _transition("reopen", "rating", "handling", "resident", guards=["rating_reopens"]),
                *(
                    [_transition("escalate", "handling", "handling", "handler", escalate=True)]
                    if ladder
                    else []
                ),
            ],
            "escalation": (
                [
                    {"key": "grid", "label_zh": "网格", "label_en": "grid"},
                    {"key": "community", "label_zh": "社区", "label_en": "community"},
                ]
                if ladder
                else []
            ),
        }
    )


def engine(*, ladder: bool = True) -> Engine:
    """An engine over the small method, with the shared guards only."""
    guards = {guard.name: guard for guard in shared.register_guards()}
    return Engine([compile_method(rated_method(ladder=ladder), guards)], clock=ManualClock(AT))


def case_at(level: str = "grid") -> tuple[Engine, Case]:
    """An engine and a fresh case opened at ``level``."""
    run = engine()
    return run, run.open("rated_request", actor=RESIDENT, at=AT, level=level)


# --------------------------------------------------------------------------- ratings


@pytest.mark.parametrize(
    ("value", "closes"),
    [("satisfied", True), ("basically_satisfied", True), ("unsatisfied", False)],
)
def test_each_rating_either_closes_or_reopens_never_both(value: str, closes: bool) -> None:
    """满意 and 基本满意 close, 不满意 reopens: exactly one of the two guards passes."""
    _, case = case_at()
    data = {"rating": value}
    assert rating_of(data) is Rating(value)
    assert rating_closes(case, RESIDENT, data) is closes
    assert rating_reopens(case, RESIDENT, data) is not closes


@pytest.mark.parametrize(
    "data",
    [None, {}, {"rating": None}, {"rating": "SATISFIED"}, {"rating": "满意"}, {"rating": 5}],
    ids=["no-data", "no-rating", "none", "upper-case", "chinese-label", "number"],
)
def test_a_rating_outside_the_three_values_is_refused_with_the_allowed_ones(
    data: Mapping[str, Any] | None,
) -> None:
    """The refusal names data.rating, lists the three values and what it got, in both languages."""
    with pytest.raises(Refusal) as refused:
        rating_of(data)
    got = repr((data or {}).get("rating"))
    assert refused.value.message_en == (
        f"data.rating must be one of satisfied, basically_satisfied, unsatisfied, got {got}"
    )
    assert refused.value.message_zh is not None
    assert "满意、基本满意、不满意" in refused.value.message_zh
    assert got in refused.value.message_zh


@given(st.text())
def test_no_other_text_is_taken_for_a_rating(value: str) -> None:
    """Any text but the three values is refused: a typo never closes a case."""
    if value in {r.value for r in Rating}:
        assert rating_of({"rating": value}).value == value
    else:
        with pytest.raises(Refusal):
            rating_of({"rating": value})


def test_an_unsatisfied_rating_is_refused_by_rate_and_recorded_by_reopen() -> None:
    """Through the engine: rate refuses 不满意 and changes nothing; reopen records it."""
    run, case = case_at()
    run.fire(case, "handle", GRID, at=AT)
    events = len(case.events)
    with pytest.raises(GuardRefused) as refused:
        run.fire(case, "rate", RESIDENT, at=AT, data={"rating": "unsatisfied"})
    assert refused.value.guard == "rating_closes"
    assert "满意或基本满意" in str(refused.value)
    assert (case.step, len(case.events)) == ("rating", events)
    run.fire(case, "reopen", RESIDENT, at=AT, data={"rating": "unsatisfied"})
    assert case.step == "handling"
    assert case.events[-1].data == {"rating": "unsatisfied"}


def test_a_malformed_rating_reaches_the_caller_as_a_guard_refusal_with_the_reason() -> None:
    """The guard's own reason (the allowed values) is kept in the engine's refusal."""
    run, case = case_at()
    run.fire(case, "handle", GRID, at=AT)
    with pytest.raises(GuardRefused, match=r"data\.rating must be one of") as refused:
        run.fire(case, "rate", RESIDENT, at=AT, data={"rating": "good"})
    assert refused.value.guard == "rating_closes"
    assert case.step == "rating"


# --------------------------------------------------------------------------- levels


def test_an_actor_acting_at_the_case_level_passes() -> None:
    """A grid worker acts on a grid case; a community worker on a community case."""
    _, grid_case = case_at("grid")
    _, community_case = case_at("community")
    assert acts_at_case_level(grid_case, GRID, None)
    assert acts_at_case_level(community_case, COMMUNITY, None)


def test_a_case_without_a_level_lets_anyone_through() -> None:
    """A method without a ladder puts no level on its cases, so the level guard passes."""
    run = engine(ladder=False)
    case = run.open("rated_request", actor=RESIDENT, at=AT)
    assert case.level is None
    assert acts_at_case_level(case, NO_LEVEL, None)


def test_acting_at_another_level_is_refused_naming_the_level_and_the_actor() -> None:
    """The refusal says the case's level and the levels the actor does act at."""
    _, case = case_at("community")
    with pytest.raises(Refusal) as refused:
        acts_at_case_level(case, GRID, None)
    assert refused.value.message_en == (
        "the case is at level 'community'; 'grid-worker-1' acts at: grid"
    )
    assert refused.value.message_zh is not None
    assert "'community'" in refused.value.message_zh


def test_an_actor_with_no_level_is_told_so() -> None:
    """Someone who acts at no level is refused with 'none'."""
    _, case = case_at("grid")
    with pytest.raises(Refusal, match="acts at: none"):
        acts_at_case_level(case, NO_LEVEL, None)


def test_several_levels_are_listed_in_order() -> None:
    """The levels held are listed sorted, so the message is the same every run."""
    _, case = case_at("community")
    both = Actor(id="steward", roles={"handler"}, levels={"subdistrict", "grid"})
    with pytest.raises(Refusal, match="acts at: grid, subdistrict"):
        acts_at_case_level(case, both, None)


def test_a_case_escalated_past_the_actor_refuses_them_and_stays_put() -> None:
    """After a call up to the community, the grid worker's handle is refused; nothing changes."""
    run, case = case_at("grid")
    run.fire(case, "escalate", GRID, at=AT)
    events = len(case.events)
    with pytest.raises(GuardRefused) as refused:
        run.fire(case, "handle", GRID, at=AT)
    assert refused.value.guard == "acts_at_case_level"
    assert (case.step, case.level, len(case.events)) == ("handling", "community", events)
    run.fire(case, "handle", COMMUNITY, at=AT)
    assert case.step == "rating"


def test_the_shared_guards_are_registered_with_both_labels() -> None:
    """register_guards offers the three guards, each labelled in Chinese and English."""
    guards = shared.register_guards()
    assert [g.name for g in guards] == ["rating_closes", "rating_reopens", "acts_at_case_level"]
    assert all(g.label_zh and g.label_en for g in guards)


def test_an_actor_above_the_case_level_may_step_in() -> None:
    """A community worker may act on a grid-level case; the grid worker not on a community one."""
    _, grid_case = case_at("grid")
    _, community_case = case_at("community")
    assert acts_at_case_level(grid_case, COMMUNITY, None)
    with pytest.raises(Refusal):
        acts_at_case_level(community_case, GRID, None)
