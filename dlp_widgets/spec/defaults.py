"""Starting models that fit the data and learn with the default training settings."""

from __future__ import annotations

from typing import Any

from .catalogue import starting_layer


def default_model(input_shape: list[int], n_outputs: int) -> dict[str, Any]:
    """A small MLP for tables, a small CNN for images; ``n_outputs`` classes (or 1).

    Layers start from the palette's starting values, so a model written here reads like one
    built by hand in the builder: every value that matters is in the spec.
    """
    if len(input_shape) == 3:
        layers = [
            starting_layer("Conv2d", out_channels=16),
            starting_layer("ReLU"),
            starting_layer("MaxPool2d"),
            starting_layer("Conv2d", out_channels=32),
            starting_layer("ReLU"),
            starting_layer("AdaptiveAvgPool2d", output_size=2),
            starting_layer("Flatten"),
            starting_layer("Linear", out_features=n_outputs),
        ]
    else:
        layers = [
            starting_layer("Linear", out_features=32),
            starting_layer("ReLU"),
            starting_layer("Linear", out_features=n_outputs),
        ]
    return {"input_shape": list(input_shape), "layers": layers}
