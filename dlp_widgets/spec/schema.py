"""The published JSON Schema of the spec (versions 1 and 2), generated from the catalogue.

``python -m dlp_widgets.spec.schema`` rewrites ``spec.schema.json`` beside this file; a test
keeps the two identical. The schema describes structure, types and ranges; what depends on
shapes (a kernel larger than its image) only ``dlp shapes`` can tell.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from .catalogue import CATALOGUE
from .data_section import DEFAULT_MAX_CATEGORIES, MAX_CATEGORIES, MIN_CATEGORIES
from .graph import ID, MAX_INPUTS, MAX_NODE_INPUTS, MAX_NODES
from .merges import MERGES
from .model import MAX_DIM, MAX_LAYERS
from .ops import OPS
from .params import OPTIONAL_KINDS, Param
from .training import TASKS, TRAINING_FIELDS
from .transforms import TRANSFORMS

SCHEMA_PATH = pathlib.Path(__file__).with_name("spec.schema.json")


def _int(lo: Any, hi: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "integer"}
    if lo is not None:
        out["minimum"] = lo
    if hi is not None:
        out["maximum"] = hi
    return out


def _param_schema(p: Param) -> dict[str, Any]:
    if p.kind == "int":
        s = _int(p.min, p.max)
    elif p.kind == "float":
        s = {"type": "number", "minimum": p.min, "maximum": p.max}
    elif p.kind == "bool":
        s = {"type": "boolean"}
    elif p.kind == "choice":
        s = {"enum": list(p.choices)}
    elif p.kind == "floats":
        s = {
            "type": "array",
            "items": {"type": "number", "minimum": p.min, "maximum": p.max},
            "minItems": 1,
            "maxItems": 4,
        }
    elif p.kind in ("shape", "opt_shape"):
        s = {
            "oneOf": [_int(p.min, p.max), {"type": "array", "items": _int(p.min, p.max), "minItems": 1, "maxItems": 3}]
        }
    elif p.kind in ("opt_int", "padding1"):
        s = _int(p.min, p.max)
        if p.kind == "padding1":
            s = {"oneOf": [s, {"enum": ["same", "valid"]}]}
    elif p.kind == "opt_scale":
        number = {"type": "number", "minimum": p.min, "maximum": p.max}
        s = {"oneOf": [number, {"type": "array", "items": number, "minItems": 1, "maxItems": 3}]}
    elif p.kind == "opt_bool":
        s = {"type": "boolean"}
    elif p.kind == "dims":
        s = {"type": "array", "items": _int(p.min, p.max), "minItems": 1, "maxItems": 4}
    else:  # size2, opt_size2, padding
        pair_of = {"type": "array", "items": _int(p.min, p.max), "minItems": 2, "maxItems": 2}
        options: list[dict[str, Any]] = [_int(p.min, p.max), pair_of]
        if p.kind == "padding":
            options.append({"enum": ["same", "valid"]})
        s = {"oneOf": options}
    if p.inferred or p.kind in OPTIONAL_KINDS:
        s = {"oneOf": [{"type": "null"}, s]}
    s["description"] = p.help
    if not p.required:  # torch has no default for it: the spec must give it
        s["default"] = p.default
    return s


def _entry_schema(entry: Any) -> dict[str, Any]:
    """``{"type": NAME, "params": {...}}`` for one layer or transform of a catalogue; the
    parameters torch has no default for are required."""
    required = [p.name for p in entry.params if p.required]
    params: dict[str, Any] = {
        "type": "object" if required else ["object", "null"],
        "properties": {p.name: _param_schema(p) for p in entry.params},
        "additionalProperties": False,
    }
    if required:
        params["required"] = required
    return {
        "type": "object",
        "description": entry.summary,
        "properties": {"type": {"const": entry.name}, "params": params},
        "required": ["type", "params"] if required else ["type"],
        "additionalProperties": False,
    }


def _node_schema(entry: Any, merge: bool) -> dict[str, Any]:
    """A graph node: a layer or merge entry with its ``id`` and ``inputs`` (a merge must
    name its inputs; ``Concat`` one or more, ``Add`` and ``Mul`` two or more)."""
    out = _entry_schema(entry)
    ids = {"type": "array", "items": {"$ref": "#/$defs/id"}, "maxItems": MAX_NODE_INPUTS}
    if merge:
        ids["minItems"] = 1 if entry.name == "Concat" else 2
    else:
        ids = {"oneOf": [{"type": "null"}, {**ids, "minItems": 1, "maxItems": 1}]}
    out["properties"] = {"id": {"$ref": "#/$defs/id"}, **out["properties"], "inputs": ids}
    out["required"] = ["id", *out["required"], *(["inputs"] if merge else [])]
    return out


def _shape_schema() -> dict[str, Any]:
    return {
        "type": "array",
        "items": _int(1, MAX_DIM),
        "minItems": 1,
        "maxItems": 3,
        "description": "one example's shape: [features] or [channels, height, width]",
    }


def _graph_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "a graph (version 2): inputs, nodes that name what they read (the previous node when "
        "inputs is left out), outputs (the last node when left out)",
        "properties": {
            "inputs": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_INPUTS,
                "items": {
                    "type": "object",
                    "properties": {"id": {"$ref": "#/$defs/id"}, "shape": _shape_schema()},
                    "required": ["id", "shape"],
                    "additionalProperties": False,
                },
            },
            "nodes": {
                "type": "array",
                "maxItems": MAX_NODES,
                "items": {"oneOf": [{"$ref": f"#/$defs/node.{name}"} for name in [*CATALOGUE, *MERGES, *OPS]]},
            },
            "outputs": {
                "type": ["array", "null"],
                "items": {"$ref": "#/$defs/id"},
                "minItems": 1,
                "maxItems": MAX_INPUTS,
            },
        },
        "required": ["inputs"],
        "additionalProperties": False,
    }


def _training_schema() -> dict[str, Any]:
    props = {f.name: f.to_schema() for f in TRAINING_FIELDS}
    return {"type": "object", "properties": props, "additionalProperties": False}


def json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://dlp-widgets.invalid/spec.schema.json",
        "title": "dlp_widgets spec, versions 1 and 2",
        "description": (
            "A neural network (model), its data and how to train it. Layer types and parameter "
            "names are those of torch.nn; input sizes (in_features, in_channels, num_features, "
            "normalized_shape) may be omitted and are inferred. Version 1 holds a chain of layers; "
            "version 2 also a graph of nodes with skip connections and merges."
        ),
        "type": "object",
        "properties": {
            "version": {"enum": [1, 2]},
            "model": {
                "oneOf": [
                    {
                        "type": "object",
                        "description": "a chain of layers",
                        "properties": {
                            "input_shape": _shape_schema(),
                            "layers": {
                                "type": "array",
                                "maxItems": MAX_LAYERS,
                                "items": {"oneOf": [{"$ref": f"#/$defs/{name}"} for name in CATALOGUE]},
                            },
                        },
                        "required": ["input_shape"],
                        "additionalProperties": False,
                    },
                    _graph_schema(),
                ]
            },
            "data": {
                "type": ["object", "null"],
                "properties": {
                    "source": {
                        "type": ["string", "null"],
                        "minLength": 1,
                        "description": "builtin:NAME, csv:PATH, an http(s) URL, or null when data is passed from Python",
                    },
                    "target": {"type": ["string", "null"], "minLength": 1},
                    "features": {"type": ["array", "null"], "items": {"type": "string"}, "uniqueItems": True},
                    "task": {"enum": [*TASKS, None]},
                    "max_categories": {
                        "type": "integer",
                        "minimum": MIN_CATEGORIES,
                        "maximum": MAX_CATEGORIES,
                        "default": DEFAULT_MAX_CATEGORIES,
                        "description": "a text feature with at most this many distinct values is one-hot encoded",
                    },
                    "scale": {
                        "type": "boolean",
                        "default": True,
                        "description": "standardise numeric columns with the training rows' mean and standard deviation",
                    },
                    "transforms": {
                        "type": ["object", "null"],
                        "description": "image transforms (torchvision.transforms.v2 names), applied after the implicit ToTensor",
                        "properties": {
                            split: {
                                "type": "array",
                                "maxItems": 50,
                                "items": {"oneOf": [{"$ref": f"#/$defs/transform.{t}"} for t in TRANSFORMS]},
                            }
                            for split in ("train", "test")
                        },
                        "additionalProperties": False,
                    },
                },
                "additionalProperties": False,
            },
            "training": {"oneOf": [{"type": "null"}, _training_schema()]},
        },
        "required": ["model"],
        "additionalProperties": False,
        # a graph is version 2, said so
        "if": {"properties": {"model": {"required": ["inputs"]}}},
        "then": {"properties": {"version": {"const": 2}}, "required": ["version"]},
        "$defs": {
            "id": {"type": "string", "pattern": f"^{ID.pattern}$"},
            **{name: _entry_schema(entry) for name, entry in CATALOGUE.items()},
            **{f"node.{name}": _node_schema(entry, merge=False) for name, entry in CATALOGUE.items()},
            **{f"node.{name}": _node_schema(entry, merge=True) for name, entry in MERGES.items()},
            **{f"node.{name}": _node_schema(entry, merge=False) for name, entry in OPS.items()},
            **{f"transform.{name}": _entry_schema(entry) for name, entry in TRANSFORMS.items()},
        },
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
