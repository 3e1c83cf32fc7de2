"""The block palette: the building blocks of well-known networks, made for the shape they
receive and dropped as real nodes with fresh ids (``res1.conv1``, ``res1.add``, …), so a
block can be edited node by node, collapsed by its prefix, and trained like any graph.

Each template gets the incoming shape and returns nodes whose ids are local to the block;
``"@in"`` stands for what feeds the block. Widths follow the papers' usual ratios, scaled to
the incoming channels: a bottleneck narrows to a quarter (ResNet-50), a squeeze-excitation
gate to a quarter (MobileNetV3), an Inception block gives each of its four branches a quarter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import SpecError
from .graph import GraphSpec, node_words
from .rules import Shape, fmt_shape

IN = "@in"
Nodes = list[dict[str, Any]]


def _conv(i: str, out: int, k: int = 3, **more: Any) -> dict[str, Any]:
    params = {"out_channels": out, "kernel_size": k, **more}
    if k > 1 and "padding" not in more:
        params["padding"] = k // 2  # keeps height and width, so the merge at the end fits
    return {"id": i, "type": "Conv2d", "params": params}


def _bn(i: str) -> dict[str, Any]:
    return {"id": i, "type": "BatchNorm2d"}


def _relu(i: str) -> dict[str, Any]:
    return {"id": i, "type": "ReLU"}


def residual(shape: Shape) -> Nodes:
    if len(shape) == 1:  # a table's row: the same idea with linear layers
        n = shape[0]
        return [
            {"id": "fc1", "type": "Linear", "params": {"out_features": n}},
            _relu("relu1"),
            {"id": "fc2", "type": "Linear", "params": {"out_features": n}},
            {"id": "add", "type": "Add", "inputs": ["fc2", IN]},
            _relu("out"),
        ]
    c = shape[0]
    return [
        _conv("conv1", c, bias=False),
        _bn("bn1"),
        _relu("relu1"),
        _conv("conv2", c, bias=False),
        _bn("bn2"),
        {"id": "add", "type": "Add", "inputs": ["bn2", IN]},
        _relu("out"),
    ]


def bottleneck(shape: Shape) -> Nodes:
    c = shape[0]
    width = max(c // 4, 1)
    return [
        _conv("conv1", width, 1, bias=False),
        _bn("bn1"),
        _relu("relu1"),
        _conv("conv2", width, bias=False),
        _bn("bn2"),
        _relu("relu2"),
        _conv("conv3", c, 1, bias=False),
        _bn("bn3"),
        {"id": "add", "type": "Add", "inputs": ["bn3", IN]},
        _relu("out"),
    ]


def squeeze_excitation(shape: Shape) -> Nodes:
    c = shape[0]
    return [
        {"id": "squeeze", "type": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
        _conv("reduce", max(c // 4, 1), 1),
        _relu("relu"),
        _conv("expand", c, 1),
        {"id": "gate", "type": "Sigmoid"},
        {"id": "scale", "type": "Mul", "inputs": [IN, "gate"]},
    ]


def inception(shape: Shape) -> Nodes:
    q = max(shape[0] // 4, 1)
    return [
        {**_conv("b1", q, 1), "inputs": [IN]},
        {**_conv("b3_reduce", q, 1), "inputs": [IN]},
        _conv("b3", q, 3),
        {**_conv("b5_reduce", q, 1), "inputs": [IN]},
        _conv("b5", q, 5),
        {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 3, "stride": 1, "padding": 1}, "inputs": [IN]},
        _conv("pool_proj", q, 1),
        {"id": "cat", "type": "Concat", "params": {"dim": 1}, "inputs": ["b1", "b3", "b5", "pool_proj"]},
    ]


def dense(shape: Shape, layers: int = 3) -> Nodes:
    growth = max(shape[0] // 2, 4)
    nodes: Nodes = []
    joined = IN
    for k in range(1, layers + 1):
        nodes += [
            {**_bn(f"bn{k}"), "inputs": [joined]},
            _relu(f"relu{k}"),
            _conv(f"conv{k}", growth, bias=False),
            {"id": f"cat{k}", "type": "Concat", "params": {"dim": 1}, "inputs": [joined, f"conv{k}"]},
        ]
        joined = f"cat{k}"
    return nodes


def unet_step(shape: Shape) -> Nodes:
    c, h, w = shape
    if h % 2 or w % 2:
        raise ValueError(f"needs an even height and width to pool and come back up, not {h} × {w}")
    return [
        _conv("down_conv", c),
        _relu("skip"),
        {"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 2}},
        _conv("mid_conv", 2 * c),
        _relu("mid_relu"),
        {"id": "up", "type": "ConvTranspose2d", "params": {"out_channels": c, "kernel_size": 2, "stride": 2}},
        {"id": "cat", "type": "Concat", "params": {"dim": 1}, "inputs": ["up", "skip"]},
        _conv("up_conv", c),
        _relu("out"),
    ]


@dataclass(frozen=True)
class BlockTemplate:
    name: str
    title: str
    summary: str
    ranks: tuple[int, ...]  # the ranks of input it takes: 1 a table's row, 3 an image
    make: Callable[[Shape], Nodes]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "summary": self.summary, "ranks": list(self.ranks)}


TEMPLATES: dict[str, BlockTemplate] = {
    t.name: t
    for t in (
        BlockTemplate(
            "residual",
            "Residual block",
            "Two 3×3 convolutions (or two linear layers on a table) and a skip connection added back (ResNet).",
            (1, 3),
            residual,
        ),
        BlockTemplate(
            "bottleneck",
            "Bottleneck block",
            "1×1 narrows to a quarter, 3×3, 1×1 widens back, plus the skip (ResNet-50).",
            (3,),
            bottleneck,
        ),
        BlockTemplate(
            "se",
            "Squeeze-excitation",
            "Averages each channel, learns a gate per channel, and multiplies the input by it (SENet, MobileNetV3).",
            (3,),
            squeeze_excitation,
        ),
        BlockTemplate(
            "inception",
            "Inception block",
            "Four branches side by side (1×1, 3×3, 5×5, pooling), joined along the channels (GoogLeNet).",
            (3,),
            inception,
        ),
        BlockTemplate(
            "dense",
            "Dense block",
            "Three layers, each seeing every earlier output joined along the channels (DenseNet).",
            (3,),
            dense,
        ),
        BlockTemplate(
            "unet",
            "U-Net step",
            "Down (convolution, pooling), up (transposed convolution), and the skip joined back (U-Net).",
            (3,),
            unet_step,
        ),
    )
}

# a block's prefix: the template's short name and a number
PREFIXES = {
    "residual": "res",
    "bottleneck": "bottleneck",
    "se": "se",
    "inception": "inception",
    "dense": "dense",
    "unet": "unet",
}


def fresh_prefix(graph: GraphSpec, name: str) -> str:
    taken = {n.id.split(".", 1)[0] for n in graph.nodes} | {g.id for g in graph.inputs}
    stem = PREFIXES[name]
    k = 1
    while f"{stem}{k}" in taken:
        k += 1
    return f"{stem}{k}"


def insert_block(graph: GraphSpec, name: str, after: str, shape: Shape | None) -> tuple[GraphSpec, list[str]]:
    """``graph`` with block ``name`` inserted after ``after`` (a node or input id, whose
    output ``shape`` the block is made for), and the new node ids. The node that followed
    ``after`` in a chain now follows the block; nodes that name ``after`` explicitly keep
    reading it."""
    template = TEMPLATES.get(name)
    if template is None:
        raise SpecError(f'there is no block "{name}"; the blocks are {", ".join(TEMPLATES)}', param="block")
    node = next((n for n in graph.nodes if n.id == after), None)
    where = node_words(node.type, node.id) if node is not None else f'the input "{after}"'
    if node is None and after not in {g.id for g in graph.inputs}:
        raise SpecError(f'"{after}" is no node or input of the model', node=after)
    if shape is None:
        raise SpecError(f"{where} has no output shape yet: fix its error first, then add the block", node=after)
    if len(shape) not in template.ranks:
        wanted = " or ".join(
            {1: "a table's row [features]", 3: "an image [channels, height, width]"}[r] for r in template.ranks
        )
        raise SpecError(
            f"the {template.title.lower()} takes {wanted}, but {where} gives {fmt_shape(shape)}", node=after
        )
    try:
        local = template.make(tuple(shape))
    except ValueError as exc:
        raise SpecError(f"the {template.title.lower()} after {where} ({fmt_shape(shape)}) {exc}", node=after) from None
    prefix = fresh_prefix(graph, name)

    def rename(i: str) -> str:
        return after if i == IN else f"{prefix}.{i}"

    raw_graph = graph.to_dict()
    # right after `after` in the list: a node without inputs reads the one before it, so a
    # chain stays a chain, and the node that followed `after` now follows the block
    position = next((k + 1 for k, n in enumerate(raw_graph["nodes"]) if n["id"] == after), 0)
    first_input = graph.inputs[0].id
    new_nodes = []
    for k, raw in enumerate(local):
        item = {**raw, "id": rename(raw["id"])}
        if "inputs" in raw:
            item["inputs"] = [rename(i) for i in raw["inputs"]]
        elif k == 0 and position == 0 and after != first_input:
            item["inputs"] = [after]  # first in the list, it would read the first input
        new_nodes.append(item)
    following = raw_graph["nodes"][position] if position < len(raw_graph["nodes"]) else None
    if following is not None and "inputs" not in following and position == 0 and after != first_input:
        following["inputs"] = [first_input]  # it read the first input, and still must
    raw_graph["nodes"][position:position] = new_nodes
    return GraphSpec.from_dict(raw_graph), [n["id"] for n in new_nodes]
