"""The data layer doing the right thing: checked against pandas, scikit-learn and torchvision."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from datagen import IRIS_CSV, LocalServer, image_folder, write_california_tgz, write_mnist_raw
from dlp_widgets.data import BUILTINS, Preprocessor, load_images, load_table, prepare, prepare_tabular, summarize
from dlp_widgets.data.builtin import california_path
from dlp_widgets.data.images import build_transforms
from dlp_widgets.home import cache_dir
from dlp_widgets.spec import Spec, SpecError
from dlp_widgets.spec.transforms import TRANSFORMS, parse_transforms, transformed_shape


def test_class_names_from_a_csv_survive(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_bytes(IRIS_CSV)
    summary = summarize(f"csv:{path}", target="species")
    assert summary["class_balance"] == {"setosa": 10, "versicolor": 10, "virginica": 10}
    assert summary["classes"] == ["setosa", "versicolor", "virginica"]
    data = prepare_tabular(load_table(f"csv:{path}")[0], "species")
    assert data.preprocessor.classes == ["setosa", "versicolor", "virginica"]
    assert list(data.preprocessor.decode_target(np.array([2, 0]))) == ["virginica", "setosa"]


def test_scaling_statistics_come_from_the_training_split_only():
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000)
    df = pd.DataFrame({"x": x, "y": rng.integers(0, 2, 1000)})
    data = prepare_tabular(df, "y", test_size=0.25, seed=3)
    train_x = df.loc[data.train_index, "x"].to_numpy()
    test_x = df.loc[data.test_index, "x"].to_numpy()
    enc = data.preprocessor.features[0]
    assert enc.mean == pytest.approx(train_x.mean()) and enc.std == pytest.approx(train_x.std())
    assert enc.mean != pytest.approx(x.mean(), abs=1e-9)  # the whole column's mean differs
    # a wild value in the test rows changes nothing learned
    df2 = df.copy()
    df2.loc[data.test_index[0], "x"] = 1e9
    data2 = prepare_tabular(df2, "y", test_size=0.25, seed=3)
    assert data2.preprocessor.to_dict() == data.preprocessor.to_dict()
    np.testing.assert_allclose(data2.X_train, data.X_train)
    # training rows are standardised exactly, test rows with the training statistics
    np.testing.assert_allclose(data.X_train[:, 0], (train_x - enc.mean) / enc.std, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(data.X_test[:, 0], (test_x - enc.mean) / enc.std, rtol=1e-5, atol=1e-5)


def test_imputation_uses_training_medians_and_modes():
    df = pd.DataFrame(
        {
            "x": [1.0, 2, 3, 100, np.nan, 5, 6, 7, 8, 9] * 3,
            "c": ["a", "a", "b", None, "a", "b", "a", "c", "a", "b"] * 3,
            "y": [0, 1] * 15,
        }
    )
    data = prepare_tabular(df, "y", test_size=0.2)
    train = df.loc[data.train_index]
    x_enc, c_enc = data.preprocessor.features
    assert x_enc.fill == pytest.approx(train["x"].median())
    assert c_enc.fill == train["c"].mode().iloc[0] and c_enc.missing_train == train["c"].isna().sum()


def test_preprocessing_is_saved_and_applied_to_new_raw_rows():
    df = pd.DataFrame(
        {
            "size": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10] * 4,
            "colour": ["red", "blue", "green", "red"] * 10,
            "new": ["yes", "no"] * 20,
            "price": np.linspace(10, 50, 40),
        }
    )
    data = prepare_tabular(df, "price")
    saved = json.loads(json.dumps(data.preprocessor.to_dict()))  # plain JSON all the way
    again = Preprocessor.from_dict(saved)
    raw_rows = df.drop(columns=["price"]).loc[data.test_index]
    np.testing.assert_allclose(again.transform(raw_rows), data.X_test)
    assert again.output_names == [
        "size",
        "new",
        "colour=blue",
        "colour=green",
        "colour=red",
    ]  # numbers, yes/no, one-hot
    np.testing.assert_allclose(again.decode_target(data.y_test), df.loc[data.test_index, "price"], rtol=1e-5)
    unseen = pd.DataFrame({"size": [3.0], "colour": ["purple"], "new": ["yes"]})
    assert again.transform(unseen)[0, 2:5].tolist() == [0.0, 0.0, 0.0]  # an unseen category is all zeros


def test_a_large_table_matches_a_plain_computation_and_its_saved_transform():
    # more rows than one chunk of the row writer, and than the threads' threshold
    rng = np.random.default_rng(11)
    n = 70_001
    df = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.integers(-3, 3, n),
            "c": rng.choice(["x", "y", "z"], n),
            "y": rng.choice(["p", "q", "r"], n),
        }
    )
    df.loc[rng.choice(n, 4000, replace=False), "a"] = np.nan  # in training and test rows
    df.loc[rng.choice(n, 300, replace=False), "c"] = None
    data = prepare_tabular(df, "y", test_size=0.25, seed=1)
    train, test = df.loc[data.train_index], df.loc[data.test_index]
    a, b, c = data.preprocessor.features
    present = train["a"].dropna().to_numpy(np.float32)
    assert a.fill == np.median(present) and a.missing_train == train["a"].isna().sum()  # the exact median
    filled = train["a"].to_numpy(np.float32)
    filled[np.isnan(filled)] = a.fill
    assert a.mean == pytest.approx(filled.mean(dtype=np.float64)) and a.std == pytest.approx(filled.std())
    assert b.fill == np.median(train["b"].to_numpy(np.float32))
    assert c.fill == train["c"].mode().iloc[0] and c.missing_train == train["c"].isna().sum()
    expected_a = (np.where(test["a"].isna(), a.fill, test["a"]) - a.mean) / a.std
    np.testing.assert_allclose(data.X_test[:, 0], expected_a, rtol=1e-5, atol=1e-6)
    expected_c = pd.get_dummies(test["c"].fillna(c.fill)).reindex(columns=c.categories).to_numpy(np.float32)
    np.testing.assert_array_equal(data.X_test[:, 2:5], expected_c)
    assert data.X_train.flags.c_contiguous and data.X_test.flags.c_contiguous
    # the saved preprocessing reproduces the arrays exactly
    again = Preprocessor.from_dict(json.loads(json.dumps(data.preprocessor.to_dict())))
    np.testing.assert_array_equal(again.transform(train), data.X_train)
    np.testing.assert_array_equal(again.transform(test), data.X_test)


def test_stratified_reproducible_split():
    df = pd.DataFrame({"x": range(300), "y": ["a"] * 200 + ["b"] * 60 + ["c"] * 40})
    d1 = prepare_tabular(df, "y", test_size=0.2, seed=7)
    d2 = prepare_tabular(df, "y", test_size=0.2, seed=7)
    np.testing.assert_array_equal(d1.test_index, d2.test_index)
    assert np.bincount(d1.y_test).tolist() == [40, 12, 8]  # the class proportions, exactly
    d3 = prepare_tabular(df, "y", test_size=0.2, shuffle=False)
    assert d3.test_index.tolist() == list(range(240, 300))


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "diabetes", "digits"])
def test_builtins_match_scikit_learn(name):
    import sklearn.datasets as skd

    bunch = getattr(skd, f"load_{name}")()
    frame, _ = load_table(f"builtin:{name}")
    b = BUILTINS[name]
    np.testing.assert_allclose(frame.drop(columns=[b.target]).to_numpy(dtype=float), bunch.data)
    spec = Spec.from_dict({"model": {"input_shape": [1]}, "data": {"source": f"builtin:{name}"}})
    data = prepare(spec)
    assert data.task == b.task
    if b.task == "classification":
        assert sorted(data.classes) == sorted(str(c) for c in getattr(bunch, "target_names", range(10)))


def test_california_housing_loads_from_its_cached_archive():
    write_california_tgz(california_path())
    frame, _ = load_table("builtin:california_housing")
    assert list(frame.columns) == [
        "MedInc",
        "HouseAge",
        "AveRooms",
        "AveBedrms",
        "Population",
        "AveOccup",
        "Latitude",
        "Longitude",
        "MedHouseVal",
    ]
    assert len(frame) == 200 and frame["AveRooms"].iloc[0] == pytest.approx(5.0)


def test_mnist_loads_through_torchvision_from_cached_files():
    write_mnist_raw(cache_dir("torchvision", "MNIST", "raw"))
    data = load_images("builtin:mnist", {"train": [{"type": "RandomRotation", "params": {"degrees": 5}}], "test": []})
    assert data.input_shape == [1, 28, 28] and data.split == "given"
    assert (len(data.train), len(data.test)) == (60, 20)
    x, y = data.train[3]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1 and y == 3


def test_folder_with_train_and_test_layout(tmp_path):
    image_folder(tmp_path / "set" / "train", classes=("cat", "dog", "eel"), per_class=4, size=(12, 10), mode="RGB")
    image_folder(tmp_path / "set" / "test", classes=("cat", "dog", "eel"), per_class=2, size=(12, 10), mode="RGB")
    t = {"train": [{"type": "Grayscale"}, {"type": "RandomHorizontalFlip"}], "test": [{"type": "Grayscale"}]}
    data = load_images(f"folder:{tmp_path / 'set'}", t)
    assert data.classes == ["cat", "dog", "eel"] and data.split == "given"
    assert data.image_shape == (3, 12, 10) and data.input_shape == [1, 12, 10]
    assert (len(data.train), len(data.test)) == (12, 6)
    x, _ = data.test[0]
    assert tuple(x.shape) == (1, 12, 10)
    summary = summarize(f"folder:{tmp_path / 'set'}", transforms=t)
    assert summary["test_class_balance"] == {"cat": 2, "dog": 2, "eel": 2}
    assert summary["examples"][0]["png"].startswith("data:image/png;base64,")


def test_digits_become_images_when_the_model_takes_images():
    spec = Spec.from_dict({"model": {"input_shape": [1, 8, 8]}, "data": {"source": "builtin:digits"}})
    data = prepare(spec)
    assert data.kind == "image" and data.input_shape == [1, 8, 8] and len(data.test) == 360


def test_url_downloads_once_into_the_cache():
    with LocalServer() as base:
        frame, _ = load_table(f"{base}/iris.csv")
    again, _ = load_table(f"{base}/iris.csv")  # the server is gone: the cache answers
    pd.testing.assert_frame_equal(frame, again)


# ---------------------------------------------------------------- transforms


transform_items = st.one_of(
    st.builds(
        lambda s: {"type": "Resize", "params": {"size": s}},
        st.one_of(st.integers(4, 40), st.lists(st.integers(4, 40), min_size=2, max_size=2)),
    ),
    st.builds(
        lambda s: {"type": "CenterCrop", "params": {"size": s}},
        st.one_of(st.integers(2, 40), st.lists(st.integers(2, 40), min_size=2, max_size=2)),
    ),
    st.builds(lambda c: {"type": "Grayscale", "params": {"num_output_channels": c}}, st.sampled_from([1, 3])),
    st.just({"type": "RandomHorizontalFlip"}),
    st.just({"type": "RandomVerticalFlip"}),
    st.builds(lambda d: {"type": "RandomRotation", "params": {"degrees": d}}, st.floats(0, 90)),
    st.builds(
        lambda k: {"type": "GaussianBlur", "params": {"kernel_size": k}},
        st.sampled_from([1, 3, 5, 11, 13, 15, 21, 31, [3, 15], [15, 3]]),
    ),
    st.just({"type": "ColorJitter", "params": {"brightness": 0.3, "contrast": 0.2}}),
    st.builds(
        lambda s, p: {"type": "RandomCrop", "params": {"size": s, "padding": p}},
        st.one_of(st.integers(2, 40), st.lists(st.integers(2, 40), min_size=2, max_size=2)),
        st.integers(0, 6),
    ),
    st.builds(lambda n: {"type": "Grayscale", "params": {"num_output_channels": n}}, st.sampled_from([1, 2, 3])),
)


@settings(max_examples=60)
@given(st.lists(transform_items, max_size=5), st.sampled_from([1, 3]), st.integers(6, 30), st.integers(6, 30))
def test_transform_shapes_match_torchvision(items, c, h, w):
    items = parse_transforms(items, "train")
    try:
        predicted = transformed_shape(items, (c, h, w), "train")
    except SpecError:  # refused up front (a blur window larger than the image): torch fails too
        with pytest.raises((RuntimeError, ValueError)):
            build_transforms(items)(torch.rand(c, h, w))
        return
    out = build_transforms(items)(torch.rand(c, h, w))
    assert tuple(out.shape) == predicted


def test_transform_validation_errors():
    with pytest.raises(SpecError, match="Resize at position 1 of the train list: size must be"):
        parse_transforms([{"type": "Resize", "params": {"size": 0}}], "train")
    with pytest.raises(SpecError, match='unknown type "Rezise".*Did you mean "Resize"'):
        parse_transforms([{"type": "Rezise"}], "test")
    with pytest.raises(SpecError, match="kernel_size must be odd"):
        transformed_shape([{"type": "GaussianBlur", "params": {"kernel_size": 4}}], (1, 8, 8), "train")
    with pytest.raises(SpecError, match="a 40×40 crop does not fit 32×32 images padded by 2"):
        transformed_shape([{"type": "RandomCrop", "params": {"size": 40, "padding": 2}}], (3, 32, 32), "train")
    with pytest.raises(SpecError, match="mean lists 2 values, but the images have 3 channel"):
        transformed_shape([{"type": "Normalize", "params": {"mean": [0.5, 0.5], "std": [0.5]}}], (3, 8, 8), "test")
    assert set(TRANSFORMS) >= {
        "Resize",
        "CenterCrop",
        "Grayscale",
        "Normalize",
        "RandomHorizontalFlip",
        "RandomVerticalFlip",
        "RandomRotation",
        "RandomCrop",
        "GaussianBlur",
        "ColorJitter",
    }


def test_cli_data_prints_a_summary():
    out = subprocess.run(
        [sys.executable, "-m", "dlp_widgets.cli", "data", "builtin:wine"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["rows"] == 178 and summary["target"] == "cultivar" and summary["input_shape"] == [13]
    assert {c["name"]: c["role"] for c in summary["columns"]}["cultivar"] == "target"


def test_cli_data_from_a_url_shows_download_progress():
    with LocalServer() as base:
        out = subprocess.run(
            [sys.executable, "-m", "dlp_widgets.cli", "data", f"{base}/iris.csv", "--target", "species"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert out.returncode == 0, out.stderr
    assert "downloading:" in out.stderr and "MB of" in out.stderr
    assert json.loads(out.stdout)["class_balance"] == {"setosa": 10, "versicolor": 10, "virginica": 10}
