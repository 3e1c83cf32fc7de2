"""What torch itself says about a model spec: run the layers one by one on zeros."""

from __future__ import annotations

import warnings

import torch

from dlp_widgets.engine.layer_classes import layer_class
from dlp_widgets.spec import CATALOGUE, LayerSpec


def _torch_kwargs(entry, params: dict, in_shape: tuple[int, ...]) -> dict:
    """Only what the spec gives, plus the inferred input sizes: whatever it leaves out takes
    torch's own default, not the catalogue's, so the oracle checks those too."""
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    for name, value in entry.infer(in_shape).items():
        if kwargs.get(name) is None:
            kwargs[name] = value
    return kwargs


# the batched rank each layer is made for: torch also takes one rank less, as one unbatched
# example, where the batch would be read as channels and examples mix; a model must refuse it
BATCHED_RANK = {
    "Conv1d": 3,
    "MaxPool1d": 3,
    "AvgPool1d": 3,
    "Conv2d": 4,
    "ConvTranspose2d": 4,
    "MaxPool2d": 4,
    "AvgPool2d": 4,
    "AdaptiveAvgPool2d": 4,
    "BatchNorm2d": 4,
}


def _refuse_what_torch_would_misread(kind: str, params: dict, x: torch.Tensor) -> None:
    if kind in BATCHED_RANK and x.dim() != BATCHED_RANK[kind]:
        raise ValueError(f"{kind} on a {x.dim()}-d batch")
    if kind == "Permute" and params["dims"][0] % x.dim() != 0:
        raise ValueError("a permute that moves the batch")  # torch would allow it; a model must not


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
                # a note about speed that torch gives once per process, not a refusal
                warnings.filterwarnings("ignore", message=".*padding=.same.*")
                _refuse_what_torch_would_misread(layer.type, layer.params, x)
                module = layer_class(entry)(**_torch_kwargs(entry, layer.params, tuple(x.shape[1:])))
                module.eval()
                with torch.no_grad():
                    x = module(x)
                if x.shape[0] != 2:
                    raise ValueError("the batch dimension changed")
        except Exception:  # torch's verdict, whatever form it takes
            return results, index
        n = sum(p.numel() for p in module.parameters() if p.requires_grad)
        results.append((tuple(x.shape[1:]), n))
    return results, None


def run_graph(model: dict) -> tuple[dict[str, tuple[tuple[int, ...], int]], str | None]:
    """Per node (output shape, trainable params) as torch computes them, running the nodes
    that lead to an output in the order written, and the id of the first node torch refuses
    (an exception or a warning), or None. Merges run as ``a + b``, ``a * b``, ``torch.cat``."""
    values = {i["id"]: torch.zeros(2, *i["shape"]) for i in model["inputs"]}
    nodes = model["nodes"]
    sources = [n.get("inputs") or [nodes[k - 1]["id"] if k else model["inputs"][0]["id"]] for k, n in enumerate(nodes)]
    ids = {n["id"]: k for k, n in enumerate(nodes)}
    used, todo = set(), [ids[o] for o in model.get("outputs") or [nodes[-1]["id"]] if o in ids]
    while todo:
        k = todo.pop()
        if k not in used:
            used.add(k)
            todo += [ids[s] for s in sources[k] if s in ids]
    results = {}
    for k, raw in enumerate(nodes):
        if k not in used:
            continue
        args = [values[s] for s in sources[k]]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                # a note about speed that torch gives once per process, not a refusal
                warnings.filterwarnings("ignore", message=".*padding=.same.*")
                n_params = 0
                with torch.no_grad():
                    if raw["type"] in ("Add", "Mul") and len({a.dim() for a in args}) > 1:
                        # torch would line the batch of one up with a feature of the other, so
                        # examples would mix: a model must refuse it (as the inference does)
                        raise ValueError("inputs of different ranks")
                    if raw["type"] == "Add":
                        out = args[0]
                        for a in args[1:]:
                            out = out + a
                    elif raw["type"] == "Mul":
                        out = args[0]
                        for a in args[1:]:
                            out = out * a
                    elif raw["type"] == "Concat":
                        out = torch.cat(args, dim=raw.get("params", {}).get("dim", 1))
                    elif raw["type"] == "Chunk":
                        p = {"dim": 0, **raw["params"]}
                        if p["dim"] % args[0].dim() == 0:
                            raise ValueError("a chunk of the batch")  # torch would allow it; a model must not
                        out = torch.chunk(args[0], p["chunks"], dim=p["dim"])[p["index"]]
                    elif raw["type"] == "Mean":
                        p = raw["params"]
                        dims = tuple(p["dim"]) if isinstance(p["dim"], list) else p["dim"]
                        if 0 in (
                            [d % args[0].dim() for d in dims] if isinstance(dims, tuple) else [dims % args[0].dim()]
                        ):
                            raise ValueError("a mean over the batch")  # torch would allow it; a model must not
                        out = args[0].mean(dim=dims, keepdim=p.get("keepdim", False))
                    else:
                        layer = LayerSpec(raw["type"], raw.get("params", {}))
                        entry = CATALOGUE[layer.type]
                        _refuse_what_torch_would_misread(layer.type, layer.params, args[0])
                        module = layer_class(entry)(**_torch_kwargs(entry, layer.params, tuple(args[0].shape[1:])))
                        module.eval()
                        out = module(args[0])
                        n_params = sum(p.numel() for p in module.parameters() if p.requires_grad)
                if out.shape[0] != 2:
                    raise ValueError("the batch dimension changed")
        except Exception:  # torch's verdict, whatever form it takes
            return results, raw["id"]
        values[raw["id"]] = out
        results[raw["id"]] = (tuple(out.shape[1:]), n_params)
    return results, None
