"""Shape inference of a 200-layer spec, in milliseconds, against a torch forward pass on
zeros of the same model (what a forward-pass summary such as torchinfo has to do).

    python benchmarks/shape_inference.py

Target: under 2 ms for 200 layers. Then graphs (spec version 2): a 500-node residual
network written as a spec, and torchvision's densenet121 (431 nodes) as ``from_torch``
imports it, inferred from JSON and from the parsed graph; target under 10 ms, so the
builder can re-check a graph on every edit.
"""

from __future__ import annotations

import statistics
import time

import torch

from dlp_widgets.engine.build import build_model
from dlp_widgets.spec import ModelSpec, infer


def image_spec(n_layers: int = 200) -> dict:
    block = [
        {"type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 3, "padding": 1}},
        {"type": "BatchNorm2d"},
        {"type": "ReLU"},
        {"type": "Dropout2d", "params": {"p": 0.1}},
    ]
    layers = (block * (n_layers // len(block)))[: n_layers - 3]
    layers += [
        {"type": "AdaptiveAvgPool2d", "params": {"output_size": 2}},
        {"type": "Flatten"},
        {"type": "Linear", "params": {"out_features": 10}},
    ]
    return {"input_shape": [3, 32, 32], "layers": layers}


def mlp_spec(n_layers: int = 200) -> dict:
    block = [
        {"type": "Linear", "params": {"out_features": 64}},
        {"type": "LayerNorm"},
        {"type": "GELU"},
        {"type": "Dropout", "params": {"p": 0.1}},
    ]
    return {"input_shape": [20], "layers": (block * (n_layers // len(block)))[:n_layers]}


def residual_graph(n_nodes: int = 500) -> dict:
    """A stem, then residual blocks of seven nodes (two convolutions with batch norm, an Add
    that skips them), then a head: about ``n_nodes`` nodes."""
    nodes = [{"id": "stem", "type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 3, "padding": 1}}]
    last, k = "stem", 0
    while len(nodes) < n_nodes - 3:
        conv = {"out_channels": 16, "kernel_size": 3, "padding": 1, "bias": False}
        b = f"block{k}"
        nodes += [
            {"id": f"{b}.conv1", "type": "Conv2d", "params": conv, "inputs": [last]},
            {"id": f"{b}.bn1", "type": "BatchNorm2d"},
            {"id": f"{b}.relu", "type": "ReLU"},
            {"id": f"{b}.conv2", "type": "Conv2d", "params": conv},
            {"id": f"{b}.bn2", "type": "BatchNorm2d"},
            {"id": f"{b}.add", "type": "Add", "inputs": [f"{b}.bn2", last]},
            {"id": f"{b}.out", "type": "ReLU"},
        ]
        last, k = f"{b}.out", k + 1
    nodes += [
        {"id": "pool", "type": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
        {"id": "flat", "type": "Flatten"},
        {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
    ]
    return {"inputs": [{"id": "x", "shape": [3, 32, 32]}], "nodes": nodes}


def graphs() -> None:
    import torchvision

    from dlp_widgets.engine.graph_import import from_torch_graph
    from dlp_widgets.spec.graph import GraphSpec

    densenet = from_torch_graph(torchvision.models.densenet121(weights=None), [3, 224, 224]).to_dict()
    print(f"\n{'graph':<14}{'nodes':>7}{'infer (dict) ms':>17}{'infer (parsed) ms':>19}")
    for name, raw in (("residual", residual_graph()), ("densenet121", densenet)):
        assert infer(raw).ok
        parsed = GraphSpec.from_dict(raw)
        t_dict = timed(lambda raw=raw: infer(raw), 100)
        t_parsed = timed(lambda parsed=parsed: infer(parsed), 100)
        print(f"{name:<14}{len(raw['nodes']):>7}{t_dict * 1e3:>17.2f}{t_parsed * 1e3:>19.2f}")
    print("target: under 10 ms for 500 nodes")


def timed(fn, repeat: int) -> float:
    """Median seconds per call."""
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    torch.set_num_threads(1)
    print(
        f"{'spec':<10}{'layers':>7}{'infer (dict) ms':>17}{'infer (parsed) ms':>19}{'torch forward ms':>18}{'forward / infer':>17}"
    )
    for name, raw in (("image", image_spec()), ("mlp", mlp_spec())):
        assert infer(raw).ok
        parsed = ModelSpec.from_dict(raw)
        t_dict = timed(lambda raw=raw: infer(raw), 300)
        t_parsed = timed(lambda parsed=parsed: infer(parsed), 300)
        model = build_model(raw).eval()
        x = torch.zeros(1, *raw["input_shape"])

        def forward(model=model, x=x):
            with torch.inference_mode():
                model(x)

        t_torch = timed(forward, 30)
        print(
            f"{name:<10}{len(raw['layers']):>7}{t_dict * 1e3:>17.3f}{t_parsed * 1e3:>19.3f}{t_torch * 1e3:>18.3f}{t_torch / t_dict:>16.1f}x"
        )
    print("target: infer (dict) under 2 ms for 200 layers")
    graphs()


if __name__ == "__main__":
    main()
