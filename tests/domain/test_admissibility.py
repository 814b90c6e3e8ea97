"""七议五不议 and triage (DOMAIN.md D5, D6): refusals name their rule; classes run on the kernel."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid import (
    DeadlineStatus,
    DuplicateRegistration,
    Engine,
    EventKind,
    InvalidData,
    LadderExhausted,
    ManualClock,
    PluginError,
    ProposerKind,
    Registry,
    Topic,
    Urgency,
    build_registry,
    isolated_plugin_manager,
    load_registry,
    make_converter,
)
from civicgrid.domain.admissibility import (
    CHENGHUA_TOPIC_RULES,
    DEFAULT_HANDLING_CLASSES,
    Handling,
    HandlingClass,
    TopicNotDeliberated,
    TopicOutsideRules,
    TopicRefused,
    TopicRule,
    TopicRules,
    UnknownTopicRules,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.serialization import structure
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.method import Method

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
COMPOUND = Actor(id="compound-council", roles={"compound"})
COMMUNITY = Actor(id="community-1", roles={"community"})


def topic(category: str = "dog_keeping", **changes: Any) -> Topic:
    """A resident's routine topic in compound c1, raised on Monday 23 November 2026."""
    raised = Topic(
        id="t1",
        title="议题",
        unit="c1",
        category=category,
        raised_by="resident-1",
        proposer=ProposerKind.RESIDENT,
        raised_at=MONDAY,
    )
    return attrs.evolve(raised, **changes)


def rule(key: str, **changes: Any) -> TopicRule:
    """A rule with placeholder labels, for a test city's lists."""
    made = TopicRule(
        key=key,
        label_zh=f"{key}事项",
        label_en=f"{key} matters",
        reason_zh="测试城市的规定",
        reason_en="the test city's rule",
    )
    return attrs.evolve(made, **changes)


TEST_CITY = TopicRules(
    key="test_city",
    label_zh="测试城市七议五不议",
    label_en="test city's lists",
    deliberated=[
        rule("greening", categories={"greening", "trees"}),
        rule("repairs", handling=Handling.ONE_TRANSFERRED),
        rule("public_funds", handling=Handling.ONE_MATTER),
    ],
    not_deliberated=[
        rule(
            "private_disputes",
            label_zh="个人纠纷",
            label_en="private disputes",
            reason_zh="属人民调解或诉讼范围",
            reason_en="these belong to mediation or the courts",
        )
    ],
)
"""A hypothetical city's lists: test data, not any real city's."""


# --------------------------------------------------------------------------- the example set


def test_the_chenghua_set_ships_only_what_seed_003_names() -> None:
    """Three matters named at Guanjiayuan, none not-deliberated, flagged as incomplete."""
    rules = CHENGHUA_TOPIC_RULES
    assert [r.label_zh for r in rules.deliberated] == ["引进物业单位", "非机动车管理", "文明养犬"]
    assert rules.not_deliberated == ()
    assert not rules.complete
    assert "without listing its kinds" in rules.note
    assert all("003" in r.source for r in rules.deliberated)
    assert rules.classes == DEFAULT_HANDLING_CLASSES


def test_every_class_has_both_labels() -> None:
    """一事一议 and 三快二提一转 carry Chinese and English labels."""
    assert [h.label_zh[:2] for h in Handling] == ["一事", "三快", "二提", "一转"]
    assert all(h.label_en for h in Handling)


def test_a_topic_outside_the_lists_is_refused_naming_the_rule_set() -> None:
    """A parking topic is not among Chenghua's three kinds: refused, the kinds listed."""
    with pytest.raises(TopicOutsideRules) as caught:
        CHENGHUA_TOPIC_RULES.triage(topic("parking"))
    refused = caught.value
    assert refused.rule is None
    assert refused.rules is CHENGHUA_TOPIC_RULES
    assert "'parking' is not among the kinds deliberated" in refused.message_en
    assert "property_company, non_motor_vehicles, dog_keeping" in refused.message_en
    assert "引进物业单位、非机动车管理、文明养犬" in str(refused)
    assert isinstance(refused, ValueError)


def test_a_not_deliberated_topic_is_refused_naming_the_rule_and_its_reason() -> None:
    """五不议: the refusal names the rule's key, labels and reason in both languages."""
    with pytest.raises(TopicNotDeliberated) as caught:
        TEST_CITY.check(topic("private_disputes"))
    refused = caught.value
    assert refused.rule is TEST_CITY.not_deliberated[0]
    assert "rule 'private_disputes' (private disputes) is not deliberated" in refused.message_en
    assert "mediation or the courts" in refused.message_en
    assert "个人纠纷" in str(refused)
    assert "属人民调解或诉讼范围" in str(refused)


# --------------------------------------------------------------------------- triage


def test_a_routine_compound_matter_is_handled_fast() -> None:
    """三快 by default: topic_handling, fired with accept, timed by fast_handling."""
    triage = CHENGHUA_TOPIC_RULES.triage(topic("dog_keeping"))
    assert triage.handling is Handling.THREE_FAST
    assert (triage.method, triage.trigger, triage.deadline) == (
        "topic_handling",
        "accept",
        "fast_handling",
    )
    assert triage.rule.key == "dog_keeping"
    assert triage.reason_zh.startswith("三快")
    assert triage.opening_data() == {
        "topic": "t1",
        "title": "议题",
        "unit": "c1",
        "category": "dog_keeping",
        "proposer": "resident",
        "urgency": "routine",
        "rules": "chenghua",
        "rule": "dog_keeping",
        "handling": "three_fast",
        "transfer_to": None,
    }


@pytest.mark.parametrize(
    ("changes", "handling", "why"),
    [
        ({"level": "community"}, Handling.TWO_RAISED, "above the compound"),
        ({"level": "subdistrict"}, Handling.TWO_RAISED, "subdistrict level"),
        ({"level": "compound"}, Handling.THREE_FAST, "takes such matters"),
        ({"urgency": Urgency.URGENT}, Handling.ONE_MATTER, "deliberated at once"),
        ({"urgency": Urgency.EMERGENCY}, Handling.ONE_MATTER, "not at the next meeting"),
        ({"handled_by": "property-1"}, Handling.ONE_TRANSFERRED, "duty of 'property-1'"),
        (
            {"handled_by": "dept", "level": "community", "urgency": Urgency.URGENT},
            Handling.ONE_TRANSFERRED,
            "duty of 'dept'",
        ),
        ({"level": "community", "urgency": Urgency.URGENT}, Handling.TWO_RAISED, "above"),
    ],
)
def test_triage_follows_the_documented_order(
    changes: dict[str, Any], handling: Handling, why: str
) -> None:
    """Transfer first, then raise above the compound, then the urgent fast track, then the rule."""
    triage = CHENGHUA_TOPIC_RULES.triage(topic("non_motor_vehicles", **changes))
    assert triage.handling is handling
    assert why in triage.reason_en
    assert triage.method == "topic_handling"


def test_a_rule_may_set_its_own_class_and_cover_several_categories() -> None:
    """Repairs transfer, public funds go one matter at a time; trees fall under greening."""
    assert TEST_CITY.triage(topic("repairs")).handling is Handling.ONE_TRANSFERRED
    assert TEST_CITY.triage(topic("repairs")).transfer_to is None
    assert TEST_CITY.triage(topic("public_funds")).handling is Handling.ONE_MATTER
    assert TEST_CITY.triage(topic("trees")).rule.key == "greening"
    with pytest.raises(TopicOutsideRules):
        TEST_CITY.check(topic("greening_extra"))


CATEGORIES = ["greening", "trees", "repairs", "public_funds", "private_disputes", "parking"]


@given(
    category=st.sampled_from(CATEGORIES),
    level=st.sampled_from([None, "grid", "compound", "community", "subdistrict"]),
    urgency=st.sampled_from(list(Urgency)),
    handled_by=st.sampled_from([None, "pc"]),
)
def test_every_topic_is_either_refused_or_given_one_bound_class(
    category: str, level: str | None, urgency: Urgency, handled_by: str | None
) -> None:
    """Triage is total: a covered topic gets a class bound in the set; any other is refused."""
    raised = topic(category, level=level, urgency=urgency, handled_by=handled_by)
    covered = {c for r in TEST_CITY.deliberated for c in r.covered}
    if category not in covered:
        with pytest.raises(TopicRefused):
            TEST_CITY.triage(raised)
        return
    triage = TEST_CITY.triage(raised)
    bound = TEST_CITY.handling_class(triage.handling)
    assert (triage.method, triage.trigger, triage.deadline) == (
        bound.method,
        bound.trigger,
        bound.deadline,
    )


# --------------------------------------------------------------------------- validation


def test_a_rule_set_names_every_problem_at_once() -> None:
    """Keys shared across lists, a category under two rules, an unbound class: all named."""
    with pytest.raises(InvalidData) as caught:
        TopicRules(
            key="Bad Key",
            label_zh="坏",
            label_en=" ",
            deliberated=[rule("a"), rule("b", categories={"a"})],
            not_deliberated=[rule("a")],
            classes=DEFAULT_HANDLING_CLASSES[:3],
        )
    assert [p.path for p in caught.value.problems] == [
        "key",
        "label_en",
        "deliberated[1].categories",
        "not_deliberated[0].key",
        "not_deliberated[0].categories",
        "classes",
    ]
    assert "one_transferred must be bound exactly once" in str(caught.value)


def test_a_rule_set_admits_something_and_a_rule_gives_its_reason() -> None:
    """An empty deliberated list is refused; a rule without a reason names the field."""
    with pytest.raises(InvalidData, match="deliberated: a rule set admits"):
        attrs.evolve(TEST_CITY, deliberated=[])
    with pytest.raises(InvalidData) as caught:
        rule("x", reason_en="", categories={"Not A Key"})
    assert [p.path for p in caught.value.problems] == ["reason_en", "categories"]


def test_a_handling_class_needs_keys() -> None:
    """A class with a blank method and a bad trigger names both; no trigger is allowed."""
    with pytest.raises(InvalidData) as caught:
        HandlingClass(handling=Handling.THREE_FAST, method="", deadline="d", trigger="Go")
    assert [p.path for p in caught.value.problems] == ["method", "trigger"]
    assert HandlingClass(handling=Handling.THREE_FAST, method="m", deadline="d").trigger is None


def test_rule_sets_round_trip_through_the_converter() -> None:
    """The Chenghua set and the test city's read back equal from plain data."""
    converter = make_converter()
    for rules in (CHENGHUA_TOPIC_RULES, TEST_CITY):
        data = converter.unstructure(rules)
        assert structure(converter, data, TopicRules, what="topic rules") == rules


# --------------------------------------------------------------------------- registry and kernel


@cache
def builtins_run_topic_handling() -> bool:
    """Whether a built-in plugin already registers the topic-handling method."""
    return "topic_handling" in load_registry(entry_points=False).methods


class Rules:
    """A city plugin: rule sets, and the topic-handling method file unless a built-in has it."""

    def __init__(self, *rules: TopicRules, method: bool = True) -> None:
        self.rules = rules
        self.method = method and not builtins_run_topic_handling()

    @hookimpl
    def register_methods(self) -> list[Method]:
        """Provide the topic-handling method the default classes run on, if asked."""
        return [builtin_method("topic_handling")] if self.method else []

    @hookimpl
    def register_topic_rules(self) -> list[TopicRules]:
        """Provide the rule sets."""
        return list(self.rules)


@pytest.fixture(scope="module")
def city() -> Registry:
    """The built-ins plus the city plugin, no discovery."""
    city = ("city", Rules(CHENGHUA_TOPIC_RULES))
    return build_registry(isolated_plugin_manager(city, builtins=True))


def test_the_registry_keeps_rule_sets_by_key_with_their_plugin(city: Registry) -> None:
    """The set is found by key and credited to the plugin that registered it."""
    rules = city.topic_rule_set("chenghua")
    assert rules == CHENGHUA_TOPIC_RULES
    assert rules.plugin == "city"
    with pytest.raises(UnknownTopicRules, match=r"unknown topic rules 'wuhu'; installed: chenghua"):
        city.topic_rule_set("wuhu")


def test_two_plugins_registering_one_key_are_refused_naming_both() -> None:
    """A second chenghua set is a DuplicateRegistration naming the first plugin."""
    first = ("city", Rules(CHENGHUA_TOPIC_RULES))
    second = ("second", Rules(attrs.evolve(CHENGHUA_TOPIC_RULES, label_en="copy"), method=False))
    with pytest.raises(DuplicateRegistration) as caught:
        build_registry(isolated_plugin_manager(first, second, builtins=True))
    assert caught.value.plugins == ("city", "second")
    assert caught.value.hook == "register_topic_rules"


@pytest.mark.parametrize(
    ("bound", "message"),
    [
        (
            HandlingClass(handling=Handling.THREE_FAST, method="nowhere", deadline="d"),
            "names method 'nowhere', which no plugin provides",
        ),
        (
            HandlingClass(
                handling=Handling.THREE_FAST,
                method="six_self",
                trigger="adopt",
                deadline="feedback",
            ),
            "has no trigger 'adopt' from its initial step 'propose'",
        ),
        (
            HandlingClass(
                handling=Handling.THREE_FAST, method="six_self", trigger="table", deadline="soon"
            ),
            "has no deadline 'soon'",
        ),
    ],
)
def test_a_class_bound_to_nothing_installed_fails_the_build(
    bound: HandlingClass, message: str
) -> None:
    """Classes are checked against the installed methods, triggers and deadlines."""
    classes = [c for c in TEST_CITY.classes if c.handling is not Handling.THREE_FAST] + [bound]
    broken = attrs.evolve(TEST_CITY, classes=classes)
    with pytest.raises(PluginError, match=message) as caught:
        build_registry(isolated_plugin_manager(("broken", Rules(broken)), builtins=True))
    assert caught.value.plugin == "broken"


@pytest.mark.parametrize(
    ("changes", "step", "level", "due"),
    [
        ({}, "handle", "compound", MONDAY + timedelta(days=7)),
        ({"urgency": Urgency.URGENT}, "deliberate", "compound", MONDAY + timedelta(days=3)),
        ({"level": "community"}, "raised", "community", MONDAY + timedelta(days=14)),
        ({"handled_by": "pc"}, "transferred", "compound", MONDAY + timedelta(days=7)),
    ],
)
def test_each_class_runs_with_its_deadline_on_the_kernel(
    city: Registry, changes: dict[str, Any], step: str, level: str, due: datetime
) -> None:
    """Opened and fired as the triage says, each case runs its class's deadline in working days."""
    triage = city.topic_rule_set("chenghua").triage(topic("dog_keeping", **changes))
    engine = Engine.from_registry(city, clock=ManualClock(MONDAY))
    case = engine.open(
        triage.method, actor=COMPOUND, case_id=triage.topic.id, data=triage.opening_data()
    )
    assert triage.trigger is not None
    engine.fire(case, triage.trigger, COMPOUND)
    assert (case.step, case.level) == (step, level)
    deadline = case.deadlines[triage.deadline]
    assert deadline.status is DeadlineStatus.RUNNING
    assert deadline.due == due
    assert case.deadlines["fast_acceptance"].status is DeadlineStatus.MET


def test_a_raised_topic_unresolved_in_time_is_raised_again_to_the_subdistrict(
    city: Registry,
) -> None:
    """二提: past ten working days at the community, the breach raises it to the subdistrict."""
    triage = city.topic_rule_set("chenghua").triage(topic("dog_keeping", level="community"))
    clock = ManualClock(MONDAY)
    engine = Engine.from_registry(city, clock=clock)
    case = engine.open(triage.method, actor=COMPOUND, data=triage.opening_data())
    engine.fire(case, "raise_up", COMPOUND)
    clock.advance(timedelta(days=15))
    recorded = engine.tick()
    assert [(e.kind, e.trigger) for e in recorded][-1] == (EventKind.BREACHED, "raised_answer")
    assert recorded[-1].at == MONDAY + timedelta(days=14)
    assert case.level == "subdistrict"
    with pytest.raises(LadderExhausted):
        engine.fire(case, "raise_again", COMMUNITY)
    assert (case.step, case.level) == ("raised", "subdistrict")
    subdistrict = Actor(id="subdistrict-1", roles={"subdistrict"})
    engine.fire(case, "resolve", subdistrict)
    engine.fire(case, "reply", COMMUNITY, data={"feedback": "已协调街道城管处置"})
    assert case.is_closed
