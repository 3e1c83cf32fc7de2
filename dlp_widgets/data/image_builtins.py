"""The built-in image sets: scikit-learn's digits (in memory) and the torchvision sets (MNIST,
Fashion-MNIST, KMNIST, CIFAR-10), downloaded into the cache on first use, with a message that
says where to put the files when the download fails. Separate because only these sets need
torchvision's datasets and a network."""

from __future__ import annotations

import numpy as np

from ..home import cache_dir
from .errors import DataError
from .image_datasets import ImageData, TensorImages, split_random
from .image_transforms import build_transforms, norm_transforms, resolve_shapes

# builtin name -> torchvision class; digits ships with scikit-learn
TORCHVISION_SETS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST", "kmnist": "KMNIST", "cifar10": "CIFAR10"}
IMAGE_BUILTINS = {"digits_images": "digits", **TORCHVISION_SETS}
_RAW_FILES = {
    "MNIST": ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
    "CIFAR10": ["cifar-10-batches-py/data_batch_1 … data_batch_5, test_batch, batches.meta"],
}


def _reason(exc: BaseException) -> str:
    # torchvision's messages run over several lines, the cause often on the last one
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 240 else text[:237] + "…"


def load_builtin_images(
    name: str, transforms: dict | None = None, *, test_size: float = 0.2, seed: int = 0
) -> ImageData:
    import torch

    transforms = norm_transforms(transforms)
    if name in ("digits", "digits_images"):
        from .builtin import digits_images

        images, labels = digits_images()
        classes = [str(i) for i in range(10)]
        train_pos, test_pos = split_random(labels, classes, test_size, seed)
        x = torch.from_numpy(images).unsqueeze(1)
        y = torch.from_numpy(labels)
        input_shape = resolve_shapes((1, 8, 8), transforms, False)
        return ImageData(
            TensorImages(x[train_pos], y[train_pos], build_transforms(transforms["train"])),
            TensorImages(x[test_pos], y[test_pos], build_transforms(transforms["test"])),
            classes,
            (1, 8, 8),
            input_shape,
            "builtin:digits",
            transforms,
            "random",
        )
    if name not in TORCHVISION_SETS:
        raise DataError(
            f"unknown built-in image set builtin:{name}; choose one of "
            f"{', '.join('builtin:' + k for k in ['digits', *TORCHVISION_SETS])}"
        )
    return _torchvision_set(name, transforms)


def _torchvision_set(name: str, transforms: dict[str, list]) -> ImageData:
    import torch
    import torchvision

    cls_name = TORCHVISION_SETS[name]
    root = cache_dir("torchvision")
    cls = getattr(torchvision.datasets, cls_name)
    try:
        train = cls(root=str(root), train=True, download=True)
        test = cls(root=str(root), train=False, download=True)
    except Exception as exc:  # torchvision raises several kinds when a download fails
        folder = root / cls_name / "raw" if cls_name != "CIFAR10" else root
        files = ", ".join(_RAW_FILES.get(cls_name, _RAW_FILES["MNIST"]))
        raise DataError(
            f"builtin:{name} is downloaded on first use, and the download failed ({_reason(exc)}). "
            f"Offline, put its files ({files}) in {folder}.",
            source=f"builtin:{name}",
        ) from None
    if cls_name == "CIFAR10":

        def to_tensor(ds):  # noqa: ANN001, ANN202
            return torch.from_numpy(np.ascontiguousarray(ds.data)).permute(0, 3, 1, 2).contiguous(), torch.as_tensor(
                ds.targets
            )
    else:

        def to_tensor(ds):  # noqa: ANN001, ANN202
            return ds.data.unsqueeze(1), torch.as_tensor(ds.targets)

    x_train, y_train = to_tensor(train)
    x_test, y_test = to_tensor(test)
    image_shape = tuple(int(d) for d in x_train.shape[1:])
    input_shape = resolve_shapes(image_shape, transforms, False)
    classes = [str(c) for c in train.classes]
    return ImageData(
        TensorImages(x_train, y_train, build_transforms(transforms["train"])),
        TensorImages(x_test, y_test, build_transforms(transforms["test"])),
        classes,
        image_shape,
        input_shape,
        f"builtin:{name}",
        transforms,
        "given",
    )
