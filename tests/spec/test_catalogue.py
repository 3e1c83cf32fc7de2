"""The layer catalogue against torch itself: names, parameter names, defaults, docs."""

import inspect
import subprocess
import sys

import pytest

from dlp_widgets.engine.layer_classes import layer_class
from dlp_widgets.spec import CATALOGUE, CATEGORIES, infer, palette
from dlp_widgets.spec.catalogue import DATA_KINDS, STARTING_VALUES, starting_layer

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


def test_catalogue_has_every_required_layer():
    assert set(REQUIRED) <= set(CATALOGUE)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_entry_matches_torch(name):
    """A parameter a spec leaves out means what it means in torch, with no exceptions: torch's
    default where it has one, else required (or, for an input size, inferred)."""
    entry = CATALOGUE[name]
    cls = layer_class(entry)
    assert cls.__module__.startswith(entry.module)  # torch.nn.modules.linear, torchvision.ops.stochastic_depth
    assert f"{entry.module}.{name}" == entry.torch_class and cls.__name__ == name
    assert entry.module in ("torch.nn", "torchvision.ops")
    signature = inspect.signature(cls).parameters
    for p in entry.params:
        assert p.name in signature, f"{name}.{p.name} is not a torch argument"
        torch_default = signature[p.name].default
        if torch_default is inspect.Parameter.empty:
            assert p.required != p.inferred, (name, p.name, "torch has no default: required or inferred")
            assert p.default is None and entry.defaults().get(p.name) is None, (name, p.name)
        else:
            assert not p.required and not p.inferred, (name, p.name, "torch has a default")
            assert p.default == torch_default and type(p.default) is type(torch_default), (
                name,
                p.name,
                p.default,
                torch_default,
            )
            assert entry.defaults()[p.name] == torch_default


def test_starting_values_make_every_new_layer_valid():
    assert set(STARTING_VALUES) <= set(CATALOGUE)
    for name, entry in CATALOGUE.items():
        start = STARTING_VALUES.get(name, {})
        required = {p.name for p in entry.params if p.required}
        assert required <= set(start), (name, "a new layer must give what torch requires")
        for key, value in start.items():
            assert entry.param(key).check(value) == value, (name, key)
        shape = [3, 32, 32] if "image" in entry.kinds and entry.kinds != DATA_KINDS else [16]
        if entry.example_input is not None:  # [C, L] layers; channels its starting groups divide
            shape = list(entry.example_input)
        assert infer({"input_shape": shape, "layers": [starting_layer(name)]}).ok, name


def test_palette_sends_the_starting_values():
    by_name = {item["name"]: item for item in palette()}
    assert by_name["Conv2d"]["starting_params"] == {"out_channels": 8, "kernel_size": 3, "padding": 1}
    assert by_name["Linear"]["starting_params"] == {"out_features": 10}
    assert by_name["ReLU"]["starting_params"] == {}
    out_features = next(p for p in by_name["Linear"]["params"] if p["name"] == "out_features")
    assert out_features["required"] is True and out_features["default"] is None
    padding = next(p for p in by_name["Conv2d"]["params"] if p["name"] == "padding")
    assert padding["default"] == 0 and "required" not in padding  # torch's default, not the palette's
    by_name["Linear"]["starting_params"]["out_features"] = 99  # each palette holds its own copy
    assert STARTING_VALUES["Linear"] == {"out_features": 10}


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_entry_is_documented(name):
    entry = CATALOGUE[name]
    assert entry.category in CATEGORIES
    assert set(entry.kinds) <= set(DATA_KINDS)
    if not entry.kinds:  # no data kind feeds it: out of the palette, with an input for its example
        assert entry.example_input is not None and name not in {item["name"] for item in palette()}
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
            assert p.default in p.choices or (p.required and p.default is None)


def test_palette_is_grouped_in_category_order():
    cats = [item["category"] for item in palette()]
    assert cats == sorted(cats, key=CATEGORIES.index)
    assert {item["name"] for item in palette("image")} >= {"Conv2d", "MaxPool2d", "Linear"}
    assert "Conv2d" not in {item["name"] for item in palette("tabular")}
    # no data set gives [C, L]: the sequence layers are in the catalogue, not the palette
    assert not {"Conv1d", "MaxPool1d", "AvgPool1d"} & {item["name"] for item in palette()}
    assert {"ConvTranspose2d", "Upsample", "ChannelShuffle", "Permute"} <= {item["name"] for item in palette("image")}


def test_importing_the_spec_layer_does_not_import_torch():
    code = "import sys, dlp_widgets.spec, dlp_widgets.export.code, dlp_widgets.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
