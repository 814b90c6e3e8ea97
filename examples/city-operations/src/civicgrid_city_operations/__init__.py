"""Example civicgrid plugin: the city operation centre loop (城市运行中心闭环, DOMAIN.md I10).

The hook implementations live in :mod:`civicgrid_city_operations.plugin`, which the package
declares in the ``civicgrid`` entry-point group under the plugin name ``city_operations``.
"""

from __future__ import annotations

__version__ = "0.1.0"
