"""The spec layer: the layer catalogue, spec classes, validation and shape inference.

Pure Python: importing it never imports torch, so a builder can appear at once.
"""

from .catalogue import CATALOGUE, CATEGORIES, LayerType, palette
from .errors import SpecError
from .io import load_model_spec, load_spec, parse_json, read_json
from .model import LOSSES, OPTIMIZERS, SPEC_VERSION, DataSpec, LayerSpec, ModelSpec, Spec, TrainingSpec
from .params import Param
from .shapes import LayerInfo, ShapeReport, check, infer

__all__ = [
    "CATALOGUE",
    "CATEGORIES",
    "LOSSES",
    "OPTIMIZERS",
    "SPEC_VERSION",
    "DataSpec",
    "LayerInfo",
    "LayerSpec",
    "LayerType",
    "ModelSpec",
    "Param",
    "ShapeReport",
    "Spec",
    "SpecError",
    "TrainingSpec",
    "check",
    "infer",
    "load_model_spec",
    "load_spec",
    "palette",
    "parse_json",
    "read_json",
]
