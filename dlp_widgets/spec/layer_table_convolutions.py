"""The convolution layers of the catalogue: torch's names, parameters and defaults, each with
the words of its page. ``layer_table`` puts them after ``Flatten``, in this order."""

from __future__ import annotations

from . import rules, rules_1d, rules_resize
from .layer_type import LayerType
from .params import SIZE_MAX, Param, bias_param

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

CONVOLUTIONS: list[LayerType] = [
    LayerType(
        name="Conv1d",
        category="convolution",
        kinds=(),
        params=(
            Param("in_channels", "int", None, "channels coming in (inferred)", 1, 100_000, inferred=True),
            Param("out_channels", "int", None, "number of filters, i.e. channels going out", 1, 4096, required=True),
            Param("kernel_size", "int", None, "length of each filter", 1, SIZE_MAX, required=True),
            Param("stride", "int", 1, "step between filter positions", 1, SIZE_MAX),
            Param("padding", "padding1", 0, 'zeros added at both ends; "same" keeps the length', 0, SIZE_MAX),
            Param("dilation", "int", 1, "spacing between filter taps", 1, SIZE_MAX),
            Param("groups", "int", 1, "split channels into independent groups", 1, 4096),
            bias_param("a learned bias per filter"),
            Param("padding_mode", "choice", "zeros", "what the padding is filled with", choices=_PADDING_MODES),
        ),
        summary="Slides learned filters along a sequence; each filter detects one pattern wherever it occurs.",
        formula="y[o, i] = b[o] + Σ_c Σ_u W[o, c, u] · x[c, i·s + u·d − p].",
        shape_rule=(
            "[C, L] → [out_channels, L'], L' = ⌊(L + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1. "
            "Parameters: out_channels × C/groups × kernel (+ out_channels bias). No data set gives [C, L] "
            "directly, so the palette leaves it out: use it in graphs, imported networks and specs "
            "(or after a Flatten(start_dim=2) on images)."
        ),
        when="Signals and sequences with channels (audio, sensor readings, text embeddings as [channels, length]).",
        rule=rules_1d.conv1d,
        infer=lambda shape: {"in_channels": shape[0]},
        example_input=(4, 32),
    ),
    LayerType(
        name="Conv2d",
        category="convolution",
        kinds=("image",),
        params=(
            Param("in_channels", "int", None, "channels coming in (inferred)", 1, 100_000, inferred=True),
            Param("out_channels", "int", None, "number of filters, i.e. channels going out", 1, 4096, required=True),
            Param("kernel_size", "size2", None, "height and width of each filter", 1, SIZE_MAX, required=True),
            Param("stride", "size2", 1, "step between filter positions", 1, SIZE_MAX),
            Param("padding", "padding", 0, 'zeros added around the image; "same" keeps its size', 0, SIZE_MAX),
            Param("dilation", "size2", 1, "spacing between filter taps", 1, SIZE_MAX),
            Param("groups", "int", 1, "split channels into independent groups", 1, 4096),
            bias_param("a learned bias per filter"),
            Param("padding_mode", "choice", "zeros", "what the padding is filled with", choices=_PADDING_MODES),
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
        name="ConvTranspose2d",
        category="convolution",
        kinds=("image",),
        params=(
            Param("in_channels", "int", None, "channels coming in (inferred)", 1, 100_000, inferred=True),
            Param("out_channels", "int", None, "number of filters, i.e. channels going out", 1, 4096, required=True),
            Param("kernel_size", "size2", None, "height and width of each filter", 1, SIZE_MAX, required=True),
            Param("stride", "size2", 1, "how far apart the input pixels land in the output (2 doubles)", 1, SIZE_MAX),
            Param("padding", "size2", 0, "rows and columns removed from each side of the output", 0, SIZE_MAX),
            Param(
                "output_padding",
                "size2",
                0,
                "rows and columns added on one side (smaller than stride or dilation)",
                0,
                SIZE_MAX,
            ),
            Param("groups", "int", 1, "split channels into independent groups", 1, 4096),
            bias_param("a learned bias per filter"),
            Param("dilation", "size2", 1, "spacing between filter taps", 1, SIZE_MAX),
        ),
        summary="The transpose of a convolution: spreads each pixel over a learned filter, enlarging the image.",
        formula="y[o, i·s + u·d − p, j·s + v·d − p] += Σ_c W[c, o, u, v] · x[c, i, j], then + b[o].",
        shape_rule=(
            "[C, H, W] → [out_channels, H', W'], H' = (H − 1)·stride − 2·padding + dilation·(kernel − 1) "
            "+ output_padding + 1. Parameters: C × out_channels/groups × kernel_h × kernel_w (+ out_channels bias)."
        ),
        when="Learned upsampling: the decoder of a segmentation network or an autoencoder, a GAN's generator.",
        rule=rules_resize.conv_transpose2d,
        infer=lambda shape: {"in_channels": shape[0]},
    ),
]
