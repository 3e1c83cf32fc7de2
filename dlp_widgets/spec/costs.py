"""What a model costs, from its shapes alone (no torch): multiply-adds of a forward pass
and the memory of one example's activations. The engine decides threads and batch memory
from them; the Playground can show them before anything is built."""

from __future__ import annotations

import math

from .shapes import ShapeReport

BYTES_PER_VALUE = 4  # float32
# layers whose weights are applied at every position of their output's spatial dimensions
_CONV = {"Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d"}


def multiply_adds(report: ShapeReport) -> int | None:
    """Multiply-adds of one forward pass for one example, estimated from the shapes
    (weights × the positions they are applied at, plus one per output value); None if the
    model's shapes do not check."""
    if report.error:
        return None
    total = 0
    for layer in report.layers:
        shape = tuple(layer.output_shape or ())
        size = math.prod(shape) if shape else 1
        weights = layer.params or 0
        if layer.type in _CONV and len(shape) >= 2:
            positions = math.prod(shape[1:])
        else:
            positions = math.prod(shape[:-1]) if len(shape) > 1 else 1
        total += weights * positions + size
    return total


def activation_bytes(report: ShapeReport) -> int | None:
    """Bytes of one example's input and every layer's output (None if the shapes do not check)."""
    if report.error:
        return None
    values = math.prod(report.input_shape) + sum(math.prod(layer.output_shape or (1,)) for layer in report.layers)
    return values * BYTES_PER_VALUE
