"""Plugin ``city_operations``: the city operation centre loop and its risk-level guard.

civicgrid imports this module through the package's entry point and calls the functions marked
``@hookimpl`` once, when it builds a registry. The method itself is data
(``methods/city_operations.toml``); the only code is the guard the warning step needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import Any, Final

from civicgrid import Actor, Case, Guard, Method, Refusal, hookimpl, load_method

__all__ = [
    "RISK_GUARD",
    "RISK_LEVELS",
    "register_guards",
    "register_methods",
    "risk_level_given",
]

RISK_LEVELS: Final[Mapping[str, str]] = {
    "blue": "蓝色",
    "yellow": "黄色",
    "orange": "橙色",
    "red": "红色",
}
"""The four warning colours (预警等级), lowest to highest, with their Chinese names."""

RISK_GUARD: Final = "city_operations.risk_level_given"
"""The guard's name, prefixed with the plugin's so it cannot clash with another plugin's."""

_PACKAGE = "civicgrid_city_operations"
_LEVELS_EN = ", ".join(RISK_LEVELS)
_LEVELS_ZH = "、".join(f"{zh}（{en}）" for en, zh in RISK_LEVELS.items())


def risk_level_given(_case: Case, _actor: Actor, data: Mapping[str, Any] | None) -> bool:
    """Pass when ``data["risk_level"]`` is one of the four warning colours; refuse otherwise."""
    if data is None or "risk_level" not in data:
        raise Refusal(
            f"a risk warning needs data.risk_level, one of {_LEVELS_EN}",
            f"发布风险预警须填写预警等级 data.risk_level：{_LEVELS_ZH}之一",
        )
    level = data["risk_level"]
    if not isinstance(level, str) or level not in RISK_LEVELS:
        raise Refusal(
            f"data.risk_level must be one of {_LEVELS_EN}, got {level!r}",
            f"预警等级 data.risk_level 须为{_LEVELS_ZH}之一，实际为 {level!r}",
        )
    return True


@hookimpl
def register_methods() -> list[Method]:
    """Provide the city operation centre loop, loaded from the method file in this package."""
    return [load_method(files(_PACKAGE).joinpath("methods", "city_operations.toml"))]


@hookimpl
def register_guards() -> list[Guard]:
    """Provide the guard the warning step names."""
    return [
        Guard(
            name=RISK_GUARD,
            check=risk_level_given,
            label_zh=f"须给出预警等级（data.risk_level）：{_LEVELS_ZH}",
            label_en=f"a warning level is required (data.risk_level): {_LEVELS_EN}",
        )
    ]
