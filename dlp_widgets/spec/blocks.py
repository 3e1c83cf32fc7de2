"""Blocks of a graph: the nodes whose ids share a dotted prefix (``layer1.0.conv1`` and
``layer1.0.bn1`` are in ``layer1.0`` and in ``layer1``), as an imported model or a block
template names them. The builder draws a block collapsed as one box; what it shows — the
shapes coming in and going out, the parameters inside — comes from here, without torch."""

from __future__ import annotations

from typing import Any

from .graph import GraphSpec
from .graph_shapes import GraphReport


def block_prefixes(node_id: str) -> list[str]:
    """Every block ``node_id`` is in, outermost first: ``a.b.c`` is in ``a`` and ``a.b``."""
    parts = node_id.split(".")
    return [".".join(parts[:k]) for k in range(1, len(parts))]


def find_blocks(graph: GraphSpec, report: GraphReport) -> list[dict[str, Any]]:
    """The blocks of ``graph`` holding two nodes or more, in the order their first node comes,
    each with its nodes, its parent block, the parameters inside, and the edges that cross
    its border: ``inputs`` (what outside nodes or inputs feed it, with shapes) and
    ``outputs`` (its nodes read from outside or by the model's outputs, with shapes)."""
    members: dict[str, list[int]] = {}
    for i, node in enumerate(graph.nodes):
        for prefix in block_prefixes(node.id):
            members.setdefault(prefix, []).append(i)
    members = {p: idx for p, idx in members.items() if len(idx) >= 2 and p not in {g.id for g in graph.inputs}}
    if not members:
        return []
    sources = [graph.sources(i) for i in range(len(graph.nodes))]
    readers: dict[str, set[int]] = {}
    for i, srcs in enumerate(sources):
        for s in srcs:
            readers.setdefault(s, set()).add(i)
    model_outputs = set(graph.output_ids)
    blocks = []
    for prefix, idx in members.items():
        inside = set(idx)
        ids = {graph.nodes[i].id for i in idx}
        entering: list[str] = []
        for i in idx:
            for s in sources[i]:
                if s not in ids and s not in entering:
                    entering.append(s)
        leaving = [
            graph.nodes[i].id
            for i in idx
            if graph.nodes[i].id in model_outputs or readers.get(graph.nodes[i].id, set()) - inside
        ]
        parent = next((p for p in reversed(block_prefixes(prefix)) if p in members), None)
        blocks.append(
            {
                "prefix": prefix,
                "parent": parent,
                "nodes": [graph.nodes[i].id for i in idx],
                "params": sum(report.nodes[i].params or 0 for i in idx),
                "inputs": [{"id": s, "shape": _shape(report, s)} for s in entering],
                "outputs": [{"id": s, "shape": _shape(report, s)} for s in leaving],
            }
        )
    blocks.sort(key=lambda b: members[b["prefix"]][0])
    return blocks


def _shape(report: GraphReport, item_id: str) -> list[int] | None:
    shape = report.shape_of(item_id)
    return list(shape) if shape is not None else None
