"""Methods as data: validation of every rule, loading from TOML and JSON, round trips."""

from __future__ import annotations

import json
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import attrs
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    SYSTEM_ROLE,
    BreachAction,
    Deadline,
    InvalidData,
    InvalidMethod,
    Level,
    Method,
    Problem,
    Registry,
    Role,
    Step,
    Transition,
    load_method,
    loads_method,
    method_from_data,
    method_to_data,
    validate_method,
)

BUILTIN_METHODS = files("civicgrid.plugins.builtin").joinpath("methods")


# --------------------------------------------------------------------------- building blocks


def step(key: str, *, terminal: bool = False) -> Step:
    """Return a step labelled after its key."""
    return Step(key=key, label_zh=f"步骤{key}", label_en=key, terminal=terminal)


def role(key: str) -> Role:
    """Return a role labelled after its key."""
    return Role(key=key, label_zh=f"角色{key}", label_en=key)


def level(key: str) -> Level:
    """Return a rung labelled after its key."""
    return Level(key=key, label_zh=f"层级{key}", label_en=key)


def transition(trigger: str, sources: tuple[str, ...], target: str, **extra: Any) -> Transition:
    """Return a transition labelled after its trigger, fired by workers unless told."""
    extra.setdefault("roles", ("worker",))
    return Transition(
        trigger=trigger,
        sources=sources,
        target=target,
        label_zh=f"流转{trigger}",
        label_en=trigger,
        **extra,
    )


def deadline(key: str, start: tuple[str, ...], **extra: Any) -> Deadline:
    """Return a deadline labelled after its key, five hours long unless told."""
    if "working_days" not in extra:
        extra.setdefault("duration", relativedelta(hours=5))
    return Deadline(key=key, label_zh=f"时限{key}", label_en=key, start=start, **extra)


STEPS = (
    step("reported"),
    step("handling"),
    step("waiting"),
    step("done", terminal=True),
    step("dropped", terminal=True),
)
TRANSITIONS = (
    transition("take", ("reported",), "handling"),  # 0
    transition("wait", ("handling",), "waiting"),  # 1
    transition("resume", ("waiting",), "handling", roles=("resident", "worker")),  # 2
    transition("finish", ("handling",), "done", guards=("feedback_given",)),  # 3
    transition("refer_up", ("handling",), "handling", escalate=True),  # 4
    transition("drop", ("reported", "handling"), "dropped", roles=("community", SYSTEM_ROLE)),
    transition("dispatch", ("reported",), "handling", roles=(), powers=("dispatch",), level="c"),
)
DEADLINES = (
    deadline(
        "response", ("reported",), stop=("handling",), warn_at=0.8, on_breach=BreachAction.ESCALATE
    ),
    deadline(
        "resolve",
        ("handling",),
        stop=("done",),
        pause=("waiting",),
        working_days=2,
        on_breach=BreachAction.FIRE,
        breach_trigger="drop",
    ),
)


BASE = Method(
    key="repair",
    label_zh="报修",
    label_en="repair request",
    initial="reported",
    open_roles=("resident",),
    roles=(role("resident"), role("worker"), role("community")),
    steps=STEPS,
    transitions=TRANSITIONS,
    deadlines=DEADLINES,
    escalation=(level("g"), level("c"), level("s")),
    source="I1",
)


def problems(**changes: Any) -> list[Problem]:
    """Return the problems of ``BASE`` changed by ``changes``; fail if it stays valid."""
    with pytest.raises(InvalidMethod) as caught:
        attrs.evolve(BASE, **changes)
    assert caught.value.key == (changes.get("key", BASE.key) or None)
    return list(caught.value.problems)


def has(found: list[Problem], path: str, fragment: str) -> bool:
    """Whether some problem sits at ``path`` and its message contains ``fragment``."""
    return any(p.path == path and fragment in p.message for p in found)


def replace(entries: tuple[Any, ...], index: int, **changes: Any) -> tuple[Any, ...]:
    """Return ``entries`` with entry ``index`` changed, without running its validation."""
    items = list(entries)
    items[index] = attrs.evolve(items[index], **changes)
    return tuple(items)


# --------------------------------------------------------------------------- valid methods


def test_a_method_built_in_python_is_valid() -> None:
    """A complete method built in Python validates with no problem at all."""
    assert list(validate_method(BASE)) == []
    assert BASE.step("waiting").label_zh == "步骤waiting"
    assert BASE.triggers == ("take", "wait", "resume", "finish", "refer_up", "drop", "dispatch")
    assert BASE.deadlines[0].on_breach is BreachAction.ESCALATE
    assert BASE.transitions[6].powers == ("dispatch",)


def test_asking_for_an_unknown_step_raises_key_error() -> None:
    """``Method.step`` raises KeyError for a key it does not declare."""
    with pytest.raises(KeyError):
        BASE.step("nowhere")


def test_a_lone_string_is_one_key_not_a_sequence_of_characters() -> None:
    """Fields holding step or role keys take a single string as a one-key tuple."""
    t = Transition(
        trigger="take", sources="reported", target="handling", label_zh="受理", label_en="take"
    )
    assert t.sources == ("reported",)
    d = Deadline(
        key="d", label_zh="时限", label_en="d", start="reported", duration=relativedelta(hours=1)
    )
    assert d.start == ("reported",)
    m = attrs.evolve(BASE, open_roles="resident")
    assert m.open_roles == ("resident",)


def test_a_method_with_a_transition_to_the_same_step_is_valid() -> None:
    """A self-loop is a way out of a step, as long as another leads to a terminal step."""
    assert BASE.transitions[4].sources == (BASE.transitions[4].target,)


# --------------------------------------------------------------------------- each rule


def test_an_unknown_source_step_is_reported_at_its_from_path() -> None:
    """A transition leaving from an undeclared step is reported at ``from[j]``."""
    found = problems(transitions=replace(TRANSITIONS, 0, sources=("reported", "nowhere")))
    assert has(found, "transitions[0].from[1]", "unknown step 'nowhere'")


def test_an_unknown_target_step_is_reported_at_its_to_path() -> None:
    """A transition into an undeclared step is reported at ``to``."""
    found = problems(transitions=replace(TRANSITIONS, 1, target="nowhere"))
    assert has(found, "transitions[1].to", "unknown step 'nowhere'")


def test_an_unknown_initial_step_is_reported() -> None:
    """The initial step must be declared."""
    found = problems(initial="nowhere")
    assert found == [Problem("initial", "unknown step 'nowhere'")]


def test_an_unreachable_step_is_reported() -> None:
    """A step that no path from the initial step reaches is reported."""
    found = problems(
        steps=(*STEPS, step("limbo")),
        transitions=(*TRANSITIONS, transition("leave", ("limbo",), "done")),
    )
    assert has(found, "steps[5]", "step 'limbo' cannot be reached from 'reported'")


def test_a_non_terminal_dead_end_is_reported() -> None:
    """A reachable step with no way out must be terminal."""
    found = problems(
        steps=(*STEPS, step("stuck")),
        transitions=(*TRANSITIONS, transition("park", ("reported",), "stuck")),
    )
    assert found == [Problem("steps[5]", "step 'stuck' has no way out and is not terminal")]


def test_a_cycle_that_never_reaches_a_terminal_step_is_reported() -> None:
    """Steps that only lead to each other can never end a case."""
    found = problems(
        steps=(*STEPS, step("loop_a"), step("loop_b")),
        transitions=(
            *TRANSITIONS,
            transition("spin", ("reported",), "loop_a"),
            transition("turn", ("loop_a",), "loop_b"),
            transition("turn_back", ("loop_b",), "loop_a"),
        ),
    )
    assert has(found, "steps[5]", "no path leads from step 'loop_a' to a terminal step")
    assert has(found, "steps[6]", "no path leads from step 'loop_b' to a terminal step")
    assert len(found) == 2


def test_a_trigger_declared_twice_from_one_step_is_reported() -> None:
    """Two transitions may not share a trigger from the same step."""
    found = problems(transitions=(*TRANSITIONS, transition("take", ("reported",), "dropped")))
    assert has(found, "transitions[7].from[0]", "already declared by transitions[0]")


def test_one_trigger_from_different_steps_is_allowed() -> None:
    """The same trigger may leave different steps in separate transitions."""
    changes: dict[str, Any] = {
        "transitions": (
            *TRANSITIONS[:5],
            transition("drop", ("reported",), "dropped", roles=("community", SYSTEM_ROLE)),
            transition("drop", ("handling",), "dropped", roles=(SYSTEM_ROLE,)),
        ),
    }
    m: Method = attrs.evolve(BASE, **changes)
    assert m.triggers.count("drop") == 1


@pytest.mark.parametrize(
    ("field", "path", "entries"),
    [
        ("steps", "steps[5].key", (*STEPS, step("done", terminal=True))),
        ("roles", "roles[3].key", (*BASE.roles, role("worker"))),
        ("escalation", "escalation[3].key", (*BASE.escalation, level("g"))),
        ("deadlines", "deadlines[2].key", (*DEADLINES, deadline("response", ("reported",)))),
    ],
)
def test_duplicate_keys_are_reported(field: str, path: str, entries: tuple[Any, ...]) -> None:
    """A key used twice in one list is reported at the second one, naming the first."""
    found = problems(**{field: entries})
    assert any(p.path == path and p.message.startswith("duplicate key") for p in found)
    assert any("(also " in p.message for p in found)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"key": "Repair"}, "key"),
        ({"key": "2repair"}, "key"),
        ({"steps": (*STEPS[:4], step("dropped-now", terminal=True))}, "steps[4].key"),
        ({"roles": (*BASE.roles, role("Mayor"))}, "roles[3].key"),
        ({"escalation": (level("g"), level("c"), level("s s"))}, "escalation[2].key"),
        ({"transitions": replace(TRANSITIONS, 0, trigger="take over")}, "transitions[0].trigger"),
        (
            {"transitions": replace(TRANSITIONS, 6, powers=("Dispatch",))},
            "transitions[6].powers[0]",
        ),
        ({"deadlines": replace(DEADLINES, 0, key="_response")}, "deadlines[0].key"),
    ],
)
def test_keys_must_be_lower_snake_case(changes: dict[str, Any], path: str) -> None:
    """Keys of every kind must be lower_snake_case starting with a letter."""
    found = problems(**changes)
    assert has(found, path, "is not a key: use lower_snake_case")


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"label_zh": ""}, "label_zh"),
        ({"label_en": "   "}, "label_en"),
        ({"steps": replace(STEPS, 0, label_zh=" ")}, "steps[0].label_zh"),
        ({"steps": replace(STEPS, 3, label_en="")}, "steps[3].label_en"),
        ({"roles": replace(BASE.roles, 1, label_zh="")}, "roles[1].label_zh"),
        ({"escalation": replace(BASE.escalation, 2, label_en="")}, "escalation[2].label_en"),
        ({"transitions": replace(TRANSITIONS, 2, label_zh="\t")}, "transitions[2].label_zh"),
        ({"deadlines": replace(DEADLINES, 1, label_en="")}, "deadlines[1].label_en"),
    ],
)
def test_labels_must_not_be_empty(changes: dict[str, Any], path: str) -> None:
    """Every name carries a Chinese and an English label, neither blank."""
    found = problems(**changes)
    assert has(found, path, "empty: every name carries its")


def test_a_method_without_a_terminal_step_is_reported() -> None:
    """A method where no step is terminal could never end a case."""
    found = problems(
        steps=(*STEPS[:3], step("done"), step("dropped")),
        transitions=(*TRANSITIONS, transition("reopen", ("done", "dropped"), "reported")),
    )
    assert has(found, "steps", "no step is terminal")


def test_a_method_without_steps_is_reported() -> None:
    """A method needs at least one step."""
    found = problems(steps=(), transitions=(), deadlines=(), initial="reported")
    assert has(found, "steps", "at least one step")
    assert has(found, "initial", "unknown step")


def test_a_transition_from_a_terminal_step_is_reported() -> None:
    """Nothing leaves a terminal step."""
    found = problems(transitions=(*TRANSITIONS, transition("reopen", ("done",), "reported")))
    assert has(found, "transitions[7].from[0]", "step 'done' is terminal")


def test_a_transition_nobody_may_fire_is_reported() -> None:
    """A transition must name the roles or the powers that may fire it."""
    found = problems(transitions=replace(TRANSITIONS, 0, roles=(), powers=()))
    assert found == [Problem("transitions[0].roles", "name the roles or powers that may fire it")]


def test_a_transition_with_only_powers_is_valid() -> None:
    """Powers alone (职权, e.g. dispatch) are enough to permit a transition."""
    assert BASE.transitions[6].roles == ()
    assert BASE.transitions[6].powers == ("dispatch",)


def test_an_undeclared_role_is_reported_where_it_is_named() -> None:
    """Roles named by transitions and by ``open_roles`` must be declared."""
    found = problems(
        transitions=replace(TRANSITIONS, 0, roles=("worker", "mayor")), open_roles=("tourist",)
    )
    assert has(found, "transitions[0].roles[1]", "undeclared role 'mayor'")
    assert has(found, "open_roles[0]", "undeclared role 'tourist'")


def test_the_system_role_needs_no_declaration() -> None:
    """``system`` is always known: the engine holds it when a breach fires."""
    assert SYSTEM_ROLE == "system"
    assert SYSTEM_ROLE not in {r.key for r in BASE.roles}
    assert SYSTEM_ROLE in BASE.transitions[5].roles


def test_a_method_nobody_may_open_is_reported() -> None:
    """``open_roles`` may not be empty."""
    assert has(problems(open_roles=()), "open_roles", "name the roles that may open a case")


@pytest.mark.parametrize("field", ["start", "stop", "pause"])
def test_a_deadline_on_an_unknown_step_is_reported(field: str) -> None:
    """Steps a deadline starts, stops or pauses on must be declared."""
    current = getattr(DEADLINES[1], field)
    found = problems(deadlines=replace(DEADLINES, 1, **{field: (*current, "nowhere")}))
    assert has(found, f"deadlines[1].{field}[{len(current)}]", "deadline on unknown step 'nowhere'")


def test_a_deadline_without_start_is_reported() -> None:
    """A deadline must name the steps whose entry starts it."""
    found = problems(deadlines=replace(DEADLINES, 0, start=()))
    assert has(found, "deadlines[0].start", "name the steps whose entry starts the deadline")


def test_a_step_that_both_starts_and_stops_a_deadline_is_reported() -> None:
    """Start, stop and pause steps of one deadline must not overlap."""
    found = problems(deadlines=replace(DEADLINES, 0, stop=("handling", "reported")))
    assert has(found, "deadlines[0].stop", "reported both start and stop it")


@pytest.mark.parametrize(
    "changes",
    [
        {"duration": relativedelta(hours=5), "working_days": 2},
        {"duration": None, "working_days": None},
    ],
    ids=["both", "neither"],
)
def test_a_deadline_needs_exactly_one_length(changes: dict[str, Any]) -> None:
    """A deadline has either a duration or working days, never both or neither."""
    found = problems(deadlines=replace(DEADLINES, 0, **changes))
    assert has(found, "deadlines[0]", "give exactly one of duration or working_days")


@pytest.mark.parametrize(
    "duration",
    [
        relativedelta(hours=-5),
        relativedelta(),
        relativedelta(year=2027),
        relativedelta(days=1, hours=-1),
        relativedelta(seconds=1, microseconds=5),
    ],
    ids=["negative", "zero", "absolute", "mixed-sign", "microseconds"],
)
def test_a_duration_must_be_positive_and_relative(duration: relativedelta) -> None:
    """A duration is a positive relative amount such as ``{hours = 5}``."""
    found = problems(deadlines=replace(DEADLINES, 0, duration=duration))
    assert has(found, "deadlines[0].duration", "must be a positive relative duration")


@pytest.mark.parametrize("days", [0, -2])
def test_working_days_must_be_at_least_one(days: int) -> None:
    """A working-day deadline lasts at least one working day."""
    found = problems(deadlines=replace(DEADLINES, 1, working_days=days))
    assert has(found, "deadlines[1].working_days", "must be at least 1")


@pytest.mark.parametrize("warn_at", [0.0, 1.0, 1.5, -0.2])
def test_warn_at_must_lie_strictly_between_zero_and_one(warn_at: float) -> None:
    """The warning point is a fraction of the deadline's length, not its ends."""
    found = problems(deadlines=replace(DEADLINES, 0, warn_at=warn_at))
    assert has(found, "deadlines[0].warn_at", "strictly between 0 and 1")


@pytest.mark.parametrize("warn_at", [0.01, 0.5, 0.8, 0.99])
def test_warn_at_inside_the_bounds_is_accepted(warn_at: float) -> None:
    """Any fraction strictly between 0 and 1 is a valid warning point."""
    m = attrs.evolve(BASE, deadlines=replace(DEADLINES, 0, warn_at=warn_at))
    assert m.deadlines[0].warn_at == warn_at


def test_escalating_without_a_ladder_is_reported() -> None:
    """Escalating deadlines and level-changing transitions need an escalation ladder."""
    found = problems(escalation=())
    assert has(found, "deadlines[0].on_breach", "escalate needs the method's escalation ladder")
    assert has(found, "transitions[4]", "changes the level but the method has no escalation")
    assert has(found, "transitions[6]", "changes the level but the method has no escalation")


def test_escalate_and_level_together_are_reported() -> None:
    """A transition either climbs one rung or sets the rung, not both."""
    found = problems(transitions=replace(TRANSITIONS, 4, level="s"))
    assert has(found, "transitions[4].level", "either escalate or level, not both")


def test_an_unknown_level_is_reported() -> None:
    """A transition may only set a rung of the method's ladder."""
    found = problems(transitions=replace(TRANSITIONS, 6, level="nation"))
    assert has(found, "transitions[6].level", "unknown level 'nation'")


def test_a_breach_trigger_the_system_cannot_fire_is_reported() -> None:
    """On breach 'fire', the system must be able to fire the trigger wherever it may run."""
    found = problems(transitions=replace(TRANSITIONS, 5, roles=("community",)))
    assert has(found, "deadlines[1].breach_trigger", "the system cannot fire 'drop' from step(s)")
    assert any("handling" in p.message for p in found)


def test_a_breach_trigger_missing_from_a_step_where_the_deadline_runs_is_reported() -> None:
    """Without the pause, the deadline also runs in ``waiting``, where ``drop`` is not declared."""
    found = problems(deadlines=replace(DEADLINES, 1, pause=()))
    assert has(found, "deadlines[1].breach_trigger", "from step(s) waiting,")


def test_a_breach_trigger_is_not_needed_where_the_deadline_is_paused() -> None:
    """A paused deadline cannot breach, so the trigger need not leave a pause step."""
    assert "waiting" not in BASE.transitions[5].sources
    assert BASE.deadlines[1].pause == ("waiting",)


@pytest.mark.parametrize("action", ["explode", "escalate"])
def test_a_breach_action_that_is_not_a_breach_action_is_reported(action: str) -> None:
    """``on_breach`` must be a BreachAction; anything else is reported at its path."""
    found = problems(deadlines=replace(DEADLINES, 0, on_breach=action))
    assert any(p.path == "deadlines[0].on_breach" for p in found)


def test_breach_fire_without_a_trigger_is_reported() -> None:
    """On breach 'fire' needs the trigger to fire."""
    found = problems(deadlines=replace(DEADLINES, 1, breach_trigger=None))
    assert has(found, "deadlines[1].breach_trigger", "needs the trigger to fire")


def test_a_breach_trigger_without_fire_is_reported() -> None:
    """A breach trigger is only meaningful when the breach action is 'fire'."""
    found = problems(deadlines=replace(DEADLINES, 0, breach_trigger="drop"))
    assert has(found, "deadlines[0].breach_trigger", "only used when on_breach is 'fire'")


def test_several_problems_are_reported_at_once() -> None:
    """Every problem is listed in one error, each with its path, in English and Chinese."""
    with pytest.raises(InvalidMethod) as caught:
        attrs.evolve(
            BASE,
            label_zh="",
            initial="nowhere",
            transitions=replace(TRANSITIONS, 1, target="limbo", roles=("mayor",)),
            deadlines=replace(DEADLINES, 0, warn_at=2.0),
        )
    error = caught.value
    paths = {p.path for p in error.problems}
    assert {
        "label_zh",
        "initial",
        "transitions[1].to",
        "transitions[1].roles[0]",
        "deadlines[0].warn_at",
    } <= paths
    message = str(error)
    assert f"{len(error.problems)} problems" in message
    assert "transitions[1].to: unknown step 'limbo'" in message
    assert f"共 {len(error.problems)} 处问题" in message
    assert isinstance(error, InvalidData)
    assert isinstance(error, ValueError)


# --------------------------------------------------------------------------- loading

METHOD_TOML = """\
key = "repair"
label_zh = "报修"
label_en = "repair request"
initial = "reported"
open_roles = ["resident"]

[[roles]]
key = "resident"
label_zh = "居民"
label_en = "resident"

[[roles]]
key = "worker"
label_zh = "网格员"
label_en = "grid worker"

[[steps]]
key = "reported"
label_zh = "已报告"
label_en = "reported"

[[steps]]
key = "handling"
label_zh = "处理中"
label_en = "handling"

[[steps]]
key = "done"
label_zh = "办结"
label_en = "done"
terminal = true

[[transitions]]
trigger = "take"
from = ["reported"]
to = "handling"
label_zh = "受理"
label_en = "take"
roles = ["worker"]

[[transitions]]
trigger = "finish"
from = ["handling"]
to = "done"
label_zh = "办结"
label_en = "finish"
roles = ["worker"]

[[deadlines]]
key = "small"
label_zh = "小问题30分钟内解决"
label_en = "small problems within 30 minutes"
start = ["reported"]
stop = ["done"]
duration = { minutes = 30 }
warn_at = 0.8
"""


def load_problems(text: str, **kwargs: Any) -> list[Problem]:
    """Return the problems ``loads_method`` finds in ``text``; fail if it loads."""
    with pytest.raises(InvalidMethod) as caught:
        loads_method(text, **kwargs)
    return list(caught.value.problems)


def test_a_toml_method_loads() -> None:
    """A TOML method file loads into a Method, ``from``/``to`` naming the steps."""
    m = loads_method(METHOD_TOML)
    assert m.key == "repair"
    assert m.transitions[1].sources == ("handling",)
    assert m.transitions[0].target == "handling"
    assert m.deadlines[0].duration == relativedelta(minutes=30)
    assert m.deadlines[0].on_breach is BreachAction.NOTIFY


def test_a_missing_label_is_reported_at_its_path() -> None:
    """``steps[2]`` without ``label_zh`` gives the problem ``steps[2].label_zh: missing``."""
    text = METHOD_TOML.replace('label_zh = "办结"\nlabel_en = "done"', 'label_en = "done"')
    found = load_problems(text, source="repair.toml")
    assert Problem("steps[2].label_zh", "missing") in found
    with pytest.raises(InvalidMethod) as caught:
        loads_method(text, source="repair.toml")
    assert caught.value.source == "repair.toml"
    assert caught.value.key == "repair"
    assert "steps[2].label_zh: missing" in str(caught.value)
    assert "(repair.toml)" in str(caught.value)


@pytest.mark.parametrize(
    ("marker", "addition", "path"),
    [
        ('initial = "reported"\n', 'colour = "red"\n', ""),
        ('label_en = "handling"\n', 'colour = "red"\n', "steps[1]"),
        ('to = "handling"\n', 'colour = "red"\n', "transitions[0]"),
        ("warn_at = 0.8\n", 'colour = "red"\n', "deadlines[0]"),
    ],
    ids=["top", "step", "transition", "deadline"],
)
def test_an_unknown_key_is_reported_with_its_path(marker: str, addition: str, path: str) -> None:
    """Extra keys anywhere are refused, each reported where it appears."""
    text = METHOD_TOML.replace(marker, marker + addition, 1)
    assert Problem(path, "unknown field(s): colour") in load_problems(text)


def test_wrongly_typed_values_are_reported_at_their_paths() -> None:
    """Values of the wrong type are reported each at its own path, all at once."""
    data = tomllib.loads(METHOD_TOML)
    data["steps"][2]["terminal"] = "yes"
    data["deadlines"][0]["warn_at"] = "high"
    data["deadlines"][0]["on_breach"] = "explode"
    data["deadlines"][0]["duration"] = {"fortnights": 1}
    data["transitions"][0]["label_en"] = 12
    with pytest.raises(InvalidMethod) as caught:
        method_from_data(data)
    paths = {p.path for p in caught.value.problems}
    assert paths >= {
        "steps[2].terminal",
        "deadlines[0].warn_at",
        "deadlines[0].on_breach",
        "deadlines[0].duration",
        "transitions[0].label_en",
    }


def test_malformed_toml_is_an_invalid_method() -> None:
    """A syntax error in TOML is an InvalidMethod, not a TOMLDecodeError."""
    found = load_problems('key = "repair\n[[steps]', source="broken.toml")
    assert len(found) == 1
    assert found[0].message.startswith("not valid TOML")


def test_malformed_json_is_an_invalid_method() -> None:
    """A syntax error in JSON is an InvalidMethod, not a JSONDecodeError."""
    found = load_problems('{"key": "repair",', format="json")
    assert found[0].message.startswith("not valid JSON")


def test_a_method_must_be_a_table() -> None:
    """A JSON list at the top level is not a method."""
    found = load_problems("[1, 2]", format="json")
    assert found == [Problem("", "a method is a table/object at the top level")]


def test_an_unknown_format_is_an_invalid_method() -> None:
    """Asking for a format other than toml or json is refused as an invalid method."""
    with pytest.raises(InvalidMethod):
        loads_method("key: repair", format="yaml")


def test_an_unknown_format_is_refused() -> None:
    """Asking for a format other than toml or json raises InvalidData naming the format."""
    with pytest.raises(InvalidData, match="unknown format 'yaml'"):
        loads_method("key: repair", format="yaml")


def test_a_consistency_problem_in_a_file_keeps_its_path() -> None:
    """A loaded method with an unknown target step reports ``transitions[0].to``."""
    text = METHOD_TOML.replace('to = "handling"', 'to = "handlign"', 1)
    found = load_problems(text, source="repair.toml")
    assert Problem("transitions[0].to", "unknown step 'handlign'") in found


def test_a_consistency_problem_in_a_file_is_an_invalid_method() -> None:
    """A loaded method that fails validation raises InvalidMethod naming the problem."""
    text = METHOD_TOML.replace('to = "handling"', 'to = "handlign"', 1)
    with pytest.raises(InvalidMethod, match="unknown step 'handlign'"):
        loads_method(text)


def test_a_json_method_loads() -> None:
    """The same method as JSON loads to an equal Method."""
    toml_method = loads_method(METHOD_TOML)
    text = json.dumps(tomllib.loads(METHOD_TOML), ensure_ascii=False)
    assert loads_method(text, format="json") == toml_method


@pytest.mark.parametrize("name", ["six_self", "five_steps"])
def test_the_builtin_method_files_load(name: str, registry: Registry) -> None:
    """The shipped method files load, and equal what the registry provides."""
    m = load_method(BUILTIN_METHODS.joinpath(f"{name}.toml"))
    assert m.key == name
    assert m == registry.methods[name]


def test_a_method_file_loads_from_a_path(tmp_path: Path) -> None:
    """``load_method`` reads ``.toml`` and ``.json`` files by path."""
    toml_file = tmp_path / "repair.toml"
    toml_file.write_text(METHOD_TOML, encoding="utf-8")
    json_file = tmp_path / "repair.JSON"
    json_file.write_text(json.dumps(tomllib.loads(METHOD_TOML)), encoding="utf-8")
    assert load_method(toml_file) == load_method(str(json_file)) == loads_method(METHOD_TOML)


def test_a_method_file_with_another_suffix_is_refused(tmp_path: Path) -> None:
    """Only ``.toml`` and ``.json`` files are method files."""
    path = tmp_path / "repair.yaml"
    path.write_text(METHOD_TOML, encoding="utf-8")
    with pytest.raises(InvalidMethod, match=r"\.toml or \.json") as caught:
        load_method(path)
    assert caught.value.source == str(path)


def test_a_missing_method_file_is_an_invalid_method(tmp_path: Path) -> None:
    """A file that cannot be read is reported as an invalid method naming it."""
    path = tmp_path / "absent.toml"
    with pytest.raises(InvalidMethod, match="cannot read") as caught:
        load_method(path)
    assert caught.value.source == str(path)


def test_a_problem_in_a_file_names_the_file(tmp_path: Path) -> None:
    """Problems found in a file carry the file's name as their source."""
    path = tmp_path / "repair.toml"
    path.write_text(METHOD_TOML.replace('initial = "reported"\n', ""), encoding="utf-8")
    with pytest.raises(InvalidMethod) as caught:
        load_method(path)
    assert caught.value.source == str(path)
    assert Problem("initial", "missing") in caught.value.problems


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", ["six_self", "five_steps"])
def test_the_builtin_methods_survive_a_round_trip(name: str, registry: Registry) -> None:
    """``method_from_data(method_to_data(m)) == m``, also through JSON text."""
    m = registry.methods[name]
    data = method_to_data(m)
    assert method_from_data(data) == m
    assert loads_method(json.dumps(data, ensure_ascii=False), format="json") == m
    assert "from" in data["transitions"][0]
    assert "to" in data["transitions"][0]
    assert "sources" not in data["transitions"][0]


def test_a_python_method_survives_a_round_trip() -> None:
    """The method built in Python, with powers, levels, pauses and breach actions, round trips."""
    data = method_to_data(BASE)
    assert data["deadlines"][0]["duration"] == {"hours": 5}
    assert data["deadlines"][1]["on_breach"] == "fire"
    assert method_from_data(json.loads(json.dumps(data))) == BASE


KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
LABELS = st.text(min_size=1, max_size=6).filter(lambda s: bool(s.strip()))
DURATIONS = st.fixed_dictionaries(
    {},
    optional={
        "months": st.integers(1, 3),
        "days": st.integers(1, 40),
        "hours": st.integers(1, 30),
        "minutes": st.integers(1, 90),
    },
).filter(bool)


def duration(fields: dict[str, int]) -> relativedelta:
    """Return the relativedelta of a drawn table of fields."""
    return relativedelta(
        months=fields.get("months", 0),
        days=fields.get("days", 0),
        hours=fields.get("hours", 0),
        minutes=fields.get("minutes", 0),
    )


@st.composite
def linear_methods(draw: st.DrawFn) -> Method:
    """Draw a valid method whose steps follow one another to a terminal step."""
    n = draw(st.integers(1, 5))
    keys = draw(st.lists(KEYS, min_size=n + 1, max_size=n + 1, unique=True))
    role_keys = draw(st.lists(KEYS, min_size=1, max_size=3, unique=True))
    ladder = draw(st.lists(KEYS, max_size=3, unique=True))
    steps = [
        Step(
            key=key,
            label_zh=draw(LABELS),
            label_en=draw(LABELS),
            terminal=i == n,
            description=draw(st.text(max_size=5)),
        )
        for i, key in enumerate(keys)
    ]
    transitions = [
        Transition(
            trigger=f"go_{i}",
            sources=(keys[i],),
            target=keys[i + 1],
            label_zh=draw(LABELS),
            label_en=draw(LABELS),
            roles=tuple(draw(st.lists(st.sampled_from(role_keys), min_size=1, unique=True))),
            powers=tuple(draw(st.lists(KEYS, max_size=2, unique=True))),
            guards=tuple(draw(st.lists(KEYS, max_size=2, unique=True))),
            escalate=draw(st.booleans()) if ladder else False,
        )
        for i in range(n)
    ]
    deadlines = []
    for j in range(draw(st.integers(0, 2))):
        start = draw(st.integers(0, n - 1))
        stop = draw(st.integers(start + 1, n))
        working = draw(st.booleans())
        escalating = draw(st.booleans()) if ladder else False
        deadlines.append(
            Deadline(
                key=f"limit_{j}",
                label_zh=draw(LABELS),
                label_en=draw(LABELS),
                start=(keys[start],),
                stop=(keys[stop],),
                duration=None if working else duration(draw(DURATIONS)),
                working_days=draw(st.integers(1, 10)) if working else None,
                warn_at=draw(st.none() | st.floats(0.05, 0.95)),
                on_breach=BreachAction.ESCALATE if escalating else BreachAction.NOTIFY,
            )
        )
    return Method(
        key=draw(KEYS),
        label_zh=draw(LABELS),
        label_en=draw(LABELS),
        initial=keys[0],
        open_roles=(role_keys[0],),
        roles=[Role(key=k, label_zh=draw(LABELS), label_en=k) for k in role_keys],
        steps=steps,
        transitions=transitions,
        deadlines=deadlines,
        escalation=[Level(key=k, label_zh=draw(LABELS), label_en=k) for k in ladder],
        source=draw(st.text(max_size=4)),
        description_zh=draw(st.text(max_size=8)),
    )


@settings(max_examples=40, deadline=None)
@given(method=linear_methods())
def test_any_valid_linear_method_survives_a_round_trip(method: Method) -> None:
    """Generated valid methods come back equal from plain data and from JSON text."""
    data = method_to_data(method)
    assert method_from_data(data) == method
    assert loads_method(json.dumps(data), format="json") == method


def test_a_lone_string_in_a_file_is_one_key_or_a_clear_problem() -> None:
    """``from = "handling"`` in a file means one step, or is refused at its path."""
    text = METHOD_TOML.replace('from = ["handling"]', 'from = "handling"')
    found: list[Problem] = []
    loaded: Method | None = None
    try:
        loaded = loads_method(text)
    except InvalidMethod as exc:
        found = list(exc.problems)
    if loaded is not None:
        assert loaded.transitions[1].sources == ("handling",)
    else:
        assert not any("unknown step 'h'" in p.message for p in found)
        assert any(p.path.startswith("transitions[1].from") for p in found)
