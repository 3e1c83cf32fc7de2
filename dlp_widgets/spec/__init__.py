"""The spec layer: the layer catalogue, spec classes, validation and shape inference.

Pure Python: importing it never imports torch, so a builder can appear at once.
"""

from .catalogue import CATALOGUE, CATEGORIES, LayerType, palette
from .data_section import DataSpec
from .document import SPEC_VERSION, Spec
from .errors import SpecError
from .io import load_model_spec, load_spec, parse_json, read_json
from .model import LayerSpec, ModelSpec
from .params import Param
from .shapes import LayerInfo, ShapeReport, canonical, check, infer
from .training import LOSSES, OPTIMIZERS, TRAINING_FIELDS, TrainingField, TrainingSpec

__all__ = [
    "CATALOGUE",
    "CATEGORIES",
    "LOSSES",
    "OPTIMIZERS",
    "SPEC_VERSION",
    "TRAINING_FIELDS",
    "DataSpec",
    "LayerInfo",
    "LayerSpec",
    "LayerType",
    "ModelSpec",
    "Param",
    "ShapeReport",
    "Spec",
    "SpecError",
    "TrainingField",
    "TrainingSpec",
    "canonical",
    "check",
    "infer",
    "load_model_spec",
    "load_spec",
    "palette",
    "parse_json",
    "read_json",
]
