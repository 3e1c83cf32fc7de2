"""Shape inference of a 200-layer spec, in milliseconds, against a torch forward pass on
zeros of the same model (what a forward-pass summary such as torchinfo has to do).

    python benchmarks/shape_inference.py

Target: under 2 ms for 200 layers.
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


if __name__ == "__main__":
    main()
