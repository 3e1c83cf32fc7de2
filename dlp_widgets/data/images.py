"""Image data: built-in sets, folders of images, uploaded zips, and the transforms.

Images become float tensors in [0, 1] of shape [C, H, W] (the implicit ToTensor), then go
through the spec's transform list. In-memory sets (digits, MNIST, …) stay one tensor; files
are opened lazily, one at a time, so a few thousand pictures do not fill the memory.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..home import cache_dir
from ..spec.errors import SpecError
from ..spec.transforms import TRANSFORMS, transformed_shape
from .errors import DataError
from .fetch import extract_zip

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
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


def build_transforms(items: list[dict[str, Any]]) -> Callable:
    """A torchvision v2 pipeline from validated spec items (names map to classes; nothing
    from the spec is evaluated)."""
    from torchvision.transforms import v2

    steps = []
    for item in items:
        entry = TRANSFORMS[item["type"]]
        params = {**entry.defaults(), **item.get("params", {})}
        if "sigma" in params:
            params["sigma"] = tuple(params["sigma"]) if len(params["sigma"]) == 2 else params["sigma"][0]
        if entry.name == "ColorJitter":
            params = {k: (v if v > 0 else None) for k, v in params.items()}
        steps.append(getattr(v2, entry.name)(**params))
    return v2.Compose(steps) if steps else (lambda x: x)


class TensorImages:
    """A dataset over images already in memory: uint8 or float [N, C, H, W]."""

    def __init__(self, images, labels, transform: Callable) -> None:  # noqa: ANN001
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):  # noqa: ANN204
        import torch

        x = self.images[i]
        x = x.float().div(255) if x.dtype == torch.uint8 else x
        return self.transform(x), int(self.labels[i])


class FileImages:
    """A dataset over image files, opened one at a time."""

    def __init__(self, files: list[Path], labels: list[int], mode: str, transform: Callable) -> None:
        self.files, self.labels, self.mode, self.transform = files, labels, mode, transform

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int):  # noqa: ANN204
        from PIL import Image
        from torchvision.transforms.v2 import functional as F

        with Image.open(self.files[i]) as img:
            x = F.pil_to_tensor(img.convert(self.mode)).float().div(255)
        return self.transform(x), self.labels[i]


@dataclass
class ImageData:
    train: Any
    test: Any
    classes: list[str]
    image_shape: tuple[int, int, int]  # as stored, before transforms
    input_shape: list[int]  # what the model receives, after the transforms
    source: str
    transforms: dict[str, list[dict[str, Any]]]
    split: str  # "given" (the set's own train/test) or "random"
    skipped_files: int = 0
    warnings: list[str] = field(default_factory=list)
    kind: str = "image"
    task: str = "classification"

    @property
    def n_outputs(self) -> int:
        return len(self.classes)

    @property
    def preprocessor(self) -> dict[str, Any]:
        """What a prediction on a new image needs (plain JSON)."""
        return {
            "kind": "image",
            "classes": self.classes,
            "image_shape": list(self.image_shape),
            "transforms": self.transforms["test"],
            "mode": "L" if self.image_shape[0] == 1 else "RGB",
        }

    def class_counts(self) -> dict[str, dict[str, int]]:
        out = {}
        for split, ds in (("train", self.train), ("test", self.test)):
            labels = ds.labels.tolist() if hasattr(ds.labels, "tolist") else list(ds.labels)
            counts = Counter(labels)
            out[split] = {self.classes[k]: int(counts.get(k, 0)) for k in range(len(self.classes))}
        return out


def _resolve_shapes(image_shape: tuple[int, int, int], transforms: dict[str, list], varying: bool) -> list[int]:
    try:
        train_shape = transformed_shape(transforms["train"], image_shape, "train")
        test_shape = transformed_shape(transforms["test"], image_shape, "test")
    except SpecError as exc:
        raise DataError(exc.message) from None
    if train_shape != test_shape:
        raise DataError(
            f"the train transforms produce {list(train_shape)} but the test transforms produce "
            f"{list(test_shape)}; the model needs one input shape"
        )

    def fixes_size(t: dict[str, Any]) -> bool:
        return t["type"] == "CenterCrop" or (
            t["type"] == "Resize" and isinstance(t.get("params", {}).get("size"), list)
        )

    if varying and not (any(map(fixes_size, transforms["train"])) and any(map(fixes_size, transforms["test"]))):
        raise DataError(
            "the images have different sizes; add a Resize with [height, width] (or a CenterCrop) to both transform lists"
        )
    return list(test_shape)


def _split_random(labels: np.ndarray, classes: list[str], test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from .tabular import split_positions

    return split_positions(len(labels), labels, classes, test_size=test_size, shuffle=True, seed=seed)


def _norm_transforms(transforms: dict[str, list] | None) -> dict[str, list]:
    return {"train": list((transforms or {}).get("train", [])), "test": list((transforms or {}).get("test", []))}


# ---------------------------------------------------------------- built-in sets


def load_builtin_images(
    name: str, transforms: dict | None = None, *, test_size: float = 0.2, seed: int = 0
) -> ImageData:
    import torch

    transforms = _norm_transforms(transforms)
    if name in ("digits", "digits_images"):
        from .builtin import digits_images

        images, labels = digits_images()
        classes = [str(i) for i in range(10)]
        train_pos, test_pos = _split_random(labels, classes, test_size, seed)
        x = torch.from_numpy(images).unsqueeze(1)
        y = torch.from_numpy(labels)
        input_shape = _resolve_shapes((1, 8, 8), transforms, False)
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
    input_shape = _resolve_shapes(image_shape, transforms, False)
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


# ---------------------------------------------------------------- folders and zips


def _class_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))


def _scan(class_root: Path, classes: list[str]) -> tuple[list[Path], list[int], int, list[str]]:
    """Image files and labels under class_root/<class>/; counts of skipped and broken files."""
    from PIL import Image, UnidentifiedImageError

    files, labels, skipped, broken = [], [], 0, []
    for label, cls in enumerate(classes):
        folder = class_root / cls
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.is_symlink() or path.name.startswith("."):
                continue
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                skipped += 1
                continue
            try:
                with Image.open(path) as img:
                    img.verify()
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
                broken.append(f"{path.relative_to(class_root)} ({str(exc).splitlines()[0][:80] or type(exc).__name__})")
                continue
            files.append(path)
            labels.append(label)
    return files, labels, skipped, broken


def _image_mode_and_sizes(files: list[Path]) -> tuple[str, set[tuple[int, int]]]:
    from PIL import Image

    grey, sizes = True, set()
    for path in files:
        with Image.open(path) as img:
            sizes.add((img.height, img.width))
            if img.mode not in ("L", "1", "I", "I;16", "F", "LA"):
                grey = False
    return ("L" if grey else "RGB"), sizes


def load_folder(
    root: Path | str, transforms: dict | None = None, *, test_size: float = 0.2, seed: int = 0, name: str | None = None
) -> ImageData:
    root = Path(root).expanduser()
    label = name or f"folder:{root}"
    if not root.is_dir():
        raise DataError(f"no such folder: {root}", source=label)
    transforms = _norm_transforms(transforms)
    subdirs = _class_dirs(root)
    names = {p.name.lower() for p in subdirs}
    given_split = {"train", "test"} <= names
    if not given_split and len(subdirs) == 1 and _class_dirs(subdirs[0]):
        return load_folder(subdirs[0], transforms, test_size=test_size, seed=seed, name=label)  # a zip's wrapper folder
    if given_split:
        train_root = next(p for p in subdirs if p.name.lower() == "train")
        test_root = next(p for p in subdirs if p.name.lower() == "test")
        classes = sorted({p.name for p in _class_dirs(train_root)} | {p.name for p in _class_dirs(test_root)})
    else:
        train_root = test_root = root
        classes = [p.name for p in subdirs]
    if len(classes) < 2:
        found = f" ({classes[0]})" if classes else ""
        raise DataError(
            f"{label} holds {len(classes)} class folder(s){found}; a classifier needs at least two "
            "(one sub-folder per class, or train/<class>/ and test/<class>/)",
            source=label,
        )
    train_files, train_labels, skipped, broken = _scan(train_root, classes)
    warnings = []
    if given_split:
        test_files, test_labels, skipped2, broken2 = _scan(test_root, classes)
        skipped += skipped2
        broken += broken2
    if broken:
        listed = "; ".join(broken[:5]) + (f"; and {len(broken) - 5} more" if len(broken) > 5 else "")
        raise DataError(f"{len(broken)} image file(s) in {label} cannot be read: {listed}", source=label)
    if not train_files:
        raise DataError(f"{label} holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))})", source=label)
    if skipped:
        warnings.append(f"{skipped:,} file(s) that are not images were skipped")
    all_files = train_files + (test_files if given_split else [])
    mode, sizes = _image_mode_and_sizes(all_files)
    channels = 1 if mode == "L" else 3
    h, w = max(sizes)
    image_shape = (channels, h, w)
    input_shape = _resolve_shapes(image_shape, transforms, len(sizes) > 1)
    if given_split:
        if not test_files:
            raise DataError(f"{label}/test holds no images", source=label)
        empty = [c for i, c in enumerate(classes) if i not in set(test_labels)]
        if empty:
            warnings.append(f"no test images for class(es) {', '.join(empty)}")
    else:
        labels_arr = np.asarray(train_labels)
        train_pos, test_pos = _split_random(labels_arr, classes, test_size, seed)
        test_files = [train_files[i] for i in test_pos]
        test_labels = [train_labels[i] for i in test_pos]
        train_files = [train_files[i] for i in train_pos]
        train_labels = [int(labels_arr[i]) for i in train_pos]
    return ImageData(
        FileImages(train_files, train_labels, mode, build_transforms(transforms["train"])),
        FileImages(test_files, test_labels, mode, build_transforms(transforms["test"])),
        classes,
        image_shape,
        input_shape,
        label,
        transforms,
        "given" if given_split else "random",
        skipped_files=skipped,
        warnings=warnings,
    )


def load_zip(
    data: bytes | Path,
    transforms: dict | None = None,
    *,
    test_size: float = 0.2,
    seed: int = 0,
    name: str = "the uploaded zip",
) -> ImageData:
    raw = data.read_bytes() if isinstance(data, Path) else data
    digest = hashlib.sha256(raw).hexdigest()[:24]
    dest = cache_dir("uploads") / digest
    if not dest.is_dir():
        extract_zip(raw, dest, name=str(data) if isinstance(data, Path) else "the upload")
    return load_folder(dest, transforms, test_size=test_size, seed=seed, name=name)


def load_images(source: Any, transforms: dict | None = None, *, test_size: float = 0.2, seed: int = 0) -> ImageData:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return load_zip(bytes(source), transforms, test_size=test_size, seed=seed)
    if not isinstance(source, str):
        raise DataError("an image source is builtin:NAME, folder:PATH, zip:PATH or uploaded zip bytes")
    if source.startswith("builtin:"):
        return load_builtin_images(source[len("builtin:") :], transforms, test_size=test_size, seed=seed)
    if source.startswith("folder:"):
        return load_folder(source[len("folder:") :], transforms, test_size=test_size, seed=seed)
    if source.startswith("zip:"):
        path = Path(source[len("zip:") :]).expanduser()
        if not path.is_file():
            raise DataError(f"no such file: {path}", source=source)
        return load_zip(path, transforms, test_size=test_size, seed=seed, name=source)
    raise DataError(f"{source[:80]!r} is not an image source (builtin:NAME, folder:PATH or zip:PATH)")


def thumbnails(data: ImageData, n: int = 6) -> list[dict[str, str]]:
    """A few training images as small PNG data URLs with their class, for summaries."""
    from PIL import Image

    out = []
    ds = data.train
    step = max(1, len(ds) // n)
    for i in range(0, min(len(ds), step * n), step):
        if isinstance(ds, FileImages):
            with Image.open(ds.files[i]) as img:
                pic = img.convert(ds.mode)
                pic.thumbnail((64, 64))
                label = ds.labels[i]
        else:
            x = ds.images[i]
            arr = (x.numpy() * 255).clip(0, 255) if x.dtype.is_floating_point else x.numpy()
            arr = arr.astype("uint8")
            pic = Image.fromarray(arr[0] if arr.shape[0] == 1 else arr.transpose(1, 2, 0))
            label = int(ds.labels[i])
        buf = io.BytesIO()
        pic.save(buf, format="PNG")
        out.append(
            {"label": data.classes[label], "png": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()}
        )
    return out


def summarize_images(data: ImageData) -> dict[str, Any]:
    counts = data.class_counts()
    return {
        "source": data.source,
        "kind": "image",
        "rows": len(data.train) + len(data.test),
        "split": {"train": len(data.train), "test": len(data.test), "how": data.split},
        "classes": data.classes,
        "class_balance": counts["train"],
        "test_class_balance": counts["test"],
        "image_shape": list(data.image_shape),
        "input_shape": data.input_shape,
        "task": "classification",
        "skipped_files": data.skipped_files,
        "warnings": data.warnings,
        "examples": thumbnails(data),
    }
