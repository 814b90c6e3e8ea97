"""Built-in plugin ``civicgrid.immediate_53522``: I1 "53522马上办" (Hengtong, Yaohai, Hefei).

"接到问题后，楼栋长或'红色小管家'5分钟内到达现场，30分钟内解决小问题，5个小时内解决大问题，
难问题2天内形成解决方案，2天内给予居民答复" (DOMAIN.md I1, seeds/000). The method file
``methods/immediate_53522.toml`` holds the steps and the five limits:

* steps: 接到问题 → 到达现场 → 研判为小/大/难问题 → 解决问题 / 形成解决方案 → 给予居民答复 →
  待评价 → 办结 (or 居民撤回, with feedback). A small problem not solved in time becomes a big
  one, a big one may be judged hard.
* limits and breaches: on site in 5 minutes (a breach escalates one rung, from the grid to
  the compound); small problems in 30 minutes (a breach fires ``upgrade``: the system treats
  it as big and the 5-hour clock starts); big problems in 5 hours and a plan for hard ones in
  2 days (a breach escalates one rung); a reply in 2 days (a breach notifies, as moving the
  case up would not answer the resident sooner). Each warns at 80% (amber).
  On site and reply run from receipt; the three handling limits from the classification on
  site, because only the person on site can tell a small problem from a big one.
* "2 days" are calendar days: 马上办 is an immediate-handling promise to residents, its other
  limits are counted round the clock, and a Friday-evening problem is answered by Sunday
  evening, not after the weekend or a holiday week. A city meaning working days changes
  ``duration = { days = 2 }`` to ``working_days = 2`` in its own copy.
* clock paused: in 小问题/大问题/难问题：等待居民 (the resident is not at home, or must provide
  information, recorded as ``data["waiting_for"]``, see :class:`ResidentWait`) the handling
  limit of that step and the reply limit stop; they run on with the time left when the
  resident is ready (``resume``). Waiting for the rating pauses nothing: all five limits have
  ended once the resident is answered.
* rating: ``rate`` closes on a satisfied or basically satisfied rating; an unsatisfied one is
  refused there, and ``reopen`` (same data) takes the case back to 接到问题 as a recorded event,
  with the 5-minute and 2-day clocks started afresh.

This module adds the two guards the method names besides the shared ones:
``waiting_reason_given`` (the clock is paused only for a stated reason) and ``plan_recorded``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from civicgrid.errors import Refusal
from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.method import Method

__all__ = [
    "ResidentWait",
    "plan_recorded",
    "register_guards",
    "register_methods",
    "waiting_reason_given",
]


class ResidentWait(enum.StrEnum):
    """What a paused 53522 case waits for from the resident (``data["waiting_for"]``)."""

    HOME = "home"
    INFORMATION = "information"

    @property
    def label_zh(self) -> str:
        """The Chinese label."""
        return "居民不在家，待入户" if self is ResidentWait.HOME else "待居民补充信息"

    @property
    def label_en(self) -> str:
        """The English label."""
        if self is ResidentWait.HOME:
            return "the resident to be at home"
        return "the resident to provide information"


_WAITS = {wait.value: wait for wait in ResidentWait}


def waiting_reason_given(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["waiting_for"]`` says what the resident is waited for; refuse otherwise.

    Pausing stops the 53522 clocks, so it needs a reason the ledger can show.
    """
    value = (data or {}).get("waiting_for")
    if isinstance(value, str) and value in _WAITS:
        return True
    allowed = ", ".join(_WAITS)
    raise Refusal(
        f"data.waiting_for must be one of {allowed}, got {value!r}",
        f"data.waiting_for 须为 {allowed} 之一（居民不在家、待补充信息），实际为 {value!r}",
    )


def plan_recorded(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["plan"]`` records the plan drawn up for a hard problem (解决方案)."""
    plan = (data or {}).get("plan")
    return isinstance(plan, str) and bool(plan.strip())


@hookimpl
def register_methods() -> list[Method]:
    """Provide 53522马上办, loaded from its method file."""
    return [builtin_method("immediate_53522")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guards for pausing and for the plan of a hard problem."""
    return [
        Guard(
            name="waiting_reason_given",
            check=waiting_reason_given,
            label_zh="暂停计时须说明等待居民的原因（data.waiting_for）",
            label_en="pausing the clock needs what the resident is waited for (data.waiting_for)",
        ),
        Guard(
            name="plan_recorded",
            check=plan_recorded,
            label_zh="须记录难问题的解决方案（data.plan）",
            label_en="the plan for the hard problem must be recorded (data.plan)",
        ),
    ]
