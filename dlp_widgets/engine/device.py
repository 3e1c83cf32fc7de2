"""Which device a run uses: CUDA, then Apple MPS, then the CPU, unless the spec says."""

from __future__ import annotations

import torch

from ..spec import SpecError


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SpecError(
                f'training.device is "{requested}", but this machine has no CUDA GPU; use "auto" or "cpu"',
                param="device",
            )
        index = int(requested.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise SpecError(
                f'training.device is "{requested}", but there are {torch.cuda.device_count()} GPU(s)', param="device"
            )
    if requested == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise SpecError(
            'training.device is "mps", but Apple MPS is not available here; use "auto" or "cpu"', param="device"
        )
    return torch.device(requested)


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type
