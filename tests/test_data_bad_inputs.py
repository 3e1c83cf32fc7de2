"""A corpus of bad inputs: each gives a clear DataError naming the problem (or is handled
the documented way, checked here too)."""

import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from datagen import LocalServer, image_folder, write_png, zip_bytes, zip_folder
from dlp_widgets.data import DataError, load_images, load_table, prepare_tabular, summarize
from dlp_widgets.data.fetch import download, extract_zip


def error(fn, *args, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        fn(*args, **kwargs)
    return info.value


def csv_file(tmp_path, content: bytes, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return f"csv:{path}"


# ---------------------------------------------------------------- CSV files


def test_01_empty_file(tmp_path):
    assert "is empty" in error(load_table, csv_file(tmp_path, b"")).message


def test_02_header_only(tmp_path):
    err = error(load_table, csv_file(tmp_path, b"a,b,c\n"))
    assert "has a header (a, b, c) but no data rows" in err.message


def test_03_ragged_rows_name_the_line(tmp_path):
    err = error(load_table, csv_file(tmp_path, b"a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n1,2,3\n"))
    assert re.search(r"line 4: expected 3 fields like the header, found 4", err.message), err.message
    assert err.row == 4


def test_04_quoted_commas_stay_in_one_field(tmp_path):
    frame, _ = load_table(csv_file(tmp_path, b'name,"size, cm",label\n"Smith, John",1.5,a\n"Doe, Jane",2.5,b\n'))
    assert list(frame.columns) == ["name", "size, cm", "label"]
    assert frame["name"].tolist() == ["Smith, John", "Doe, Jane"]


def test_05_utf8_bom_is_not_part_of_the_first_name(tmp_path):
    frame, _ = load_table(csv_file(tmp_path, "\ufeffprice,city\n1,Zürich\n2,Genève\n".encode("utf-8")))
    assert frame.columns[0] == "price" and frame["city"].tolist() == ["Zürich", "Genève"]
    assert frame.attrs["csv"]["encoding"] == "utf-8-sig"


def test_06_latin1_is_decoded(tmp_path):
    frame, _ = load_table(csv_file(tmp_path, "name,price\ncafé,3\ncrème,4\n".encode("latin-1")))
    assert frame["name"].tolist() == ["café", "crème"] and frame.attrs["csv"]["encoding"] == "latin-1"


def test_07_semicolon_delimited(tmp_path):
    frame, _ = load_table(csv_file(tmp_path, b"a;b;c\n1,5;2;x\n3,5;4;y\n"))
    assert list(frame.columns) == ["a", "b", "c"] and frame.attrs["csv"]["delimiter"] == "semicolon"


def test_08_tab_delimited(tmp_path):
    frame, _ = load_table(csv_file(tmp_path, b"a\tb\n1\t2\n3\t4\n", name="data.tsv"))
    assert list(frame.columns) == ["a", "b"] and frame.attrs["csv"]["delimiter"] == "tab"


def test_09_binary_file(tmp_path):
    assert "not a text file" in error(load_table, csv_file(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00")).message


def test_10_utf16_file(tmp_path):
    assert "UTF-16" in error(load_table, csv_file(tmp_path, "a,b\n1,2\n".encode("utf-16"))).message


def test_11_missing_file():
    assert "no such file" in error(load_table, "csv:/nonexistent/data.csv").message


# ---------------------------------------------------------------- columns and targets


def frame_of(**cols):
    return pd.DataFrame(cols)


def test_12_target_all_missing():
    df = frame_of(x=[1.0, 2, 3, 4], y=[None, None, None, None])
    err = error(prepare_tabular, df, "y")
    assert 'target "y" has no values at all' in err.message and err.column == "y"


def test_13_one_class_only():
    df = frame_of(x=range(10), y=["a"] * 10)
    assert 'only one class ("a")' in error(prepare_tabular, df, "y").message


def test_14_ten_thousand_categories_name_the_column():
    df = frame_of(city=[f"c{i}" for i in range(10_000)], y=[i % 2 for i in range(10_000)])
    err = error(prepare_tabular, df, "y")
    assert 'column "city" has 10,000 distinct values' in err.message and err.column == "city"


def test_15_text_target_for_regression():
    df = frame_of(x=[1.0, 2, 3, 4, 5, 6], species=["setosa", "versicolor"] * 3)
    err = error(prepare_tabular, df, "species", task="regression")
    assert 'target "species" holds text ("setosa" in row 1); regression needs numbers' in err.message


def test_16_free_text_feature():
    words = [f"this review number {i} says the product was fine" for i in range(80)]
    df = frame_of(review=words, y=[i % 2 for i in range(80)])
    assert 'column "review" holds free text' in error(prepare_tabular, df, "y").message


def test_17_dates_feature():
    df = frame_of(when=[f"2024-01-{d:02d}" for d in range(1, 29)], y=[i % 2 for i in range(28)])
    assert 'column "when" holds dates' in error(prepare_tabular, df, "y").message


def test_18_unknown_target_column():
    assert 'there is no column "price"' in error(prepare_tabular, frame_of(a=[1, 2]), "price").message


def test_19_class_with_one_row():
    df = frame_of(x=range(11), y=["a"] * 5 + ["b"] * 5 + ["c"])
    assert 'class "c" has only 1 row' in error(prepare_tabular, df, "y").message


def test_20_smaller_than_one_batch():
    df = frame_of(x=range(20), y=[0, 1] * 10)
    err = error(prepare_tabular, df, "y", batch_size=64)
    assert "fewer than one batch (batch_size 64)" in err.message and "at most 16" in err.message


def test_21_test_split_smaller_than_class_count():
    df = frame_of(x=range(40), y=[i % 8 for i in range(40)])
    assert "fewer than the 8 classes" in error(prepare_tabular, df, "y", test_size=0.1).message


def test_22_empty_feature_column():
    df = frame_of(x=[1.0, 2, 3, 4, 5, 6], empty=[None] * 6, y=[0, 1] * 3)
    assert 'column "empty" has no values' in error(prepare_tabular, df, "y").message


def test_23_unknown_builtin():
    assert "unknown built-in data set" in error(load_table, "builtin:titanic").message


def test_24_california_offline_says_where_to_put_the_file():
    err = error(load_table, "builtin:california_housing")
    assert "Offline, place cal_housing.tgz" in err.message and "cache/california_housing" in err.message


def test_25_mnist_offline_says_where_to_put_the_files():
    err = error(load_images, "builtin:kmnist")
    assert "Offline, put its files" in err.message and "KMNIST/raw" in err.message


def test_26_id_column_and_few_valued_float_targets_warn():
    df = frame_of(x=np.arange(100.0), id=np.arange(100), z=np.tile([0.5, 1.5, 2.5, 3.0], 25))
    assert any("like an ID" in w for w in prepare_tabular(df, "id", ["x"], task="regression").warnings)
    assert any("only 4 distinct values" in w for w in prepare_tabular(df, "z", ["x"], task="regression").warnings)


def test_27_missing_target_rows_dropped_and_features_imputed():
    df = frame_of(
        x=[1.0, None, 3, 4, 5, 6, 7, 8, 9, 10],
        c=["a", "b", None, "a", "b", "a", "b", "a", "b", "a"],
        y=[0, 1, 0, 1, None, 1, 0, 1, 0, 1],
    )
    data = prepare_tabular(df, "y", test_size=0.3)
    assert data.dropped_target_rows == 1 and len(data.y_train) + len(data.y_test) == 9
    assert any("row(s) without a value" in w for w in data.warnings)
    assert not np.isnan(data.X_train).any() and not np.isnan(data.X_test).any()


def test_28_booleans_become_zero_and_one():
    df = frame_of(flag=["yes", "no", "yes", "no"] * 5, y=[0.5, 1.5, 2.5, 3.5] * 5)
    data = prepare_tabular(df, "y", task="regression")
    assert set(np.unique(data.X_train[:, 0])) <= {0.0, 1.0}
    assert data.preprocessor.features[0].kind == "boolean"


# ---------------------------------------------------------------- URLs


def test_29_file_and_ftp_urls_are_refused():
    for url in ("file:///etc/passwd", "ftp://example.invalid/data.csv"):
        assert "only http:// and https:// URLs" in error(load_table, url).message


def test_30_url_404_timeout_size_html_and_redirects():
    with LocalServer() as base:
        frame, _ = load_table(f"{base}/iris.csv")
        assert len(frame) == 30
        assert "answered 404" in error(load_table, f"{base}/missing.csv").message
        assert "over the 1 MB limit" in error(download, f"{base}/declared-big.csv", max_bytes=2**20).message
        assert "larger than the 1 MB limit" in error(download, f"{base}/streamed-big.csv", max_bytes=2**20).message
        assert "did not answer within 0.5 s" in error(download, f"{base}/slow.csv", timeout=0.5).message
        assert "returned text/html, not CSV" in error(load_table, f"{base}/page.html").message
        # redirects may lead only to http(s): urllib refuses file://, our handler ftp://
        assert "file:///etc/passwd' is not allowed" in error(load_table, f"{base}/to-file").message
        assert "not ftp://" in error(load_table, f"{base}/to-ftp").message


# ---------------------------------------------------------------- zips and images


def test_31_zip_with_parent_path(tmp_path):
    data = zip_bytes({"cats/a.png": b"x", "../evil": b"boom"})
    assert "points outside its folder (../evil)" in error(extract_zip, data, tmp_path / "out").message
    assert not (tmp_path / "evil").exists() and not (tmp_path / "out").exists()


def test_32_zip_with_absolute_path(tmp_path):
    assert "absolute path" in error(extract_zip, zip_bytes({"/etc/evil": b"x"}), tmp_path / "out").message


def test_33_zip_bomb(tmp_path):
    bomb = zip_bytes({"zeros.bin": b"\0" * (20 * 2**20)})
    assert len(bomb) < 100_000  # 20 MB squeezed 200-fold and more
    err = error(extract_zip, bomb, tmp_path / "out", max_bytes=2**20)
    assert "zip bomb" in err.message


def test_34_zip_with_symlink(tmp_path):
    data = zip_bytes({"cats/a.png": b"x"}, links={"cats/link.png": "/etc/passwd"})
    assert "symbolic link (cats/link.png)" in error(extract_zip, data, tmp_path / "out").message


def test_35_not_a_zip():
    assert "not a valid zip" in error(load_images, b"PK\x03\x04 this is not really a zip").message


def test_36_image_folder_with_one_class(tmp_path):
    image_folder(tmp_path / "pets", classes=("cat",))
    assert (
        "holds 1 class folder(s) (cat); a classifier needs at least two"
        in error(load_images, f"folder:{tmp_path / 'pets'}").message
    )


def test_37_corrupt_png_is_named(tmp_path):
    root = image_folder(tmp_path / "pets")
    (root / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    err = error(load_images, f"folder:{root}")
    assert "cannot be read: dog/broken.png" in err.message


def test_38_non_images_are_skipped_and_counted(tmp_path):
    root = image_folder(tmp_path / "pets")
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / "dog" / "Thumbs.db").write_bytes(b"\0\0")
    data = load_images(f"folder:{root}")
    assert data.skipped_files == 2 and "2 file(s) that are not images were skipped" in data.warnings
    assert len(data.train) + len(data.test) == 12


def test_39_images_of_different_sizes_need_a_resize(tmp_path):
    root = image_folder(tmp_path / "pets")
    write_png(root / "cat" / "big.png", size=(16, 12))
    assert "different sizes; add a Resize" in error(load_images, f"folder:{root}").message
    resize = [{"type": "Resize", "params": {"size": [8, 8]}}]
    assert load_images(f"folder:{root}", {"train": resize, "test": resize}).input_shape == [1, 8, 8]


def test_40_train_and_test_transforms_must_agree(tmp_path):
    root = image_folder(tmp_path / "pets")
    err = error(
        load_images, f"folder:{root}", {"train": [{"type": "Resize", "params": {"size": [16, 16]}}], "test": []}
    )
    assert "train transforms produce [1, 16, 16] but the test transforms produce [1, 8, 8]" in err.message


def test_41_the_cli_exits_2_with_the_message(tmp_path):
    import json
    import subprocess
    import sys

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n1,2\n3,4,5\n")
    out = subprocess.run(
        [sys.executable, "-m", "dlp_widgets.cli", "data", str(bad)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert json.loads(out.stdout)["error"]["row"] == 3
    out = subprocess.run(
        [sys.executable, "-m", "dlp_widgets.cli", "data", "builtin:iris", "--target", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and 'there is no column \\"nope\\"' in out.stdout


def test_summary_refuses_bad_zip_upload_bytes_cleanly():
    data = zip_bytes({"../x.png": b"1"})
    assert "points outside" in error(summarize, data).message


def test_zip_upload_of_a_folder_loads(tmp_path):
    root = image_folder(tmp_path / "wrapper" / "pets", per_class=5)
    data = load_images(zip_folder(tmp_path / "wrapper"))  # a single wrapper folder is looked into
    assert data.classes == ["cat", "dog"] and data.input_shape == [1, 8, 8]
    assert root.exists() and isinstance(zipfile.ZipFile, type)


# ---------------------------------------------------------------- found by trying to break it


@pytest.mark.parametrize(
    "url, words",
    [
        ("https://example.com/my data.csv", "contains spaces or control characters"),
        ("http://a b/", "contains spaces or control characters"),
        ("http://[::1", "is not a valid URL"),
        ("http://[x]/a.csv", "is not a valid URL"),
        ("https://\u2100/x.csv", "is not a valid URL"),
        ("http://:80/a.csv", "has no host"),
    ],
)
def test_42_malformed_urls_are_refused_before_any_request(url, words):
    assert words in error(load_table, url, timeout=2).message


def test_43_a_path_with_a_nul_byte():
    assert "is not a valid file path" in error(load_table, "csv:\x00").message


@pytest.mark.parametrize(
    "source",
    [
        b"a, a,y\n1,2,0\n3,4,1\n",  # equal once the spaces around names are trimmed
        pd.DataFrame([[1, 2, 0]], columns=[1, "1", "y"]),  # equal as text
        pd.DataFrame([[1, 2, 0]], columns=["a", "a", "y"]),
    ],
)
def test_44_two_columns_with_one_name(source):
    err = error(load_table, source)
    assert "has two columns named" in err.message and err.column in ("a", "1")


def _patched_zip(flag_bits: int = 0, method: int | None = None) -> bytes:
    """A zip whose one entry claims encryption or a compression method zipfile cannot read:
    Python cannot write such zips, so the header fields are set by hand."""
    raw = bytearray(zip_bytes({"cats/a.png": b"x" * 100}))
    for signature, flags_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = raw.index(signature)
        raw[at + flags_at] |= flag_bits
        if method is not None:
            raw[at + method_at : at + method_at + 2] = method.to_bytes(2, "little")
    return bytes(raw)


@pytest.mark.parametrize(
    "archive, words",
    [
        (_patched_zip(flag_bits=0x1), "upload one without a password"),
        (_patched_zip(method=9), "compression method Python cannot read"),
    ],
)
def test_45_encrypted_or_deflate64_zips(tmp_path, archive, words):
    assert words in error(extract_zip, archive, tmp_path / "out").message
    assert list(tmp_path.iterdir()) == []  # no half-written folder left in the cache
