"""The validator: exact errors for hand-picked mistakes, and a fuzz test that malformed
input always gives a SpecError and never any other exception."""

import copy
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_widgets.spec import CATALOGUE, ModelSpec, Spec, SpecError, infer, load_spec, parse_json
from dlp_widgets.spec.catalogue import starting_layer, starting_params
from spec_examples import EXAMPLE
from specgen import json_values, model_specs


def error_of(raw) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(raw)
    return info.value


def with_layer(index, layer):
    spec = copy.deepcopy(EXAMPLE)
    spec["model"]["layers"][index] = layer
    return spec


def test_example_from_the_issue_is_valid():
    spec = load_spec(EXAMPLE)
    assert spec.training.lr == 0.001 and spec.data.source == "builtin:digits"
    assert infer(spec.model).output_shape == (10,)


@pytest.mark.parametrize(
    "layer, param, words",
    [
        ({"type": "Linear", "params": {"out_features": 0}}, "out_features", "between 1 and 100,000"),
        ({"type": "Linear", "params": {"out_features": "10"}}, "out_features", 'not the text "10"'),
        ({"type": "Linear", "params": {"out_features": True}}, "out_features", "whole number"),
        ({"type": "Linear", "params": {"out_features": 2.5}}, "out_features", "whole number"),
        ({"type": "Linear", "params": {"out_features": 10**100}}, "out_features", "between 1 and"),
        ({"type": "Linear", "params": {"out_feature": 3}}, "out_feature", 'Did you mean "out_features"'),
        ({"type": "Dropout", "params": {"p": 1.5}}, "p", "between 0 and 1"),
        ({"type": "Dropout", "params": {"p": math.nan}}, "p", "finite"),
        ({"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": [3, 3, 3]}}, "kernel_size", "list of 3"),
        ({"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": "full"}}, "padding", '"same"'),
        ({"type": "GELU", "params": {"approximate": "fast"}}, "approximate", '"none", "tanh"'),
    ],
)
def test_param_errors_name_layer_and_param(layer, param, words):
    err = error_of(with_layer(4, layer))
    assert err.layer == 4 and err.param == param
    assert words in err.message
    assert "position 5" in err.message


def test_a_missing_required_parameter_names_layer_and_parameter():
    model = {
        "input_shape": [4],
        "layers": [starting_layer("Linear"), {"type": "ReLU"}, {"type": "Linear"}, {"type": "Tanh"}],
    }
    report = infer(model)  # the builder's view: the error on its layer, not an exception
    err = report.layers[2].error
    assert report.error is err and err.layer == 2 and err.param == "out_features"
    assert err.path == "model.layers[2].params.out_features"
    assert err.message == (
        "Linear at position 3 needs out_features (how many values it produces per example, one per neuron); "
        "torch has no default for it"
    )
    assert report.layers[0].output_shape == (10,) and report.layers[3].output_shape is None
    spec = ModelSpec.from_dict(model)  # well-formed: a builder may hold it while it is edited
    with pytest.raises(SpecError) as info:
        load_spec(model)
    assert (info.value.layer, info.value.param) == (2, "out_features")
    assert infer(spec).error.message == err.message


REQUIRED = [(name, p.name) for name, entry in CATALOGUE.items() for p in entry.params if p.required]


@pytest.mark.parametrize("name, param", REQUIRED, ids=[f"{n}.{p}" for n, p in REQUIRED])
def test_every_required_parameter_is_asked_for(name, param):
    params = starting_params(name)
    del params[param]
    shape = [1, 8, 8] if CATALOGUE[name].kinds == ("image",) else [4]
    shape = list(CATALOGUE[name].example_input or shape)
    # an earlier broken layer does not hide it: it does not depend on what arrives
    report = infer({"input_shape": shape, "layers": [{"type": "Nope"}, {"type": name, "params": params}]})
    err = report.layers[1].error
    assert (err.layer, err.param) == (1, param)
    assert f"{name} at position 2 needs {param} (" in err.message and "torch has no default" in err.message


def test_omitted_parameters_take_torchs_defaults():
    """LeNet-5's second convolution as written in PyTorch, nn.Conv2d(6, 16, 5): no padding."""
    conv = {"type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 5}}
    report = infer({"input_shape": [6, 14, 14], "layers": [conv]})
    assert report.ok and report.output_shape == (16, 10, 10)
    assert report.total_params == 6 * 16 * 5 * 5 + 16
    pooled = infer({"input_shape": [6, 28, 28], "layers": [starting_layer("MaxPool2d")]})
    assert pooled.output_shape == (6, 14, 14)  # stride defaults to the kernel size, as in torch


def test_unknown_layer_type_suggests_a_name():
    err = error_of(with_layer(1, {"type": "Relu"}))
    assert err.layer == 1 and 'unknown layer type "Relu"' in err.message and '"ReLU"' in err.message


def test_unknown_keys_are_errors_everywhere():
    spec = copy.deepcopy(EXAMPLE)
    spec["training"]["learning_rate"] = 0.1
    assert "learning_rate" in error_of(spec).message
    spec = copy.deepcopy(EXAMPLE)
    spec["extra"] = 1
    assert "extra" in error_of(spec).message
    spec = copy.deepcopy(EXAMPLE)
    spec["model"]["layers"][0]["name"] = "conv"
    assert error_of(spec).layer == 0


def test_shape_errors_explain_what_arrives():
    spec = copy.deepcopy(EXAMPLE)
    conv = {"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}}
    spec["model"]["layers"].insert(4, conv)  # a Conv2d after the Flatten
    err = error_of(spec)
    assert err.layer == 4
    assert "Conv2d at position 5 needs an image-shaped input" in err.message
    assert "Flatten at position 4 produces [1176]" in err.message


def test_kernel_too_large_names_kernel_size():
    err = error_of(
        {
            "model": {
                "input_shape": [1, 4, 4],
                "layers": [{"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 7, "padding": 0}}],
            }
        }
    )
    assert err.layer == 0 and err.param == "kernel_size" and "does not fit" in err.message


def test_training_errors_name_the_field():
    for key, value, words in [
        ("lr", 0, "between"),
        ("lr", "fast", "a number"),
        ("epochs", 1.5, "whole number"),
        ("optimizer", "adam", "Adam"),
        ("device", "gpu", "cuda"),
        ("test_size", 1, "between"),
    ]:
        spec = copy.deepcopy(EXAMPLE)
        spec["training"][key] = value
        err = error_of(spec)
        assert err.param == key and words in err.message, (key, err.message)


def test_target_cannot_be_a_feature():
    spec = copy.deepcopy(EXAMPLE)
    spec["data"].update(target="price", features=["size", "price"])
    assert 'column "price" is the target' in error_of(spec).message


def test_every_layer_is_valid_with_its_starting_values():
    for name, entry in CATALOGUE.items():
        shape = [3, 16, 16] if entry.kinds == ("image",) else [12]
        shape = list(entry.example_input or shape)  # [C, L] layers; channels its groups divide
        report = infer({"input_shape": shape, "layers": [starting_layer(name)]})
        assert report.ok, (name, report.error)


def test_all_layer_errors_are_reported_for_the_builder():
    report = infer(
        {
            "input_shape": [4],
            "layers": [{"type": "Linear", "params": {"out_features": -1}}, {"type": "ReLU"}, {"type": "Nope"}],
        }
    )
    assert [e.layer for e in report.errors] == [0, 2]
    assert report.layers[1].output_shape is None  # nothing to infer after a broken layer


def test_deeply_nested_json_text_is_a_spec_error():
    with pytest.raises(SpecError, match="nested too deeply|not valid JSON"):
        parse_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SpecError, match="line 1, column"):
        parse_json('{"model": ')


# ---------------------------------------------------------------- fuzz


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replace(value, path, new):
    if not path:
        return new
    out = copy.copy(value)
    out[path[0]] = _replace(value[path[0]], path[1:], new)
    return out


def _deep(n):
    v = []
    for _ in range(n):
        v = [v]
    return v


def _validate_everything(raw):
    try:
        spec = load_spec(raw)
    except SpecError as exc:
        assert exc.message and isinstance(exc.to_dict(), dict)
        json.dumps(exc.to_dict())  # errors are JSON-serialisable for the CLI and the browser
        return None
    json.dumps(spec.to_dict())
    return spec


@settings(max_examples=400)
@given(json_values)
def test_fuzz_arbitrary_values_never_crash(raw):
    _validate_everything(raw)
    _validate_everything({"model": raw})
    _validate_everything({"model": {"input_shape": [4], "layers": raw}})
    infer(raw)  # the builder's lenient path never raises


@settings(max_examples=600)
@given(st.data())
def test_fuzz_mutated_specs_never_crash(data):
    base = {"version": 1, "model": data.draw(model_specs()), "data": EXAMPLE["data"], "training": EXAMPLE["training"]}
    path = data.draw(st.sampled_from(list(_paths(base))))
    new = data.draw(json_values | st.just(_deep(5000)) | st.just(list(range(5000))))
    mutated = _replace(base, path, new)
    _validate_everything(mutated)
    infer(mutated.get("model") if isinstance(mutated, dict) else mutated)


def test_spec_round_trips_through_json():
    spec = load_spec(EXAMPLE)
    again = Spec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    assert again.to_dict() == spec.to_dict()


def test_integers_of_thousands_of_digits_are_refused_clearly():
    huge = 10**5000
    with pytest.raises(SpecError, match="not a number of about 5,001 digits"):
        load_spec({"input_shape": [4], "layers": [{"type": "Linear", "params": {"out_features": huge}}]})
    text = '{"input_shape": [4], "layers": [{"type": "Linear", "params": {"out_features": 1' + "0" * 5000 + "}}]}"
    with pytest.raises(SpecError, match="holds a number with thousands of digits"):
        parse_json(text)


@pytest.mark.parametrize(
    ("model", "hint"),
    [
        ({"input_shape": [4], "layers": [starting_layer("Conv2d")]}, "A table gives one row of numbers per example"),
        (
            {"input_shape": [4], "layers": [starting_layer("Linear"), starting_layer("Conv2d")]},
            "Image layers come before the Flatten and the Linear layers",
        ),
        (
            {"input_shape": [1, 8, 8], "layers": [{"type": "Flatten"}, starting_layer("MaxPool2d")]},
            "Remove the Flatten before it",
        ),
    ],
)
def test_an_image_layer_on_flat_input_gets_advice_that_fits_what_came_before(model, hint):
    message = infer(model).error.message
    assert hint in message
    if hint != "Remove the Flatten before it":
        assert "Flatten before it" not in message  # there is no Flatten to remove
