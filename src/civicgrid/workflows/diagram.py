"""Drawing methods: a method becomes a neutral graph, and the graph becomes Mermaid.

The neutral :class:`Graph` keeps the drawing independent of any one notation; Mermaid's
``stateDiagram-v2`` is the one provided, since documentation sites render it directly.
"""

from __future__ import annotations

import attrs

from civicgrid.workflows.method import Method

__all__ = ["Edge", "Graph", "Node", "method_graph", "to_mermaid"]


@attrs.frozen
class Node:
    """A step: its key, its label, and whether the case starts or ends there."""

    key: str
    label: str
    initial: bool = False
    terminal: bool = False


@attrs.frozen
class Edge:
    """A transition from one step to another, labelled with its trigger."""

    source: str
    target: str
    label: str


@attrs.frozen
class Graph:
    """Nodes and edges, in the method's declaration order."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def method_graph(method: Method) -> Graph:
    """Return the graph of ``method``: one node a step, one edge a (source, trigger) pair."""
    nodes = tuple(
        Node(
            key=s.key,
            label=f"{s.label_zh} {s.label_en}",
            initial=s.key == method.initial,
            terminal=s.terminal,
        )
        for s in method.steps
    )
    edges = tuple(
        Edge(source=source, target=t.target, label=f"{t.trigger} {t.label_zh}")
        for t in method.transitions
        for source in t.sources
    )
    return Graph(title=f"{method.label_zh} {method.label_en}", nodes=nodes, edges=edges)


_ENTITIES = {ord('"'): "#quot;", ord(":"): "#58;", ord(";"): "#59;"}


def _text(label: str) -> str:
    # Mermaid reads ':' , ';' and '"' as syntax inside state diagrams; use its entity codes.
    return label.translate(_ENTITIES)  # one pass: an entity's own ';' is never re-escaped


def to_mermaid(graph: Graph | Method) -> str:
    """Render a graph (or a method, through its graph) as a Mermaid ``stateDiagram-v2``."""
    if isinstance(graph, Method):
        graph = method_graph(graph)
    lines = ["---", f"title: {_text(graph.title)}", "---", "stateDiagram-v2"]
    lines.extend(f'    state "{_text(node.label)}" as {node.key}' for node in graph.nodes)
    lines.extend(f"    [*] --> {node.key}" for node in graph.nodes if node.initial)
    lines.extend(
        f"    {edge.source} --> {edge.target}: {_text(edge.label)}" for edge in graph.edges
    )
    lines.extend(f"    {node.key} --> [*]" for node in graph.nodes if node.terminal)
    return "\n".join(lines) + "\n"
