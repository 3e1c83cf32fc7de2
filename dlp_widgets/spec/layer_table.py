"""Every layer type the playground offers, with torch's names, parameters and defaults."""

from __future__ import annotations

from . import rules, rules_resize
from .layer_table_activations import ACTIVATIONS
from .layer_table_convolutions import CONVOLUTIONS
from .layer_table_pooling import POOLS
from .layer_type import DATA_KINDS, LayerType
from .params import Param, bias_param

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
            bias_param(),
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
            bias_param("a learned shift (with elementwise_affine)", requires="elementwise_affine"),
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
        name="Upsample",
        category="shape",
        kinds=("image",),
        params=(
            Param(
                "size",
                "opt_shape",
                None,
                "the output's [height, width] (or [length]); give this or scale_factor",
                1,
                4096,
            ),
            Param(
                "scale_factor",
                "opt_scale",
                None,
                "what each spatial size is multiplied by (2 doubles it); give this or size",
                0.0,
                64.0,
            ),
            Param(
                "mode",
                "choice",
                "nearest",
                "how new values are made: copied (nearest) or interpolated",
                choices=("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact"),
            ),
            Param("align_corners", "opt_bool", None, "interpolating modes: line up the corner pixels exactly"),
            Param(
                "recompute_scale_factor",
                "opt_bool",
                None,
                "interpolate with the scale the rounded output size implies, not the given one",
            ),
        ),
        summary="Makes an image (or a sequence) larger by repeating or interpolating its values.",
        formula="y[c, i, j] = x[c, ⌊i / scale⌋, ⌊j / scale⌋] (nearest); bilinear weighs the four nearest pixels.",
        shape_rule=(
            "[C, H, W] → [C, ⌊H·scale_factor⌋, ⌊W·scale_factor⌋], or [C, size]; [C, L] likewise. Exactly one of "
            "size and scale_factor; linear wants [C, L], bilinear and bicubic [C, H, W]. No trainable parameters."
        ),
        when="Enlarging feature maps without weights: decoders, feature pyramids, before a Conv2d that refines them.",
        rule=rules_resize.upsample,
    ),
    LayerType(
        name="ChannelShuffle",
        category="shape",
        kinds=("image",),
        params=(Param("groups", "int", None, "number of channel groups to interleave", 1, 4096, required=True),),
        summary="Interleaves the channels of its groups, so the next grouped convolution sees every group.",
        formula="y[g·k + i] = x[i·groups + g] for C = groups·k channels (a reshape to [groups, k], transposed).",
        shape_rule="[C, …] → [C, …]; the channels must divide by groups. No trainable parameters.",
        when="Between grouped convolutions (ShuffleNet), so information flows between the groups.",
        rule=rules.channel_shuffle,
        example_input=(8, 16, 16),
    ),
    LayerType(
        name="Permute",
        category="shape",
        kinds=("image",),
        params=(
            Param(
                "dims",
                "dims",
                None,
                "the new order of all dimensions, counting the batch as dim 0, which stays first",
                -4,
                3,
                required=True,
            ),
        ),
        summary="Reorders the dimensions, e.g. an image [C, H, W] into channels-last [H, W, C] (torchvision.ops).",
        formula="y = x.permute(dims), dims over every dimension with the batch as dim 0: [0, 2, 3, 1] is channels-last.",
        shape_rule=(
            "[C, H, W] → the sizes in the order dims gives (dims[0] must be 0: the batch stays first); "
            "[0, 2, 3, 1] gives [H, W, C]. No trainable parameters."
        ),
        when="Before a layer that works on the last dimension (LayerNorm, Linear) when channels should be last, "
        "as ConvNeXt does, and back with [0, 3, 1, 2].",
        rule=rules.permute,
        module="torchvision.ops",
    ),
    *CONVOLUTIONS,
    *POOLS,
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
