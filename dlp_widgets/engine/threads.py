"""How many CPU threads a run's tensor operations use.

A small model's operations are too short to gain from a second thread, and on a machine
whose cores are shared (with the notebook's own browser, other kernels, other jobs) a
thread pool that must wait for a descheduled member stalls every operation: a 240-step
run measured 0.98 s on one thread and 12.8 s on two while another process kept one core
busy. Small models drawn by a browser as they train (a dashboard, the Playground)
therefore train on one thread; larger ones, and any run nobody watches, keep torch's
setting, which is as fast or faster on cores nobody else needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ..spec.costs import multiply_adds
from ..spec.shapes import ShapeReport

# Multiply-adds per batch below which one thread is as fast as two on an idle machine
# (measured: an MLP 20-64-64-3 at batch 256, 1.4 M, ran 0.85 ms a step on one thread and
# 0.93 ms on two; at 19 M two threads were 1.3x faster, at 27 M (LeNet-5, batch 64) 1.6x).
SMALL_WORK = 4_000_000


def threads_for(report: ShapeReport, batch_size: int, device: torch.device) -> int | None:
    """One thread for a small model on the CPU; None (leave torch's setting) otherwise. The
    plan asks only for runs a browser draws (``plan_run(displayed=True)``)."""
    if device.type != "cpu":
        return None
    work = multiply_adds(report)
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
