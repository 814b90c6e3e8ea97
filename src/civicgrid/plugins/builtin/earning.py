"""Built-in plugin ``civicgrid.earning``: a default points rule set (DOMAIN.md P1, P8).

Chenghua issued a points management trial measure (积分管理试行办法, seeds/003) and runs
city and district points side by side (市区两级"双积分、双兑换"), but the documents publish
no figures. **Every number below is a library default**, chosen only so the rules run out of
the box; a city blocks this plugin (``blocked=["civicgrid.earning"]``) and registers its own
rules through ``register_earning_rules``. Every rule pays both currencies (P1); caps are per
earner, per rule, per day and per calendar month (quarter for hours served), Asia/Shanghai.

========================  ===========================  ===========  ==========  ==============
rule                      activity                     city/dist.   a day       a period
========================  ===========================  ===========  ==========  ==============
``patrol``                named ``patrol``             2 / 2        2 / 2       40 / 40 month
``mediation``             named ``mediation``          5 / 5        10 / 10     50 / 50 month
``micro_wish_fulfilled``  ``micro_wishes`` → closed    5 / 5        15 / 15     60 / 60 month
``meeting_attended``      named ``meeting_attended``   1 / 1        2 / 2       10 / 10 month
``hours_served``          named ``hours_served``       1 / 1 an h   8 / 8       200 / 200 qtr.
``request_closed``        ``immediate_53522`` → closed 2 / 2        10 / 10     100 / 100 month
========================  ===========================  ===========  ==========  ==============

Who earns: the actor for named activities; the case's assignee for the two method rules (the
volunteer who claimed the wish, the worker the request was assigned to), paid when the
resident's rating closes the case, so points follow confirmed work. Patrols and hours served
are for the grid's own people (grid workers, micro-grid workers, household leaders, building
leaders, volunteers); mediation for those plus red stewards; meetings and micro-wishes are
open to anyone. ``hours_served`` takes its quantity in minutes and pays per whole hour.
"""

from __future__ import annotations

from civicgrid.domain.earning import CapPeriod, Earner, EarningRule
from civicgrid.plugins.markers import hookimpl

__all__ = ["DEFAULT_EARNING_RULES", "GRID_PEOPLE", "register_earning_rules"]

GRID_PEOPLE = frozenset(
    {"grid_worker", "micro_grid_worker", "household_leader", "building_leader", "volunteer"}
)
"""The roles the patrol and hours-served defaults pay."""


def _both(city: int, district: int) -> dict[str, int]:
    return {"city_points": city, "district_points": district}


DEFAULT_EARNING_RULES: tuple[EarningRule, ...] = (
    EarningRule(
        key="patrol",
        label_zh="网格巡查",
        label_en="grid patrol",
        activity="patrol",
        amounts=_both(2, 2),
        roles=GRID_PEOPLE,
        day_caps=_both(2, 2),
        period_caps=_both(40, 40),
    ),
    EarningRule(
        key="mediation",
        label_zh="矛盾调解",
        label_en="mediation",
        activity="mediation",
        amounts=_both(5, 5),
        roles=GRID_PEOPLE | {"red_steward"},
        day_caps=_both(10, 10),
        period_caps=_both(50, 50),
    ),
    EarningRule(
        key="micro_wish_fulfilled",
        label_zh="微心愿达成",
        label_en="micro-wish fulfilled",
        method="micro_wishes",
        target="closed",
        earner=Earner.ASSIGNEE,
        amounts=_both(5, 5),
        day_caps=_both(15, 15),
        period_caps=_both(60, 60),
    ),
    EarningRule(
        key="meeting_attended",
        label_zh="参加议事会议",
        label_en="meeting attended",
        activity="meeting_attended",
        amounts=_both(1, 1),
        day_caps=_both(2, 2),
        period_caps=_both(10, 10),
    ),
    EarningRule(
        key="hours_served",
        label_zh="志愿服务时长",
        label_en="hours served",
        activity="hours_served",
        amounts=_both(1, 1),
        per=60,
        roles=GRID_PEOPLE,
        day_caps=_both(8, 8),
        period_caps=_both(200, 200),
        period=CapPeriod.QUARTER,
    ),
    EarningRule(
        key="request_closed",
        label_zh="诉求办结",
        label_en="request closed",
        method="immediate_53522",
        target="closed",
        earner=Earner.ASSIGNEE,
        amounts=_both(2, 2),
        day_caps=_both(10, 10),
        period_caps=_both(100, 100),
    ),
)
"""The library's default rules; every figure is a default, not from the documents."""


@hookimpl
def register_earning_rules() -> list[EarningRule]:
    """Provide the default rule set."""
    return list(DEFAULT_EARNING_RULES)
