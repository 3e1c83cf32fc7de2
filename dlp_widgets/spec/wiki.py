"""The layer wiki's own words: common mistakes per layer, a worked shape example computed by
the shape inference, and the glossary of training parameters. Pure Python, like the rest of
the spec layer; pictures are drawn by ``dlp_widgets.layer_docs``."""

from __future__ import annotations

from typing import Any

from .training import TRAINING_FIELDS

MISTAKES: dict[str, str] = {
    "Linear": "Feeding it an image without a Flatten first: it then acts on the last dimension only. "
    "Making the last Linear's out_features differ from the number of classes.",
    "ReLU": "Putting it after the last layer of a classifier or a regression model: it clips the outputs at zero.",
    "LeakyReLU": "A large negative_slope (close to 1) makes it almost linear, so stacked layers stop adding power.",
    "ELU": "Expecting it to be as cheap as ReLU: the exponential costs a little more on large tensors.",
    "GELU": "Worrying about approximate='tanh': the difference is tiny; use it only when speed matters.",
    "SiLU": "Using it where outputs must be non-negative: SiLU dips slightly below zero.",
    "Tanh": "Deep stacks of Tanh learn slowly: for large inputs its gradient is almost zero.",
    "Sigmoid": "Ending a model trained with BCEWithLogitsLoss with it: the loss applies the sigmoid itself.",
    "ReLU6": "Using it where values above 6 carry meaning (raw regression outputs): they are cut to 6.",
    "Hardswish": "Expecting it to equal SiLU exactly: it differs slightly between −3 and 3.",
    "Hardsigmoid": "Putting it before BCEWithLogitsLoss: the loss applies a sigmoid itself.",
    "Mish": "Expecting ReLU's speed: the exponential and tanh cost more on large tensors.",
    "Softmax": "Ending a model trained with CrossEntropyLoss with it (the original playground's default): "
    "softmax is applied twice and learning stalls. dim=0 normalises across the batch.",
    "LogSoftmax": "Pairing it with CrossEntropyLoss (which expects raw scores): use NLLLoss with it.",
    "Dropout": "Forgetting that it only acts in training: evaluation uses all values. p close to 1 drops almost everything.",
    "Dropout2d": "Using it on tables (it drops whole channels of images).",
    "StochasticDepth": "Putting it on the main path rather than a residual branch: a dropped row then loses "
    'everything, not just one block\'s change. mode="batch" drops the whole batch at once.',
    "BatchNorm1d": "Training with batches of one example: the batch statistics are undefined. On images use BatchNorm2d.",
    "BatchNorm2d": "Very small batches make its statistics noisy; LayerNorm does not depend on the batch.",
    "LayerNorm": "Setting normalized_shape to something other than the last dimensions of its input.",
    "Flatten": "start_dim=0 would merge the batch into the features. Forgetting it between Conv2d and Linear.",
    "Conv2d": "A kernel larger than the (padded) image. padding='same' with stride 2 (torch refuses it). "
    "Counting parameters by the image size: they depend only on channels and kernel size.",
    "MaxPool2d": "Pooling too often: a 28×28 image halved five times is 0×0. padding more than half the window.",
    "AvgPool2d": "Forgetting that stride defaults to kernel_size, so the image shrinks by that factor.",
    "AdaptiveAvgPool2d": "output_size larger than the image: it then repeats values rather than summarising.",
    "Identity": "Leaving it in a finished model: it does nothing and only adds a line.",
    "Conv1d": "Giving it a table's [features]: it needs [channels, length] (torch would read the batch as "
    "channels and mix examples). A kernel longer than the (padded) sequence.",
    "ConvTranspose2d": "Expecting it to undo a Conv2d: it restores the shape, not the values. A kernel_size that "
    "stride does not divide leaves a checkerboard pattern; kernel_size=2, stride=2 exactly doubles H and W.",
    "MaxPool1d": "Pooling a sequence too often: a length of 32 halved six times is 0. padding more than half the window.",
    "AvgPool1d": "Forgetting that stride defaults to kernel_size, so the sequence shrinks by that factor.",
    "Upsample": "Giving both size and scale_factor, or neither (torch refuses both). mode='bilinear' on a [C, L] "
    "sequence (it wants images; use 'linear'), or align_corners with 'nearest'.",
    "ChannelShuffle": "A groups that does not divide the channels. Using it where no grouped convolution follows: "
    "it then only reorders channels, which the next layer's weights could do anyway.",
    "Permute": "Writing dims without the batch (torchvision's Permute reorders every dimension: [0, 2, 3, 1], "
    "not [1, 2, 0]); dims that move the batch away from the front are refused.",
}

# a typical input for the worked example of each kind of layer
_EXAMPLE_INPUT = {"image": [3, 32, 32], "tabular": [16]}

# the training settings a learner meets first, explained: from the one table of settings
GLOSSARY: dict[str, str] = {f.label.lower(): f.explain for f in TRAINING_FIELDS if f.explain}


def worked_example(name: str) -> dict[str, Any]:
    """The layer as the palette adds it (its starting values, else torch's defaults) on a
    typical input: input shape, the layer's params, output shape, parameter count."""
    from .catalogue import CATALOGUE, starting_layer, starting_params
    from .shapes import infer

    entry = CATALOGUE[name]
    kind = (
        "image"
        if "image" in entry.kinds and entry.category in ("convolution", "pooling") or entry.kinds == ("image",)
        else "tabular"
    )
    shape = list(entry.example_input) if entry.example_input is not None else _EXAMPLE_INPUT[kind]
    given = starting_params(name)
    report = infer({"input_shape": shape, "layers": [starting_layer(name)]})
    info = report.layers[0]
    settings = ", ".join(f"{k}={v}" for k, v in given.items())
    # a layer outside the palette (no data kind feeds it) starts with the same values in specs
    start = "As the palette adds it" if entry.kinds else "With its starting values"
    how = f"{start} ({settings})" if given else "With torch's defaults"
    text = (
        f"{how}, on an input of {shape} per example, {name} gives {list(info.output_shape)} "
        f"and holds {info.params:,} trainable parameters."
    )
    return {
        "input": shape,
        "layer_params": given,
        "output": list(info.output_shape),
        "params": info.params,
        "text": text,
    }
