"""A torch module of the catalogue read back as a layer: its type and the parameters it was
built with, for importing real networks (``from_torch``) as chains or graphs. A module the
catalogue cannot represent — another class, a subclass with its own ``forward``, a setting
the spec has no parameter for — is refused, naming it."""

from __future__ import annotations

from typing import Any

from torch import nn

from ..spec import CATALOGUE, SpecError
from ..spec.params import ONE_NUMBER_KINDS
from .layer_classes import layer_class


def layer_of(child: nn.Module, name: str, **place: Any) -> tuple[str, dict[str, Any]]:
    """``(type, params)`` of ``child``, found at ``name`` in its network; ``place`` (``layer=``
    or ``node=``) is where a refusal points."""
    entry = CATALOGUE.get(type(child).__name__)
    if entry is None or type(child) is not layer_class(entry):
        raise SpecError(
            f"module `{name}` ({type(child).__module__}.{type(child).__qualname__}) is not a "
            f"catalogue layer; supported: {', '.join(CATALOGUE)}",
            **place,
        )
    _reject_unrepresentable(child, name, place)
    params: dict[str, Any] = {}
    for p in entry.params:
        value = getattr(child, p.name)
        if isinstance(value, tuple) and len(value) == 1 and p.kind in ONE_NUMBER_KINDS:
            value = value[0]  # Conv1d keeps kernel_size=3 as (3,)
        if isinstance(value, tuple):
            value = list(value)
        if p.name == "bias":  # torch keeps the tensor (or None), the spec a yes/no
            value = value is not None or (entry.name == "LayerNorm" and not child.elementwise_affine)
        if value is None and p.default is None:  # torch's own default (softmax dim, pool stride)
            continue
        params[p.name] = value
    return entry.name, params


def _reject_unrepresentable(child: nn.Module, name: str, place: dict[str, Any]) -> None:
    """Settings torch allows that a spec cannot express: refuse rather than silently drop."""
    if isinstance(child, (nn.MaxPool1d, nn.MaxPool2d)) and getattr(child, "return_indices", False):
        raise SpecError(
            f"module `{name}` ({type(child).__name__}) has return_indices=True, which a model cannot use", **place
        )
    if isinstance(child, nn.AvgPool2d) and child.divisor_override is not None:
        raise SpecError(
            f"module `{name}` (AvgPool2d) sets divisor_override, which the layer catalogue does not offer", **place
        )
