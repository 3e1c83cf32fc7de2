"""Any network ``torch.fx`` can trace, as a graph spec (version 2). Modules of the catalogue
become nodes whose ids are their module paths, so the weights keep their names
(``build_graph_model(spec).load_state_dict(net.state_dict(), strict=True)``); functional
calls with a node type become nodes (``torch.flatten``, ``F.relu``, ``operator.add``,
``torch.cat``, …). Whatever has no node type is refused naming the call and the module it
is in (``layer1.0: call to torch.roll is not supported``), never with a traceback."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from ..spec import CATALOGUE, SpecError
from ..spec.graph import GraphSpec, check_id
from ..spec.graph_shapes import infer_graph
from ..spec.model import parse_input_shape
from .layer_classes import layer_class
from .module_params import layer_of


class _PathTracer(fx.Tracer):
    """fx's tracer, noting in each node the path of the module whose forward made it."""

    def __init__(self, leaf_functions: tuple[Callable, ...] = ()) -> None:
        # functions kept as one call, not traced into (their .size() would stop the trace)
        super().__init__(autowrap_functions=leaf_functions)
        self.paths: list[str] = []

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        # the catalogue's layers from torchvision (StochasticDepth) are layers, not code to trace
        entry = CATALOGUE.get(type(m).__name__)
        if entry is not None and entry.module != "torch.nn" and type(m) is layer_class(entry):
            return True
        return super().is_leaf_module(m, module_qualified_name)

    def call_module(self, m: nn.Module, forward: Callable, args: tuple, kwargs: dict) -> Any:
        if self.is_leaf_module(m, self.path_of_module(m)):
            return super().call_module(m, forward, args, kwargs)
        self.paths.append(self.path_of_module(m))
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self.paths.pop()

    def create_node(self, *args: Any, **kwargs: Any) -> fx.Node:
        node = super().create_node(*args, **kwargs)
        node.meta["dlp_where"] = self.paths[-1] if self.paths else ""
        return node


def _flatten(args: tuple, kwargs: dict) -> tuple[str, dict[str, Any]]:
    start = kwargs.get("start_dim", args[1] if len(args) > 1 else 0)
    end = kwargs.get("end_dim", args[2] if len(args) > 2 else -1)
    return "Flatten", {"start_dim": start, "end_dim": end}


def _adaptive_avg(args: tuple, kwargs: dict) -> tuple[str, dict[str, Any]]:
    size = kwargs.get("output_size", args[1] if len(args) > 1 else None)
    return "AdaptiveAvgPool2d", {"output_size": list(size) if isinstance(size, tuple) else size}


def _pool(kind: str, names: tuple[str, ...]) -> Callable[[tuple, dict], tuple[str, dict[str, Any]]]:
    """A functional pooling call as its layer: positional arguments after the input are
    ``names`` in order, as torch's signature has them."""

    def make(args: tuple, kwargs: dict) -> tuple[str, dict[str, Any]]:
        given = {**dict(zip(names, args[1:], strict=False)), **kwargs}
        if given.pop("return_indices", False) or given.pop("divisor_override", None) is not None:
            raise SpecError(f"a call to {kind.lower()} with return_indices or divisor_override is not supported")
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in given.items() if v is not None}
        if params.get("stride") in ([], None):
            params.pop("stride", None)  # torch: the window's size
        return kind, params

    return make


def _mean(args: tuple, kwargs: dict) -> tuple[str, dict[str, Any]]:
    dim = kwargs.get("dim", args[1] if len(args) > 1 else None)
    if dim is None:  # every dimension, the batch's too: no node averages across examples
        raise SpecError("a mean over every dimension (the batch's too) is not supported; name the dimensions")
    keepdim = kwargs.get("keepdim", args[2] if len(args) > 2 else False)
    return "Mean", {"dim": list(dim) if isinstance(dim, (list, tuple)) else dim, "keepdim": bool(keepdim)}


def _interpolate(args: tuple, kwargs: dict) -> tuple[str, dict[str, Any]]:
    names = ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias")
    given = {**dict(zip(names, args[1:], strict=False)), **kwargs}
    if given.pop("antialias", False):
        raise SpecError("a call to interpolate with antialias=True is not supported (Upsample has no antialias)")
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in given.items() if v is not None}
    return "Upsample", params


def _permute(args: tuple, kwargs: dict) -> tuple[str, dict[str, Any]]:
    # x.permute(0, 2, 3, 1), x.permute([0, 2, 3, 1]) and torch.permute(x, dims) alike
    dims = kwargs.get("dims", args[1] if len(args) == 2 else list(args[1:]))
    return "Permute", {"dims": list(dims) if isinstance(dims, (list, tuple)) else [dims]}


def _channel_shuffle(args: tuple, kwargs: dict) -> tuple[str, dict[str, Any]]:
    return "ChannelShuffle", {"groups": kwargs.get("groups", args[1] if len(args) > 1 else None)}


def _chunk(node: fx.Node) -> dict[str, Any]:
    chunks = node.kwargs.get("chunks", node.args[1] if len(node.args) > 1 else None)
    return {"chunks": chunks, "dim": node.kwargs.get("dim", node.args[2] if len(node.args) > 2 else 0)}


def _library_leaves() -> dict[Callable, Callable[[tuple, dict], tuple[str, dict[str, Any]]]]:
    """Functions of torchvision's networks that are one node: ShuffleNet's ``channel_shuffle``
    (a view, a transpose and a view, as ``nn.ChannelShuffle`` computes)."""
    try:
        from torchvision.models.shufflenetv2 import channel_shuffle
    except ImportError:  # torchvision is optional: nothing of it to keep whole
        return {}
    return {channel_shuffle: _channel_shuffle}


def _cat(args: tuple, kwargs: dict) -> tuple[str, dict[str, Any]]:
    return "Concat", {"dim": kwargs.get("dim", args[1] if len(args) > 1 else 0)}


# function → (node type, params from the call's args and kwargs); the tensor inputs are
# the call's node arguments
FUNCTIONS: dict[Any, Callable[[tuple, dict], tuple[str, dict[str, Any]]]] = {
    operator.add: lambda a, k: ("Add", {}),
    operator.iadd: lambda a, k: ("Add", {}),
    torch.add: lambda a, k: ("Add", {}),
    operator.mul: lambda a, k: ("Mul", {}),
    operator.imul: lambda a, k: ("Mul", {}),
    torch.mul: lambda a, k: ("Mul", {}),
    torch.cat: _cat,
    torch.flatten: _flatten,
    torch.relu: lambda a, k: ("ReLU", {}),
    F.relu: lambda a, k: ("ReLU", {}),
    torch.sigmoid: lambda a, k: ("Sigmoid", {}),
    F.adaptive_avg_pool2d: _adaptive_avg,
    torch.mean: _mean,
    F.avg_pool2d: _pool("AvgPool2d", ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")),
    torch.max_pool2d: _pool("MaxPool2d", ("kernel_size", "stride", "padding", "dilation", "ceil_mode")),
    F.max_pool2d: _pool("MaxPool2d", ("kernel_size", "stride", "padding", "dilation", "ceil_mode")),
    F.interpolate: _interpolate,
    torch.permute: _permute,
    F.channel_shuffle: _channel_shuffle,
    torch.native_channel_shuffle: _channel_shuffle,
}
METHODS: dict[str, Callable[[tuple, dict], tuple[str, dict[str, Any]]]] = {
    "flatten": _flatten,
    "relu": lambda a, k: ("ReLU", {}),
    "sigmoid": lambda a, k: ("Sigmoid", {}),
    "add": lambda a, k: ("Add", {}),
    "mul": lambda a, k: ("Mul", {}),
    "mean": _mean,
    "permute": _permute,
}


def _call_name(target: Any) -> str:
    if isinstance(target, str):
        return f".{target}()"
    module = getattr(target, "__module__", None) or ""
    name = getattr(target, "__name__", repr(target))
    return f"{'torch' if module.startswith('torch') else module}.{name}" if module else name


def from_torch_graph(module: nn.Module, input_shape: list[int] | tuple[int, ...]) -> GraphSpec:
    """The graph spec of ``module`` for inputs of ``input_shape`` (without the batch)."""
    shape = parse_input_shape(list(input_shape))
    leaves = _library_leaves()
    tracer = _PathTracer(tuple(leaves))
    try:
        graph = tracer.trace(module)
    except Exception as exc:  # noqa: BLE001 - fx's own words, said as ours
        raise SpecError(f"torch.fx cannot trace {type(module).__name__}: {' '.join(str(exc).split())[:300]}") from None
    modules = dict(module.named_modules())
    ids: dict[fx.Node, str] = {}
    pieces: dict[fx.Node, tuple[fx.Node, dict[str, Any]]] = {}  # x.chunk(...): its input and how it cuts
    used_paths: set[str] = set()
    raw_nodes: list[dict[str, Any]] = []
    outputs: list[str] = []
    # module paths first: a layer keeps its path as its id, whatever was named before it
    taken: set[str] = {str(n.target) for n in graph.nodes if n.op == "call_module"}

    def fresh(base: str) -> str:
        base = "".join(c if c.isascii() and (c.isalnum() or c in "_.-") else "_" for c in base) or "node"
        name, k = base, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name)
        return name

    for node in graph.nodes:
        where = node.meta.get("dlp_where") or type(module).__name__
        if node.op == "placeholder":
            if ids:
                raise SpecError(f"{type(module).__name__}.forward takes more than one input; one is supported")
            ids[node] = fresh("x")
            continue
        if node.op == "output":
            results = node.args[0] if isinstance(node.args[0], (tuple, list)) else (node.args[0],)
            outputs = [ids[r] for r in results if isinstance(r, fx.Node)]
            continue
        inputs = [a for a in node.args if isinstance(a, fx.Node)]
        if node.op == "call_module":
            path = str(node.target)
            odd = sorted({c for c in path if not (c.isascii() and (c.isalnum() or c in "_.-"))})
            if odd:  # the weights' names must stay as they are, so the id cannot be changed
                raise SpecError(
                    f"module `{path}` has {' '.join(repr(c) for c in odd)} in its path, which a node id cannot hold "
                    "(letters, digits, _, . and -)"
                )
            child = modules[path]
            kind, params = layer_of(child, path, node=path)
            if path in used_paths:
                if any(True for _ in child.parameters()) or any(True for _ in child.buffers()):
                    raise SpecError(
                        f"module `{path}` is called twice (shared weights), which a spec cannot express", node=path
                    )
                node_id = fresh(f"{path}_again")
            else:
                used_paths.add(path)
                node_id = path
        elif node.op in ("call_function", "call_method") and node.target in ("chunk", torch.chunk) and inputs:
            pieces[node] = (inputs[0], _chunk(node))  # its pieces become nodes where they are taken
            continue
        elif node.target is operator.getitem and node.args[0] in pieces:
            source, cut = pieces[node.args[0]]
            inputs, kind, params = [source], "Chunk", {**cut, "index": node.args[1]}
            node_id = fresh(f"{node.meta['dlp_where']}.chunk" if node.meta.get("dlp_where") else "chunk")
        elif node.op in ("call_function", "call_method"):
            table = FUNCTIONS if node.op == "call_function" else METHODS
            make = table.get(node.target) or leaves.get(node.target)
            if node.target is torch.cat and node.args and isinstance(node.args[0], (list, tuple)):
                inputs = [a for a in node.args[0] if isinstance(a, fx.Node)]
            if make is None or not inputs:
                raise SpecError(f"{where}: call to {_call_name(node.target)} is not supported", node=where or None)
            args = tuple(
                None
                if isinstance(a, fx.Node) or (isinstance(a, (list, tuple)) and any(isinstance(v, fx.Node) for v in a))
                else a
                for a in node.args
            )
            kwargs = {k: v for k, v in node.kwargs.items() if not isinstance(v, fx.Node)}
            if node.target in (
                operator.add,
                operator.iadd,
                operator.mul,
                operator.imul,
                torch.add,
                torch.mul,
                "add",
                "mul",
            ):
                if len(inputs) < 2:  # x + 1: a number, which a merge node does not take
                    raise SpecError(
                        f"{where}: {_call_name(node.target)} with a number is not supported", node=where or None
                    )
            kind, params = make(args, kwargs)
            # named where it happens: layer1.0.add, not fx's add_3
            op = node.name.rstrip("0123456789").rstrip("_") or node.name
            node_id = fresh(f"{node.meta.get('dlp_where')}.{op}" if node.meta.get("dlp_where") else op)
        else:  # get_attr: a parameter or buffer used directly in forward
            owner = modules.get(str(node.target).rpartition(".")[0])
            of = f" (of {type(owner).__module__}.{type(owner).__qualname__})" if owner is not None else ""
            raise SpecError(f"{where}: {node.target}{of} is used as a tensor in forward, which a spec cannot express")
        if any(a in pieces for a in inputs):
            raise SpecError(f"{where}: the pieces of .chunk() are used together, not one by one", node=where or None)
        ids[node] = check_id(node_id, "an imported node's id", "model.nodes")
        entry = {"id": node_id, "type": kind, "inputs": [ids[a] for a in inputs]}
        if params:
            entry["params"] = params
        raw_nodes.append(entry)
    spec = GraphSpec.from_dict({"inputs": [{"id": "x", "shape": list(shape)}], "nodes": raw_nodes, "outputs": outputs})
    infer_graph(spec).raise_for_error()
    return spec
