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
        pd.DataFrame([[1, 2, 0]], columns=[1, "1", "y"]),  # equal as text
        pd.DataFrame([[1, 2, 0]], columns=["a", "a", "y"]),
    ],
)
def test_44_two_columns_with_one_name(source):
    err = error(load_table, source)
    assert "has two columns named" in err.message and err.column in ("a", "1")


@pytest.mark.parametrize(
    ("header", "positions"),
    [
        ("a,a,y", "columns 1 and 2"),  # pandas would read the second one as "a.1" and train on it
        ("a, a,y", "columns 1 and 2"),  # equal once the spaces around names are trimmed
        ("x,a,y,a", "columns 2 and 4"),
        ('"a",b,"a"', "columns 1 and 3"),
    ],
)
def test_44b_a_csv_header_naming_a_column_twice_names_both_positions(header, positions):
    err = error(load_table, f"{header}\n1,2,0,3\n3,4,1,5\n".encode())
    assert f'names column "a" twice ({positions})' in err.message and err.column == "a"


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


# ---------------------------------------------------------------- values and types pandas or torch would choke on


@pytest.mark.parametrize(
    "value, words",
    [
        (np.inf, "inf is not a finite number"),
        (-np.inf, "-inf is not a finite number"),
        (1e300, "1e+300 is too large for 32-bit floats"),
    ],
)
def test_46_non_finite_features_are_refused_with_their_row(value, words):
    b = np.arange(40.0)
    b[17] = value
    b[3] = np.nan  # missing stays missing: filled, not refused
    err = error(prepare_tabular, frame_of(a=np.arange(40.0), b=b, y=[i % 2 for i in range(40)]), "y")
    assert f'column "b", row 18: {words}' in err.message, err.message
    assert (err.column, err.row) == ("b", 18)


def test_47_non_finite_values_count_the_csv_header_and_dropped_rows(tmp_path):
    # a table from a CSV file counts rows as a spreadsheet shows it: the header is row 1
    lines = [f"{i},{'inf' if i == 7 else i * 2},{'' if i == 2 else i % 2}" for i in range(30)]
    frame, _ = load_table(csv_file(tmp_path, ("a,b,y\n" + "\n".join(lines) + "\n").encode()))
    err = error(prepare_tabular, frame, "y")  # the row without a target (line 4) is dropped first
    assert 'column "b", row 9: inf is not a finite number' in err.message and err.row == 9
    # the same for a DataFrame: the first data row is row 1, dropped rows still counted
    df = frame_of(a=np.arange(30.0), y=[float(i % 2) for i in range(30)])
    df.loc[[2, 3], "y"] = np.nan
    df.loc[10, "a"] = -np.inf
    err = error(prepare_tabular, df, "y")
    assert 'column "a", row 11: -inf is not a finite number' in err.message and err.row == 11
    # and new rows given to a trained preprocessor
    data = prepare_tabular(frame_of(a=np.arange(30.0), y=[0, 1] * 15), "y")
    err = error(data.preprocessor.transform, frame_of(a=[1.0, 2.0, np.inf]))
    assert 'column "a", row 3: inf is not a finite number' in err.message


@pytest.mark.parametrize(
    "value, words", [(np.inf, "inf is not a finite number"), (-1e300, "-1e+300 is too large for 32-bit floats")]
)
def test_48_non_finite_regression_targets(value, words):
    y = np.arange(30.0) * 1.5
    y[5] = value
    err = error(prepare_tabular, frame_of(x=np.arange(30.0), y=y), "y", task="regression")
    assert f'target "y", row 6: {words}' in err.message and (err.column, err.row) == ("y", 6)


def test_49_a_numeric_column_with_a_few_typos_names_the_first():
    iris, _ = load_table("builtin:iris")
    iris["sepal_length"] = iris["sepal_length"].astype(object)
    iris.loc[10, "sepal_length"] = "abc"
    err = error(prepare_tabular, iris, "species")
    assert 'column "sepal_length", row 11: "abc" is not a number' in err.message
    assert (err.column, err.row) == ("sepal_length", 11)
    values = [f"{i / 10}" for i in range(100)]  # 100 distinct values: not taken for an ID column
    values[18] = "1.2.3"
    values[40] = "x"
    err = error(prepare_tabular, frame_of(a=values, y=[i % 2 for i in range(100)]), "y")
    assert 'column "a", row 19: "1.2.3" is not a number' in err.message and err.row == 19
    # a column with a few numbers among its labels stays categorical
    data = prepare_tabular(frame_of(c=["red", "green", "blue", "7"] * 10, y=[i % 2 for i in range(40)]), "y")
    assert data.preprocessor.features[0].kind == "categorical"


def test_50_a_typo_far_down_a_csv_column_is_found(tmp_path):
    # past the first values, from which the column's kind is decided
    rows = [f"{i * 0.5},{i % 2}" for i in range(20_000)]
    rows[15_000] = '"1,5",1'
    frame, _ = load_table(csv_file(tmp_path, ("a,y\n" + "\n".join(rows) + "\n").encode()))
    err = error(prepare_tabular, frame, "y")
    assert 'column "a", row 15002: "1,5" is not a number' in err.message and err.row == 15_002


_ODD_COLUMNS = {
    "durations": (pd.to_timedelta(np.arange(30), unit="s"), "durations (time spans)"),
    "dates": (pd.date_range("2024-01-01", periods=30), "dates or times"),
    "complex": (np.arange(30) + 1j, "complex numbers"),
    "lists": ([[i, i + 1] for i in range(30)], "lists"),
    "dicts": ([{"k": i} for i in range(30)], "dicts"),
}


@pytest.mark.parametrize("kind", list(_ODD_COLUMNS))
@pytest.mark.parametrize("how", ["summarize", "prepare_tabular"])
def test_51_columns_of_dates_durations_complex_numbers_or_lists(kind, how):
    values, words = _ODD_COLUMNS[kind]
    df = frame_of(a=np.arange(30.0), odd=values, y=[i % 2 for i in range(30)])

    def run(target):
        return summarize(df, target=target) if how == "summarize" else prepare_tabular(df, target)

    as_feature = error(run, "y")
    assert 'column "odd"' in as_feature.message and words in as_feature.message, as_feature.message
    assert as_feature.column == "odd"
    as_target = error(run, "odd")
    assert f'target "odd" holds {words}' in as_target.message and "choose another target" in as_target.message
    assert as_target.column == "odd"
    if kind in ("lists", "dicts"):
        assert as_feature.row == 1 and as_target.row == 1
    # without a target the summary marks the column instead of failing
    summary = summarize(df.drop(columns="y"))
    (entry,) = [c for c in summary["columns"] if c["name"] == "odd"]
    assert entry["distinct"] == 30 and words in entry["problem"]


def test_52_a_list_far_down_a_text_column_is_named():
    labels = ["red", "blue"] * 5000
    labels[9000] = ["red"]  # after the values the column's kind is decided from
    err = error(prepare_tabular, frame_of(c=labels, y=[i % 2 for i in range(10_000)]), "y")
    assert 'column "c", row 9001: it holds lists' in err.message and (err.column, err.row) == ("c", 9001)


def test_53_a_zip_source_that_is_not_a_zip_names_the_file(tmp_path):
    path = tmp_path / "good.csv"
    path.write_bytes(b"a,b\n1,2\n3,4\n")
    err = error(summarize, f"zip:{path}")
    assert f"{path} is not a valid zip file" in err.message and err.source == str(path)
    err = error(load_images, f"zip:{path}")
    assert f"{path} is not a valid zip file" in err.message
    err = error(load_table, f"zip:{path}")
    assert "is an image source" in err.message and "use csv:PATH" in err.message and err.source == f"zip:{path}"


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_54_a_named_pipe_or_device_is_refused_not_waited_on(tmp_path):
    import json
    import os
    import subprocess
    import sys

    pipe = tmp_path / "data.csv"
    os.mkfifo(pipe)
    # in a child with a timeout: opening the pipe used to wait forever for a writer
    out = subprocess.run(
        [sys.executable, "-m", "dlp_widgets.cli", "data", f"csv:{pipe}"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    err = json.loads(out.stdout)["error"]
    assert f"{pipe} is not a regular file (it is a named pipe" in err["message"] and err["source"] == str(pipe)
    assert "is not a regular file" in error(load_table, "csv:/dev/null").message


def test_55_a_missing_marker_in_a_numeric_column_gets_a_hint_and_the_hint_works():
    frame, _ = load_table("builtin:iris")
    frame["sepal_width"] = frame["sepal_width"].astype(object)
    frame.loc[[3, 40], "sepal_width"] = "?"
    err = error(prepare_tabular, frame, target="species")
    assert err.column == "sepal_width" and err.row == 4
    assert '"?" is not a number; if "?" marks a missing value' in err.message
    data = prepare_tabular(frame.replace("?", None), target="species")  # what the hint says
    assert data.X_train.shape[1] == 4
