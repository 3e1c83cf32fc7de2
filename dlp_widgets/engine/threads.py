"""How many CPU threads a run's tensor operations use.

A small model's operations are too short to gain from a second thread, and on a machine
whose cores are shared (with the notebook's own browser, other kernels, other jobs) a
thread pool that must wait for a descheduled member stalls every operation: a 240-step
run measured 0.98 s on one thread and 12.8 s on two while another process kept one core
busy. Small models therefore train on one thread; larger ones keep torch's default.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from ..spec import infer

# Multiply-adds per batch below which one thread is as fast as two on an idle machine
# (measured: an MLP 20-64-64-3 at batch 256, 1.4 M, ran 0.85 ms a step on one thread and
# 0.93 ms on two; at 19 M two threads were 1.3x faster, at 27 M (LeNet-5, batch 64) 1.6x).
SMALL_WORK = 4_000_000

# layers whose weights are applied at every position of their output's spatial dimensions
_CONV = {"Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d"}


def multiply_adds(model: Any) -> int | None:
    """Multiply-adds of one forward pass for one example, estimated from the spec's shapes
    (weights × the positions they are applied at, plus one per output value); None if the
    model's shapes do not check."""
    report = infer(model)
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


def threads_for(model: Any, batch_size: int, device: torch.device) -> int | None:
    """One thread for a small model on the CPU; None (leave torch's setting) otherwise."""
    if device.type != "cpu":
        return None
    work = multiply_adds(model)
    if work is None or work * batch_size >= SMALL_WORK:
        return None
    return 1


@contextmanager
def cpu_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op threads, then put back what was set before. Called
    in the training thread: with OpenMP the setting belongs to that thread."""
    if n is None or n >= torch.get_num_threads():
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
