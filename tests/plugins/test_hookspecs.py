"""The hook specs are the contract: documented, typed, and all honoured by the registry.

``ContractPlugin`` implements every hook, as a city plugin would; building a registry with it
must reflect each implementation, and a test fails if a new hook is added without joining it.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import attrs
import cattrs
import pytest

from civicgrid import (
    Actor,
    CalendarBase,
    Case,
    ChainLevel,
    Channel,
    Dispatch,
    Engine,
    Event,
    EventKind,
    Finding,
    GridCheck,
    GridContext,
    GridScheme,
    Guard,
    GuardRefused,
    ManualClock,
    MeetingSchedule,
    Method,
    OrgKind,
    PartyChain,
    ProposerKind,
    Registry,
    Request,
    Severity,
    Topic,
    Unit,
    UnitKind,
    UnitTree,
    build_registry,
    isolated_plugin_manager,
    make_converter,
    method_from_data,
)
from civicgrid.domain.admissibility import (
    Handling,
    HandlingClass,
    TopicOutsideRules,
    TopicRule,
    TopicRules,
)
from civicgrid.domain.earning import EarningRule
from civicgrid.domain.ledger import Ledger
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.plugins import hookspecs
from civicgrid.plugins.markers import PROJECT, hookimpl
from civicgrid.workflows.meeting_days import THURSDAY_TALKS
from civicgrid.workflows.points import PointsDesk

SPEC_MARK = f"{PROJECT}_spec"
IMPL_MARK = f"{PROJECT}_impl"


def spec_functions() -> dict[str, Callable[..., Any]]:
    """Return every function in the hookspecs module that carries the hookspec marker."""
    return {
        name: value
        for name, value in vars(hookspecs).items()
        if inspect.isfunction(value) and hasattr(value, SPEC_MARK)
    }


# --------------------------------------------------------------------------- documentation


def test_the_hooks_are_exactly_the_names_in_all() -> None:
    """Every marked spec is exported, and everything exported is a marked spec."""
    assert set(spec_functions()) == set(hookspecs.__all__)
    assert list(hookspecs.__all__) == sorted(hookspecs.__all__)


def test_a_plugin_manager_knows_exactly_these_hooks() -> None:
    """The manager's hook relay holds one caller per spec, no more."""
    pm = isolated_plugin_manager()
    assert {name for name in vars(pm.hook) if not name.startswith("_")} == set(hookspecs.__all__)


@pytest.mark.parametrize("name", hookspecs.__all__)
def test_each_hook_is_documented(name: str) -> None:
    """A hook's docstring is its contract, so it says more than a line."""
    doc = inspect.getdoc(spec_functions()[name]) or ""
    assert len(doc) > 80, f"{name} needs a docstring that states its contract"


@pytest.mark.parametrize("name", hookspecs.__all__)
def test_each_hook_says_whether_it_is_firstresult(name: str) -> None:
    """Docstrings of firstresult hooks say "firstresult"; the others do not claim it."""
    function = spec_functions()[name]
    firstresult = getattr(function, SPEC_MARK)["firstresult"]
    assert ("firstresult" in (function.__doc__ or "")) == firstresult


@pytest.mark.parametrize("name", hookspecs.__all__)
def test_each_hook_is_fully_typed(name: str) -> None:
    """Every argument and the return value carry annotations; untyped specs help nobody."""
    signature = inspect.signature(spec_functions()[name])
    assert signature.return_annotation is not inspect.Signature.empty
    for parameter in signature.parameters.values():
        assert parameter.annotation is not inspect.Parameter.empty, parameter.name


def test_only_the_calendar_and_dispatch_hooks_are_firstresult() -> None:
    """Registration hooks collect from every plugin; the calendar and dispatcher take one."""
    firstresult = {
        name
        for name, function in spec_functions().items()
        if getattr(function, SPEC_MARK)["firstresult"]
    }
    assert firstresult == {"work_calendar", "classify_request"}


# --------------------------------------------------------------------------- the contract plugin


@attrs.frozen
class Badge:
    """A plugin's own type: a volunteer badge written as ``"name:points"``."""

    name: str
    points: int


def structure_badge(value: Any, _type: type[Badge]) -> Badge:
    """Read a badge from its ``"name:points"`` form."""
    if not isinstance(value, str) or value.count(":") != 1:
        raise ValueError(f"expected 'name:points', got {value!r}")
    name, points = value.split(":")
    return Badge(name, int(points))


class EveryDay(CalendarBase):
    """A calendar where every day is a working day (a round-the-clock operation centre)."""

    name = "every-day"

    def is_working_day(self, day: date) -> bool:
        """Every day is a working day."""
        return True


def has_ticket(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["ticket"]`` is given."""
    return bool((data or {}).get("ticket"))


CONTRACT_METHOD = method_from_data(
    {
        "key": "contract",
        "label_zh": "契约工作法",
        "label_en": "contract method",
        "initial": "open",
        "open_roles": ["resident"],
        "roles": [{"key": "resident", "label_zh": "居民", "label_en": "resident"}],
        "steps": [
            {"key": "open", "label_zh": "受理", "label_en": "open"},
            {"key": "done", "label_zh": "办结", "label_en": "done", "terminal": True},
        ],
        "transitions": [
            {
                "trigger": "finish",
                "from": ["open"],
                "to": "done",
                "label_zh": "办结",
                "label_en": "finish",
                "roles": ["resident"],
                "guards": ["contract.has_ticket"],
            }
        ],
    }
)


CONTRACT_CHAIN = PartyChain(
    key="contract.chain",
    label_zh="契约链条",
    label_en="contract chain",
    levels=[ChainLevel(kinds={OrgKind.PARTY_BRANCH}, units={UnitKind.COMMUNITY}, required=True)],
)

CONTRACT_SCHEME = GridScheme(
    key="contract.scheme",
    label_zh="契约网格",
    label_en="contract grid",
    root_kinds={UnitKind.COMMUNITY},
    parents={UnitKind.BUILDING: {UnitKind.COMMUNITY}},
    party_chain="contract.chain",
)


def english_names(context: GridContext) -> list[Finding]:
    """Report each building without an English name."""
    return [
        Finding(
            rule="contract.english_names",
            severity=Severity.INFO,
            unit=unit.id,
            message_en="no English name",
            message_zh="无英文名",
        )
        for unit in context.tree
        if unit.kind is UnitKind.BUILDING and not unit.name_en
    ]


CONTRACT_RULES = TopicRules(
    key="contract.rules",
    label_zh="契约议事规则",
    label_en="contract topic rules",
    deliberated=[
        TopicRule(
            key="lifts",
            label_zh="电梯",
            label_en="lifts",
            reason_zh="共有设施",
            reason_en="shared facilities",
        )
    ],
    classes=[
        HandlingClass(handling=h, method="six_self", trigger="table", deadline="decision")
        for h in Handling
    ],
)

CONTRACT_MEETINGS = MeetingSchedule(method="contract", rule=THURSDAY_TALKS, steps={"open"})


CONTRACT_EARNING = EarningRule(
    key="contract.finished",
    label_zh="办结工单",
    label_en="a ticket finished",
    method="contract",
    trigger="finish",
    amounts={"city_points": 3, "district_points": 2},
)


class ContractPlugin:
    """Implements every hook; records each call so tests can see what was called, and when."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.events: list[tuple[str, EventKind]] = []
        self.calendar = EveryDay()

    @hookimpl
    def register_methods(self) -> list[Method]:
        """Provide the contract method."""
        self.calls.append("register_methods")
        return [CONTRACT_METHOD]

    @hookimpl
    def register_guards(self) -> list[Guard]:
        """Provide the guard the contract method names."""
        self.calls.append("register_guards")
        return [
            Guard(
                name="contract.has_ticket",
                check=has_ticket,
                label_zh="须提供工单号（data.ticket）",
                label_en="a ticket number is required (data.ticket)",
            )
        ]

    @hookimpl
    def register_observers(self) -> list[Callable[[Case, Event], None]]:
        """Provide an observer recording every event's case and kind."""
        self.calls.append("register_observers")
        return [self.observe]

    @hookimpl
    def work_calendar(self) -> EveryDay:
        """Answer with the round-the-clock calendar."""
        self.calls.append("work_calendar")
        return self.calendar

    @hookimpl
    def register_grid_schemes(self) -> list[GridScheme]:
        """Provide a two-level scheme: a community of buildings."""
        self.calls.append("register_grid_schemes")
        return [CONTRACT_SCHEME]

    @hookimpl
    def register_party_chains(self) -> list[PartyChain]:
        """Provide the one-level chain the contract scheme names."""
        self.calls.append("register_party_chains")
        return [CONTRACT_CHAIN]

    @hookimpl
    def register_grid_checks(self) -> list[GridCheck]:
        """Provide a check that reports every building without a name in English."""
        self.calls.append("register_grid_checks")
        return [
            GridCheck(
                name="contract.english_names",
                check=english_names,
                label_zh="楼栋须有英文名",
                label_en="buildings need an English name",
            )
        ]

    @hookimpl
    def classify_request(self, request: Request) -> Dispatch | None:
        """Route every request mentioning 电梯 (lift) to the community; pass on the rest."""
        self.calls.append("classify_request")
        if "电梯" not in request.text:
            return None
        return Dispatch(category="lift", level="community", rule="contract: 电梯")

    @hookimpl
    def register_topic_rules(self) -> list[TopicRules]:
        """Provide rules deliberating lifts only, every class run by Six Self."""
        self.calls.append("register_topic_rules")
        return [CONTRACT_RULES]

    @hookimpl
    def register_earning_rules(self) -> list[EarningRule]:
        """Provide a rule paying dual points to whoever finishes a contract case."""
        self.calls.append("register_earning_rules")
        return [CONTRACT_EARNING]

    @hookimpl
    def register_meeting_schedules(self) -> list[MeetingSchedule]:
        """Provide the contract method's meeting days: its open cases wait for Thursdays."""
        self.calls.append("register_meeting_schedules")
        return [CONTRACT_MEETINGS]

    @hookimpl
    def prepare_converter(self, converter: cattrs.Converter) -> None:
        """Teach the registry's converter to read badges."""
        self.calls.append("prepare_converter")
        converter.register_structure_hook(Badge, structure_badge)

    def observe(self, case: Case, event: Event) -> None:
        """Record the event."""
        self.events.append((case.id, event.kind))


@pytest.fixture
def contract() -> ContractPlugin:
    """A fresh contract plugin."""
    return ContractPlugin()


@pytest.fixture
def contract_registry(contract: ContractPlugin) -> Registry:
    """The built-ins plus the contract plugin, with no discovery."""
    return build_registry(isolated_plugin_manager(("contract", contract), builtins=True))


def test_the_contract_plugin_implements_every_hook() -> None:
    """ContractPlugin has one marked implementation per spec: a new hook must join it."""
    implemented = {
        name for name, value in vars(ContractPlugin).items() if hasattr(value, IMPL_MARK)
    }
    assert implemented == set(hookspecs.__all__)


def test_every_hook_is_called_exactly_once_per_build(
    contract: ContractPlugin, contract_registry: Registry
) -> None:
    """Building a registry calls each registration hook once; classify_request waits for use."""
    assert Counter(contract.calls) == Counter(set(hookspecs.__all__) - {"classify_request"})
    assert contract_registry.plugins[-1] == "contract"


def test_the_registry_reflects_the_contract_method_and_guard(
    contract_registry: Registry,
) -> None:
    """The plugin's method and guard sit beside the built-ins, credited to it."""
    assert contract_registry.method("contract") is CONTRACT_METHOD
    assert contract_registry.method_plugins["contract"] == "contract"
    assert contract_registry.guard_plugins["contract.has_ticket"] == "contract"
    builtins = set(build_registry(isolated_plugin_manager(builtins=True)).methods)
    assert set(contract_registry.methods) == {"contract", *builtins}


def test_the_contract_calendar_is_chosen(
    contract: ContractPlugin, contract_registry: Registry
) -> None:
    """The plugin's calendar wins over the built-in weekend calendar."""
    assert contract_registry.calendar is contract.calendar
    assert contract_registry.calendar_plugin == "contract"


def test_the_contract_converter_hook_is_applied_to_the_registry_converter_only(
    contract_registry: Registry,
) -> None:
    """The registry's converter reads badges; a fresh converter (and so no global) does not."""
    assert contract_registry.converter.get_structure_hook(Badge) is structure_badge
    assert contract_registry.converter.structure("volunteer:5", Badge) == Badge("volunteer", 5)
    assert contract_registry.converter.structure(["a:1", "b:2"], list[Badge]) == [
        Badge("a", 1),
        Badge("b", 2),
    ]
    fresh = make_converter()
    assert fresh.get_structure_hook(Badge) is not structure_badge
    assert fresh.structure({"name": "volunteer", "points": 5}, Badge) == Badge("volunteer", 5)


def test_an_engine_runs_the_contract_method_with_its_guard_and_observer(
    contract: ContractPlugin, contract_registry: Registry, clock: ManualClock
) -> None:
    """An engine from the registry runs the guard on fire and tells the observer each event."""
    engine = Engine.from_registry(contract_registry, clock=clock)
    assert engine.calendar is contract.calendar
    resident = Actor(id="resident-1", roles={"resident"})
    case = engine.open("contract", actor=resident, case_id="c-1")
    with pytest.raises(GuardRefused) as refused:
        engine.fire(case, "finish", resident)
    assert refused.value.guard == "contract.has_ticket"
    assert "工单号" in str(refused.value)
    engine.fire(case, "finish", resident, data={"ticket": "12345-0001"})
    assert case.is_closed
    assert contract.events == [("c-1", EventKind.OPENED), ("c-1", EventKind.TRANSITION)]
    assert contract.calls.count("register_guards") == 1


def test_the_contract_scheme_chain_and_check_reach_a_grid_check(
    contract_registry: Registry,
) -> None:
    """The registry keeps the contract's scheme and chain, and check_grid runs its check."""
    assert contract_registry.grid_scheme("contract.scheme").plugin == "contract"
    assert contract_registry.party_chains["contract.chain"].plugin == "contract"
    tree = UnitTree(
        [
            Unit(id="c", kind=UnitKind.COMMUNITY, name_zh="社区", parent=None),
            Unit(id="b1", kind=UnitKind.BUILDING, name_zh="1栋", name_en="Block 1", parent="c"),
            Unit(id="b2", kind=UnitKind.BUILDING, name_zh="2栋", parent="c"),
        ]
    )
    findings = contract_registry.check_grid(tree, "contract.scheme", on=date(2026, 11, 23))
    mine = [f for f in findings if f.rule == "contract.english_names"]
    assert [(f.unit, f.plugin) for f in mine] == [("b2", "contract")]


def test_the_contract_dispatcher_answers_before_the_builtin_and_passes_on_none(
    contract: ContractPlugin, contract_registry: Registry
) -> None:
    """classify_request asks the contract first; its None passes to the next dispatcher."""
    at = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
    lift = Request(id="r1", channel=Channel.HOTLINE_12345, text="3栋电梯坏了", submitted_at=at)
    answer = contract_registry.classify_request(lift)
    assert answer is not None
    assert (answer.category, answer.level, answer.dispatcher) == ("lift", "community", "contract")
    other = Request(id="r2", channel=Channel.HOTLINE_12345, text="路灯不亮", submitted_at=at)
    passed = contract_registry.classify_request(other)
    assert passed is None or passed.dispatcher != "contract"
    assert contract.calls.count("classify_request") == 2


def test_the_contract_topic_rules_are_kept_and_triage_topics(contract_registry: Registry) -> None:
    """The registry keeps the contract's rules by key; they admit lifts and refuse the rest."""
    rules = contract_registry.topic_rule_set("contract.rules")
    assert rules.plugin == "contract"
    at = datetime(2026, 11, 23, 9, 0, tzinfo=DEFAULT_TZ)
    lift = Topic(
        id="t1",
        title="加装电梯",
        unit="c1",
        category="lifts",
        raised_by="resident-1",
        proposer=ProposerKind.RESIDENT,
        raised_at=at,
    )
    assert rules.triage(lift).method == "six_self"
    with pytest.raises(TopicOutsideRules):
        rules.triage(attrs.evolve(lift, category="parking"))


def test_the_contract_earning_rule_awards_dual_points_through_an_engine(
    contract_registry: Registry, clock: ManualClock
) -> None:
    """The registry keeps the contract's rule; a desk from it pays the actor who finishes."""
    assert contract_registry.earning_rules["contract.finished"].plugin == "contract"
    ledger = Ledger()
    desk = PointsDesk.from_registry(contract_registry, ledger)
    engine = Engine.from_registry(contract_registry, clock=clock, observers=[desk])
    resident = Actor(id="resident-1", roles={"resident"})
    case = engine.open("contract", actor=resident, case_id="c-1")
    engine.fire(case, "finish", resident, data={"ticket": "12345-0001"})
    assert ledger.balance("person:resident-1:city_points") == 3
    assert ledger.balance("person:resident-1:district_points") == 2
    assert ledger.transaction("earn:c-1:2:contract.finished").kind == "earn"


def test_the_contract_meeting_schedule_is_kept_with_its_plugin(
    contract_registry: Registry,
) -> None:
    """The registry keeps the contract's meeting days by method, stamped with the plugin."""
    schedule = contract_registry.meeting_schedules["contract"]
    assert schedule.plugin == "contract"
    assert schedule.steps == frozenset({"open"})
    wednesday = datetime(2026, 11, 25, 20, 0, tzinfo=DEFAULT_TZ)
    assert schedule.next_meeting(wednesday) == datetime(2026, 11, 26, 19, 0, tzinfo=DEFAULT_TZ)
