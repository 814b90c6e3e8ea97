"""Volunteers in a simulated district redeem points through the redemption desk (P1)."""

from __future__ import annotations

from civicgrid.plugins.registry import load_registry
from civicgrid.report.loading import load_run
from civicgrid.simulation import simulate
from civicgrid.store import MemoryStore
from civicgrid.store.streams import read_events


def test_redemptions_are_cases_and_the_ledger_follows_them() -> None:
    """Each handed-over reward is a fulfilled case; the sink holds exactly their cost."""
    registry = load_registry(entry_points=False)
    store = MemoryStore()
    summary = simulate("chenghua", days=40, seed=4, store=store, scale=0.01, registry=registry)
    steps: dict[str, int] = {}
    for stream in store.streams("case:rd"):
        last = read_events(store, stream.removeprefix("case:"))[-1]
        steps[last.target] = steps.get(last.target, 0) + 1
    assert steps.get("fulfilled", 0) > 0
    cost = 10  # the preset's redeem_points
    run = load_run(store)
    assert run.ledger is not None
    assert run.ledger.balance("sink:redeemed:city_points") == steps["fulfilled"] * cost
    assert summary.points_redeemed == {"city_points": steps["fulfilled"] * cost}
    held = sum(run.ledger.balance(a.id) for a in run.ledger.accounts() if a.id.startswith("hold:"))
    assert held == steps.get("reserved", 0) * cost
    assert sum(run.ledger.balance(a.id) for a in run.ledger.accounts()) == 0
