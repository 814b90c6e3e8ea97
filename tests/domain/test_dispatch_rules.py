"""Rule-based dispatch: scoring by longest phrase, the automatic threshold, levels, validation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.domain.dispatch_rules import (
    AssigneeRole,
    Classification,
    DispatchCategory,
    DispatchRules,
)
from civicgrid.domain.requests import Channel, Request, Urgency
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import InvalidData

AT = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)

GAS = DispatchCategory(
    key="gas_safety",
    label_zh="燃气安全",
    label_en="gas safety",
    level="community",
    assignee="gas_company",
    strong=("燃气管道",),
    keywords=("燃气", "煤气"),
    emergency=("燃气泄漏", "煤气味"),
    channels={Channel.SMART_SENSOR: 1.0},
)
NOISE = DispatchCategory(
    key="noise",
    label_zh="噪音扰民",
    label_en="noise",
    level="grid",
    strong=("噪音",),
    keywords=("睡不着",),
    weak=("吵",),
    level_on={"subdistrict": ("工地", "施工"), "community": ("广场舞",)},
)
PROPERTY = DispatchCategory(
    key="property_service",
    label_zh="物业服务",
    label_en="property service",
    level="compound",
    assignee="property_company",
    strong=("楼道灯",),
    weak=("物业",),
)
STREET = DispatchCategory(
    key="street_facilities",
    label_zh="路灯",
    label_en="street lights",
    level="subdistrict",
    strong=("路灯",),
    weak=("灯",),
    urgent=("井盖没了",),
    level_on={"compound": ("小区里",)},
)
ASSIGNEES = {
    "gas_company": AssigneeRole(key="gas_company", label_zh="燃气公司", label_en="gas company"),
    "property_company": AssigneeRole(
        key="property_company", label_zh="物业服务企业", label_en="property company"
    ),
}


def rules(**changes: Any) -> DispatchRules:
    """A small table of four categories; ``changes`` replace its fields."""
    fields: dict[str, Any] = {
        "categories": (GAS, NOISE, PROPERTY, STREET),
        "assignees": ASSIGNEES,
        "ignore": ("毛病",),
        "variants": {"氣": "气", "燈": "灯", "樓": "楼", "洩": "泄"},
    }
    fields.update(changes)
    return DispatchRules(**fields)


TABLE = rules()


def classify(text: str, **kwargs: Any) -> Classification:
    """Classify ``text`` with the small table; fail the test if nothing matches."""
    found = TABLE.classify(text, **kwargs)
    assert found is not None
    return found


# --------------------------------------------------------------------------- classifying


def test_a_gas_leak_goes_to_the_gas_company_as_an_emergency() -> None:
    """燃气泄漏 is the gas category, at community level, raising the urgency to emergency."""
    found = classify("3单元燃气泄漏了，快来人")
    assert (found.category.key, found.level, found.automatic) == ("gas_safety", "community", True)
    assert found.urgency is Urgency.EMERGENCY
    assert found.urgency_by == "燃气泄漏"


def test_the_longest_phrase_wins_over_the_shorter_one_inside_it() -> None:
    """燃气泄漏 is read as one phrase, not as 燃气 plus the rest."""
    assert classify("燃气泄漏").matched == (("燃气泄漏", 1),)
    assert classify("楼道灯坏了").matched == (("楼道灯", 1),)


def test_occurrences_are_counted_and_weighted_by_tier() -> None:
    """Each occurrence adds its tier's weight: two keywords and a strong phrase make 4."""
    found = classify("煤气煤气，燃气管道")
    assert found.matched == (("煤气", 2), ("燃气管道", 1))
    assert found.score == 4.0


def test_an_ignored_phrase_hides_the_keyword_inside_it() -> None:
    """毛病 is taken as a whole and scores nothing."""
    assert TABLE.classify("这个毛病") is None


def test_text_with_no_phrase_gets_no_answer() -> None:
    """Nothing matched: no guess at all."""
    assert TABLE.classify("表扬网格员小王") is None


def test_a_tie_between_two_categories_goes_to_a_person() -> None:
    """One strong phrase each: the share is 0.5, below 0.55, so the guess is not automatic."""
    found = classify("楼道灯和燃气管道")
    assert found.automatic is False
    assert found.confidence == 0.5
    assert found.runner_up is not None
    assert "to confirm" in found.explain()


def test_a_lone_weak_word_is_below_the_minimum_score() -> None:
    """物业 alone (0.5) is a guess for a person to confirm, whatever its share."""
    found = classify("物业")
    assert (found.category.key, found.automatic, found.confidence) == (
        "property_service",
        False,
        1.0,
    )
    assert "below" in found.explain()


def test_a_clear_lead_is_automatic() -> None:
    """A strong phrase (2.0) against a weak word (0.5) holds 80% of the two: automatic."""
    found = classify("楼道灯坏了，还吵")
    assert found.category.key == "property_service"
    assert found.automatic
    assert found.confidence == 0.8


def test_a_level_phrase_moves_the_request_up_the_ladder() -> None:
    """Noise is a grid matter, unless a construction site is named: then the subdistrict."""
    assert classify("楼上噪音").level == "grid"
    on_site = classify("工地噪音，广场舞也吵")
    assert (on_site.level, on_site.level_by) == ("subdistrict", "工地")


def test_a_level_phrase_may_name_a_lower_rung() -> None:
    """A street light inside a compound is the compound's, not the subdistrict's."""
    assert classify("小区里的路灯坏了").level == "compound"


def test_traditional_and_full_width_text_is_read_as_simplified() -> None:
    """燃氣洩漏 in traditional characters, spaced out, still reads as 燃气泄漏."""
    found = classify("燃 氣 洩 漏")
    assert found.matched == (("燃气泄漏", 1),)
    assert TABLE.normalise("ＡＢＣ 燈") == "abc灯"


def test_a_channel_bonus_only_helps_a_category_that_already_scored() -> None:
    """A smoke sensor adds to gas once a gas phrase is there, and never makes one up."""
    assert classify("燃气", channel=Channel.SMART_SENSOR).score == 2.0
    assert classify("燃气", channel=Channel.HOTLINE_12345).score == 1.0
    assert TABLE.classify("报警", channel=Channel.SMART_SENSOR) is None


def test_the_urgency_a_request_has_is_never_lowered() -> None:
    """An urgent request stays urgent; an emergency phrase raises it."""
    assert classify("路灯", urgency=Urgency.URGENT).urgency is Urgency.URGENT
    assert classify("井盖没了").urgency is Urgency.URGENT
    assert classify("井盖没了", urgency=Urgency.EMERGENCY).urgency_by is None


def test_the_dispatch_carries_category_level_assignee_and_the_reason() -> None:
    """A request becomes a Dispatch whose rule names the matched phrases."""
    request = Request(
        id="r1", channel=Channel.HOTLINE_12345, text="闻到煤气味", submitted_at=AT, unit="b3"
    )
    dispatch = TABLE.dispatch(request)
    assert dispatch is not None
    assert (dispatch.category, dispatch.level, dispatch.assignee, dispatch.unit) == (
        "gas_safety",
        "community",
        "gas_company",
        "b3",
    )
    assert dispatch.automatic
    assert "煤气味×1" in dispatch.rule
    assert "emergency" in dispatch.rule


def test_a_request_no_phrase_matches_is_not_dispatched() -> None:
    """The dispatcher passes (None) so the next one, or a person, can route it."""
    request = Request(id="r2", channel=Channel.MINI_PROGRAM, text="社区书记电话", submitted_at=AT)
    assert TABLE.dispatch(request) is None


def test_ties_go_to_the_category_listed_first() -> None:
    """Equal scores: the best guess is the first category of the table."""
    assert classify("燃气管道 噪音 路灯").category.key == "gas_safety"


# --------------------------------------------------------------------------- invariants

PHRASES = ["燃气", "燃气泄漏", "噪音", "吵", "楼道灯", "物业", "路灯", "工地", "毛病", "灯"]
FILLER = ["，", "我家", "楼上", "天天", "坏了", "。", " ", "小区里", "怎么办"]


@given(st.lists(st.sampled_from(PHRASES + FILLER), max_size=12))
def test_a_classification_keeps_its_promises(parts: list[str]) -> None:
    """Scores are ranked, the share lies in [0.5, 1], automatic means both thresholds met."""
    text = "".join(parts)
    found = TABLE.classify(text)
    if found is None:
        assert _substring_hits(text) == 0
        return
    scores = [score for _key, score in found.scores]
    assert scores == sorted(scores, reverse=True)
    assert found.scores[0] == (found.category.key, found.score)
    assert 0.5 <= found.confidence <= 1.0
    assert found.automatic == (
        found.score >= TABLE.min_score and found.confidence >= TABLE.dominance
    )
    assert found.level in {"grid", "compound", "community", "subdistrict"}
    assert sum(count for _phrase, count in found.matched) >= 1


@given(st.lists(st.sampled_from(PHRASES + FILLER), max_size=12))
def test_spaces_between_the_words_do_not_change_the_answer(parts: list[str]) -> None:
    """Spacing the words out with ideographic spaces gives the same classification."""
    plain = TABLE.classify("".join(parts))
    spaced = TABLE.classify("\u3000".join(parts))
    assert plain == spaced


def _substring_hits(text: str) -> int:
    """How often any scored phrase occurs in ``text``, by plain substring counting."""
    folded = TABLE.normalise(text)
    return sum(
        folded.count(TABLE.normalise(phrase))
        for category in TABLE.categories
        for _tier, _i, phrase in category.phrases()
    )


# --------------------------------------------------------------------------- validation


def paths(error: pytest.ExceptionInfo[InvalidData]) -> set[str]:
    """The paths of the problems an InvalidData reported."""
    return {problem.path for problem in error.value.problems}


def test_a_category_reports_every_problem_at_once() -> None:
    """Unknown level, blank phrase, unknown ladder rung and negative bonus: four paths."""
    with pytest.raises(InvalidData) as error:
        DispatchCategory(
            key="x",
            label_zh="",
            label_en="x",
            level="district",
            strong=("ok", " "),
            level_on={"city": ("a",)},
            channels={Channel.SMART_SENSOR: -1.0},
        )
    assert paths(error) == {
        "label_zh",
        "level",
        "strong[1]",
        "level_on.city",
        "channels.smart_sensor",
    }
    assert "grid, compound, community, subdistrict" in str(error.value)


def test_a_category_needs_a_phrase() -> None:
    """A category no text could ever reach is refused."""
    with pytest.raises(InvalidData) as error:
        DispatchCategory(key="x", label_zh="某", label_en="x", level="grid")
    assert paths(error) == {"keywords"}


def test_a_phrase_in_two_categories_is_refused_naming_both_places() -> None:
    """樓道燈 under gas is property's 楼道灯 once simplified: refused, naming the first place."""
    clash = attrs.evolve(GAS, keywords=("燃气", "煤气", "樓道燈"))
    with pytest.raises(InvalidData) as error:
        rules(categories=(clash, PROPERTY))
    assert paths(error) == {"categories.property_service.strong[0]"}
    assert "categories.gas_safety.keywords[2]" in str(error.value)


def test_a_phrase_twice_in_one_category_is_refused() -> None:
    """The same phrase in two tiers of one category is a mistake in the table."""
    twice = attrs.evolve(NOISE, keywords=("睡不着", "噪音"))
    with pytest.raises(InvalidData) as error:
        rules(categories=(twice,))
    assert paths(error) == {"categories.noise.keywords[1]"}


def test_the_table_reports_every_problem_at_once() -> None:
    """Unknown assignee, scored ignore phrase, thresholds out of range, a bad weight, a twin."""
    stray = attrs.evolve(PROPERTY, assignee="cleaners")
    with pytest.raises(InvalidData) as error:
        rules(
            categories=(GAS, stray, attrs.evolve(GAS, strong=("x",), keywords=(), emergency=())),
            ignore=("物业",),
            min_score=0,
            dominance=0.4,
            weights={"strong": -1, "bold": 3.0},
            variants={"電": "电气"},
        )
    assert paths(error) == {
        "min_score",
        "dominance",
        "weights.strong",
        "weights.bold",
        "categories.property_service.assignee",
        "categories.gas_safety",
        "ignore[0]",
        "variants.電",
    }
    assert error.value.what == "dispatch rules"


def test_an_empty_table_is_refused() -> None:
    """A table with no category cannot dispatch anything."""
    with pytest.raises(InvalidData) as error:
        DispatchRules(categories=())
    assert paths(error) == {"categories"}


def test_labels_are_required_on_an_assignee_role() -> None:
    """A role without its Chinese label is refused."""
    with pytest.raises(InvalidData) as error:
        AssigneeRole(key="x", label_zh=" ", label_en="x")
    assert paths(error) == {"label_zh"}
