"""The example city plugin (examples/city-operations) works exactly as a third party's would.

The example is installed with pip into a temporary directory, never into the project's venv, and
found through its entry point by subprocesses that put that directory on ``PYTHONPATH``. The
same installed copy is then imported in-process to walk its method end to end.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest
from dateutil.relativedelta import relativedelta

from civicgrid import (
    BUILTIN_PLUGINS,
    Actor,
    BreachAction,
    Case,
    DeadlineStatus,
    Engine,
    EventKind,
    GuardRefused,
    LadderExhausted,
    ManualClock,
    PluginError,
    Refusal,
    Registry,
    RoleRefused,
    build_registry,
    isolated_plugin_manager,
    load_registry,
    plugin_manager,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "city-operations"
PACKAGE = "civicgrid_city_operations"
PLUGIN_MODULE = f"{PACKAGE}.plugin"
GUARD = "city_operations.risk_level_given"
STEP_LABELS_ZH = ["态势呈现", "风险预警", "高速处置", "情况反馈", "闭环办结", "排除误报（已反馈）"]

DISCOVER = """
import json
import civicgrid

registry = civicgrid.load_registry()
print(json.dumps({
    "methods": dict(registry.method_plugins),
    "guards": dict(registry.guard_plugins),
    "plugins": list(registry.plugins),
}))
"""


@attrs.frozen
class Installed:
    """Where pip put the example, and an empty directory to run subprocesses from."""

    site: Path
    workdir: Path


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The example built by hatchling and installed with pip into a temporary directory."""
    site = tmp_path_factory.mktemp("city-operations-site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return Installed(site=site, workdir=tmp_path_factory.mktemp("cwd"))


def run_python(installed: Installed, *args: str, on_path: bool = True) -> Any:
    """Run the venv's Python with ``args``; return its standard output parsed as JSON."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    if on_path:
        env["PYTHONPATH"] = str(installed.site)
    done = subprocess.run(
        [sys.executable, *args],
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=installed.workdir,
    )
    return json.loads(done.stdout)


@pytest.fixture
def plugin(installed: Installed, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The example's plugin module, imported from the pip-installed copy."""
    monkeypatch.syspath_prepend(str(installed.site))
    return importlib.import_module(PLUGIN_MODULE)


@pytest.fixture
def city_registry(plugin: ModuleType) -> Registry:
    """The built-ins plus the example plugin, registered by name, with no discovery."""
    return build_registry(isolated_plugin_manager(("city_operations", plugin), builtins=True))


@pytest.fixture
def city_engine(city_registry: Registry, clock: ManualClock) -> Engine:
    """An engine over the built-ins and the example, on the manual clock."""
    return Engine.from_registry(city_registry, clock=clock)


OPERATOR = Actor(id="operator-1", roles={"operator"})
COMMAND = Actor(id="command-1", roles={"command_centre"})
DEPARTMENT = Actor(id="water-bureau", roles={"department"})


def status(case: Case, deadline: str) -> DeadlineStatus:
    """Return where ``deadline`` stands on ``case`` now."""
    return case.deadlines[deadline].status


# --------------------------------------------------------------------------- packaging


def test_the_wheel_ships_the_method_file_and_py_typed(installed: Installed) -> None:
    """Hatchling puts the method file (package data) and py.typed into the installed package."""
    package = installed.site / PACKAGE
    assert (package / "methods" / "city_operations.toml").is_file()
    assert (package / "py.typed").is_file()
    assert (package / "plugin.py").is_file()


def test_the_distribution_declares_the_civicgrid_entry_point(installed: Installed) -> None:
    """The installed metadata names the plugin in the ``civicgrid`` entry-point group."""
    (dist_info,) = installed.site.glob("civicgrid_example_city_operations-0.1.0.dist-info")
    entry_points = (dist_info / "entry_points.txt").read_text(encoding="utf-8")
    assert "[civicgrid]" in entry_points
    assert "city_operations = civicgrid_city_operations.plugin" in entry_points


# --------------------------------------------------------------------------- discovery


def test_an_installed_example_is_discovered_through_its_entry_point(installed: Installed) -> None:
    """With the install directory on PYTHONPATH, load_registry finds the plugin by entry point."""
    found = run_python(installed, "-c", DISCOVER)
    assert found["methods"]["city_operations"] == "city_operations"
    assert found["guards"][GUARD] == "city_operations"
    assert "city_operations" in found["plugins"]
    assert found["plugins"].index("city_operations") > found["plugins"].index(
        "civicgrid.five_steps"
    )


def test_without_the_install_directory_the_example_is_absent(installed: Installed) -> None:
    """The same discovery without PYTHONPATH knows only the built-ins: the venv is untouched."""
    found = run_python(installed, "-c", DISCOVER, on_path=False)
    assert "city_operations" not in found["methods"]
    assert "city_operations" not in found["plugins"]
    assert GUARD not in found["guards"]


def test_the_cli_lists_the_example_with_its_chinese_step_labels(installed: Installed) -> None:
    """``python -m civicgrid methods --json`` shows the discovered method and its steps."""
    if (
        importlib.util.find_spec("civicgrid.cli") is None
        or importlib.util.find_spec("civicgrid.__main__") is None
    ):
        pytest.skip("the civicgrid command line is not written yet")
    listed = run_python(installed, "-m", "civicgrid", "methods", "--json")
    by_key = {entry["key"]: entry for entry in listed}
    city = by_key["city_operations"]
    assert city["label_zh"] == "城市运行中心闭环"
    assert [step["label_zh"] for step in city["steps"]] == STEP_LABELS_ZH
    assert {"six_self", "five_steps"} <= set(by_key)


def test_the_example_is_found_in_process_once_its_directory_is_on_sys_path(
    installed: Installed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entry-point discovery in this process finds the example, importing the installed copy."""
    monkeypatch.syspath_prepend(str(installed.site))
    registry = load_registry()
    assert registry.method_plugins["city_operations"] == "city_operations"
    assert Path(sys.modules[PLUGIN_MODULE].__file__ or "").is_relative_to(installed.site)


def test_a_city_blocks_the_discovered_example_by_name(
    installed: Installed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``blocked=["city_operations"]`` keeps the entry point out; the built-ins stay."""
    monkeypatch.syspath_prepend(str(installed.site))
    registry = build_registry(plugin_manager(blocked=["city_operations"]))
    assert "city_operations" not in registry.methods
    assert GUARD not in registry.guards
    assert set(registry.methods) == set(load_registry(entry_points=False).methods)


def test_blocking_by_name_also_wins_over_an_explicit_registration(plugin: ModuleType) -> None:
    """A blocked name is refused even when the plugin is passed in ``plugins`` by that name."""
    pm = plugin_manager(
        entry_points=False, plugins=[("city_operations", plugin)], blocked=["city_operations"]
    )
    assert "city_operations" not in build_registry(pm).methods


def test_the_example_needs_the_builtin_feedback_guard(plugin: ModuleType) -> None:
    """Blocking ``civicgrid.guards`` leaves the example's method naming an unprovided guard."""
    with pytest.raises(PluginError) as failure:
        load_registry(
            entry_points=False,
            plugins=[("city_operations", plugin)],
            blocked=[name for name, _ in BUILTIN_PLUGINS],
        )
    assert failure.value.plugin == "city_operations"
    assert failure.value.hook == "register_methods"
    assert "feedback_given" in str(failure.value)


# --------------------------------------------------------------------------- the method


def test_the_method_is_i10_with_its_four_steps_and_two_endings(city_registry: Registry) -> None:
    """The loaded method carries I10's steps in order, and closed and dismissed as terminals."""
    method = city_registry.method("city_operations")
    assert method.source == "I10"
    assert method.label_en == "city operation centre loop"
    assert [step.label_zh for step in method.steps] == STEP_LABELS_ZH
    assert {step.key for step in method.steps if step.terminal} == {"closed", "dismissed"}
    assert [level.key for level in method.escalation] == ["district", "city"]
    assert {role.key for role in method.roles} == {
        "operator",
        "command_centre",
        "department",
        "system",
    }


def test_handling_has_a_two_hour_limit_that_escalates(city_registry: Registry) -> None:
    """The handling deadline is two hours, warns at 80% and escalates on breach."""
    deadlines = {d.key: d for d in city_registry.method("city_operations").deadlines}
    handling = deadlines["handling"]
    assert handling.duration == relativedelta(hours=2)
    assert handling.warn_at == 0.8
    assert handling.on_breach is BreachAction.ESCALATE


def test_the_warn_transition_names_the_plugins_guard(city_registry: Registry) -> None:
    """Only the warn transition runs the risk-level guard, resolved to the plugin's callable."""
    method = city_registry.method("city_operations")
    guarded = {t.trigger for t in method.transitions if GUARD in t.guards}
    assert guarded == {"warn"}
    assert city_registry.guard_plugins[GUARD] == "city_operations"


@pytest.mark.parametrize("level", ["blue", "yellow", "orange", "red"])
def test_the_guard_passes_each_of_the_four_warning_colours(
    plugin: ModuleType, city_engine: Engine, level: str
) -> None:
    """蓝黄橙红 are the four accepted levels."""
    case = city_engine.open("city_operations", actor=OPERATOR)
    assert plugin.risk_level_given(case, OPERATOR, {"risk_level": level}) is True


@pytest.mark.parametrize(
    "data",
    [None, {}, {"risk_level": "purple"}, {"risk_level": "RED"}, {"risk_level": 3}],
    ids=["no-data", "missing", "unknown-colour", "upper-case", "not-a-string"],
)
def test_the_guard_refuses_a_missing_or_invalid_level_in_both_languages(
    plugin: ModuleType, city_engine: Engine, data: dict[str, Any] | None
) -> None:
    """A missing or unknown level raises Refusal with an English and a Chinese reason."""
    case = city_engine.open("city_operations", actor=OPERATOR)
    with pytest.raises(Refusal) as refusal:
        plugin.risk_level_given(case, OPERATOR, data)
    assert "risk_level" in refusal.value.message_en
    assert "blue, yellow, orange, red" in refusal.value.message_en
    assert refusal.value.message_zh is not None
    assert "预警等级" in refusal.value.message_zh
    assert "红色" in refusal.value.message_zh


def test_a_warning_without_a_level_is_refused_and_changes_nothing(city_engine: Engine) -> None:
    """The engine turns the guard's refusal into GuardRefused naming the guard."""
    case = city_engine.open("city_operations", actor=OPERATOR)
    with pytest.raises(GuardRefused) as refused:
        city_engine.fire(case, "warn", OPERATOR, data={"note": "smoke on floor 3"})
    assert refused.value.guard == GUARD
    assert "data.risk_level" in str(refused.value)
    assert "预警等级" in str(refused.value)
    assert case.step == "awareness"
    assert len(case.events) == 1


def test_the_loop_runs_end_to_end_with_a_breach_escalating_to_the_city(
    city_engine: Engine, clock: ManualClock
) -> None:
    """Awareness → warning → handling (warned, breached, escalated) → feedback → closed."""
    sensor = Actor(id="smoke-sensor-17", roles={"system"})
    case = city_engine.open("city_operations", actor=sensor, data={"sensor": "smoke"})
    assert (case.step, case.level) == ("awareness", "district")

    city_engine.fire(case, "warn", sensor, data={"risk_level": "orange"})
    assert status(case, "dispatch") is DeadlineStatus.RUNNING
    clock.advance(timedelta(minutes=10))
    with pytest.raises(RoleRefused):
        city_engine.fire(case, "dispatch", DEPARTMENT)
    city_engine.fire(case, "dispatch", COMMAND, assignee="water-bureau")
    assert status(case, "dispatch") is DeadlineStatus.MET
    assert status(case, "handling") is DeadlineStatus.RUNNING

    clock.advance(timedelta(hours=2, minutes=1))
    alarms = city_engine.tick()
    assert [(e.kind, e.trigger) for e in alarms] == [
        (EventKind.WARNED, "handling"),
        (EventKind.BREACHED, "handling"),
    ]
    assert alarms[1].data == {"action": "escalate", "escalated": True}
    assert case.level == "city"

    city_engine.fire(case, "handled", DEPARTMENT)
    with pytest.raises(GuardRefused) as refused:
        city_engine.fire(case, "close", COMMAND)
    assert refused.value.guard == "feedback_given"
    city_engine.fire(case, "close", COMMAND, data={"feedback": "管道已抢修，已回复市民"})

    assert case.step == "closed"
    assert case.is_closed
    assert [e.trigger for e in case.events if e.kind is EventKind.TRANSITION] == [
        "warn",
        "dispatch",
        "handled",
        "close",
    ]
    assert {key: state.status for key, state in case.deadlines.items()} == {
        "dispatch": DeadlineStatus.MET,
        "handling": DeadlineStatus.BREACHED,
        "feedback": DeadlineStatus.MET,
    }


def test_a_false_alarm_is_dismissed_with_feedback(city_engine: Engine) -> None:
    """A warning found to be false ends in ``dismissed``, only with an answer recorded."""
    case = city_engine.open("city_operations", actor=OPERATOR)
    city_engine.fire(case, "warn", OPERATOR, data={"risk_level": "blue"})
    with pytest.raises(GuardRefused):
        city_engine.fire(case, "dismiss", OPERATOR, data={"feedback": "  "})
    city_engine.fire(case, "dismiss", OPERATOR, data={"feedback": "经现场核实为误报"})
    assert case.step == "dismissed"
    assert case.is_closed
    assert case.deadlines["dispatch"].status is DeadlineStatus.MET


def test_referring_up_twice_runs_out_of_ladder(city_engine: Engine) -> None:
    """The ladder has two rungs: district, then city; the case's handling clock keeps running."""
    case = city_engine.open("city_operations", actor=OPERATOR)
    city_engine.fire(case, "warn", OPERATOR, data={"risk_level": "red"})
    city_engine.fire(case, "dispatch", COMMAND)
    due = case.deadlines["handling"].due
    city_engine.fire(case, "refer_up", COMMAND)
    assert case.level == "city"
    assert case.deadlines["handling"].due == due
    with pytest.raises(LadderExhausted):
        city_engine.fire(case, "refer_up", COMMAND)
    assert case.level == "city"
