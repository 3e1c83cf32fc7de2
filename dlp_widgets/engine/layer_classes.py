"""The class a catalogue layer is built from: ``torch.nn``'s, or ``torchvision.ops``' for the
layers torchvision adds (``StochasticDepth``). Named by the catalogue, never by a spec."""

from __future__ import annotations

from torch import nn

from ..spec.layer_type import LayerType


def layer_class(entry: LayerType) -> type[nn.Module]:
    if entry.module == "torchvision.ops":
        import torchvision.ops

        return getattr(torchvision.ops, entry.name)
    return getattr(nn, entry.name)
