"""The widgets hold chains of layers: a version-2 spec that is a chain loads into them; a
graph with merges is refused in words naming its first merge, and nothing already shown
changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import dlp_widgets as dlp
from dlp_widgets.spec import SpecError

RESIDUAL = json.loads((Path(__file__).resolve().parents[2] / "examples" / "residual.json").read_text())


def test_a_graph_with_merges_is_refused_by_the_playground_and_nothing_changes():
    pg = dlp.Playground()
    before = pg.spec.to_dict()
    with pytest.raises(SpecError) as err:
        pg.spec = RESIDUAL
    assert err.value.node == "block1.add" and "dlp.train(spec)" in err.value.message
    assert pg.spec.to_dict() == before


def test_a_graph_with_merges_is_refused_by_the_layer_builder():
    with pytest.raises(SpecError, match='node "block1.add"'):
        dlp.LayerBuilder(RESIDUAL["model"])


def test_a_version_2_chain_loads_into_the_layer_builder():
    model = {
        "inputs": [{"id": "x", "shape": [4]}],
        "nodes": [{"id": "fc", "type": "Linear", "params": {"out_features": 3}}, {"id": "act", "type": "ReLU"}],
    }
    builder = dlp.LayerBuilder(model)
    assert builder.input_shape == [4]
    assert builder.layers == [{"type": "Linear", "params": {"out_features": 3}}, {"type": "ReLU"}]
