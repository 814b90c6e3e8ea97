"""The permission matrix: exactly the declared combinations are accepted.

For every built-in method, every step, every trigger it declares (and one it does not), every
role it declares plus ``system``, each power its transitions name and an outsider, every rung
of its escalation ladder the actor may act at (and none), every rung the case may stand on,
and the actor being the case's assignee or a stranger, the engine is asked to fire. The
*declared* matrix says what must happen: the transitions' sources, roles and powers, the
``escalate`` rule (nothing above the top rung), and the guards that are about level or
identity, modelled here explicitly (:data:`GUARD_RULES`); guards about data are given data
that satisfies them, so they never blur the matrix. A new built-in guard must be classified
in :data:`GUARD_RULES` before this suite passes.

Three checks hold the matrix in place:

* the declared matrix of each built-in method equals the committed snapshot
  ``permission_matrix.json``, so a method that gains (or loses) an accepted combination fails
  until the snapshot is deliberately regenerated;
* the engine accepts exactly the declared combinations, refuses every other with the
  :class:`~civicgrid.errors.TransitionRefused` subclass the declaration predicts, and a
  refusal changes nothing: step, level, assignee, events, deadlines, queued alarms, and no
  observer is told;
* a copy of a method widened on purpose (a role added to a transition, or a compiled role set
  widened behind the method's back) fails those checks, naming method, trigger, role and level.

Cases are put at a step by :meth:`Engine.replay` of a synthetic history, every event at one
instant, and fired at that same instant: no deadline alarm falls due before it, so the one
exception in ``Engine.fire``'s docstring (alarms due before ``at`` are recorded first) does
not arise here; :func:`test_refusal_records_only_the_alarms_already_due` checks it on its own.

Regenerate the snapshot, after reviewing the change of a method, with::

    CIVICGRID_UPDATE_MATRIX=1 .venv/bin/python -m pytest -p no:cacheprovider -q
        tests/hardening/test_permission_matrix.py

(one command line), then review ``git diff tests/hardening/permission_matrix.json``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import pytest

from civicgrid import Actor, Engine, ManualClock, Registry, load_registry
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import (
    GuardRefused,
    LadderExhausted,
    OpenRefused,
    RoleRefused,
    TransitionRefused,
    TriggerNotAllowed,
    UnknownTrigger,
)
from civicgrid.simulation.agents import DATA
from civicgrid.workflows.case import Case
from civicgrid.workflows.compiled import compile_method
from civicgrid.workflows.event import Event, EventKind
from civicgrid.workflows.method import SYSTEM_ROLE, Method
from hardening_support import Tally

SNAPSHOT = Path(__file__).with_name("permission_matrix.json")
UPDATE = "CIVICGRID_UPDATE_MATRIX"
"""Set to 1 to rewrite :data:`SNAPSHOT` from the declared matrices of the built-in methods."""

AT = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
"""Every synthetic event and every attempt happens at this instant (a Monday morning)."""
ASSIGNEE = "assignee-1"
"""The case's assignee (and the redeemer named in its data): the identity guards' "self"."""
STRANGER = "stranger-1"
HOLDERS = (ASSIGNEE, STRANGER)
OUTSIDER = "outsider"
"""A role no method declares."""
UNDECLARED = "not_a_trigger"
"""A trigger no method declares."""
NONE = "-"
"""How "no level" is written in the snapshot."""

OPEN_DATA: Mapping[str, Any] = {"person": ASSIGNEE, "category": "service"}
"""The data every case opens with: the redeemer is the assignee, the wish is no proxy."""

SATISFYING: Mapping[str, Any] = {
    **DATA,
    "votes_for": 5,
    "votes_against": 1,
    "occasion": "founding",
    "candidates": ["owner-1", "owner-2"],
    "decision": "党组织把关意见第 1 号",
    "reasons": ["代表业主利益", "有时间", "有能力"],
    "excellent": True,
    "concessions": {"甲方": "让出三尺", "乙方": "也让三尺"},
}
"""Data every built-in data guard accepts (the simulation's ``DATA`` and the rest)."""


class Combo(NamedTuple):
    """One cell of the matrix: who tries what, from where, at which levels."""

    step: str
    trigger: str
    grant: str
    """A role, ``power:<name>`` for a power, or :data:`OUTSIDER`."""
    case_level: str
    actor_level: str
    holder: str
    """:data:`ASSIGNEE` or :data:`STRANGER`."""


Outcome = type[TransitionRefused] | None
"""``None`` when accepted, else the refusal expected or seen."""
GuardRule = Callable[[Method, Combo], bool]


def _ladder(method: Method) -> list[str]:
    return [rung.key for rung in method.escalation]


def _acts_at_case_level(method: Method, combo: Combo) -> bool:
    """The actor acts at the case's rung or one above it; a case with no rung lets anyone."""
    if combo.case_level == NONE:
        return True
    ladder = _ladder(method)
    return combo.actor_level in ladder[ladder.index(combo.case_level) :]


def _is_assignee(_method: Method, combo: Combo) -> bool:
    return combo.holder == ASSIGNEE


def _redeemer_or_staff(_method: Method, combo: Combo) -> bool:
    return combo.holder == ASSIGNEE or combo.grant in {"issuer_staff", "community_worker"}


def _below_the_subdistrict(_method: Method, combo: Combo) -> bool:
    return combo.case_level != "subdistrict"


def _data(_method: Method, _combo: Combo) -> bool:
    return True


GUARD_RULES: Mapping[str, GuardRule] = {
    # Level: the ladder of I4, and the joint meeting that takes nothing above the community.
    "acts_at_case_level": _acts_at_case_level,
    "meeting_recorded": _below_the_subdistrict,
    # Identity: the dispatched household leader, the claimant, the redeemer (or staff).
    "dispatched_to_actor": _is_assignee,
    "claimant_only": _is_assignee,
    "redeemer_or_staff": _redeemer_or_staff,
    # Data: satisfied by SATISFYING (red_proxy_agent by a wish that is no proxy service).
    **dict.fromkeys(
        [
            "agreement_recorded",
            "candidates_submitted",
            "departments_called",
            "departments_reported",
            "dispatch_order_recorded",
            "excellence_recorded",
            "feedback_given",
            "majority_in_favour",
            "mutual_concession",
            "plan_recorded",
            "rating_closes",
            "rating_reopens",
            "red_proxy_agent",
            "resolution_recorded",
            "vetting_decision_recorded",
            "waiting_reason_given",
        ],
        _data,
    ),
}
"""How each built-in guard decides, as the matrix declares it."""


# --------------------------------------------------------------------------- the declared matrix


def grants(method: Method) -> list[str]:
    """The actors tried: declared roles, the system, each power named, an outsider."""
    powers = [f"power:{p}" for t in method.transitions for p in t.powers]
    roles = [role.key for role in method.roles]
    return list(dict.fromkeys([*roles, SYSTEM_ROLE, *powers, OUTSIDER]))


def combos(method: Method) -> Iterator[Combo]:
    """Every cell of the method's matrix, in a stable order."""
    ladder = _ladder(method)
    case_levels = ladder or [NONE]
    actor_levels = [*ladder, NONE]
    for step in method.steps:
        for case_level in case_levels:
            for trigger in [*method.triggers, UNDECLARED]:
                for grant in grants(method):
                    for actor_level in actor_levels:
                        for holder in HOLDERS:
                            yield Combo(step.key, trigger, grant, case_level, actor_level, holder)


def declared(method: Method, combo: Combo) -> Outcome:
    """What the method declares for ``combo``: ``None`` (accepted) or the refusal expected."""
    transition = next(
        (t for t in method.transitions if t.trigger == combo.trigger and combo.step in t.sources),
        None,
    )
    if transition is None:
        return TriggerNotAllowed if combo.trigger in method.triggers else UnknownTrigger
    allowed = {*transition.roles, *(f"power:{p}" for p in transition.powers)}
    if combo.grant not in allowed:
        return RoleRefused
    for guard in transition.guards:
        if not GUARD_RULES[guard](method, combo):
            return GuardRefused
    if transition.escalate and combo.case_level == _ladder(method)[-1]:
        return LadderExhausted
    return None


def declared_matrix(method: Method) -> set[Combo]:
    """The accepted cells of ``method``'s matrix."""
    return {combo for combo in combos(method) if declared(method, combo) is None}


def render(method: Method, accepted: set[Combo]) -> dict[str, Any]:
    """The snapshot entry of a method: accepted cells grouped for a reader.

    ``matrix["<step> --<trigger>--> <target>"]["<roles>"]["<case level>"]`` lists the levels
    an actor holding any of ``<roles>`` may act at, ``"(assignee)"`` marking those accepted
    only when the actor is the case's assignee; ``-`` is "no level".
    """
    total = sum(1 for _ in combos(method))
    matrix: dict[str, dict[str, dict[str, str]]] = {}
    for t in method.transitions:
        for source in t.sources:
            by_grant: dict[str, dict[str, str]] = {}
            for grant in grants(method):
                levels: dict[str, str] = {}
                for case_level in _ladder(method) or [NONE]:
                    labels = []
                    for actor_level in [*_ladder(method), NONE]:
                        holders = [
                            h
                            for h in HOLDERS
                            if Combo(source, t.trigger, grant, case_level, actor_level, h)
                            in accepted
                        ]
                        if holders == list(HOLDERS):
                            labels.append(actor_level)
                        elif holders:
                            labels.append(f"{actor_level} ({holders[0].split('-')[0]})")
                    if labels:
                        levels[case_level] = ", ".join(labels)
                if levels:
                    by_grant[grant] = levels
            grouped: dict[str, dict[str, str]] = {}
            for levels in by_grant.values():
                same = [g for g, other in by_grant.items() if other == levels]
                grouped.setdefault(", ".join(same), levels)
            if grouped:
                matrix[f"{source} --{t.trigger}--> {t.target}"] = grouped
    return {
        "open_roles": sorted(method.open_roles),
        "accepted": len(accepted),
        "refused": total - len(accepted),
        "matrix": matrix,
    }


def expand(entry: Mapping[str, Any]) -> set[Combo]:
    """The accepted cells a snapshot entry (as :func:`render` writes it) stands for."""
    cells: set[Combo] = set()
    for arrow, by_grant in entry["matrix"].items():
        step, rest = arrow.split(" --", 1)
        trigger = rest.split("--> ", 1)[0]
        for grant_list, levels in by_grant.items():
            for grant in grant_list.split(", "):
                for case_level, labels in levels.items():
                    for label in labels.split(", "):
                        actor_level, _, only = label.partition(" (")
                        holders = HOLDERS if not only else (ASSIGNEE,)
                        for holder in holders:
                            cells.add(Combo(step, trigger, grant, case_level, actor_level, holder))
    return cells


def describe(method: str, combo: Combo) -> str:
    """Name a cell for a person reading a failure."""
    return (
        f"{method}: trigger {combo.trigger!r} from step {combo.step!r} by role {combo.grant!r} "
        f"acting at level {combo.actor_level!r} on a case at level {combo.case_level!r} "
        f"(actor {'is' if combo.holder == ASSIGNEE else 'is not'} the assignee)"
    )


def snapshot_problems(method: Method, snapshot: Mapping[str, Any]) -> list[str]:
    """Where the declared matrix of ``method`` differs from its snapshot entry."""
    entry = snapshot.get(method.key)
    if entry is None:
        return [f"{method.key}: no snapshot entry (regenerate with {UPDATE}=1)"]
    have, want = declared_matrix(method), expand(entry)
    problems = [f"newly accepted: {describe(method.key, c)}" for c in sorted(have - want)]
    problems += [f"no longer accepted: {describe(method.key, c)}" for c in sorted(want - have)]
    if not problems and render(method, have) != entry:
        problems.append(f"{method.key}: the matrix's dimensions or counts changed")
    return problems


# --------------------------------------------------------------------------- the engine's matrix


def data_for(method: Method, trigger: str) -> dict[str, Any]:
    """Data that satisfies every data guard on ``trigger`` (an unsatisfied rating reopens)."""
    reopens = any("rating_reopens" in t.guards for t in method.transitions if t.trigger == trigger)
    return {**SATISFYING, "rating": "unsatisfied" if reopens else "satisfied"}


def path_to(method: Method, step: str) -> list[tuple[str, str, str]]:
    """A shortest walk (trigger, source, target) from the initial step to ``step``."""
    paths: dict[str, list[tuple[str, str, str]]] = {method.initial: []}
    frontier = [method.initial]
    while frontier and step not in paths:
        nxt = []
        for here in frontier:
            for t in method.transitions:
                if here in t.sources and t.target not in paths:
                    paths[t.target] = [*paths[here], (t.trigger, here, t.target)]
                    nxt.append(t.target)
        frontier = nxt
    return paths[step]


def history(method: Method, step: str, case_level: str) -> list[Event]:
    """Synthetic events that put a case at ``step`` on rung ``case_level``, all at :data:`AT`."""
    level = None if case_level == NONE else case_level
    case_id = f"{method.key}-{step}-{case_level}"
    opened = EventKind.OPENED
    events = [
        Event(
            case_id,
            1,
            opened,
            AT,
            "opener",
            method.key,
            None,
            method.initial,
            level,
            ASSIGNEE,
            OPEN_DATA,
        )
    ]
    for seq, (trigger, source, target) in enumerate(path_to(method, step), start=2):
        data = data_for(method, trigger)
        events.append(
            Event(
                case_id,
                seq,
                EventKind.TRANSITION,
                AT,
                "walker",
                trigger,
                source,
                target,
                level,
                ASSIGNEE,
                data,
            )
        )
    return events


def actor(combo: Combo) -> Actor:
    """The actor of a cell: its role or power, its level, its identity."""
    _, _, power = combo.grant.partition(":")
    return Actor(
        id=combo.holder,
        roles=() if power else (combo.grant,),
        powers=(power,) if power else (),
        levels=() if combo.actor_level == NONE else (combo.actor_level,),
    )


def level_after(method: Method, combo: Combo) -> str | None:
    """The case's level after an accepted cell fires, as the transition declares it."""
    t = next(
        t for t in method.transitions if t.trigger == combo.trigger and combo.step in t.sources
    )
    ladder = _ladder(method)
    if t.escalate:
        return ladder[ladder.index(combo.case_level) + 1]
    if t.level is not None:
        return t.level
    return None if combo.case_level == NONE else combo.case_level


def observe(engine: Engine, method: Method) -> dict[Combo, Outcome]:
    """Fire every cell of ``method``'s matrix on ``engine``; check each refusal changed nothing.

    Any exception other than a :class:`TransitionRefused` propagates and fails the caller.
    """
    told: list[Event] = []
    engine.subscribe(lambda _case, event: told.append(event))
    seen: dict[Combo, Outcome] = {}
    cases: dict[tuple[str, str], tuple[list[Event], Case, Case]] = {}
    for combo in combos(method):
        where = (combo.step, combo.case_level)
        if where not in cases:
            events = history(method, *where)
            cases[where] = (events, engine.replay(events), engine.replay(events, track=False))
        events, case, twin = cases[where]
        alarms, heard = engine.pending_alarms, len(told)
        try:
            engine.fire(
                case, combo.trigger, actor(combo), at=AT, data=data_for(method, combo.trigger)
            )
        except TransitionRefused as refusal:
            seen[combo] = type(refusal)
            unchanged = (
                case == twin
                and case.next_alarm == twin.next_alarm
                and engine.pending_alarms == alarms
                and len(told) == heard
            )
            assert unchanged, f"a refusal changed the case: {describe(method.key, combo)}"
            continue
        seen[combo] = None
        last = case.events[-1]
        assert (len(case.events), last.trigger, last.actor, last.target, last.level) == (
            len(twin.events) + 1,
            combo.trigger,
            combo.holder,
            case.step,
            level_after(method, combo),
        ), describe(method.key, combo)
        assert told[heard:] == [last]
        cases[where] = (events, engine.replay(events), twin)
    return seen


def engine_problems(method: Method, seen: Mapping[Combo, Outcome]) -> list[str]:
    """Where the engine's answers differ from what ``method`` declares."""
    problems = []
    for combo, outcome in seen.items():
        want = declared(method, combo)
        if outcome is not want:
            got = "accepted" if outcome is None else f"refused ({outcome.__name__})"
            expected = "accepted" if want is None else f"refused ({want.__name__})"
            problems.append(f"{describe(method.key, combo)}: {got}, declared {expected}")
    return problems


def report(problems: list[str], limit: int = 25) -> str:
    """The first ``limit`` problems, one a line, and how many more."""
    more = len(problems) - limit
    return "\n".join(problems[:limit] + ([f"... and {more} more"] if more > 0 else []))


# --------------------------------------------------------------------------- tests

METHODS = sorted(load_registry(entry_points=False).methods)


def test_every_guard_of_a_builtin_method_is_modelled(registry: Registry) -> None:
    """A guard the matrix does not model would make its declared answer a guess."""
    named = {g for m in registry.methods.values() for t in m.transitions for g in t.guards}
    assert named - set(GUARD_RULES) == set(), "classify the new guard in GUARD_RULES"
    assert set(registry.guards) >= named


def test_snapshot_round_trips(registry: Registry) -> None:
    """The snapshot's grouped form stands for exactly the cells it was written from."""
    for method in registry.methods.values():
        accepted = declared_matrix(method)
        assert expand(render(method, accepted)) == accepted, method.key


def test_declared_matrices_match_the_snapshot(registry: Registry) -> None:
    """No built-in method gains or loses an accepted combination without a new snapshot.

    With ``CIVICGRID_UPDATE_MATRIX=1`` the snapshot is rewritten first (review the diff).
    """
    if os.environ.get(UPDATE) == "1":
        fresh = {key: render(m, declared_matrix(m)) for key, m in sorted(registry.methods.items())}
        text = json.dumps(fresh, ensure_ascii=False, indent=1) + "\n"
        SNAPSHOT.write_text(text, encoding="utf-8")
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert sorted(snapshot) == sorted(registry.methods), "regenerate the snapshot"
    problems = [p for m in registry.methods.values() for p in snapshot_problems(m, snapshot)]
    assert not problems, report(problems)


@pytest.mark.parametrize("key", METHODS)
def test_engine_accepts_exactly_the_declared_matrix(
    registry: Registry, tally: Tally, key: str
) -> None:
    """Every cell: accepted iff declared, else the predicted refusal, and nothing changed."""
    method = registry.methods[key]
    engine = Engine.from_registry(registry, clock=ManualClock(AT))
    seen = observe(engine, method)
    assert not (problems := engine_problems(method, seen)), report(problems)
    outcomes = Counter("accepted" if o is None else "refused" for o in seen.values())
    assert outcomes["accepted"] > 0
    for outcome, n in outcomes.items():
        tally.add("permissions", key, outcome, n)


@pytest.mark.parametrize("key", METHODS)
def test_only_open_roles_open_a_case(registry: Registry, tally: Tally, key: str) -> None:
    """Opening is permitted by role alone: the method's open roles, never a power or outsider."""
    method = registry.methods[key]
    engine = Engine.from_registry(registry, clock=ManualClock(AT))
    for grant in grants(method):
        who = actor(Combo("", "", grant, NONE, NONE, STRANGER))
        if grant in method.open_roles:
            assert engine.open(key, actor=who, at=AT).step == method.initial
            tally.add("permissions", key, "accepted")
        else:
            with pytest.raises(OpenRefused):
                engine.open(key, actor=who, at=AT)
            tally.add("permissions", key, "refused")


def test_a_method_widened_on_purpose_fails_the_matrix_check(registry: Registry) -> None:
    """Adding a role to a transition of a copy is caught, naming method, trigger, role, level."""
    method = registry.methods["five_matters"]
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert snapshot_problems(method, snapshot) == []
    widened = attrs.evolve(
        method,
        transitions=[
            attrs.evolve(t, roles=(*t.roles, "resident")) if t.trigger == "hear" else t
            for t in method.transitions
        ],
    )
    problems = snapshot_problems(widened, snapshot)
    assert problems
    assert all(p.startswith("newly accepted: five_matters: trigger 'hear'") for p in problems)
    expected = describe(
        "five_matters", Combo("raised", "hear", "resident", "grid", "grid", STRANGER)
    )
    assert f"newly accepted: {expected}" in problems
    # The engine does what the widened copy says: the snapshot is the only line of defence.
    engine = Engine([compile_method(widened, registry.guards)], clock=ManualClock(AT))
    assert engine_problems(widened, observe(engine, widened)) == []


def test_an_engine_widened_on_purpose_fails_the_engine_check(registry: Registry) -> None:
    """A compiled role set wider than the method's is caught by the engine check."""
    method = registry.methods["four_orders"]
    compiled = compile_method(method, registry.guards)
    dispatch = compiled.out["ordered"]["dispatch"]
    dispatch.roles = dispatch.roles | {"household_leader"}
    dispatch.grants = dispatch.grants | {"household_leader"}
    engine = Engine([compiled], clock=ManualClock(AT))
    problems = engine_problems(method, observe(engine, method))
    assert problems
    assert all(
        "four_orders: trigger 'dispatch' from step 'ordered' by role 'household_leader'" in p
        and p.endswith("accepted, declared refused (RoleRefused)")
        for p in problems
    )
    assert any("acting at level 'community' on a case at level 'grid'" in p for p in problems)


def test_refusal_records_only_the_alarms_already_due(registry: Registry) -> None:
    """The one documented exception: a refusal at ``at`` still records alarms due before it.

    The refused case ends exactly as a twin that was only ticked to ``at``.
    """
    method = registry.methods["immediate_53522"]
    engine = Engine.from_registry(registry, clock=ManualClock(AT))
    events = history(method, "received", "grid")
    case, twin = engine.replay(events), engine.replay(events)
    due = case.next_alarm
    assert due is not None
    later = due + timedelta(minutes=1)
    outsider = Actor(id=STRANGER, roles={OUTSIDER})
    with pytest.raises(RoleRefused):
        engine.fire(case, "arrive", outsider, at=later, data=data_for(method, "arrive"))
    engine.tick(later)
    assert len(case.events) > len(events)
    assert all(e.kind in (EventKind.WARNED, EventKind.BREACHED) for e in case.events[len(events) :])
    assert case == twin
