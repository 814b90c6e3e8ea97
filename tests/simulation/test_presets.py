"""Tests of the district presets built from DOMAIN.md's figures (G2, G3)."""

from __future__ import annotations

import pytest

from civicgrid.domain.units import UnitKind, UnitTree
from civicgrid.errors import InvalidData
from civicgrid.simulation import CHENGHUA, HEFEI, PRESETS, Behaviour, preset
from civicgrid.simulation.presets import HEFEI_AREAS, HEFEI_GRIDS


def test_chenghua_at_full_scale_has_the_documents_micro_grids_and_residents() -> None:
    """Chenghua at scale 1 has G2's 6283 micro grids, 1299 compounds and about 1.48 M residents."""
    tree = UnitTree(CHENGHUA.build(1.0))
    kinds = [u.kind for u in tree]
    assert kinds.count(UnitKind.MICRO_GRID) == 6283
    assert kinds.count(UnitKind.COMPOUND) == 1299
    assert kinds.count(UnitKind.SUBDISTRICT) == 11
    assert tree.residents(tree.root.id) == 1_480_000


def test_hefei_makes_one_grid_of_each_compound_or_area_with_a_party_branch() -> None:
    """The Hefei-style district has G3's 3800 grids, 700 of them areas of 500 households."""
    units = HEFEI.build(1.0)
    tree = UnitTree(units)
    grids = [u for u in units if u.kind in {UnitKind.COMPOUND, UnitKind.AREA}]
    areas = [u for u in grids if u.kind is UnitKind.AREA]
    assert len(grids) == HEFEI_GRIDS
    assert len(areas) == HEFEI_AREAS
    assert {a.households for a in areas} == {500}
    branches = [o for o in HEFEI.organise(tree) if o.unit in {g.id for g in grids}]
    assert len(branches) == HEFEI_GRIDS


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_a_scaled_preset_is_small_and_keeps_every_level(key: str) -> None:
    """A preset at a scale of a few thousandths still has a unit of every rung it maps."""
    chosen = preset(key)
    tree = UnitTree(chosen.build(0.003))
    assert len(tree) < 200
    present = {u.kind for u in tree}
    for kinds in chosen.rungs.values():
        assert present & kinds


def test_an_unknown_preset_is_refused_listing_the_known_ones() -> None:
    """Asking for a preset that does not exist names the field and the presets installed."""
    with pytest.raises(InvalidData, match="chenghua"):
        preset("shanghai")


def test_a_scale_out_of_range_is_refused() -> None:
    """The Hefei builder refuses a scale outside [0.001, 4], naming the field."""
    with pytest.raises(InvalidData, match="scale"):
        HEFEI.build(10.0)


def test_behaviour_refuses_unknown_channels_and_bad_probabilities_at_once() -> None:
    """Every problem with declared behaviour is reported together."""
    with pytest.raises(InvalidData) as caught:
        Behaviour(channels={"pigeon": 1.0}, late=1.5)
    fields = {p.path for p in caught.value.problems}
    assert {"channels", "late"} <= fields
