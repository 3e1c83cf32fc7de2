"""Conv1d, ConvTranspose2d, Upsample, the 1-d pools, ChannelShuffle and Permute: shapes and
parameter counts as torch computes them, refusals that name the parameter to change, and
imports from torch that load the original's weights."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from dlp_widgets.engine.build import build_model, from_torch
from dlp_widgets.engine.layer_classes import layer_class
from dlp_widgets.export.code import model_source
from dlp_widgets.spec import CATALOGUE, infer


def _torch_says(kind: str, params: dict, in_shape: list[int]) -> tuple[tuple[int, ...], int]:
    entry = CATALOGUE[kind]
    module = layer_class(entry)(**entry.constructor_kwargs(params, tuple(in_shape))).eval()
    with torch.no_grad():
        out = module(torch.zeros(2, *in_shape))
    return tuple(out.shape[1:]), sum(p.numel() for p in module.parameters())


AGREE = [
    ("Conv1d", {"out_channels": 6, "kernel_size": 3}, [4, 20]),
    ("Conv1d", {"out_channels": 6, "kernel_size": 5, "stride": 2, "padding": 2, "dilation": 2, "groups": 2}, [4, 31]),
    ("Conv1d", {"out_channels": 3, "kernel_size": 4, "padding": "same", "padding_mode": "reflect"}, [2, 9]),
    ("Conv1d", {"out_channels": 2, "kernel_size": 3, "padding": "valid", "bias": False}, [1, 7]),
    ("ConvTranspose2d", {"out_channels": 8, "kernel_size": 2, "stride": 2}, [3, 7, 9]),
    (
        "ConvTranspose2d",
        {"out_channels": 4, "kernel_size": [3, 2], "stride": [2, 3], "padding": 1, "output_padding": [1, 2]},
        [2, 5, 6],
    ),
    (
        "ConvTranspose2d",
        {"out_channels": 6, "kernel_size": 3, "dilation": 2, "groups": 2, "output_padding": 1},
        [4, 5, 5],
    ),
    ("Upsample", {"scale_factor": 2}, [3, 5, 7]),
    ("Upsample", {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}, [3, 5, 7]),
    ("Upsample", {"scale_factor": [0.5, 2.5], "mode": "area"}, [3, 5, 7]),
    ("Upsample", {"size": [4, 9], "mode": "bicubic"}, [2, 5, 7]),
    ("Upsample", {"size": 11, "mode": "linear"}, [2, 5]),
    ("Upsample", {"scale_factor": 1.3, "mode": "nearest-exact", "recompute_scale_factor": True}, [2, 9]),
    ("MaxPool1d", {"kernel_size": 3}, [4, 10]),
    ("MaxPool1d", {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}, [4, 10]),
    ("AvgPool1d", {"kernel_size": 4, "stride": 3, "padding": 2, "ceil_mode": True}, [2, 9]),
    ("AvgPool1d", {"kernel_size": 2, "count_include_pad": False, "padding": 1}, [2, 9]),
    ("ChannelShuffle", {"groups": 3}, [6, 4, 4]),
    ("ChannelShuffle", {"groups": 2}, [4, 9]),
    ("Permute", {"dims": [0, 2, 3, 1]}, [3, 5, 7]),
    ("Permute", {"dims": [0, -1, 1, 2]}, [3, 5, 7]),
    ("Permute", {"dims": [0, 2, 1]}, [3, 8]),
]


@pytest.mark.parametrize(("kind", "params", "in_shape"), AGREE, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(AGREE)])
def test_shapes_and_parameter_counts_are_torchs(kind, params, in_shape):
    report = infer({"input_shape": in_shape, "layers": [{"type": kind, "params": params}]})
    assert report.ok, report.error
    info = report.layers[0]
    assert (info.output_shape, info.params) == _torch_says(kind, params, in_shape)


def _error(kind: str, params: dict, in_shape: list[int]):
    report = infer({"input_shape": in_shape, "layers": [{"type": kind, "params": params}]})
    assert not report.ok
    return report.error


REFUSED = [
    # (layer, params, input, the parameter named, words in the message)
    ("Conv1d", {"out_channels": 4, "kernel_size": 3}, [16], None, "needs a sequence [channels, length]"),
    ("Conv1d", {"out_channels": 4, "kernel_size": 3}, [3, 8, 8], None, "Flatten(start_dim=2)"),
    ("Conv1d", {"out_channels": 4, "kernel_size": 9}, [2, 8], "kernel_size", "a kernel of 9"),
    ("Conv1d", {"out_channels": 4, "kernel_size": 3, "groups": 2}, [3, 8], "groups", "groups=2"),
    ("Conv1d", {"out_channels": 4, "kernel_size": 3, "in_channels": 5}, [3, 8], "in_channels", "in_channels=5"),
    ("Conv1d", {"out_channels": 4, "kernel_size": 3, "padding": "same", "stride": 2}, [3, 8], "padding", "stride 1"),
    (
        "ConvTranspose2d",
        {"out_channels": 4, "kernel_size": 3, "stride": 2, "output_padding": 2},
        [3, 4, 4],
        "output_padding",
        "smaller than the stride",
    ),
    ("ConvTranspose2d", {"out_channels": 4, "kernel_size": 1, "padding": 2}, [3, 2, 2], "padding", "Use less padding"),
    ("ConvTranspose2d", {"out_channels": 3, "kernel_size": 2, "groups": 2}, [4, 4, 4], "out_channels", "groups=2"),
    ("ConvTranspose2d", {"out_channels": 4, "kernel_size": 2}, [4, 8], None, "[channels, height, width]"),
    ("Upsample", {}, [3, 4, 4], "size", "exactly one"),
    ("Upsample", {"size": 8, "scale_factor": 2}, [3, 4, 4], "scale_factor", "exactly one"),
    ("Upsample", {"scale_factor": 2, "align_corners": True}, [3, 4, 4], "align_corners", 'mode="nearest"'),
    ("Upsample", {"scale_factor": 2, "mode": "linear"}, [3, 4, 4], "mode", "[channels, length]"),
    ("Upsample", {"scale_factor": 2, "mode": "bilinear"}, [3, 4], "mode", "[channels, height, width]"),
    ("Upsample", {"scale_factor": 2, "mode": "trilinear"}, [3, 4, 4], "mode", "depth"),
    ("Upsample", {"size": [4, 4]}, [3, 4], "size", "2 values for the 1 spatial dimension"),
    ("Upsample", {"scale_factor": [2]}, [3, 4, 4], "scale_factor", "1 values for the 2 spatial dimensions"),
    ("Upsample", {"scale_factor": 0.1}, [3, 4, 4], "scale_factor", "at least 1"),
    ("Upsample", {"size": 4, "recompute_scale_factor": True}, [3, 4, 4], "recompute_scale_factor", "leave it out"),
    ("Upsample", {"scale_factor": 2}, [8], None, "read the batch as channels"),
    ("MaxPool1d", {"kernel_size": 3, "padding": 2}, [3, 8], "padding", "at most half"),
    ("MaxPool1d", {"kernel_size": 9}, [3, 8], "kernel_size", "does not fit"),
    ("AvgPool1d", {"kernel_size": 2}, [8], None, "needs a sequence"),
    ("ChannelShuffle", {"groups": 4}, [6, 4, 4], "groups", "groups=4"),
    ("ChannelShuffle", {"groups": 2}, [6], None, "needs [channels, length]"),
    ("Permute", {"dims": [0, 2, 1]}, [3, 4, 4], "dims", "all 4 dimensions"),
    ("Permute", {"dims": [0, 1, 1, 2]}, [3, 4, 4], "dims", "not a permutation"),
    ("Permute", {"dims": [1, 0, 2, 3]}, [3, 4, 4], "dims", "dims must start with 0"),
    ("Permute", {"dims": [0, 1, 3]}, [3, 8], "dims", "3 in dims"),
]


@pytest.mark.parametrize(
    ("kind", "params", "in_shape", "param", "words"), REFUSED, ids=[f"{r[0]}-{i}" for i, r in enumerate(REFUSED)]
)
def test_refusals_name_the_parameter(kind, params, in_shape, param, words):
    err = _error(kind, params, in_shape)
    assert err.param == param and words in err.message, err.message
    assert err.message.startswith(f"{kind} at position 1")
    if param is not None:
        assert param in err.message  # the words say what to change, not only the field


def test_torch_refuses_what_the_rules_refuse_where_it_can_tell():
    """Where torch itself raises (not where it would read the batch as channels, or let the
    batch move), it raises for the same specs."""
    for kind, params, in_shape, _, _ in REFUSED:
        if len(in_shape) == 1 and kind in ("Conv1d", "AvgPool1d", "MaxPool1d"):
            continue  # torch takes [batch, features] for one unbatched sequence
        if kind == "Permute" and params["dims"][0] != 0 and len(set(params["dims"])) == len(in_shape) + 1:
            continue  # torch moves the batch; a model must not
        with pytest.raises(Exception):  # noqa: B017, PT011 - any of torch's refusals
            _torch_says(kind, params, in_shape)


def test_permute_keeps_the_batch_first_and_reorders_the_rest_as_torchvision_does():
    report = infer({"input_shape": [3, 5, 7], "layers": [{"type": "Permute", "params": {"dims": [0, 2, 3, 1]}}]})
    assert report.output_shape == (5, 7, 3)
    x = torch.randn(2, 3, 5, 7)
    built = build_model({"input_shape": [3, 5, 7], "layers": [{"type": "Permute", "params": {"dims": [0, 2, 3, 1]}}]})
    torch.testing.assert_close(built(x), torchvision.ops.Permute([0, 2, 3, 1])(x))


def test_channel_shuffle_interleaves_the_groups():
    built = build_model({"input_shape": [6, 1], "layers": [{"type": "ChannelShuffle", "params": {"groups": 2}}]})
    x = torch.arange(6.0).reshape(1, 6, 1)
    assert built(x).flatten().tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]


def test_the_sequence_layers_stay_out_of_the_palette_but_build_from_specs():
    from dlp_widgets.spec import palette

    names = {item["name"] for item in palette()}
    assert {"Conv1d", "MaxPool1d", "AvgPool1d"}.isdisjoint(names)
    spec = {
        "input_shape": [4, 32],
        "layers": [
            {"type": "Conv1d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
            {"type": "ReLU"},
            {"type": "MaxPool1d", "params": {"kernel_size": 2}},
            {"type": "AvgPool1d", "params": {"kernel_size": 2}},
            {"type": "Flatten"},
            {"type": "Linear", "params": {"out_features": 3}},
        ],
    }
    assert infer(spec).output_shape == (3,)
    assert build_model(spec)(torch.zeros(5, 4, 32)).shape == (5, 3)


def _network() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        nn.ChannelShuffle(3),
        nn.Upsample(scale_factor=0.5, mode="bilinear", align_corners=False),
        torchvision.ops.Permute([0, 2, 3, 1]),
        nn.LayerNorm(6),
        torchvision.ops.Permute([0, 3, 1, 2]),
        nn.Flatten(start_dim=2),
        nn.Conv1d(6, 4, 3, padding="same", padding_mode="replicate"),
        nn.MaxPool1d(2, ceil_mode=True),
        nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False),
        nn.Upsample(size=20, mode="linear"),
        nn.Flatten(),
        nn.Linear(80, 5),
    )


def test_a_network_of_the_new_layers_imports_with_its_weights_and_exports_as_code():
    net = _network().eval()
    spec = from_torch(net, [3, 10, 10])
    assert [layer.type for layer in spec.layers] == [type(m).__name__ for m in net]
    built = build_model(spec).eval()
    built.load_state_dict(net.state_dict(), strict=True)
    x = torch.randn(2, 3, 10, 10)
    with torch.no_grad():
        torch.testing.assert_close(built(x), net(x), atol=1e-5, rtol=1e-5)
    namespace: dict = {}
    exec(compile(model_source(spec), "<generated>", "exec"), namespace)  # our own generated code
    exported = namespace["model"].eval()
    exported.load_state_dict(net.state_dict(), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(exported(x), net(x), atol=1e-5, rtol=1e-5)


def test_functional_calls_import_as_the_new_layers():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = nn.functional.interpolate(self.conv(x), scale_factor=2, mode="nearest")
            y = nn.functional.channel_shuffle(y, 2)
            return torch.permute(y, (0, 2, 3, 1)).permute(0, 3, 1, 2)

    net = Net().eval()
    graph = from_torch(net, [3, 5, 5])
    assert [n.type for n in graph.nodes] == ["Conv2d", "Upsample", "ChannelShuffle", "Permute", "Permute"]
    built = build_model(graph).eval()
    built.load_state_dict(net.state_dict(), strict=True)
    x = torch.randn(2, 3, 5, 5)
    torch.testing.assert_close(built(x), net(x))


def test_a_max_pool_that_returns_indices_is_refused_on_import():
    from dlp_widgets.spec import SpecError

    with pytest.raises(SpecError, match="return_indices=True"):
        from_torch(nn.Sequential(nn.MaxPool1d(2, return_indices=True)), [3, 8])
