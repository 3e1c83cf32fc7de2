"""Merge nodes: the operations that take two or more inputs — ``Add`` and ``Mul`` (a skip
connection, a squeeze-excitation gate) and ``Concat`` (DenseNet, Inception) — with torch's
semantics. Shapes here leave out the batch dimension; ``Concat``'s ``dim`` counts it, as
``torch.cat`` does (dim 1 is the channels of an image, the features of a table)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .params import Param
from .rules import Shape, ShapeError, fmt_shape

MergeRule = Callable[[dict[str, Any], list[Shape], list[str], str], Shape]


@dataclass(frozen=True)
class MergeType:
    name: str
    params: tuple[Param, ...]
    summary: str
    formula: str
    rule: MergeRule
    torch_call: str  # what the built model calls
    shape_rule: str = ""
    when: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


def _inputs_text(shapes: list[Shape], sources: list[str]) -> str:
    return ", ".join(f"{s} gives {fmt_shape(shape)}" for s, shape in zip(sources, shapes, strict=True))


def broadcast(p: dict[str, Any], shapes: list[Shape], sources: list[str], node: str) -> Shape:
    """torch's broadcasting, per example: equal ranks (a rank that differs would broadcast
    against the batch dimension, which depends on the batch), each size equal or 1."""
    ranks = {len(s) for s in shapes}
    if len(ranks) > 1:
        raise ShapeError(
            f"{node} cannot combine inputs of different ranks ({_inputs_text(shapes, sources)}): "
            "they would broadcast against the batch dimension. Reshape or flatten one of them first."
        )
    out = []
    for i, sizes in enumerate(zip(*shapes, strict=True)):
        big = [k for k, d in enumerate(sizes) if d != 1]
        clash = next((k for k in big if sizes[k] != sizes[big[0]]), None)
        if clash is not None:
            first, second = big[0], clash
            raise ShapeError(
                f"{node} cannot broadcast {sources[first]} {fmt_shape(shapes[first])} with "
                f"{sources[second]} {fmt_shape(shapes[second])}: dimension {i + 1} (after the batch) "
                f"is {shapes[first][i]} in one and {shapes[second][i]} in the other; each must be equal or 1."
            )
        out.append(max(sizes))
    return tuple(out)


def concat(p: dict[str, Any], shapes: list[Shape], sources: list[str], node: str) -> Shape:
    rank = len(shapes[0]) + 1  # with the batch dimension, as torch.cat counts
    dim = p["dim"]
    if not -rank <= dim < rank:
        raise ShapeError(f"{node} has dim={dim}, but its inputs have {rank} dimensions with the batch.", "dim")
    dim = dim % rank
    if dim == 0:
        raise ShapeError(f"{node} would concatenate along the batch dimension (dim 0); use dim=1.", "dim")
    for shape, source in zip(shapes[1:], sources[1:], strict=True):
        if len(shape) != len(shapes[0]):
            raise ShapeError(
                f"{node} needs inputs of one rank: {sources[0]} gives {fmt_shape(shapes[0])}, "
                f"{source} gives {fmt_shape(shape)}."
            )
        for i, (a, b) in enumerate(zip(shapes[0], shape, strict=True)):
            if i + 1 != dim and a != b:
                raise ShapeError(
                    f"{node} joins along dim {dim}, so every other dimension must be equal, but dimension "
                    f"{i + 1} is {a} in {sources[0]} {fmt_shape(shapes[0])} and {b} in {source} {fmt_shape(shape)}."
                )
    out = list(shapes[0])
    out[dim - 1] = sum(s[dim - 1] for s in shapes)
    return tuple(out)


MERGES: dict[str, MergeType] = {
    m.name: m
    for m in (
        MergeType(
            "Add",
            (),
            "Adds its inputs element by element: a residual (skip) connection.",
            "y = x₁ + x₂ + …",
            broadcast,
            "operator.add",
            shape_rule="inputs of one rank broadcast as torch does: each size equal, or 1; no parameters.",
            when="A skip connection: the block's input added to its output (ResNet), so the block learns a correction.",
        ),
        MergeType(
            "Mul",
            (),
            "Multiplies its inputs element by element: a gate, as in squeeze-and-excitation.",
            "y = x₁ · x₂ · …",
            broadcast,
            "operator.mul",
            shape_rule="inputs of one rank broadcast as torch does: a [C, 1, 1] gate scales each channel of [C, H, W].",
            when="A gate: a Sigmoid's output (0 to 1) multiplies features to weigh them (squeeze-excitation, attention).",
        ),
        MergeType(
            "Concat",
            (Param("dim", "int", 1, "the dimension to join along, counting the batch as dim 0", -4, 3),),
            "Joins its inputs along one dimension: DenseNet and Inception blocks.",
            "y = cat([x₁, x₂, …], dim)",
            concat,
            "torch.cat",
            shape_rule="every dimension equal but dim, whose sizes add up: [16, H, W] and [32, H, W] give [48, H, W].",
            when="Keeping several views side by side: Inception's branches, DenseNet's growing feature maps, U-Net's skips.",
        ),
    )
}
