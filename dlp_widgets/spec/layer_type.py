"""What a layer type is: its torch name, parameters, documentation and shape rule. The
table of every type is ``layer_table``; ``catalogue`` is the lookup the rest reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import rules
from .params import Param
from .starting_values import starting_params

CATEGORIES = (
    "core",
    "activation",
    "convolution",
    "pooling",
    "normalisation",
    "regularisation",
    "shape",
)
DATA_KINDS = ("tabular", "image")


@dataclass(frozen=True)
class LayerType:
    name: str  # the torch.nn class name
    category: str
    # the data kinds whose examples it fits, as the palette offers it; empty: none (a layer
    # over sequences [C, L], for graphs, imports and specs only)
    kinds: tuple[str, ...]
    params: tuple[Param, ...]
    summary: str  # one line, for the palette
    formula: str
    shape_rule: str
    when: str
    rule: rules.Rule
    # Inferred input sizes from the incoming shape, for the torch constructor.
    infer: Callable[[tuple[int, ...]], dict[str, Any]] = field(default=lambda shape: {})
    # where the class lives: torch.nn, or torchvision.ops for the few layers torchvision adds
    module: str = "torch.nn"
    # one example's shape for its worked example, where its data kind gives no fitting one: a
    # sequence [C, L] for the layers no data set feeds directly (their ``kinds`` are empty, so
    # the palette leaves them out), channels that its starting values divide
    example_input: tuple[int, ...] | None = None

    @property
    def torch_class(self) -> str:
        return f"{self.module}.{self.name}"

    @property
    def doc(self) -> str:
        return f"{self.summary}\n\nFormula: {self.formula}\n\nShape: {self.shape_rule}\n\nWhen to use it: {self.when}"

    def param(self, name: str) -> Param | None:
        return self._by_name.get(name)

    @property
    def _by_name(self) -> dict[str, Param]:
        # frozen dataclass: cache on the instance dict directly
        cached = self.__dict__.get("_param_map")
        if cached is None:
            cached = {p.name: p for p in self.params}
            object.__setattr__(self, "_param_map", cached)
        return cached

    def defaults(self) -> dict[str, Any]:
        """torch's default of every parameter that has one (a shared dict: copy before
        changing it). Required parameters are absent: a valid layer gives them."""
        cached = self.__dict__.get("_defaults")
        if cached is None:
            cached = {p.name: p.default for p in self.params if not p.required}
            object.__setattr__(self, "_defaults", cached)
        return cached

    def missing(self, params: dict[str, Any]) -> Param | None:
        """The first required parameter that ``params`` lacks, if any."""
        return next((p for p in self.params if p.required and p.name not in params), None)

    def constructor_kwargs(self, params: dict[str, Any], in_shape: tuple[int, ...]) -> dict[str, Any]:
        """Keyword arguments for the torch constructor: validated params over torch's
        defaults, inferred sizes, pairs as tuples (as torch stores them)."""
        kwargs = {**self.defaults(), **params}
        for name, value in self.infer(in_shape).items():
            if kwargs.get(name) is None:
                kwargs[name] = value
        return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "category": self.category,
            "kinds": list(self.kinds),
            "summary": self.summary,
            "doc": self.doc,
            "formula": self.formula,
            "shape_rule": self.shape_rule,
            "when": self.when,
            "params": [p.to_dict() for p in self.params],
            "starting_params": starting_params(self.name),
        }
