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
from ..spec.costs import MAX_PARAMS
from ..spec.graph import GraphSpec, is_graph
from ..spec.graph_shapes import GraphReport
from ..spec.model import parse_input_shape
from ..spec.shapes import ShapeReport, canonical
from .graph_build import build_graph_model
from .layer_classes import layer_class
from .module_params import layer_of


def build_model(
    model: ModelSpec | GraphSpec | dict[str, Any] | str,
    *,
    report: ShapeReport | GraphReport | None = None,
    dtype: torch.dtype | None = None,
) -> nn.Module:
    """Build the network a model spec describes (raises ``SpecError`` if it is invalid): an
    ``nn.Sequential`` for a chain, a ``torch.fx.GraphModule`` for a graph (version 2).
    ``report``: the shapes of ``model`` (a ``ModelSpec`` or ``GraphSpec``) already inferred
    and checked error-free, which are then not inferred again."""
    if isinstance(model, GraphSpec) or is_graph(model):
        graph = model if isinstance(model, GraphSpec) else GraphSpec.from_dict(model.get("model", model))
        return build_graph_model(graph, report=report if isinstance(model, GraphSpec) else None)
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
        cls = layer_class(entry)
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


def from_torch(module: nn.Module, input_shape: list[int] | tuple[int, ...]) -> ModelSpec | GraphSpec:
    """The spec of ``module``: a chain (``ModelSpec``) for a ``torch.nn.Sequential`` of
    catalogue layers, else the graph (``GraphSpec``) ``torch.fx`` traces, whose node ids are
    the module paths (so ``build_model(spec).load_state_dict(module.state_dict())`` works)."""
    if type(module) is nn.Sequential:
        return from_torch_chain(module, input_shape)
    from .graph_import import from_torch_graph

    return from_torch_graph(module, input_shape)


def from_torch_chain(module: nn.Module, input_shape: list[int] | tuple[int, ...]) -> ModelSpec:
    """The spec of a ``torch.nn.Sequential`` made of catalogue layers.

    Nested ``Sequential``s are flattened. A module the catalogue cannot represent (another
    class, a subclass with its own ``forward``, a setting the spec has no parameter for)
    raises ``SpecError`` naming it.
    """
    shape = parse_input_shape(list(input_shape))
    layers = [LayerSpec(*layer_of(child, name, layer=index)) for index, (name, child) in enumerate(_leaves(module))]
    # the values are checked exactly as a spec from the browser is; the canonical form then
    # drops what equals torch's defaults and what is inferred
    spec = ModelSpec.from_dict({"input_shape": list(shape), "layers": [layer.to_dict() for layer in layers]})
    check(spec)
    return canonical(spec)
