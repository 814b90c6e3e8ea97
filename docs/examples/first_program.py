"""A first program: open a Six Self (六自) case and move it one step."""

from datetime import datetime

from civicgrid import Actor, Engine, ManualClock, load_registry
from civicgrid.domain.time import DEFAULT_TZ

registry = load_registry()  # built-in methods + installed city plugins
clock = ManualClock(datetime(2026, 11, 23, 9, tzinfo=DEFAULT_TZ))
engine = Engine.from_registry(registry, clock=clock)

resident = Actor(id="resident-1", roles={"resident"})
council = Actor(id="council-1", roles={"council"})
case = engine.open("six_self", actor=resident, data={"topic": "加装电梯"})
engine.fire(case, "table", council)  # 自提 → 自议
print(case.current_step.label_zh, case.deadlines["decision"].due)
