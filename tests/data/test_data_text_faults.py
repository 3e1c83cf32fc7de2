"""Text in tables that goes wrong quietly or slowly: a header of millions of names, a file
without a header row, and names or labels that look the same but are different."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from messy_tables import corpus

from dlp_widgets.data import DataError, load_table, prepare, prepare_tabular, summarize
from dlp_widgets.data.csvread import MAX_COLUMNS, first_row_is_data
from dlp_widgets.data.tabular import Preprocessor
from dlp_widgets.engine.runner import DLPWarning, train
from dlp_widgets.spec import Spec
from dlp_widgets.spec.defaults import default_model


def error(fn, *args, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        fn(*args, **kwargs)
    return info.value


def csv_file(tmp_path, content: bytes, name="data.csv") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return f"csv:{path}"


def timed_error(fn, *args) -> tuple[DataError, float, float]:
    """The DataError, the seconds it took, and the peak of memory traced on the way (MB)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        err = error(fn, *args)
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return err, seconds, peak


# ---------------------------------------------------------------- 1. too many columns


def test_a_header_of_three_million_names_is_refused_at_once(tmp_path):
    # pandas took 234 s and 9.9 GB to fail on such a file: the cap is checked before it parses.
    # The names have one width, so the one cut off by the end of the first 64 KiB read is no
    # other name's start (the old check would then report a name given twice).
    header = ",".join(f"c{i:07d}" for i in range(3_000_000)).encode()
    source = csv_file(tmp_path, header + b"\n" + b"1," * 2_999_999 + b"1\n")
    err, seconds, peak = timed_error(load_table, source)
    assert f"the first row has more than {MAX_COLUMNS:,} columns; the playground takes at most 10,000" in err.message
    assert str(tmp_path / "data.csv") in err.message and err.source == str(tmp_path / "data.csv")
    assert seconds < 5 and peak < 50, (seconds, peak)
    # the same as uploaded bytes, and as one enormous line that never ends
    for data in (header + b"\n1\n", header):
        err, seconds, peak = timed_error(load_table, data)
        assert "more than 10,000 columns" in err.message and seconds < 5 and peak < 50, (seconds, peak)


def test_a_wide_header_read_whole_is_counted_exactly(tmp_path):
    header = ",".join(f"x{i}" for i in range(10_500)).encode()
    assert len(header) < 64 * 1024  # inside the part of the file read first
    err = error(load_table, csv_file(tmp_path, header + b"\n" + b"1," * 10_499 + b"1\n"))
    assert "the first row has 10,500 columns; the playground takes at most 10,000" in err.message
    # 10,000 is still fine, quoted names with delimiters and doubled quotes counted as one each
    names = ['"a, ""b"""'] + [f"x{i}" for i in range(1, MAX_COLUMNS)]
    frame, _ = load_table(csv_file(tmp_path, (",".join(names) + "\n" + "1," * 9_999 + "1\n").encode()))
    assert frame.shape == (1, MAX_COLUMNS) and frame.columns[0] == 'a, "b"'


def test_a_header_longer_than_the_first_64_kib_is_read_whole(tmp_path):
    # the first 64 KiB end inside a name: its cut-off start is not taken for a name, the
    # whole header is read, and a name repeated past those 64 KiB is found (pandas would
    # have renamed it "feature_8000.1")
    names = [f"feature_{i}" for i in range(1, 9_000)]
    header = ",".join(names)
    assert len(header) > 64 * 1024
    frame, _ = load_table(csv_file(tmp_path, f"{header}\n{','.join('1' * len(names))}\n".encode()))
    assert list(frame.columns) == names
    err = error(load_table, csv_file(tmp_path, f"{header},feature_8000\n{','.join('1' * 9_000)}\n".encode()))
    assert 'names column "feature_8000" twice (columns 8000 and 9000)' in err.message


def test_a_first_line_that_never_ends_is_refused_without_reading_the_file(tmp_path):
    err, seconds, _ = timed_error(load_table, csv_file(tmp_path, b"x" * 30_000_000 + b"\n1\n"))
    assert "the first row is over 1,048,576 bytes long" in err.message and seconds < 5
    err = error(load_table, csv_file(tmp_path, b'a,"b,c\n' + b"1,2,3\n" * 300_000))
    assert 'a double quote (") in the first row is not closed' in err.message


def test_a_data_row_far_wider_than_the_header_fails_fast(tmp_path):
    source = csv_file(tmp_path, b"a,b,c\n1,2,3\n" + b"1," * 2_999_999 + b"1\n4,5,6\n")
    err, seconds, _ = timed_error(load_table, source)
    assert "line 3: expected 3 fields like the header, found 3000000" in err.message and err.row == 3
    assert seconds < 5, seconds


def test_too_many_columns_in_a_dataframe():
    frame = pd.DataFrame(np.zeros((2, MAX_COLUMNS + 1)))
    assert "has 10,001 columns; the playground takes at most 10,000" in error(load_table, frame).message


# ---------------------------------------------------------------- 2. no header row

IRIS_DATA = (
    b"5.1,3.5,1.4,0.2,Iris-setosa\n4.9,3.0,1.4,0.2,Iris-setosa\n4.7,3.2,1.3,0.2,Iris-setosa\n"
    b"7.0,3.2,4.7,1.4,Iris-versicolor\n6.4,3.2,4.5,1.5,Iris-versicolor\n6.9,3.1,4.9,1.5,Iris-versicolor\n"
    b"6.3,3.3,6.0,2.5,Iris-virginica\n5.8,2.7,5.1,1.9,Iris-virginica\n7.1,3.0,5.9,2.1,Iris-virginica\n"
) * 4 + b"\n"  # UCI's file ends with a blank line


def test_a_file_without_a_header_row_gets_generated_names_and_a_warning(tmp_path):
    source = csv_file(tmp_path, IRIS_DATA, name="iris.data")
    frame, _ = load_table(source)
    assert list(frame.columns) == [f"column_{i}" for i in range(1, 6)]
    assert len(frame) == 36 and frame.iloc[0].tolist() == [5.1, 3.5, 1.4, 0.2, "Iris-setosa"]  # the first row kept
    assert frame.attrs["csv"]["header"] is False
    said = 'iris.data has no header row: its first row ("5.1", "3.5", "1.4", "0.2", "Iris-setosa") looks like data'
    assert "the columns are named column_1 to column_5" in frame.attrs["csv"]["warnings"][0]
    # the warning reaches the summary (with a target or without) and the preparation a run uses
    assert any(said in w for w in summarize(source)["warnings"])
    assert any(said in w for w in summarize(source, target="column_5")["warnings"])
    spec = {
        "model": default_model([4], 3),
        "data": {"source": source, "target": "column_5"},
        "training": {"epochs": 1, "batch_size": 8},
    }
    assert any(said in w for w in prepare(Spec.from_dict(spec)).warnings)
    with pytest.warns(DLPWarning, match="has no header row"):  # a run in Python says its warnings
        run = train(spec)
    assert run.status == "finished" and any(said in w for w in run.warnings), run.warnings


def test_rows_of_a_file_without_a_header_are_counted_from_its_first_line(tmp_path):
    lines = IRIS_DATA.decode().splitlines()
    lines[6] = lines[6].replace("6.3", "abc")  # line 7 of the file
    frame, _ = load_table(csv_file(tmp_path, "\n".join(lines).encode()))
    err = error(prepare_tabular, frame, "column_5")
    assert 'column "column_1", row 7: "abc" is not a number' in err.message and err.row == 7
    lines = IRIS_DATA.decode().splitlines()
    lines[3] += ",9"
    err = error(load_table, csv_file(tmp_path, "\n".join(lines).encode()))
    assert "line 4: expected 5 fields like the first row, found 6" in err.message


@pytest.mark.parametrize(
    "text, names",
    [
        ("2019,2020,2021\n1.5,2.5,3.5\n4,5,6\n", ["2019", "2020", "2021"]),  # years: rising numbers
        ("country,2019,2020\nFrance,1.5,2\nSpain,3,4\n", ["country", "2019", "2020"]),
        (
            "sepal_length,sepal_width,species\n5.1,3.5,setosa\n4.9,3.0,setosa\n",
            ["sepal_length", "sepal_width", "species"],
        ),
        ("id,name\n1,alice\n2,bob\n", ["id", "name"]),
        ("name,city\nalice,paris\nbob,rome\n", ["name", "city"]),  # words over words: nothing says data
        ("a,b\n1,2\na,b\n3,4\n", ["a", "b"]),  # a header repeated by joining files
        (",a,b\n0,1.5,x\n1,2.5,y\n", ["Unnamed: 0", "a", "b"]),  # pandas' to_csv with the index
    ],
)
def test_a_header_keeps_its_names(text, names):
    frame, _ = load_table(text.encode())
    assert list(frame.columns) == names and frame.attrs["csv"]["header"] is True
    assert "warnings" not in frame.attrs["csv"]


@pytest.mark.parametrize(
    "first, below, expected",
    [
        ("5.1,3.5,1.4,0.2,Iris-setosa", ["4.9,3.0,1.4,0.2,Iris-setosa", "4.7,3.2,1.3,0.2,Iris-setosa"], True),
        # UCI breast-cancer-wisconsin: whole numbers, "1" named twice, "?" for missing
        ("1000025,5,1,1,1,2,1,3,1,1,2", ["1002945,5,4,4,5,7,10,3,2,1,2", "1057013,8,4,5,1,2,?,7,3,1,4"], True),
        # UCI adult: spaces after the commas, words that recur in their column
        ("39, State-gov, 77516, Bachelors", ["50, Self-emp, 83311, Bachelors", "38, Private, 215646, HS-grad"], True),
        ("vhigh,vhigh,2,2,small,low,unacc", ["vhigh,vhigh,2,2,small,med,unacc", "vhigh,vhigh,2,2,big,low,unacc"], True),
        ("2019,2020,2021", ["1.5,2.5,3.5", "4,5,6"], False),
        ("a,b,c", ["1,2,3"], False),
        ("5.1,3.5", ["4.9,3.0,1.2", "4.7,3.2,1.3"], False),  # fewer fields than the rows
        ("5.1,3.5,x", [], False),  # nothing below to compare with
        ("1,2,5", ["3,4,1", "6,1,2"], False),  # a limit: rising numbers read as names
    ],
)
def test_the_rule_for_a_first_row_of_data(first, below, expected):
    assert first_row_is_data(first.split(","), [row.split(",") for row in below]) is expected


def test_line_breaks_of_any_kind_in_a_file_without_a_header():
    for newline in (b"\r\n", b"\r"):
        frame, _ = load_table(IRIS_DATA.replace(b"\n", newline))
        assert frame.attrs["csv"]["header"] is False and frame.shape == (36, 5), newline


def test_decimal_commas_in_a_semicolon_file_without_a_header():
    frame, _ = load_table(b"5,1;3;setosa\n4,9;3,5;setosa\n6;3,3;virginica\n")
    assert (
        list(frame.columns) == ["column_1", "column_2", "column_3"] and frame.attrs["csv"]["delimiter"] == "semicolon"
    )


def test_the_messy_tables_keep_their_headers_and_are_recognised_without_them():
    for table in corpus():
        frame, _ = load_table(table.csv, name=table.filename)
        assert frame.attrs["csv"]["header"] is True, table.name
        bom = table.csv.startswith(b"\xef\xbb\xbf")
        body = (b"\xef\xbb\xbf" if bom else b"") + table.csv.split(b"\n", 1)[1]
        frame, _ = load_table(body, name=table.filename)
        assert frame.attrs["csv"]["header"] is False, table.name


# ---------------------------------------------------------------- 3. names and labels that look alike

CAFE_NFC, CAFE_NFD = "caf\u00e9", "cafe\u0301"


@pytest.mark.parametrize(
    "first, second, named",
    [
        (CAFE_NFC, CAFE_NFD, "U+0301 COMBINING ACUTE ACCENT"),
        ("price", "price\u200b", "U+200B ZERO WIDTH SPACE"),
        ("sepal length", "sepal\u00a0length", "U+00A0 NO-BREAK SPACE"),
        ("a", "\ufeffa", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),  # a byte order mark pasted into a name
    ],
)
def test_columns_that_differ_invisibly_are_refused_with_the_difference(tmp_path, first, second, named):
    source = csv_file(tmp_path, f"x,{first},y,z,{second}\n1,2,0,4,5\n3,4,1,6,7\n".encode())
    shown = first.replace("\u00a0", " ")
    err = error(load_table, source)
    assert err.message == (
        f'{tmp_path / "data.csv"}: columns 2 and 5 are both named "{shown}" once invisible differences are removed '
        f"({named}); rename one of them"
    )
    assert err.column == shown
    frame = pd.DataFrame([[1, 2, 0, 4, 5]], columns=["x", first, "y", "z", second])
    err = error(load_table, frame)
    assert f'the DataFrame: columns 2 and 5 are both named "{shown}"' in err.message and named in err.message


def test_one_look_alike_column_name_is_cleaned(tmp_path):
    text = f"\ufeff sepal\u00a0length\u200b ,{CAFE_NFD},\u200b,y\n1,2,3,0\n3,4,5,1\n"
    frame, _ = load_table(csv_file(tmp_path, text.encode()))
    assert list(frame.columns) == ["sepal length", CAFE_NFC, "Unnamed: 2", "y"]
    frame, _ = load_table(pd.DataFrame([[1, 2, 0]], columns=["sepal\u00a0length", CAFE_NFD, "y"]))
    assert list(frame.columns) == ["sepal length", CAFE_NFC, "y"]
    # the existing messages for names that are simply the same
    assert 'names column "a" twice (columns 1 and 2)' in error(load_table, b"a, a,y\n1,2,0\n").message
    assert "has two columns named 'a'" in error(load_table, pd.DataFrame([[1, 2]], columns=["a", "a"])).message


def test_rows_to_predict_may_have_the_names_as_written():
    frame, _ = load_table(pd.DataFrame({"sepal\u00a0length": np.arange(20.0), "y": [0, 1] * 10}))
    data = prepare_tabular(frame, "y")
    assert data.preprocessor.feature_names == ["sepal length"]
    rows = pd.DataFrame({"sepal\u00a0length": [1.0, 2.0]})
    expected = data.preprocessor.transform(pd.DataFrame({"sepal length": [1.0, 2.0]}))
    np.testing.assert_array_equal(data.preprocessor.transform(rows), expected)


SETOSA_LOOKALIKES = ["setosa", "setosa\u200b", " setosa", "seto\u00adsa"]


def test_class_labels_that_look_alike_are_one_class():
    labels = [SETOSA_LOOKALIKES[i % 4] if i % 2 else ("versicolor" if i % 4 else "versicolor\u00a0") for i in range(40)]
    frame = pd.DataFrame({"x": np.arange(40.0), "species": labels})
    data = prepare_tabular(frame, "species")
    assert data.classes == ["setosa", "versicolor"]
    assert data.preprocessor.class_values == ["setosa", "versicolor"]
    assert summarize(frame, target="species")["class_balance"] == {"setosa": 20, "versicolor": 20}
    pre = Preprocessor.from_dict(data.preprocessor.to_dict())  # as a saved model has it
    codes = pre.encode_target(pd.Series(["setosa\u200b", "setosa", "versicolor\u00a0", "seto\u00adsa"]))
    assert codes.tolist() == [0, 0, 1, 0]
    cafe = pd.DataFrame({"x": np.arange(20.0), "drink": [CAFE_NFC, CAFE_NFD, "tea", "tea"] * 5})
    assert prepare_tabular(cafe, "drink").classes == [CAFE_NFC, "tea"]


def test_categories_that_look_alike_are_one_category_in_training_and_prediction():
    colours = ["red", "red\u200b", "blue", "blue\ufeff", "gre\u0301en", "gr\u00e9en", "dark\u00a0red", "dark red"] * 8
    frame = pd.DataFrame({"colour": colours, "x": np.arange(64.0), "y": [0, 1, 1, 0] * 16})
    data = prepare_tabular(frame, "y")
    colour = data.preprocessor.features[0]
    assert colour.categories == ["blue", "dark red", "gr\u00e9en", "red"]
    pre = Preprocessor.from_dict(data.preprocessor.to_dict())
    written = pd.DataFrame(
        {"colour": ["red\u200b", "blue\ufeff", "gre\u0301en", "dark\u00a0red", "pink"], "x": [1.0] * 5}
    )
    shown = pd.DataFrame({"colour": ["red", "blue", "gr\u00e9en", "dark red", "pink"], "x": [1.0] * 5})
    np.testing.assert_array_equal(pre.transform(written), pre.transform(shown))
    assert pre.transform(shown)[:, 1:].tolist() == [[0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0] * 4]
    # spaces around a category are not invisible: " red" is a category of its own, never
    # seen in training, as the exported ONNX pipeline reads it too
    assert pre.transform(pd.DataFrame({"colour": [" red"], "x": [1.0]}))[:, 1:].tolist() == [[0] * 4]
