"""The library's own plugins, registered through the same hooks as a city's."""

from __future__ import annotations

from importlib.resources import files

from civicgrid.workflows.loading import load_method
from civicgrid.workflows.method import Method

__all__ = ["builtin_method"]


def builtin_method(name: str) -> Method:
    """Load one of the method files shipped in ``civicgrid/plugins/builtin/methods``."""
    return load_method(files(__package__).joinpath("methods", f"{name}.toml"))
