"""What a model costs, from its shapes alone (no torch): multiply-adds of a forward pass
and the memory of one example's activations. The engine decides threads and batch memory
from them; the Playground can show them before anything is built."""

from __future__ import annotations

import math

from .graph_shapes import GraphReport
from .shapes import ShapeReport

BYTES_PER_VALUE = 4  # float32
# A model above this many trainable parameters would not fit in memory on the machines the
# playground targets; refusing is kinder than a dead kernel.
MAX_PARAMS = 1_000_000_000
# layers whose weights are applied at every position of their output's spatial dimensions
_CONV = {"Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d"}


def _parts(report: ShapeReport | GraphReport) -> list:
    """The layers (or the nodes that are part of the model) a report holds."""
    if isinstance(report, GraphReport):
        return [node for node in report.nodes if node.used]
    return report.layers


def multiply_adds(report: ShapeReport | GraphReport) -> int | None:
    """Multiply-adds of one forward pass for one example, estimated from the shapes
    (weights × the positions they are applied at, plus one per output value); None if the
    model's shapes do not check."""
    if report.error:
        return None
    total = 0
    for layer in _parts(report):
        shape = tuple(layer.output_shape or ())
        size = math.prod(shape) if shape else 1
        weights = layer.params or 0
        if layer.type in _CONV and len(shape) >= 2:
            positions = math.prod(shape[1:])
        else:
            positions = math.prod(shape[:-1]) if len(shape) > 1 else 1
        total += weights * positions + size
    return total


def activation_bytes(report: ShapeReport | GraphReport) -> int | None:
    """Bytes of one example's inputs and every layer's output (None if the shapes do not check)."""
    if report.error:
        return None
    if isinstance(report, GraphReport):
        inputs = sum(math.prod(shape) for shape in report.input_shapes.values())
    else:
        inputs = math.prod(report.input_shape)
    values = inputs + sum(math.prod(layer.output_shape or (1,)) for layer in _parts(report))
    return values * BYTES_PER_VALUE
