"""Spec → ``torch.nn.Sequential`` and back.

Every module is constructed from the catalogue's entry (class name + keyword arguments from
validated parameters); no string from a spec is ever evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from ..spec import CATALOGUE, LayerSpec, ModelSpec, SpecError, check, load_model_spec
from ..spec.model import parse_input_shape
from ..spec.shapes import ShapeReport, canonical

# A model above this many trainable parameters would not fit in memory on the machines the
# playground targets; refusing is kinder than a dead kernel.
MAX_PARAMS = 1_000_000_000


def build_model(
    model: ModelSpec | dict[str, Any] | str, *, report: ShapeReport | None = None, dtype: torch.dtype | None = None
) -> nn.Sequential:
    """Build the network a model spec describes (raises ``SpecError`` if it is invalid).
    ``report``: the shapes of ``model`` (a ``ModelSpec``) already inferred and checked
    error-free, which are then not inferred again."""
    if report is not None and isinstance(model, ModelSpec) and not report.errors:
        spec = model
    else:
        spec = load_model_spec(model)
        report = check(spec)
    if report.total_params > MAX_PARAMS:
        raise SpecError(
            f"the model would have {report.total_params:,} trainable parameters "
            f"(about {report.total_params * 4 / 2**30:,.1f} GiB); the limit is {MAX_PARAMS:,}"
        )
    modules = []
    shape = spec.input_shape
    for layer, info in zip(spec.layers, report.layers, strict=True):
        entry = CATALOGUE[layer.type]
        cls = getattr(nn, entry.name)
        modules.append(cls(**entry.constructor_kwargs(layer.params, shape)))
        shape = info.output_shape
    model_ = nn.Sequential(*modules)
    if dtype is not None:
        model_ = model_.to(dtype)
    return model_


def _leaves(module: nn.Module, prefix: str = "") -> Iterator[tuple[str, nn.Module]]:
    """Modules in order, nested ``Sequential``s flattened; names as in ``named_modules``."""
    if type(module) is nn.Sequential:
        for name, child in module.named_children():
            yield from _leaves(child, f"{prefix}.{name}" if prefix else name)
    else:
        yield prefix or type(module).__name__, module


def _param_value(module: nn.Module, name: str) -> Any:
    value = getattr(module, name)
    if isinstance(value, tuple):
        value = list(value)
    return value


def from_torch(module: nn.Module, input_shape: list[int] | tuple[int, ...]) -> ModelSpec:
    """The spec of a ``torch.nn.Sequential`` made of catalogue layers.

    Nested ``Sequential``s are flattened. A module the catalogue cannot represent (another
    class, a subclass with its own ``forward``, a setting the spec has no parameter for)
    raises ``SpecError`` naming it.
    """
    shape = parse_input_shape(list(input_shape))
    supported = ", ".join(CATALOGUE)
    layers: list[LayerSpec] = []
    for index, (name, child) in enumerate(_leaves(module)):
        entry = CATALOGUE.get(type(child).__name__)
        if entry is None or type(child) is not getattr(nn, entry.name):
            raise SpecError(
                f"module `{name}` ({type(child).__module__}.{type(child).__qualname__}) is not a "
                f"catalogue layer; supported: {supported}",
                layer=index,
            )
        _reject_unrepresentable(child, name, index)
        params = {}
        for p in entry.params:
            value = _param_value(child, p.name)
            if p.name == "bias":  # torch keeps the tensor (or None), the spec a yes/no
                value = value is not None or (entry.name == "LayerNorm" and not child.elementwise_affine)
            if value is None and p.default is None:  # torch's own default (softmax dim, pool stride)
                continue
            params[p.name] = value
        layers.append(LayerSpec(entry.name, params))
    # the values are checked exactly as a spec from the browser is; the canonical form then
    # drops what equals torch's defaults and what is inferred
    spec = ModelSpec.from_dict({"input_shape": list(shape), "layers": [layer.to_dict() for layer in layers]})
    check(spec)
    return canonical(spec)


def _reject_unrepresentable(child: nn.Module, name: str, index: int) -> None:
    """Settings torch allows that a spec cannot express: refuse rather than silently drop."""
    if isinstance(child, nn.MaxPool2d) and getattr(child, "return_indices", False):
        raise SpecError(
            f"module `{name}` (MaxPool2d) has return_indices=True, which a Sequential model cannot use", layer=index
        )
    if isinstance(child, nn.AvgPool2d) and child.divisor_override is not None:
        raise SpecError(
            f"module `{name}` (AvgPool2d) sets divisor_override, which the layer catalogue does not offer", layer=index
        )
