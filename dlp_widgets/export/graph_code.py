"""Graph spec (version 2) → a readable PyTorch ``nn.Module`` class: an ``__init__`` that
makes the layers, at their ids' module paths (so its ``state_dict`` has the names the
spec's network has), and a ``forward`` with one line per node, its output shape beside it.
Pure Python: ids are checked names, values validated, so nothing unsafe is written."""

from __future__ import annotations

import keyword
from typing import Any

from ..spec.graph import GraphSpec, is_graph
from ..spec.graph_shapes import infer_graph
from ..spec.rules import fmt_shape
from .code import imports_for, layer_call, model_source

OPERATORS = {"Add": " + ", "Mul": " * "}


def _variables(ids: list[str]) -> dict[str, str]:
    """A Python name for each id: ``layer1.0.conv1`` → ``layer1_0_conv1``, unique."""
    names: dict[str, str] = {}
    taken: set[str] = {"self", "torch", "nn"}
    for item in ids:
        base = item.replace(".", "_").replace("-", "_")
        if base[0].isdigit() or keyword.iskeyword(base):
            base = f"n_{base}"
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        names[item] = name
    return names


def _attribute(path: str) -> str:
    """How forward reaches the layer at ``path``: ``self.fc``, or ``self.get_submodule(...)``
    for a path that is not one Python name (``layer1.0.conv1``)."""
    if path.isidentifier() and not keyword.iskeyword(path):
        return f"self.{path}"
    return f'self.get_submodule("{path}")'


def graph_source(graph: GraphSpec, *, class_name: str = "Model") -> str:
    """Runnable Python that defines the network of ``graph`` as a class and makes one."""
    report = infer_graph(graph)
    report.raise_for_error()
    used = [graph.nodes[i] for i in report.order]
    names = _variables([g.id for g in graph.inputs] + [n.id for n in used])
    lines = [
        *imports_for([n.type for n in used]),
        "",
        "",
        f"class {class_name}(nn.Module):",
        "    def __init__(self) -> None:",
        "        super().__init__()",
    ]
    folders: set[str] = set()
    for i in report.order:
        node, info = graph.nodes[i], report.nodes[i]
        if node.is_merge or node.is_op:
            continue
        in_shape = report.shape_of(graph.sources(i)[0])
        call = layer_call(node.type, node.params, in_shape)
        *heads, last = node.id.split(".")
        for depth in range(1, len(heads) + 1):  # the containers of a dotted path, once each
            folder = ".".join(heads[:depth])
            if folder not in folders and folder not in {n.id for n in used}:
                folders.add(folder)
                parent = ".".join(heads[: depth - 1])
                owner = f'self.get_submodule("{parent}")' if parent else "self"
                lines.append(f'        {owner}.add_module("{heads[depth - 1]}", nn.Module())')
        if heads or not node.id.isidentifier() or keyword.iskeyword(node.id):
            owner = f'self.get_submodule("{".".join(heads)}")' if heads else "self"
            lines.append(f'        {owner}.add_module("{last}", {call})  # {info.params:,} params')
        else:
            lines.append(f"        self.{node.id} = {call}  # {info.params:,} params")
    args = ", ".join(names[g.id] for g in graph.inputs)
    shapes = "; ".join(f"{g.id}: {fmt_shape(g.shape)}" for g in graph.inputs)
    lines += [
        "",
        f"    def forward(self, {args}) -> Any:".replace(" -> Any", ""),
        f"        # per example ({shapes}); the batch dimension comes first",
    ]
    for i in report.order:
        node, info = graph.nodes[i], report.nodes[i]
        srcs = [names[s] for s in graph.sources(i)]
        if node.type in OPERATORS:
            expr = OPERATORS[node.type].join(srcs)
        elif node.type == "Concat":
            expr = f"torch.cat([{', '.join(srcs)}], dim={node.filled()['dim']})"
        elif node.type == "Mean":
            p = node.filled()
            dims = tuple(p["dim"]) if isinstance(p["dim"], list) else (p["dim"],)
            expr = f"torch.mean({srcs[0]}, dim={dims!r}, keepdim={p['keepdim']!r})"
        elif node.type == "Chunk":
            p = node.filled()
            expr = f"torch.chunk({srcs[0]}, {p['chunks']}, dim={p['dim']})[{p['index']}]"
        else:
            expr = f"{_attribute(node.id)}({srcs[0]})"
        lines.append(f"        {names[node.id]} = {expr}  # -> {fmt_shape(info.output_shape)}")
    outs = [names[o] for o in report.outputs]
    lines.append(f"        return {outs[0] if len(outs) == 1 else '(' + ', '.join(outs) + ')'}")
    lines += ["", "", f"model = {class_name}()", f"# trainable parameters: {report.total_params:,}"]
    return "\n".join(lines) + "\n"


def source_of(model: Any) -> str:
    """``model_source`` for a chain, ``graph_source`` for a graph."""
    if is_graph(model):
        graph = model if isinstance(model, GraphSpec) else GraphSpec.from_dict(model.get("model", model))
        return graph_source(graph)
    return model_source(model)
