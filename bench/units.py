"""Benchmark: a Chenghua-sized unit tree (DOMAIN.md G2), about 500,000 units down to the household.

The tree, at ``--scale 1.0``::

    1 district (成华区)
    └ 11 subdistricts
      └ 83 communities (81 社区 + 2 村), each with 1 total grid and ~6 dedicated grids (516)
        └ total grid (83) → 995 general grids → 1299 compounds → 6283 micro grids
          → ~15,800 buildings → ~4 units per building → households (to ~500,000 units in all)

Compounds sit under general grids and micro grids under compounds because the figures only
nest that way (83 total grids, one per community, cannot each sit under one of 1299
compounds; 995 general grids cover 1299 compounds, ~1.3 each; a micro grid of ~66 households
lies inside one compound). Every household has ``households=1`` and a resident count, the
~1.48 M residents spread over them; inner units carry no own figures, so the roll-up sums all.

Reported, each against its target: building the tree (< 5 s, creating the ``Unit`` objects
plus ``UnitTree(units)``), the first full roll-up (< 1 s), the mean ``ancestors()`` of a
household (< 10 µs, over 100,000 random households), ``above(household, COMMUNITY)`` (reported
with the same 10 µs target) and the peak memory traced by tracemalloc while creating, building
and rolling up (< 1 GiB). Timings run without tracemalloc (it slows allocation several times);
memory is measured in a second, separate pass. A seeded ``random.Random`` makes runs
reproducible. The script always exits 0.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc

from civicgrid.domain.units import Unit, UnitKind, UnitTree

TOTAL_UNITS = 500_000
RESIDENTS = 1_480_000
FIGURES: list[tuple[UnitKind, str, int]] = [
    (UnitKind.SUBDISTRICT, "sd", 11),
    (UnitKind.COMMUNITY, "cm", 83),
    (UnitKind.TOTAL_GRID, "tg", 83),
    (UnitKind.GENERAL_GRID, "gg", 995),
    (UnitKind.COMPOUND, "cp", 1299),
    (UnitKind.MICRO_GRID, "mg", 6283),
    (UnitKind.BUILDING, "bd", 15_800),
    (UnitKind.UNIT, "un", 63_200),
]
"""Each level hangs, evenly, under the one before it."""
DEDICATED_GRIDS = 516
VILLAGES = 2


def scaled(n: int, scale: float) -> int:
    return max(1, round(n * scale))


def make_units(scale: float, rng: random.Random) -> list[Unit]:
    """Create the Chenghua-like units, every parent before its children."""
    units = [Unit(id="chenghua", kind=UnitKind.DISTRICT, name_zh="成华区", parent=None)]
    above = ["chenghua"]
    communities: list[str] = []
    for kind, prefix, count in FIGURES:
        n = scaled(count, scale)
        villages = scaled(VILLAGES, scale) if kind is UnitKind.COMMUNITY else 0
        ids = [f"{prefix}{i:06d}" for i in range(n)]
        for i, unit_id in enumerate(ids):
            unit_kind = UnitKind.VILLAGE if i >= n - villages else kind
            parent = above[i * len(above) // n]
            if kind is UnitKind.BUILDING:
                units.append(
                    Unit(
                        id=unit_id,
                        kind=unit_kind,
                        name_zh=f"{i + 1}栋",
                        parent=parent,
                        longitude=rng.uniform(104.05, 104.20),
                        latitude=rng.uniform(30.60, 30.75),
                    )
                )
            else:
                name = f"{unit_kind.label_zh}{i + 1}"
                units.append(Unit(id=unit_id, kind=unit_kind, name_zh=name, parent=parent))
        if kind is UnitKind.COMMUNITY:
            communities = ids
        above = ids
    units.extend(
        Unit(
            id=f"dg{i:06d}",
            kind=UnitKind.DEDICATED_GRID,
            name_zh=f"专属网格{i + 1}",
            parent=communities[i * len(communities) // scaled(DEDICATED_GRIDS, scale)],
        )
        for i in range(scaled(DEDICATED_GRIDS, scale))
    )
    n_households = scaled(TOTAL_UNITS, scale) - len(units)
    residents = [3] * n_households  # then one more for enough households to reach the total
    for i in rng.sample(range(n_households), scaled(RESIDENTS, scale) - 3 * n_households):
        residents[i] += 1
    stairwells = above
    units.extend(
        Unit(
            id=f"hh{i:07d}",
            kind=UnitKind.HOUSEHOLD,
            name_zh=f"{i % 30 + 101}室",
            parent=stairwells[rng.randrange(len(stairwells))],
            households=1,
            residents=residents[i],
        )
        for i in range(n_households)
    )
    return units


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def timings(scale: float, seed: int, lookups: int) -> dict[str, float]:
    """Build, roll up and look up on one tree; check the figures; return seconds and µs."""
    gc.collect()
    gc.disable()
    t0 = time.perf_counter()
    units = make_units(scale, random.Random(seed))
    t1 = time.perf_counter()
    tree = UnitTree(units)
    t2 = time.perf_counter()
    households = tree.households(tree.root.id)
    residents = tree.residents(tree.root.id)
    t3 = time.perf_counter()
    gc.enable()
    result = {"create": t1 - t0, "tree": t2 - t1, "rollup": t3 - t2}

    household_ids = [u.id for u in units if u.kind is UnitKind.HOUSEHOLD]
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

    # A move may store a parent after its child: the next roll-up walks the tree instead.
    micro_grids = [u.id for u in units if u.kind is UnitKind.MICRO_GRID]
    building = tree.children(micro_grids[0])[0].id
    tree.move(building, micro_grids[-1])
    t0 = time.perf_counter()
    assert tree.households(tree.root.id) == households
    result["rollup_walk"] = time.perf_counter() - t0

    print(f"unit tree, scale {scale}: {len(tree):,} units, {households:,} households,")
    print(f"  {residents:,} residents, household depth {tree.depth(sample[0])}")
    print("  " + ", ".join(f"{k.value} {n:,}" for k, n in counts.items()))
    return result


def peak_memory(scale: float, seed: int) -> int:
    """Return the bytes tracemalloc saw at peak while creating, building and rolling up."""
    gc.collect()
    tracemalloc.start()
    tree = UnitTree(make_units(scale, random.Random(seed)))
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
    mib = peak / 2**20
    print(f"peak memory (tracemalloc)    {mib:8.1f} MiB  target < 1 GiB  {verdict(peak < 2**30)}")


if __name__ == "__main__":
    main()
