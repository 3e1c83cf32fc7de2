"""The spec's image transforms made real: ``build_transforms`` turns validated transform items
into a torchvision v2 pipeline, and ``resolve_shapes`` works out the one input shape the
train and test lists give the model (refusing lists that disagree, or images of several sizes
that no Resize or CenterCrop brings to one). Separate because every image source (built-in
sets, folders, zips) and a saved run's predictions use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..spec.errors import SpecError
from ..spec.transforms import TRANSFORMS, transformed_shape
from .errors import DataError


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


def resolve_shapes(image_shape: tuple[int, int, int], transforms: dict[str, list], varying: bool) -> list[int]:
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


def norm_transforms(transforms: dict[str, list] | None) -> dict[str, list]:
    return {"train": list((transforms or {}).get("train", [])), "test": list((transforms or {}).get("test", []))}
