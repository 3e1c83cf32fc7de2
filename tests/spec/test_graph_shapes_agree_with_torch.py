"""Graph models (spec version 2) against torch: on random DAGs — skips, merges, concats,
invalid merges — the inferred shapes and parameter counts, and the node that fails, are
what torch computes running the nodes; the built ``torch.fx`` model computes what running
the same modules by hand computes, with the same weights."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from torch import nn

from dlp_widgets.engine.graph_build import build_graph_model
from dlp_widgets.spec.graph import GraphSpec
from dlp_widgets.spec.graph_shapes import infer_graph
from specgen import graph_specs
from torch_oracle import run_graph

RESIDUAL = {
    "inputs": [{"id": "x", "shape": [3, 32, 32]}],
    "nodes": [
        {"id": "conv1", "type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 3, "padding": 1}},
        {"id": "bn1", "type": "BatchNorm2d"},
        {"id": "relu1", "type": "ReLU"},
        {"id": "conv2", "type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 3, "padding": 1}},
        {"id": "add1", "type": "Add", "inputs": ["conv2", "relu1"]},
        {"id": "pool", "type": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
    ],
    "outputs": ["fc"],
}


def assert_agrees_with_torch(model: dict) -> None:
    graph = GraphSpec.from_dict(model)
    report = infer_graph(graph)
    torch_nodes, torch_fail = run_graph(model)
    ours_fail = report.error.node if report.error is not None else None
    assert ours_fail == torch_fail, (model, report.error)
    for info in report.nodes:
        if info.id in torch_nodes:
            assert (info.output_shape, info.params) == torch_nodes[info.id], (model, info)
    if report.ok:
        assert report.total_params == sum(n for _, n in torch_nodes.values())


def test_the_issues_residual_block_matches_torch():
    report = infer_graph(GraphSpec.from_dict(RESIDUAL))
    assert report.ok and report.output_shapes == [(10,)]
    assert report.total_params == 448 + 32 + 2320 + 170
    assert_agrees_with_torch(RESIDUAL)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph_specs())
def test_random_graphs_match_torch(model):
    assert_agrees_with_torch(model)


def run_by_hand(model: dict, built: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The graph run node by node with the built model's own modules (same weights)."""
    values = {"x": x}
    nodes = model["nodes"]
    for k, raw in enumerate(nodes):
        srcs = raw.get("inputs") or [nodes[k - 1]["id"] if k else "x"]
        args = [values[s] for s in srcs]
        if raw["type"] in ("Add", "Mul"):
            out = args[0]
            for a in args[1:]:
                out = out + a if raw["type"] == "Add" else out * a
        elif raw["type"] == "Concat":
            out = torch.cat(args, dim=raw.get("params", {}).get("dim", 1))
        elif raw["type"] == "Chunk":
            p = {"dim": 0, **raw["params"]}
            out = torch.chunk(args[0], p["chunks"], dim=p["dim"])[p["index"]]
        elif raw["type"] == "Mean":  # a call, not a module: nothing to get from the built model
            p = raw["params"]
            dims = tuple(p["dim"]) if isinstance(p["dim"], list) else p["dim"]
            out = args[0].mean(dim=dims, keepdim=p.get("keepdim", False))
        else:
            out = built.get_submodule(raw["id"])(args[0])
        values[raw["id"]] = out
    return values[model.get("outputs", [nodes[-1]["id"]])[0]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph_specs(max_nodes=8))
def test_the_built_model_computes_the_graph(model):
    graph = GraphSpec.from_dict(model)
    report = infer_graph(graph)
    if not report.ok or not all(info.used for info in report.nodes):
        return  # refused graphs are the oracle test's; here, graphs every node of which runs
    built = build_graph_model(graph, report=report).eval()
    torch.manual_seed(0)
    x = torch.randn(2, *model["inputs"][0]["shape"])
    with torch.no_grad():
        torch.testing.assert_close(built(x), run_by_hand(model, built, x))
    assert sum(p.numel() for p in built.parameters()) == report.total_params


def test_weights_keep_their_module_paths():
    model = {
        "inputs": [{"id": "x", "shape": [4]}],
        "nodes": [
            {"id": "layer1.0.fc", "type": "Linear", "params": {"out_features": 8}},
            {"id": "layer1.0.act", "type": "ReLU"},
            {"id": "head", "type": "Linear", "params": {"out_features": 2}},
        ],
    }
    built = build_graph_model(GraphSpec.from_dict(model))
    assert list(built.state_dict()) == ["layer1.0.fc.weight", "layer1.0.fc.bias", "head.weight", "head.bias"]
    reference = nn.Module()
    reference.layer1 = nn.Module()
    setattr(reference.layer1, "0", nn.Module())
    reference.layer1.get_submodule("0").fc = nn.Linear(4, 8)
    reference.head = nn.Linear(8, 2)
    built.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(3, 4)
    want = reference.head(torch.relu(reference.layer1.get_submodule("0").fc(x)))
    torch.testing.assert_close(built(x), want)
    assert "def forward" in built.code and "torch.relu" not in built.code


@pytest.mark.parametrize(
    ("change", "node", "words"),
    [
        ({"add1": {"inputs": ["conv2", "x"]}}, "add1", 'cannot broadcast "conv2" [16, 32, 32] with "x" [3, 32, 32]'),
        ({"add1": {"type": "Concat", "inputs": ["conv2", "pool"]}}, "add1", "is part of a cycle: add1 → pool → add1"),
        ({"conv1": {"inputs": ["nowhere"]}}, "conv1", '"nowhere", which is no node or input'),
        ({"conv1": {"inputs": ["add1"]}}, "conv1", "is part of a cycle: conv1 → bn1 → relu1 → conv2 → add1 → conv1"),
    ],
)
def test_graph_errors_name_the_node(change, node, words):
    model = {**RESIDUAL, "nodes": [dict(n) for n in RESIDUAL["nodes"]]}
    for n in model["nodes"]:
        n.update(change.get(n["id"], {}))
    report = infer_graph(GraphSpec.from_dict(model))
    assert report.error is not None and report.error.node == node, report.error
    assert words in report.error.message
    assert report.error.to_dict()["node"] == node and "layer" not in report.error.to_dict()
