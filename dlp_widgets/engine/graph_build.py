"""A graph spec (version 2) → a ``torch.fx.GraphModule``: one submodule per layer node, named
by its id (so ``layer1.0.conv1`` is a submodule path and its weights are
``layer1.0.conv1.weight``, as in the network it came from), merges as calls to
``operator.add``, ``operator.mul`` and ``torch.cat``. ``print(model.code)`` reads as the
forward of a hand-written module. Nothing from the spec is evaluated: classes come from the
catalogue by name, arguments are validated values."""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

import torch
from torch import fx, nn

from ..spec import CATALOGUE, SpecError
from ..spec.costs import MAX_PARAMS
from ..spec.graph import GraphSpec
from ..spec.graph_shapes import GraphReport, infer_graph
from .layer_classes import layer_class

MERGE_CALLS = {"Add": operator.add, "Mul": operator.mul}


def build_graph_model(graph: GraphSpec, *, report: GraphReport | None = None) -> fx.GraphModule:
    """The network of ``graph`` (raises the first ``SpecError`` of its inference)."""
    report = report if report is not None else infer_graph(graph)
    report.raise_for_error()
    if report.total_params > MAX_PARAMS:
        raise SpecError(
            f"the model would have {report.total_params:,} trainable parameters; the limit is {MAX_PARAMS:,}"
        )
    modules: dict[str, Any] = {}
    g = fx.Graph()
    values: dict[str, fx.Node] = {item.id: g.placeholder(_name(item.id)) for item in graph.inputs}
    for i in report.order:
        node = graph.nodes[i]
        args = [values[s] for s in graph.sources(i)]
        if node.type == "Concat":
            values[node.id] = g.call_function(torch.cat, (tuple(args),), {"dim": node.filled()["dim"]})
        elif node.type == "Mean":
            p = node.filled()
            dims = tuple(p["dim"]) if isinstance(p["dim"], list) else (p["dim"],)
            values[node.id] = g.call_function(torch.mean, (args[0],), {"dim": dims, "keepdim": p["keepdim"]})
        elif node.type == "Chunk":
            p = node.filled()
            pieces = g.call_function(torch.chunk, (args[0], p["chunks"]), {"dim": p["dim"]})
            values[node.id] = g.call_function(operator.getitem, (pieces, p["index"]))
        elif node.type in MERGE_CALLS:
            call = MERGE_CALLS[node.type]
            values[node.id] = reduce(lambda a, b, call=call: g.call_function(call, (a, b)), args)
        else:
            entry = CATALOGUE[node.type]
            source = graph.sources(i)[0]
            in_shape = report.shape_of(source)
            modules[node.id] = layer_class(entry)(**entry.constructor_kwargs(node.params, in_shape))
            values[node.id] = g.call_module(node.id, (args[0],))
    outputs = [values[o] for o in report.outputs]
    g.output(outputs[0] if len(outputs) == 1 else tuple(outputs))
    return fx.GraphModule(_nest(modules), g, class_name="GraphModel")


def _name(item_id: str) -> str:
    """A Python name for an input id (fx makes the code with these)."""
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in item_id)
    return name if name and not name[0].isdigit() else f"input_{name}"


def _nest(modules: dict[str, nn.Module]) -> nn.Module:
    """A root module holding each layer at its id's path (``a.b.c``: submodule c of b of a);
    shallower paths first, so a layer that is also a path's head holds the deeper ones."""
    root = nn.Module()
    for path in sorted(modules, key=lambda p: p.count(".")):
        parent = root
        *heads, last = path.split(".")
        for head in heads:
            child = dict(parent.named_children()).get(head)
            if child is None:
                child = nn.Module()
                parent.add_module(head, child)
            parent = child
        parent.add_module(last, modules[path])
    return root
