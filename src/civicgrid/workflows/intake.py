"""Intake: a resident request becomes a case on the kernel (DOMAIN.md I1–I9).

:class:`RequestDesk` is the thin service between a city's front door (a hotline system, a
mini-program back end, an Open311 feed) and the engine: it asks the dispatcher where a
request goes, opens a case of the chosen method at the dispatched level with the assignee,
and remembers the request and the dispatch by case id. The opening event carries what the
indicators need (channel, category, unit, urgency, list, whether dispatch was automatic), so
every figure is derived from recorded events, never typed in twice (DOMAIN.md X).

The case id is the request id, so a request is handled by exactly one case: receiving the same
id twice is refused and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from civicgrid.domain.requests import Dispatch, Request, Urgency
from civicgrid.errors import CivicGridError
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.engine import Engine

__all__ = ["DuplicateRequest", "RequestDesk"]

Classifier = Callable[[Request], Dispatch | None]
MethodChooser = Callable[[Request, Dispatch | None], str]


class DuplicateRequest(CivicGridError, ValueError):
    """A request with this id was already received; nothing was opened."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        super().__init__(
            f"request {request_id!r} was already received",
            f"诉求 {request_id!r} 已受理，不能重复受理",
        )


class RequestDesk:
    """Receive requests, dispatch them, open their cases, and keep them together.

    ``method`` is the key of the method every request runs, or a function choosing one from
    the request and its dispatch (micro-wishes to ``micro_wishes``, the rest to
    ``immediate_53522``, say). ``classify`` is usually :meth:`civicgrid.Registry.classify_request`;
    without it every request opens at the method's lowest level, unassigned.
    """

    __slots__ = ("_cases", "_classify", "_dispatches", "_engine", "_method", "_requests")

    def __init__(
        self,
        engine: Engine,
        *,
        method: str | MethodChooser,
        classify: Classifier | None = None,
    ) -> None:
        self._engine = engine
        self._method = method
        self._classify = classify
        self._cases: dict[str, Case] = {}
        self._requests: dict[str, Request] = {}
        self._dispatches: dict[str, Dispatch | None] = {}

    @property
    def engine(self) -> Engine:
        """The engine the cases run on."""
        return self._engine

    def receive(self, request: Request, *, actor: Actor) -> Case:
        """Dispatch ``request`` and open its case at ``request.submitted_at``; return the case.

        ``actor`` opens the case (a hotline operator, the resident themself) and must hold one
        of the method's open roles. A dispatched level the method's ladder does not have is
        ignored (the case opens at the lowest rung) rather than refused: a city's dispatcher
        may know levels a method does not use. Any refusal leaves the desk as it was.
        """
        if request.id in self._cases:
            raise DuplicateRequest(request.id)
        dispatch = None if self._classify is None else self._classify(request)
        method = self._method if isinstance(self._method, str) else self._method(request, dispatch)
        ladder = self._engine.compiled(method).ladder
        level = dispatch.level if dispatch is not None and dispatch.level in ladder else None
        case = self._engine.open(
            method,
            actor=actor,
            at=request.submitted_at,
            case_id=request.id,
            data=_opening_data(request, dispatch),
            level=level,
            assignee=None if dispatch is None else dispatch.assignee,
        )
        self._cases[case.id] = case
        self._requests[case.id] = request
        self._dispatches[case.id] = dispatch
        return case

    def __len__(self) -> int:
        return len(self._cases)

    def __iter__(self) -> Iterator[Case]:
        """Yield every case, in the order received."""
        return iter(self._cases.values())

    def case(self, request_id: str) -> Case:
        """Return the case handling request ``request_id`` (``KeyError`` if not received)."""
        return self._cases[request_id]

    def request(self, request_id: str) -> Request:
        """Return the request as received."""
        return self._requests[request_id]

    def dispatch(self, request_id: str) -> Dispatch | None:
        """Return the dispatcher's decision for the request, ``None`` if there was none."""
        return self._dispatches[request_id]


def _opening_data(request: Request, dispatch: Dispatch | None) -> Mapping[str, Any]:
    """Return what the opening event records about the request, for indicators and ledger."""
    category = request.category if dispatch is None else dispatch.category
    unit = request.unit if request.unit is not None or dispatch is None else dispatch.unit
    return {
        "channel": request.channel.value,
        "category": category,
        "unit": unit,
        "urgency": _urgency(request, dispatch),
        "list": None if request.request_list is None else request.request_list.value,
        "dispatched": dispatch is not None,
        "automatic": dispatch is not None and dispatch.automatic,
        "dispatch_rule": None if dispatch is None else dispatch.rule,
    }


_URGENCY_RANK = {Urgency.ROUTINE: 0, Urgency.URGENT: 1, Urgency.EMERGENCY: 2}


def _urgency(request: Request, dispatch: Dispatch | None) -> str:
    """Return the higher of the request's urgency and the one the dispatcher found."""
    found = None if dispatch is None else dispatch.urgency
    if found is None or _URGENCY_RANK[found] <= _URGENCY_RANK[request.urgency]:
        return request.urgency.value
    return found.value
