"""Starting models that fit the data and learn with the default training settings."""

from __future__ import annotations

from typing import Any


def default_model(input_shape: list[int], n_outputs: int) -> dict[str, Any]:
    """A small MLP for tables, a small CNN for images; ``n_outputs`` classes (or 1)."""
    if len(input_shape) == 3:
        layers = [
            {"type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 3, "padding": 1}},
            {"type": "ReLU"},
            {"type": "MaxPool2d", "params": {"kernel_size": 2}},
            {"type": "Conv2d", "params": {"out_channels": 32, "kernel_size": 3, "padding": 1}},
            {"type": "ReLU"},
            {"type": "AdaptiveAvgPool2d", "params": {"output_size": 2}},
            {"type": "Flatten"},
            {"type": "Linear", "params": {"out_features": n_outputs}},
        ]
    else:
        layers = [
            {"type": "Linear", "params": {"out_features": 32}},
            {"type": "ReLU"},
            {"type": "Linear", "params": {"out_features": n_outputs}},
        ]
    return {"input_shape": list(input_shape), "layers": layers}
