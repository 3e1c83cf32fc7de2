"""The whole spec: a model, its data and how to train it, as one JSON document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .data_section import DataSpec
from .errors import SpecError
from .graph import GraphSpec
from .model import ModelSpec
from .params import describe_value
from .parsing import check_keys, require_object
from .training import TrainingSpec

SPEC_VERSION = 1  # what a chain is written as; a graph is version 2
VERSIONS = (1, 2)


@dataclass
class Spec:
    model: ModelSpec | GraphSpec
    data: DataSpec = field(default_factory=DataSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)
    version: int = SPEC_VERSION

    @classmethod
    def from_dict(cls, raw: Any) -> Spec:
        raw = require_object(raw, "", "a spec")
        check_keys(raw, ("version", "model", "data", "training"), "", "the spec")
        version = raw.get("version", SPEC_VERSION)
        if version not in VERSIONS or isinstance(version, bool):
            raise SpecError(f"version must be 1 or 2, not {describe_value(version)}", path="version", param="version")
        if "model" not in raw:
            raise SpecError("the spec needs a model section", path="model")
        model_raw = raw["model"]
        graph = isinstance(model_raw, dict) and ("nodes" in model_raw or "inputs" in model_raw)
        if graph and version != 2:
            raise SpecError(
                'a model of inputs and nodes (a graph) is spec version 2: add "version": 2',
                path="version",
                param="version",
            )
        return cls(
            # a version-2 chain stays a chain: everything that takes chains takes it
            model=GraphSpec.from_dict(model_raw) if graph else ModelSpec.from_dict(model_raw),
            data=DataSpec.from_dict(raw["data"]) if raw.get("data") is not None else DataSpec(),
            training=TrainingSpec.from_dict(raw["training"]) if raw.get("training") is not None else TrainingSpec(),
            version=version,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 2 if isinstance(self.model, GraphSpec) else self.version,
            "model": self.model.to_dict(),
            "data": self.data.to_dict(),
            "training": self.training.to_dict(),
        }
