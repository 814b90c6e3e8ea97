"""周四来说事 Thursday talks (DOMAIN.md D4): a city team's civicgrid plugin.

The hooks live in :mod:`civicgrid_thursday_talks.plugin`, which ``pyproject.toml`` names in the
``civicgrid`` entry-point group under the plugin name ``thursday_talks``.
"""

__version__ = "0.1.0"
