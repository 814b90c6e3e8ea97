"""Built-in plugin ``civicgrid.party_chains``: the party chains of DOMAIN.md O1, O2 and O3.

Each chain is a :class:`~civicgrid.domain.schemes.PartyChain`: its levels from the top down,
each saying which organisation kinds sit at it, which unit kinds they are bound to, which
organisation kinds may sit directly above, and whether every unit of those kinds must have
one (``required``). The grid-check plugin (``civicgrid.grid_checks``) reads them to report
uncovered units and broken links.

Every chain starts at the community's own party organisation. A community's party
organisation is a committee (党委), a general branch (党总支) or a branch (党支部) depending on
how many members it has, so that level admits all three; the kind of the organisation and the
kind of the unit it serves together say which level an organisation is at (a 党支部 on a
compound is a compound branch, on a micro grid a micro-grid branch).

A city changes a chain with :func:`attrs.evolve` (``required=False`` on a level, another kind
admitted) and registers the result under its own key.
"""

from __future__ import annotations

from civicgrid.domain.organisations import OrgKind
from civicgrid.domain.schemes import ChainLevel, PartyChain
from civicgrid.domain.units import UnitKind
from civicgrid.plugins.markers import hookimpl

__all__ = [
    "CHENGDU_3PLUS1",
    "COMMUNITY_PARTY_KINDS",
    "FOUR_LEVEL",
    "THREE_LEVEL",
    "register_party_chains",
]

COMMUNITY_PARTY_KINDS = frozenset(
    {OrgKind.PARTY_COMMITTEE, OrgKind.PARTY_GENERAL_BRANCH, OrgKind.PARTY_BRANCH}
)
"""What a community's (or village's) own party organisation may be, by size of membership."""

_BRANCHES = frozenset({OrgKind.PARTY_GENERAL_BRANCH, OrgKind.PARTY_BRANCH})


def _community_level() -> ChainLevel:
    """Return the level every chain starts at: the community's party organisation, required."""
    return ChainLevel(
        kinds=COMMUNITY_PARTY_KINDS,
        units={UnitKind.COMMUNITY, UnitKind.VILLAGE},
        required=True,
        label_zh="社区（村）党组织",
        label_en="community (village) party organisation",
    )


FOUR_LEVEL = PartyChain(
    key="four_level",
    label_zh="社区党委—小区党总支—微网格党支部—党员中心户",
    label_en="four levels: community, compound, micro grid, party-member household",
    source="O1, 000",
    description=(
        "Wuhu Yuanding community's four levels: 社区党委 → 小区党总支 → 微网格党支部 → "
        "党员中心户. Wuwei's Shuangqiao community runs the same chain with a compound branch "
        "(小区党支部) at the second level and grid party groups (网格党小组) at the third, so "
        "those kinds are admitted too. Every compound (or area) must have its party "
        "organisation (支部建在小区上); micro-grid organisations and party-member households "
        "are not required of every micro grid or household."
    ),
    levels=[
        _community_level(),
        ChainLevel(
            kinds=_BRANCHES,
            units={UnitKind.COMPOUND, UnitKind.COURTYARD, UnitKind.AREA},
            parents=COMMUNITY_PARTY_KINDS,
            required=True,
            label_zh="小区党总支（党支部）",
            label_en="compound party general branch (or branch)",
        ),
        ChainLevel(
            kinds={OrgKind.PARTY_BRANCH, OrgKind.PARTY_GROUP},
            units={UnitKind.MICRO_GRID, UnitKind.GRID},
            parents=_BRANCHES,
            label_zh="微网格党支部（网格党小组）",
            label_en="micro-grid party branch (or grid party group)",
        ),
        ChainLevel(
            kinds={OrgKind.PARTY_MEMBER_HOUSEHOLD},
            units={UnitKind.HOUSEHOLD},
            parents={OrgKind.PARTY_BRANCH, OrgKind.PARTY_GROUP},
            label_zh="党员中心户",
            label_en="party-member household",
        ),
    ],
)
"""O1: the four-level chain of Wuhu Yuanding (and Wuwei's variant)."""

THREE_LEVEL = PartyChain(
    key="three_level",
    label_zh="小区党支部—楼栋党小组—党员中心户",
    label_en="three levels: compound branch, building party group, party-member household",
    source="O2, G3, 000",
    description=(
        "Wuhu's three levels under one compound branch (一小区一网格、一网格一支部): "
        "小区党支部 → 楼栋党小组 → 党员中心户, hung from the community party organisation. "
        "Every compound and every area (片区, open compounds and lone buildings merged, G3) "
        "must have its party organisation: Wuhu's 1241 compounds all have one, Hefei's 4700+ "
        "compounds have 3800+ compound/area organisations. A compound inside an area is "
        "covered by the area's organisation. A large compound may have a general branch."
    ),
    levels=[
        _community_level(),
        ChainLevel(
            kinds=_BRANCHES,
            units={UnitKind.COMPOUND, UnitKind.AREA},
            parents=COMMUNITY_PARTY_KINDS,
            required=True,
            label_zh="小区（片区）党支部",
            label_en="compound (area) party branch",
        ),
        ChainLevel(
            kinds={OrgKind.PARTY_GROUP},
            units={UnitKind.BUILDING},
            parents=_BRANCHES,
            label_zh="楼栋党小组",
            label_en="building party group",
        ),
        ChainLevel(
            kinds={OrgKind.PARTY_MEMBER_HOUSEHOLD},
            units={UnitKind.HOUSEHOLD},
            parents={OrgKind.PARTY_GROUP},
            label_zh="党员中心户",
            label_en="party-member household",
        ),
    ],
)
"""O2: Wuhu's three-level chain, required at the compound and area (G3)."""

CHENGDU_3PLUS1 = PartyChain(
    key="chengdu_3plus1",
    label_zh="成都“3+1”网格党组织",
    label_en='Chengdu "3+1" grid party organisations',
    source="O3, G2, 003",
    description=(
        "Chenghua's grid party organisations on the 3+1 grids: the community party "
        "organisation leads the total grid; grid party organisations (网格党组织, 975 in "
        "Chenghua) sit on general and dedicated grids; micro-grid party groups (微网格党小组, "
        "2125) on micro grids. General grids are required to have one (一网格一组织): with "
        "975 organisations for 995 general grids, the Chenghua figures leave at least 20 "
        "general grids to be reported, which a city confirms are served by a joint branch "
        "(联合党支部) or evolves the level to required=False. Dedicated grids (markets, "
        "schools, parks: 516) and micro grids (6283, a third with a group) are not required. "
        "Compound branches (小区党支部) are admitted but not required."
    ),
    levels=[
        _community_level(),
        ChainLevel(
            kinds=_BRANCHES,
            units={UnitKind.GENERAL_GRID},
            parents=COMMUNITY_PARTY_KINDS,
            required=True,
            label_zh="网格党组织（一般网格）",
            label_en="grid party organisation (general grid)",
        ),
        ChainLevel(
            kinds=_BRANCHES,
            units={UnitKind.DEDICATED_GRID},
            parents=COMMUNITY_PARTY_KINDS,
            label_zh="网格党组织（专属网格）",
            label_en="grid party organisation (dedicated grid)",
        ),
        ChainLevel(
            kinds=_BRANCHES,
            units={UnitKind.COMPOUND, UnitKind.COURTYARD},
            parents=COMMUNITY_PARTY_KINDS,
            label_zh="小区（院落）党组织",
            label_en="compound (courtyard) party organisation",
        ),
        ChainLevel(
            kinds={OrgKind.PARTY_GROUP, OrgKind.PARTY_BRANCH},
            units={UnitKind.MICRO_GRID},
            parents=COMMUNITY_PARTY_KINDS,
            label_zh="微网格党小组",
            label_en="micro-grid party group",
        ),
    ],
)
"""O3: Chengdu's grid party organisations, bound to the G2 grids.

A micro-grid party group answers to the grid (or compound) party organisation above it, or to
the community's when its grid has none; all of those are committees, general branches or
branches, which is what ``parents`` admits.
"""


@hookimpl
def register_party_chains() -> list[PartyChain]:
    """Provide the chains of O1, O2 and O3."""
    return [FOUR_LEVEL, THREE_LEVEL, CHENGDU_3PLUS1]
