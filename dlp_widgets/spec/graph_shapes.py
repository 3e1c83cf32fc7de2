"""Shapes and parameter counts over a graph (spec version 2), without torch. Every node gets
its output shape, its trainable parameters, or the error that names it: an input id that
is no node or input, a cycle, a layer that cannot take what it receives, a merge whose
inputs do not fit together. A node that does not lead to an output is reported with a
warning and is not part of the model (half-built while editing). Shapes flow in
dependency order; a node whose inputs failed has no shape and no error of its own."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from math import prod
from typing import Any

from . import catalogue
from .errors import SpecError
from .graph import GraphSpec, input_count_error, node_words
from .layer_info import LayerInfo
from .merges import MERGES
from .ops import OPS
from .rules import MAX_VALUES_PER_EXAMPLE, Shape, ShapeError, fmt_shape


class NodeWhere:
    """Words for a layer's shape rule, naming the node and what fed it (as ``rules.Where``)."""

    __slots__ = ("layer", "prev_type", "_source", "_shape")

    def __init__(self, words: str, source: str, source_type: str | None, shape: Shape) -> None:
        self.layer, self.prev_type, self._source, self._shape = words, source_type, source, shape

    @property
    def source(self) -> str:
        if self.prev_type is None:
            return f'the input "{self._source}" is {fmt_shape(self._shape)}'
        return f"{node_words(self.prev_type, self._source)} produces {fmt_shape(self._shape)}"


@dataclass
class NodeInfo(LayerInfo):
    id: str = ""
    used: bool = True  # leads to an output

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **super().to_dict()}


@dataclass
class GraphReport:
    nodes: list[NodeInfo] = field(default_factory=list)
    input_shapes: dict[str, Shape] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)
    order: list[int] = field(default_factory=list)  # the used nodes, in an order that computes them
    errors: list[SpecError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error(self) -> SpecError | None:
        return self.errors[0] if self.errors else None

    @property
    def total_params(self) -> int:
        return sum(n.params or 0 for n in self.nodes if n.used)

    def shape_of(self, item_id: str) -> Shape | None:
        if item_id in self.input_shapes:
            return self.input_shapes[item_id]
        return next((n.output_shape for n in self.nodes if n.id == item_id), None)

    @property
    def output_shape(self) -> Shape | None:
        """The first output's shape (None while the graph has errors)."""
        return self.shape_of(self.outputs[0]) if self.ok and self.outputs else None

    @property
    def output_shapes(self) -> list[Shape | None]:
        return [self.shape_of(o) for o in self.outputs]

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise self.error

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "nodes": [n.to_dict() for n in self.nodes],
            "total_params": self.total_params,
            "outputs": [
                {"id": o, "shape": list(s) if s is not None and self.ok else None}
                for o, s in zip(self.outputs, self.output_shapes, strict=True)
            ],
        }
        if self.error is not None:
            out["error"] = self.error.to_dict()
        return out


def infer_graph_leniently(model: GraphSpec | dict[str, Any]) -> GraphReport:
    """``infer_graph`` of a graph or of raw JSON for one: a graph that does not parse gives a
    report holding that error, as ``infer`` does for a chain."""
    if isinstance(model, GraphSpec):
        return infer_graph(model)
    try:
        graph = GraphSpec.from_dict(model.get("model", model) if isinstance(model, dict) else model)
    except SpecError as exc:
        return GraphReport(errors=[exc])
    return infer_graph(graph)


def infer_graph(graph: GraphSpec) -> GraphReport:
    """Every node's output shape and parameter count, and every error (see the module)."""
    report = GraphReport(
        nodes=[NodeInfo(type=n.type, id=n.id) for n in graph.nodes],
        input_shapes={g.id: g.shape for g in graph.inputs},
        outputs=graph.output_ids,
    )
    index = {n.id: i for i, n in enumerate(graph.nodes)}
    sources = [graph.sources(i) for i in range(len(graph.nodes))]
    errors: dict[int, SpecError] = {}
    for i, node in enumerate(graph.nodes):
        problem = input_count_error(node, i)
        if problem is not None:
            errors[i] = problem
        for src in sources[i]:
            if src not in index and src not in report.input_shapes:
                errors[i] = SpecError(
                    f'{node_words(node.type, node.id)} reads "{src}", which is no node or input of the model',
                    node=node.id,
                    path=f"model.nodes[{i}].inputs",
                )
    model_errors = [
        SpecError(f'the output "{o}" is no node or input of the model', node=o, path="model.outputs")
        for o in report.outputs
        if o not in index and o not in report.input_shapes
    ]
    order, cyclic = _dependency_order(sources, index)
    for i in cyclic:
        errors.setdefault(
            i,
            SpecError(
                f"{node_words(graph.nodes[i].type, graph.nodes[i].id)} is part of a cycle: "
                f"{_cycle_text(i, sources, index, graph)}; a model's data flows one way",
                node=graph.nodes[i].id,
                path=f"model.nodes[{i}].inputs",
            ),
        )
    used = _leading_to_outputs(report.outputs, sources, index)
    for i, info in enumerate(report.nodes):
        if i not in used:
            info.used = False
            info.warning = "leads to no output: not part of the model"
    for i in order:
        if i in errors or i not in used:
            continue
        shapes = [
            report.input_shapes.get(s) if s not in index else report.nodes[index[s]].output_shape for s in sources[i]
        ]
        if any(s is None for s in shapes):
            continue  # an input failed: its own error says why
        try:
            _infer_node(graph, i, sources[i], shapes, report, index)
        except SpecError as exc:
            errors[i] = exc
    for i, exc in errors.items():
        report.nodes[i].error = exc
    report.errors = model_errors + [errors[i] for i in sorted(errors) if i in used or i in cyclic]
    report.order = [i for i in order if i in used]
    return report


def _infer_node(
    graph: GraphSpec, i: int, srcs: tuple[str, ...], shapes: list[Shape], report: GraphReport, index: dict[str, int]
) -> None:
    node, info = graph.nodes[i], report.nodes[i]
    words = node_words(node.type, node.id)
    path = f"model.nodes[{i}]"
    try:
        if node.is_merge:
            described = [f'"{s}"' for s in srcs]
            out, n_params, warning = MERGES[node.type].rule(node.filled(), shapes, described, words), 0, None
        elif node.is_op:
            missing = next((p for p in OPS[node.type].params if p.required and p.name not in node.params), None)
            if missing is not None:
                raise SpecError(
                    f"{words} needs {missing.name} ({missing.help})",
                    node=node.id,
                    param=missing.name,
                    path=f"{path}.params",
                )
            out, n_params, warning = OPS[node.type].rule(node.filled(), shapes[0], words), 0, None
        else:
            entry = catalogue.CATALOGUE[node.type]
            missing = entry.missing(node.params)
            if missing is not None:
                raise SpecError(
                    f"{words} needs {missing.name} ({missing.help}); torch has no default for it",
                    node=node.id,
                    param=missing.name,
                    path=f"{path}.params.{missing.name}",
                )
            src = srcs[0]
            src_type = graph.nodes[index[src]].type if src in index else None
            params = {**entry.defaults(), **node.params} if node.params else entry.defaults()
            out, n_params, warning = entry.rule(params, shapes[0], NodeWhere(words, src, src_type, shapes[0]))
        if prod(out) > MAX_VALUES_PER_EXAMPLE:
            raise ShapeError(
                f"{words} would produce {fmt_shape(out)}, more than {MAX_VALUES_PER_EXAMPLE:,} values per example."
            )
    except ShapeError as exc:
        where = f"{path}.params.{exc.param}" if exc.param else path
        raise SpecError(exc.message, node=node.id, param=exc.param, path=where) from None
    info.output_shape, info.params, info.warning = out, n_params, warning


def _dependency_order(sources: list[tuple[str, ...]], index: dict[str, int]) -> tuple[list[int], list[int]]:
    """Nodes in an order where each comes after what it reads (Kahn's), and those on or
    after a cycle, which no order computes."""
    waiting = [sum(1 for s in srcs if s in index) for srcs in sources]
    readers: dict[int, list[int]] = {}
    for i, srcs in enumerate(sources):
        for s in srcs:
            if s in index:
                readers.setdefault(index[s], []).append(i)
    ready = deque(i for i, n in enumerate(waiting) if n == 0)
    order = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for r in readers.get(i, ()):
            waiting[r] -= 1
            if waiting[r] == 0:
                ready.append(r)
    done = set(order)
    stuck = [i for i in range(len(sources)) if i not in done]
    on_cycle = [i for i in stuck if _reaches(i, i, sources, index)]
    return order, on_cycle


def _reaches(start: int, goal: int, sources: list[tuple[str, ...]], index: dict[str, int]) -> bool:
    seen, todo = set(), [index[s] for s in sources[start] if s in index]
    while todo:
        i = todo.pop()
        if i == goal:
            return True
        if i not in seen:
            seen.add(i)
            todo.extend(index[s] for s in sources[i] if s in index)
    return False


def _cycle_text(start: int, sources: list[tuple[str, ...]], index: dict[str, int], graph: GraphSpec) -> str:
    """``a → b → a``: the nodes of one cycle through ``start``, in the data's direction."""
    path, i = [start], start
    while True:
        nxt = next(
            index[s]
            for s in sources[i]
            if s in index and _reaches(index[s], start, sources, index) or index.get(s) == start
        )
        if nxt == start or nxt in path:
            break
        path.append(nxt)
        i = nxt
    names = [graph.nodes[k].id for k in [start, *reversed(path[1:])]]
    return " → ".join([*names, names[0]])


def _leading_to_outputs(outputs: list[str], sources: list[tuple[str, ...]], index: dict[str, int]) -> set[int]:
    used: set[int] = set()
    todo = [index[o] for o in outputs if o in index]
    while todo:
        i = todo.pop()
        if i not in used:
            used.add(i)
            todo.extend(index[s] for s in sources[i] if s in index)
    return used
