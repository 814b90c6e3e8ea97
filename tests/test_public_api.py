"""The public API: everything re-exported from ``civicgrid``, sorted, and resolvable."""

from __future__ import annotations

import inspect

import pytest

import civicgrid


def test_all_lists_each_name_once() -> None:
    """``__all__`` lists each name once (ruff's RUF022 keeps it sorted)."""
    assert len(civicgrid.__all__) == len(set(civicgrid.__all__))


def test_every_public_name_resolves() -> None:
    """Each name in ``__all__`` can be read from the package."""
    for name in civicgrid.__all__:
        assert getattr(civicgrid, name) is not None, name


def test_every_public_name_has_a_docstring_or_is_a_constant() -> None:
    """Public classes and functions explain themselves."""
    for name in civicgrid.__all__:
        value = getattr(civicgrid, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert (value.__doc__ or "").strip(), name


def test_every_error_derives_from_the_root() -> None:
    """Every exception the package exports is a CivicGridError."""
    errors = [getattr(civicgrid, n) for n in civicgrid.__all__]
    for error in errors:
        if isinstance(error, type) and issubclass(error, BaseException):
            assert issubclass(error, civicgrid.CivicGridError), error


def test_unknown_attributes_raise_attribute_error() -> None:
    """A misspelt name fails the way Python users expect."""
    with pytest.raises(AttributeError, match="Engien"):
        civicgrid.Engien  # noqa: B018
