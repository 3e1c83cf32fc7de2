"""The activation layers of the catalogue: torch's names, parameters and defaults, each with
the words of its page. ``layer_table`` puts them after ``Linear``, in this order."""

from __future__ import annotations

from . import rules
from .layer_type import DATA_KINDS, LayerType
from .params import Param


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


ACTIVATIONS: list[LayerType] = [
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
        "ReLU6",
        "ReLU capped at 6: keeps values between 0 and 6.",
        "ReLU6(x) = min(max(0, x), 6).",
        "Mobile networks (MobileNetV2): the cap keeps activations in a range that low-precision arithmetic holds.",
    ),
    _activation(
        "Hardswish",
        "A cheap, piecewise approximation of SiLU (swish).",
        "Hardswish(x) = x · min(max(x + 3, 0), 6) / 6.",
        "MobileNetV3's activation: SiLU's accuracy at ReLU's cost.",
    ),
    _activation(
        "Hardsigmoid",
        "A cheap, piecewise-linear approximation of the sigmoid.",
        "Hardsigmoid(x) = min(max(x / 6 + 1/2, 0), 1).",
        "Gates that must be fast, as in MobileNetV3's squeeze-and-excitation blocks.",
    ),
    _activation(
        "Mish",
        "A smooth, self-gated activation: x times tanh of softplus(x).",
        "Mish(x) = x · tanh(ln(1 + exp(x))).",
        "A smooth alternative to ReLU and SiLU that some vision models (YOLOv4) train better with.",
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
]
