"""Fixed image transforms done once for a set in memory give the values torchvision gives
image by image; the random steps stay per image and per epoch; a set too large for it is
left as it is; and a run trained so still learns, with final metrics that are its final
weights' own."""

from __future__ import annotations

import pytest
import torch
from torchvision.transforms import v2

import dlp_widgets as dlp
from dlp_widgets.data import image_precompute
from dlp_widgets.data.image_precompute import fixed_head, with_fixed_steps_done
from dlp_widgets.data.image_transforms import build_transforms
from dlp_widgets.data.images import TensorImages

RESIZE = {"type": "Resize", "params": {"size": [28, 28]}}
CROP = {"type": "CenterCrop", "params": {"size": [20, 20]}}
GREY = {"type": "Grayscale", "params": {}}
NORMALISE = {"type": "Normalize", "params": {"mean": [0.5], "std": [0.25]}}
ROTATE = {"type": "RandomRotation", "params": {"degrees": 30}}
FLIP = {"type": "RandomHorizontalFlip", "params": {}}


def images(n: int, channels: int, size: int, dtype: torch.dtype) -> TensorImages:
    g = torch.Generator().manual_seed(n + channels + size)
    if dtype == torch.uint8:
        x = torch.randint(0, 256, (n, channels, size, size), generator=g, dtype=torch.uint8)
    else:
        x = torch.rand((n, channels, size, size), generator=g)
    return TensorImages(x, torch.arange(n) % 3, lambda x: x)


def one_by_one(ds: TensorImages, items: list[dict]) -> torch.Tensor:
    """The oracle: torchvision's pipeline on each image, as a per-sample Dataset does."""
    pipeline = v2.Compose([getattr(v2, t["type"])(**t["params"]) for t in items]) if items else (lambda x: x)
    out = []
    for x in ds.images:
        x = x.float().div(255) if x.dtype == torch.uint8 else x
        out.append(pipeline(x))
    return torch.stack(out)


@pytest.mark.parametrize(
    ("items", "channels", "size", "dtype"),
    [
        ([RESIZE], 1, 8, torch.float32),
        ([RESIZE], 3, 32, torch.uint8),
        ([CROP, NORMALISE], 1, 28, torch.uint8),
        ([GREY, RESIZE, NORMALISE], 3, 16, torch.float32),
        ([{"type": "Resize", "params": {"size": 12}}, CROP], 1, 40, torch.float32),
    ],
)
def test_fixed_steps_done_at_once_equal_torchvision_on_each_image(items, channels, size, dtype):
    ds = images(70, channels, size, dtype)
    done, left = with_fixed_steps_done(ds, items)
    assert left == []
    torch.testing.assert_close(done.images, one_by_one(ds, items), atol=1e-6, rtol=1e-5)
    assert torch.equal(done.labels, ds.labels)


def test_only_the_head_before_the_first_random_step_is_done_at_once():
    items = [RESIZE, ROTATE, NORMALISE]
    assert fixed_head(items) == ([RESIZE], [ROTATE, NORMALISE])
    assert fixed_head([FLIP, RESIZE]) == ([], [FLIP, RESIZE])
    ds = images(40, 1, 8, torch.float32)
    done, left = with_fixed_steps_done(ds, items)
    assert left == [ROTATE, NORMALISE]
    # with the same random numbers, the rest per image gives what the whole list gives
    torch.manual_seed(5)
    got = torch.stack([done[i][0] for i in range(len(done))])
    torch.manual_seed(5)
    whole = build_transforms(items)
    want = torch.stack([whole(x) for x in ds.images])
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)
    # and the random step is still random: two epochs differ
    again = torch.stack([done[i][0] for i in range(len(done))])
    assert not torch.equal(got, again)


def test_a_set_too_large_to_hold_transformed_is_left_as_it_is(monkeypatch):
    ds = images(50, 1, 8, torch.uint8)
    monkeypatch.setattr(image_precompute, "MAX_PRECOMPUTED_BYTES", 50 * 28 * 28 * 4 - 1)
    same, left = with_fixed_steps_done(ds, [RESIZE])
    assert same is ds and left == [RESIZE]


def test_digits_with_rotation_learn_and_end_with_their_own_final_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv("DLP_HOME", str(tmp_path))
    spec = {
        "model": {
            "input_shape": [1, 16, 16],
            "layers": [
                {"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
                {"type": "ReLU"},
                {"type": "MaxPool2d", "params": {"kernel_size": 2}},
                {"type": "Flatten"},
                {"type": "Linear", "params": {"out_features": 10}},
            ],
        },
        "data": {
            "source": "builtin:digits",
            "transforms": {
                "train": [{"type": "Resize", "params": {"size": [16, 16]}}, ROTATE | {"params": {"degrees": 10}}],
                "test": [{"type": "Resize", "params": {"size": [16, 16]}}],
            },
        },
        "training": {"epochs": 4, "batch_size": 64, "lr": 0.003},
    }
    run = dlp.train(spec)
    assert run.status == "finished", run.error
    assert run.metrics["test_accuracy"] > 0.85  # ten classes: chance is 0.1
    # the final metrics are those of the weights the run ends with: a fresh pass agrees
    x, y = run.test_inputs(10_000), run.test_labels()
    assert x is not None and len(x) == len(y) == 360  # the fixed test steps made plain tensors
    with torch.no_grad():
        accuracy = float((run.model(x).argmax(1) == y).float().mean())
    assert accuracy == pytest.approx(run.metrics["test_accuracy"], abs=1e-9)
    assert run.metrics["test_accuracy"] == run.history["test_accuracy"].iloc[-1]
