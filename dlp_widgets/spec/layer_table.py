"""Every layer type the playground offers, with torch's names, parameters and defaults."""

from __future__ import annotations

from . import rules
from .layer_table_activations import ACTIVATIONS
from .layer_type import DATA_KINDS, LayerType
from .params import Param


def _bias(what: str = "a learned bias", requires: str | None = None) -> Param:
    return Param("bias", "bool", True, f"add {what}", requires=requires)


_SIZE_MAX = 256


LAYERS: list[LayerType] = [
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
    *ACTIVATIONS,
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
        name="StochasticDepth",
        category="regularisation",
        kinds=DATA_KINDS,
        params=(
            Param(
                "p",
                "float",
                None,
                "probability that a row (or the whole batch) is dropped while training",
                0.0,
                1.0,
                required=True,
            ),
            Param(
                "mode",
                "choice",
                None,
                '"row" drops each example on its own, "batch" the whole batch',
                choices=("batch", "row"),
                required=True,
            ),
        ),
        summary="Randomly drops a residual branch for some examples while training (torchvision.ops).",
        formula="training: y = x · m / (1 − p), m ~ Bernoulli(1 − p) per row (or per batch); evaluation: y = x.",
        shape_rule="output shape = input shape; no trainable parameters.",
        when="On the branch of a residual block, before its Add, in deep networks (EfficientNet): a network that is "
        "shallower on average while training, and whole when it predicts.",
        rule=rules.same_shape,
        module="torchvision.ops",
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
