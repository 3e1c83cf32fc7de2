"""Specs the tests share, written once: the spec from the issue (``EXAMPLE``), LeNet-5 and a
VGG-style network, and the original app's default models (its image default exactly as shipped,
broken at its Linear layer, and with that layer sized to what arrives)."""

EXAMPLE = {
    "version": 1,
    "model": {
        "input_shape": [1, 28, 28],
        "layers": [
            {"type": "Conv2d", "params": {"out_channels": 6, "kernel_size": 5, "padding": 2}},
            {"type": "ReLU"},
            {"type": "MaxPool2d", "params": {"kernel_size": 2}},
            {"type": "Flatten"},
            {"type": "Linear", "params": {"out_features": 10}},
        ],
    },
    "data": {"source": "builtin:digits", "target": None, "features": None, "task": "classification"},
    "training": {
        "loss": "CrossEntropyLoss",
        "optimizer": "Adam",
        "lr": 0.001,
        "epochs": 10,
        "batch_size": 64,
        "test_size": 0.2,
        "shuffle": True,
        "seed": 0,
        "device": "auto",
    },
}

LENET5 = {
    "input_shape": [1, 28, 28],
    "layers": [
        {"type": "Conv2d", "params": {"out_channels": 6, "kernel_size": 5, "padding": 2}},
        {"type": "Tanh"},
        {"type": "AvgPool2d", "params": {"kernel_size": 2}},
        {"type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 5, "padding": 0}},
        {"type": "Tanh"},
        {"type": "AvgPool2d", "params": {"kernel_size": 2}},
        {"type": "Flatten"},
        {"type": "Linear", "params": {"out_features": 120}},
        {"type": "Tanh"},
        {"type": "Linear", "params": {"out_features": 84}},
        {"type": "Tanh"},
        {"type": "Linear", "params": {"out_features": 10}},
    ],
}


def _vgg_block(channels):
    return [
        {"type": "Conv2d", "params": {"out_channels": channels, "kernel_size": 3, "padding": 1}},
        {"type": "BatchNorm2d"},
        {"type": "ReLU"},
        {"type": "Conv2d", "params": {"out_channels": channels, "kernel_size": 3, "padding": "same"}},
        {"type": "BatchNorm2d"},
        {"type": "ReLU"},
        {"type": "MaxPool2d", "params": {"kernel_size": 2, "stride": 2}},
    ]


VGG_STYLE = {
    "input_shape": [3, 32, 32],
    "layers": _vgg_block(16)
    + _vgg_block(32)
    + _vgg_block(64)
    + [
        {"type": "AdaptiveAvgPool2d", "params": {"output_size": 1}},
        {"type": "Flatten"},
        {"type": "Dropout", "params": {"p": 0.3}},
        {"type": "Linear", "params": {"out_features": 10}},
    ],
}

# The original app's default models, written in this spec (its Softmax/Sigmoid endings kept).
ORIGINAL_TABULAR = {
    "input_shape": [4],
    "layers": [
        {"type": "Linear", "params": {"in_features": 4, "out_features": 10}},
        {"type": "ReLU"},
        {"type": "Linear", "params": {"in_features": 10, "out_features": 3}},
        {"type": "Softmax", "params": {"dim": -1}},
    ],
}
ORIGINAL_IMAGE_FIXED = {  # its image default with the Linear sized to what actually arrives
    "input_shape": [1, 32, 32],
    "layers": [
        {
            "type": "Conv2d",
            "params": {"in_channels": 1, "out_channels": 5, "kernel_size": 3, "stride": 1, "padding": 1},
        },
        {"type": "MaxPool2d", "params": {"kernel_size": 3, "stride": 1}},
        {"type": "Flatten"},
        {"type": "Linear", "params": {"out_features": 10}},
        {"type": "Sigmoid"},
    ],
}
ORIGINAL_IMAGE_BROKEN = {  # exactly as shipped: Linear(500, 10) after 4,500 values
    "input_shape": [1, 32, 32],
    "layers": ORIGINAL_IMAGE_FIXED["layers"][:3]
    + [{"type": "Linear", "params": {"in_features": 500, "out_features": 10}}, {"type": "Sigmoid"}],
}
