"""The sample district, the store recorder and the indicator assertions, used directly."""

from __future__ import annotations

import pytest

from civicgrid import Engine, EventKind, ManualClock, ObserverError, Registry, UnitKind
from civicgrid.store import MemoryStore, append_events, read_events
from civicgrid.testing import (
    IndicatorMismatch,
    StoreRecorder,
    actor,
    assert_closed_at_level,
    assert_completion,
    assert_indicator,
    assert_on_time,
    assert_satisfaction,
    indicators_of,
    sample_district,
)

RESIDENT = actor("resident")


def test_the_sample_district_has_two_compounds_four_buildings_and_eight_households() -> None:
    """The tree nests community → grids → compounds → buildings → households."""
    district = sample_district()
    kinds = [u.kind for u in district.tree]
    assert kinds.count(UnitKind.COMPOUND) == 2
    assert kinds.count(UnitKind.BUILDING) == 4
    assert len(district.households) == 8
    assert district.tree.residents("jh") == 24


def test_sample_actors_take_their_levels_from_their_seats() -> None:
    """A building leader acts at the grid, a red steward at the compound, the secretary above."""
    district = sample_district()
    assert district.actor("building-leader-3").levels == {"grid"}
    assert district.actor("red-steward-2").levels == {"compound"}
    assert district.actor("secretary").levels == {"community"}
    assert district.resident("resident-8").unit == "jh-c2-b2-u1-102"


def test_each_call_builds_a_fresh_district() -> None:
    """Changing one copy leaves the next untouched."""
    first = sample_district()
    first.tree.remove("jh-c1-b1-u1-101")
    assert len(sample_district().households) == 8


def test_an_unknown_sample_person_is_refused_by_name() -> None:
    """Asking for someone not on the roster names them."""
    with pytest.raises(LookupError, match="nobody"):
        sample_district().resident("nobody")


def test_the_recorder_stores_every_event_in_order(registry: Registry, clock: ManualClock) -> None:
    """Each event lands in its case stream at its seq."""
    store = MemoryStore()
    engine = Engine.from_registry(registry, clock=clock, observers=[StoreRecorder(store)])
    case = engine.open("five_steps", actor=RESIDENT)
    engine.fire(case, "sort", actor("grid_worker"))
    assert read_events(store, case.id) == list(case.events)


def test_a_recorder_behind_the_store_is_reported_and_the_case_still_moves(
    registry: Registry, clock: ManualClock
) -> None:
    """A conflicting stream raises ObserverError; the event is on the case all the same."""
    store = MemoryStore()
    engine = Engine.from_registry(registry, clock=clock, observers=[StoreRecorder(store)])
    other = Engine.from_registry(registry, clock=clock)
    stray = other.open("five_steps", actor=RESIDENT, case_id="five_steps-1")
    append_events(store, "five_steps-1", stray.events, expected_version=0)
    with pytest.raises(ObserverError):
        engine.open("five_steps", actor=RESIDENT, case_id="five_steps-1")
    assert store.version("case:five_steps-1") == 1


def test_assertions_pass_on_the_right_figures(engine: Engine) -> None:
    """Completion, on-time, satisfaction, levels and any named figure."""
    case = engine.open("five_steps", actor=RESIDENT)
    ind = assert_completion([case], 0.0, methods=engine)
    assert assert_indicator(ind, "received", 1) is ind
    assert_satisfaction(ind, None)
    assert_closed_at_level(ind, {})
    assert case.events[0].kind is EventKind.OPENED


def test_a_wrong_completion_names_the_counts(engine: Engine) -> None:
    """The message says how many were closed of how many received."""
    case = engine.open("five_steps", actor=RESIDENT)
    with pytest.raises(IndicatorMismatch, match=r"0 closed of 1 received.*expected 0\.5") as err:
        assert_completion(case.events, 0.5, methods=engine)
    assert err.value.actual == 0.0
    assert "办结率" in str(err.value.message_zh)


def test_an_unknown_deadline_lists_those_seen(engine: Engine) -> None:
    """Asking for a deadline no case ran names the ones that did."""
    case = engine.open("immediate_53522", actor=RESIDENT)
    with pytest.raises(IndicatorMismatch, match="deadlines seen: on_site, reply"):
        assert_on_time([case], "nope", 1.0, methods=engine)


def test_an_unknown_figure_lists_the_figures(engine: Engine) -> None:
    """A misspelt figure name is an AttributeError listing the real ones."""
    case = engine.open("five_steps", actor=RESIDENT)
    with pytest.raises(AttributeError, match="completion_rate"):
        assert_indicator([case], "completion", 1.0, methods=engine)


def test_events_without_methods_are_refused(engine: Engine) -> None:
    """Events cannot be folded without knowing their methods."""
    case = engine.open("five_steps", actor=RESIDENT)
    with pytest.raises(TypeError, match="methods="):
        indicators_of(case.events)
