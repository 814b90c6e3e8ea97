"""SVG charts for the HTML report, drawn by pygal (the optional extra ``civicgrid[report]``).

pygal writes SVG text, so the browser draws the Chinese labels with its own fonts (matplotlib
would need CJK fonts on the machine that renders). The SVG is made to sit inline in an HTML
page that opens with no network: no script, no external style, no namespace URLs or comments,
and a chart id that depends on the chart's place in the page, not on a random UUID, so the
same run gives the same file.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from civicgrid.errors import CivicGridError

__all__ = ["MissingReportExtra", "bar_chart", "chart_style", "inline_svg", "pygal_module"]

Series = Sequence[tuple[str, Sequence[float | None]]]
"""Named series: ``(label, one value per x label)``; ``None`` where there is no value."""

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
"""pygal embeds its configuration for its tooltip script even with ``js=[]``: not needed."""
_NAMESPACE = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_CHART_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_FONT = '"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif'


class MissingReportExtra(CivicGridError, ImportError):
    """The charting library of the ``report`` extra is not installed."""

    def __init__(self, module: str) -> None:
        self.module = module
        super().__init__(
            f"the HTML report needs {module}: pip install civicgrid[report]",
            f"HTML 报告需要 {module}：请运行 pip install civicgrid[report]",
        )


def pygal_module() -> ModuleType:
    """Return pygal, or raise :class:`MissingReportExtra` naming the extra to install."""
    try:
        return importlib.import_module("pygal")
    except ImportError:
        raise MissingReportExtra("pygal") from None


def bar_chart(
    chart_id: str,
    title: str,
    x_labels: Sequence[str],
    series: Series,
    *,
    stacked: bool = False,
    percent: bool = False,
    width: int = 760,
    height: int = 300,
) -> str:
    """Return an inline SVG bar chart; ``percent`` shows values (fractions) as percentages.

    ``chart_id`` must be unique in the page (it scopes the chart's style).
    """
    pygal = pygal_module()
    style = chart_style(value_font_size=10)
    config: dict[str, Any] = {
        "js": [],
        "disable_xml_declaration": True,
        "style": style,
        "title": title,
        "width": width,
        "height": height,
        "explicit_size": True,
        "show_legend": len(series) > 1,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": min(max(len(series), 1), 5),
        "x_label_rotation": 45 if len(x_labels) > 8 else 0,
        "show_minor_x_labels": len(x_labels) <= 31,
        "x_labels_major_every": max(len(x_labels) // 15, 1),
        "truncate_legend": -1,
        "truncate_label": -1,
        "print_values": len(x_labels) <= 12,
        "margin": 8,
    }
    if percent:
        config["value_formatter"] = _percent
        config["range"] = (0, 1)
    chart = (pygal.StackedBar if stacked else pygal.Bar)(**config)
    chart.x_labels = list(x_labels)
    for label, values in series:
        chart.add(label, list(values))
    return inline_svg(chart.render(is_unicode=True), chart_id)


def chart_style(**overrides: Any) -> Any:
    """Return the report's pygal style (white, fonts that draw Chinese), with ``overrides``."""
    return pygal_module().style.Style(
        font_family=_FONT,
        background="white",
        plot_background="white",
        title_font_size=14,
        label_font_size=11,
        major_label_font_size=11,
        legend_font_size=11,
        **overrides,
    )


def inline_svg(svg: str, chart_id: str) -> str:
    """Return pygal's ``svg`` ready to sit inline in a page that opens with no network.

    Comments, the tooltip script and namespace URLs go; pygal's random chart id becomes
    ``chart_id``, which must be unique in the page (it scopes the chart's style).
    """
    svg = _SCRIPT.sub("", _COMMENT.sub("", svg))
    svg = _NAMESPACE.sub("", svg)
    return _CHART_ID.sub(chart_id, svg)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"
