"""Spec → readable PyTorch source. Pure Python: values are validated numbers, booleans and
catalogue choices, so ``repr`` of each is safe to write into code."""

from __future__ import annotations

from typing import Any

from ..spec import CATALOGUE, ModelSpec, check, load_model_spec
from ..spec.rules import fmt_shape

# The first constructor argument(s) torch takes positionally, written without a keyword.
_POSITIONAL = {
    "Linear": ("in_features", "out_features"),
    "Conv1d": ("in_channels", "out_channels", "kernel_size"),
    "Conv2d": ("in_channels", "out_channels", "kernel_size"),
    "ConvTranspose2d": ("in_channels", "out_channels", "kernel_size"),
    "BatchNorm1d": ("num_features",),
    "BatchNorm2d": ("num_features",),
    "LayerNorm": ("normalized_shape",),
    "MaxPool2d": ("kernel_size",),
    "AvgPool2d": ("kernel_size",),
    "AdaptiveAvgPool2d": ("output_size",),
    "MaxPool1d": ("kernel_size",),
    "AvgPool1d": ("kernel_size",),
    "ChannelShuffle": ("groups",),
    "Permute": ("dims",),
}


def _literal(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)


def layer_call(type_: str, params: dict[str, Any], in_shape: tuple[int, ...]) -> str:
    """``nn.Conv2d(1, 6, 5, padding=2)``: inferred sizes filled, torch defaults omitted."""
    entry = CATALOGUE[type_]
    kwargs = entry.constructor_kwargs(params, in_shape)
    positional = _POSITIONAL.get(type_, ())
    # Permute's dims is a list in torchvision's signature, and reads as one
    args = [str(list(kwargs[name])) if name == "dims" else _literal(kwargs[name]) for name in positional]
    for p in entry.params:
        if p.name in positional:
            continue
        value = kwargs[p.name]
        default = p.default
        if isinstance(default, list):
            default = tuple(default)
        if value == default and type(value) is type(default):
            continue
        if isinstance(value, tuple) and len(set(value)) == 1 and value[0] == default:
            continue
        args.append(f"{p.name}={_literal(value)}")
    owner = "nn" if entry.module == "torch.nn" else entry.module  # torchvision.ops.StochasticDepth
    return f"{owner}.{type_}({', '.join(args)})"


def imports_for(types: list[str]) -> list[str]:
    """The import lines a model of these layer types needs."""
    lines = ["import torch"]
    if any(CATALOGUE[t].module == "torchvision.ops" for t in types if t in CATALOGUE):
        lines.append("import torchvision.ops")
    return [*lines, "from torch import nn"]


def model_source(model: ModelSpec | dict[str, Any] | str, *, name: str = "model") -> str:
    """A runnable module of Python that builds the model, each layer's output shape beside it."""
    spec = load_model_spec(model)
    report = check(spec)
    lines = [
        *imports_for([layer.type for layer in spec.layers]),
        "",
        f"# input: {fmt_shape(spec.input_shape)} per example (the batch dimension comes first and is not shown)",
        f"{name} = nn.Sequential(",
    ]
    shape = spec.input_shape
    for layer, info in zip(spec.layers, report.layers, strict=True):
        call = layer_call(layer.type, layer.params, shape)
        lines.append(f"    {call},  # -> {fmt_shape(info.output_shape)}, {info.params:,} params")
        shape = info.output_shape
    lines.append(")")
    lines.append(f"# trainable parameters: {report.total_params:,}")
    return "\n".join(lines) + "\n"
