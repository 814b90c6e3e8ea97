"""Built-in plugin ``civicgrid.grid_checks``: the library's rules for a unit tree and its scheme.

Five checks, each a :class:`~civicgrid.domain.schemes.GridCheck` whose findings carry its name
as their ``rule``:

- ``civicgrid.kind_order`` (G1–G5): every unit's kind is in the scheme and sits under a kind
  the scheme allows; the root is of a root kind.
- ``civicgrid.size_limits`` (G2, G3, G5): each of the scheme's size limits, on the households
  or residents rolled up to each unit of its kind.
- ``civicgrid.staffing`` (G7): community workers per 10,000 residents of each unit of the
  scheme's staffing kind.
- ``civicgrid.party_coverage`` (G3, O1–O3): every unit of a required level of the party chain
  has an organisation of that level, and each chain organisation sits where the chain says.
- ``civicgrid.household_leaders`` (G4): no household leader holds more households than the
  scheme allows, and every linked-household group has its leader.

Each check makes one pass over the tree (and one over the organisations or the roster), reads
roll-ups rather than walking ancestors, and returns its findings in tree order, so that the
same input always gives the same findings. A check whose rule the scheme does not configure
returns nothing; one that lacks its data (no organisations, no community workers) returns a
single ``info`` finding saying it could not measure, instead of a finding per unit. A city
blocks this plugin by name (``blocked=["civicgrid.grid_checks"]``) to replace the rules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from civicgrid.domain.findings import Finding, Severity
from civicgrid.domain.organisations import Organisation, Organisations, OrgKind
from civicgrid.domain.people import Seat
from civicgrid.domain.schemes import ChainLevel, GridCheck, GridContext, Measure, SizeLimit
from civicgrid.domain.units import Unit, UnitKind, UnitTree
from civicgrid.plugins.markers import hookimpl

__all__ = [
    "HOUSEHOLD_LEADERS",
    "KIND_ORDER",
    "PARTY_COVERAGE",
    "SIZE_LIMITS",
    "STAFFING",
    "check_household_leaders",
    "check_kind_order",
    "check_party_coverage",
    "check_size_limits",
    "check_staffing",
    "register_grid_checks",
]

KIND_ORDER = "civicgrid.kind_order"
SIZE_LIMITS = "civicgrid.size_limits"
STAFFING = "civicgrid.staffing"
PARTY_COVERAGE = "civicgrid.party_coverage"
HOUSEHOLD_LEADERS = "civicgrid.household_leaders"


def _en(unit: Unit) -> str:
    return f"{unit.kind.label_en} {unit.name_en or unit.name_zh} ({unit.id})"


def _zh(unit: Unit) -> str:
    return f"{unit.kind.label_zh}「{unit.name_zh}」（{unit.id}）"


def _finding(
    rule: str,
    severity: Severity,
    unit: Unit | None,
    message_en: str,
    message_zh: str,
    *,
    value: float | None = None,
    limit: float | None = None,
    subject: str | None = None,
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        unit=None if unit is None else unit.id,
        subject=subject,
        value=value,
        limit=limit,
        message_en=message_en,
        message_zh=message_zh,
    )


def _kinds_en(kinds: Iterable[UnitKind | OrgKind]) -> str:
    return ", ".join(sorted(kind.label_en for kind in kinds)) or "none"


def _kinds_zh(kinds: Iterable[UnitKind | OrgKind]) -> str:
    return "、".join(sorted(kind.label_zh for kind in kinds)) or "无"


# --------------------------------------------------------------------------- kind order


def check_kind_order(context: GridContext) -> list[Finding]:
    """Report units of kinds the scheme lacks, under parents it does not allow, or at the root.

    Every finding is an error: the other rules read the tree through the scheme's order (the
    staffing of each community, the party organisation of each compound), so a tree out of
    order cannot be measured the way the scheme means. The messages list the allowed kinds.
    """
    scheme = context.scheme
    tree = context.tree
    kinds = scheme.kinds
    parents = scheme.parents
    findings: list[Finding] = []
    for unit in tree:
        kind = unit.kind
        if kind not in kinds:
            findings.append(
                _order_finding(
                    unit,
                    f"{_en(unit)}: kind {kind.label_en!r} is not part of the scheme "
                    f"'{scheme.label_en}'",
                    f"{_zh(unit)}：层级「{kind.label_zh}」不属于方案「{scheme.label_zh}」",
                )
            )
        elif unit.parent is None:
            if kind not in scheme.root_kinds:
                findings.append(
                    _order_finding(
                        unit,
                        f"{_en(unit)} is the root, but the scheme '{scheme.label_en}' roots a "
                        f"tree only at: {_kinds_en(scheme.root_kinds)}",
                        f"{_zh(unit)} 位于根部，但方案「{scheme.label_zh}」的根只能是："
                        f"{_kinds_zh(scheme.root_kinds)}",
                    )
                )
        else:
            parent = tree.unit(unit.parent)
            allowed = parents.get(kind, frozenset())
            if parent.kind not in allowed:
                findings.append(
                    _order_finding(
                        unit,
                        f"{_en(unit)} sits under {_en(parent)}; the scheme '{scheme.label_en}' "
                        f"puts a {kind.label_en} only under: {_kinds_en(allowed)}",
                        f"{_zh(unit)} 位于{_zh(parent)}之下；方案「{scheme.label_zh}」中"
                        f"{kind.label_zh}只能位于以下层级之下：{_kinds_zh(allowed)}",
                    )
                )
    return findings


def _order_finding(unit: Unit, message_en: str, message_zh: str) -> Finding:
    return _finding(KIND_ORDER, Severity.ERROR, unit, message_en, message_zh)


# --------------------------------------------------------------------------- size limits


def check_size_limits(context: GridContext) -> list[Finding]:
    """Report each unit whose rolled-up households or residents break a size limit.

    The severity is the limit's own; ``value`` is the unit's figure, ``limit`` the bound it
    broke. A unit with no figure below it counts 0, so a minimum flags units without data.
    """
    by_kind: dict[UnitKind, list[SizeLimit]] = {}
    for limit in context.scheme.limits:
        by_kind.setdefault(limit.kind, []).append(limit)
    if not by_kind:
        return []
    tree = context.tree
    findings: list[Finding] = []
    for unit in tree:
        limits = by_kind.get(unit.kind)
        if limits is None:
            continue
        for limit in limits:
            finding = _size_finding(tree, unit, limit)
            if finding is not None:
                findings.append(finding)
    return findings


def _size_finding(tree: UnitTree, unit: Unit, limit: SizeLimit) -> Finding | None:
    if limit.measure is Measure.HOUSEHOLDS:
        value = tree.households(unit.id)
    else:
        value = tree.residents(unit.id)
    measure_en, measure_zh = limit.measure.value, limit.measure.label_zh
    if limit.maximum is not None and value > limit.maximum:
        bound = limit.maximum
        message_en = f"{_en(unit)} has {value:,} {measure_en}, above the maximum of {bound:,}"
        message_zh = f"{_zh(unit)}有 {value} {measure_zh}，超过上限 {bound} {measure_zh}"
    elif limit.minimum is not None and value < limit.minimum:
        bound = limit.minimum
        message_en = f"{_en(unit)} has {value:,} {measure_en}, below the minimum of {bound:,}"
        message_zh = f"{_zh(unit)}仅有 {value} {measure_zh}，低于下限 {bound} {measure_zh}"
    else:
        return None
    return _finding(
        SIZE_LIMITS, limit.severity, unit, message_en, message_zh, value=value, limit=bound
    )


# --------------------------------------------------------------------------- staffing


def check_staffing(context: GridContext) -> list[Finding]:
    """Report each unit of the staffing kind below ``workers_per_10k`` (G7), as a warning.

    A community worker is an appointment of :attr:`Seat.COMMUNITY_WORKER` held on
    ``context.on``; it counts for the unit it names, or else for the unit its organisation
    serves, and for every unit above that (a roll-up with :meth:`UnitTree.sum_up`). A person
    counts once per unit. Without any community worker on that date the rule cannot measure and
    says so in one ``info`` finding; units without residents are likewise summed up in one.
    """
    floor = context.scheme.workers_per_10k
    if floor is None:
        return []
    tree, on = context.tree, context.on
    kind = context.scheme.staffing_kind
    seen: set[tuple[str, str]] = set()
    counts: dict[str, float] = {}
    measured = False
    for appointment in context.roster:
        if appointment.role != Seat.COMMUNITY_WORKER or not appointment.held_on(on):
            continue
        measured = True
        unit_id = appointment.unit
        if unit_id is None or unit_id not in tree:
            unit_id = _unit_of_org(context.organisations, appointment.org)
        if unit_id is None or unit_id not in tree or (appointment.person, unit_id) in seen:
            continue
        seen.add((appointment.person, unit_id))
        counts[unit_id] = counts.get(unit_id, 0) + 1
    if not measured:
        return [
            _finding(
                STAFFING,
                Severity.INFO,
                None,
                f"staffing not measured: the roster has no community worker on "
                f"{on.isoformat()} (the floor is {floor:g} per 10,000 residents)",
                f"未能核算社区工作者配备：名册中 {on.isoformat()} 无在任社区工作者"
                f"（标准为每万人不少于 {floor:g} 名）",
            )
        ]
    workers = tree.sum_up(counts)
    findings: list[Finding] = []
    unmeasured = 0
    for unit in tree:
        if unit.kind is not kind:
            continue
        residents = tree.residents(unit.id)
        if residents == 0:
            unmeasured += 1
            continue
        staff = workers[unit.id]
        if staff * 10_000 >= floor * residents:
            continue
        ratio = staff * 10_000 / residents
        needed = math.ceil(floor * residents / 10_000)
        findings.append(
            _finding(
                STAFFING,
                Severity.WARNING,
                unit,
                f"{_en(unit)} has {staff:g} community workers for {residents:,} residents: "
                f"{ratio:.1f} per 10,000, below the floor of {floor:g} ({needed} needed)",
                f"{_zh(unit)}有社区工作者 {staff:g} 名、常住人口 {residents} 人，"
                f"每万人 {ratio:.1f} 名，低于每万人 {floor:g} 名的标准（应配 {needed} 名）",
                value=round(ratio, 2),
                limit=floor,
            )
        )
    if unmeasured:
        findings.append(
            _finding(
                STAFFING,
                Severity.INFO,
                None,
                f"staffing not measured in {unmeasured} {kind.label_en} unit(s) without "
                f"resident figures",
                f"{unmeasured} 个{kind.label_zh}无人口数据，未核算社区工作者配备",
                value=unmeasured,
            )
        )
    return findings


def _unit_of_org(organisations: Organisations, org_id: str | None) -> str | None:
    if org_id is None or org_id not in organisations:
        return None
    return organisations.get(org_id).unit


# --------------------------------------------------------------------------- party coverage


def check_party_coverage(context: GridContext) -> list[Finding]:
    """Check the scheme's party chain: required units covered, organisations where they belong.

    An organisation's level is the first level that admits both its kind and the kind of the
    unit it serves. Each active organisation of a chain kind bound to a unit kind no level
    gives it, or whose parent organisation is missing or of a kind its level does not admit
    (levels without ``parents`` are the top: any parent), is a warning. Each unit of a required
    level without an active organisation of that level is an error, unless the unit directly
    above is of the same level and has one (a compound inside an area shares the area's
    organisation, G3). Without any organisation of a chain kind the rule cannot measure and
    says so in one ``info`` finding; organisations serving units outside the tree are counted
    in another.
    """
    chain = context.chain
    if chain is None:
        return []
    tree, on, organisations = context.tree, context.on, context.organisations
    levels = chain.levels
    chain_kinds = frozenset().union(*(level.kinds for level in levels))
    if not any(org.kind in chain_kinds for org in organisations):
        return [
            _finding(
                PARTY_COVERAGE,
                Severity.INFO,
                None,
                f"party coverage not measured: no organisation of the chain "
                f"'{chain.label_en}' was given",
                f"未能核算党组织覆盖：未提供「{chain.label_zh}」链条中的任何组织",
            )
        ]
    level_of: dict[tuple[OrgKind, UnitKind], int] = {}
    for index, level in enumerate(levels):
        for org_kind in level.kinds:
            for unit_kind in level.units:
                level_of.setdefault((org_kind, unit_kind), index)
    covered: set[tuple[int, str]] = set()
    findings: list[Finding] = []
    outside = 0
    for org in organisations:
        if org.kind not in chain_kinds or not org.active_on(on):
            continue
        if org.unit not in tree:
            outside += 1
            continue
        unit = tree.unit(org.unit)
        found = level_of.get((org.kind, unit.kind))
        if found is None:
            bound = {u for lv in levels if org.kind in lv.kinds for u in lv.units}
            findings.append(
                _chain_warning(
                    org.id,
                    unit,
                    f"{org.kind.label_en} {org.name_zh} ({org.id}) serves {_en(unit)}; the "
                    f"chain '{chain.label_en}' binds a {org.kind.label_en} only to: "
                    f"{_kinds_en(bound)}",
                    f"{org.kind.label_zh}「{org.name_zh}」（{org.id}）设在{_zh(unit)}；"
                    f"「{chain.label_zh}」中{org.kind.label_zh}只设在：{_kinds_zh(bound)}",
                )
            )
            continue
        covered.add((found, unit.id))
        finding = _parent_finding(organisations, org, levels[found], unit)
        if finding is not None:
            findings.append(finding)

    required: dict[UnitKind, list[int]] = {}
    for index, level in enumerate(levels):
        if level.required:
            for unit_kind in level.units:
                required.setdefault(unit_kind, []).append(index)
    day = on.isoformat()
    for unit in tree:
        for index in required.get(unit.kind, ()):
            if (index, unit.id) in covered or (index, unit.parent) in covered:
                continue
            level = levels[index]
            findings.append(
                _finding(
                    PARTY_COVERAGE,
                    Severity.ERROR,
                    unit,
                    f"{_en(unit)} has no {level.label_en or 'party organisation'} on {day} "
                    f"(the chain '{chain.label_en}' requires one: {_kinds_en(level.kinds)})",
                    f"{_zh(unit)}于 {day} 未设{level.label_zh or '党组织'}"
                    f"（「{chain.label_zh}」要求设立：{_kinds_zh(level.kinds)}）",
                )
            )
    if outside:
        findings.append(
            _finding(
                PARTY_COVERAGE,
                Severity.INFO,
                None,
                f"{outside} party organisation(s) serve units outside this tree",
                f"{outside} 个党组织所在单元不在本树中，未予核查",
                value=outside,
            )
        )
    return findings


def _parent_finding(
    organisations: Organisations, org: Organisation, level: ChainLevel, unit: Unit
) -> Finding | None:
    if not level.parents:
        return None
    name_en = f"{org.kind.label_en} {org.name_zh} ({org.id}) at {_en(unit)}"
    name_zh = f"{_zh(unit)}的{org.kind.label_zh}「{org.name_zh}」（{org.id}）"
    expected_en, expected_zh = _kinds_en(level.parents), _kinds_zh(level.parents)
    if org.parent is None:
        return _chain_warning(
            org.id,
            unit,
            f"{name_en} has no parent organisation; its level answers to: {expected_en}",
            f"{name_zh}未设上级组织；其上级应为：{expected_zh}",
        )
    parent = organisations.get(org.parent)
    if parent.kind in level.parents:
        return None
    return _chain_warning(
        org.id,
        unit,
        f"{name_en} answers to {parent.kind.label_en} {parent.name_zh} ({parent.id}); its "
        f"level answers to: {expected_en}",
        f"{name_zh}的上级为{parent.kind.label_zh}「{parent.name_zh}」（{parent.id}）；"
        f"其上级应为：{expected_zh}",
    )


def _chain_warning(org_id: str, unit: Unit, message_en: str, message_zh: str) -> Finding:
    return _finding(PARTY_COVERAGE, Severity.WARNING, unit, message_en, message_zh, subject=org_id)


# --------------------------------------------------------------------------- household leaders


def check_household_leaders(context: GridContext) -> list[Finding]:
    """Report household leaders holding too many households, and groups without a leader (G4).

    With the scheme's ``household_leader_max``: each linked-household group
    (:attr:`UnitKind.HOUSEHOLD_GROUP`) of more households is a warning; so is each other unit
    served by household leaders (:attr:`Seat.HOUSEHOLD_LEADER` appointments held on
    ``context.on``) with more households per leader. When the roster holds any appointment,
    each group without a household leader on that date is a warning too.
    """
    maximum = context.scheme.household_leader_max
    if maximum is None:
        return []
    tree, on, roster = context.tree, context.on, context.roster
    leaders: dict[str, int] = {}
    for appointment in roster:
        unit_id = appointment.unit
        if (
            appointment.role == Seat.HOUSEHOLD_LEADER
            and unit_id is not None
            and unit_id in tree
            and appointment.held_on(on)
        ):
            leaders[unit_id] = leaders.get(unit_id, 0) + 1
    check_leaders = len(roster) > 0
    group = UnitKind.HOUSEHOLD_GROUP
    findings: list[Finding] = []
    for unit in tree:
        if unit.kind is not group:
            continue
        households = tree.households(unit.id)
        if households > maximum:
            findings.append(_leader_finding(unit, households, 1, maximum))
        if check_leaders and unit.id not in leaders:
            findings.append(
                _finding(
                    HOUSEHOLD_LEADERS,
                    Severity.WARNING,
                    unit,
                    f"{_en(unit)} ({households} households) has no household leader on "
                    f"{on.isoformat()}",
                    f"{_zh(unit)}（{households} 户）于 {on.isoformat()} 无在任联户长",
                    value=households,
                )
            )
    for unit_id, count in leaders.items():
        unit = tree.unit(unit_id)
        if unit.kind is group:
            continue
        households = tree.households(unit_id)
        if households > maximum * count:
            findings.append(_leader_finding(unit, households, count, maximum))
    return findings


def _leader_finding(unit: Unit, households: int, leaders: int, maximum: int) -> Finding:
    per_leader = households / leaders
    return _finding(
        HOUSEHOLD_LEADERS,
        Severity.WARNING,
        unit,
        f"{_en(unit)}: {households} households for {leaders} household leader(s), "
        f"{per_leader:.1f} each, above the {maximum} one leader may hold",
        f"{_zh(unit)}：{households} 户由 {leaders} 名联户长联系，人均 {per_leader:.1f} 户，"
        f"超过每名联户长 {maximum} 户的上限",
        value=round(per_leader, 1),
        limit=maximum,
    )


# --------------------------------------------------------------------------- the hook


_CHECKS = (
    (
        KIND_ORDER,
        check_kind_order,
        "层级须符合网格方案",
        "units follow the scheme's order of kinds",
    ),
    (SIZE_LIMITS, check_size_limits, "网格规模须在方案限度内", "units stay within size limits"),
    (
        STAFFING,
        check_staffing,
        "社区工作者配备须达标（每万人）",
        "community workers per 10,000 residents meet the floor",
    ),
    (
        PARTY_COVERAGE,
        check_party_coverage,
        "党组织须按链条全覆盖",
        "party organisations cover the units their chain requires",
    ),
    (
        HOUSEHOLD_LEADERS,
        check_household_leaders,
        "联户长联系户数须在上限内",
        "household leaders hold no more households than the scheme allows",
    ),
)


@hookimpl
def register_grid_checks() -> list[GridCheck]:
    """Provide the library's five grid rules."""
    return [
        GridCheck(name=name, check=check, label_zh=zh, label_en=en)
        for name, check, zh, en in _CHECKS
    ]
