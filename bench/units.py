"""Benchmark: a Chenghua-sized unit tree (DOMAIN.md G2), about 500,000 units down to the household.

The tree comes from :func:`civicgrid.testing.districts.chenghua_units`, at ``--scale 1.0``::

    1 district (成华区)
    └ 11 subdistricts
      └ 83 communities (81 社区 + 2 村), each with 1 total grid and ~6 dedicated grids (516)
        └ total grid (83) → 995 general grids → 1299 compounds → 6283 micro grids
          → 15,800 buildings → 4 units per building → 411,729 households (500,000 units in all)

Compounds sit under general grids and micro grids under compounds because the figures only
nest that way (83 total grids, one per community, cannot each sit under one of 1299
compounds; 995 general grids cover 1299 compounds, ~1.3 each; a micro grid of ~66 households
lies inside one compound). Every household has ``households=1`` and three or four residents,
1.48 M in all; inner units carry no own figures, so the roll-up sums all.

Reported, each against its target: building the tree (< 5 s, creating the ``Unit`` objects
plus ``UnitTree(units)``), the first full roll-up (< 1 s), the mean ``ancestors()`` of a
household (< 10 µs, over 100,000 random households), ``above(household, COMMUNITY)`` (reported
with the same 10 µs target), ``Registry.check_grid(tree, "chengdu_3plus1", organisations=…)``
with the 3,183 party organisations of O3 (< 1 s; it must report exactly the 20 general grids
without a grid party organisation), the same check with every rule switched on (a scheme
evolved with G7's 18 workers per 10,000 and G4's 15 households per household leader, a
roster of ~2,700 community workers and 63,200 household leaders; < 2 s), and the peak memory
traced by tracemalloc while creating, building and rolling up (< 1 GiB). Timings run without
tracemalloc (it slows allocation several times); memory is measured in a second, separate
pass. The generator is seeded, so runs are reproducible. The script always exits 0.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import time
import tracemalloc
from collections import Counter
from datetime import date

import attrs

from civicgrid import (
    Appointment,
    GridScheme,
    Registry,
    Roster,
    Seat,
    UnitKind,
    UnitTree,
    hookimpl,
    load_registry,
)
from civicgrid.plugins.builtin.grid_schemes import CHENGDU_3PLUS1
from civicgrid.testing.districts import (
    GENERAL_GRIDS,
    GRID_PARTY_ORGANISATIONS,
    RESIDENTS,
    TOTAL_UNITS,
    chenghua_organisations,
    chenghua_units,
)

ON = date(2026, 11, 23)
SHORT_EVERY = 10
"""In the all-rules check, every tenth community is one community worker short of G7."""


def scaled(n: int, scale: float) -> int:
    return max(1, round(n * scale))


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


class AllRules:
    """A city plugin: Chengdu's scheme with G7's staffing floor and G4's household leaders."""

    scheme = attrs.evolve(
        CHENGDU_3PLUS1,
        key="bench.all_rules",
        label_zh="成华（全部规则）",
        label_en="Chenghua, every rule on",
        workers_per_10k=18,
        household_leader_max=15,
    )

    @hookimpl
    def register_grid_schemes(self) -> list[GridScheme]:
        """Provide the all-rules scheme."""
        return [self.scheme]


def full_roster(tree: UnitTree) -> tuple[Roster, int]:
    """Community workers to G7's floor (every tenth community one short), a leader per unit.

    Returns the roster and the number of communities left short.
    """
    appointments: list[Appointment] = []
    short = 0
    neighbourhoods = [u for u in tree if u.kind in {UnitKind.COMMUNITY, UnitKind.VILLAGE}]
    for i, community in enumerate(neighbourhoods):
        needed = math.ceil(18 * tree.residents(community.id) / 10_000)
        if i % SHORT_EVERY == 0:
            needed -= 1
            short += 1
        appointments.extend(
            Appointment(
                person=f"{community.id}-w{n}",
                role=Seat.COMMUNITY_WORKER,
                start=date(2024, 1, 1),
                unit=community.id,
            )
            for n in range(needed)
        )
    appointments.extend(
        Appointment(
            person=f"{u.id}-hl", role=Seat.HOUSEHOLD_LEADER, start=date(2024, 1, 1), unit=u.id
        )
        for u in tree
        if u.kind is UnitKind.UNIT
    )
    return Roster(appointments=appointments), short


def check_timings(tree: UnitTree, registry: Registry, scale: float) -> dict[str, float]:
    """Time check_grid on the rolled-up tree: Chengdu's scheme, then every rule on."""
    organisations = chenghua_organisations(tree)
    gc.collect()
    t0 = time.perf_counter()
    findings = registry.check_grid(tree, "chengdu_3plus1", organisations=organisations, on=ON)
    seconds = time.perf_counter() - t0
    general = scaled(GENERAL_GRIDS, scale)
    uncovered = general - round(general * GRID_PARTY_ORGANISATIONS / GENERAL_GRIDS)
    assert len(findings) == uncovered, Counter(f.rule for f in findings)

    roster, short = full_roster(tree)
    gc.collect()
    t0 = time.perf_counter()
    every = registry.check_grid(
        tree, "bench.all_rules", organisations=organisations, roster=roster, on=ON
    )
    all_seconds = time.perf_counter() - t0
    rules = Counter(f.rule for f in every)
    assert rules == {"civicgrid.party_coverage": uncovered, "civicgrid.staffing": short}, rules

    print(f"  check_grid: {len(organisations):,} organisations, {len(findings)} findings;")
    print(f"  all rules: {len(roster):,} appointments, {len(every)} findings")
    return {"check": seconds, "check_all": all_seconds}


def timings(scale: float, seed: int, lookups: int) -> dict[str, float]:
    """Build, roll up, look up and check one tree; check the figures; return seconds and µs."""
    gc.collect()
    gc.disable()
    t0 = time.perf_counter()
    units = chenghua_units(scale=scale, seed=seed)
    t1 = time.perf_counter()
    tree = UnitTree(units)
    t2 = time.perf_counter()
    households = tree.households(tree.root.id)
    residents = tree.residents(tree.root.id)
    t3 = time.perf_counter()
    gc.enable()
    result = {"create": t1 - t0, "tree": t2 - t1, "rollup": t3 - t2}

    household_ids = [u.id for u in units if u.kind is UnitKind.HOUSEHOLD]
    assert len(units) == scaled(TOTAL_UNITS, scale), len(units)
    assert households == len(household_ids), (households, len(household_ids))
    assert residents == scaled(RESIDENTS, scale), residents
    sample = random.Random(seed + 1).choices(household_ids, k=lookups)
    assert tree.ancestors(sample[0])[-1] is tree.root
    community = tree.above(sample[0], UnitKind.COMMUNITY)
    assert community is None or community.kind is UnitKind.COMMUNITY

    ancestors = tree.ancestors
    t0 = time.perf_counter()
    for unit_id in sample:
        ancestors(unit_id)
    result["ancestors"] = (time.perf_counter() - t0) / len(sample) * 1e6
    above = tree.above
    kind = UnitKind.COMMUNITY
    t0 = time.perf_counter()
    for unit_id in sample:
        above(unit_id, kind)
    result["above"] = (time.perf_counter() - t0) / len(sample) * 1e6
    t0 = time.perf_counter()
    counts = tree.counts_by_kind(tree.root.id)
    result["counts"] = time.perf_counter() - t0

    print(f"unit tree, scale {scale}: {len(tree):,} units, {households:,} households,")
    print(f"  {residents:,} residents, household depth {tree.depth(sample[0])}")
    print("  " + ", ".join(f"{k.value} {n:,}" for k, n in counts.items()))
    result.update(
        check_timings(tree, load_registry(entry_points=False, plugins=[AllRules()]), scale)
    )

    # A move may store a parent after its child: the next roll-up walks the tree instead.
    micro_grids = [u.id for u in units if u.kind is UnitKind.MICRO_GRID]
    building = tree.children(micro_grids[0])[0].id
    tree.move(building, micro_grids[-1])
    t0 = time.perf_counter()
    assert tree.households(tree.root.id) == households
    result["rollup_walk"] = time.perf_counter() - t0
    return result


def peak_memory(scale: float, seed: int) -> int:
    """Return the bytes tracemalloc saw at peak while creating, building and rolling up."""
    gc.collect()
    tracemalloc.start()
    tree = UnitTree(chenghua_units(scale=scale, seed=seed))
    tree.households(tree.root.id)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every figure")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--lookups", type=int, default=100_000)
    args = parser.parse_args()

    t = timings(args.scale, args.seed, args.lookups)
    peak = peak_memory(args.scale, args.seed)
    build = t["create"] + t["tree"]
    print(f"create Unit objects          {t['create']:8.3f} s")
    print(f"UnitTree(units)              {t['tree']:8.3f} s")
    print(f"build (both)                 {build:8.3f} s    target < 5 s    {verdict(build < 5)}")
    rollup = t["rollup"]
    print(f"full roll-up                 {rollup:8.3f} s    target < 1 s    {verdict(rollup < 1)}")
    walk = t["rollup_walk"]
    print(f"full roll-up after a move    {walk:8.3f} s    target < 1 s    {verdict(walk < 1)}")
    us = t["ancestors"]
    print(f"ancestors(household)         {us:8.2f} µs   target < 10 µs  {verdict(us < 10)}")
    us = t["above"]
    print(f"above(household, COMMUNITY)  {us:8.2f} µs   target < 10 µs  {verdict(us < 10)}")
    print(f"counts_by_kind(root)         {t['counts']:8.3f} s    (no target)")
    check = t["check"]
    print(f"check_grid(chengdu_3plus1)   {check:8.3f} s    target < 1 s    {verdict(check < 1)}")
    check = t["check_all"]
    print(f"check_grid, every rule on    {check:8.3f} s    target < 2 s    {verdict(check < 2)}")
    mib = peak / 2**20
    print(f"peak memory (tracemalloc)    {mib:8.1f} MiB  target < 1 GiB  {verdict(peak < 2**30)}")


if __name__ == "__main__":
    main()
