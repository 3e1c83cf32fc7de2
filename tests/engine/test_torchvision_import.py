"""Real networks from torchvision (built with ``weights=None``) imported as graph specs:
JSON round-tripped, rebuilt, loaded with the original's ``state_dict`` (``strict=True``),
the same outputs within 1e-5 on random input and the same parameter count. What cannot be
imported is refused in words naming the module or call, never with a traceback."""

from __future__ import annotations

import json

import pytest
import torch
import torchvision
from torch import nn

from dlp_widgets.engine.graph_build import build_graph_model
from dlp_widgets.engine.graph_import import from_torch_graph
from dlp_widgets.spec import SpecError
from dlp_widgets.spec.graph import GraphSpec
from dlp_widgets.spec.graph_shapes import infer_graph

NETWORKS = [
    ("resnet18", [3, 224, 224], {}),
    ("resnet50", [3, 64, 64], {}),
    ("resnext50_32x4d", [3, 64, 64], {}),
    ("alexnet", [3, 96, 96], {}),
    ("vgg11_bn", [3, 32, 32], {}),
    ("densenet121", [3, 64, 64], {}),
    ("squeezenet1_0", [3, 96, 96], {}),
    ("googlenet", [3, 64, 64], {"aux_logits": False, "init_weights": False}),
    ("mobilenet_v2", [3, 64, 64], {}),
    ("mobilenet_v3_small", [3, 64, 64], {}),
    ("regnet_y_400mf", [3, 64, 64], {}),  # module paths with "-": block1-0
    ("mnasnet0_5", [3, 64, 64], {}),  # x.mean([2, 3]): a Mean node
    ("efficientnet_b0", [3, 64, 64], {}),  # torchvision.ops.StochasticDepth
    ("shufflenet_v2_x0_5", [3, 64, 64], {}),  # x.chunk(2, dim=1): Chunk nodes; channel_shuffle: ChannelShuffle
    ("inception_v3", [3, 96, 96], {"aux_logits": False, "init_weights": False}),
]


@pytest.mark.parametrize(("name", "shape", "kwargs"), NETWORKS, ids=[n for n, _, _ in NETWORKS])
def test_a_torchvision_network_comes_back_the_same(name, shape, kwargs):
    torch.manual_seed(0)
    net = torchvision.models.get_model(name, weights=None, **kwargs).eval()
    spec = from_torch_graph(net, shape)
    back = GraphSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert back == spec
    report = infer_graph(back)
    assert report.ok and report.total_params == sum(p.numel() for p in net.parameters())
    built = build_graph_model(back, report=report).eval()
    built.load_state_dict(net.state_dict(), strict=True)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        want = net(x)
        got = built(x)
    assert tuple(want.shape[1:]) == report.output_shapes[0]
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_resnet18_has_its_published_parameter_count():
    spec = from_torch_graph(torchvision.models.resnet18(weights=None), [3, 224, 224])
    report = infer_graph(spec)
    assert report.total_params == 11_689_512
    skips = [n for n in spec.nodes if n.type == "Add"]
    assert len(skips) == 8  # two basic blocks in each of four stages
    assert "layer1.0.conv1" in {n.id for n in spec.nodes}


def test_a_layer_the_catalogue_lacks_is_refused_naming_it():
    class Recurrent(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head = nn.Sequential(nn.Linear(4, 4), nn.Softplus())

        def forward(self, x):
            return self.head(x)

    with pytest.raises(SpecError, match=r"module `head\.1` \(torch\.nn\.modules\.activation\.Softplus\)") as err:
        from_torch_graph(Recurrent(), [4])
    assert err.value.node == "head.1"


def test_a_network_calling_what_has_no_node_is_refused_naming_where():
    with pytest.raises(SpecError, match=r"VisionTransformer: call to builtins\.getattr is not supported"):
        from_torch_graph(torchvision.models.vit_b_32(weights=None, image_size=32), [3, 32, 32])


def test_convnext_is_refused_naming_the_weight_it_uses_and_its_module():
    with pytest.raises(SpecError, match=r"features\.0\.1\.weight \(of torchvision\.models\.convnext\.LayerNorm2d\)"):
        from_torch_graph(torchvision.models.convnext_tiny(weights=None), [3, 64, 64])


class Rolling(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
        self.inner = Inner()

    def forward(self, x):
        return self.inner(self.block(x))


class Inner(nn.Module):
    def forward(self, x):
        return torch.roll(x, 1, dims=1)


class Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(self.fc(x))


class PlusOne(nn.Module):
    def forward(self, x):
        return x + 1


@pytest.mark.parametrize(
    ("module", "words"),
    [
        (Rolling(), "inner: call to torch.roll is not supported"),
        (Shared(), "module `fc` is called twice (shared weights)"),
        (PlusOne(), "with a number is not supported"),
    ],
    ids=["unsupported call", "shared weights", "a number"],
)
def test_what_a_spec_cannot_express_is_refused_in_words(module, words):
    with pytest.raises(SpecError) as err:
        from_torch_graph(module, [4])
    assert words in err.value.message


def test_an_untraceable_module_is_refused_in_words():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(SpecError, match="torch.fx cannot trace Branchy"):
        from_torch_graph(Branchy(), [4])


def test_dlp_from_torch_gives_a_chain_for_a_sequential_and_a_graph_otherwise():
    import dlp_widgets as dlp
    from dlp_widgets.spec import ModelSpec

    chain = dlp.from_torch(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), [4])
    assert isinstance(chain, ModelSpec) and [layer.type for layer in chain.layers] == ["Linear", "ReLU"]
    net = torchvision.models.resnet18(weights=None).eval()
    graph = dlp.from_torch(net, [3, 64, 64])
    assert isinstance(graph, GraphSpec)
    built = dlp.build_model(graph).eval()
    built.load_state_dict(net.state_dict(), strict=True)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(built(x), net(x))
    assert isinstance(dlp.build_model({"version": 2, "model": graph.to_dict()}), torch.fx.GraphModule)


@pytest.mark.parametrize("name", ["mnasnet0_5", "densenet121", "efficientnet_b0", "shufflenet_v2_x0_5"])
def test_the_code_export_of_an_imported_network_loads_its_weights(name):
    from dlp_widgets.export.graph_code import graph_source

    net = torchvision.models.get_model(name, weights=None).eval()
    namespace: dict = {}
    exec(compile(graph_source(from_torch_graph(net, [3, 64, 64])), name, "exec"), namespace)  # our own code
    model = namespace["model"].eval()
    model.load_state_dict(net.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), net(x), atol=1e-5, rtol=1e-5)
