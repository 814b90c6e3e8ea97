"""Indicators from recorded events alone (I11), grouped, compared side by side (X), replayed."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

from civicgrid import (
    DEFAULT_TZ,
    LEVELS,
    Actor,
    Channel,
    Engine,
    Event,
    EventKind,
    InvalidData,
    ManualClock,
    Method,
    NaiveDatetimeError,
    Registry,
    ReplayError,
    Request,
    RequestDesk,
    Unit,
    UnitKind,
    UnitTree,
    UnknownMethod,
    UnknownUnit,
    compile_method,
    method_from_data,
)
from civicgrid.report.comparison import compare_methods, format_value
from civicgrid.report.indicators import (
    IndicatorBuilder,
    Timing,
    indicators_from_events,
    summarise,
)
from civicgrid.report.records import (
    NO_UNIT,
    DeadlineStanding,
    GroupKey,
    IndicatorDimension,
    IndicatorPeriod,
)
from civicgrid.workflows.compiled import CompiledMethod

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
OPERATOR = Actor(id="operator-1", roles={"operator"})
RESIDENT = Actor(id="resident-1", roles={"resident"})
WORKER = Actor(id="worker-1", roles={"worker"}, levels={key for key, _, _ in LEVELS})
GRID_ONLY = Actor(id="worker-2", roles={"worker"}, levels={"grid"})
CHANNELS = (
    Channel.HOTLINE_12345,
    Channel.GRID_PATROL,
    Channel.RESIDENT_REPORT,
    Channel.MINI_PROGRAM,
    Channel.LINK_CARD,
)
GRIDS = ("g0", "g1", "g2", "g3")

Chain = list[tuple[str, str, str, int]]
QUICK: Chain = [("received", "受理", "received", 30), ("handling", "办理", "handling", 300)]
"""A 马上办-like method: received in 30 minutes, handled in 5 hours."""
ORDERS: Chain = [
    ("ordered", "群众点单", "resident orders", 60),
    ("dispatched", "社区派单", "community dispatches", 120),
    ("accepted", "联户长接单", "household leader accepts", 300),
]
"""A 四单制-like method: 群众点单 → 社区派单 → 联户长接单 → 群众评单."""


def chain_method(key: str, label_zh: str, chain: Chain) -> Method:
    """A request method: the chain's steps in turn (``advance``), then rating, on the ladder.

    Each chain step has a deadline of its minutes that escalates on breach; ``rate`` closes,
    ``reopen`` goes back to the last chain step, ``withdraw`` ends the first with feedback.
    """
    keys = [step for step, *_ in chain] + ["rating"]
    steps: list[dict[str, Any]] = [
        {"key": s, "label_zh": zh, "label_en": en} for s, zh, en, _ in chain
    ]
    steps += [
        {"key": "rating", "label_zh": "群众评单", "label_en": "resident rates"},
        {"key": "closed", "label_zh": "办结", "label_en": "closed", "terminal": True},
        {
            "key": "withdrawn",
            "label_zh": "撤回（已反馈）",
            "label_en": "withdrawn",
            "terminal": True,
        },
    ]
    role = [
        {"key": k, "label_zh": zh, "label_en": k}
        for k, zh in (("operator", "话务员"), ("resident", "居民"), ("worker", "网格员"))
    ]
    transitions: list[dict[str, Any]] = [
        {
            "trigger": "advance",
            "from": [source],
            "to": target,
            "label_zh": "完成",
            "label_en": "advance",
            "roles": ["worker"],
            "guards": ["acts_at_case_level"],
        }
        for source, target in itertools.pairwise(keys)
    ]
    transitions += [
        {
            "trigger": "rate",
            "from": ["rating"],
            "to": "closed",
            "label_zh": "评价办结",
            "label_en": "rate",
            "roles": ["resident"],
            "guards": ["rating_closes"],
        },
        {
            "trigger": "reopen",
            "from": ["rating"],
            "to": keys[-2],
            "label_zh": "不满意重办",
            "label_en": "reopen",
            "roles": ["resident"],
            "guards": ["rating_reopens"],
        },
        {
            "trigger": "withdraw",
            "from": [keys[0]],
            "to": "withdrawn",
            "label_zh": "撤回",
            "label_en": "withdraw",
            "roles": ["resident"],
            "guards": ["feedback_given"],
        },
    ]
    deadlines = [
        {
            "key": f"{step}_limit",
            "label_zh": f"{zh}时限",
            "label_en": f"{en} limit",
            "start": [step],
            "stop": [keys[i + 1]],
            "duration": {"minutes": minutes},
            "warn_at": 0.8,
            "on_breach": "escalate",
        }
        for i, (step, zh, en, minutes) in enumerate(chain)
    ]
    return method_from_data(
        {
            "key": key,
            "label_zh": label_zh,
            "label_en": key,
            "initial": keys[0],
            "open_roles": ["operator"],
            "roles": role,
            "steps": steps,
            "transitions": transitions,
            "deadlines": deadlines,
            "escalation": [{"key": k, "label_zh": zh, "label_en": en} for k, zh, en in LEVELS],
        }
    )


def compiled(registry: Registry, method: Method) -> CompiledMethod:
    """Compile ``method`` with the built-in guards."""
    return compile_method(method, registry.guards)


def requests(count: int = 200) -> list[Request]:
    """``count`` requests, one every 7 minutes from Monday 09:00, on four grids and five channels.

    Every 50th has no unit yet.
    """
    return [
        Request(
            id=f"r{i:03d}",
            channel=CHANNELS[i % 5],
            text="楼道灯坏了",
            submitted_at=MONDAY + i * 7 * MINUTE,
            unit=None if i % 50 == 0 else GRIDS[i % 4],
        )
        for i in range(count)
    ]


def walk(engine: Engine, desk: RequestDesk, items: list[Request]) -> None:
    """Run each request to its end by a fixed rule of its index.

    Every tenth (i % 10 == 9) is withdrawn; i % 20 == 7 is left untouched; the rest go step by
    step, 10 minutes a step, except that i % 4 == 3 spends 6 hours in the last step (one breach
    of its 5-hour limit, one rung up), and i % 8 == 0 is rated unsatisfied once and redone.
    """
    last = {"quick": "handling", "orders": "accepted"}
    for i, request in enumerate(items):
        case = desk.receive(request, actor=OPERATOR)
        at = request.submitted_at
        if i % 10 == 9:
            engine.fire(case, "withdraw", RESIDENT, at=at + 5 * MINUTE, data={"feedback": "已解决"})
            continue
        if i % 20 == 7:
            continue
        slow = i % 4 == 3
        while case.step != "rating":
            at += 6 * HOUR if slow and case.step == last[case.method_key] else 10 * MINUTE
            engine.fire(case, "advance", WORKER, at=at)
        if i % 8 == 0:
            at += HOUR
            engine.fire(case, "reopen", RESIDENT, at=at, data={"rating": "unsatisfied"})
            at += 10 * MINUTE
            engine.fire(case, "advance", WORKER, at=at)
        verdict = "basically_satisfied" if i % 3 == 0 else "satisfied"
        engine.fire(case, "rate", RESIDENT, at=at + HOUR, data={"rating": verdict})


END = MONDAY + timedelta(days=3)


def run(registry: Registry, method: Method) -> tuple[Engine, IndicatorBuilder, RequestDesk]:
    """Feed the 200 requests to ``method`` with a live builder keeping every record, and tick."""
    engine = Engine([compiled(registry, method)], clock=ManualClock(MONDAY))
    builder = IndicatorBuilder.for_engine(engine, retire_closed=False)
    engine.subscribe(builder)
    desk = RequestDesk(engine, method=method.key)
    walk(engine, desk, requests())
    engine.tick(END)
    return engine, builder, desk


def tree() -> UnitTree:
    """Subdistrict sd → community cm → compounds c1 (g0, g1) and c2 (g2, g3)."""
    units = [
        Unit(id="sd", kind=UnitKind.SUBDISTRICT, name_zh="街道", parent=None),
        Unit(id="cm", kind=UnitKind.COMMUNITY, name_zh="社区", parent="sd"),
        Unit(id="c1", kind=UnitKind.COMPOUND, name_zh="一小区", parent="cm"),
        Unit(id="c2", kind=UnitKind.COMPOUND, name_zh="二小区", parent="cm"),
    ]
    units += [
        Unit(id=g, kind=UnitKind.GRID, name_zh=g, parent="c1" if g in {"g0", "g1"} else "c2")
        for g in GRIDS
    ]
    return UnitTree(units)


def display_width(text: str) -> int:
    """The width of ``text`` in a terminal: Chinese characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def all_events(desk: RequestDesk) -> list[Event]:
    """Every event of every case of the desk, case by case."""
    return [event for case in desk for event in case.events]


# --------------------------------------------------------------------------- the figures

WALKED = [i for i in range(200) if i % 10 != 9 and i % 20 != 7]
SLOW = [i for i in WALKED if i % 4 == 3]
REOPENED = [i for i in WALKED if i % 8 == 0]


@pytest.mark.parametrize(("key", "chain"), [("quick", QUICK), ("orders", ORDERS)])
def test_the_figures_of_200_requests_follow_from_their_events(
    registry: Registry, key: str, chain: Chain
) -> None:
    """Intake, 办结率, outcomes, levels, ratings, reopens and overdue count what happened."""
    _, builder, _ = run(registry, chain_method(key, key, chain))
    figures = builder.indicators(as_of=END)
    assert figures.received == 200
    assert figures.by_channel == {c.value: 40 for c in CHANNELS}
    assert (figures.closed, figures.in_progress) == (190, 10)
    assert figures.completion_rate == 0.95
    assert figures.outcomes == {"closed": 170, "withdrawn": 20}
    assert figures.closed_at_level == {"grid": 190 - len(SLOW), "compound": len(SLOW)}
    assert figures.share_closed_at_level["compound"] == len(SLOW) / 190
    basically = sum(1 for i in WALKED if i % 3 == 0)
    assert figures.ratings == {
        "satisfied": 170 - basically,
        "basically_satisfied": basically,
        "unsatisfied": len(REOPENED),
    }
    assert figures.satisfaction == 170 / (170 + len(REOPENED))
    assert (figures.rated, figures.reopened) == (170, len(REOPENED))
    assert figures.reopen_rate == len(REOPENED) / 170
    assert [o.case_id for o in figures.overdue] == [f"r{i:03d}" for i in range(7, 200, 20)]
    assert figures.without_deadline == ()
    first, last = f"{chain[0][0]}_limit", f"{chain[-1][0]}_limit"
    assert figures.deadlines[first].met == 190
    assert figures.deadlines[first].breached == 10
    assert figures.deadlines[first].on_time_rate == 0.95
    assert figures.deadlines[last].met == len(WALKED) + len(REOPENED) - len(SLOW)
    assert figures.deadlines[last].breached == len(SLOW)
    assert figures.deadlines[last].pending == 0


def test_the_overdue_list_says_how_long_and_the_oldest_comes_first(registry: Registry) -> None:
    """An untouched request is overdue from its first deadline's due instant, longest first."""
    _, builder, _ = run(registry, chain_method("quick", "马上办", QUICK))
    overdue = builder.indicators(as_of=END).overdue
    oldest = overdue[0]
    assert oldest.case_id == "r007"
    assert oldest.overdue_by == END - (MONDAY + 49 * MINUTE + 30 * MINUTE)
    assert dict(oldest.deadlines) == {"received_limit": oldest.overdue_by}
    assert (oldest.step, oldest.level, oldest.unit) == ("received", "compound", "g3")
    assert [o.overdue_by for o in overdue] == sorted((o.overdue_by for o in overdue), reverse=True)


def test_time_to_each_step_uses_nearest_rank_percentiles(registry: Registry) -> None:
    """Median and p90 of the time to each step are durations some case actually took."""
    _, builder, _ = run(registry, chain_method("quick", "马上办", QUICK))
    figures = builder.indicators(as_of=END)
    handling = figures.time_to_step["handling"]
    assert (handling.count, handling.median, handling.p90) == (170, 10 * MINUTE, 10 * MINUTE)
    rating = figures.time_to_step["rating"]
    assert rating.median == 20 * MINUTE
    assert rating.p90 == 6 * HOUR + 10 * MINUTE  # the slow quarter sets the 90th percentile
    assert "received" not in figures.time_to_step  # the initial step is reached at opening
    assert figures.time_to_close is not None
    assert figures.time_to_close.count == 190


def test_nearest_rank_takes_the_lower_middle_and_needs_one_value() -> None:
    """Timing.of: 1..10 minutes give 5 and 9; one value gives itself; none gives None."""
    ten = Timing.of(i * MINUTE for i in range(10, 0, -1))
    assert ten == Timing(count=10, median=5 * MINUTE, p90=9 * MINUTE)
    assert Timing.of([MINUTE]) == Timing(count=1, median=MINUTE, p90=MINUTE)
    assert Timing.of([]) is None


# --------------------------------------------------------------------------- groups


def test_per_unit_figures_roll_up_the_tree(registry: Registry) -> None:
    """A compound counts its grids' requests, the community both compounds'; unplaced apart."""
    _, builder, _ = run(registry, chain_method("quick", "马上办", QUICK))
    by_unit = builder.grouped([IndicatorDimension.UNIT], tree=tree(), as_of=END)
    received = {key.unit: figures.received for key, figures in by_unit.items()}
    assert received == {
        "g0": 48,
        "g1": 50,
        "g2": 48,
        "g3": 50,
        "c1": 98,
        "c2": 98,
        "cm": 196,
        "sd": 196,
        NO_UNIT: 4,
    }
    assert by_unit[GroupKey(unit="c2")].overdue == by_unit[GroupKey(unit="g3")].overdue


def test_without_a_tree_each_case_counts_for_its_own_unit_only(registry: Registry) -> None:
    """No tree: groups are the units named on the opening events."""
    _, builder, _ = run(registry, chain_method("quick", "马上办", QUICK))
    by_unit = builder.grouped([IndicatorDimension.UNIT])
    assert {key.unit for key in by_unit} == {*GRIDS, NO_UNIT}


def test_periods_are_days_weeks_and_months_of_shanghai_time(registry: Registry) -> None:
    """Requests from Monday 09:00 every 7 minutes: 129 on Monday, 71 on Tuesday, one week."""
    _, builder, _ = run(registry, chain_method("quick", "马上办", QUICK))
    days = builder.grouped([IndicatorDimension.PERIOD], period=IndicatorPeriod.DAY)
    assert {key.period: f.received for key, f in days.items()} == {
        MONDAY.date(): 129,
        MONDAY.date() + timedelta(days=1): 71,
    }
    weeks = builder.grouped(["period"], period=IndicatorPeriod.WEEK)  # type: ignore[list-item]
    assert list(weeks) == [GroupKey(period=MONDAY.date())]
    months = builder.grouped([IndicatorDimension.PERIOD, IndicatorDimension.METHOD])
    assert list(months) == [GroupKey(method="quick", period=MONDAY.date().replace(day=1))]


def test_a_month_ends_at_midnight_in_shanghai_not_in_utc(registry: Registry) -> None:
    """00:30 on 1 December in Shanghai is still 30 November in UTC, and counts for December."""
    method = chain_method("quick", "马上办", QUICK)
    engine = Engine([compiled(registry, method)], clock=ManualClock(MONDAY))
    builder = IndicatorBuilder.for_engine(engine)
    engine.subscribe(builder)
    late_november = datetime(2026, 11, 30, 23, 30, tzinfo=DEFAULT_TZ)
    early_december = datetime(2026, 12, 1, 0, 30, tzinfo=DEFAULT_TZ)
    for n, at in enumerate((late_november, early_december)):
        engine.open("quick", actor=OPERATOR, at=at, case_id=f"m{n}")
    months = builder.grouped([IndicatorDimension.PERIOD], period=IndicatorPeriod.MONTH)
    assert sorted(key.period.month for key in months if key.period) == [11, 12]


def test_units_methods_and_periods_combine(registry: Registry) -> None:
    """Grouping by all three gives one group per (unit or unit above, method, day)."""
    _, builder, _ = run(registry, chain_method("quick", "马上办", QUICK))
    groups = builder.grouped(list(IndicatorDimension), period=IndicatorPeriod.DAY, tree=tree())
    monday_cm = groups[GroupKey(unit="cm", method="quick", period=MONDAY.date())]
    tuesday_cm = groups[GroupKey(unit="cm", method="quick", period=MONDAY.date() + timedelta(1))]
    assert monday_cm.received + tuesday_cm.received == 196
    assert len(groups) == 9 * 2


# --------------------------------------------------------------------------- side by side


def test_two_methods_over_the_same_200_requests_give_one_table(registry: Registry) -> None:
    """The quick and the four-orders method side by side: same intake, different speed (X)."""
    quick = chain_method("quick", "马上办", QUICK)
    orders = chain_method("orders", "四单制", ORDERS)
    columns = {m.key: run(registry, m)[1].indicators(as_of=END) for m in (quick, orders)}
    table = compare_methods(columns, methods=[quick, orders])
    assert table.columns == ("quick", "orders")
    for key in ("received", "closed", "completion_rate", "satisfaction", "reopen_rate"):
        assert table.row(key).values[0] == table.row(key).values[1], key
    assert table.row("completion_rate").values == (0.95, 0.95)
    assert table.row("closed_at_level.grid").values == ((190 - len(SLOW)) / 190,) * 2
    fast, slow = table.row("time_to_close.median").values
    assert isinstance(fast, timedelta)
    assert isinstance(slow, timedelta)
    assert fast < slow
    assert table.row("time_to_step.handling.median").values == (10 * MINUTE, None)
    assert table.row("on_time.dispatched_limit").values == (None, 1.0)
    assert table.column("orders")["channel.hotline_12345"] == 40
    text = table.to_text()
    assert "办结率 / completion rate" in text
    assert "按期率：联户长接单时限 / on time: household leader accepts limit" in text
    assert "马上办 quick" in text
    assert "95.0%" in text


def test_the_text_table_aligns_chinese_and_latin_columns(registry: Registry) -> None:
    """Every line of the text table has the same display width before trailing spaces."""
    quick = chain_method("quick", "马上办", QUICK)
    table = compare_methods({"quick": run(registry, quick)[1].indicators()}, methods=[quick])
    lines = str(table).splitlines()
    assert lines[0].startswith("指标 / indicator")
    assert set(lines[1]) == {"-", " "}
    assert {display_width(line) for line in lines} == {display_width(lines[1])}
    assert format_value(timedelta(days=1, hours=2, minutes=3, seconds=4)) == "1d 2:03:04"
    assert format_value(25 * MINUTE) == "0:25:00"
    assert format_value(None) == "—"


def test_a_comparison_needs_a_column_and_names_its_rows() -> None:
    """No column is refused naming the field; an unknown row or column raises KeyError."""
    with pytest.raises(InvalidData, match="columns"):
        compare_methods({})
    table = compare_methods({"empty": summarise([], as_of=None)})
    assert table.row("received").values == (0,)
    assert table.row("completion_rate").values == (None,)
    with pytest.raises(KeyError):
        table.row("bogus")
    with pytest.raises(KeyError):
        table.column("bogus")


# --------------------------------------------------------------------------- live = replay


def test_live_figures_equal_those_from_stored_events_and_from_replayed_cases(
    registry: Registry,
) -> None:
    """The observer, a fold of all events, and a fold of every replayed case agree."""
    method = chain_method("orders", "四单制", ORDERS)
    _, live, desk = run(registry, method)
    stored = IndicatorBuilder([compiled(registry, method)])
    stored.extend(all_events(desk))
    replayer = Engine([compiled(registry, method)], clock=ManualClock(MONDAY))
    replayed = IndicatorBuilder.for_engine(replayer)
    for case in desk:
        replayed.extend(replayer.replay(case.events).events)
    open_cases = {key: record for key, record in live.cases.items() if not record.is_final}
    assert len(open_cases) < len(live.cases)  # some closed: retired by the others
    for builder in (stored, replayed):
        assert builder.cases == open_cases
        assert builder.retired == len(live.cases) - len(open_cases)
        assert builder.indicators(as_of=END) == live.indicators(as_of=END)
        assert builder.grouped(list(IndicatorDimension), tree=tree(), as_of=END) == live.grouped(
            list(IndicatorDimension), tree=tree(), as_of=END
        )
    assert indicators_from_events(all_events(desk), [compiled(registry, method)]) == (
        live.indicators()
    )
    for case in desk:
        assert live.cases[case.id].deadlines == case.deadlines
        assert live.cases[case.id].level == case.level
        assert live.cases[case.id].step == case.step


# --------------------------------------------------------------------------- deadlines


def one(registry: Registry) -> tuple[Engine, IndicatorBuilder, RequestDesk, Method]:
    """An engine of the quick method with a live builder, no request received yet."""
    method = chain_method("quick", "马上办", QUICK)
    engine = Engine([compiled(registry, method)], clock=ManualClock(MONDAY))
    builder = IndicatorBuilder.for_engine(engine)
    engine.subscribe(builder)
    return engine, builder, RequestDesk(engine, method="quick"), method


def test_a_deadline_stopped_exactly_at_its_due_instant_is_met(registry: Registry) -> None:
    """Accepted at 30:00 the receiving limit is met; at 30:01 it is breached."""
    engine, builder, desk, _ = one(registry)
    on_time, late = (desk.receive(r, actor=OPERATOR) for r in requests(2))
    engine.fire(on_time, "advance", WORKER, at=MONDAY + 30 * MINUTE)
    late_at = late.opened_at + 30 * MINUTE + timedelta(seconds=1)
    engine.fire(late, "advance", WORKER, at=late_at)
    tally = builder.indicators().deadlines["received_limit"]
    assert (tally.met, tally.breached) == (1, 1)
    assert builder.cases["r001"].standings(late_at)["received_limit"] is DeadlineStanding.LATE
    assert builder.cases["r000"].standings(late_at)["received_limit"] is DeadlineStanding.MET


def test_a_deadline_past_due_counts_as_breached_before_any_tick(registry: Registry) -> None:
    """Without a tick, a running deadline past due is overdue and breached; ahead, pending."""
    engine, builder, desk, _ = one(registry)
    desk.receive(requests(1)[0], actor=OPERATOR)
    case = desk.receive(requests(2)[1], actor=OPERATOR)
    assert builder.indicators().deadlines["received_limit"].pending == 2
    as_of = MONDAY + 31 * MINUTE
    figures = builder.indicators(as_of=as_of)
    assert figures.deadlines["received_limit"].breached == 1
    assert figures.deadlines["received_limit"].pending == 1
    assert [o.case_id for o in figures.overdue] == ["r000"]
    assert figures.overdue[0].overdue_by == MINUTE
    standings = builder.cases[case.id].standings(as_of)
    assert standings == {"received_limit": DeadlineStanding.ON_TRACK}
    warned = builder.cases[case.id].standings(case.opened_at + 25 * MINUTE)
    assert warned == {"received_limit": DeadlineStanding.WARNED}
    engine.tick(as_of)
    ticked = builder.indicators(as_of=as_of)
    assert ticked.deadlines == figures.deadlines  # the tick recorded what was certain
    assert ticked.overdue[0].deadlines == figures.overdue[0].deadlines
    assert (figures.overdue[0].level, ticked.overdue[0].level) == ("grid", "compound")


def test_an_open_case_without_a_running_deadline_is_listed(registry: Registry) -> None:
    """A case left awaiting the rating, which has no deadline, is not answered (事事有回应)."""
    engine, builder, desk, _ = one(registry)
    case = desk.receive(requests(1)[0], actor=OPERATOR)
    engine.fire(case, "advance", WORKER, at=MONDAY + MINUTE)
    engine.fire(case, "advance", WORKER, at=MONDAY + 2 * MINUTE)
    figures = builder.indicators()
    assert figures.without_deadline == ("r000",)
    assert figures.overdue == ()
    assert not builder.cases["r000"].has_visible_deadline(MONDAY + HOUR)


def wish(n: int) -> Request:
    """A micro-wish received on Monday morning."""
    return Request(
        id=f"w{n:03d}", channel=Channel.MICRO_WISH, text="微心愿：一套课外书", submitted_at=MONDAY
    )


def test_i2_micro_wishes_485_of_500_completed_make_97_percent(registry: Registry) -> None:
    """DOMAIN.md I2: 500 micro-wishes collected, 485 completed — a completion rate of 97%."""
    engine, builder, desk, _ = one(registry)
    for n in range(500):
        case = desk.receive(wish(n), actor=OPERATOR)
        if n < 485:
            engine.fire(case, "advance", WORKER, at=MONDAY + MINUTE)
            engine.fire(case, "advance", WORKER, at=MONDAY + 2 * MINUTE)
            engine.fire(case, "rate", RESIDENT, at=MONDAY + HOUR, data={"rating": "satisfied"})
    figures = builder.indicators()
    assert (figures.received, figures.closed) == (500, 485)
    assert figures.completion_rate == 0.97
    assert figures.by_channel == {"micro_wish": 500}
    table = compare_methods({"micro_wishes": figures})
    assert "97.0%" in table.to_text()


def test_i11_satisfaction_of_95_percent_counts_basically_satisfied(registry: Registry) -> None:
    """DOMAIN.md I11's 95% satisfaction: 19 good ratings of 20, 'basically satisfied' among them."""
    engine, builder, desk, _ = one(registry)
    for n in range(20):
        case = desk.receive(wish(n), actor=OPERATOR)
        engine.fire(case, "advance", WORKER, at=MONDAY + MINUTE)
        engine.fire(case, "advance", WORKER, at=MONDAY + 2 * MINUTE)
        verdict = ("unsatisfied", "basically_satisfied")[n > 0] if n < 5 else "satisfied"
        trigger = "reopen" if verdict == "unsatisfied" else "rate"
        engine.fire(case, trigger, RESIDENT, at=MONDAY + HOUR, data={"rating": verdict})
    figures = builder.indicators()
    assert figures.satisfaction == 0.95
    assert figures.ratings == {"satisfied": 15, "basically_satisfied": 4, "unsatisfied": 1}
    assert (figures.rated, figures.reopened, figures.reopen_rate) == (20, 1, 0.05)
    assert figures.in_progress == 1


def test_labels_exist_in_both_languages() -> None:
    """Standings, periods and dimensions carry Chinese and English labels."""
    for kind in (DeadlineStanding, IndicatorPeriod, IndicatorDimension):
        for member in kind:
            assert member.label_zh
            assert member.label_en
    assert DeadlineStanding.OVERDUE.label_zh == "超期"


# --------------------------------------------------------------------------- refusals


def events_of(registry: Registry) -> tuple[list[Event], list[CompiledMethod]]:
    """The events of one request handled late (a breach recorded), and the method."""
    engine, _, desk, method = one(registry)
    case = desk.receive(requests(2)[1], actor=OPERATOR)
    engine.fire(case, "advance", WORKER, at=MONDAY + HOUR)
    return list(case.events), [compiled(registry, method)]


def test_events_that_do_not_fold_are_refused_and_change_nothing(registry: Registry) -> None:
    """Out of order, before opening, opened twice or missing a breach: ReplayError, unchanged."""
    events, methods = events_of(registry)
    assert [e.kind for e in events] == [
        EventKind.OPENED,
        EventKind.WARNED,
        EventKind.BREACHED,
        EventKind.TRANSITION,
    ]
    builder = IndicatorBuilder(methods)
    with pytest.raises(ReplayError, match="before its opening event"):
        builder.add(events[1])
    builder.add(events[0])
    with pytest.raises(ReplayError, match="expected event 2"):
        builder.add(events[2])
    with pytest.raises(ReplayError, match="opened twice"):
        builder.add(events[0])
    builder.add(events[1])
    before = builder.indicators(as_of=events[3].at)
    with pytest.raises(ReplayError, match=r"alarm due at .* is missing"):
        builder.add(events[3]._replace(seq=3))
    assert builder.cases["r001"].seq == 2
    assert builder.latest == events[1].at
    assert builder.indicators(as_of=events[3].at) == before


def test_alarms_and_transitions_must_match_the_method(registry: Registry) -> None:
    """A breach at the wrong instant or a transition the method lacks is refused."""
    events, methods = events_of(registry)
    builder = IndicatorBuilder(methods)
    builder.extend(events[:2])
    with pytest.raises(ReplayError, match="no alarm due"):
        builder.add(events[2]._replace(at=events[2].at + MINUTE))
    builder.add(events[2])
    with pytest.raises(ReplayError, match="no transition 'rate'"):
        builder.add(events[3]._replace(trigger="rate"))
    with pytest.raises(ReplayError, match="earlier than"):
        builder.add(events[3]._replace(at=MONDAY))


def test_an_unknown_method_or_opening_elsewhere_is_refused(registry: Registry) -> None:
    """A method the builder lacks raises UnknownMethod; a wrong first step ReplayError."""
    events, methods = events_of(registry)
    with pytest.raises(UnknownMethod, match="quick"):
        IndicatorBuilder([]).add(events[0])
    with pytest.raises(ReplayError, match="opens in 'handling'"):
        IndicatorBuilder(methods).add(events[0]._replace(target="handling"))
    with pytest.raises(ReplayError, match="level 'nowhere'"):
        IndicatorBuilder(methods).add(events[0]._replace(level="nowhere"))


def test_as_of_must_be_aware_and_not_before_the_last_event(registry: Registry) -> None:
    """as_of before the latest event, or naive, is refused naming the field."""
    events, methods = events_of(registry)
    builder = IndicatorBuilder(methods)
    builder.extend(events)
    with pytest.raises(InvalidData, match="as_of") as caught:
        builder.indicators(as_of=MONDAY)
    assert caught.value.problems[0].path == "as_of"
    with pytest.raises(NaiveDatetimeError, match="as_of"):
        builder.grouped([IndicatorDimension.UNIT], as_of=datetime(2026, 12, 1))  # noqa: DTZ001
    assert IndicatorBuilder(methods).indicators().as_of is None


def test_grouping_refuses_unknown_dimensions_and_units(registry: Registry) -> None:
    """An unknown dimension is named by its position; a unit not in the tree raises."""
    events, methods = events_of(registry)
    builder = IndicatorBuilder(methods)
    builder.extend(events)
    with pytest.raises(InvalidData, match=r"by\[1\]"):
        builder.grouped(["unit", "street"])  # type: ignore[list-item]
    lonely = UnitTree([Unit(id="sd", kind=UnitKind.SUBDISTRICT, name_zh="街道", parent=None)])
    with pytest.raises(UnknownUnit, match="g1"):
        builder.grouped([IndicatorDimension.UNIT], tree=lonely)


def test_summarise_needs_an_instant_for_open_cases(registry: Registry) -> None:
    """Summarising open records without as_of is refused; closed ones need none."""
    events, methods = events_of(registry)
    builder = IndicatorBuilder(methods)
    builder.extend(events)
    with pytest.raises(InvalidData, match="as_of"):
        summarise(builder.cases.values(), as_of=None)


OTHER_KINDS = [k for k in EventKind if k not in {"opened", "transition", "warned", "breached"}]


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_other_events_change_no_figure_but_keep_their_place(
    registry: Registry, kind: EventKind
) -> None:
    """A reminder-like event in its place changes nothing; one skipping an alarm is refused."""
    events, methods = events_of(registry)
    note = events[1]._replace(kind=kind, trigger="lease", at=events[0].at + MINUTE, seq=2)
    shifted = [events[0], note, *(e._replace(seq=e.seq + 1) for e in events[1:])]
    builder = IndicatorBuilder(methods)
    builder.extend(shifted)
    plain = IndicatorBuilder(methods)
    plain.extend(events)
    assert builder.indicators() == plain.indicators()
    late = events[1]._replace(kind=kind, trigger="lease", at=events[2].at + MINUTE)
    with pytest.raises(ReplayError, match="missing"):
        IndicatorBuilder(methods).extend([events[0], late])
    with pytest.raises(ReplayError, match="cannot move the case"):
        IndicatorBuilder(methods).extend([events[0], note._replace(target="handling")])


def test_ratings_in_data_that_are_not_verdicts_are_not_counted(registry: Registry) -> None:
    """A rating field that is not one of the three verdicts (or not text) counts nothing."""
    events, methods = events_of(registry)
    data: Mapping[str, Any] = {"rating": ["satisfied"]}
    builder = IndicatorBuilder(methods)
    builder.extend([*events[:3], events[3]._replace(data=data)])
    assert builder.indicators().rated == 0
