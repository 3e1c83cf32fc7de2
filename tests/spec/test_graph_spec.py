"""Spec version 2's model section: ids, types, parameters and inputs checked node by node,
with errors that name the node; a chain needs no inputs and a version-1 model is the graph
of its layers; a node that leads to no output is set aside with a warning."""

from __future__ import annotations

import pytest

from dlp_widgets.spec import SpecError
from dlp_widgets.spec.graph import GraphSpec
from dlp_widgets.spec.graph_shapes import infer_graph
from dlp_widgets.spec.model import ModelSpec
from spec_examples import LENET5

X = [{"id": "x", "shape": [4]}]


def graph(*nodes, outputs=None, inputs=X):
    raw = {"inputs": inputs, "nodes": list(nodes)}
    if outputs is not None:
        raw["outputs"] = outputs
    return GraphSpec.from_dict(raw)


def linear(node_id, out=3, **extra):
    return {"id": node_id, "type": "Linear", "params": {"out_features": out}, **extra}


@pytest.mark.parametrize(
    ("nodes", "node", "words"),
    [
        ([{"id": "a b", "type": "ReLU"}], None, "letters, digits, _, . and -"),
        ([{"id": "a", "type": "Linearr"}], "a", 'unknown type "Linearr". Did you mean "Linear"?'),
        ([{"id": "a", "type": "ReLU", "colour": 1}], "a", 'unknown key "colour"'),
        ([linear("a", out=0)], "a", 'Linear "a": out_features'),
        ([{"id": "a", "type": "Add"}], "a", 'Add "a" needs inputs'),
        ([{"id": "a", "type": "Concat", "inputs": []}], "a", "needs inputs: a list of node ids to merge"),
        ([{"id": "a", "type": "Add", "inputs": ["x"]}], "a", "takes two or more inputs, not 1"),
        ([{"id": "a", "type": "ReLU", "inputs": ["x", "x"]}], "a", "takes one input, not 2"),
        ([linear("a"), linear("a")], "a", 'the id "a" is used twice'),
        ([linear("x")], "x", 'the id "x" is used twice'),
    ],
)
def test_a_bad_node_is_refused_naming_it(nodes, node, words):
    with pytest.raises(SpecError) as err:
        graph(*nodes)
    assert words in err.value.message
    assert err.value.node == node
    if node is not None:
        assert err.value.to_dict()["node"] == node


def test_a_chain_needs_no_inputs_and_outputs():
    g = graph(linear("fc1", 8), {"id": "act", "type": "ReLU"}, linear("fc2", 3))
    assert [g.sources(i) for i in range(3)] == [("x",), ("fc1",), ("act",)]
    assert g.output_ids == ["fc2"]
    report = infer_graph(g)
    assert report.ok and report.output_shapes == [(3,)] and report.total_params == 4 * 8 + 8 + 8 * 3 + 3


def test_a_version_1_model_is_the_graph_of_its_layers_and_back():
    as_graph = GraphSpec.from_dict(LENET5)
    assert [n.id for n in as_graph.nodes] == [str(i) for i in range(len(LENET5["layers"]))]
    chain = as_graph.as_chain()
    assert chain is not None and chain.to_dict() == ModelSpec.from_dict(LENET5).to_dict()
    assert infer_graph(as_graph).total_params == 61_706


def test_a_graph_with_a_merge_is_no_chain():
    g = graph(linear("a", 4), {"id": "s", "type": "Add", "inputs": ["a", "x"]})
    assert g.as_chain() is None
    assert graph(linear("a", 4, inputs=["x"])).as_chain() is not None  # explicit, but still a chain


def test_a_node_leading_to_no_output_is_set_aside_with_a_warning():
    g = graph(linear("a", 4), linear("spare", 100, inputs=["x"]), linear("b", 2, inputs=["a"]), outputs=["b"])
    report = infer_graph(g)
    spare = report.nodes[1]
    assert report.ok and not spare.used and "leads to no output" in spare.warning
    assert report.total_params == (4 * 4 + 4) + (4 * 2 + 2)


def test_an_output_that_does_not_exist_names_itself():
    report = infer_graph(graph(linear("a"), outputs=["a", "b"]))
    assert report.error.node == "b" and "no node or input" in report.error.message


def test_to_dict_round_trips():
    raw = {
        "inputs": [{"id": "img", "shape": [1, 8, 8]}, {"id": "meta", "shape": [2]}],
        "nodes": [
            {"id": "c", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": 3}, "inputs": ["img"]},
            {"id": "f", "type": "Flatten"},
            {"id": "j", "type": "Concat", "params": {"dim": 1}, "inputs": ["f", "meta"]},
            {"id": "out", "type": "Linear", "params": {"out_features": 1}},
        ],
        "outputs": ["out", "f"],
    }
    g = GraphSpec.from_dict(raw)
    assert g.to_dict() == raw and GraphSpec.from_dict(g.to_dict()) == g
    report = infer_graph(g)
    assert report.ok and report.output_shapes == [(1,), (72,)]
    assert [n.output_shape for n in report.nodes] == [(2, 6, 6), (72,), (74,), (1,)]
