"""The data section of a spec: where the data comes from, the target and features, the task,
image transforms, the one-hot cap, and whether numeric columns are standardised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import SpecError
from .params import describe_value
from .parsing import check_keys, key_text, require_object
from .training import TASKS
from .transforms import parse_transforms

# How many distinct values a text column may have to be one-hot encoded (data.max_categories)
DEFAULT_MAX_CATEGORIES = 50
MIN_CATEGORIES, MAX_CATEGORIES = 2, 10_000


@dataclass
class DataSpec:
    source: str | None = None  # "builtin:iris", "csv:PATH", "https://…"; None when passed from Python
    target: str | None = None
    features: list[str] | None = None
    task: str | None = None  # None: detected from the target
    transforms: dict[str, list[dict[str, Any]]] | None = None  # images: {"train": [...], "test": [...]}
    max_categories: int = DEFAULT_MAX_CATEGORIES  # one-hot columns: a text column with more values is refused
    # numeric columns standardised with the training rows' mean and deviation; off, they reach
    # the model as they are (a lesson shows why that matters, and the coach says so)
    scale: bool = True

    @classmethod
    def from_dict(cls, raw: Any) -> DataSpec:
        raw = require_object(raw, "data", "data")
        check_keys(
            raw, ("source", "target", "features", "task", "transforms", "max_categories", "scale"), "data", "data"
        )
        out = cls()
        for key in ("source", "target"):
            value = raw.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise SpecError(
                    f"data.{key} must be a non-empty text or null, not {describe_value(value)}",
                    path=f"data.{key}",
                    param=key,
                )
            setattr(out, key, value)
        features = raw.get("features")
        if features is not None:
            if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
                raise SpecError(
                    "data.features must be a list of column names or null", path="data.features", param="features"
                )
            if len(set(features)) != len(features):
                dup = next(f for f in features if features.count(f) > 1)
                raise SpecError(
                    f'data.features names column "{key_text(dup)}" twice', path="data.features", param="features"
                )
            if out.target is not None and out.target in features:
                raise SpecError(
                    f'column "{key_text(out.target)}" is the target, so it cannot also be a feature',
                    path="data.features",
                    param="features",
                )
            out.features = list(features)
        task = raw.get("task")
        if task is not None and (not isinstance(task, str) or task not in TASKS):
            raise SpecError(
                f'data.task must be "classification", "regression" or null, not {describe_value(task)}',
                path="data.task",
                param="task",
            )
        out.task = task
        transforms = raw.get("transforms")
        if transforms is not None:
            transforms = require_object(transforms, "data.transforms", "data.transforms")
            check_keys(transforms, ("train", "test"), "data.transforms", "data.transforms")
            out.transforms = {split: parse_transforms(transforms.get(split, []), split) for split in ("train", "test")}
        cap = raw.get("max_categories", DEFAULT_MAX_CATEGORIES)
        if not isinstance(cap, int) or isinstance(cap, bool) or not MIN_CATEGORIES <= cap <= MAX_CATEGORIES:
            raise SpecError(
                f"data.max_categories must be a whole number from {MIN_CATEGORIES} to {MAX_CATEGORIES:,}, "
                f"not {describe_value(cap)}",
                path="data.max_categories",
                param="max_categories",
            )
        out.max_categories = cap
        scale = raw.get("scale", True)
        if not isinstance(scale, bool):
            raise SpecError(
                f"data.scale must be true or false, not {describe_value(scale)}", path="data.scale", param="scale"
            )
        out.scale = scale
        return out

    def to_dict(self) -> dict[str, Any]:
        out = {"source": self.source, "target": self.target, "features": self.features, "task": self.task}
        if self.transforms is not None:
            out["transforms"] = self.transforms
        if self.max_categories != DEFAULT_MAX_CATEGORIES:
            out["max_categories"] = self.max_categories
        if not self.scale:
            out["scale"] = False
        return out
