"""The whole spec: a model, its data and how to train it, as one JSON document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .data_section import DataSpec
from .errors import SpecError
from .model import ModelSpec
from .params import describe_value
from .parsing import check_keys, require_object
from .training import TrainingSpec

SPEC_VERSION = 1


@dataclass
class Spec:
    model: ModelSpec
    data: DataSpec = field(default_factory=DataSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)
    version: int = SPEC_VERSION

    @classmethod
    def from_dict(cls, raw: Any) -> Spec:
        raw = require_object(raw, "", "a spec")
        check_keys(raw, ("version", "model", "data", "training"), "", "the spec")
        version = raw.get("version", SPEC_VERSION)
        if version != SPEC_VERSION or isinstance(version, bool):
            raise SpecError(
                f"version must be {SPEC_VERSION}, not {describe_value(version)}", path="version", param="version"
            )
        if "model" not in raw:
            raise SpecError("the spec needs a model section", path="model")
        return cls(
            model=ModelSpec.from_dict(raw["model"]),
            data=DataSpec.from_dict(raw["data"]) if raw.get("data") is not None else DataSpec(),
            training=TrainingSpec.from_dict(raw["training"]) if raw.get("training") is not None else TrainingSpec(),
            version=SPEC_VERSION,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "model": self.model.to_dict(),
            "data": self.data.to_dict(),
            "training": self.training.to_dict(),
        }
