"""Image files that used to be silently corrupted or crash the loader: deep pixels
(16-bit, 32-bit, float), decompression bombs, two kernels extracting one zip at once, and
symbolic links to folders. Each file is written here, loaded through the real loader, and its
pixels checked against numpy arithmetic on the values written."""

import os
import struct
import subprocess
import sys
import textwrap
import threading
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest

from datagen import image_folder, zip_bytes
from dlp_widgets.data import DataError, load_images, summarize

ROOT = Path(__file__).resolve().parents[2]


def error(fn, *args, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        fn(*args, **kwargs)
    return info.value


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def raw_png(path: Path, pixels: np.ndarray, color_type: int, bit_depth: int = 16) -> None:
    """A PNG written byte by byte (Pillow cannot write 16-bit colour): colour types 0 grey,
    2 RGB, 4 grey + alpha, 6 RGBA; every row unfiltered."""
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = pixels.shape[:2]
    dtype = ">u2" if bit_depth == 16 else "u1"
    rows = b"".join(b"\0" + np.ascontiguousarray(pixels[y]).astype(dtype).tobytes() for y in range(h))
    header = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    body = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)


def header_only_png(path: Path, width: int, height: int) -> None:
    """A tiny PNG that declares a huge image: enough for Pillow's size checks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body)


def save(path: Path, array: np.ndarray, mode: str | None = None, suffix: str = ".png") -> Path:
    from PIL import Image

    path = path.with_suffix(suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(array) if mode is None else Image.fromarray(array, mode=mode)
    img.save(path)
    return path


def loaded(root: Path, **kwargs):
    """(file, pixels as numpy [C, H, W]) for every image of both splits, read through the loader."""
    data = load_images(f"folder:{root}", **kwargs)
    out = {}
    for ds in (data.train, data.test):
        for i, path in enumerate(ds.files):
            x, _ = ds[i]
            out[Path(path).name] = x.numpy()
    return data, out


def two_classes(root: Path, make, per_class: int = 3, seed: int = 0) -> dict[str, np.ndarray]:
    """Calls make(path, rng, class_index) for each file; returns file name -> expected [C, H, W]."""
    rng = np.random.default_rng(seed)
    expected = {}
    for k, cls in enumerate(("low", "high")):
        for i in range(per_class):
            name = f"{cls}{i}"
            expected[name] = make(root / cls / name, rng, k)
    return expected


def check(root: Path, expected: dict[str, np.ndarray], atol: float = 1e-6, channels: int | None = None):
    data, got = loaded(root)
    assert len(got) == len(expected)
    for name, x in got.items():
        want = expected[Path(name).stem]
        if channels is not None:
            assert data.image_shape[0] == channels
        assert x.dtype == np.float32 and x.shape == want.shape, name
        np.testing.assert_allclose(x, want, atol=atol, rtol=0, err_msg=name)
    return data


# ---------------------------------------------------------------- 1. pixel depths


def test_8bit_grey_and_rgb_are_unchanged(tmp_path):
    from PIL import Image
    from torchvision.transforms.v2 import functional as F

    for mode in ("L", "RGB"):
        root = image_folder(tmp_path / mode, mode=mode)
        data, got = loaded(root)
        for ds in (data.train, data.test):
            for path in ds.files:
                with Image.open(path) as img:
                    before = F.pil_to_tensor(img.convert(mode)).float().div(255).numpy()
                assert np.array_equal(got[path.name], before)


def test_16bit_grey_is_scaled_not_clipped(tmp_path):
    def make(path, rng, k):
        values = rng.integers(1_000, 20_000, (6, 5)) if k == 0 else rng.integers(30_000, 65_536, (6, 5))
        save(path, values.astype(np.uint16))  # Pillow writes a 16-bit grey PNG: mode I;16
        return (values / 65535).astype(np.float32)[None]

    expected = two_classes(tmp_path / "g16", make)
    check(tmp_path / "g16", expected, channels=1)

    raw_png(tmp_path / "one" / "a" / "at40000.png", np.full((4, 4), 40_000), 0)
    raw_png(tmp_path / "one" / "a" / "at40000b.png", np.full((4, 4), 40_000), 0)
    raw_png(tmp_path / "one" / "b" / "top.png", np.full((4, 4), 65_535), 0)
    raw_png(tmp_path / "one" / "b" / "topb.png", np.full((4, 4), 65_535), 0)
    _, got = loaded(tmp_path / "one", test_size=0.5)
    assert np.allclose(got["at40000.png"], 40_000 / 65_535) and np.allclose(got["top.png"], 1.0)


def test_16bit_tiff_grey(tmp_path):
    def make(path, rng, k):
        values = rng.integers(0, 65_536, (5, 7))
        save(path, values.astype(np.uint16), suffix=".tif")
        return (values / 65535).astype(np.float32)[None]

    check(tmp_path / "t16", two_classes(tmp_path / "t16", make))


def test_16bit_rgb_png_lands_at_the_same_place(tmp_path):
    # Pillow has no 16-bit colour mode: it keeps the high byte of each sample, so the result is
    # the 16-bit value at 8-bit precision (within one 8-bit step), never clipped
    def make(path, rng, k):
        values = rng.integers(0, 30_000, (4, 6, 3)) if k == 0 else rng.integers(30_000, 65_536, (4, 6, 3))
        raw_png(path.with_suffix(".png"), values, 2)
        return (values.transpose(2, 0, 1) / 65535).astype(np.float32)

    expected = two_classes(tmp_path / "rgb48", make)
    check(tmp_path / "rgb48", expected, atol=1 / 255 + 1e-6, channels=3)

    raw_png(tmp_path / "one" / "a" / "x.png", np.full((2, 2, 3), 40_000), 2)
    raw_png(tmp_path / "one" / "a" / "y.png", np.full((2, 2, 3), 40_000), 2)
    raw_png(tmp_path / "one" / "b" / "x2.png", np.full((2, 2, 3), 1_000), 2)
    raw_png(tmp_path / "one" / "b" / "y2.png", np.full((2, 2, 3), 1_000), 2)
    _, got = loaded(tmp_path / "one", test_size=0.5)
    assert abs(float(got["x.png"].mean()) - 40_000 / 65_535) < 1 / 255
    assert abs(float(got["x2.png"].mean()) - 1_000 / 65_535) < 1 / 255


def test_16bit_grey_mixed_with_rgb_becomes_three_equal_channels(tmp_path):
    def make(path, rng, k):
        if k == 0:
            values = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
            save(path, values)
            return (values.transpose(2, 0, 1) / 255).astype(np.float32)
        values = rng.integers(0, 65_536, (4, 4))
        save(path, values.astype(np.uint16))
        return np.repeat((values / 65535).astype(np.float32)[None], 3, axis=0)

    check(tmp_path / "mixed", two_classes(tmp_path / "mixed", make), channels=3)


def test_float_tiff_in_0_1_is_used_as_is(tmp_path):
    def make(path, rng, k):
        values = rng.random((5, 5), dtype=np.float32) * 0.5 + 0.5 * k
        save(path, values, suffix=".tif")
        return values[None]

    check(tmp_path / "f01", two_classes(tmp_path / "f01", make))


def test_float_tiff_in_0_255_is_divided_by_255(tmp_path):
    def make(path, rng, k):
        values = (rng.random((5, 5)) * 255).astype(np.float32)
        if k == 0 and path.name == "low0":
            values = np.full((5, 5), 0.5, np.float32)  # one dark picture does not switch the rule
        save(path, values, suffix=".tif")
        return values[None] / np.float32(255)

    check(tmp_path / "f255", two_classes(tmp_path / "f255", make))


@pytest.mark.parametrize("bad", [-0.5, 300.0, float("nan")])
def test_float_tiff_without_a_known_range_is_refused(tmp_path, bad):
    root = tmp_path / "fbad"
    for cls in ("a", "b"):
        for i in range(3):
            save(root / cls / f"{i}", np.full((4, 4), 0.25, np.float32), suffix=".tif")
    values = np.full((4, 4), 0.25, np.float32)
    values[1, 1] = bad
    save(root / "b" / "odd", values, suffix=".tif")
    message = error(load_images, f"folder:{root}").message
    assert "b/odd.tif" in message and "float" in message


def test_32bit_integer_tiff_is_refused_with_the_reason(tmp_path):
    root = image_folder(tmp_path / "pets")
    save(root / "cat" / "deep", np.full((8, 8), 40_000, np.int32), suffix=".tif")
    message = error(load_images, f"folder:{root}").message
    assert "cat/deep.tif" in message and "32-bit" in message and "16-bit" in message


def test_palette_images_with_and_without_transparency(tmp_path):
    from PIL import Image

    palette = np.random.default_rng(3).integers(0, 256, (256, 3), dtype=np.uint8)

    def make(path, rng, k):
        index = rng.integers(0, 256, (6, 6), dtype=np.uint8)
        img = Image.fromarray(index, mode="P")
        img.putpalette(palette.tobytes())
        if k == 1:
            img.info["transparency"] = 7
        path.parent.mkdir(parents=True, exist_ok=True)
        img.save(path.with_suffix(".png"))
        return (palette[index].transpose(2, 0, 1) / 255).astype(np.float32)

    check(tmp_path / "pal", two_classes(tmp_path / "pal", make), channels=3)


def test_alpha_is_dropped_and_1bit_becomes_0_or_1(tmp_path):
    def make_la(path, rng, k):
        values = rng.integers(0, 256, (5, 5, 2), dtype=np.uint8)
        save(path, values, mode="LA")
        return (values[..., 0] / 255).astype(np.float32)[None]

    check(tmp_path / "la", two_classes(tmp_path / "la", make_la), channels=1)

    def make_rgba(path, rng, k):
        values = rng.integers(0, 256, (5, 5, 4), dtype=np.uint8)
        save(path, values, mode="RGBA")
        return (values[..., :3].transpose(2, 0, 1) / 255).astype(np.float32)

    check(tmp_path / "rgba", two_classes(tmp_path / "rgba", make_rgba), channels=3)

    def make_bits(path, rng, k):
        from PIL import Image

        bits = rng.integers(0, 2, (5, 9)).astype(bool)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(bits).save(path.with_suffix(".png"))  # mode "1"
        return bits.astype(np.float32)[None]

    check(tmp_path / "bits", two_classes(tmp_path / "bits", make_bits), channels=1)


def test_thumbnails_of_16bit_images_are_not_white(tmp_path):
    import base64
    import io

    from PIL import Image

    for cls in ("a", "b"):
        for i in range(3):
            save(tmp_path / "s" / cls / f"{i}", np.full((8, 8), 40_000, np.uint16))
    summary = summarize(f"folder:{tmp_path / 's'}")
    png = base64.b64decode(summary["examples"][0]["png"].split(",", 1)[1])
    with Image.open(io.BytesIO(png)) as img:
        assert abs(int(np.asarray(img.convert("L")).max()) - 40_000 / 65_535 * 255) <= 1


# ---------------------------------------------------------------- 2. decompression bombs


def test_decompression_bomb_is_a_data_error_naming_the_file(tmp_path):
    root = image_folder(tmp_path / "pets")
    header_only_png(root / "cat" / "huge.png", 20_000, 20_000)
    message = error(load_images, f"folder:{root}").message
    assert "cat/huge.png has 400,000,000 pixels" in message and "refused" in message


def test_image_over_pillows_warning_size_is_refused_without_a_raw_warning(tmp_path):
    root = image_folder(tmp_path / "pets")
    header_only_png(root / "dog" / "big.png", 10_000, 10_000)  # between Pillow's warning and its error
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        message = error(load_images, f"folder:{root}").message
    assert "dog/big.png has 100,000,000 pixels" in message
    assert not [w for w in caught if "decompression bomb" in str(w.message).lower()]


def test_large_image_under_the_limit_loads_without_a_warning(tmp_path):
    root = tmp_path / "large"
    for cls in ("a", "b"):
        for i in range(3):
            header_only_png(root / cls / f"{i}.png", 9_000, 9_000)  # 81 million pixels
    resize = [{"type": "Resize", "params": {"size": [8, 8]}}]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_images(f"folder:{root}", {"train": resize, "test": resize})
    assert data.image_shape == (1, 9_000, 9_000)
    assert not [w for w in caught if "decompression bomb" in str(w.message).lower()]


# ---------------------------------------------------------------- 3. concurrent extraction


def _small_zip(tag: int) -> bytes:
    import io

    from PIL import Image

    entries = {}
    for cls in ("cat", "dog"):
        for i in range(3):
            buf = io.BytesIO()
            Image.fromarray(np.full((4, 4), (tag * 7 + i) % 256, np.uint8)).save(buf, format="PNG")
            entries[f"set/{cls}/{i}.png"] = buf.getvalue()
    entries["set/tag.txt"] = str(tag).encode()  # a different zip, so a fresh extraction, each time
    return zip_bytes(entries)


def _uploads() -> Path:
    return Path(os.environ["DLP_HOME"]) / "cache" / "uploads"


def _leftovers() -> list[str]:
    return sorted(p.name for p in _uploads().iterdir() if p.name.startswith(".") or p.name.endswith(".part"))


def test_two_threads_extracting_one_zip_at_once(tmp_path):
    for tag in range(25):
        raw = _small_zip(tag)
        barrier = threading.Barrier(2)
        results, errors = [], []

        def load(raw=raw, barrier=barrier, results=results, errors=errors):
            barrier.wait()
            try:
                results.append(load_images(raw).classes)
            except Exception as exc:  # reported below, with its type
                errors.append(repr(exc))

        threads = [threading.Thread(target=load) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == [] and results == [["cat", "dog"], ["cat", "dog"]], (tag, errors)
        assert _leftovers() == []
    assert len([p for p in _uploads().iterdir()]) == 25


def test_two_processes_extracting_the_same_zips_at_once(tmp_path):
    zips = []
    for tag in range(12):
        path = tmp_path / f"z{tag}.zip"
        path.write_bytes(_small_zip(100 + tag))
        zips.append(str(path))
    go = tmp_path / "go"
    script = textwrap.dedent(
        f"""
        import json, sys, time
        from pathlib import Path
        from dlp_widgets.data import load_images
        import torchvision  # imported before the start line, so both start together
        Path(sys.argv[1]).write_text("ready")
        while not Path({str(go)!r}).exists():
            time.sleep(0.005)
        out = [load_images("zip:" + z).classes for z in {zips!r}]
        print(json.dumps(out))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / f"ready{k}")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    try:
        for k in range(2):
            for _ in range(2400):
                if (tmp_path / f"ready{k}").exists() or procs[k].poll() is not None:
                    break
                threading.Event().wait(0.05)
        go.write_text("go")
        outs = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
        assert out.strip() == str([["cat", "dog"]] * 12).replace("'", '"')
    assert _leftovers() == []


def test_an_unfinished_cache_folder_is_replaced(tmp_path):
    from dlp_widgets.data.images import load_zip

    raw = _small_zip(999)
    first = load_images(raw)
    assert first.classes == ["cat", "dog"]
    folder = next(p for p in _uploads().iterdir() if p.is_dir())
    # a folder left by an extraction that never finished: no completion mark, a class missing
    for p in sorted(folder.rglob("*"), reverse=True):
        if "dog" in p.parts or p.name.startswith("."):
            p.unlink() if p.is_file() else p.rmdir()
    assert load_zip(raw).classes == ["cat", "dog"]
    assert _leftovers() == []


def test_a_bad_zip_leaves_nothing_behind(tmp_path):
    assert "not a valid zip" in error(load_images, b"PK\x03\x04 this is not really a zip").message
    assert _leftovers() == [] and [p for p in _uploads().iterdir()] == []


# ---------------------------------------------------------------- 4. symbolic links to folders


def test_symlinked_class_folder_is_skipped_and_reported(tmp_path):
    root = image_folder(tmp_path / "pets")
    elsewhere = image_folder(tmp_path / "elsewhere", classes=("fish", "bird"))
    (root / "fish").symlink_to(elsewhere / "fish", target_is_directory=True)
    (root / "cat" / "more").symlink_to(elsewhere / "bird", target_is_directory=True)
    (root / "dog" / "linked.png").symlink_to(elsewhere / "bird" / "0.png")
    data = load_images(f"folder:{root}")
    assert data.classes == ["cat", "dog"]
    files = [*data.train.files, *data.test.files]
    assert len(files) == 12 and all(tmp_path / "pets" in Path(f).parents for f in files)
    note = next(w for w in data.warnings if "symbolic link" in w)
    assert "3 symbolic link(s)" in note and "fish" in note and "cat/more" in note and "dog/linked.png" in note
    assert data.skipped_files == 0  # the count of non-image files, as before


def test_symlinked_train_or_test_folder_is_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    image_folder(elsewhere / "train", classes=("cat", "dog"), per_class=3)
    root = tmp_path / "set"
    image_folder(root / "test", classes=("cat", "dog"), per_class=2)
    (root / "train").symlink_to(elsewhere / "train", target_is_directory=True)
    message = error(load_images, f"folder:{root}").message
    assert "symbolic link" in message and "train" in message

    # a linked class folder inside a real train/ folder
    root2 = tmp_path / "set2"
    image_folder(root2 / "train", classes=("cat",), per_class=3)
    image_folder(root2 / "test", classes=("cat", "dog"), per_class=2)
    (root2 / "train" / "dog").symlink_to(elsewhere / "train" / "dog", target_is_directory=True)
    data = load_images(f"folder:{root2}")
    assert data.classes == ["cat", "dog"] and len(data.train) == 3
    assert any("symbolic link" in w and "train/dog" in w for w in data.warnings)
