"""A folder of images as a data set: the class layout (one sub-folder per class, or train/ and
test/ each with class folders, or either inside one wrapper folder, as a zip often has it),
the scan that keeps the usable images and reports the rest (files that are not images, files
that cannot be read or used), and the resulting ``ImageData``. Symbolic links inside the
folder (to files or to folders) are skipped and reported, since a link can lead anywhere on
the machine. Separate because this is all a folder needs, and a zip is loaded as a folder
once extracted."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError
from .image_datasets import FileImages, ImageData, split_random
from .image_transforms import build_transforms, norm_transforms, resolve_shapes
from .pixels import ImageInfo, ImageRefused, float_scale, inspect_image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


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
    transforms = norm_transforms(transforms)
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
    input_shape = resolve_shapes(image_shape, transforms, len(sizes) > 1)
    if given_split:
        if not test_files:
            raise DataError(f"{label}/test holds no images", source=label)
        empty = [c for i, c in enumerate(classes) if i not in set(test_labels)]
        if empty:
            warnings.append(f"no test images for class(es) {', '.join(empty)}")
    else:
        labels_arr = np.asarray(train_labels)
        train_pos, test_pos = split_random(labels_arr, classes, test_size, seed)
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
