"""Building a registry: built-ins through the same hooks, blocking, overriding, and failures.

Every broken plugin must fail the build with a PluginError naming the plugin and the hook, and
leave nothing behind: the next build, with good plugins, works.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from civicgrid import (
    BUILTIN_PLUGINS,
    Actor,
    CalendarBase,
    Case,
    DuplicateRegistration,
    Event,
    Guard,
    InvalidMethod,
    Method,
    PluginError,
    Registry,
    UnknownMethod,
    WeekendCalendar,
    build_registry,
    hookimpl,
    isolated_plugin_manager,
    load_registry,
    method_from_data,
    plugin_manager,
)

BUILTIN_NAMES = (
    "civicgrid.calendars",
    "civicgrid.guards",
    "civicgrid.six_self",
    "civicgrid.five_steps",
    "civicgrid.grid_schemes",
    "civicgrid.party_chains",
    "civicgrid.grid_checks",
    "civicgrid.owners_committee_vetting",
    "civicgrid.requests",
    "civicgrid.dispatch",
    "civicgrid.immediate_53522",
    "civicgrid.four_orders",
    "civicgrid.micro_wishes",
    "civicgrid.five_matters",
    "civicgrid.grid_whistle",
    "civicgrid.safety_campaign",
    "civicgrid.problem_ledger",
    "civicgrid.participatory_planning",
    "civicgrid.six_foot_lane",
    "civicgrid.topic_handling",
    "civicgrid.redemption",
    "civicgrid.earning",
)

BUILTIN_METHODS = {
    "six_self",
    "five_steps",
    "owners_committee_vetting",
    "immediate_53522",
    "four_orders",
    "micro_wishes",
    "five_matters",
    "grid_whistle",
    "safety_campaign",
    "problem_ledger",
    "participatory_planning",
    "six_foot_lane",
    "topic_handling",
    "redemption",
}
"""The keys of the methods the built-in plugins register."""


# --------------------------------------------------------------------------- test plugins


def tiny_method(key: str, *, guards: Sequence[str] = ()) -> Method:
    """Return a valid two-step method called ``key`` whose one transition runs ``guards``.

    Built from data, as a method file would be (see test_a_method_built_in_python_type_checks
    for why not with the constructor).
    """
    return method_from_data(
        {
            "key": key,
            "label_zh": "小方法",
            "label_en": "tiny method",
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
                    "guards": list(guards),
                }
            ],
        }
    )


def always(_case: Case, _actor: Actor, _data: Any) -> bool:
    """A guard check that always passes."""
    return True


def tiny_guard(name: str) -> Guard:
    """Return a guard called ``name`` that always passes."""
    return Guard(name=name, check=always, label_zh="总是通过", label_en="always passes")


class MethodsPlugin:
    """Provides the methods it is given."""

    def __init__(self, *methods: Method) -> None:
        self.methods = methods

    @hookimpl
    def register_methods(self) -> list[Method]:
        """Return the methods."""
        return list(self.methods)


class GuardsPlugin:
    """Provides the guards it is given."""

    def __init__(self, *guards: Guard) -> None:
        self.guards = guards

    @hookimpl
    def register_guards(self) -> list[Guard]:
        """Return the guards."""
        return list(self.guards)


def answering(hook: str, value: object) -> object:
    """Return a plugin whose ``hook`` answers with ``value``, right or wrong."""

    def answer() -> object:
        return value

    answer.__name__ = hook
    return SimpleNamespace(**{hook: hookimpl(answer)})


class RaisingPlugin:
    """Its ``register_methods`` raises."""

    @hookimpl
    def register_methods(self) -> list[Method]:
        """Fail."""
        raise RuntimeError("the city database is down")


class InvalidMethodPlugin:
    """Builds an invalid method inside its hook."""

    @hookimpl
    def register_methods(self) -> list[Method]:
        """Build a method with a bad key, no steps and an unknown initial step."""
        return [
            Method(
                key="Bad Key",
                label_zh="坏方法",
                label_en="bad method",
                initial="nowhere",
                open_roles=("resident",),
                steps=(),
                transitions=(),
            )
        ]


class MisspeltHookPlugin:
    """Implements ``register_method``, a hook that does not exist."""

    @hookimpl
    def register_method(self) -> list[Method]:
        """Misspelt: the spec is register_methods."""
        return [tiny_method("typo")]


class WrongArgumentPlugin:
    """Implements ``prepare_converter`` with an argument the spec does not have."""

    @hookimpl
    def prepare_converter(self, conv: object) -> None:
        """Wrong argument name: the spec says ``converter``."""


class WrapperPlugin:
    """Wraps a registration hook, which registration hooks do not allow."""

    @hookimpl(wrapper=True)
    def register_methods(self) -> Generator[None, Any, Any]:
        """Wrap the other implementations."""
        return (yield)


class Sundays(CalendarBase):
    """A city calendar: every day but Sunday is a working day."""

    name = "no-sundays"

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is not a Sunday."""
        return day.weekday() != 6


class CalendarPlugin:
    """A city plugin answering the calendar hook."""

    def __init__(self, calendar: object) -> None:
        self.calendar = calendar

    @hookimpl
    def work_calendar(self) -> object:
        """Return the city's calendar (or None to pass)."""
        return self.calendar


class ObserverPlugin:
    """Provides one observer that appends its label to a shared list."""

    def __init__(self, label: str, seen: list[str]) -> None:
        self.label = label
        self.seen = seen

    @hookimpl
    def register_observers(self) -> list[Callable[[Case, Event], None]]:
        """Return the observer."""
        return [self.observe]

    def observe(self, _case: Case, _event: Event) -> None:
        """Record that this plugin's observer was told."""
        self.seen.append(self.label)


def good_registry() -> Registry:
    """Build the registry every test can rely on: built-ins plus one good city plugin."""
    return load_registry(
        entry_points=False, plugins=[("city", MethodsPlugin(tiny_method("city_method")))]
    )


def assert_good_registry_still_builds() -> None:
    """No global state survives a failed build: the good registry builds as before."""
    registry = good_registry()
    assert set(registry.methods) == {*BUILTIN_METHODS, "city_method"}
    assert registry.plugins == (*BUILTIN_NAMES, "city")


# --------------------------------------------------------------------------- built-ins


def test_builtins_are_registered_first_under_their_names() -> None:
    """Built-ins come first, in BUILTIN_PLUGINS order, then the city's plugins."""
    assert tuple(name for name, _ in BUILTIN_PLUGINS) == BUILTIN_NAMES
    assert good_registry().plugins == (*BUILTIN_NAMES, "city")


def test_builtins_provide_their_methods_through_the_same_hooks(registry: Registry) -> None:
    """Each built-in method, guard and the calendar is credited to its built-in plugin."""
    assert dict(registry.method_plugins) == {
        "six_self": "civicgrid.six_self",
        "five_steps": "civicgrid.five_steps",
        "owners_committee_vetting": "civicgrid.owners_committee_vetting",
        "immediate_53522": "civicgrid.immediate_53522",
        "four_orders": "civicgrid.four_orders",
        "micro_wishes": "civicgrid.micro_wishes",
        "five_matters": "civicgrid.five_matters",
        "grid_whistle": "civicgrid.grid_whistle",
        "safety_campaign": "civicgrid.safety_campaign",
        "problem_ledger": "civicgrid.problem_ledger",
        "participatory_planning": "civicgrid.participatory_planning",
        "six_foot_lane": "civicgrid.six_foot_lane",
        "topic_handling": "civicgrid.topic_handling",
        "redemption": "civicgrid.redemption",
    }
    assert dict(registry.guard_plugins) == {
        "feedback_given": "civicgrid.guards",
        "majority_in_favour": "civicgrid.six_self",
        "agreement_recorded": "civicgrid.five_steps",
        "candidates_submitted": "civicgrid.owners_committee_vetting",
        "vetting_decision_recorded": "civicgrid.owners_committee_vetting",
        "rating_closes": "civicgrid.requests",
        "rating_reopens": "civicgrid.requests",
        "acts_at_case_level": "civicgrid.requests",
        "waiting_reason_given": "civicgrid.immediate_53522",
        "plan_recorded": "civicgrid.immediate_53522",
        "dispatched_to_actor": "civicgrid.four_orders",
        "claimant_only": "civicgrid.micro_wishes",
        "red_proxy_agent": "civicgrid.micro_wishes",
        "resolution_recorded": "civicgrid.five_matters",
        "departments_called": "civicgrid.grid_whistle",
        "departments_reported": "civicgrid.grid_whistle",
        "dispatch_order_recorded": "civicgrid.safety_campaign",
        "meeting_recorded": "civicgrid.problem_ledger",
        "excellence_recorded": "civicgrid.participatory_planning",
        "mutual_concession": "civicgrid.six_foot_lane",
        "redeemer_or_staff": "civicgrid.redemption",
    }
    assert registry.calendar_plugin == "civicgrid.calendars"
    assert isinstance(registry.calendar, WeekendCalendar)


def test_builtins_are_ordinary_hook_implementations() -> None:
    """The manager holds the built-ins' hooks like any plugin's, with the calendar trylast."""
    pm = isolated_plugin_manager(builtins=True)
    methods = {impl.plugin_name for impl in pm.hook.register_methods.get_hookimpls()}
    assert methods == {f"civicgrid.{key}" for key in BUILTIN_METHODS}
    (calendar,) = pm.hook.work_calendar.get_hookimpls()
    assert calendar.plugin_name == "civicgrid.calendars"
    assert calendar.trylast


def test_no_builtins_means_no_methods_and_the_default_calendar() -> None:
    """Without built-ins the registry is empty but usable, on the weekend calendar."""
    registry = build_registry(isolated_plugin_manager())
    assert registry.plugins == ()
    assert dict(registry.methods) == {}
    assert isinstance(registry.calendar, WeekendCalendar)
    assert registry.calendar_plugin == "(default)"


def test_blocking_a_builtin_by_name_removes_its_method_and_guard() -> None:
    """``blocked=["civicgrid.six_self"]`` drops Six Self and its vote guard, nothing else."""
    registry = load_registry(entry_points=False, blocked=["civicgrid.six_self"])
    assert set(registry.methods) == BUILTIN_METHODS - {"six_self"}
    assert "majority_in_favour" not in registry.guards
    assert "feedback_given" in registry.guards


def test_a_blocked_builtin_is_not_listed_among_the_registry_plugins() -> None:
    """Registry.plugins names the plugins that were registered, so not a blocked one."""
    registry = load_registry(entry_points=False, blocked=["civicgrid.six_self"])
    assert registry.plugins == tuple(n for n in BUILTIN_NAMES if n != "civicgrid.six_self")


def test_a_city_replaces_a_blocked_builtin_with_its_own_copy() -> None:
    """After blocking the built-in, a city may register a method under the same key."""
    city_copy = tiny_method("six_self", guards=["majority_in_favour"])
    registry = load_registry(
        entry_points=False,
        blocked=["civicgrid.six_self"],
        plugins=[
            ("city", MethodsPlugin(city_copy)),
            ("city_guards", GuardsPlugin(tiny_guard("majority_in_favour"))),
        ],
    )
    assert registry.method("six_self") is city_copy
    assert registry.method_plugins["six_self"] == "city"
    assert registry.guard_plugins["majority_in_favour"] == "city_guards"


def test_a_city_calendar_wins_over_the_trylast_builtin() -> None:
    """A city plugin's work_calendar answer overrides the built-in weekend calendar."""
    sundays = Sundays()
    registry = load_registry(entry_points=False, plugins=[("city", CalendarPlugin(sundays))])
    assert registry.calendar is sundays
    assert registry.calendar_plugin == "city"


def test_a_city_calendar_answering_none_passes_to_the_builtin() -> None:
    """``None`` from work_calendar means "no opinion": the built-in answers."""
    registry = load_registry(entry_points=False, plugins=[("city", CalendarPlugin(None))])
    assert registry.calendar_plugin == "civicgrid.calendars"
    assert isinstance(registry.calendar, WeekendCalendar)


def test_unknown_method_lists_the_installed_keys(registry: Registry) -> None:
    """``registry.method("nope")`` raises UnknownMethod, a LookupError, naming what exists."""
    with pytest.raises(UnknownMethod) as unknown:
        registry.method("nope")
    assert isinstance(unknown.value, LookupError)
    assert unknown.value.key == "nope"
    known = tuple(sorted(BUILTIN_METHODS))
    assert unknown.value.known == known
    assert f"installed: {', '.join(known)}" in str(unknown.value)
    assert f"已安装：{'、'.join(known)}" in str(unknown.value)


def test_the_registry_mappings_are_read_only(registry: Registry) -> None:
    """Nobody can slip a method into a built registry."""
    with pytest.raises(TypeError):
        registry.methods["sneaky"] = tiny_method("sneaky")  # type: ignore[index]


def test_none_and_generators_are_accepted_from_registration_hooks() -> None:
    """A hook may return None (nothing to add) or any iterable of items, a generator included."""
    registry = build_registry(
        isolated_plugin_manager(
            ("quiet", answering("register_methods", None)),
            ("lazy", answering("register_methods", (m for m in [tiny_method("lazy")]))),
        )
    )
    assert dict(registry.method_plugins) == {"lazy": "lazy"}


# --------------------------------------------------------------------------- failures


def test_a_raising_hook_fails_the_build_naming_plugin_and_hook() -> None:
    """An exception in register_methods becomes a PluginError; no registry is returned."""
    registry: Registry | None = None
    with pytest.raises(PluginError) as failure:
        registry = load_registry(entry_points=False, plugins=[("broken", RaisingPlugin())])
    assert registry is None
    assert failure.value.plugin == "broken"
    assert failure.value.hook == "register_methods"
    assert "RuntimeError: the city database is down" in str(failure.value)
    assert isinstance(failure.value.__cause__, RuntimeError)
    assert_good_registry_still_builds()


@pytest.mark.parametrize(
    ("hook", "value", "says"),
    [
        ("register_methods", {"six_self": "x"}, "returned dict"),
        ("register_methods", "city_operations", "returned str"),
        ("register_methods", [tiny_method("fine"), "not a method"], "item 1 is str"),
        ("register_methods", tiny_method("bare"), "returned Method"),
        ("register_methods", 42, "returned int"),
        ("register_guards", [always], "item 0 is function"),
        ("register_guards", {"g": always}, "returned dict"),
        ("register_observers", "print", "returned str"),
        ("register_observers", [42], "not callable"),
        ("work_calendar", "weekend", "expected a WorkCalendar"),
    ],
    ids=[
        "methods-dict",
        "methods-str",
        "methods-list-with-str",
        "methods-bare-method",
        "methods-int",
        "guards-list-of-functions",
        "guards-dict",
        "observers-str",
        "observers-not-callable",
        "calendar-str",
    ],
)
def test_a_wrong_return_type_fails_the_build_naming_plugin_and_hook(
    hook: str, value: object, says: str
) -> None:
    """Whatever a hook returns is checked before any registry exists."""
    with pytest.raises(PluginError) as failure:
        load_registry(entry_points=False, plugins=[("sloppy", answering(hook, value))])
    assert failure.value.plugin == "sloppy"
    assert failure.value.hook == hook
    assert says in str(failure.value)
    assert_good_registry_still_builds()


def test_a_calendar_class_instead_of_an_instance_fails_the_build() -> None:
    """Forgetting to call the calendar class is caught at build, naming plugin and hook."""
    with pytest.raises(PluginError) as failure:
        load_registry(
            entry_points=False, plugins=[("forgetful", answering("work_calendar", Sundays))]
        )
    assert failure.value.plugin == "forgetful"
    assert failure.value.hook == "work_calendar"


def test_an_invalid_method_built_in_a_hook_carries_the_method_errors() -> None:
    """InvalidMethod raised inside register_methods reaches the user with every problem."""
    with pytest.raises(PluginError) as failure:
        load_registry(entry_points=False, plugins=[("careless", InvalidMethodPlugin())])
    assert failure.value.plugin == "careless"
    assert failure.value.hook == "register_methods"
    assert isinstance(failure.value.__cause__, InvalidMethod)
    message = str(failure.value)
    assert "InvalidMethod" in message
    assert "'Bad Key' is not a key" in message
    assert "initial: unknown step 'nowhere'" in message
    assert "steps: a method needs at least one step" in message
    assert "open_roles[0]: undeclared role 'resident'" in message
    assert_good_registry_still_builds()


METHOD_IN_PYTHON = """
from civicgrid import Method, Role, Step, Transition

method = Method(
    key="tiny",
    label_zh="小方法",
    label_en="tiny method",
    initial="open",
    open_roles=("resident",),
    roles=(Role(key="resident", label_zh="居民", label_en="resident"),),
    steps=(
        Step(key="open", label_zh="受理", label_en="open"),
        Step(key="done", label_zh="办结", label_en="done", terminal=True),
    ),
    transitions=(
        Transition(
            trigger="finish",
            sources=("open",),
            target="done",
            label_zh="办结",
            label_en="finish",
            roles=("resident",),
        ),
    ),
)
"""


def test_a_method_built_in_python_type_checks(tmp_path: Path) -> None:
    """A plugin that builds its Method with the constructor passes ``mypy --strict``."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    source = tmp_path / "city_plugin.py"
    source.write_text(METHOD_IN_PYTHON, encoding="utf-8")
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            str(source),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout


def test_two_plugins_registering_one_method_key_are_both_named() -> None:
    """The same method key from two plugins raises DuplicateRegistration naming both."""
    with pytest.raises(DuplicateRegistration) as duplicate:
        load_registry(
            entry_points=False,
            plugins=[
                ("first", MethodsPlugin(tiny_method("twin"))),
                ("second", MethodsPlugin(tiny_method("twin"))),
            ],
        )
    assert isinstance(duplicate.value, PluginError)
    assert (duplicate.value.kind, duplicate.value.key) == ("method", "twin")
    assert duplicate.value.hook == "register_methods"
    assert set(duplicate.value.plugins) == {"first", "second"}
    assert "'first'" in str(duplicate.value)
    assert "'second'" in str(duplicate.value)
    assert_good_registry_still_builds()


def test_two_plugins_registering_one_guard_name_are_both_named() -> None:
    """The same guard name from two plugins raises DuplicateRegistration naming both."""
    with pytest.raises(DuplicateRegistration) as duplicate:
        load_registry(
            entry_points=False,
            plugins=[
                ("first", GuardsPlugin(tiny_guard("twin_guard"))),
                ("second", GuardsPlugin(tiny_guard("twin_guard"))),
            ],
        )
    assert (duplicate.value.kind, duplicate.value.key) == ("guard", "twin_guard")
    assert duplicate.value.hook == "register_guards"
    assert set(duplicate.value.plugins) == {"first", "second"}
    assert_good_registry_still_builds()


def test_a_city_method_clashing_with_a_builtin_names_both() -> None:
    """Registering "six_self" without blocking the built-in is a duplicate, not an override."""
    with pytest.raises(DuplicateRegistration) as duplicate:
        load_registry(
            entry_points=False, plugins=[("city", MethodsPlugin(tiny_method("six_self")))]
        )
    assert set(duplicate.value.plugins) == {"civicgrid.six_self", "city"}


@pytest.mark.parametrize(
    ("hook", "make"),
    [
        ("register_methods", lambda: MethodsPlugin(tiny_method("twin"))),
        ("register_guards", lambda: GuardsPlugin(tiny_guard("twin"))),
    ],
    ids=["method", "guard"],
)
def test_a_duplicate_names_the_plugins_in_registration_order(
    hook: str, make: Callable[[], object]
) -> None:
    """``.plugins == (first, second)``: the second registered is the one refused."""
    with pytest.raises(DuplicateRegistration) as duplicate:
        load_registry(entry_points=False, plugins=[("first", make()), ("second", make())])
    assert duplicate.value.plugins == ("first", "second")
    assert duplicate.value.plugin == "second"
    assert duplicate.value.hook == hook


def test_observers_are_kept_in_plugin_order() -> None:
    """The first registered plugin's observer is told first."""
    seen: list[str] = []
    registry = build_registry(
        isolated_plugin_manager(("a", ObserverPlugin("a", seen)), ("b", ObserverPlugin("b", seen)))
    )
    for observer in registry.observers:
        observer(None, None)  # type: ignore[arg-type]
    assert seen == ["a", "b"]


def test_a_method_naming_an_unprovided_guard_names_the_methods_plugin() -> None:
    """An unknown guard name fails the build, blaming the plugin that registered the method."""
    with pytest.raises(PluginError) as failure:
        load_registry(
            entry_points=False,
            plugins=[("city", MethodsPlugin(tiny_method("guarded", guards=["no_such_guard"])))],
        )
    assert failure.value.plugin == "city"
    assert failure.value.hook == "register_methods"
    assert "no_such_guard" in str(failure.value)
    assert "'guarded'" in str(failure.value)
    assert_good_registry_still_builds()


def test_a_misspelt_hook_fails_when_the_manager_is_built() -> None:
    """``register_method`` (no s) is caught by check_pending, naming the plugin and the hook."""
    with pytest.raises(PluginError) as failure:
        isolated_plugin_manager(("typo", MisspeltHookPlugin()))
    assert failure.value.plugin == "typo"
    assert "register_method" in str(failure.value)
    assert_good_registry_still_builds()


def test_a_hook_with_a_wrong_argument_name_fails_at_registration() -> None:
    """An argument the spec does not have is refused when the plugin is registered."""
    with pytest.raises(PluginError) as failure:
        isolated_plugin_manager(("confused", WrongArgumentPlugin()))
    assert failure.value.plugin == "confused"
    assert "conv" in str(failure.value)
    assert "prepare_converter" in str(failure.value)
    assert_good_registry_still_builds()


def test_a_wrapper_on_a_registration_hook_is_refused() -> None:
    """Registration hooks are called one by one, so wrappers are refused by name."""
    with pytest.raises(PluginError) as failure:
        build_registry(isolated_plugin_manager(("wrapper", WrapperPlugin())))
    assert failure.value.plugin == "wrapper"
    assert failure.value.hook == "register_methods"


def test_two_plugins_under_one_name_are_refused() -> None:
    """A plugin name is registered once; a second plugin under it is an error."""
    with pytest.raises(PluginError) as failure:
        isolated_plugin_manager(("city", MethodsPlugin()), ("city", GuardsPlugin()))
    assert failure.value.plugin == "city"
    assert failure.value.hook == "register"


# --------------------------------------------------------------------------- entry points


@pytest.fixture
def broken_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed distribution whose civicgrid entry point raises when imported."""
    dist_info = tmp_path / "civicgrid_broken_city-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: civicgrid-broken-city\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        "[civicgrid]\nbroken_city = civicgrid_broken_city_plugin\n", encoding="utf-8"
    )
    (tmp_path / "civicgrid_broken_city_plugin.py").write_text(
        'raise ImportError("the city forgot a dependency")\n', encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("civicgrid_broken_city_plugin", None)


@pytest.mark.usefixtures("broken_distribution")
def test_an_entry_point_that_fails_to_import_is_named() -> None:
    """Discovery turns the import error into a PluginError naming the entry point."""
    with pytest.raises(PluginError) as failure:
        plugin_manager()
    assert failure.value.plugin == "broken_city"
    assert failure.value.hook == "load"
    assert "civicgrid_broken_city_plugin" in str(failure.value)
    assert "ImportError: the city forgot a dependency" in str(failure.value)
    assert isinstance(failure.value.__cause__, ImportError)
    assert_good_registry_still_builds()


@pytest.mark.usefixtures("broken_distribution")
def test_a_blocked_entry_point_is_never_imported() -> None:
    """Blocking the broken entry point by name lets discovery go on without importing it."""
    registry = load_registry(blocked=["broken_city"])
    assert set(registry.methods) >= BUILTIN_METHODS
    assert "civicgrid_broken_city_plugin" not in sys.modules


@pytest.mark.usefixtures("broken_distribution")
def test_an_isolated_manager_ignores_installed_entry_points() -> None:
    """Without discovery the broken distribution is not even looked at."""
    registry = build_registry(isolated_plugin_manager(builtins=True))
    assert set(registry.methods) == BUILTIN_METHODS
