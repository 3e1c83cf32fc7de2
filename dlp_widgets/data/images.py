"""Image data: built-in sets, folders of images, uploaded zips, and the transforms.

Images become float tensors in [0, 1] of shape [C, H, W] (the implicit ToTensor), then go
through the spec's transform list. In-memory sets (digits, MNIST, …) stay one tensor; files
are opened lazily, one at a time, so a few thousand pictures do not fill the memory. How each
pixel depth (16-bit, float, palette, …) is scaled into [0, 1], and which files are refused,
is in :mod:`.pixels`.

Symbolic links inside a folder (to files or to folders) are skipped and reported, since a
link can lead anywhere on the machine. An uploaded zip is extracted once into the cache, and
safely when several kernels load it at the same time (see ``_cached_extraction``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import secrets
import shutil
import time
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
from .pixels import ImageInfo, ImageRefused, float_scale, inspect_image, open_image, to_8bit, to_array

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
    """A dataset over image files, opened one at a time. ``mode`` is "L" or "RGB";
    ``float_scale`` divides the set's float images (see :mod:`.pixels`)."""

    def __init__(
        self, files: list[Path], labels: list[int], mode: str, transform: Callable, float_scale: float = 1.0
    ) -> None:
        self.files, self.labels, self.mode, self.transform = files, labels, mode, transform
        self.float_scale = float_scale

    def __len__(self) -> int:
        return len(self.files)

    def _read(self, i: int, how: Callable) -> Any:
        try:
            with open_image(self.files[i]) as img:
                return how(img, 1 if self.mode == "L" else 3, self.float_scale)
        except ImageRefused as exc:  # the file was changed after the folder was checked
            raise DataError(f"{self.files[i]} {exc.reason}") from None

    def pixels(self, i: int) -> np.ndarray:
        """Image i as float32 [C, H, W] in [0, 1], before the transforms."""
        return self._read(i, to_array)

    def preview(self, i: int) -> Any:
        """Image i as an 8-bit PIL image, scaled as the model sees it."""
        return self._read(i, to_8bit)

    def __getitem__(self, i: int):  # noqa: ANN204
        import torch

        return self.transform(torch.from_numpy(self.pixels(i))), self.labels[i]


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
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith((".", "__")))


def _linked_dirs(root: Path) -> list[Path]:
    """Symbolic links to folders where class folders (or train/ and test/) would be."""
    return sorted(p for p in root.iterdir() if p.is_symlink() and p.is_dir() and not p.name.startswith((".", "__")))


@dataclass
class _Report:
    """What a folder scan found besides the usable images."""

    skipped: int = 0  # files that are not images
    broken: list[str] = field(default_factory=list)  # "cats/a.png (why)": cannot be read
    refused: list[str] = field(default_factory=list)  # "cats/a.png why": read, but unusable
    links: set[Path] = field(default_factory=set)  # symbolic links, not followed
    infos: list[ImageInfo] = field(default_factory=list)  # one per usable image


def _files_under(folder: Path, links: set[Path]) -> list[Path]:
    """Regular files under folder, at any depth. Symbolic links, to files or to folders, are
    not followed but collected in links: a link can lead anywhere on the machine."""
    files = []
    for entry in folder.iterdir():
        if entry.is_symlink():
            if not entry.name.startswith("."):  # hidden entries are ignored without a word, as ever
                links.add(entry)
        elif entry.is_dir():
            files += _files_under(entry, links)
        elif entry.is_file():
            files.append(entry)
    return files


def _scan(class_root: Path, classes: list[str], report: _Report) -> tuple[list[Path], list[int]]:
    """Usable image files and their labels under class_root/<class>/; what is left out, and
    why, goes into report."""
    from PIL import UnidentifiedImageError

    files, labels = [], []
    for label, cls in enumerate(classes):
        folder = class_root / cls
        if not folder.is_dir() or folder.is_symlink():  # a linked class folder: noted by load_folder
            continue
        for path in sorted(_files_under(folder, report.links)):
            if path.name.startswith("."):
                continue
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                report.skipped += 1
                continue
            shown = path.relative_to(class_root)
            try:
                report.infos.append(inspect_image(path))
            except ImageRefused as exc:
                report.refused.append(f"{shown} {exc.reason}")
                continue
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
                first_line = (str(exc).splitlines() or [""])[0][:80]
                report.broken.append(f"{shown} ({first_line or type(exc).__name__})")
                continue
            files.append(path)
            labels.append(label)
    return files, labels


def _listed(items: list[str]) -> str:
    return "; ".join(items[:5]) + (f"; and {len(items) - 5} more" if len(items) > 5 else "")


def _links_named(report: _Report, root: Path) -> str:
    names = sorted(str(p.relative_to(root)) for p in report.links)
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _links_hint(report: _Report, root: Path) -> str:
    """A clause for an error about missing classes or images: a skipped link may explain it."""
    return f"; symbolic links are not followed ({_links_named(report, root)})" if report.links else ""


def _raise_for_unusable(report: _Report, label: str) -> None:
    if report.broken:
        raise DataError(
            f"{len(report.broken)} image file(s) in {label} cannot be read: {_listed(report.broken)}", source=label
        )
    if report.refused:
        raise DataError(
            f"{len(report.refused)} image file(s) in {label} cannot be used: {_listed(report.refused)}", source=label
        )


def _scan_warnings(report: _Report, root: Path) -> list[str]:
    warnings = []
    if report.skipped:
        warnings.append(f"{report.skipped:,} file(s) that are not images were skipped")
    if report.links:
        warnings.append(
            f"{len(report.links):,} symbolic link(s) were skipped, since a link can lead outside the folder: "
            f"{_links_named(report, root)}"
        )
    return warnings


def load_folder(
    root: Path | str, transforms: dict | None = None, *, test_size: float = 0.2, seed: int = 0, name: str | None = None
) -> ImageData:
    root = Path(root).expanduser()
    label = name or f"folder:{root}"
    if not root.is_dir():
        raise DataError(f"no such folder: {root}", source=label)
    transforms = _norm_transforms(transforms)
    subdirs = _class_dirs(root)
    report = _Report(links=set(_linked_dirs(root)))
    names = {p.name.lower() for p in subdirs}
    given_split = {"train", "test"} <= names
    # a zip's wrapper folder; not when a link was skipped beside it (train/ linked, test/ real)
    if not given_split and len(subdirs) == 1 and not report.links and _class_dirs(subdirs[0]):
        return load_folder(subdirs[0], transforms, test_size=test_size, seed=seed, name=label)
    if given_split:
        train_root = next(p for p in subdirs if p.name.lower() == "train")
        test_root = next(p for p in subdirs if p.name.lower() == "test")
        report.links.update(_linked_dirs(train_root), _linked_dirs(test_root))
        classes = sorted({p.name for p in _class_dirs(train_root)} | {p.name for p in _class_dirs(test_root)})
    else:
        train_root = test_root = root
        classes = [p.name for p in subdirs]
    if len(classes) < 2:
        found = f" ({classes[0]})" if classes else ""
        raise DataError(
            f"{label} holds {len(classes)} class folder(s){found}; a classifier needs at least two "
            f"(one sub-folder per class, or train/<class>/ and test/<class>/){_links_hint(report, root)}",
            source=label,
        )
    train_files, train_labels = _scan(train_root, classes, report)
    if given_split:
        test_files, test_labels = _scan(test_root, classes, report)
    _raise_for_unusable(report, label)
    if not train_files:
        raise DataError(
            f"{label} holds no image files ({', '.join(sorted(IMAGE_SUFFIXES))}){_links_hint(report, root)}",
            source=label,
        )
    warnings = _scan_warnings(report, root)
    mode = "L" if all(info.grey for info in report.infos) else "RGB"
    sizes = {(info.height, info.width) for info in report.infos}
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
    scale = float_scale(report.infos)
    return ImageData(
        FileImages(train_files, train_labels, mode, build_transforms(transforms["train"]), scale),
        FileImages(test_files, test_labels, mode, build_transforms(transforms["test"]), scale),
        classes,
        image_shape,
        input_shape,
        label,
        transforms,
        "given" if given_split else "random",
        skipped_files=report.skipped,
        warnings=warnings,
    )


# An extraction is complete when this file is in it: it is written last, in the temporary
# folder, before the folder is renamed into place.
_COMPLETE_MARK = ".dlp-extracted"
_STALE_AFTER_S = 24 * 3600  # a temporary folder this old was left by a kernel that died


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _is_complete(folder: Path) -> bool:
    return folder.is_dir() and not folder.is_symlink() and (folder / _COMPLETE_MARK).is_file()


def _remove_stale(uploads: Path) -> None:
    """Temporary folders left behind by a kernel that died while extracting."""
    cutoff = time.time() - _STALE_AFTER_S
    for entry in uploads.iterdir():
        try:
            if entry.name.startswith(".") or entry.name.endswith(".part"):
                if entry.lstat().st_mtime < cutoff:
                    _remove(entry)
        except OSError:  # removed meanwhile by another kernel
            continue


def _set_aside(folder: Path) -> None:
    """Remove an unfinished folder (or whatever else holds the name): renamed first, so that
    the name is free at once, even while the deletion runs."""
    aside = folder.with_name(f".{folder.name}.{secrets.token_hex(4)}.old")
    try:
        os.rename(folder, aside)
    except FileNotFoundError:  # another kernel set it aside first
        return
    _remove(aside)


def _move_into_place(tmp: Path, dest: Path) -> None:
    for _ in range(5):
        try:
            os.rename(tmp, dest)  # atomic: fails if dest exists (unless it is an empty folder)
            return
        except OSError:
            if _is_complete(dest):  # another kernel extracted the same zip first: use its folder
                return
        _set_aside(dest)
    raise DataError(f"the unzipped files cannot be put into the cache folder {dest}; delete it and try again")


def _cached_extraction(raw: bytes, name: str) -> Path:
    """The zip's files in the cache, extracted once per content.

    Several kernels may load one zip at the same moment. Each extracts into a temporary
    folder of its own, marks it complete and renames it into place. The rename is atomic,
    so a reader finds no folder or a complete one. A kernel that loses the race uses the
    winner's folder and removes its own copy."""
    uploads = cache_dir("uploads")
    dest = uploads / hashlib.sha256(raw).hexdigest()[:24]
    if _is_complete(dest):
        return dest
    _remove_stale(uploads)
    tmp = uploads / f".{dest.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        extract_zip(raw, tmp, name=name)
        (tmp / _COMPLETE_MARK).touch()
        _move_into_place(tmp, dest)
    finally:
        _remove(tmp)  # the loser's copy, or what a failed extraction left; gone after a rename
    return dest


def load_zip(
    data: bytes | Path,
    transforms: dict | None = None,
    *,
    test_size: float = 0.2,
    seed: int = 0,
    name: str = "the uploaded zip",
) -> ImageData:
    raw = data.read_bytes() if isinstance(data, Path) else data
    dest = _cached_extraction(raw, str(data) if isinstance(data, Path) else "the upload")
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
            pic = ds.preview(i)
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
