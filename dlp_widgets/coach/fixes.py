"""The coach's fixes: patches to a spec, and applying one. A patch is a dict shaped like the
spec; its ``training`` and ``data`` parts are merged key by key, and a ``model`` part replaces
the model whole (a layer swapped or inserted is a new model, written out)."""

from __future__ import annotations

import copy
from typing import Any

from ..spec import Spec
from ..spec.catalogue import CATALOGUE
from ..spec.graph import GraphSpec

ACTIVATIONS = frozenset(name for name, entry in CATALOGUE.items() if entry.category == "activation")
WEIGHTED = ("Linear", "Conv1d", "Conv2d", "ConvTranspose2d")
# the starting learning rates the tuning literature and the libraries' defaults agree on
USUAL_LR = {"Adam": 1e-3, "AdamW": 1e-3, "RMSprop": 1e-3, "Adagrad": 1e-2, "SGD": 1e-2}


def apply_fix(spec: dict[str, Any], fix: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (a spec as a dict) with ``fix`` applied; ``spec`` is not changed."""
    out = copy.deepcopy(spec)
    for section, changes in fix.items():
        if section == "model" or not isinstance(changes, dict):
            out[section] = copy.deepcopy(changes)
        else:
            out[section] = {**(out.get(section) or {}), **copy.deepcopy(changes)}
    if "model" in fix and isinstance(fix["model"], dict) and "nodes" in fix["model"]:
        out["version"] = 2
    return out


def nice(value: float) -> float:
    """``value`` to two significant figures: 0.00031622 → 0.00032."""
    return float(f"{value:.2g}")


def lr_patch(spec: Spec, value: float) -> dict[str, Any]:
    return {"training": {"lr": nice(value)}}


def usual_lr(spec: Spec) -> float:
    return USUAL_LR.get(spec.training.optimizer, 1e-3)


def _chain(spec: Spec) -> list[dict[str, Any]] | None:
    model = spec.model
    return None if isinstance(model, GraphSpec) else [layer.to_dict() for layer in model.layers]


def _model(spec: Spec, layers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"model": {"input_shape": list(spec.model.input_shape), "layers": layers}}


def swap_activations(spec: Spec, old: set[str], new: str) -> dict[str, Any] | None:
    """Every layer (or node) of a type in ``old`` becomes ``new``, with torch's defaults."""
    model = spec.model
    if isinstance(model, GraphSpec):
        raw = model.to_dict()
        hit = False
        for node in raw["nodes"]:
            if node["type"] in old:
                node["type"], hit = new, True
                node.pop("params", None)
        return {"model": raw} if hit else None
    layers = _chain(spec) or []
    if not any(layer["type"] in old for layer in layers):
        return None
    return _model(spec, [{"type": new} if layer["type"] in old else layer for layer in layers])


def without_final(spec: Spec, kind: str) -> dict[str, Any] | None:
    """The chain without its last layer when that is a ``kind`` (a Softmax before the loss)."""
    layers = _chain(spec)
    if not layers or layers[-1]["type"] != kind:
        return None
    return _model(spec, layers[:-1])


def with_nonlinearity(spec: Spec) -> dict[str, Any] | None:
    """A ReLU after every weighted layer but the last that has no activation after it: the
    smallest change that lets a stack of linear layers learn more than one linear map."""
    layers = _chain(spec)
    if not layers:
        return None
    weighted = [i for i, layer in enumerate(layers) if layer["type"] in WEIGHTED]
    if len(weighted) < 2:
        return None
    out: list[dict[str, Any]] = []
    for i, layer in enumerate(layers):
        out.append(layer)
        following = layers[i + 1]["type"] if i + 1 < len(layers) else None
        if i in weighted[:-1] and following not in ACTIVATIONS and following != "BatchNorm1d":
            out.append({"type": "ReLU"})
    return _model(spec, out) if len(out) > len(layers) else None


def wider(spec: Spec, factor: int = 4) -> dict[str, Any] | None:
    """Every hidden Linear (all but the last) ``factor`` times as wide."""
    layers = _chain(spec)
    if not layers:
        return None
    linear = [i for i, layer in enumerate(layers) if layer["type"] == "Linear"]
    if len(linear) < 2:
        return None
    out = copy.deepcopy(layers)
    for i in linear[:-1]:
        params = out[i].setdefault("params", {})
        params["out_features"] = int(params.get("out_features", 16)) * factor
    return _model(spec, out)


def normalised(spec: Spec, squashing: set[str]) -> dict[str, Any] | None:
    """A batch normalisation after every hidden weighted layer, and ReLU in place of the
    ``squashing`` activations: what keeps gradients alive through a deep stack (Ioffe &
    Szegedy, 2015), where swapping the activation alone does not."""
    layers = _chain(spec)
    if not layers:
        return swap_activations(spec, squashing, "ReLU") if squashing else None
    weighted = [i for i, layer in enumerate(layers) if layer["type"] in ("Linear", "Conv2d")]
    out: list[dict[str, Any]] = []
    for i, layer in enumerate(layers):
        out.append({"type": "ReLU"} if layer["type"] in squashing else layer)
        following = layers[i + 1]["type"] if i + 1 < len(layers) else None
        if i in weighted[:-1] and following not in ("BatchNorm1d", "BatchNorm2d", "LayerNorm"):
            out.append({"type": "BatchNorm1d" if layer["type"] == "Linear" else "BatchNorm2d"})
    return _model(spec, out) if out != layers else None
