"""I12 micro-wishes end to end: 心愿+志愿 matching, the claimant guard, 红色代办, 社区兜底."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicgrid import (
    Actor,
    Case,
    DeadlineStatus,
    Engine,
    EventKind,
    GuardRefused,
    ManualClock,
    Registry,
    RoleRefused,
    load_registry,
)
from civicgrid.plugins.builtin import micro_wishes
from civicgrid.plugins.builtin.micro_wishes import RED_PROXY_ROLES, WishKind
from civicgrid.plugins.manager import BUILTIN_PLUGINS
from civicgrid.testing import Move, walk

KEY = "micro_wishes"
SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

RESIDENT = Actor(id="resident-9", roles={"resident"})
LEADER = Actor(id="household-leader-5", roles={"household_leader"}, levels={"grid"})
VOLUNTEER = Actor(id="volunteer-21", roles={"volunteer"})
OTHER_VOLUNTEER = Actor(id="volunteer-22", roles={"volunteer"})
PARTY_MEMBER = Actor(id="in-service-3", roles={"in_service_member"})
WORKER = Actor(id="community-worker-8", roles={"community_worker"}, levels={"community"})
COMPOUND_WORKER = Actor(id="compound-worker-2", roles={"community_worker"}, levels={"compound"})
SATISFIED = {"rating": "satisfied"}


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The built-ins plus Micro-Wishes, whether or not it is listed among the built-ins yet."""
    builtin = {name for name, _ in BUILTIN_PLUGINS}
    mine = [("civicgrid.micro_wishes", micro_wishes)]
    return load_registry(entry_points=False, plugins=[p for p in mine if p[0] not in builtin])


def published(engine: Engine, kind: WishKind = WishKind.GOODS) -> Case:
    """A wish the household leader collected on a visit and published (发布心愿)."""
    return engine.open(KEY, actor=LEADER, data={"category": kind.value, "text": "想要一台收音机"})


def claimed(engine: Engine, by: Actor = VOLUNTEER, kind: WishKind = WishKind.GOODS) -> Case:
    """A wish claimed by ``by``, named as the case's assignee."""
    case = published(engine, kind)
    engine.fire(case, "claim", by, assignee=by.id)
    return case


def test_micro_wishes_is_i12_with_proxy_services_as_categories(registry: Registry) -> None:
    """The method is I12; the wish kinds carry both labels and two of them are 红色代办."""
    method = registry.methods[KEY]
    assert (method.source, method.initial) == ("I12", "published")
    assert [s.label_zh for s in method.steps[:3]] == [
        "发布心愿",
        "认领心愿",
        "心愿达成，待群众评价",
    ]
    assert [(k.value, k.label_zh) for k in WishKind if k.is_proxy] == [
        ("proxy_medical", "红色代办：医疗事务"),
        ("proxy_subsistence", "红色代办：低保办理"),
    ]
    assert all(k.label_en for k in WishKind)
    assert "volunteer" not in RED_PROXY_ROLES


def test_a_wish_is_claimed_fulfilled_and_confirmed(engine: Engine, clock: ManualClock) -> None:
    """发布 → 认领 → 达成 → 评价: the volunteer who claimed it fulfils it; closed on time."""
    case = published(engine)
    engine.fire(case, "claim", VOLUNTEER, at=clock.advance(DAY), assignee=VOLUNTEER.id)
    walk(
        engine, case, [Move("fulfil", VOLUNTEER, after=3 * DAY), Move("rate", RESIDENT, SATISFIED)]
    )
    assert case.is_closed
    assert case.current_step.label_zh == "办结"
    assert (case.assignee, case.events[-1].level) == (VOLUNTEER.id, "grid")
    assert {k: s.status for k, s in case.deadlines.items()} == {
        "claim": DeadlineStatus.MET,
        "fulfil": DeadlineStatus.MET,
    }


def test_only_the_volunteer_who_claimed_a_wish_fulfils_it(engine: Engine) -> None:
    """Another volunteer's 完成心愿 is refused by claimant_only and changes nothing."""
    case = claimed(engine)
    events = len(case.events)
    with pytest.raises(GuardRefused, match="volunteer-21") as refused:
        engine.fire(case, "fulfil", OTHER_VOLUNTEER)
    assert refused.value.guard == "claimant_only"
    assert (case.step, case.assignee, len(case.events)) == ("claimed", VOLUNTEER.id, events)
    with pytest.raises(GuardRefused):
        engine.fire(case, "release", OTHER_VOLUNTEER, assignee=None)
    engine.fire(case, "fulfil", VOLUNTEER)
    assert case.step == "fulfilled"


def test_a_claim_without_a_named_claimant_cannot_be_fulfilled(engine: Engine) -> None:
    """Claimed without assignee=, nobody may fulfil it: the refusal says how to claim."""
    case = published(engine)
    engine.fire(case, "claim", VOLUNTEER)
    with pytest.raises(GuardRefused, match="assignee"):
        engine.fire(case, "fulfil", VOLUNTEER)


def test_the_community_matches_a_volunteer_to_a_wish(engine: Engine) -> None:
    """Two-way matching: the community pairs a volunteer's offer with a wish; he fulfils it."""
    case = published(engine, WishKind.SERVICE)
    with pytest.raises(RoleRefused):
        engine.fire(case, "match", VOLUNTEER, assignee=VOLUNTEER.id)
    engine.fire(case, "match", LEADER, assignee=VOLUNTEER.id)
    assert (case.step, case.assignee) == ("claimed", VOLUNTEER.id)
    with pytest.raises(GuardRefused):
        engine.fire(case, "fulfil", LEADER)
    engine.fire(case, "fulfil", VOLUNTEER)
    engine.fire(case, "rate", RESIDENT, data=SATISFIED)
    assert case.is_closed


def test_an_unclaimed_wish_warns_breaches_and_is_taken_up_by_the_community(
    engine: Engine, clock: ManualClock
) -> None:
    """Seven days unclaimed: amber at 5.6 days, breach after the 7th; the community takes it up."""
    start = clock.now()
    case = published(engine)
    due = start + 7 * DAY
    assert [(e.kind, e.at) for e in engine.tick(due)] == [(EventKind.WARNED, start + 7 * DAY * 0.8)]
    [breach] = engine.tick(due + SECOND)
    assert (breach.kind, breach.at, breach.data) == (EventKind.BREACHED, due, {"action": "notify"})
    assert (case.step, case.level) == ("published", "grid")
    with pytest.raises(RoleRefused):
        engine.fire(case, "take_up", VOLUNTEER, at=due + HOUR, assignee=VOLUNTEER.id)
    engine.fire(case, "take_up", WORKER, at=due + HOUR, assignee=WORKER.id)
    assert (case.current_step.label_zh, case.level, case.assignee) == (
        "认领心愿",
        "community",
        WORKER.id,
    )
    engine.fire(case, "fulfil", WORKER, at=due + DAY)
    engine.fire(case, "rate", RESIDENT, at=due + DAY, data=SATISFIED)
    assert case.events[-1].level == "community"
    assert case.deadlines["claim"].status is DeadlineStatus.BREACHED


@pytest.mark.parametrize("kind", [WishKind.PROXY_MEDICAL, WishKind.PROXY_SUBSISTENCE])
def test_a_proxy_service_is_done_by_a_party_member_not_any_volunteer(
    engine: Engine, kind: WishKind
) -> None:
    """红色代办 (medical affairs, subsistence allowance): a plain volunteer's claim is refused."""
    case = published(engine, kind)
    with pytest.raises(GuardRefused, match=kind.label_en) as refused:
        engine.fire(case, "claim", VOLUNTEER, assignee=VOLUNTEER.id)
    assert refused.value.guard == "red_proxy_agent"
    assert (case.step, case.assignee) == ("published", None)
    engine.fire(case, "claim", PARTY_MEMBER, assignee=PARTY_MEMBER.id)
    engine.fire(case, "fulfil", PARTY_MEMBER)
    assert case.step == "fulfilled"


def test_a_proxy_service_matched_to_a_plain_volunteer_cannot_be_fulfilled_by_him(
    engine: Engine,
) -> None:
    """The proxy rule holds at fulfilment too, whoever made the match."""
    case = published(engine, WishKind.PROXY_MEDICAL)
    engine.fire(case, "match", LEADER, assignee=VOLUNTEER.id)
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "fulfil", VOLUNTEER)
    assert refused.value.guard == "red_proxy_agent"


def test_an_unsatisfied_resident_sends_the_wish_back_to_the_same_volunteer(
    engine: Engine, clock: ManualClock
) -> None:
    """不满意 reopens the wish with its claimant and a fresh fourteen days; then it closes."""
    case = claimed(engine)
    engine.fire(case, "fulfil", VOLUNTEER)
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "rate", RESIDENT, data={"rating": "unsatisfied"})
    assert refused.value.guard == "rating_closes"
    reopened_at = clock.advance(HOUR)
    engine.fire(case, "reopen", RESIDENT, data={"rating": "unsatisfied"})
    assert (case.step, case.assignee) == ("claimed", VOLUNTEER.id)
    assert case.deadlines["fulfil"].due == reopened_at + 14 * DAY
    walk(engine, case, [("fulfil", VOLUNTEER), ("rate", RESIDENT, SATISFIED)])
    assert case.is_closed
    assert [e.trigger for e in case.events].count("reopen") == 1


def test_a_wish_given_back_is_published_again_for_another_claim(
    engine: Engine, clock: ManualClock
) -> None:
    """放弃认领 puts the wish back with a fresh claim limit; another volunteer takes it."""
    case = claimed(engine)
    back_at = clock.advance(DAY)
    engine.fire(case, "release", VOLUNTEER, assignee=None)
    assert (case.step, case.assignee) == ("published", None)
    assert case.deadlines["claim"].started_at == back_at
    engine.fire(case, "claim", OTHER_VOLUNTEER, assignee=OTHER_VOLUNTEER.id)
    engine.fire(case, "fulfil", OTHER_VOLUNTEER)
    assert case.step == "fulfilled"


def test_a_wish_referred_up_is_matched_at_the_level_it_reached(engine: Engine) -> None:
    """上报: the household leader can no longer match it at the compound; the compound can."""
    case = published(engine)
    engine.fire(case, "refer_up", LEADER)
    assert case.level == "compound"
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "match", LEADER, assignee=VOLUNTEER.id)
    assert refused.value.guard == "acts_at_case_level"
    assert case.step == "published"
    engine.fire(case, "match", COMPOUND_WORKER, assignee=VOLUNTEER.id)
    assert case.step == "claimed"


def test_a_withdrawn_wish_needs_an_answer(engine: Engine) -> None:
    """撤回 is an outcome: refused without feedback, recorded with it."""
    case = claimed(engine)
    with pytest.raises(GuardRefused, match="feedback"):
        engine.fire(case, "withdraw", RESIDENT)
    engine.fire(case, "withdraw", RESIDENT, data={"feedback": "家人已买好，心愿撤回"})
    assert (case.step, case.is_closed) == ("withdrawn", True)
