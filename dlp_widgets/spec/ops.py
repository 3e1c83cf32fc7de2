"""Operations of one input that are calls in torch, not modules: ``Mean`` over dimensions
(``x.mean([2, 3])``, as MNASNet pools) and ``Chunk``, one piece of ``x.chunk`` (ShuffleNet
splits its channels in two). Dimensions count the batch as dim 0, as torch's do;
shapes here leave it out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .params import Param
from .rules import Shape, ShapeError

OpRule = Callable[[dict[str, Any], Shape, str], Shape]


@dataclass(frozen=True)
class OpType:
    name: str
    params: tuple[Param, ...]
    summary: str
    formula: str
    rule: OpRule
    shape_rule: str = ""
    when: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params if not p.required}


def mean(p: dict[str, Any], shape: Shape, node: str) -> Shape:
    rank = len(shape) + 1
    dims = p["dim"] if isinstance(p["dim"], list) else [p["dim"]]
    resolved = []
    for d in dims:
        if not -rank <= d < rank:
            raise ShapeError(
                f"{node} averages over dim {d}, but its input has {rank} dimensions with the batch.", "dim"
            )
        resolved.append(d % rank)
    if 0 in resolved:
        raise ShapeError(f"{node} would average over the batch dimension (dim 0).", "dim")
    if len(set(resolved)) < len(resolved):
        raise ShapeError(f"{node} names a dimension twice in dim={dims}.", "dim")
    if p["keepdim"]:
        return tuple(1 if i + 1 in resolved else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i + 1 not in resolved)


def chunk(p: dict[str, Any], shape: Shape, node: str) -> Shape:
    """One piece of ``torch.chunk``: pieces of ⌈size / chunks⌉ along dim, the last one smaller,
    and fewer than ``chunks`` pieces when the size runs out first (as torch gives them)."""
    rank = len(shape) + 1
    d = p["dim"]
    if not -rank <= d < rank:
        raise ShapeError(f"{node} splits dim {d}, but its input has {rank} dimensions with the batch.", "dim")
    d %= rank
    if d == 0:
        raise ShapeError(f"{node} would split the batch dimension (dim 0); dim=1 splits the channels.", "dim")
    size, chunks, index = shape[d - 1], p["chunks"], p["index"]
    step = -(-size // chunks)
    pieces = -(-size // step)
    if index >= pieces:
        raise ShapeError(
            f"{node} takes piece {index}, but torch.chunk cuts a size of {size} into {pieces} "
            f"piece{'s' if pieces > 1 else ''} of {step} (counting from 0).",
            "index",
        )
    return (*shape[: d - 1], min(step, size - index * step), *shape[d:])


OPS: dict[str, OpType] = {
    "Mean": OpType(
        "Mean",
        (
            Param(
                "dim",
                "shape",
                None,
                "the dimensions to average over, counting the batch as dim 0",
                -4,
                3,
                required=True,
            ),
            Param("keepdim", "bool", False, "keep the averaged dimensions, with size 1"),
        ),
        "The mean over some dimensions: [2, 3] averages an image's height and width (global pooling).",
        "y = mean of x over dim",
        mean,
        shape_rule="the dimensions in dim go (or stay with size 1 with keepdim): [C, H, W] over [2, 3] gives [C].",
        when="Global average pooling written as torch code does (x.mean([2, 3])), before the classifier.",
    ),
    "Chunk": OpType(
        "Chunk",
        (
            Param("chunks", "int", None, "how many pieces torch.chunk cuts the dimension into", 1, 4096, required=True),
            Param("dim", "int", 0, "the dimension to cut, counting the batch as dim 0 (which it may not cut)", -4, 3),
            Param("index", "int", None, "which piece this node is, counting from 0", 0, 4095, required=True),
        ),
        "One piece of x.chunk(chunks, dim): x1, x2 = x.chunk(2, dim=1) is two Chunk nodes (index 0 and 1).",
        "y = x.chunk(chunks, dim)[index]",
        chunk,
        shape_rule="dim is cut into chunks pieces of equal size (the last may be smaller), as torch.chunk cuts it.",
        when="Splitting channels into branches that are processed apart and joined again (ShuffleNet).",
    ),
}
