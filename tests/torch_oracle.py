"""What torch itself says about a model spec: run the layers one by one on zeros."""

from __future__ import annotations

import warnings

import torch
from torch import nn

from dlp_widgets.spec import CATALOGUE, LayerSpec


def _torch_kwargs(entry, params: dict, in_shape: tuple[int, ...]) -> dict:
    """Only what the spec gives, plus the inferred input sizes: whatever it leaves out takes
    torch's own default, not the catalogue's, so the oracle checks those too."""
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    for name, value in entry.infer(in_shape).items():
        if kwargs.get(name) is None:
            kwargs[name] = value
    return kwargs


def run_layers(model: dict) -> tuple[list[tuple[tuple[int, ...], int]], int | None]:
    """Per layer (output shape, trainable params) as torch computes them, and the index of
    the first layer torch refuses (an exception or a warning), or None."""
    x = torch.zeros(2, *model["input_shape"])
    results = []
    for index, raw in enumerate(model["layers"]):
        layer = LayerSpec(raw["type"], raw.get("params", {}))
        entry = CATALOGUE[layer.type]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                module = getattr(nn, entry.name)(**_torch_kwargs(entry, layer.params, tuple(x.shape[1:])))
                module.eval()
                with torch.no_grad():
                    x = module(x)
        except Exception:  # torch's verdict, whatever form it takes
            return results, index
        n = sum(p.numel() for p in module.parameters() if p.requires_grad)
        results.append((tuple(x.shape[1:]), n))
    return results, None
