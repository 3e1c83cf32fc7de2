"""The layer catalogue against torch itself: names, parameter names, defaults, docs."""

import inspect
import subprocess
import sys

import pytest
from torch import nn

from dlp_widgets.spec import CATALOGUE, CATEGORIES, palette
from dlp_widgets.spec.catalogue import DATA_KINDS

REQUIRED = [
    "Linear",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "GELU",
    "SiLU",
    "Tanh",
    "Sigmoid",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    "Dropout2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "Flatten",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "Identity",
]
# constructor arguments torch requires, so they have no torch default to compare with
REQUIRED_IN_TORCH = {
    "in_features",
    "out_features",
    "in_channels",
    "out_channels",
    "kernel_size",
    "num_features",
    "normalized_shape",
    "output_size",
}


def test_catalogue_has_every_required_layer():
    assert set(REQUIRED) <= set(CATALOGUE)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_entry_matches_torch(name):
    entry = CATALOGUE[name]
    cls = getattr(nn, name)
    assert entry.torch_class == f"torch.nn.{name}"
    signature = inspect.signature(cls.__init__).parameters
    for p in entry.params:
        assert p.name in signature, f"{name}.{p.name} is not a torch argument"
        torch_default = signature[p.name].default
        if p.name in REQUIRED_IN_TORCH and torch_default is inspect.Parameter.empty:
            continue
        assert p.default_in_torch == torch_default, (name, p.name, p.default_in_torch, torch_default)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_entry_is_documented(name):
    entry = CATALOGUE[name]
    assert entry.category in CATEGORIES
    assert entry.kinds and set(entry.kinds) <= set(DATA_KINDS)
    for text in (entry.summary, entry.shape_rule, entry.when):
        assert len(text) > 15, (name, text)
    assert "=" in entry.formula
    for p in entry.params:
        assert p.help and p.kind
        if p.min is not None and p.max is not None:
            assert p.min <= p.max
        if p.default is not None:
            assert p.check(p.default) == p.default, (name, p.name)
        if p.kind == "choice":
            assert p.default in p.choices


def test_palette_is_grouped_in_category_order():
    cats = [item["category"] for item in palette()]
    assert cats == sorted(cats, key=CATEGORIES.index)
    assert {item["name"] for item in palette("image")} >= {"Conv2d", "MaxPool2d", "Linear"}
    assert "Conv2d" not in {item["name"] for item in palette("tabular")}


def test_importing_the_spec_layer_does_not_import_torch():
    code = "import sys, dlp_widgets.spec, dlp_widgets.export.code, dlp_widgets.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
