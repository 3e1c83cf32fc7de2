"""The widgets hold graphs: a residual network set on the Playground or the layer builder
comes back equal, builds the same network as ``dlp.build_model``, prints as code that runs,
and trains; a chain stays a chain. A graph that does not parse is refused naming the node,
and nothing already shown changes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.spec import SpecError
from dlp_widgets.spec.graph import GraphSpec
from dlp_widgets.widgets.builder import builder_report

RESIDUAL = json.loads((Path(__file__).resolve().parents[2] / "examples" / "residual.json").read_text())


def test_a_residual_network_set_on_the_playground_comes_back_equal():
    pg = dlp.Playground()
    pg.spec = RESIDUAL
    back = pg.spec.to_dict()
    assert GraphSpec.from_dict(back["model"]) == GraphSpec.from_dict(RESIDUAL["model"])
    assert back["data"]["source"].startswith("builtin:digits") and back["training"]["lr"] == RESIDUAL["training"]["lr"]
    assert pg.builder.ok and not pg.train_button.disabled
    assert "13 nodes" in pg.review.value


def test_the_layer_builder_holds_a_graph_and_builds_what_build_model_builds():
    builder = dlp.LayerBuilder(RESIDUAL["model"])
    assert isinstance(builder.spec, GraphSpec) and builder.report["chain"] is False
    add = next(n for n in builder.report["nodes"] if n["id"] == "block1.add")
    assert add["output_shape"] == [16, 28, 28]
    ours, oracle = builder.model(), dlp.build_model(RESIDUAL)
    ours.load_state_dict(oracle.state_dict(), strict=True)
    ours.eval(), oracle.eval()
    x = torch.randn(3, 1, 28, 28)
    torch.testing.assert_close(ours(x), oracle(x), rtol=0, atol=0)
    namespace: dict = {}
    code = builder.code()
    assert "class Model(nn.Module)" in code
    exec(compile(code, "<builder code>", "exec"), namespace)  # noqa: S102 - our own generated source
    assert sum(p.numel() for p in namespace["model"].parameters()) == builder.report["total_params"]


def test_the_builder_names_blocks_from_dotted_ids():
    blocks = dlp.LayerBuilder(RESIDUAL["model"]).report["blocks"]
    block = next(b for b in blocks if b["prefix"] == "block1")
    assert block["nodes"][0] == "block1.conv1" and block["nodes"][-1] == "block1.out"
    assert block["inputs"] == [{"id": "stem_relu", "shape": [16, 28, 28]}]
    assert block["outputs"] == [{"id": "block1.out", "shape": [16, 28, 28]}]
    conv = 16 * 16 * 9  # no bias: a batch norm follows
    assert block["params"] == 2 * conv + 2 * 32


def test_an_imported_resnet_opens_collapsed_by_block_and_counts_what_torch_counts():
    torchvision = pytest.importorskip("torchvision")
    net = torchvision.models.resnet50(weights=None)
    builder = dlp.LayerBuilder.from_torch(net, [3, 224, 224])
    assert builder.collapsed == ["layer1", "layer2", "layer3", "layer4"]
    assert builder.report["total_params"] == sum(p.numel() for p in net.parameters())
    layer1 = next(b for b in builder.report["blocks"] if b["prefix"] == "layer1")
    assert layer1["outputs"][0]["shape"] == [256, 56, 56]
    assert layer1["params"] == sum(p.numel() for p in net.layer1.parameters())


def test_an_edit_from_the_browser_changes_shapes_downstream():
    builder = dlp.LayerBuilder(RESIDUAL["model"])
    graph = copy.deepcopy(builder.graph)
    conv = next(n for n in graph["nodes"] if n["id"] == "block1.conv2")
    conv["params"]["out_channels"] = 8  # no longer adds to the 16 channels of the skip
    builder.set_state({"graph": graph})
    add = next(n for n in builder.report["nodes"] if n["id"] == "block1.add")
    assert add["error"]["node"] == "block1.add" and "[8, 28, 28]" in add["error"]["message"]
    assert not builder.ok


def test_a_chain_stays_a_chain():
    model = {
        "inputs": [{"id": "x", "shape": [4]}],
        "nodes": [{"id": "fc", "type": "Linear", "params": {"out_features": 3}}, {"id": "act", "type": "ReLU"}],
    }
    builder = dlp.LayerBuilder(model)
    assert builder.input_shape == [4] and builder.report["chain"] is True
    assert builder.layers == [{"type": "Linear", "params": {"out_features": 3}}, {"type": "ReLU"}]
    assert builder.spec.to_dict() == {"input_shape": [4], "layers": builder.layers}


def test_a_graph_that_does_not_parse_is_refused_and_nothing_changes():
    pg = dlp.Playground()
    before = pg.spec.to_dict()
    broken = copy.deepcopy(RESIDUAL)
    broken["model"]["nodes"][8]["inputs"] = ["block1.bn2", 7]
    with pytest.raises(SpecError) as err:
        pg.spec = broken
    assert err.value.node == "block1.add"
    assert pg.spec.to_dict() == before


def test_a_report_for_any_graph_never_raises():
    for graph in (None, [], {"inputs": []}, {"inputs": [{"id": "x", "shape": [4]}], "nodes": [{"id": "a"}]}):
        report = builder_report(graph)
        assert report["error"]["message"] and report["blocks"] == []


def test_the_playground_trains_a_residual_network_that_learns(tmp_path, monkeypatch):
    monkeypatch.setenv("DLP_HOME", str(tmp_path))
    spec = copy.deepcopy(RESIDUAL)
    spec["training"]["epochs"] = 2
    pg = dlp.Playground()
    pg.spec = spec
    run = pg.train()
    assert run is not None
    run.wait(timeout=600)
    assert run.status == "finished", run.error
    assert run.metrics["test_accuracy"] > 0.8  # ten classes: chance is 0.1
    assert dlp.load_run(run.id).spec.model == GraphSpec.from_dict(RESIDUAL["model"])


def test_a_merge_waiting_for_its_second_input_leaves_every_other_shape_shown():
    graph = {
        "inputs": [{"id": "x", "shape": [8]}],
        "nodes": [
            {"id": "fc", "type": "Linear", "params": {"out_features": 8}},
            {"id": "add", "type": "Add", "inputs": ["fc"]},  # the skip not drawn yet
            {"id": "out", "type": "Linear", "params": {"out_features": 2}},
        ],
    }
    report = builder_report(graph)
    by_id = {n["id"]: n for n in report["nodes"]}
    assert by_id["fc"]["output_shape"] == [8] and by_id["fc"]["params"] == 72
    assert "takes two or more inputs, not 1" in by_id["add"]["error"]["message"]
    assert by_id["out"]["output_shape"] is None and "error" not in by_id["out"]
    builder = dlp.LayerBuilder(graph)
    with pytest.raises(SpecError, match="two or more inputs"):
        builder.spec  # noqa: B018 - the strict view refuses it
    builder.set_state({"selected": ["x", "add", "nope"]})
    assert builder.selected == ["x", "add"]  # an input can be selected: "add after x"
    graph["nodes"][1]["inputs"] = []
    assert "needs inputs" in {n["id"]: n for n in builder_report(graph)["nodes"]}["add"]["error"]["message"]
