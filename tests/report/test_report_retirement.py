"""Closed cases leave memory: a retiring IndicatorBuilder gives the figures of one keeping all.

A year of a district (1.5 million requests) must be summarised in bounded memory, so the
builder folds each final record (closed where nothing leaves, no deadline left running) into
columns of numbers and drops it. These tests hold it to the promise that makes that safe:
every figure, in total and per group, at any instant, is the one a builder keeping every record
gives, reopened cases included.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import event as note
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import (
    DEFAULT_TZ,
    Actor,
    Case,
    Engine,
    Event,
    EventKind,
    ManualClock,
    Registry,
    ReplayError,
    TransitionRefused,
    Unit,
    UnitKind,
    UnitTree,
)
from civicgrid.report.indicators import IndicatorBuilder
from civicgrid.report.records import IndicatorDimension, IndicatorPeriod

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
METHODS = ("immediate_53522", "four_orders", "five_steps")
"""Two request methods (one reopened from 待评价) and a deliberation method."""
UNITS = (None, "g1", "g2", "cm")
CHANNELS = (None, "hotline_12345", "grid_patrol", "mini_program")
ANSWER = {
    "feedback": "已答复居民",
    "plan": "两天内更换水泵",
    "agreement": "同意加装电梯",
    "waiting_for": "not_home",
}
DATA: tuple[Mapping[str, Any] | None, ...] = (
    ANSWER,
    ANSWER,
    {**ANSWER, "waiting_for": "information"},
    None,  # refused where an answer is required
)
SECONDS = st.sampled_from([0, 60, 4 * 60, 6 * 60, 31 * 60, 5 * 3_600, 2 * 86_400 + 1]) | (
    st.integers(0, 3 * 86_400)
)
KINDS = ("open", "fire", "fire", "fire", "fire", "fire", "fire", "wait", "check")
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 63),
        st.integers(0, 63),
        st.integers(0, 63),
        SECONDS,
    ),
    min_size=10,
    max_size=90,
)
"""(kind, pick, pick, pick, seconds): open a case of a method on a unit by a channel; fire a
trigger (mostly the way forward) on a case with some data; let time pass, ticking or not;
compare the figures at now, now plus the seconds, and 40 days on."""
GROUPINGS = (
    [IndicatorDimension.UNIT],
    [IndicatorDimension.METHOD],
    [IndicatorDimension.PERIOD],
    [IndicatorDimension.UNIT, IndicatorDimension.METHOD],
    list(IndicatorDimension),
)


def tree() -> UnitTree:
    """Subdistrict sd → community cm → grids g1, g2."""
    return UnitTree(
        [
            Unit(id="sd", kind=UnitKind.SUBDISTRICT, name_zh="街道", parent=None),
            Unit(id="cm", kind=UnitKind.COMMUNITY, name_zh="社区", parent="sd"),
            Unit(id="g1", kind=UnitKind.GRID, name_zh="一网格", parent="cm"),
            Unit(id="g2", kind=UnitKind.GRID, name_zh="二网格", parent="cm"),
        ]
    )


def everyone(registry: Registry) -> Actor:
    """One actor holding every role of the methods, at every level: any trigger may be tried."""
    roles = {role.key for key in METHODS for role in registry.methods[key].roles}
    levels = {level.key for key in METHODS for level in registry.methods[key].escalation}
    return Actor(id="everyone", roles=roles, levels=levels)


def same_figures(retiring: IndicatorBuilder, keeping: IndicatorBuilder, as_of: datetime) -> None:
    """Every total and grouped figure at ``as_of`` is the same; only open cases are listed."""
    assert retiring.indicators(as_of=as_of) == keeping.indicators(as_of=as_of)
    for by in GROUPINGS:
        for period in IndicatorPeriod:
            assert retiring.grouped(by, period=period, tree=tree(), as_of=as_of) == keeping.grouped(
                by, period=period, tree=tree(), as_of=as_of
            )
    everything = keeping.grouped([IndicatorDimension.UNIT], tree=tree(), as_of=as_of)
    some = {key: figures for key, figures in everything.items() if key.unit in {"cm", "g2"}}
    for builder in (retiring, keeping):  # only the units asked for, with the same figures
        assert (
            builder.grouped([IndicatorDimension.UNIT], tree=tree(), as_of=as_of, units=["cm", "g2"])
            == some
        )
    final = {key: r for key, r in keeping.cases.items() if r.is_final}
    assert dict(retiring.cases) == {k: r for k, r in keeping.cases.items() if k not in final}
    assert retiring.retired == len(final)
    assert sorted(retiring.closing_times()) == sorted(keeping.closing_times())


def watched(
    registry: Registry,
) -> tuple[ManualClock, Engine, IndicatorBuilder, IndicatorBuilder]:
    """Return a clock, an engine on it, and a retiring and a keeping builder watching it."""
    clock = ManualClock(MONDAY)
    engine = Engine.from_registry(registry, clock=clock)
    retiring = IndicatorBuilder.for_engine(engine)
    keeping = IndicatorBuilder.for_engine(engine, retire_closed=False)
    engine.subscribe(retiring)
    engine.subscribe(keeping)
    return clock, engine, retiring, keeping


def drive(registry: Registry, actions: list[tuple[Any, ...]]) -> None:
    """Carry out the actions on an engine watched by a retiring and a keeping builder."""
    clock, engine, retiring, keeping = watched(registry)
    actor = everyone(registry)
    cases: list[Case] = []
    for kind, a, b, c, seconds in actions:
        if kind == "open" or not cases:
            method = METHODS[a % len(METHODS)]
            data = {"unit": UNITS[b % len(UNITS)], "channel": CHANNELS[c % len(CHANNELS)]}
            cases.append(engine.open(method, actor=actor, data=data))
        elif kind == "wait":
            clock.advance(timedelta(seconds=seconds))
            if a % 2:
                engine.tick()
        elif kind == "check":
            engine.tick()
            now = clock.now()
            for later in (now, now + timedelta(seconds=seconds), now + timedelta(days=40)):
                same_figures(retiring, keeping, later)
        else:
            open_cases = [case for case in cases if not case.is_closed]
            case = (open_cases or cases)[a % len(open_cases or cases)]
            permitted = engine.permitted(case, actor)
            if not permitted:
                continue
            # Mostly the way forward (declared first), so that cases travel to the end.
            trigger = permitted[0] if b < 40 else permitted[b % len(permitted)]
            data = DATA[c % len(DATA)]
            if trigger in ("rate", "reopen"):
                trigger = "reopen" if c % 3 == 0 and "reopen" in permitted else "rate"
                verdict = ("unsatisfied", "satisfied", "basically_satisfied")[c % 3]
                data = {"rating": verdict}
            try:
                engine.fire(case, trigger, actor, data=data, assignee=actor.id)
            except TransitionRefused:
                continue
    engine.tick()
    now = clock.now()
    same_figures(retiring, keeping, now)
    # The same events folded from a store, case by case, retire the same cases.
    stored = IndicatorBuilder.for_engine(engine)
    for case in cases:
        stored.extend(case.events)
    assert stored.indicators(as_of=now) == keeping.indicators(as_of=now)
    assert stored.cases.keys() == retiring.cases.keys()
    triggers = {e.trigger for case in cases for e in case.events}
    note(f"retired {min(retiring.retired, 3)}+ of {min(len(cases), 6)}+")
    if "reopen" in triggers:
        note("a case was reopened")


@settings(max_examples=100, deadline=None)
@given(actions=ACTIONS)
def test_a_retiring_builder_gives_the_figures_of_one_keeping_every_record(
    registry: Registry, actions: list[tuple[Any, ...]]
) -> None:
    """Random histories of 53522, 四单制 and 五步议事法: totals and groups equal at any instant."""
    drive(registry, actions)


def test_a_reopened_case_is_retired_only_once_closed_for_good(registry: Registry) -> None:
    """Rated unsatisfied, a 53522 case goes back to 接到问题: it stays until it is closed."""
    clock, engine, retiring, keeping = watched(registry)
    actor = everyone(registry)
    case = engine.open("immediate_53522", actor=actor, data={"unit": "g1"})

    def handle() -> None:
        for trigger in ("arrive", "classify_small", "solve", "reply"):
            clock.advance(timedelta(minutes=2))
            engine.fire(case, trigger, actor, data=ANSWER)

    handle()
    clock.advance(timedelta(minutes=5))
    engine.fire(case, "reopen", actor, data={"rating": "unsatisfied"})
    assert retiring.retired == 0
    assert retiring.cases[case.id].reopens == 1
    handle()
    clock.advance(timedelta(minutes=5))
    engine.fire(case, "rate", actor, data={"rating": "satisfied"})
    assert case.is_closed
    assert (retiring.retired, dict(retiring.cases)) == (1, {})
    same_figures(retiring, keeping, clock.now() + timedelta(days=3))
    figures = retiring.indicators()
    assert (figures.reopened, figures.rated, figures.closed) == (1, 1, 1)
    assert figures.ratings[next(r for r in figures.ratings if r.value == "unsatisfied")] == 1


def closed_cases(registry: Registry, count: int) -> list[Event]:
    """The events of ``count`` 53522 requests handled at the grid and rated, in a day."""
    clock = ManualClock(MONDAY)
    engine = Engine.from_registry(registry, clock=clock)
    actor = everyone(registry)
    events: list[Event] = []
    for i in range(count):
        clock.set(MONDAY + timedelta(seconds=i))
        case = engine.open("immediate_53522", actor=actor, data={"unit": f"g{i % 50}"})
        for trigger, data in (
            ("arrive", None),
            ("classify_small", None),
            ("solve", None),
            ("reply", ANSWER),
            ("rate", {"rating": "satisfied"}),
        ):
            engine.fire(case, trigger, actor, data=data)
        events.extend(case.events)
    return events


def test_an_event_after_a_case_retired_is_refused_and_changes_nothing(
    registry: Registry,
) -> None:
    """Nothing follows a closing event; one that does is a ReplayError, the figures unchanged."""
    events = closed_cases(registry, 2)
    builder = IndicatorBuilder(registry.compiled, calendar=registry.calendar)
    builder.extend(events)
    assert builder.retired == 2
    before = builder.indicators()
    last = events[-1]
    extra = last._replace(seq=last.seq + 1, kind=EventKind.REMINDED, trigger="call")
    with pytest.raises(ReplayError, match="after the case was closed"):
        builder.add(extra)
    assert builder.indicators() == before
    assert builder.latest == last.at


def held_bytes(registry: Registry, events: list[Event], *, retire: bool) -> int:
    """The memory a builder holds after folding ``events``, as tracemalloc counts it."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        builder = IndicatorBuilder(
            registry.compiled, calendar=registry.calendar, retire_closed=retire
        )
        builder.extend(events)
        held = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert builder.indicators().closed == len(events) // 6
    return held


def test_a_retired_case_takes_a_small_fraction_of_a_record(registry: Registry) -> None:
    """1,000 closed cases: retired, they hold under a tenth of the memory of their records."""
    events = closed_cases(registry, 1_000)
    kept = held_bytes(registry, events, retire=False)
    retired = held_bytes(registry, events, retire=True)
    assert kept > 1_000 * 1_000  # about 2 KB a record
    assert retired * 10 < kept, (retired, kept)
