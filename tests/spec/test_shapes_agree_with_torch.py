"""Shape and parameter inference against the oracle: torch running a forward pass."""

import pytest
import torch
from hypothesis import given, settings
from torch import nn

from dlp_widgets.spec import infer
from spec_examples import LENET5, ORIGINAL_IMAGE_BROKEN, ORIGINAL_IMAGE_FIXED, ORIGINAL_TABULAR, VGG_STYLE
from specgen import model_specs
from torch_oracle import run_layers


def assert_agrees_with_torch(model: dict) -> None:
    report = infer(model)
    torch_layers, torch_fail = run_layers(model)
    ours_fail = report.error.layer if report.error is not None else None
    assert ours_fail == torch_fail, (model, report.error)
    for info, (shape, n_params) in zip(report.layers, torch_layers, strict=False):
        assert info.output_shape == shape, (model, info)
        assert info.params == n_params, (model, info)
    if report.ok:
        assert report.total_params == sum(n for _, n in torch_layers)


@pytest.mark.parametrize(
    "model",
    [LENET5, VGG_STYLE, ORIGINAL_TABULAR, ORIGINAL_IMAGE_FIXED],
    ids=["lenet5", "vgg-style", "original-tabular", "original-image-fixed"],
)
def test_hand_picked_models_match_torch(model):
    report = infer(model)
    assert report.ok, report.error
    assert_agrees_with_torch(model)


def test_lenet5_figures():
    report = infer(LENET5)
    assert report.layers[6].output_shape == (400,)
    assert report.total_params == 61_706  # the classic LeNet-5 count


def test_lenet5_written_as_in_torch_has_torchs_shapes():
    """A parameter left out means torch's default: the second convolution, written as
    PyTorch code writes it (no padding), shrinks 14×14 to 10×10 exactly as nn.Conv2d(6, 16, 5)."""
    layers = [dict(layer) for layer in LENET5["layers"]]
    layers[3] = {"type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 5}}
    torch_net = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.Tanh(),
        nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.Tanh(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.Tanh(),
        nn.Linear(120, 84),
        nn.Tanh(),
        nn.Linear(84, 10),
    )
    x, torch_shapes = torch.zeros(1, 1, 28, 28), []
    with torch.no_grad():
        for module in torch_net:
            x = module(x)
            torch_shapes.append(tuple(x.shape[1:]))
    report = infer({"input_shape": [1, 28, 28], "layers": layers})
    assert report.layers[3].output_shape == (16, 10, 10)
    assert [info.output_shape for info in report.layers] == torch_shapes
    assert report.total_params == sum(p.numel() for p in torch_net.parameters()) == 61_706


def test_original_image_default_is_refused_at_the_linear_layer():
    report = infer(ORIGINAL_IMAGE_BROKEN)
    assert report.error.layer == 3 and report.error.param == "in_features"
    assert "Linear at position 4" in report.error.message
    assert "4,500 values per example" in report.error.message
    assert_agrees_with_torch(ORIGINAL_IMAGE_BROKEN)


_seen = {"valid": 0, "invalid": 0}


@settings(max_examples=600)
@given(model_specs())
def test_generated_specs_match_torch(model):
    report = infer(model)
    _seen["valid" if report.ok else "invalid"] += 1
    assert_agrees_with_torch(model)


def test_generator_covered_both_kinds():
    # runs after the property test in file order: hundreds of valid specs, and invalid ones
    assert _seen["valid"] >= 200, _seen
    assert _seen["invalid"] >= 50, _seen
