"""The layer catalogue: the one registry behind the palette, the docs, validation, shape
inference and model building.

Names, parameter names and defaults are exactly those of ``torch.nn``: a parameter a spec
leaves out means what it means in torch, and one torch has no default for (``out_features``,
``kernel_size``) must be given. Input sizes (``in_features``, ``in_channels``,
``num_features``, ``normalized_shape``) are *inferred*: optional, filled in from the previous
layer, and checked when given.

What a layer starts with when added from the palette is a separate table,
``STARTING_VALUES``: real values written into the spec, so a new layer is valid at once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import rules
from .params import Param

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
    kinds: tuple[str, ...]
    params: tuple[Param, ...]
    summary: str  # one line, for the palette
    formula: str
    shape_rule: str
    when: str
    rule: rules.Rule
    # Inferred input sizes from the incoming shape, for the torch constructor.
    infer: Callable[[tuple[int, ...]], dict[str, Any]] = field(default=lambda shape: {})

    @property
    def torch_class(self) -> str:
        return f"torch.nn.{self.name}"

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


def _bias(what: str = "a learned bias", requires: str | None = None) -> Param:
    return Param("bias", "bool", True, f"add {what}", requires=requires)


_SIZE_MAX = 256


def _activation(name: str, summary: str, formula: str, when: str, params=(), rule=rules.same_shape) -> LayerType:
    return LayerType(
        name=name,
        category="activation",
        kinds=DATA_KINDS,
        params=tuple(params),
        summary=summary,
        formula=formula,
        shape_rule="output shape = input shape; no trainable parameters.",
        when=when,
        rule=rule,
    )


_LAYERS: list[LayerType] = [
    LayerType(
        name="Linear",
        category="core",
        kinds=DATA_KINDS,
        params=(
            Param("in_features", "int", None, "values per example coming in (inferred)", 1, 10_000_000, inferred=True),
            Param(
                "out_features",
                "int",
                None,
                "how many values it produces per example, one per neuron",
                1,
                100_000,
                required=True,
            ),
            _bias(),
        ),
        summary="Fully connected layer: every output is a weighted sum of all inputs plus a bias.",
        formula="y = x·Wᵀ + b, with W of shape [out_features, in_features] and b of shape [out_features].",
        shape_rule=(
            "[..., in_features] → [..., out_features]; it acts on the last dimension, so put a "
            "Flatten before it on images. Parameters: in_features × out_features (+ out_features bias)."
        ),
        when=(
            "The workhorse of tabular models and the last layer of most classifiers, where "
            "out_features is the number of classes (or 1 for regression)."
        ),
        rule=rules.linear,
        infer=lambda shape: {"in_features": shape[-1]},
    ),
    _activation(
        "ReLU",
        "Rectified linear unit: keeps positive values and sets negative ones to zero.",
        "ReLU(x) = max(0, x).",
        "The default choice between layers: cheap, and gradients do not shrink for positive inputs.",
    ),
    _activation(
        "LeakyReLU",
        "Like ReLU, but negative values are scaled down instead of set to zero.",
        "LeakyReLU(x) = x if x ≥ 0, else negative_slope · x.",
        "When many ReLU units stop learning (always negative, 'dead' units).",
        params=(Param("negative_slope", "float", 0.01, "slope for negative inputs", 0.0, 1.0),),
    ),
    _activation(
        "ELU",
        "Exponential linear unit: smooth for negative inputs, approaching −alpha.",
        "ELU(x) = x if x > 0, else alpha · (exp(x) − 1).",
        "A smooth alternative to ReLU whose mean output stays closer to zero.",
        params=(Param("alpha", "float", 1.0, "value approached for very negative inputs", 0.0, 10.0),),
    ),
    _activation(
        "GELU",
        "Gaussian error linear unit: weighs each input by how likely a normal variable is below it.",
        "GELU(x) = x · Φ(x), Φ the standard normal CDF (approximate='tanh' uses a tanh formula).",
        "The activation of transformers; a smooth ReLU that often trains slightly better.",
        params=(
            Param(
                "approximate",
                "choice",
                "none",
                "exact formula or the faster tanh approximation",
                choices=("none", "tanh"),
            ),
        ),
    ),
    _activation(
        "SiLU",
        "Sigmoid linear unit (swish): the input times its own sigmoid.",
        "SiLU(x) = x · σ(x) = x / (1 + exp(−x)).",
        "A smooth ReLU used in modern convolutional networks (EfficientNet) and language models.",
    ),
    _activation(
        "Tanh",
        "Hyperbolic tangent: squashes values into (−1, 1).",
        "tanh(x) = (exp(x) − exp(−x)) / (exp(x) + exp(−x)).",
        "Small networks and outputs that must lie in (−1, 1); gradients vanish for large |x|.",
    ),
    _activation(
        "Sigmoid",
        "Logistic function: squashes values into (0, 1).",
        "σ(x) = 1 / (1 + exp(−x)).",
        "To output a probability for inference. Do not put it before BCEWithLogitsLoss, which already applies it.",
    ),
    _activation(
        "Softmax",
        "Turns a vector of scores into probabilities that sum to 1.",
        "Softmax(x)ᵢ = exp(xᵢ) / Σⱼ exp(xⱼ), along dimension dim.",
        "To read class probabilities after training. Do not end a model trained with "
        "CrossEntropyLoss with it: that loss applies softmax itself, and doing it twice slows learning.",
        params=(
            Param(
                "dim",
                "int",
                None,
                "dimension whose values sum to 1 (0 is the batch; 1 or -1 the classes)",
                -4,
                3,
            ),
        ),
        rule=rules.softmax,
    ),
    _activation(
        "LogSoftmax",
        "The logarithm of softmax, computed in a numerically stable way.",
        "LogSoftmax(x)ᵢ = xᵢ − log Σⱼ exp(xⱼ), along dimension dim.",
        "As the last layer of a classifier trained with NLLLoss (together they equal CrossEntropyLoss).",
        params=(
            Param(
                "dim",
                "int",
                None,
                "dimension to normalise along (0 is the batch; 1 or -1 the classes)",
                -4,
                3,
            ),
        ),
        rule=rules.softmax,
    ),
    LayerType(
        name="Dropout",
        category="regularisation",
        kinds=DATA_KINDS,
        params=(Param("p", "float", 0.5, "probability that a value is set to zero while training", 0.0, 1.0),),
        summary="Randomly zeroes values while training, so the network cannot rely on any single one.",
        formula="training: y = x · m / (1 − p), m ~ Bernoulli(1 − p) per value; evaluation: y = x.",
        shape_rule="output shape = input shape; no trainable parameters.",
        when="When the model fits the training data much better than the test data (overfitting).",
        rule=rules.same_shape,
    ),
    LayerType(
        name="Dropout2d",
        category="regularisation",
        kinds=("image",),
        params=(Param("p", "float", 0.5, "probability that a whole channel is zeroed while training", 0.0, 1.0),),
        summary="Randomly zeroes whole channels of an image while training.",
        formula="training: y[c] = x[c] · m_c / (1 − p), m_c ~ Bernoulli(1 − p) per channel; evaluation: y = x.",
        shape_rule="[C, H, W] → [C, H, W]; needs image-shaped input; no trainable parameters.",
        when="Regularising convolutional networks, where neighbouring pixels are too alike for plain Dropout to help.",
        rule=rules.dropout2d,
    ),
    LayerType(
        name="BatchNorm1d",
        category="normalisation",
        kinds=("tabular",),
        params=(
            Param(
                "num_features", "int", None, "features or channels coming in (inferred)", 1, 10_000_000, inferred=True
            ),
            Param("eps", "float", 1e-5, "added to the variance to avoid division by zero", 0.0, 1.0),
            Param("momentum", "float", 0.1, "weight of each batch in the running statistics", 0.0, 1.0),
            Param("affine", "bool", True, "learn a scale and shift per feature"),
            Param("track_running_stats", "bool", True, "keep running mean and variance for evaluation"),
        ),
        summary="Normalises each feature over the batch, then scales and shifts it with learned values.",
        formula="y = (x − mean_batch) / √(var_batch + eps) · γ + β; evaluation uses running averages.",
        shape_rule="[F] → [F] or [C, L] → [C, L]. Parameters: 2 × F (γ and β) when affine.",
        when="Deeper tabular networks that train slowly; it lets you use larger learning rates.",
        rule=rules.batchnorm1d,
        infer=lambda shape: {"num_features": shape[0]},
    ),
    LayerType(
        name="BatchNorm2d",
        category="normalisation",
        kinds=("image",),
        params=(
            Param("num_features", "int", None, "channels coming in (inferred)", 1, 10_000_000, inferred=True),
            Param("eps", "float", 1e-5, "added to the variance to avoid division by zero", 0.0, 1.0),
            Param("momentum", "float", 0.1, "weight of each batch in the running statistics", 0.0, 1.0),
            Param("affine", "bool", True, "learn a scale and shift per channel"),
            Param("track_running_stats", "bool", True, "keep running mean and variance for evaluation"),
        ),
        summary="Normalises each channel over the batch and all pixels, then scales and shifts it.",
        formula="y = (x − mean_c) / √(var_c + eps) · γ_c + β_c, statistics over batch, height and width.",
        shape_rule="[C, H, W] → [C, H, W]. Parameters: 2 × C when affine.",
        when="After a Conv2d (before the activation) in most convolutional networks.",
        rule=rules.batchnorm2d,
        infer=lambda shape: {"num_features": shape[0]},
    ),
    LayerType(
        name="LayerNorm",
        category="normalisation",
        kinds=DATA_KINDS,
        params=(
            Param(
                "normalized_shape",
                "shape",
                None,
                "trailing dimensions to normalise over (inferred: the last one)",
                1,
                10_000_000,
                inferred=True,
            ),
            Param("eps", "float", 1e-5, "added to the variance to avoid division by zero", 0.0, 1.0),
            Param("elementwise_affine", "bool", True, "learn a scale (and shift) per value"),
            _bias("a learned shift (with elementwise_affine)", requires="elementwise_affine"),
        ),
        summary="Normalises each example on its own over its last dimensions, then scales and shifts.",
        formula="y = (x − mean) / √(var + eps) · γ + β, statistics over normalized_shape of one example.",
        shape_rule="output shape = input shape. Parameters: 2 × (values in normalized_shape) when affine.",
        when="When batches are small or vary, and in transformers; unlike BatchNorm it does not depend on the batch.",
        rule=rules.layernorm,
        infer=lambda shape: {"normalized_shape": shape[-1]},
    ),
    LayerType(
        name="Flatten",
        category="shape",
        kinds=DATA_KINDS,
        params=(
            Param("start_dim", "int", 1, "first dimension to merge (1 = first after the batch)", -4, 3),
            Param("end_dim", "int", -1, "last dimension to merge (-1 = the last)", -4, 3),
        ),
        summary="Merges dimensions into one, e.g. an image [C, H, W] into a vector of C·H·W values.",
        formula="y = x.reshape(batch, …, product of dims start_dim..end_dim, …).",
        shape_rule="[C, H, W] → [C·H·W] with the defaults; no trainable parameters.",
        when="Between the convolutional part of an image model and its Linear layers.",
        rule=rules.flatten,
    ),
    LayerType(
        name="Conv2d",
        category="convolution",
        kinds=("image",),
        params=(
            Param("in_channels", "int", None, "channels coming in (inferred)", 1, 100_000, inferred=True),
            Param("out_channels", "int", None, "number of filters, i.e. channels going out", 1, 4096, required=True),
            Param("kernel_size", "size2", None, "height and width of each filter", 1, _SIZE_MAX, required=True),
            Param("stride", "size2", 1, "step between filter positions", 1, _SIZE_MAX),
            Param("padding", "padding", 0, 'zeros added around the image; "same" keeps its size', 0, _SIZE_MAX),
            Param("dilation", "size2", 1, "spacing between filter taps", 1, _SIZE_MAX),
            Param("groups", "int", 1, "split channels into independent groups", 1, 4096),
            _bias("a learned bias per filter"),
            Param(
                "padding_mode",
                "choice",
                "zeros",
                "what the padding is filled with",
                choices=("zeros", "reflect", "replicate", "circular"),
            ),
        ),
        summary="Slides learned filters over an image; each filter detects one pattern everywhere.",
        formula="y[o, i, j] = b[o] + Σ_c Σ_u Σ_v W[o, c, u, v] · x[c, i·s + u·d − p, j·s + v·d − p].",
        shape_rule=(
            "[C, H, W] → [out_channels, H', W'], H' = ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1. "
            "Parameters: out_channels × C/groups × kernel_h × kernel_w (+ out_channels bias)."
        ),
        when="Any image task: far fewer weights than Linear layers, and it finds a pattern wherever it is.",
        rule=rules.conv2d,
        infer=lambda shape: {"in_channels": shape[0]},
    ),
    LayerType(
        name="MaxPool2d",
        category="pooling",
        kinds=("image",),
        params=(
            Param("kernel_size", "size2", None, "height and width of the window", 1, _SIZE_MAX, required=True),
            Param(
                "stride",
                "opt_size2",
                None,
                "step between windows (empty = kernel_size)",
                1,
                _SIZE_MAX,
                default_from="kernel_size",
            ),
            Param("padding", "size2", 0, "padding on each side (at most half the window)", 0, _SIZE_MAX // 2),
            Param("dilation", "size2", 1, "spacing between window taps", 1, _SIZE_MAX),
            Param("ceil_mode", "bool", False, "round the output size up instead of down"),
        ),
        summary="Keeps the largest value in each window, shrinking the image.",
        formula="y[c, i, j] = max over the window at (i·stride, j·stride) of x[c, ·, ·].",
        shape_rule=(
            "[C, H, W] → [C, H', W'], H' = ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1; "
            "stride defaults to kernel_size, so kernel 2 halves H and W."
        ),
        when="After convolution blocks, to shrink the image and make features tolerate small shifts.",
        rule=rules.maxpool2d,
    ),
    LayerType(
        name="AvgPool2d",
        category="pooling",
        kinds=("image",),
        params=(
            Param("kernel_size", "size2", None, "height and width of the window", 1, _SIZE_MAX, required=True),
            Param(
                "stride",
                "opt_size2",
                None,
                "step between windows (empty = kernel_size)",
                1,
                _SIZE_MAX,
                default_from="kernel_size",
            ),
            Param("padding", "size2", 0, "padding on each side (at most half the window)", 0, _SIZE_MAX // 2),
            Param("ceil_mode", "bool", False, "round the output size up instead of down"),
            Param("count_include_pad", "bool", True, "count padded zeros in the average"),
        ),
        summary="Averages each window, shrinking the image smoothly.",
        formula="y[c, i, j] = mean over the window at (i·stride, j·stride) of x[c, ·, ·].",
        shape_rule="[C, H, W] → [C, H', W'], H' = ⌊(H + 2·padding − kernel) / stride⌋ + 1.",
        when="Downsampling that keeps every value's contribution (max pooling keeps only the strongest).",
        rule=rules.avgpool2d,
    ),
    LayerType(
        name="AdaptiveAvgPool2d",
        category="pooling",
        kinds=("image",),
        params=(
            Param(
                "output_size",
                "size2",
                None,
                "height and width of the output, whatever the input",
                1,
                1024,
                required=True,
            ),
        ),
        summary="Averages over windows chosen so that the output has a fixed size.",
        formula="y[c, i, j] = mean of x[c] over rows ⌊i·H/h⌋ … ⌈(i+1)·H/h⌉ and the same for columns.",
        shape_rule="[C, H, W] → [C, output_h, output_w]; no trainable parameters.",
        when="Before the classifier head, so the model accepts images of any size (output_size=1: global average pooling).",
        rule=rules.adaptive_avgpool2d,
    ),
    LayerType(
        name="Identity",
        category="shape",
        kinds=DATA_KINDS,
        params=(),
        summary="Passes its input through unchanged.",
        formula="y = x.",
        shape_rule="output shape = input shape; no trainable parameters.",
        when="A placeholder while experimenting: switch a layer off without renumbering the others.",
        rule=rules.same_shape,
    ),
]

CATALOGUE: dict[str, LayerType] = {layer.name: layer for layer in _LAYERS}

# What a layer starts with when it is added from the palette, written into the spec as real
# values. Every parameter torch requires is here, so a new layer is valid at once; padding 1
# keeps a 3×3 convolution's image size, and dim 1 is the class dimension (torch's implicit
# choice is deprecated). Layers not listed start with torch's defaults.
STARTING_VALUES: dict[str, dict[str, Any]] = {
    "Linear": {"out_features": 10},
    "Softmax": {"dim": 1},
    "LogSoftmax": {"dim": 1},
    "Conv2d": {"out_channels": 8, "kernel_size": 3, "padding": 1},
    "MaxPool2d": {"kernel_size": 2},
    "AvgPool2d": {"kernel_size": 2},
    "AdaptiveAvgPool2d": {"output_size": 1},
}


def starting_params(name: str) -> dict[str, Any]:
    """The params a new ``name`` layer starts with (a fresh copy, free to change)."""
    return copy.deepcopy(STARTING_VALUES.get(name, {}))


def starting_layer(name: str, **changes: Any) -> dict[str, Any]:
    """A layer as the palette adds it, with ``changes`` over the starting values."""
    params = {**starting_params(name), **changes}
    return {"type": name, "params": params} if params else {"type": name}


def get(name: str) -> LayerType | None:
    return CATALOGUE.get(name)


def palette(kind: str | None = None) -> list[dict[str, Any]]:
    """The catalogue as JSON-ready dicts grouped in category order, for the builder's palette."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    entries = [e for e in _LAYERS if kind is None or kind in e.kinds]
    entries.sort(key=lambda e: order[e.category])
    return [e.to_dict() for e in entries]
