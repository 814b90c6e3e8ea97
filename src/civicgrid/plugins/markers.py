"""The pluggy markers of the ``civicgrid`` project; plugins import ``hookimpl`` from civicgrid."""

from __future__ import annotations

import pluggy

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "civicgrid"
"""The pluggy project name, which is also the entry-point group plugins declare."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
