"""The request desk: dispatch, open, remember; a duplicate changes nothing."""

from __future__ import annotations

from datetime import datetime

import pytest

from civicgrid import (
    Actor,
    Channel,
    Dispatch,
    DuplicateRequest,
    Engine,
    Method,
    OpenRefused,
    Request,
    RequestDesk,
    Urgency,
    compile_method,
    method_from_data,
)
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.workflows.clock import ManualClock

AT = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
OPERATOR = Actor(id="op-1", roles={"operator"})


def ladder_method() -> Method:
    """A two-step method on the grid → community ladder."""
    return method_from_data(
        {
            "key": "tiny_request",
            "label_zh": "小诉求",
            "label_en": "tiny request",
            "initial": "received",
            "open_roles": ["operator"],
            "roles": [{"key": "operator", "label_zh": "话务员", "label_en": "operator"}],
            "steps": [
                {"key": "received", "label_zh": "受理", "label_en": "received"},
                {"key": "done", "label_zh": "办结", "label_en": "done", "terminal": True},
            ],
            "transitions": [
                {
                    "trigger": "finish",
                    "from": ["received"],
                    "to": "done",
                    "label_zh": "办结",
                    "label_en": "finish",
                    "roles": ["operator"],
                }
            ],
            "escalation": [
                {"key": "grid", "label_zh": "网格", "label_en": "grid"},
                {"key": "community", "label_zh": "社区", "label_en": "community"},
            ],
        }
    )


def engine() -> Engine:
    """An engine running only the tiny method."""
    return Engine([compile_method(ladder_method(), {})], clock=ManualClock(AT))


def request(request_id: str = "r1", text: str = "3栋电梯坏了") -> Request:
    """A hotline request."""
    return Request(
        id=request_id,
        channel=Channel.HOTLINE_12345,
        text=text,
        submitted_at=AT,
        unit="b3",
        urgency=Urgency.URGENT,
    )


def lifts(req: Request) -> Dispatch | None:
    """Send lifts to the community, assigned to the property company; pass otherwise."""
    if "电梯" in req.text:
        return Dispatch(category="lift", level="community", assignee="property-1", rule="电梯")
    return None


def test_a_request_opens_a_case_at_the_dispatched_level_with_its_facts() -> None:
    """The case id is the request id; level, assignee and the opening data come from dispatch."""
    desk = RequestDesk(engine(), method="tiny_request", classify=lifts)
    case = desk.receive(request(), actor=OPERATOR)
    assert (case.id, case.level, case.assignee) == ("r1", "community", "property-1")
    opened = case.events[0]
    assert opened.at == AT
    assert opened.data is not None
    assert opened.data["channel"] == "hotline_12345"
    assert opened.data["category"] == "lift"
    assert opened.data["unit"] == "b3"
    assert opened.data["automatic"] is True
    assert desk.case("r1") is case
    assert desk.request("r1").text == "3栋电梯坏了"
    assert desk.dispatch("r1") == lifts(request())


def test_without_an_answer_the_case_opens_at_the_lowest_rung_unassigned() -> None:
    """A dispatcher passing (None) leaves the method's defaults and records no dispatch."""
    desk = RequestDesk(engine(), method="tiny_request", classify=lifts)
    case = desk.receive(request(text="路灯不亮"), actor=OPERATOR)
    assert (case.level, case.assignee) == ("grid", None)
    assert case.events[0].data is not None
    assert case.events[0].data["dispatched"] is False


def test_a_duplicate_or_refused_request_leaves_the_desk_as_it_was() -> None:
    """Receiving an id twice is refused; an actor without an open role opens nothing."""
    desk = RequestDesk(engine(), method="tiny_request")
    desk.receive(request(), actor=OPERATOR)
    with pytest.raises(DuplicateRequest):
        desk.receive(request(), actor=OPERATOR)
    with pytest.raises(OpenRefused):
        desk.receive(request("r2"), actor=Actor(id="x", roles={"resident"}))
    assert [c.id for c in desk] == ["r1"]
    assert len(desk) == 1


def test_the_opening_event_keeps_the_higher_of_the_two_urgencies() -> None:
    """A dispatcher that finds a gas leak raises a routine request to an emergency."""

    def gas(_req: Request) -> Dispatch:
        return Dispatch(category="gas", level="community", urgency=Urgency.EMERGENCY)

    desk = RequestDesk(engine(), method="tiny_request", classify=gas)
    case = desk.receive(request(), actor=OPERATOR)
    assert case.events[0].data is not None
    assert case.events[0].data["urgency"] == "emergency"
    calm = RequestDesk(engine(), method="tiny_request", classify=lifts)
    assert calm.receive(request(), actor=OPERATOR).events[0].data["urgency"] == "urgent"  # type: ignore[index]
