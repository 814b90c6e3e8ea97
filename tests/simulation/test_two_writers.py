"""Concurrency test: two processes firing on the same case of a simulated district.

Both load the case from one SQLite file, fire a transition as different workers and append
their events with the version they loaded; exactly one append wins, the other gets
:class:`~civicgrid.store.errors.ConcurrencyConflict`, and the stream holds the winner's events
only. Twenty rounds, on the cases a short simulation leaves open.
"""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from civicgrid.plugins.registry import load_registry
from civicgrid.simulation import simulate
from civicgrid.store import SQLiteStore

ROUNDS = 20

RACER = """
import json, sys
from datetime import datetime, timedelta
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import CivicGridError
from civicgrid.plugins.registry import load_registry
from civicgrid.simulation.agents import DATA
from civicgrid.store import ConcurrencyConflict, SQLiteStore, append_events, load_case
from civicgrid.store.codec import encode_events
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.clock import ManualClock
from civicgrid.workflows.engine import Engine

me = sys.argv[2]
registry = load_registry(entry_points=False)
engine = Engine.from_registry(registry, clock=ManualClock(datetime(2026, 1, 1, tzinfo=DEFAULT_TZ)))
with SQLiteStore(sys.argv[1]) as store:
    for line in sys.stdin:
        command, case_id = line.split()
        if command == "fire":
            case = load_case(store, engine, case_id, track=False)
            seen = len(case.events)
            method = registry.method(case.method_key)
            actor = Actor(
                id="racer:" + me,
                roles=frozenset(role.key for role in method.roles) - {"system"},
                unit=(case.data or {}).get("unit"),
                levels=frozenset(level.key for level in method.escalation),
            )
            at = case.events[-1].at + timedelta(minutes=5)
            for trigger in engine.permitted(case, actor):
                try:
                    engine.fire(case, trigger, actor, at=at, data=DATA)
                except CivicGridError:
                    continue
                break
            new = case.events[seen:]
            records = encode_events(case_id, new, seen) if new else None
            print(json.dumps(["fired", seen, records], ensure_ascii=False), flush=True)
        else:
            try:
                append_events(store, case_id, new, expected_version=seen)
                print(json.dumps(["won"]), flush=True)
            except ConcurrencyConflict as error:
                print(json.dumps(["conflict", error.expected, error.actual]), flush=True)
"""
"""A worker process: ``fire CASE`` loads the case and fires on it; ``append CASE`` stores that."""


def ask(racer: subprocess.Popen[str], line: str) -> None:
    """Send one command line to ``racer``."""
    assert racer.stdin is not None
    racer.stdin.write(line + "\n")
    racer.stdin.flush()


def answer(racer: subprocess.Popen[str]) -> Any:
    """Read ``racer``'s answer to its last command."""
    assert racer.stdout is not None
    return json.loads(racer.stdout.readline())


def test_two_processes_firing_on_the_same_case_never_both_win(tmp_path: Path) -> None:
    """Twenty rounds: both fire on the version they loaded, one append wins, one conflicts."""
    path = tmp_path / "run.db"
    with SQLiteStore(path) as store:
        simulate(
            "chenghua",
            days=2,
            seed=4,
            store=store,
            scale=0.03,
            registry=load_registry(entry_points=False),
        )
        cases = [stream.removeprefix("case:") for stream in store.streams("case:")]
    names = ("p1", "p2")
    rounds: list[str] = []
    with ExitStack() as stack:
        racers = [
            stack.enter_context(
                subprocess.Popen(
                    [sys.executable, "-c", RACER, str(path), name],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            for name in names
        ]
        for case_id in cases:
            while len(rounds) < ROUNDS:
                for racer in racers:
                    ask(racer, f"fire {case_id}")
                fired = [answer(racer) for racer in racers]
                with SQLiteStore(path) as store:
                    seen = store.version(f"case:{case_id}")
                assert [f[:2] for f in fired] == [["fired", seen]] * 2
                if fired[0][2] is None:
                    assert fired[1][2] is None
                    break  # closed, or nothing more to fire: race on the next case
                assert fired[0][2] != fired[1][2]  # each worker's own events
                order = racers if len(rounds) % 2 == 0 else racers[::-1]
                for racer in order:
                    ask(racer, f"append {case_id}")
                results = [answer(racer) for racer in racers]
                won = [i for i, result in enumerate(results) if result == ["won"]]
                assert len(won) == 1, results
                winner = fired[won[0]][2]
                loser = results[1 - won[0]]
                assert loser == ["conflict", seen, seen + len(winner)]
                with SQLiteStore(path) as store:
                    stored = [r.data for r in store.read(f"case:{case_id}", seen + 1)]
                assert stored == winner
                rounds.append(names[won[0]])
            if len(rounds) == ROUNDS:
                break
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.close()
    assert len(rounds) == ROUNDS
