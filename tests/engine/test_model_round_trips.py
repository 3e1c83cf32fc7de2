"""Round trips: spec → JSON → spec, spec → module → spec, spec → source → module."""

import json

import pytest
import torch
from hypothesis import given, settings
from torch import nn

from dlp_widgets.engine.build import build_model, from_torch
from dlp_widgets.export.code import model_source
from dlp_widgets.spec import ModelSpec, SpecError, infer
from dlp_widgets.spec.shapes import canonical
from spec_examples import LENET5, VGG_STYLE
from specgen import model_specs


def _valid(model):
    return infer(model).ok


def _exec_source(src: str) -> nn.Module:
    namespace: dict = {}
    exec(compile(src, "<generated>", "exec"), namespace)  # our own generated code, in a test
    return namespace["model"]


def _signature(module: nn.Module):
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


@settings(max_examples=250)
@given(model_specs())
def test_generated_round_trips(raw):
    if not _valid(raw):
        return
    spec = ModelSpec.from_dict(raw)
    # JSON round trip is exact
    assert ModelSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    # module round trip gives the canonical spec
    module = build_model(spec)
    back = from_torch(module, spec.input_shape)
    assert back == canonical(spec)
    _assert_same_network(build_model(back), module, spec.input_shape)
    # generated source builds the same structure
    _assert_same_network(_exec_source(model_source(spec)), module, spec.input_shape)


def _assert_same_network(a: nn.Module, b: nn.Module, input_shape) -> None:
    """Same layer types, same weights' names and shapes, and with b's weights loaded into a,
    the same outputs."""
    assert [type(m) for m in a] == [type(m) for m in b]
    assert _signature(a) == _signature(b)
    a.load_state_dict(b.state_dict())
    a.eval(), b.eval()
    x = torch.randn(2, *input_shape)
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x))


@pytest.mark.parametrize("raw", [LENET5, VGG_STYLE], ids=["lenet5", "vgg"])
def test_hand_picked_source_runs_and_matches(raw):
    src = model_source(raw)
    assert "nn.Sequential(" in src and "# -> [10]" in src
    module = _exec_source(src)
    ref = build_model(raw)
    assert _signature(module) == _signature(ref)
    module.load_state_dict(ref.state_dict())
    x = torch.randn(3, *raw["input_shape"])
    module.eval(), ref.eval()
    torch.testing.assert_close(module(x), ref(x))


def test_from_torch_flattens_nested_sequentials():
    module = nn.Sequential(
        nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU()),
        nn.Sequential(nn.MaxPool2d(2), nn.Sequential(nn.Flatten(), nn.Linear(4 * 8 * 8, 7))),
    )
    spec = from_torch(module, [3, 16, 16])
    assert [layer.type for layer in spec.layers] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    # what torch requires is kept, torch's defaults are dropped, padding 1 is not one of them
    assert spec.layers[0].params == {"out_channels": 4, "kernel_size": 3, "padding": 1}
    assert spec.layers[3].params == {"kernel_size": 2}
    rebuilt = build_model(spec)
    theirs = list(module.state_dict().values())
    assert [tuple(t.shape) for t in rebuilt.state_dict().values()] == [tuple(t.shape) for t in theirs]
    rebuilt.load_state_dict(dict(zip(rebuilt.state_dict(), theirs, strict=True)))
    rebuilt.eval(), module.eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), module(x))


def test_from_torch_names_what_it_cannot_represent():
    with pytest.raises(SpecError, match=r"module `1.0` \(torch.nn.modules.rnn.GRU\) is not a catalogue layer"):
        from_torch(nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.GRU(4, 4))), [4])

    class MyLinear(nn.Linear):
        def forward(self, x):
            return super().forward(x) * 2

    with pytest.raises(SpecError, match="MyLinear"):
        from_torch(nn.Sequential(MyLinear(4, 2)), [4])
    with pytest.raises(SpecError, match="return_indices"):
        from_torch(nn.Sequential(nn.MaxPool2d(2, return_indices=True)), [1, 4, 4])


def test_from_torch_checks_shapes_against_the_input():
    with pytest.raises(SpecError) as info:
        from_torch(nn.Sequential(nn.Linear(4, 3), nn.Linear(5, 2)), [4])
    assert info.value.layer == 1 and info.value.param == "in_features"


def test_build_refuses_invalid_specs_with_the_layer():
    conv = {"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}}
    with pytest.raises(SpecError) as info:
        build_model({"input_shape": [4], "layers": [conv]})
    assert info.value.layer == 0
    with pytest.raises(SpecError) as info:
        build_model({"input_shape": [1, 8, 8], "layers": [{"type": "Conv2d", "params": {"out_channels": 8}}]})
    assert (info.value.layer, info.value.param) == (0, "kernel_size")


def test_source_prints_only_what_differs_from_torchs_defaults():
    def conv(**params):
        src = model_source({"input_shape": [1, 8, 8], "layers": [{"type": "Conv2d", "params": params}]})
        return next(line.strip() for line in src.splitlines() if "nn.Conv2d(" in line)

    assert conv(out_channels=4, kernel_size=3).startswith("nn.Conv2d(1, 4, 3),")
    assert conv(out_channels=4, kernel_size=3, padding=0).startswith("nn.Conv2d(1, 4, 3),")
    assert conv(out_channels=4, kernel_size=3, padding=1).startswith("nn.Conv2d(1, 4, 3, padding=1),")
    softmax = model_source({"input_shape": [4], "layers": [{"type": "Softmax"}]})
    assert "nn.Softmax()," in softmax  # torch's default dim (None) is not written either


def test_a_module_with_torchs_defaults_reads_back_without_them():
    module = nn.Sequential(nn.Conv2d(1, 6, 5), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(6 * 12 * 12, 3), nn.Softmax())
    spec = from_torch(module, [1, 28, 28])
    assert [layer.to_dict() for layer in spec.layers] == [
        {"type": "Conv2d", "params": {"out_channels": 6, "kernel_size": 5}},
        {"type": "AvgPool2d", "params": {"kernel_size": 2}},
        {"type": "Flatten"},
        {"type": "Linear", "params": {"out_features": 3}},
        {"type": "Softmax"},
    ]
    assert infer(spec).layers[0].output_shape == (6, 24, 24)


def test_build_refuses_models_too_large_to_allocate():
    huge = {"input_shape": [100_000], "layers": [{"type": "Linear", "params": {"out_features": 100_000}}] * 2}
    with pytest.raises(SpecError, match="trainable parameters"):
        build_model(huge)
