"""The layer wiki: a page for every catalogue layer, worked examples checked against torch."""

import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.engine.layer_classes import layer_class
from dlp_widgets.layer_docs import page
from dlp_widgets.spec import CATALOGUE
from dlp_widgets.spec.wiki import GLOSSARY, worked_example


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_layer_has_a_full_page(name):
    p = page(name)
    for key in ("summary", "shape_rule", "example", "when", "mistakes"):
        assert isinstance(p[key], str) and len(p[key]) > 10, (name, key)
    assert "=" in p["formula"]
    html = dlp.docs(name)._repr_html_()
    for heading in ("Formula", "Shape", "Worked example", "When to use it", "Common mistakes"):
        assert heading in html
    if p["picture"] is not None:
        assert p["picture"].startswith("data:image/svg+xml;base64,")


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_worked_examples_match_torch(name):
    ex = worked_example(name)
    entry = CATALOGUE[name]
    module = layer_class(entry)(**entry.constructor_kwargs(ex["layer_params"], tuple(ex["input"]))).eval()
    with torch.no_grad():
        out = module(torch.zeros(2, *ex["input"]))
    assert list(out.shape[1:]) == ex["output"]
    assert sum(p.numel() for p in module.parameters()) == ex["params"]


def test_glossary_and_index():
    assert set(GLOSSARY) == {"epochs", "batch size", "learning rate", "test split", "loss", "optimizer"}
    index = dlp.docs()._repr_html_()
    assert all(name in index for name in CATALOGUE) and "learning rate" in index
    with pytest.raises(KeyError, match="no layer 'Conv3d'"):
        dlp.docs("Conv3d")
