"""``civicgrid demo``: list the methods, then run Six Self once on a sample topic."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import Any, TextIO

from civicgrid.cli.common import (
    EXIT_OK,
)
from civicgrid.cli.methods import list_methods
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.plugins.registry import Registry
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.clock import ManualClock
from civicgrid.workflows.engine import Engine
from civicgrid.workflows.event import EventKind
from civicgrid.workflows.method import Method

__all__ = ["add_parsers"]


def add_parsers(commands: Any) -> None:
    """Add ``demo`` to the command line."""
    demo = commands.add_parser(
        "demo", help="list the methods, then run Six Self once on a sample topic"
    )
    demo.set_defaults(handler=_demo)


def _demo(_args: argparse.Namespace, registry: Registry, out: TextIO) -> int:
    out.write("Installed methods 已安装的工作法\n")
    list_methods(argparse.Namespace(json=False), registry, out)
    method = registry.method("six_self")
    out.write(
        f"\nRunning {method.label_zh} {method.label_en} on a sample topic"
        " 示例议题：3号楼加装电梯 (install a lift in building 3)\n\n"
    )
    clock = ManualClock(datetime(2026, 11, 20, 19, 0, tzinfo=DEFAULT_TZ))
    engine = Engine.from_registry(registry, clock=clock)
    resident = Actor(id="resident:3-2-501", roles={"resident"})
    council = Actor(id="council:binhu", roles={"council"})
    case = engine.open(
        "six_self", actor=resident, data={"topic": "3号楼加装电梯 install a lift in building 3"}
    )
    walk: list[tuple[timedelta, str, Actor, dict[str, Any] | None]] = [
        (timedelta(days=3), "table", council, None),
        (timedelta(days=7), "call_vote", council, None),
        (timedelta(days=1), "adopt", council, {"votes_for": 41, "votes_against": 6}),
        (timedelta(days=90), "complete", resident, None),
        (timedelta(days=30), "share", council, None),
    ]
    _print_event(method, case.events[0].at, "open", resident.id, case.step, out)
    for delay, trigger, actor, data in walk:
        engine.tick(clock.advance(delay))
        engine.fire(case, trigger, actor, data=data)
        event = case.events[-1]
        _print_event(method, event.at, trigger, actor.id, event.target, out)
    breaches = [e for e in case.events if e.kind is EventKind.BREACHED]
    out.write(
        f"\n{len(case.events)} events, {len(breaches)} deadline breaches; "
        f"closed: {case.is_closed}\n"
    )
    return EXIT_OK


def _print_event(
    method: Method, at: datetime, trigger: str, actor: str, step: str, out: TextIO
) -> None:
    target = method.step(step)
    out.write(
        f"  {at:%Y-%m-%d %H:%M}  {trigger:<10} by {actor:<18} → "
        f"{target.label_zh} {target.label_en}\n"
    )
