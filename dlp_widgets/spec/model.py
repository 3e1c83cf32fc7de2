"""Spec classes and their validation.

A spec arrives as untrusted JSON-like data (from the browser, a file or a user's dict).
``Spec.from_dict`` accepts exactly the documented shape and raises ``SpecError`` naming the
place of the first problem; ``to_dict`` gives back plain JSON. Nothing here imports torch.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from math import prod
from typing import Any

from . import catalogue
from .errors import SpecError
from .params import ParamError, _describe, pair

SPEC_VERSION = 1
MAX_LAYERS = 1000
MAX_DIM = 1_000_000
MAX_INPUT_VALUES = 100_000_000

TASKS = ("classification", "regression")
LOSSES = {
    "CrossEntropyLoss": "classification",
    "NLLLoss": "classification",
    "BCEWithLogitsLoss": "classification",
    "MSELoss": "regression",
    "L1Loss": "regression",
    "HuberLoss": "regression",
}
OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop")
PRECISIONS = ("fp32", "bf16")


def _key_text(key: Any) -> str:
    text = key if isinstance(key, str) else repr(key)
    return text if len(text) <= 40 else text[:37] + "..."


def suggest(word: Any, known: list[str] | tuple[str, ...]) -> str:
    """' Did you mean "X"?' for a near miss (case ignored), else an empty string."""
    if not isinstance(word, str):
        return ""
    lowered = {k.lower(): k for k in known}
    match = lowered.get(word.lower())
    if match is None:
        close = difflib.get_close_matches(word.lower(), list(lowered), n=1)
        match = lowered[close[0]] if close else None
    return f' Did you mean "{match}"?' if match else ""


def _unknown_key(key: Any, known: list[str] | tuple[str, ...], where: str) -> str:
    hint = suggest(key, known)
    allowed = ", ".join(known) if known else "none"
    return f'{where} has an unknown key "{_key_text(key)}" (allowed: {allowed}).{hint}'


def _require_object(value: Any, path: str, what: str) -> dict:
    if not isinstance(value, dict):
        raise SpecError(f"{what} must be an object, not {_describe(value)}", path=path)
    return value


def _check_keys(raw: dict, allowed: tuple[str, ...], path: str, what: str) -> None:
    for key in raw:
        if key not in allowed:
            raise SpecError(_unknown_key(key, allowed, what), path=f"{path}.{_key_text(key)}", param=_key_text(key))


# ---------------------------------------------------------------- layers and the model


@dataclass
class LayerSpec:
    type: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.params:
            out["params"] = dict(self.params)
        return out

    def filled(self) -> dict[str, Any]:
        """Every parameter, with defaults for those not given."""
        entry = catalogue.CATALOGUE[self.type]
        return {**entry.defaults(), **self.params}


def parse_layer(raw: Any, index: int) -> LayerSpec:
    """Validate one layer's type and parameter values (not its shape)."""
    path = f"model.layers[{index}]"
    pos = f"Layer at position {index + 1}"
    if not isinstance(raw, dict):
        raise SpecError(f"{pos} must be an object with a type, not {_describe(raw)}", layer=index, path=path)
    for key in raw:
        if key not in ("type", "params"):
            raise SpecError(_unknown_key(key, ("type", "params"), pos), layer=index, path=f"{path}.{_key_text(key)}")
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise SpecError(
            f'{pos} needs a layer type (a name such as "Linear"), not {_describe(kind)}',
            layer=index,
            path=f"{path}.type",
        )
    entry = catalogue.get(kind)
    if entry is None:
        hint = suggest(kind, list(catalogue.CATALOGUE))
        raise SpecError(f'{pos} has an unknown layer type "{_key_text(kind)}".{hint}', layer=index, path=f"{path}.type")
    params = raw.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise SpecError(
            f"{kind} at position {index + 1}: params must be an object, not {_describe(params)}",
            layer=index,
            path=f"{path}.params",
        )
    checked: dict[str, Any] = {}
    for name, value in params.items():
        param = entry.param(name) if isinstance(name, str) else None
        if param is None:
            names = [p.name for p in entry.params]
            raise SpecError(
                _unknown_key(name, names, f"{kind} at position {index + 1}"),
                layer=index,
                param=_key_text(name),
                path=f"{path}.params.{_key_text(name)}",
            )
        try:
            checked[name] = param.check(value)
        except ParamError as exc:
            raise SpecError(
                f"{kind} at position {index + 1}: {exc}", layer=index, param=name, path=f"{path}.params.{name}"
            ) from None
    return LayerSpec(kind, checked)


def parse_input_shape(raw: Any) -> tuple[int, ...]:
    path = "model.input_shape"
    if not isinstance(raw, (list, tuple)) or not 1 <= len(raw) <= 3:
        raise SpecError(
            "input_shape must list 1 to 3 sizes: [features] for tables, [channels, height, width] "
            f"for images; got {_describe(raw)}" + (f" of {len(raw)}" if isinstance(raw, (list, tuple)) else ""),
            path=path,
            param="input_shape",
        )
    for i, d in enumerate(raw):
        if not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= MAX_DIM:
            raise SpecError(
                f"input_shape[{i}] must be a whole number between 1 and {MAX_DIM:,}, not {_describe(d)}",
                path=f"{path}[{i}]",
                param="input_shape",
            )
    if prod(raw) > MAX_INPUT_VALUES:
        raise SpecError(
            f"input_shape {list(raw)} holds more than {MAX_INPUT_VALUES:,} values per example",
            path=path,
            param="input_shape",
        )
    return tuple(raw)


@dataclass
class ModelSpec:
    input_shape: tuple[int, ...]
    layers: list[LayerSpec] = field(default_factory=list)

    @classmethod
    def from_dict(cls, raw: Any) -> ModelSpec:
        raw = _require_object(raw, "model", "model")
        _check_keys(raw, ("input_shape", "layers"), "model", "model")
        if "input_shape" not in raw:
            raise SpecError(
                "model needs an input_shape, e.g. [4] for 4 features or [1, 28, 28] for grey 28×28 images",
                path="model.input_shape",
                param="input_shape",
            )
        shape = parse_input_shape(raw["input_shape"])
        layers_raw = raw.get("layers", [])
        if not isinstance(layers_raw, list):
            raise SpecError(f"model.layers must be a list, not {_describe(layers_raw)}", path="model.layers")
        if len(layers_raw) > MAX_LAYERS:
            raise SpecError(
                f"model has {len(layers_raw):,} layers; at most {MAX_LAYERS:,} are allowed", path="model.layers"
            )
        return cls(shape, [parse_layer(layer, i) for i, layer in enumerate(layers_raw)])

    def to_dict(self) -> dict[str, Any]:
        return {"input_shape": list(self.input_shape), "layers": [layer.to_dict() for layer in self.layers]}

    def canonical(self) -> ModelSpec:
        """The same model with only non-default parameters, inferred sizes that match what
        would be inferred dropped, and equal pairs written as one number: two valid specs
        that build the same network have the same canonical form."""
        from .shapes import infer  # shapes imports this module

        report = infer(self)
        in_shape: tuple[int, ...] | None = self.input_shape
        layers = []
        for layer, info in zip(self.layers, report.layers, strict=True):
            entry = catalogue.CATALOGUE[layer.type]
            inferred = entry.infer(in_shape) if in_shape is not None else {}
            params = {}
            for p in entry.params:
                if p.name not in layer.params:
                    continue
                value = _canonical_value(layer.params[p.name], p.kind)
                if value == p.default:
                    continue
                if p.inferred and p.name in inferred and value == _canonical_value(inferred[p.name], p.kind):
                    continue
                if p.default_from and value == _canonical_value(layer.filled()[p.default_from], p.kind):
                    continue
                if p.requires and not layer.filled()[p.requires]:
                    continue
                params[p.name] = value
            layers.append(LayerSpec(layer.type, params))
            in_shape = info.output_shape
        return ModelSpec(tuple(self.input_shape), layers)


def _canonical_value(value: Any, kind: str) -> Any:
    if not isinstance(value, (list, tuple)):
        return value
    if kind == "shape":
        return value[0] if len(value) == 1 else list(value)
    a, b = pair(value)
    return a if a == b else [a, b]


# ---------------------------------------------------------------- data and training


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

    @classmethod
    def from_dict(cls, raw: Any) -> DataSpec:
        raw = _require_object(raw, "data", "data")
        _check_keys(raw, ("source", "target", "features", "task", "transforms", "max_categories"), "data", "data")
        out = cls()
        for key in ("source", "target"):
            value = raw.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise SpecError(
                    f"data.{key} must be a non-empty text or null, not {_describe(value)}",
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
                    f'data.features names column "{_key_text(dup)}" twice', path="data.features", param="features"
                )
            if out.target is not None and out.target in features:
                raise SpecError(
                    f'column "{_key_text(out.target)}" is the target, so it cannot also be a feature',
                    path="data.features",
                    param="features",
                )
            out.features = list(features)
        task = raw.get("task")
        if task is not None and (not isinstance(task, str) or task not in TASKS):
            raise SpecError(
                f'data.task must be "classification", "regression" or null, not {_describe(task)}',
                path="data.task",
                param="task",
            )
        out.task = task
        transforms = raw.get("transforms")
        if transforms is not None:
            from .transforms import parse_transforms

            transforms = _require_object(transforms, "data.transforms", "data.transforms")
            _check_keys(transforms, ("train", "test"), "data.transforms", "data.transforms")
            out.transforms = {split: parse_transforms(transforms.get(split, []), split) for split in ("train", "test")}
        cap = raw.get("max_categories", DEFAULT_MAX_CATEGORIES)
        if not isinstance(cap, int) or isinstance(cap, bool) or not MIN_CATEGORIES <= cap <= MAX_CATEGORIES:
            raise SpecError(
                f"data.max_categories must be a whole number from {MIN_CATEGORIES} to {MAX_CATEGORIES:,}, "
                f"not {_describe(cap)}",
                path="data.max_categories",
                param="max_categories",
            )
        out.max_categories = cap
        return out

    def to_dict(self) -> dict[str, Any]:
        out = {"source": self.source, "target": self.target, "features": self.features, "task": self.task}
        if self.transforms is not None:
            out["transforms"] = self.transforms
        if self.max_categories != DEFAULT_MAX_CATEGORIES:
            out["max_categories"] = self.max_categories
        return out


# name -> (kind, default, min, max, help); kinds as in params.py plus "choice" sets below
_TRAINING_FIELDS: dict[str, tuple[str, Any, Any, Any, str]] = {
    "loss": ("loss", None, None, None, "loss function; null picks CrossEntropyLoss or MSELoss by task"),
    "optimizer": ("optimizer", "Adam", None, None, "how the weights are updated"),
    "lr": ("float", 0.01, 1e-7, 10.0, "learning rate: the size of each update step"),
    "momentum": ("float", 0.9, 0.0, 0.999, "momentum for SGD and RMSprop"),
    "weight_decay": ("float", 0.0, 0.0, 1.0, "L2 penalty on the weights"),
    "epochs": ("int", 20, 1, 100_000, "passes over the training data"),
    "batch_size": ("int", 32, 1, 1_000_000, "examples per update step"),
    "test_size": ("float", 0.2, 0.01, 0.99, "fraction of the data held out for testing"),
    "shuffle": ("bool", True, None, None, "shuffle before splitting and every epoch"),
    "seed": ("int", 0, 0, 2**32 - 1, "random seed, for reproducible runs"),
    "device": ("device", "auto", None, None, '"auto", "cpu", "cuda", "cuda:N" or "mps"'),
    "class_weights": ("bool", False, None, None, "weight CrossEntropyLoss by inverse class frequency"),
    "precision": ("precision", "fp32", None, None, '"bf16" uses autocast on CUDA'),
}


def _check_training_value(name: str, value: Any) -> Any:
    kind, _, lo, hi, _ = _TRAINING_FIELDS[name]
    bad = f"training.{name}"
    if kind == "loss":
        if value is not None and (not isinstance(value, str) or value not in LOSSES):
            raise SpecError(
                f"{bad} must be one of {', '.join(LOSSES)} or null, not {_describe(value)}", path=bad, param=name
            )
    elif kind == "optimizer":
        if not isinstance(value, str) or value not in OPTIMIZERS:
            raise SpecError(
                f"{bad} must be one of {', '.join(OPTIMIZERS)}, not {_describe(value)}", path=bad, param=name
            )
    elif kind == "precision":
        if not isinstance(value, str) or value not in PRECISIONS:
            raise SpecError(f'{bad} must be "fp32" or "bf16", not {_describe(value)}', path=bad, param=name)
    elif kind == "device":
        if not isinstance(value, str) or not _valid_device(value):
            raise SpecError(
                f'{bad} must be "auto", "cpu", "cuda", "cuda:N" or "mps", not {_describe(value)}', path=bad, param=name
            )
    elif kind == "bool":
        if not isinstance(value, bool):
            raise SpecError(f"{bad} must be true or false, not {_describe(value)}", path=bad, param=name)
    else:
        ok_type = isinstance(value, int) if kind == "int" else isinstance(value, (int, float))
        if not ok_type or isinstance(value, bool):
            word = "a whole number" if kind == "int" else "a number"
            raise SpecError(f"{bad} must be {word}, not {_describe(value)}", path=bad, param=name)
        try:
            in_range = lo <= value <= hi
        except OverflowError:
            in_range = False
        if not in_range or value != value:  # NaN compares unequal
            raise SpecError(f"{bad} must be between {lo:g} and {hi:,}, not {_describe(value)}", path=bad, param=name)
    return value


def _valid_device(value: str) -> bool:
    if value in ("auto", "cpu", "cuda", "mps"):
        return True
    head, _, index = value.partition(":")
    return head == "cuda" and index.isdigit() and len(index) <= 3


@dataclass
class TrainingSpec:
    loss: str | None = None
    optimizer: str = "Adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    epochs: int = 20
    batch_size: int = 32
    test_size: float = 0.2
    shuffle: bool = True
    seed: int = 0
    device: str = "auto"
    class_weights: bool = False
    precision: str = "fp32"

    @classmethod
    def from_dict(cls, raw: Any) -> TrainingSpec:
        raw = _require_object(raw, "training", "training")
        _check_keys(raw, tuple(_TRAINING_FIELDS), "training", "training")
        values = {name: _check_training_value(name, value) for name, value in raw.items()}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _TRAINING_FIELDS}

    @staticmethod
    def fields() -> dict[str, tuple[str, Any, Any, Any, str]]:
        return dict(_TRAINING_FIELDS)


# ---------------------------------------------------------------- the whole spec


@dataclass
class Spec:
    model: ModelSpec
    data: DataSpec = field(default_factory=DataSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)
    version: int = SPEC_VERSION

    @classmethod
    def from_dict(cls, raw: Any) -> Spec:
        raw = _require_object(raw, "", "a spec")
        _check_keys(raw, ("version", "model", "data", "training"), "", "the spec")
        version = raw.get("version", SPEC_VERSION)
        if version != SPEC_VERSION or isinstance(version, bool):
            raise SpecError(
                f"version must be {SPEC_VERSION}, not {_describe(version)}", path="version", param="version"
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
