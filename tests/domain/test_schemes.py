"""Scheme data and run_checks: limits validated, checks' failures named, findings ordered."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pytest

from civicgrid import (
    Finding,
    GridCheck,
    GridContext,
    GridScheme,
    InvalidData,
    Measure,
    PluginError,
    Severity,
    SizeLimit,
    Unit,
    UnitKind,
    UnitTree,
    run_checks,
)

SCHEME = GridScheme(
    key="tiny",
    label_zh="小方案",
    label_en="tiny scheme",
    root_kinds={UnitKind.COMMUNITY},
    parents={UnitKind.GRID: {UnitKind.COMMUNITY}},
)


def context() -> GridContext:
    """A community with one grid, checked against the tiny scheme."""
    tree = UnitTree(
        [
            Unit(id="c", kind=UnitKind.COMMUNITY, name_zh="社区", parent=None),
            Unit(id="g", kind=UnitKind.GRID, name_zh="网格", parent="c", residents=4500),
        ]
    )
    return GridContext(tree=tree, scheme=SCHEME, on=date(2026, 11, 23))


def test_a_scheme_lists_its_kinds() -> None:
    """Kinds is the root kinds plus every kind with allowed parents."""
    assert SCHEME.kinds == {UnitKind.COMMUNITY, UnitKind.GRID}
    assert SCHEME.parents[UnitKind.GRID] == frozenset({UnitKind.COMMUNITY})


def test_a_size_limit_needs_a_bound_in_order() -> None:
    """No bound at all, or a minimum above the maximum, is refused with the field named."""
    with pytest.raises(InvalidData) as none:
        SizeLimit(kind=UnitKind.GRID, measure=Measure.RESIDENTS)
    assert none.value.problems[0].path == "maximum"
    with pytest.raises(InvalidData) as crossed:
        SizeLimit(kind=UnitKind.GRID, measure=Measure.RESIDENTS, minimum=10, maximum=5)
    assert crossed.value.problems[0].path == "minimum"
    assert Measure.HOUSEHOLDS.label_zh == "户"


def big_grids(ctx: GridContext) -> Iterable[Finding]:
    """Report grids over 4,000 residents (G5: 一个网格动辄四五千人)."""
    for unit in ctx.tree.descendants(ctx.tree.root.id, UnitKind.GRID):
        residents = ctx.tree.residents(unit.id)
        if residents > 4000:
            yield Finding(
                rule="big",
                severity=Severity.WARNING,
                unit=unit.id,
                value=residents,
                limit=4000,
                message_en="grid too big",
                message_zh="网格过大",
            )


def note(_ctx: GridContext) -> list[Finding]:
    """Always report one informational finding."""
    return [Finding(rule="note", severity=Severity.INFO, message_en="n", message_zh="注")]


def test_findings_come_most_severe_first_with_their_plugin() -> None:
    """run_checks sorts by severity and stamps each finding with its check's plugin."""
    checks = [
        GridCheck(name="note", check=note, label_zh="注", label_en="note", plugin="a"),
        GridCheck(name="big", check=big_grids, label_zh="大", label_en="big", plugin="b"),
    ]
    findings = run_checks(context(), checks)
    assert [(f.rule, f.plugin, f.value) for f in findings] == [
        ("big", "b", 4500),
        ("note", "a", None),
    ]


def test_a_raising_check_is_named_in_a_plugin_error() -> None:
    """A check that raises becomes a PluginError naming plugin and check."""

    def broken(_ctx: GridContext) -> list[Finding]:
        raise RuntimeError("database down")

    with pytest.raises(PluginError) as failed:
        run_checks(
            context(),
            [GridCheck(name="x", check=broken, label_zh="x", label_en="x", plugin="city")],
        )
    assert failed.value.plugin == "city"
    assert "database down" in str(failed.value)
    assert isinstance(failed.value.__cause__, RuntimeError)


def test_a_check_returning_something_else_is_named() -> None:
    """Returning strings instead of findings is a PluginError, not a silent skip."""

    def wrong(_ctx: GridContext) -> list[Finding]:
        return ["grid too big"]  # type: ignore[list-item]

    with pytest.raises(PluginError, match="expected Finding"):
        run_checks(context(), [GridCheck(name="w", check=wrong, label_zh="w", label_en="w")])
