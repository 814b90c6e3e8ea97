"""Recording an engine's events into an event store, the way an application persists cases.

:class:`StoreRecorder` is an engine observer that appends every event to its case's stream
with :func:`civicgrid.store.append_events`, at the version the event's ``seq`` implies, so a
test can check what would be stored, and rebuild a case from the store with
:func:`civicgrid.store.load_case`. Over a :class:`~civicgrid.store.MemoryStore` it needs no
file and no clean-up.
"""

from __future__ import annotations

from civicgrid.store import EventStore, append_events
from civicgrid.workflows.case import Case
from civicgrid.workflows.event import Event

__all__ = ["StoreRecorder"]


class StoreRecorder:
    """An observer appending each recorded event to the stream ``case:<id>`` of ``store``.

    The expected version is ``event.seq - 1``: an event the store already holds, or one
    that skips ahead, raises :class:`~civicgrid.store.ConcurrencyConflict`, which the engine
    reports as an :class:`~civicgrid.ObserverError` (the event is recorded on the case all
    the same, and not in the store).
    """

    __slots__ = ("store",)

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def __call__(self, case: Case, event: Event) -> None:
        """Append ``event`` to its case's stream."""
        append_events(self.store, event.case_id, [event], expected_version=event.seq - 1)

    def __repr__(self) -> str:
        return f"StoreRecorder({type(self.store).__name__})"
