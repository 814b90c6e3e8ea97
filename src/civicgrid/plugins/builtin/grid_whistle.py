"""Built-in plugin ``civicgrid.grid_whistle``: I5 "网格呼叫—部门报到—街道处置" (吹哨报到).

Chenghua's closed loop (DOMAIN.md I5, seeds/003): the grid whistles for the departments it
needs, the departments report in, the subdistrict handles. Who was called and who reported in
is data on the events, never a figure typed in later:

* ``departments_called``: the call names the departments summoned, ``data["departments"]``,
  a non-empty list of distinct names.
* ``departments_reported``: the roll-call names those that reported in, in the same form, each
  one among the departments of the latest call. Who was called and did not report in is
  :func:`called_departments` minus :func:`reported_departments`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from civicgrid.errors import Refusal
from civicgrid.plugins.builtin import builtin_method
from civicgrid.plugins.markers import hookimpl
from civicgrid.workflows.actor import Actor
from civicgrid.workflows.case import Case
from civicgrid.workflows.event import EventKind
from civicgrid.workflows.guards import Guard
from civicgrid.workflows.method import Method

__all__ = [
    "called_departments",
    "departments_called",
    "departments_named",
    "departments_reported",
    "register_guards",
    "register_methods",
    "reported_departments",
]


def departments_named(data: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Return ``data["departments"]`` as names, or refuse saying what is wrong with it.

    The value must be a non-empty list of distinct, non-blank names (``["市场监管所",
    "城管执法中队"]``); surrounding blanks are dropped.
    """
    value = (data or {}).get("departments")
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise Refusal(
            f"data.departments must be a non-empty list of department names, got {value!r}",
            f"data.departments 须为部门名称列表（至少一个），实际为 {value!r}",
        )
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise Refusal(
                f"data.departments holds {item!r}, not a department name",
                f"data.departments 中的 {item!r} 不是部门名称",
            )
        name = item.strip()
        if name in names:
            raise Refusal(
                f"data.departments names {name!r} twice",
                f"data.departments 重复列出 {name!r}",
            )
        names.append(name)
    return tuple(names)


def _latest_call(case: Case) -> int | None:
    """Return the index of the case's latest ``call`` event, ``None`` if it was never called."""
    events = case.events
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.kind is EventKind.TRANSITION and event.trigger == "call":
            return index
    return None


def called_departments(case: Case) -> tuple[str, ...]:
    """Return the departments the case's latest call summoned (none if never called)."""
    index = _latest_call(case)
    return () if index is None else departments_named(case.events[index].data)


def reported_departments(case: Case) -> tuple[str, ...]:
    """Return the departments recorded as reporting in since the case's latest call."""
    index = _latest_call(case)
    if index is None:
        return ()
    return tuple(
        name
        for event in case.events[index + 1 :]
        if event.kind is EventKind.TRANSITION and event.trigger == "report_in"
        for name in departments_named(event.data)
    )


def departments_called(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when the call names the departments it summons (``data["departments"]``)."""
    departments_named(data)
    return True


def departments_reported(case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["departments"]`` records who reported in, each one of those called."""
    reported = departments_named(data)
    called = called_departments(case)
    strangers = [name for name in reported if name not in called]
    if strangers:
        listed_en, listed_zh = ", ".join(called) or "none", "、".join(called) or "无"
        raise Refusal(
            f"{', '.join(strangers)} reported in but was not called; called: {listed_en}",
            f"{'、'.join(strangers)} 未被呼叫却登记报到；本次呼叫的部门：{listed_zh}",
        )
    return True


@hookimpl
def register_methods() -> list[Method]:
    """Provide the grid-whistle method, loaded from its method file."""
    return [builtin_method("grid_whistle")]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guards that record who was called and who reported in."""
    return [
        Guard(
            name="departments_called",
            check=departments_called,
            label_zh="呼叫须列明被呼叫的部门（data.departments）",
            label_en="the call must name the departments it summons (data.departments)",
        ),
        Guard(
            name="departments_reported",
            check=departments_reported,
            label_zh="须登记已报到的部门，且均为被呼叫的部门（data.departments）",
            label_en="the departments that reported in must be recorded, each one called "
            "(data.departments)",
        ),
    ]
