"""The layer catalogue: the one registry behind the palette, the docs, validation, shape
inference and model building.

Names, parameter names and defaults are exactly those of ``torch.nn``: a parameter a spec
leaves out means what it means in torch, and one torch has no default for (``out_features``,
``kernel_size``) must be given. Input sizes (``in_features``, ``in_channels``,
``num_features``, ``normalized_shape``) are *inferred*: optional, filled in from the previous
layer, and checked when given.

What a layer starts with when added from the palette is a separate table,
``STARTING_VALUES``: real values written into the spec, so a new layer is valid at once.
"""

from __future__ import annotations

from typing import Any

from .layer_table import LAYERS
from .layer_type import CATEGORIES, DATA_KINDS, LayerType
from .starting_values import STARTING_VALUES, starting_layer, starting_params

__all__ = [
    "CATALOGUE",
    "CATEGORIES",
    "DATA_KINDS",
    "STARTING_VALUES",
    "LayerType",
    "get",
    "palette",
    "starting_layer",
    "starting_params",
]

CATALOGUE: dict[str, LayerType] = {layer.name: layer for layer in LAYERS}


def get(name: str) -> LayerType | None:
    return CATALOGUE.get(name)


def palette(kind: str | None = None) -> list[dict[str, Any]]:
    """The catalogue as JSON-ready dicts grouped in category order, for the builder's palette:
    the layers that fit ``kind`` of data, or any kind. A layer no data kind feeds (Conv1d
    wants [C, L], which no data set gives) stays out: the palette offers what works there."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    entries = [e for e in LAYERS if (kind in e.kinds if kind is not None else e.kinds)]
    entries.sort(key=lambda e: order[e.category])
    return [e.to_dict() for e in entries]
