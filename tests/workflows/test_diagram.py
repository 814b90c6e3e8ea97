"""Mermaid diagrams: labels with Mermaid's syntax characters are escaped exactly once."""

from __future__ import annotations

from civicgrid import method_from_data
from civicgrid.workflows.diagram import method_graph, to_mermaid


def test_colons_semicolons_and_quotes_become_single_entities() -> None:
    """'a: b; "c"' renders as #58;, #59; and #quot; with no entity escaped twice."""
    method = method_from_data(
        {
            "key": "labels",
            "label_zh": '议事: 第一步; "试行"',
            "label_en": "labels",
            "initial": "a",
            "open_roles": ["resident"],
            "roles": [{"key": "resident", "label_zh": "居民", "label_en": "resident"}],
            "steps": [
                {"key": "a", "label_zh": "提出: 议题", "label_en": "raise"},
                {"key": "b", "label_zh": "完成", "label_en": "done", "terminal": True},
            ],
            "transitions": [
                {
                    "trigger": "go",
                    "from": ["a"],
                    "to": "b",
                    "label_zh": "通过; 公示",
                    "label_en": "go",
                    "roles": ["resident"],
                }
            ],
        }
    )
    text = to_mermaid(method)
    assert "#58#59;" not in text
    assert "#quot#59;" not in text
    assert "提出#58; 议题" in text
    assert "通过#59; 公示" in text
    assert "#quot;试行#quot;" in text
    assert method_graph(method).nodes
