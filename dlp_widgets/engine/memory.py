"""Memory a run's batches need, estimated from the spec's shapes before anything is
allocated: a batch that cannot fit is refused with a message instead of the kernel being
killed by the operating system, and evaluation takes as many rows at a time as fit."""

from __future__ import annotations

from pathlib import Path

import torch

from ..spec import SpecError
from ..spec.costs import activation_bytes

__all__ = ["activation_bytes", "available_bytes", "check_batch_fits", "eval_rows"]

# Training keeps every layer's output for the backward pass and makes a gradient of each:
# a rough rule of three copies of the activations at the peak. It only has to tell a batch
# that fits from one that is many times too large.
TRAIN_COPIES = 3
EVAL_BUDGET = 512 * 2**20  # activations of one evaluation chunk; no graph is kept then
MAX_EVAL_ROWS = 65_536


def available_bytes(device: torch.device) -> int | None:
    """Memory free for this run on ``device``, None where it cannot be told."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    meminfo = Path("/proc/meminfo")
    if device.type == "cpu" and meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def eval_rows(per_example: int | None, batch_size: int) -> int:
    """Rows per evaluation step: all that fit in the budget, at least one training batch."""
    if not per_example:
        return MAX_EVAL_ROWS
    return max(batch_size, min(MAX_EVAL_ROWS, EVAL_BUDGET // per_example))


def check_batch_fits(per_example: int | None, batch_size: int, device: torch.device) -> None:
    """Refuse a training batch whose activations would not fit in the memory left."""
    available = available_bytes(device)
    if not per_example or available is None:
        return
    need = per_example * batch_size * TRAIN_COPIES
    if need > 0.8 * available:
        fits = max(1, int(0.8 * available // (per_example * TRAIN_COPIES)))
        advice = (
            f"use a batch size of at most {fits:,}, or smaller inputs (a Resize)"
            if fits < batch_size
            else "use smaller inputs (a Resize) or a smaller model"
        )
        raise SpecError(
            f"a batch of {batch_size:,} needs about {_gb(need)} of memory for the model's activations "
            f"({_gb(per_example)} per example), but the {device.type} has {_gb(available)} free: {advice}",
            param="batch_size",
            path="training.batch_size",
        )


def _gb(n: float) -> str:
    return f"{n / 2**30:,.1f} GB" if n >= 2**30 else f"{n / 2**20:,.0f} MB"
