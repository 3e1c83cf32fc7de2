"""The model section of a spec: layers (types and parameters as in ``torch.nn``) and the
input shape, validated from untrusted JSON. Nothing here imports torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any

from . import catalogue
from .errors import SpecError
from .params import ParamError, describe_value
from .parsing import check_keys, key_text, require_object, suggest, unknown_key

MAX_LAYERS = 1000
MAX_DIM = 1_000_000
MAX_INPUT_VALUES = 100_000_000


@dataclass
class LayerSpec:
    type: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.params:
            out["params"] = dict(self.params)
        return out

    def filled(self) -> dict[str, Any]:
        """The given parameters over torch's defaults (a required one only if given)."""
        entry = catalogue.CATALOGUE[self.type]
        return {**entry.defaults(), **self.params}


def missing_param_error(layer: LayerSpec, index: int) -> SpecError | None:
    """The error for a parameter torch requires that ``layer`` leaves out, if any.

    Not part of ``parse_layer``: a layer without it is still well-formed, so the builder can
    hold it and show this error in place, like a shape error.
    """
    param = catalogue.CATALOGUE[layer.type].missing(layer.params)
    if param is None:
        return None
    return SpecError(
        f"{layer.type} at position {index + 1} needs {param.name} ({param.help}); torch has no default for it",
        layer=index,
        param=param.name,
        path=f"model.layers[{index}].params.{param.name}",
    )


def parse_layer(raw: Any, index: int) -> LayerSpec:
    """Validate one layer's type and parameter values (not its shape)."""
    path = f"model.layers[{index}]"
    pos = f"Layer at position {index + 1}"
    if not isinstance(raw, dict):
        raise SpecError(f"{pos} must be an object with a type, not {describe_value(raw)}", layer=index, path=path)
    for key in raw:
        if key not in ("type", "params"):
            raise SpecError(unknown_key(key, ("type", "params"), pos), layer=index, path=f"{path}.{key_text(key)}")
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise SpecError(
            f'{pos} needs a layer type (a name such as "Linear"), not {describe_value(kind)}',
            layer=index,
            path=f"{path}.type",
        )
    entry = catalogue.get(kind)
    if entry is None:
        hint = suggest(kind, list(catalogue.CATALOGUE))
        raise SpecError(f'{pos} has an unknown layer type "{key_text(kind)}".{hint}', layer=index, path=f"{path}.type")
    params = raw.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise SpecError(
            f"{kind} at position {index + 1}: params must be an object, not {describe_value(params)}",
            layer=index,
            path=f"{path}.params",
        )
    checked = check_params(entry, params, f"{kind} at position {index + 1}", path, layer=index)
    return LayerSpec(kind, checked)


def check_params(entry: Any, params: dict[Any, Any], words: str, path: str, **place: Any) -> dict[str, Any]:
    """A layer's (or merge's) given parameters, each checked against ``entry``'s; an unknown
    name or a bad value raises ``SpecError`` at ``place`` (``layer=`` or ``node=``)."""
    checked: dict[str, Any] = {}
    for name, value in params.items():
        param = entry.param(name) if isinstance(name, str) else None
        if param is None:
            names = [p.name for p in entry.params]
            raise SpecError(
                unknown_key(name, names, words), param=key_text(name), path=f"{path}.params.{key_text(name)}", **place
            )
        try:
            checked[name] = param.check(value)
        except ParamError as exc:
            raise SpecError(f"{words}: {exc}", param=name, path=f"{path}.params.{name}", **place) from None
    return checked


def parse_input_shape(raw: Any) -> tuple[int, ...]:
    path = "model.input_shape"
    if not isinstance(raw, (list, tuple)) or not 1 <= len(raw) <= 3:
        raise SpecError(
            "input_shape must list 1 to 3 sizes: [features] for tables, [channels, height, width] "
            f"for images; got {describe_value(raw)}" + (f" of {len(raw)}" if isinstance(raw, (list, tuple)) else ""),
            path=path,
            param="input_shape",
        )
    for i, d in enumerate(raw):
        if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= MAX_DIM:
            raise SpecError(
                f"input_shape[{i}] must be a whole number between 1 and {MAX_DIM:,}, not {describe_value(d)}",
                path=f"{path}[{i}]",
                param="input_shape",
            )
    if prod(raw) > MAX_INPUT_VALUES:
        raise SpecError(
            f"input_shape {list(raw)} holds more than {MAX_INPUT_VALUES:,} values per example",
            path=path,
            param="input_shape",
        )
    return tuple(raw)


@dataclass
class ModelSpec:
    input_shape: tuple[int, ...]
    layers: list[LayerSpec] = field(default_factory=list)

    @classmethod
    def from_dict(cls, raw: Any) -> ModelSpec:
        raw = require_object(raw, "model", "model")
        check_keys(raw, ("input_shape", "layers"), "model", "model")
        if "input_shape" not in raw:
            raise SpecError(
                "model needs an input_shape, e.g. [4] for 4 features or [1, 28, 28] for grey 28×28 images",
                path="model.input_shape",
                param="input_shape",
            )
        shape = parse_input_shape(raw["input_shape"])
        layers_raw = raw.get("layers", [])
        if not isinstance(layers_raw, list):
            raise SpecError(f"model.layers must be a list, not {describe_value(layers_raw)}", path="model.layers")
        if len(layers_raw) > MAX_LAYERS:
            raise SpecError(
                f"model has {len(layers_raw):,} layers; at most {MAX_LAYERS:,} are allowed", path="model.layers"
            )
        return cls(shape, [parse_layer(layer, i) for i, layer in enumerate(layers_raw)])

    def to_dict(self) -> dict[str, Any]:
        return {"input_shape": list(self.input_shape), "layers": [layer.to_dict() for layer in self.layers]}
