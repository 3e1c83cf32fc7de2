"""The published JSON Schema: in sync with the catalogue, and agreeing with the validator."""

import jsonschema
from hypothesis import given, settings

from dlp_widgets.spec import infer
from dlp_widgets.spec.schema import SCHEMA_PATH, json_schema, schema_text
from spec_examples import EXAMPLE
from specgen import graph_specs, model_specs


def test_published_schema_is_up_to_date():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), "run: python -m dlp_widgets.spec.schema"


def test_schema_is_a_valid_schema_and_accepts_the_example():
    jsonschema.Draft202012Validator.check_schema(json_schema())
    jsonschema.validate(EXAMPLE, json_schema())


@settings(max_examples=150)
@given(model_specs())
def test_schema_accepts_what_the_validator_accepts(model):
    if infer(model).ok:
        jsonschema.validate({"model": model}, json_schema())


def test_schema_refuses_unknown_keys_and_types():
    validator = jsonschema.Draft202012Validator(json_schema())
    assert not validator.is_valid({"model": {"input_shape": [4], "layers": [{"type": "Nope"}]}})
    assert not validator.is_valid(
        {"model": {"input_shape": [4], "layers": [{"type": "Linear", "params": {"units": 3}}]}}
    )
    assert not validator.is_valid({"model": {"input_shape": [4]}, "extra": 1})


def test_schema_accepts_image_transforms():
    spec = {
        "model": {"input_shape": [1, 16, 16]},
        "data": {
            "source": "builtin:digits",
            "transforms": {
                "train": [
                    {"type": "Resize", "params": {"size": [16, 16]}},
                    {"type": "RandomRotation", "params": {"degrees": 10}},
                    {"type": "Normalize", "params": {"mean": [0.5], "std": [0.25]}},
                ],
                "test": [{"type": "Resize", "params": {"size": [16, 16]}}],
            },
        },
    }
    from dlp_widgets.spec import load_spec

    load_spec(spec)
    jsonschema.validate(spec, json_schema())
    spec["data"]["transforms"]["test"].append({"type": "Blur"})
    assert not jsonschema.Draft202012Validator(json_schema()).is_valid(spec)


@settings(max_examples=150, deadline=None)
@given(graph_specs())
def test_schema_accepts_the_graphs_the_validator_accepts(model):
    if infer(model).ok:
        jsonschema.validate({"version": 2, "model": model}, json_schema())


def test_schema_holds_graphs_to_version_2_and_merges_to_their_inputs():
    validator = jsonschema.Draft202012Validator(json_schema())
    graph = {
        "inputs": [{"id": "x", "shape": [4]}],
        "nodes": [
            {"id": "a", "type": "Linear", "params": {"out_features": 4}},
            {"id": "s", "type": "Add", "inputs": ["a", "x"]},
        ],
    }
    assert validator.is_valid({"version": 2, "model": graph})
    assert not validator.is_valid({"model": graph})  # a graph says it is version 2
    assert not validator.is_valid({"version": 1, "model": graph})
    lone = {**graph, "nodes": [graph["nodes"][0], {"id": "s", "type": "Add", "inputs": ["a"]}]}
    assert not validator.is_valid({"version": 2, "model": lone})
    bad_id = {**graph, "nodes": [{"id": "a b", "type": "ReLU"}]}
    assert not validator.is_valid({"version": 2, "model": bad_id})
