"""The block palette: every template, dropped after a node of any plausible shape, gives a
graph whose shapes and parameter counts equal what torch computes (the oracle runs the
nodes one by one), trains through ``build_model``, and names the node when it cannot go
there. Ids are fresh and the chain around the block stays a chain."""

from __future__ import annotations

import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.spec import SpecError
from dlp_widgets.spec.block_templates import TEMPLATES, insert_block
from dlp_widgets.spec.graph import GraphSpec
from dlp_widgets.spec.graph_shapes import infer_graph
from torch_oracle import run_graph

IMAGE_SHAPES = [(1, 28, 28), (3, 32, 32), (16, 8, 8), (5, 6, 10)]


def image_chain(shape):
    return GraphSpec.from_dict(
        {
            "input_shape": list(shape),
            "layers": [
                {"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
                {"type": "ReLU"},
                {"type": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
                {"type": "Flatten"},
                {"type": "Linear", "params": {"out_features": 10}},
            ],
        }
    )


@pytest.mark.parametrize("name", [n for n, t in TEMPLATES.items() if 3 in t.ranks])
@pytest.mark.parametrize("shape", IMAGE_SHAPES)
@pytest.mark.parametrize("after", ["x", "1"])
def test_each_image_block_has_the_shapes_and_parameters_torch_computes(name, shape, after):
    graph = image_chain(shape)
    incoming = infer_graph(graph).shape_of(after)
    if name == "unet" and (incoming[1] % 2 or incoming[2] % 2):
        pytest.skip("the odd-size refusal has its own test")
    new, ids = insert_block(graph, name, after, incoming)
    report = infer_graph(new)
    assert report.ok, report.error
    by_torch, refused = run_graph(new.to_dict())
    assert refused is None
    for node in report.nodes:
        assert (node.output_shape, node.params) == by_torch[node.id], node.id
    assert all(i.startswith(ids[0].split(".")[0] + ".") for i in ids)
    assert new.nodes[-1].id == "4" and report.output_shape == (10,)


def test_a_block_after_a_node_keeps_the_chain_around_it():
    graph = image_chain((3, 32, 32))
    new, ids = insert_block(graph, "residual", "1", (8, 32, 32))
    raw = new.to_dict()["nodes"]
    order = [n["id"] for n in raw]
    assert order == ["0", "1", *ids, "2", "3", "4"]
    assert "inputs" not in raw[2] and "inputs" not in raw[order.index("2")]  # implicit: the one before
    assert next(n for n in raw if n["id"] == "res1.add")["inputs"] == ["res1.bn2", "1"]


def test_a_second_block_gets_a_fresh_prefix():
    builder = dlp.LayerBuilder(image_chain((3, 16, 16)))
    first = builder.add_block("residual", after="1")
    second = builder.add_block("residual", after="res1.out")
    assert first[0] == "res1.conv1" and second[0] == "res2.conv1"
    assert builder.selected == ["res2.out"] and builder.ok


def test_a_residual_block_on_a_table_uses_linear_layers():
    builder = dlp.LayerBuilder({"input_shape": [20], "layers": [{"type": "Linear", "params": {"out_features": 16}}]})
    ids = builder.add_block("residual")
    report = infer_graph(builder.spec)
    by_torch, refused = run_graph(builder.spec.to_dict())
    assert refused is None and all((n.output_shape, n.params) == by_torch[n.id] for n in report.nodes)
    assert [n["type"] for n in builder.graph["nodes"] if n["id"] in ids] == ["Linear", "ReLU", "Linear", "Add", "ReLU"]


@pytest.mark.parametrize(
    ("name", "model", "after", "words"),
    [
        ("se", {"input_shape": [20], "layers": [{"type": "ReLU"}]}, "0", 'ReLU "0" gives [20]'),
        ("unet", {"input_shape": [3, 7, 7], "layers": [{"type": "ReLU"}]}, "0", "even height and width"),
        ("dense", {"input_shape": [3, 8, 8], "layers": [{"type": "ReLU"}]}, "nope", '"nope" is no node'),
        ("spiral", {"input_shape": [3, 8, 8], "layers": [{"type": "ReLU"}]}, "0", 'no block "spiral"'),
        (
            "residual",
            {"input_shape": [3, 8, 8], "layers": [{"type": "MaxPool2d", "params": {"kernel_size": 16}}]},
            "0",
            "no output shape yet",
        ),
    ],
)
def test_a_block_that_cannot_go_there_is_refused_naming_the_node(name, model, after, words):
    builder = dlp.LayerBuilder(model)
    before = builder.graph
    with pytest.raises(SpecError) as err:
        builder.add_block(name, after=after)
    assert words in err.value.message
    assert builder.graph == before


def test_the_browser_asks_for_a_block_and_a_refusal_comes_back_in_words():
    builder = dlp.LayerBuilder(image_chain((3, 16, 16)))
    sent = []
    builder.send = sent.append
    builder._on_browser_message(builder, {"kind": "add_block", "name": "se", "after": "1"}, [])
    assert any(n["id"] == "se1.scale" for n in builder.graph["nodes"])
    builder._on_browser_message(builder, {"kind": "add_block", "name": "se", "after": "3"}, [])
    assert sent and sent[-1]["kind"] == "refused" and 'Flatten "3" gives [8]' in sent[-1]["message"]
    for junk in (None, "add_block", {"kind": "add_block", "name": ["x"], "after": 3}, {"kind": "other"}):
        builder._on_browser_message(builder, junk, [])  # never raises


def test_a_model_with_a_block_trains_and_learns(tmp_path, monkeypatch):
    monkeypatch.setenv("DLP_HOME", str(tmp_path))
    conv = {"type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 3, "padding": 1}}
    builder = dlp.LayerBuilder(
        {
            "input_shape": [1, 8, 8],
            "layers": [conv, {"type": "ReLU"}, {"type": "Flatten"}, {"type": "Linear", "params": {"out_features": 10}}],
        }
    )
    builder.add_block("se", after="1")
    builder.add_block("residual", after="se1.scale")
    spec = {"version": 2, "model": builder.spec.to_dict(), "data": {"source": "builtin:digits_images"},
            "training": {"epochs": 5, "lr": 0.003, "batch_size": 64}}  # fmt: skip
    run = dlp.train(spec)
    assert run.status == "finished", run.error
    assert run.metrics["test_accuracy"] > 0.85  # ten classes: chance is 0.1
    torch.testing.assert_close(sum(p.numel() for p in builder.model().parameters()), builder.report["total_params"])
