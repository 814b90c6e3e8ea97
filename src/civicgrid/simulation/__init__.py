"""District simulation: presets from DOMAIN.md's figures, arrivals, agents and the day loop.

:func:`~civicgrid.simulation.runner.simulate` runs a preset (:data:`PRESETS`: Chenghua, G2,
and a Hefei-style district, G3) with any installed request method on a simulated clock and
commits each simulated day to an event store in one transaction; the same seed gives the
same events byte for byte, and a run resumed from its store ends as an uninterrupted one.
This layer sits on top: it imports the domain, workflows, plugins, store and report.
"""

from civicgrid.simulation.agents import accounts_for
from civicgrid.simulation.presets import CHENGHUA, HEFEI, PRESETS, Behaviour, Preset, preset
from civicgrid.simulation.runner import LEDGER, simulate
from civicgrid.simulation.summary import Summary

__all__ = [
    "CHENGHUA",
    "HEFEI",
    "LEDGER",
    "PRESETS",
    "Behaviour",
    "Preset",
    "Summary",
    "accounts_for",
    "preset",
    "simulate",
]
