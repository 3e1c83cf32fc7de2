"""A folder of 8-bit images of one size is read into memory once for training: every image
equals what the file gives when opened on its own (the loader's one-at-a-time path is the
oracle), whatever Pillow mode it was saved in; sets that are not 8-bit, not of one size or
too big stay on file; a run on such a folder trains on tensors and learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import dlp_widgets as dlp
from dlp_widgets.data import image_memory, load_images
from dlp_widgets.data.image_datasets import FileImages, TensorImages
from dlp_widgets.data.image_memory import held_in_memory


def write_set(root, modes, size=(12, 10), per_class=6, seed=0):
    rng = np.random.default_rng(seed)
    for label in ("a", "b", "c"):
        (root / label).mkdir(parents=True)
        for i in range(per_class):
            mode = modes[i % len(modes)]
            rgb = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
            img = Image.fromarray(rgb)
            if mode == "P":
                img = img.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
            elif mode != "RGB":
                img = img.convert(mode)
            img.save(root / label / f"{i}.png")
    return root


@pytest.mark.parametrize(
    "modes", [["RGB"], ["RGBA", "RGB"], ["P", "RGB"], ["L"], ["1", "L"], ["LA", "L"]], ids=lambda m: "+".join(m)
)
def test_every_image_held_equals_the_file_read_on_its_own(tmp_path, modes):
    data = load_images(f"folder:{write_set(tmp_path, modes)}", test_size=0.3)
    for files in (data.train, data.test):
        assert isinstance(files, FileImages)
        held = held_in_memory(files, data.image_shape)
        assert isinstance(held, TensorImages) and held.images.dtype == torch.uint8
        assert len(held) == len(files)
        for i in range(len(files)):
            x_file, y_file = files[i]
            x_held, y_held = held[i]
            torch.testing.assert_close(x_held, x_file, rtol=0, atol=0)
            assert y_held == y_file


def test_a_set_of_several_sizes_stays_on_file(tmp_path):
    write_set(tmp_path / "one", ["RGB"], size=(12, 10))
    write_set(tmp_path / "two", ["RGB"], size=(9, 9), seed=1)
    for label in ("a", "b", "c"):
        for f in (tmp_path / "two" / label).iterdir():
            f.rename(tmp_path / "one" / label / f"small-{f.name}")
    resize = [{"type": "Resize", "params": {"size": [8, 8]}}]
    data = load_images(f"folder:{tmp_path / 'one'}", {"train": resize, "test": resize})
    assert held_in_memory(data.train, data.image_shape) is data.train


def test_sixteen_bit_grey_stays_on_file(tmp_path):
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(3):
            Image.fromarray(np.full((6, 6), 1000 * (i + 1), dtype=np.uint16)).save(tmp_path / label / f"{i}.png")
    data = load_images(f"folder:{tmp_path}", test_size=0.3)
    assert held_in_memory(data.train, data.image_shape) is data.train


def test_a_set_over_the_budget_stays_on_file(tmp_path, monkeypatch):
    data = load_images(f"folder:{write_set(tmp_path, ['RGB'])}")
    monkeypatch.setattr(image_memory, "MAX_HELD_BYTES", len(data.train) * 3 * 10 * 12 - 1)
    assert held_in_memory(data.train, data.image_shape) is data.train


def test_a_file_changed_after_the_check_is_named(tmp_path):
    root = write_set(tmp_path, ["RGB"])
    data = load_images(f"folder:{root}")
    broken = data.train.files[2]
    Image.fromarray(np.zeros((4, 4), dtype=np.int32)).save(broken.with_suffix(".tif"))
    broken.with_suffix(".tif").replace(broken)
    with pytest.raises(dlp.DataError, match=broken.name):
        held_in_memory(data.train, data.image_shape)


def test_a_run_on_a_folder_trains_on_tensors_and_learns(tmp_path):
    from dlp_widgets.engine.runner import _new_run

    root = tmp_path / "shapes"
    rng = np.random.default_rng(0)
    for label, value in (("dark", 40), ("light", 210)):
        (root / label).mkdir(parents=True)
        for i in range(40):
            pixels = np.clip(value + rng.normal(0, 30, size=(8, 8, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / label / f"{i}.png")
    spec = {
        "model": {"input_shape": [3, 8, 8], "layers": [{"type": "Flatten"}, {"type": "Linear", "params": {"out_features": 2}}]},
        "data": {"source": f"folder:{root}"},
        "training": {"epochs": 10, "lr": 0.05, "batch_size": 16},
    }  # fmt: skip
    run, trainer = _new_run(spec, None, store=None)
    assert trainer.train_split.x is not None and trainer.train_split.x.dtype == torch.float32
    trainer.fit()
    run2 = dlp.train(spec, dashboard=False)
    assert run2.status == "finished" and run2.metrics["test_accuracy"] == 1.0
