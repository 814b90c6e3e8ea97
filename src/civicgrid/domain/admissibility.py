"""Admissibility and triage of topics (DOMAIN.md D5, D6): "七议五不议", 一事一议, 三快二提一转.

A city declares which kinds of matters its compounds deliberate (the seven of 七议) and which
they do not (the five of 五不议), each with its labels and the reason, as :class:`TopicRules`,
through the ``register_topic_rules`` hook. :meth:`TopicRules.check` refuses a topic that falls
under a not-deliberated rule (:class:`TopicNotDeliberated`, naming that rule) or under none of
the deliberated ones (:class:`TopicOutsideRules`, naming the rule set and what it admits).
:meth:`TopicRules.triage` sorts an admitted topic into one :class:`Handling` class, each bound
to a kernel method, the trigger that starts it, and the deadline that times it.

Seed 003 names the mechanisms without spelling them out (确立“七议五不议”议事原则、规范议事流程、
制定“一事一议”快速响应机制和“三快二提一转”分类处置机制，形成“小事不出院、中事不出组、大事不出社区、
疑难问题再找街道”的共识). The library reads them as follows, and says so:

- 一事一议 (:attr:`Handling.ONE_MATTER`): an urgent single matter is deliberated at once, on
  its own, instead of waiting for the next meeting day.
- 三快 (:attr:`Handling.THREE_FAST`): a matter the compound settles itself is accepted,
  handled and answered fast (快受理、快办理、快反馈): 小事不出院、中事不出组.
- 二提 (:attr:`Handling.TWO_RAISED`): a matter beyond the compound is raised, at most twice:
  to the community (大事不出社区), then to the subdistrict (疑难问题再找街道).
- 一转 (:attr:`Handling.ONE_TRANSFERRED`): a matter that is another body's duty (a property
  company under its contract, a government department) is transferred to it, and the
  resident is still answered.

Triage order: a topic naming the body whose duty it is, or falling under a rule that
transfers, is transferred; else one whose level is above the compound is raised; else an
urgent one takes the single-matter fast track; else the rule's own class (三快 by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.requests import LEVELS, Urgency
from civicgrid.domain.topics import Topic
from civicgrid.errors import CivicGridError, InvalidData, Problem

__all__ = [
    "CHENGHUA_TOPIC_RULES",
    "DEFAULT_HANDLING_CLASSES",
    "Handling",
    "HandlingClass",
    "TopicNotDeliberated",
    "TopicOutsideRules",
    "TopicRefused",
    "TopicRule",
    "TopicRules",
    "Triage",
    "UnknownTopicRules",
]

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_SET_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
"""A rule set's key may be namespaced by its plugin (``wuhu.jinghu``), as grid schemes are."""
_LEVEL_LABELS = {key: (zh, en) for key, zh, en in LEVELS}
_LEVEL_KEYS = list(_LEVEL_LABELS)
_RAISED_LEVELS = frozenset(_LEVEL_KEYS[_LEVEL_KEYS.index("compound") + 1 :])
"""Rungs of the I4 ladder above the compound (community, subdistrict): such topics are raised."""


class Handling(Labelled):
    """The triage classes of D6: 一事一议 and 三快二提一转."""

    ONE_MATTER = "one_matter"
    THREE_FAST = "three_fast"
    TWO_RAISED = "two_raised"
    ONE_TRANSFERRED = "one_transferred"


_HANDLING_LABELS: dict[Handling, tuple[str, str]] = {
    Handling.ONE_MATTER: ("一事一议（快速响应）", "single-matter fast track"),
    Handling.THREE_FAST: (
        "三快（快受理、快办理、快反馈）",
        "three fast: fast acceptance, handling and feedback",
    ),
    Handling.TWO_RAISED: (
        "二提（提交社区、提请街道）",
        "raised: to the community, then the subdistrict",
    ),
    Handling.ONE_TRANSFERRED: ("一转（转交责任主体）", "transferred to the body responsible"),
}
register_labels(_HANDLING_LABELS)


def _keys(value: Iterable[str] | str) -> frozenset[str]:
    return frozenset((value,) if isinstance(value, str) else value)


@attrs.frozen(kw_only=True)
class TopicRule:
    """One kind of matter a city deliberates, or does not, with its labels and the reason.

    ``categories`` are the topic categories the rule covers; empty means the rule's own key.
    ``handling`` is the class a deliberated topic under this rule gets when nothing about the
    topic itself decides (see the module docstring); it is ignored on a not-deliberated rule.
    """

    key: str
    label_zh: str
    label_en: str
    reason_zh: str
    reason_en: str
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_keys)
    handling: Handling = Handling.THREE_FAST
    source: str = ""

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        key: object = self.key
        if not isinstance(key, str) or not _KEY.match(key):
            problems.append(Problem("key", f"must be a lower_snake key, not {key!r}"))
        for field in ("label_zh", "label_en", "reason_zh", "reason_en"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(field, "must be non-blank text"))
        categories: list[object] = sorted(self.categories, key=repr)
        problems.extend(
            Problem("categories", f"must hold lower_snake keys, not {category!r}")
            for category in categories
            if not isinstance(category, str) or not _KEY.match(category)
        )
        handling: object = self.handling
        if not isinstance(handling, Handling):
            problems.append(Problem("handling", f"must be a Handling, not {handling!r}"))
        if problems:
            raise InvalidData(f"topic rule {self.key!r}", problems)

    @property
    def covered(self) -> frozenset[str]:
        """The topic categories this rule covers."""
        return self.categories or frozenset({self.key})


@attrs.frozen(kw_only=True)
class HandlingClass:
    """Where a triage class runs on the kernel: its method, first trigger and deadline.

    A case of ``method`` is opened for the topic; ``trigger`` (when given) is fired at once to
    put it on the class's path, and ``deadline`` is the key of the method's deadline that
    times the class. The registry checks all three against the installed methods.
    """

    handling: Handling
    method: str
    deadline: str
    trigger: str | None = None

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        handling: object = self.handling
        if not isinstance(handling, Handling):
            problems.append(Problem("handling", f"must be a Handling, not {handling!r}"))
        for field in ("method", "deadline", "trigger"):
            value: object = getattr(self, field)
            if (value is not None or field != "trigger") and (
                not isinstance(value, str) or not _KEY.match(value)
            ):
                problems.append(Problem(field, f"must be a lower_snake key, not {value!r}"))
        if problems:
            raise InvalidData(f"handling class {self.handling!r}", problems)


DEFAULT_HANDLING_CLASSES: tuple[HandlingClass, ...] = (
    HandlingClass(
        handling=Handling.ONE_MATTER,
        method="topic_handling",
        trigger="fast_track",
        deadline="single_matter",
    ),
    HandlingClass(
        handling=Handling.THREE_FAST,
        method="topic_handling",
        trigger="accept",
        deadline="fast_handling",
    ),
    HandlingClass(
        handling=Handling.TWO_RAISED,
        method="topic_handling",
        trigger="raise_up",
        deadline="raised_answer",
    ),
    HandlingClass(
        handling=Handling.ONE_TRANSFERRED,
        method="topic_handling",
        trigger="transfer",
        deadline="transfer_answer",
    ),
)
"""Each class on the built-in method ``topic_handling`` (``methods/topic_handling.toml``)."""


def _rules(value: Iterable[TopicRule]) -> tuple[TopicRule, ...]:
    return tuple(value)


def _classes(value: Iterable[HandlingClass]) -> tuple[HandlingClass, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class TopicRules:
    """A city's "七议五不议": the kinds deliberated, the kinds not, and its triage classes.

    Keys are unique across both lists and no topic category falls under two rules. Every
    :class:`Handling` class is bound once in ``classes``. ``note`` says what the source lists
    and what it leaves out; :attr:`complete` is true for seven and five.
    """

    key: str
    label_zh: str
    label_en: str
    deliberated: tuple[TopicRule, ...] = attrs.field(converter=_rules)
    not_deliberated: tuple[TopicRule, ...] = attrs.field(default=(), converter=_rules)
    classes: tuple[HandlingClass, ...] = attrs.field(
        default=DEFAULT_HANDLING_CLASSES, converter=_classes
    )
    source: str = ""
    note: str = ""
    plugin: str | None = attrs.field(default=None, eq=False)

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        key: object = self.key
        if not isinstance(key, str) or not _SET_KEY.match(key):
            problems.append(Problem("key", f"must be a lower_snake (dotted) key, not {key!r}"))
        for field in ("label_zh", "label_en"):
            value: object = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(field, "must be non-blank text"))
        if not self.deliberated:
            problems.append(Problem("deliberated", "a rule set admits at least one kind"))
        keys: dict[str, str] = {}
        categories: dict[str, str] = {}
        for path, rule in self._paths():
            if rule.key in keys:
                problems.append(Problem(f"{path}.key", f"{rule.key!r} is also {keys[rule.key]}"))
            keys.setdefault(rule.key, path)
            for category in sorted(rule.covered):
                if category in categories:
                    problems.append(
                        Problem(
                            f"{path}.categories",
                            f"{category!r} is already covered by {categories[category]}",
                        )
                    )
                categories.setdefault(category, path)
        bound = [c.handling for c in self.classes]
        problems.extend(
            Problem("classes", f"{handling.value} must be bound exactly once")
            for handling in Handling
            if bound.count(handling) != 1
        )
        if problems:
            raise InvalidData(f"topic rules {self.key!r}", problems)

    def _paths(self) -> Iterable[tuple[str, TopicRule]]:
        for i, rule in enumerate(self.deliberated):
            yield f"deliberated[{i}]", rule
        for i, rule in enumerate(self.not_deliberated):
            yield f"not_deliberated[{i}]", rule

    @property
    def complete(self) -> bool:
        """Whether the set lists seven kinds deliberated and five not, as 七议五不议 says."""
        return len(self.deliberated) == 7 and len(self.not_deliberated) == 5

    def handling_class(self, handling: Handling) -> HandlingClass:
        """Return where ``handling`` runs on the kernel."""
        return next(c for c in self.classes if c.handling is handling)

    def check(self, topic: Topic) -> TopicRule:
        """Return the deliberated rule ``topic`` falls under, or refuse it naming the rule.

        Raises :class:`TopicNotDeliberated` when a not-deliberated rule covers the topic's
        category, :class:`TopicOutsideRules` when no rule does.
        """
        for rule in self.not_deliberated:
            if topic.category in rule.covered:
                raise TopicNotDeliberated(topic, self, rule)
        for rule in self.deliberated:
            if topic.category in rule.covered:
                return rule
        raise TopicOutsideRules(topic, self)

    def triage(self, topic: Topic) -> Triage:
        """Check ``topic`` and sort it into its class (see the module docstring for the order)."""
        rule = self.check(topic)
        transfer_to = topic.handled_by
        if transfer_to is not None:
            handling = Handling.ONE_TRANSFERRED
            why_en = f"the matter is the duty of {transfer_to!r}"
            why_zh = f"该事项属 {transfer_to!r} 的职责"
        elif rule.handling is Handling.ONE_TRANSFERRED:
            handling = Handling.ONE_TRANSFERRED
            why_en = f"rule {rule.key!r} ({rule.label_en}) transfers such matters"
            why_zh = f"规则 {rule.key!r}（{rule.label_zh}）规定此类事项转交办理"
        elif topic.level in _RAISED_LEVELS:
            handling = Handling.TWO_RAISED
            level_zh, level_en = _LEVEL_LABELS[topic.level]
            why_en = f"the topic belongs to the {level_en} level, above the compound"
            why_zh = f"该议题属{level_zh}层级，超出小区范围"
        elif topic.urgency is not Urgency.ROUTINE:
            handling = Handling.ONE_MATTER
            why_en = (
                f"the topic is {topic.urgency.label_en}: deliberated at once, on its own, "
                "not at the next meeting day"
            )
            why_zh = f"该议题{topic.urgency.label_zh}：即时一事一议，不等下一个议事日"
        else:
            handling = rule.handling
            why_en = f"rule {rule.key!r} ({rule.label_en}) takes such matters this way"
            why_zh = f"规则 {rule.key!r}（{rule.label_zh}）规定的处置方式"
        bound = self.handling_class(handling)
        return Triage(
            topic=topic,
            rules=self.key,
            rule=rule,
            handling=handling,
            method=bound.method,
            trigger=bound.trigger,
            deadline=bound.deadline,
            transfer_to=transfer_to,
            reason_en=f"{handling.label_en}: {why_en}",
            reason_zh=f"{handling.label_zh}：{why_zh}",
        )


@attrs.frozen(kw_only=True)
class Triage:
    """An admitted topic's class, the kernel method and trigger to run, and its deadline."""

    topic: Topic
    rules: str
    """The key of the rule set that admitted the topic."""
    rule: TopicRule
    handling: Handling
    method: str
    trigger: str | None
    deadline: str
    transfer_to: str | None
    reason_en: str
    reason_zh: str

    def opening_data(self) -> Mapping[str, Any]:
        """Return what the case's opening event records about the topic and its triage."""
        topic = self.topic
        return {
            "topic": topic.id,
            "title": topic.title,
            "unit": topic.unit,
            "category": topic.category,
            "proposer": topic.proposer.value,
            "urgency": topic.urgency.value,
            "rules": self.rules,
            "rule": self.rule.key,
            "handling": self.handling.value,
            "transfer_to": self.transfer_to,
        }


# --------------------------------------------------------------------------- refusals


class TopicRefused(CivicGridError, ValueError):
    """A topic is not admitted for deliberation; :attr:`rule` names the rule that refused it."""

    def __init__(
        self,
        topic: Topic,
        rules: TopicRules,
        rule: TopicRule | None,
        message_en: str,
        message_zh: str,
    ) -> None:
        self.topic = topic
        self.rules = rules
        self.rule = rule
        super().__init__(
            f"topic {topic.id!r} ({topic.category}) refused by {rules.key!r}: {message_en}",
            f"议题 {topic.id!r}（{topic.category}）不予受理（{rules.label_zh}）：{message_zh}",
        )


class TopicNotDeliberated(TopicRefused):
    """The topic falls under a kind the city does not deliberate (五不议)."""

    def __init__(self, topic: Topic, rules: TopicRules, rule: TopicRule) -> None:
        super().__init__(
            topic,
            rules,
            rule,
            f"rule {rule.key!r} ({rule.label_en}) is not deliberated: {rule.reason_en}",
            f"属“不议”事项 {rule.key!r}（{rule.label_zh}）：{rule.reason_zh}",
        )


class TopicOutsideRules(TopicRefused):
    """The topic falls under none of the kinds the city deliberates (七议)."""

    def __init__(self, topic: Topic, rules: TopicRules) -> None:
        admitted = ", ".join(r.key for r in rules.deliberated)
        admitted_zh = "、".join(r.label_zh for r in rules.deliberated)
        super().__init__(
            topic,
            rules,
            None,
            f"category {topic.category!r} is not among the kinds deliberated ({admitted})",
            f"类别 {topic.category!r} 不在议事范围内（{admitted_zh}）",
        )


class UnknownTopicRules(CivicGridError, LookupError):
    """No installed plugin provides topic rules with this key."""

    def __init__(self, key: str, known: Iterable[str]) -> None:
        self.key = key
        self.known = tuple(sorted(known))
        super().__init__(
            f"unknown topic rules {key!r}; installed: {', '.join(self.known) or 'none'}",
            f"未知的议事规则 {key!r}；已安装：{'、'.join(self.known) or '无'}",
        )


# --------------------------------------------------------------------------- Chenghua

_GUANJIAYUAN_EN = (
    "seed 003: at Guanjiayuan compound (Taoyuan community, Chenghua), the origin of the Ailin "
    "deliberation day, residents moved, discussed, decided and carried out this matter"
)
_GUANJIAYUAN_ZH = (
    "种子文件003：成华区桃源社区关家苑小区（“爱邻议事日”起源地）居民在此类事项"
    "动议、协商、决策、落实全过程中发挥作用"
)

CHENGHUA_TOPIC_RULES = TopicRules(
    key="chenghua",
    label_zh="成华区“七议五不议”（来源所列部分）",
    label_en="Chenghua's seven deliberated and five not (as far as the source lists them)",
    deliberated=[
        TopicRule(
            key="property_company",
            label_zh="引进物业单位",
            label_en="bringing in a property company",
            reason_zh=_GUANJIAYUAN_ZH,
            reason_en=_GUANJIAYUAN_EN,
            source="D5, 003",
        ),
        TopicRule(
            key="non_motor_vehicles",
            label_zh="非机动车管理",
            label_en="managing non-motor vehicles",
            reason_zh=_GUANJIAYUAN_ZH,
            reason_en=_GUANJIAYUAN_EN,
            source="D5, 003",
        ),
        TopicRule(
            key="dog_keeping",
            label_zh="文明养犬",
            label_en="civil dog keeping",
            reason_zh=_GUANJIAYUAN_ZH,
            reason_en=_GUANJIAYUAN_EN,
            source="D5, 003",
        ),
    ],
    source="D5, D6, 003",
    note=(
        "Seed 003 states the principle (确立“七议五不议”议事原则) without listing its kinds. "
        "This set holds the three matters the same passage names as deliberated at "
        "Guanjiayuan compound (引进物业单位、非机动车管理、文明养犬); it names none of the five "
        "not deliberated, so that list is empty and every other category is refused as "
        "outside the list. It is therefore not complete: a city registers its own lists."
    ),
)
"""An example rule set from seed 003, not registered by default (see its ``note``)."""
