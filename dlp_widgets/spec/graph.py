"""The model section of spec version 2: a graph. Inputs with shapes, nodes (a layer of the
catalogue, or a merge: ``Add``, ``Mul``, ``Concat``) that name what they read, outputs.

A node's ``inputs`` is an ordered list of node or input ids; left out, it is the previous
node's output (the first node's: the first input), so a chain needs no ``inputs`` at all
and a version-1 model is the graph whose nodes are its layers. ``outputs`` left out: the
last node. Ids are letters, digits, ``_``, ``.`` and ``-``, so module paths (``layer1.0.conv1``,
RegNet's ``block1-0``) are ids. Parsing checks each node on its own (its id, type, parameters, how many inputs it
takes); what the nodes make together — ids that exist, no cycle, shapes — is the
inference's (``graph_shapes``), which names the node of every problem."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import catalogue
from .errors import SpecError
from .merges import MERGES
from .model import LayerSpec, ModelSpec, check_params, parse_input_shape
from .ops import OPS
from .params import describe_value
from .parsing import check_keys, key_text, require_object, suggest, unknown_key

MAX_NODES = 5000
MAX_INPUTS = 16  # inputs and outputs of a model
MAX_NODE_INPUTS = 1000  # a DenseNet block joins dozens
ID = re.compile(r"[A-Za-z0-9_.\-]{1,200}")
NODE_KEYS = ("id", "type", "params", "inputs")


@dataclass
class GraphInput:
    id: str
    shape: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "shape": list(self.shape)}


@dataclass
class NodeSpec:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] | None = None  # None: the previous node's output

    @property
    def is_merge(self) -> bool:
        return self.type in MERGES

    @property
    def is_op(self) -> bool:
        """An operation of one input that is a call, not a module (``Mean``)."""
        return self.type in OPS

    def filled(self) -> dict[str, Any]:
        """The given parameters over torch's defaults."""
        entry = MERGES.get(self.type) or OPS.get(self.type) or catalogue.CATALOGUE[self.type]
        return {**entry.defaults(), **self.params}

    def layer(self) -> LayerSpec:
        return LayerSpec(self.type, self.params)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.params:
            out["params"] = dict(self.params)
        if self.inputs is not None:
            out["inputs"] = list(self.inputs)
        return out


def is_graph(value: Any) -> bool:
    """Whether ``value`` is a graph model (version 2): a ``GraphSpec``, a model section with
    ``nodes`` or ``inputs``, or a whole spec whose model is one."""
    if isinstance(value, GraphSpec):
        return True
    if isinstance(value, dict):
        if "nodes" in value or "inputs" in value:
            return True
        model = value.get("model")
        return isinstance(model, (dict, GraphSpec)) and is_graph(model)
    return False


def node_words(type_: str, node_id: str) -> str:
    return f'{type_} "{node_id}"'


def check_id(value: Any, what: str, path: str, node: str | None = None) -> str:
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise SpecError(
            f"{what} must be an id of letters, digits, _, . and - (at most 200), not {describe_value(value)}",
            node=node,
            path=path,
        )
    return value


def parse_node(raw: Any, index: int) -> NodeSpec:
    """One node's id, type, parameter values and inputs list (not whether they exist)."""
    path = f"model.nodes[{index}]"
    if not isinstance(raw, dict):
        raise SpecError(
            f"node {index + 1} must be an object with an id and a type, not {describe_value(raw)}", path=path
        )
    node_id = check_id(raw.get("id"), f"node {index + 1}'s id", f"{path}.id")
    for key in raw:
        if key not in NODE_KEYS:
            raise SpecError(
                unknown_key(key, NODE_KEYS, f'node "{node_id}"'), node=node_id, path=f"{path}.{key_text(key)}"
            )
    kind = raw.get("type")
    known = [*catalogue.CATALOGUE, *MERGES, *OPS]
    if not isinstance(kind, str) or kind not in known:
        hint = suggest(kind, known) if isinstance(kind, str) else ""
        shown = f'"{key_text(kind)}"' if isinstance(kind, str) else describe_value(kind)
        raise SpecError(f'node "{node_id}" has an unknown type {shown}.{hint}', node=node_id, path=f"{path}.type")
    entry = MERGES.get(kind) or OPS.get(kind) or catalogue.CATALOGUE[kind]
    words = node_words(kind, node_id)
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise SpecError(
            f"{words}: params must be an object, not {describe_value(params)}", node=node_id, path=f"{path}.params"
        )
    checked = check_params(entry, params, words, path, node=node_id)
    return NodeSpec(node_id, kind, checked, _parse_inputs(raw, node_id, kind, words, path))


def _parse_inputs(raw: dict[str, Any], node_id: str, kind: str, words: str, path: str) -> tuple[str, ...] | None:
    if "inputs" not in raw or raw["inputs"] is None:
        return () if kind in MERGES else None  # a merge with nothing to merge: see input_count_error
    inputs = raw["inputs"]
    if not isinstance(inputs, list) or len(inputs) > MAX_NODE_INPUTS:
        raise SpecError(
            f"{words}: inputs must be a list of at most {MAX_NODE_INPUTS} ids, not {describe_value(inputs)}",
            node=node_id,
            path=f"{path}.inputs",
        )
    return tuple(check_id(v, f"{words}'s input {i + 1}", f"{path}.inputs[{i}]", node_id) for i, v in enumerate(inputs))


def input_count_error(node: NodeSpec, index: int) -> SpecError | None:
    """Why ``node`` has the wrong number of inputs, or None. Apart from the parse: a graph
    being drawn has an Add with one input until its skip is connected, and the builder
    still shows every other node's shape meanwhile."""
    if node.inputs is None:
        return None
    words, path = node_words(node.type, node.id), f"model.nodes[{index}].inputs"
    n = len(node.inputs)
    if node.is_merge:
        # torch.cat joins a list of one as well (DenseNet's first layer does): Concat takes one or more
        least = 1 if node.type == "Concat" else 2
        if n == 0:
            return SpecError(f"{words} needs inputs: a list of node ids to merge", node=node.id, path=path)
        if n < least:
            wanted = "one or more inputs" if least == 1 else "two or more inputs"
            return SpecError(f"{words} takes {wanted}, not {n}", node=node.id, path=path)
        return None
    if n != 1:
        return SpecError(f"{words} takes one input, not {n}", node=node.id, path=path)
    return None


def _parse_graph_input(raw: Any, index: int) -> GraphInput:
    path = f"model.inputs[{index}]"
    raw = require_object(raw, f"input {index + 1}", path)
    check_keys(raw, ("id", "shape"), f"input {index + 1}", path)
    input_id = check_id(raw.get("id"), f"input {index + 1}'s id", f"{path}.id")
    try:
        shape = parse_input_shape(raw.get("shape"))
    except SpecError as exc:
        raise SpecError(
            exc.message.replace("input_shape", f'input "{input_id}"\'s shape'), node=input_id, path=f"{path}.shape"
        ) from None
    return GraphInput(input_id, shape)


@dataclass
class GraphSpec:
    inputs: list[GraphInput]
    nodes: list[NodeSpec] = field(default_factory=list)
    outputs: list[str] | None = None  # None: the last node

    @classmethod
    def from_dict(cls, raw: Any, *, lenient: bool = False) -> GraphSpec:
        """The graph of ``raw``, checked; ``lenient`` lets nodes with the wrong number of
        inputs through (the shape inference then names them), for a graph being drawn."""
        raw = require_object(raw, "model", "model")
        if "input_shape" in raw or "layers" in raw:  # a version-1 chain
            return cls.from_chain(ModelSpec.from_dict(raw))
        check_keys(raw, ("inputs", "nodes", "outputs"), "model", "model")
        inputs_raw = raw.get("inputs")
        if not isinstance(inputs_raw, list) or not 1 <= len(inputs_raw) <= MAX_INPUTS:
            raise SpecError(
                f'model.inputs must list 1 to {MAX_INPUTS} inputs such as {{"id": "x", "shape": [3, 32, 32]}}, '
                f"not {describe_value(inputs_raw)}",
                path="model.inputs",
            )
        nodes_raw = raw.get("nodes", [])
        if not isinstance(nodes_raw, list) or len(nodes_raw) > MAX_NODES:
            raise SpecError(f"model.nodes must be a list of at most {MAX_NODES:,} nodes", path="model.nodes")
        graph = cls(
            [_parse_graph_input(r, i) for i, r in enumerate(inputs_raw)],
            [parse_node(r, i) for i, r in enumerate(nodes_raw)],
        )
        if not lenient:
            for i, node in enumerate(graph.nodes):
                problem = input_count_error(node, i)
                if problem is not None:
                    raise problem
        seen: set[str] = set()
        for item_id in [g.id for g in graph.inputs] + [n.id for n in graph.nodes]:
            if item_id in seen:
                raise SpecError(
                    f'the id "{item_id}" is used twice; every input and node needs its own', node=item_id, path="model"
                )
            seen.add(item_id)
        outputs = raw.get("outputs")
        if outputs is not None:
            if not isinstance(outputs, list) or not 1 <= len(outputs) <= MAX_INPUTS:
                raise SpecError(
                    f"model.outputs must list 1 to {MAX_INPUTS} node ids, not {describe_value(outputs)}",
                    path="model.outputs",
                )
            graph.outputs = [check_id(v, f"output {i + 1}", f"model.outputs[{i}]") for i, v in enumerate(outputs)]
        return graph

    @classmethod
    def from_chain(cls, model: ModelSpec) -> GraphSpec:
        """A version-1 chain as a graph: nodes named as ``nn.Sequential`` names its modules."""
        return cls(
            [GraphInput("x", model.input_shape)],
            [NodeSpec(str(i), layer.type, dict(layer.params)) for i, layer in enumerate(model.layers)],
        )

    def sources(self, index: int) -> tuple[str, ...]:
        """What node ``index`` reads: its inputs, else the previous node (the first input)."""
        node = self.nodes[index]
        if node.inputs is not None:
            return node.inputs
        return (self.nodes[index - 1].id,) if index else (self.inputs[0].id,)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The first input's shape: what one table row or image is, for a model of one input."""
        return self.inputs[0].shape

    @property
    def output_ids(self) -> list[str]:
        if self.outputs is not None:
            return list(self.outputs)
        return [self.nodes[-1].id] if self.nodes else [self.inputs[0].id]

    def as_chain(self) -> ModelSpec | None:
        """The version-1 model this graph is, when it is a chain; None otherwise."""
        if len(self.inputs) != 1 or any(n.is_merge or n.is_op for n in self.nodes):
            return None
        for i, node in enumerate(self.nodes):
            previous = self.nodes[i - 1].id if i else self.inputs[0].id
            if node.inputs is not None and node.inputs != (previous,):
                return None
        last = self.nodes[-1].id if self.nodes else self.inputs[0].id
        if self.outputs is not None and self.outputs != [last]:
            return None
        return ModelSpec(self.inputs[0].shape, [n.layer() for n in self.nodes])

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"inputs": [g.to_dict() for g in self.inputs], "nodes": [n.to_dict() for n in self.nodes]}
        if self.outputs is not None:
            out["outputs"] = list(self.outputs)
        return out


def chain_of(model: Any) -> ModelSpec:
    """``model`` as a chain (``ModelSpec``) for what holds chains of layers (the layer builder,
    the Playground); a graph that is no chain is refused, naming its first merge."""
    if not is_graph(model):
        return model if isinstance(model, ModelSpec) else ModelSpec.from_dict(model)
    graph = model if isinstance(model, GraphSpec) else GraphSpec.from_dict(model.get("model", model))
    chain = graph.as_chain()
    if chain is None:
        first = next((n for n in graph.nodes if n.is_merge or n.inputs is not None), None)
        where = f' (node "{first.id}")' if first is not None else ""
        raise SpecError(
            f"this model is a graph with branches or merges{where}, and the layer builder holds chains of "
            "layers: see its shapes with dlp.infer(spec) and train it with dlp.train(spec)",
            node=first.id if first is not None else None,
        )
    return chain
