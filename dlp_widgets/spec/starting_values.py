"""What a layer starts with when it is added from the palette: real values written into
the spec, so a new layer is valid at once. A spec's omitted parameter still means torch's
default; these values are only the palette's friendly start."""

from __future__ import annotations

import copy
from typing import Any

# What a layer starts with when it is added from the palette, written into the spec as real
# values. Every parameter torch requires is here, so a new layer is valid at once; padding 1
# keeps a 3×3 convolution's image size, and dim 1 is the class dimension (torch's implicit
# choice is deprecated); Upsample needs a size or a scale, and Permute starts channels-last.
# Layers not listed start with torch's defaults.
STARTING_VALUES: dict[str, dict[str, Any]] = {
    "Linear": {"out_features": 10},
    "Softmax": {"dim": 1},
    "LogSoftmax": {"dim": 1},
    "Conv2d": {"out_channels": 8, "kernel_size": 3, "padding": 1},
    "MaxPool2d": {"kernel_size": 2},
    "AvgPool2d": {"kernel_size": 2},
    "AdaptiveAvgPool2d": {"output_size": 1},
    "StochasticDepth": {"p": 0.2, "mode": "row"},
    "Conv1d": {"out_channels": 8, "kernel_size": 3, "padding": 1},
    "ConvTranspose2d": {"out_channels": 8, "kernel_size": 2, "stride": 2},
    "MaxPool1d": {"kernel_size": 2},
    "AvgPool1d": {"kernel_size": 2},
    "Upsample": {"scale_factor": 2},
    "ChannelShuffle": {"groups": 2},
    "Permute": {"dims": [0, 2, 3, 1]},
}


def starting_params(name: str) -> dict[str, Any]:
    """The params a new ``name`` layer starts with (a fresh copy, free to change)."""
    return copy.deepcopy(STARTING_VALUES.get(name, {}))


def starting_layer(name: str, **changes: Any) -> dict[str, Any]:
    """A layer as the palette adds it, with ``changes`` over the starting values."""
    params = {**starting_params(name), **changes}
    return {"type": name, "params": params} if params else {"type": name}
