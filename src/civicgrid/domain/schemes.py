"""Grid schemes and party chains as data, and the checks that hold a tree to them.

A :class:`GridScheme` says which unit kinds a city's grid uses, which kind may sit under
which, and its sizing and staffing rules: Chengdu's "3+1" (G2), Hefei/Wuhu's one compound one
grid (G3), Guizhou's one centre, one grid, ten linked households (G4), building-level grids
(G5). A :class:`PartyChain` says the same for the party organisations bound to the units (O1
four levels, O2 three levels, O3 Chengdu's grid party organisations).

Schemes, chains and checks come from plugins (``register_grid_schemes``,
``register_party_chains``, ``register_grid_checks``); :func:`run_checks` runs a set of
:class:`GridCheck` on a :class:`GridContext` and returns their :class:`Finding` records. The
library's own rules are checks registered by the built-in plugin ``civicgrid.grid_checks``,
through the same hook a city's extra rules use.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from types import MappingProxyType

import attrs

from civicgrid.domain.findings import Finding, Severity
from civicgrid.domain.organisations import Organisations, OrgKind
from civicgrid.domain.people import Roster
from civicgrid.domain.units import UnitKind, UnitTree
from civicgrid.errors import InvalidData, PluginError, Problem

__all__ = [
    "ChainLevel",
    "GridCheck",
    "GridContext",
    "GridScheme",
    "Measure",
    "PartyChain",
    "SizeLimit",
    "run_checks",
]


class Measure(enum.StrEnum):
    """What a size limit counts: households (户) or residents (人)."""

    HOUSEHOLDS = "households"
    RESIDENTS = "residents"

    @property
    def label_zh(self) -> str:
        """户 or 人."""
        return "户" if self is Measure.HOUSEHOLDS else "人"

    @property
    def label_en(self) -> str:
        """The English word: households or residents."""
        return self.value


def _frozen_mapping(
    value: Mapping[UnitKind, Iterable[UnitKind]],
) -> Mapping[UnitKind, frozenset[UnitKind]]:
    return MappingProxyType({kind: frozenset(parents) for kind, parents in value.items()})


def _unit_kinds(value: Iterable[UnitKind]) -> frozenset[UnitKind]:
    return frozenset(value)


def _org_kinds(value: Iterable[OrgKind]) -> frozenset[OrgKind]:
    return frozenset(value)


def _limits(value: Iterable[SizeLimit]) -> tuple[SizeLimit, ...]:
    return tuple(value)


def _levels(value: Iterable[ChainLevel]) -> tuple[ChainLevel, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class SizeLimit:
    """Units of ``kind`` should count between ``minimum`` and ``maximum`` of ``measure``.

    G5: "a grid easily holds 4,000–5,000 people, the grid worker cannot cope" is a
    ``SizeLimit(kind=GRID, measure=RESIDENTS, maximum=…)`` a city sets; G3's areas of about
    500 households are a limit on ``AREA`` households.
    """

    kind: UnitKind
    measure: Measure
    maximum: int | None = None
    minimum: int | None = None
    severity: Severity = Severity.WARNING

    def __attrs_post_init__(self) -> None:
        if self.maximum is None and self.minimum is None:
            raise InvalidData(
                f"size limit on {self.kind}",
                [Problem("maximum", "give a maximum, a minimum or both")],
            )
        if self.maximum is not None and self.minimum is not None and self.minimum > self.maximum:
            raise InvalidData(
                f"size limit on {self.kind}",
                [Problem("minimum", f"{self.minimum} is above the maximum {self.maximum}")],
            )


@attrs.frozen(kw_only=True)
class GridScheme:
    """A city's grid scheme: its kinds, which may sit under which, and its rules.

    ``parents`` maps each kind to the kinds allowed directly above it; ``root_kinds`` are the
    kinds allowed at the root (a city, a district …). A kind that is neither is not part of
    the scheme. ``workers_per_10k`` is the staffing floor of G7 (18 community workers per
    10,000 residents) measured on units of ``staffing_kind``. ``household_leader_max`` is the
    most households one household leader (联户长) may hold before a check reports it (G4's
    "about 10" households, with the slack a city allows). ``party_chain`` names the
    :class:`PartyChain` the scheme's party organisations follow.
    """

    key: str
    label_zh: str
    label_en: str
    root_kinds: frozenset[UnitKind] = attrs.field(converter=_unit_kinds)
    parents: Mapping[UnitKind, frozenset[UnitKind]] = attrs.field(converter=_frozen_mapping)
    limits: tuple[SizeLimit, ...] = attrs.field(default=(), converter=_limits)
    workers_per_10k: float | None = None
    staffing_kind: UnitKind = UnitKind.COMMUNITY
    household_leader_max: int | None = None
    party_chain: str | None = None
    source: str = ""
    """Where the scheme comes from (DOMAIN.md id and seed file, e.g. ``G2, 003``)."""
    description: str = ""
    plugin: str | None = attrs.field(default=None, eq=False)

    @property
    def kinds(self) -> frozenset[UnitKind]:
        """Every kind the scheme uses."""
        return self.root_kinds | frozenset(self.parents)


@attrs.frozen(kw_only=True)
class ChainLevel:
    """One level of a party chain: its organisation kinds, the units they serve, what is above.

    ``units`` are the unit kinds an organisation of this level is bound to (a 微网格党支部 is a
    ``party_branch`` bound to a ``micro_grid``); ``parents`` the organisation kinds allowed
    directly above; empty means any parent is accepted (the top level, or a level whose
    parent a city leaves open). With ``required``, every unit of those kinds in the tree
    must have one: a compound without its party organisation is a finding (G3).
    """

    kinds: frozenset[OrgKind] = attrs.field(converter=_org_kinds)
    units: frozenset[UnitKind] = attrs.field(converter=_unit_kinds)
    parents: frozenset[OrgKind] = attrs.field(default=frozenset(), converter=_org_kinds)
    required: bool = False
    label_zh: str = ""
    label_en: str = ""


@attrs.frozen(kw_only=True)
class PartyChain:
    """A chain of party organisations from the top level down (O1, O2, O3)."""

    key: str
    label_zh: str
    label_en: str
    levels: tuple[ChainLevel, ...] = attrs.field(converter=_levels)
    source: str = ""
    description: str = ""
    plugin: str | None = attrs.field(default=None, eq=False)


@attrs.frozen(kw_only=True)
class GridContext:
    """What a check looks at: the tree, its scheme, and optionally organisations and people.

    ``on`` is the date appointments and organisation terms are read on. ``chain`` is the
    scheme's party chain when the scheme names one and it is installed.
    """

    tree: UnitTree
    scheme: GridScheme
    on: date
    organisations: Organisations = attrs.field(factory=Organisations)
    roster: Roster = attrs.field(factory=Roster)
    chain: PartyChain | None = None


CheckFunction = Callable[[GridContext], Iterable[Finding]]


@attrs.frozen(kw_only=True)
class GridCheck:
    """A named rule a plugin adds to every grid check; ``check(context)`` returns findings.

    A check reads only what it needs and returns nothing when the scheme does not configure
    its rule (a scheme without ``workers_per_10k`` has no staffing finding).
    """

    name: str
    check: CheckFunction
    label_zh: str
    label_en: str
    plugin: str | None = attrs.field(default=None, eq=False)


def run_checks(context: GridContext, checks: Iterable[GridCheck]) -> tuple[Finding, ...]:
    """Run every check on ``context``; return the findings, most severe first.

    Each finding records the plugin of the check that made it. A check that raises, or returns
    something other than findings, raises :class:`~civicgrid.errors.PluginError` naming it.
    Within a severity, findings keep the order of the checks and of each check's output.
    """
    findings: list[Finding] = []
    for check in checks:
        plugin = check.plugin or check.name
        try:
            produced = list(check.check(context))
        except Exception as exc:
            raise PluginError(
                plugin,
                "register_grid_checks",
                f"check {check.name!r} raised {type(exc).__name__}: {exc}",
                f"检查 {check.name!r} 抛出异常 {type(exc).__name__}: {exc}",
            ) from exc
        for item in produced:
            if not isinstance(item, Finding):
                raise PluginError(
                    plugin,
                    "register_grid_checks",
                    f"check {check.name!r} returned {type(item).__name__}, expected Finding",
                    f"检查 {check.name!r} 返回了 {type(item).__name__}，应为 Finding",
                )
            findings.append(attrs.evolve(item, plugin=check.plugin) if check.plugin else item)
    findings.sort(key=lambda f: -f.severity.rank)
    return tuple(findings)
