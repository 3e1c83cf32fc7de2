"""Operations of one input that are calls in torch, not modules: ``Mean`` over dimensions
(``x.mean([2, 3])``, as MNASNet pools). Dimensions count the batch as dim 0, as torch's do;
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
    ),
}
