"""Labelled enums: every member has both labels, and a missing one fails at registration."""

from __future__ import annotations

import enum

import pytest

from civicgrid.domain.labels import Labelled, register_labels
from civicgrid.domain.requests import Channel
from civicgrid.domain.topics import Party, ProposerKind


def test_members_of_two_enums_with_one_value_keep_their_own_labels() -> None:
    """Party.RESIDENT and ProposerKind.RESIDENT share a value but not a table entry."""
    assert str(Party.RESIDENT) == str(ProposerKind.RESIDENT)
    assert (Party.DELIBERATOR.label_zh, ProposerKind.ORGANISATION.label_en) == (
        "议事员",
        "organisation",
    )
    assert Channel.MICRO_WISH.label_zh == "微心愿"


def test_a_member_without_labels_is_refused_naming_it() -> None:
    """Registering a table that misses a member raises, naming the member."""

    class Colour(Labelled):
        RED = "red"
        BLUE = "blue"

    with pytest.raises(ValueError, match="Colour has members without labels: BLUE"):
        register_labels({Colour.RED: ("红", "red")})


def test_only_labelled_members_can_be_registered() -> None:
    """A plain enum member is a programming error."""

    class Plain(enum.StrEnum):
        A = "a"

    with pytest.raises(TypeError, match="not a member of a Labelled enum"):
        register_labels({Plain.A: ("甲", "a")})
