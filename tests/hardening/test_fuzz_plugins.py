"""Fuzzing plugin return values: a plugin answering each hook with garbage.

A city's plugin is code the library did not write, so what its hooks return is outside data.
A test plugin answers one hook (or several) with generated garbage — wrong types, ``None``,
strings, mappings, iterables that raise, the right entity built from wrong values, a class
instead of an instance — or raises. Building the registry must then give a registry that
works, or raise :class:`~civicgrid.errors.PluginError` naming the plugin and the hook, with no
registry made and nothing left behind: the next build, without the plugin, is as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid import Guard, PluginError, Registry, WeekendCalendar, hookimpl, load_registry
from civicgrid.domain.admissibility import TopicRules
from civicgrid.domain.earning import EarningRule
from civicgrid.domain.requests import Channel, Dispatch, Request
from civicgrid.domain.schemes import GridCheck, GridScheme, PartyChain
from civicgrid.domain.time import DEFAULT_TZ
from civicgrid.errors import CivicGridError
from hardening_support import FUZZ, Tally

DOOR = "plugin return values"
PLUGIN = "fuzzed"
MAX_SECONDS = 2.0
BASELINE = load_registry(entry_points=False)
REQUEST = Request(
    id="r1",
    channel=Channel.HOTLINE_12345,
    text="锦华路路灯不亮",
    submitted_at=datetime(2026, 3, 2, 8, 15, tzinfo=DEFAULT_TZ),
)

HOOKS = (
    "register_methods",
    "register_guards",
    "register_observers",
    "register_grid_schemes",
    "register_party_chains",
    "register_grid_checks",
    "register_topic_rules",
    "register_earning_rules",
    "classify_request",
    "work_calendar",
    "prepare_converter",
)
ENTITIES: dict[str, type] = {
    "register_guards": Guard,
    "register_grid_checks": GridCheck,
    "register_grid_schemes": GridScheme,
    "register_party_chains": PartyChain,
    "register_topic_rules": TopicRules,
    "register_earning_rules": EarningRule,
}


def _raising_iterable() -> Iterator[object]:
    yield BASELINE.guards["feedback_given"]
    raise RuntimeError("the plugin's generator broke half way")


class _Boom:
    """An object whose every use raises: iterating it, calling it, asking its attributes."""

    def __iter__(self) -> Iterator[object]:
        raise ValueError("cannot iterate")

    def __call__(self, *args: object) -> object:
        raise ValueError("cannot call")


_GARBAGE: list[Callable[[], object]] = [
    lambda: None,
    lambda: 0,
    lambda: float("nan"),
    lambda: "six_self",
    lambda: b"bytes",
    dict,
    lambda: {"key": "x"},
    lambda: [None],
    lambda: [1, 2],
    lambda: [object()],
    lambda: ["six_self"],
    lambda: [{}],
    lambda: (x for x in [None]),
    _raising_iterable,
    _Boom,
    lambda: [_Boom()],
    lambda: WeekendCalendar,  # the class, not an instance
    WeekendCalendar,
    lambda: [WeekendCalendar()],
    lambda: [BASELINE.methods["six_self"]],  # a duplicate key
    lambda: [BASELINE.guards["feedback_given"]],
    lambda: [BASELINE.grid_checks[0]],
    lambda: list(BASELINE.grid_schemes.values())[:1],
    lambda: list(BASELINE.party_chains.values())[:1],
    lambda: list(BASELINE.topic_rules.values())[:1],
    lambda: list(BASELINE.earning_rules.values())[:1],
    lambda: Dispatch(category="x", level="compound", unit=None, assignee=None),
    lambda: [print],
    lambda: [lambda case, event: None],
]

_FIELD_VALUES = st.sampled_from(
    [None, "", " ", "x", "good_key", 0, -1, 1.5, [], ["x"], {}, {"x": 1}, print, object()]
)


@st.composite
def malformed_entities(draw: st.DrawFn, hook: str) -> Callable[[], object]:
    """Build the right entity for ``hook`` from wrong values, inside the hook as a plugin would.

    Or take an existing one and replace one of its fields with garbage.
    """
    existing: dict[str, list[Any]] = {
        "register_guards": list(BASELINE.guards.values()),
        "register_grid_checks": list(BASELINE.grid_checks),
        "register_grid_schemes": list(BASELINE.grid_schemes.values()),
        "register_party_chains": list(BASELINE.party_chains.values()),
        "register_topic_rules": list(BASELINE.topic_rules.values()),
        "register_earning_rules": list(BASELINE.earning_rules.values()),
    }
    templates = existing.get(hook) or existing["register_guards"]
    template = draw(st.sampled_from(templates))
    kind: Any = type(template) if hook in ENTITIES else Guard
    fields = attrs.fields(kind)
    values = {f.name: draw(_FIELD_VALUES) for f in fields if f.name != "plugin"}
    field = draw(st.sampled_from([f.name for f in fields if f.name != "plugin"]))
    value = draw(_FIELD_VALUES)
    if draw(st.booleans()):
        return lambda: [kind(**values)]
    return lambda: [attrs.evolve(template, **{field: value})]


@st.composite
def plugins(draw: st.DrawFn) -> tuple[SimpleNamespace, list[str]]:
    """A plugin answering one to three hooks with garbage; returns it and its hooks."""
    hooks = draw(st.lists(st.sampled_from(HOOKS), min_size=1, max_size=3, unique=True))
    impls: dict[str, object] = {}
    for hook in hooks:
        make = draw(st.sampled_from(_GARBAGE) | malformed_entities(hook))
        if hook == "prepare_converter":
            # Its answer is ignored: only raising (or breaking the converter) can hurt.
            impls[hook] = hookimpl(_call_garbage(make))
        elif hook == "classify_request":
            impls[hook] = hookimpl(_classify_with(make))
        else:
            impls[hook] = hookimpl(_answer(make))
    return SimpleNamespace(**impls), hooks


def _answer(make: Callable[[], object]) -> Callable[[], object]:
    def hook() -> object:
        return make()

    return hook


def _classify_with(make: Callable[[], object]) -> Callable[[Request], object]:
    def classify_request(request: Request) -> object:
        return make()

    return classify_request


def _call_garbage(make: Callable[[], object]) -> Callable[[Any], None]:
    def prepare_converter(converter: Any) -> None:
        value = make()
        if callable(value):
            value()

    return prepare_converter


def _build(plugin: SimpleNamespace) -> Registry | PluginError:
    started = time.perf_counter()
    try:
        result: Registry | PluginError = load_registry(
            entry_points=False, plugins=[(PLUGIN, plugin)]
        )
    except PluginError as exc:
        result = exc
    assert time.perf_counter() - started < MAX_SECONDS
    return result


@settings(FUZZ)
@given(case=plugins())
def test_garbage_from_any_hook_is_a_plugin_error_naming_it(
    case: tuple[SimpleNamespace, list[str]], tally: Tally
) -> None:
    """Garbage answers: a working registry, or PluginError naming the plugin and a hook."""
    plugin, hooks = case
    result = _build(plugin)
    if isinstance(result, PluginError):
        tally.add("fuzz", DOOR, "refused")
        assert result.plugin == PLUGIN or result.plugin.startswith("civicgrid."), result
        if result.plugin == PLUGIN:
            assert result.hook in hooks, result
        assert PLUGIN in str(result) or result.hook == "register_topic_rules", result
    else:
        assert isinstance(result, Registry)
        _works(result, hooks, tally)
    # Nothing left behind: the next build without the plugin is the one before.
    again = load_registry(entry_points=False)
    assert dict(again.methods) == dict(BASELINE.methods)
    assert set(again.guards) == set(BASELINE.guards)


def _works(registry: Registry, hooks: list[str], tally: Tally) -> None:
    """A registry that was made holds only well-formed items, and its dispatcher answers."""
    for name, guard in registry.guards.items():
        assert isinstance(name, str)
        assert name.strip()
        assert callable(guard.check)
    for check in registry.grid_checks:
        assert isinstance(check.name, str)
        assert callable(check.check)
    for key in (*registry.grid_schemes, *registry.party_chains, *registry.earning_rules):
        assert isinstance(key, str)
        assert key.strip()
    if "classify_request" in hooks:
        answer = _outcome(lambda: registry.classify_request(REQUEST))
        if isinstance(answer, CivicGridError):
            assert isinstance(answer, PluginError), answer
            assert (answer.plugin, answer.hook) == (PLUGIN, "classify_request"), answer
            tally.add("fuzz", DOOR, "refused")
            return
        assert answer is None or isinstance(answer, Dispatch)
    tally.add("fuzz", DOOR, "loaded")


@settings(FUZZ)
@given(hook=st.sampled_from(HOOKS), error=st.sampled_from([ValueError, KeyError, TypeError]))
def test_a_hook_that_raises_is_a_plugin_error_naming_it(
    hook: str, error: type[Exception], tally: Tally
) -> None:
    """A hook that raises gives PluginError naming the plugin and the hook.

    ``classify_request`` is asked per request, so it fails when a request is classified.
    """

    def boom(*args: object) -> object:
        raise error("broken plugin")

    def classify_request(request: Request) -> object:
        raise error("broken plugin")

    def prepare_converter(converter: Any) -> None:
        raise error("broken plugin")

    impl = {"classify_request": classify_request, "prepare_converter": prepare_converter}.get(
        hook, boom
    )
    built = _build(SimpleNamespace(**{hook: hookimpl(impl)}))
    result: object = built
    if isinstance(built, Registry):
        assert hook == "classify_request"
        result = _outcome(lambda: built.classify_request(REQUEST))
    tally.add("fuzz", DOOR, "refused")
    assert isinstance(result, PluginError), result
    assert (result.plugin, result.hook) == (PLUGIN, hook)
    assert error.__name__ in str(result)


def _outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except CivicGridError as exc:
        return exc


def _yes(*_args: object) -> bool:
    return True


def test_a_guard_with_a_blank_name_or_labels_is_refused() -> None:
    """Regression: a guard with a non-text name or blank labels is refused at the build.

    It used to be registered as it was, to fail later when a refusal had to be explained.
    """
    for guard in (
        Guard(name=5, check=_yes, label_zh="须", label_en="must"),  # type: ignore[arg-type]
        Guard(name=" ", check=_yes, label_zh="须", label_en="must"),
        Guard(name="g", check=_yes, label_zh=None, label_en="must"),  # type: ignore[arg-type]
        Guard(name="g", check=_yes, label_zh="须", label_en=""),
    ):
        result = _build(SimpleNamespace(register_guards=hookimpl(lambda g=guard: [g])))
        assert isinstance(result, PluginError), guard
        assert (result.plugin, result.hook) == (PLUGIN, "register_guards")


def test_a_scheme_or_chain_with_a_blank_key_is_refused() -> None:
    """Regression: a grid scheme or party chain keyed by a number, None or blank is refused.

    The build names the plugin and the hook; such items used to be registered as they were.
    """
    scheme: Any = next(iter(BASELINE.grid_schemes.values()))
    chain: Any = next(iter(BASELINE.party_chains.values()))
    for hook, item in [
        *(("register_grid_schemes", attrs.evolve(scheme, key=key)) for key in (" ", 5, None)),
        *(("register_party_chains", attrs.evolve(chain, key=key)) for key in (" ", 5, None)),
    ]:
        result = _build(SimpleNamespace(**{hook: hookimpl(lambda i=item: [i])}))
        assert isinstance(result, PluginError), item
        assert (result.plugin, result.hook) == (PLUGIN, hook)
