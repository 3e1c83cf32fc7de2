"""Shape and parameter-count inference for a whole model, without a forward pass.

``infer`` takes a ``ModelSpec`` or raw JSON for one, so the builder can call it on every
edit: each layer is validated on its own (so every broken layer shows its own error) and
shapes flow from the input until the first layer that cannot accept what it receives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any

from . import catalogue
from .errors import SpecError
from .graph import GraphSpec, is_graph
from .graph_shapes import GraphReport, infer_graph_leniently
from .layer_info import LayerInfo
from .model import MAX_LAYERS, LayerSpec, ModelSpec, missing_param_error, parse_input_shape, parse_layer
from .params import describe_value, pair
from .rules import MAX_VALUES_PER_EXAMPLE, ShapeError, Where, fmt_shape


@dataclass
class ShapeReport:
    input_shape: tuple[int, ...] | None
    layers: list[LayerInfo] = field(default_factory=list)
    errors: list[SpecError] = field(default_factory=list)
    model_error: SpecError | None = None  # a problem outside any layer (input_shape, layers list)

    @property
    def ok(self) -> bool:
        return self.model_error is None and not self.errors

    @property
    def error(self) -> SpecError | None:
        """The first error: the model's own, else the one at the lowest layer index."""
        if self.model_error is not None:
            return self.model_error
        return self.errors[0] if self.errors else None

    @property
    def total_params(self) -> int:
        return sum(info.params or 0 for info in self.layers)

    @property
    def output_shape(self) -> tuple[int, ...] | None:
        if not self.ok:
            return None
        return self.layers[-1].output_shape if self.layers else self.input_shape

    @property
    def warnings(self) -> list[str]:
        return [info.warning for info in self.layers if info.warning]

    def raise_for_error(self) -> None:
        if self.error is not None:
            raise self.error

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "input_shape": list(self.input_shape) if self.input_shape else None,
            "layers": [info.to_dict() for info in self.layers],
            "total_params": self.total_params,
            "output_shape": list(self.output_shape) if self.output_shape is not None else None,
        }
        if self.error is not None:
            out["error"] = self.error.to_dict()
        return out


def _parse_lenient(raw: Any) -> tuple[tuple[int, ...] | None, list[Any], SpecError | None]:
    if not isinstance(raw, dict):
        return None, [], SpecError(f"model must be an object, not {describe_value(raw)}", path="model")
    for key in raw:
        if key not in ("input_shape", "layers"):
            name = key if isinstance(key, str) else repr(key)
            return (
                None,
                [],
                SpecError(f'model has an unknown key "{name[:40]}" (allowed: input_shape, layers)', path="model"),
            )
    layers = raw.get("layers", [])
    if not isinstance(layers, list):
        return None, [], SpecError(f"model.layers must be a list, not {describe_value(layers)}", path="model.layers")
    if len(layers) > MAX_LAYERS:
        return (
            None,
            [],
            SpecError(f"model has {len(layers):,} layers; at most {MAX_LAYERS:,} are allowed", path="model.layers"),
        )
    try:
        shape = parse_input_shape(raw.get("input_shape"))
    except SpecError as exc:
        return None, layers, exc
    return shape, layers, None


def infer(model: ModelSpec | GraphSpec | dict[str, Any] | Any) -> ShapeReport | GraphReport:
    """Every layer's output shape and trainable-parameter count, and every error; for a
    graph (spec version 2), every node's (a ``GraphReport``)."""
    if is_graph(model):
        return infer_graph_leniently(model)
    if isinstance(model, ModelSpec):
        shape: tuple[int, ...] | None = model.input_shape
        raw_layers: list[Any] = model.layers
        model_error = None
    else:
        shape, raw_layers, model_error = _parse_lenient(model)
    report = ShapeReport(input_shape=shape, model_error=model_error)
    prev: tuple[str, int] | None = None  # the layer that produced `shape`, for messages
    for index, raw in enumerate(raw_layers):
        if isinstance(raw, dict):
            info = LayerInfo(type=raw.get("type"))
            try:
                layer = parse_layer(raw, index)
            except SpecError as exc:
                info.error = exc
                report.errors.append(exc)
                report.layers.append(info)
                shape = None
                continue
        elif isinstance(raw, LayerSpec):
            layer = raw
            info = LayerInfo(type=raw.type)
        else:
            info = LayerInfo(type=None)
            try:
                layer = parse_layer(raw, index)  # raises the right message for any other value
            except SpecError as exc:
                info.error = exc
                report.errors.append(exc)
            report.layers.append(info)
            shape = None
            continue
        report.layers.append(info)
        missing = missing_param_error(layer, index)
        if missing is not None:  # whatever arrives, the layer cannot be built
            info.error = missing
            report.errors.append(missing)
            shape = None
            continue
        if shape is None:
            continue  # an earlier layer broke the chain: nothing to check this one against
        entry = catalogue.CATALOGUE[layer.type]
        where = Where(layer.type, index, prev, shape)
        try:
            params = {**entry.defaults(), **layer.params} if layer.params else entry.defaults()
            out, n_params, warning = entry.rule(params, shape, where)
            if prod(out) > MAX_VALUES_PER_EXAMPLE:
                raise ShapeError(
                    f"{where.layer} would produce {fmt_shape(out)}, more than "
                    f"{MAX_VALUES_PER_EXAMPLE:,} values per example."
                )
        except ShapeError as exc:
            path = f"model.layers[{index}]" + (f".params.{exc.param}" if exc.param else "")
            err = SpecError(exc.message, layer=index, param=exc.param, path=path)
            info.error = err
            report.errors.append(err)
            shape = None
            continue
        info.output_shape, info.params, info.warning = out, n_params, warning
        shape = out
        prev = (layer.type, index)
    return report


def check(model: ModelSpec) -> ShapeReport:
    """Infer and raise the first error: for code that needs a model that will build."""
    report = infer(model)
    report.raise_for_error()
    return report


def canonical(model: ModelSpec) -> ModelSpec:
    """The same model without the parameters equal to torch's defaults or to what would be
    inferred, and with equal pairs written as one number: two valid specs that build the
    same network have the same canonical form."""
    report = infer(model)
    in_shape: tuple[int, ...] | None = model.input_shape
    layers = []
    for layer, info in zip(model.layers, report.layers, strict=True):
        entry = catalogue.CATALOGUE[layer.type]
        inferred = entry.infer(in_shape) if in_shape is not None else {}
        params = {}
        for p in entry.params:
            if p.name not in layer.params:
                continue
            value = _canonical_value(layer.params[p.name], p.kind)
            if value == p.default:
                continue
            if p.inferred and p.name in inferred and value == _canonical_value(inferred[p.name], p.kind):
                continue
            if p.default_from and value == _canonical_value(layer.filled()[p.default_from], p.kind):
                continue
            if p.requires and not layer.filled()[p.requires]:
                continue
            params[p.name] = value
        layers.append(LayerSpec(layer.type, params))
        in_shape = info.output_shape
    return ModelSpec(tuple(model.input_shape), layers)


def _canonical_value(value: Any, kind: str) -> Any:
    if not isinstance(value, (list, tuple)):
        return value
    if kind == "shape":
        return value[0] if len(value) == 1 else list(value)
    if kind in ("opt_shape", "opt_scale"):  # one number means the same for every spatial size
        return value[0] if len(set(value)) == 1 else list(value)
    if kind not in ("size2", "opt_size2", "padding"):  # Permute's dims: the order is the value
        return list(value)
    a, b = pair(value)
    return a if a == b else [a, b]
