"""The standalone training script prepares a table exactly as the run did: the same split,
the same training and test rows, the same inputs and targets. The script is imported as a
module from the file ``write_script`` writes, and its ``prepare`` is run on the table as
the script reads it (``pd.read_csv`` of the CSV file written beside it)."""

import importlib.util
import uuid
import warnings

import numpy as np
import pandas as pd
import pytest

from dlp_widgets.data import load_table, prepare_tabular
from dlp_widgets.data.split import split_positions
from dlp_widgets.export.script import data_path, write_script
from dlp_widgets.spec import Spec
from dlp_widgets.spec.defaults import default_model

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")

TARGETS = {
    2: ["ham", "spam"],
    3: ["setosa", "versicolor", "virginica\u00a0"],  # a no-break space: still "virginica"
    10: list(range(10)),
}


def _table(target: int | str, n: int, seed: int) -> pd.DataFrame:
    """Numbers with missing values, booleans as yes/no and True/False (with and without
    missing values), categories with missing values and look-alike spellings, and a target
    of 2, 3 or 10 classes or a regression target, with some rows lacking it."""
    rng = np.random.default_rng(seed)
    height = rng.normal(170, 12, n).round(2)
    height[rng.random(n) < 0.15] = np.nan
    colour = rng.choice(["red", "green", "blue", "red\u200b", " red", "grey"], n).astype(object)
    colour[rng.random(n) < 0.1] = None
    frame = pd.DataFrame(
        {
            "height": height,
            "visits": rng.integers(0, 40, n),
            "member": rng.choice(["yes", "no", "Yes", " NO", None], n),
            "smoker": rng.random(n) < 0.3,
            "insured": rng.choice(["True", "False", None], n, p=[0.5, 0.4, 0.1]),
            "colour": colour,
            "city": rng.choice(["Oslo", "Lima", "Pune", "Café"], n),
        }
    )
    if target == "regression":
        y = 0.3 * np.nan_to_num(height, nan=170.0) + rng.normal(0, 3, n)
    else:
        y = rng.choice(np.array(TARGETS[target], dtype=object), n)
    y[rng.random(n) < 0.05] = None
    frame["target"] = y
    return frame


def _with_unseen_test_values(frame: pd.DataFrame, data) -> pd.DataFrame:
    """``frame`` with a category only test rows hold: the split depends on the target
    alone, so the rows stay where they were."""
    frame = frame.copy()
    frame.loc[data.test_index[:3], "colour"] = "violet"
    frame.loc[data.test_index[3:5], "city"] = "Nuuk"
    return frame


def _import_script(path):
    spec = importlib.util.spec_from_file_location(f"exported_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # our own generated file
    return module


def _export(frame: pd.DataFrame, data, folder, training: dict, scale: bool = True):
    """The script for a run that prepared ``frame`` as ``data``, imported."""
    pre = data.preprocessor
    n_outputs = len(pre.classes) if pre.task == "classification" else 1
    spec = Spec.from_dict(
        {
            "model": default_model([pre.n_inputs], n_outputs),
            "data": {"target": pre.target, "task": pre.task, "scale": scale},
            "training": training,
        }
    )
    path = folder / "train_agree.py"
    write_script(path, spec=spec, preprocessing=pre.to_dict(), frame=frame, run_id="agree", name="agree")
    return _import_script(path), data_path(path)


CASES = [
    pytest.param(2, {"test_size": 0.2, "seed": 0}, id="2-classes"),
    pytest.param(3, {"test_size": 0.25, "seed": 7}, id="3-classes"),
    pytest.param(10, {"test_size": 0.3, "seed": 3}, id="10-classes"),
    pytest.param("regression", {"test_size": 0.2, "seed": 5}, id="regression"),
    pytest.param(3, {"test_size": 0.2, "seed": 1, "shuffle": False}, id="3-classes-unshuffled"),
]


@pytest.mark.parametrize("target, training", CASES)
@pytest.mark.parametrize("read", ["dataframe", "csv"])
def test_the_script_prepares_the_table_as_the_run_did(target, training, read, tmp_path):
    options = {k: training[k] for k in ("test_size", "seed")} | {"shuffle": training.get("shuffle", True)}
    table = _table(target, 500, seed=len(str(target)))
    table = _with_unseen_test_values(table, prepare_tabular(table, "target", **options))
    if read == "csv":  # the run read the table from a CSV file, with the data layer's reader
        table.to_csv(tmp_path / "table.csv", index=False)
        table, _ = load_table(f"csv:{tmp_path / 'table.csv'}")
    data = prepare_tabular(table, "target", **options)
    kinds = {f.name: f.kind for f in data.preprocessor.features}
    # (True/False with empty cells, read from a CSV file, are Python booleans among NaN:
    # numbers 1 and 0 to the data layer)
    insured = "boolean" if read == "dataframe" else kinds["insured"]
    assert kinds == {
        "height": "numeric",
        "visits": "numeric",
        "member": "boolean",
        "smoker": "boolean",
        "insured": insured,
        "colour": "categorical",
        "city": "categorical",
    }
    assert data.dropped_target_rows > 0
    assert "violet" not in data.preprocessor.features[5].categories  # seen in test rows only

    script, csv = _export(table, data, tmp_path, training)
    got = script.prepare(pd.read_csv(csv))

    np.testing.assert_array_equal(got["train_rows"], data.train_index)
    np.testing.assert_array_equal(got["test_rows"], data.test_index)
    assert got["x_train"].dtype == np.float32 and got["x_train"].shape == data.X_train.shape
    np.testing.assert_allclose(got["x_train"], data.X_train, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got["x_test"], data.X_test, rtol=1e-6, atol=1e-6)
    if data.task == "classification":
        assert got["y_train"].dtype == data.y_train.dtype == np.int64
        np.testing.assert_array_equal(got["y_train"], data.y_train)
        np.testing.assert_array_equal(got["y_test"], data.y_test)
    else:
        pre = data.preprocessor
        assert got["scale"] == pytest.approx((pre.target_mean, pre.target_std), rel=1e-12)
        np.testing.assert_allclose(got["y_train"], data.y_train, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(got["y_test"], data.y_test, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("target", [3, "regression"])
def test_a_run_without_scaling_prepares_the_same_in_the_script(target, tmp_path):
    table = _table(target, 400, seed=11)
    data = prepare_tabular(table, "target", scale=False)
    scaled = prepare_tabular(table, "target")
    numeric = [i for i, f in enumerate(data.preprocessor.features) if f.kind == "numeric"]
    assert numeric and not np.allclose(data.X_train[:, numeric], scaled.X_train[:, numeric])
    # the numbers as they are, missing ones filled with the training rows' median
    column = data.preprocessor.features[numeric[0]]
    raw = pd.to_numeric(table[column.name], errors="coerce").to_numpy(np.float32)[data.train_index]
    np.testing.assert_array_equal(data.X_train[:, numeric[0]], np.where(np.isnan(raw), np.float32(column.fill), raw))
    others = [i for i in range(data.X_train.shape[1]) if i not in numeric]
    np.testing.assert_array_equal(data.X_train[:, others], scaled.X_train[:, others])
    script, csv = _export(table, data, tmp_path, {"test_size": 0.2, "seed": 0}, scale=False)
    got = script.prepare(pd.read_csv(csv))
    np.testing.assert_allclose(got["x_train"], data.X_train, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got["x_test"], data.X_test, rtol=1e-6, atol=1e-6)


def _labels(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``n`` labels of ``k`` classes of uneven sizes, each class at least twice."""
    skewed = np.minimum(rng.integers(0, k, n - 2 * k), rng.integers(0, k, n - 2 * k))
    return rng.permutation(np.concatenate([np.repeat(np.arange(k), 2), skewed]))


@pytest.mark.parametrize("n_classes", [None, 2, 3, 10, 40])
def test_the_scripts_split_is_split_positions(n_classes, tmp_path):
    frame = _table(3, 60, seed=0)
    script, _ = _export(frame, prepare_tabular(frame, "target"), tmp_path, {})
    rng = np.random.default_rng(n_classes or 0)
    classes = [f"c{i}" for i in range(n_classes)] if n_classes else None
    checked = 0
    for n in (40, 97, 1000, 5003):
        if n_classes and n < 2 * n_classes:
            continue
        labels = _labels(rng, n, n_classes) if n_classes else None
        for test_size in (0.1, 0.2, 0.33):
            if n_classes and np.ceil(test_size * n) < n_classes:
                continue
            for shuffle, seed in ((True, 0), (True, 12345), (False, 0)):
                options = {"test_size": test_size, "shuffle": shuffle, "seed": seed}
                want = split_positions(n, labels, classes, **options)
                got = script.split_positions(n, labels, classes, **options)
                for w, g in zip(want, got, strict=True):
                    np.testing.assert_array_equal(g, w)
                checked += 1
    assert checked >= 15


def test_the_script_refuses_classes_the_run_did_not_know(tmp_path):
    frame = _table(3, 200, seed=0)
    script, _ = _export(frame, prepare_tabular(frame, "target"), tmp_path, {})
    frame.loc[0, "target"] = "rose"
    with pytest.raises(script.DataError, match="classes the model does not know: \\['rose'\\]"):
        script.prepare(frame)


def test_a_copied_function_that_needs_what_is_not_copied_fails_the_export(monkeypatch):
    from dlp_widgets.export import data_layer_source as source

    copied = source._copied

    def without_the_median():
        constants, functions = copied()
        return constants, [fn for fn in functions if fn.__name__ != "median_in_place"]

    monkeypatch.setattr(source, "_copied", without_the_median)
    with pytest.raises(RuntimeError, match=r"fitting\.numeric_fit, copied into the script, uses median_in_place"):
        source.data_layer_source()
