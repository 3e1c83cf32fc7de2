"""The "onnx_pipeline" export: raw table columns in, predictions out, with the preprocessing
inside the graph. Checked against the run itself: onnxruntime's labels against
``run.predict``, its probabilities against torch's softmax of the model on
``Preprocessor.transform``, and the graph's feature matrix against ``transform`` bit for bit."""

import json

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.data import summarize
from dlp_widgets.data.tabular import FeatureEncoding, Preprocessor
from dlp_widgets.export import ExportError, write_export
from dlp_widgets.export import onnx_pipeline as pipeline_module
from dlp_widgets.export.onnx_pipeline import WHITESPACE, export_onnx_pipeline, pipeline_inputs

# the tables have missing values on purpose: training warns that it fills them
pytestmark = pytest.mark.filterwarnings("ignore:column .* missing value:UserWarning")

# classes (None: regression) and loss of each trained case
CASES = {
    "two_classes": (2, None),
    "two_classes_one_logit": (2, "BCEWithLogitsLoss"),
    "three_classes": (3, None),
    "ten_classes": (10, None),
    "regression": (None, None),
}
CLASS_NAMES = {2: ["leave", "stay"], 3: ["low", "mid", "high"], 10: list(range(10))}

# Raw rows as a person writes them: missing values as None or NaN, booleans in any spelling
# and spacing, categories never seen in training ("purple", "Red", " red", grade 4).
RAW = {
    "size": [np.nan, 50.0, 10.0, 80.0, np.nan, 51.5, 1e3, -20.0],
    "count": [3, 0, 19, 25, 7, 2, 1, 11],
    "member": [True, False, "true", " FALSE ", None, "yes", "maybe", "T"],
    "answer": ["Yes", " no ", "YES", None, "maybe", "\u00a0y\t", "N", "true"],
    "colour": ["red", None, "purple", "Red", "blue", " red", "green", "violet"],
    "grade": [1, 2, 3, 4, None, 2, 1, 3],
}
NUMERIC = ("size", "count")


def _table(n_classes, n=400, seed=0):
    rng = np.random.default_rng(seed)
    size = rng.normal(50, 12, n)
    count = rng.integers(0, 20, n)
    member = rng.random(n) < 0.4
    answer = rng.choice(np.array(["yes", "no", "Yes", " no ", "NO", None], dtype=object), n)
    colour = rng.choice(np.array(["red", "green", "blue", "violet", None], dtype=object), n)
    grade = rng.choice([1, 2, 3], n)
    score = (size - 50) / 12 + count / 10 + member + (colour == "red") - (answer == "yes") + grade / 2
    score = score + rng.normal(0, 0.3, n)
    size[rng.random(n) < 0.1] = np.nan
    frame = pd.DataFrame(
        {
            "size": size,
            "count": count,
            "member": member,
            "answer": answer,
            "colour": colour,
            "grade": pd.Categorical(grade),  # integers as categories: one-hot, not a number
        }
    )
    if n_classes is None:
        frame["y"] = 1000 + 50 * score
    else:
        bins = pd.qcut(score, n_classes, labels=False)
        frame["y"] = np.asarray(CLASS_NAMES[n_classes], dtype=object)[bins]
    return frame


def _spec(frame, n_classes, loss):
    n_outputs = 1 if n_classes is None or loss == "BCEWithLogitsLoss" else n_classes
    training = {"epochs": 5, "seed": 0, **({"loss": loss} if loss else {})}
    layers = [
        {"type": "Linear", "params": {"out_features": 16}},
        {"type": "ReLU"},
        {"type": "Linear", "params": {"out_features": n_outputs}},
    ]
    shape = summarize(frame, target="y")["input_shape"]
    return {"model": {"input_shape": shape, "layers": layers}, "data": {"target": "y"}, "training": training}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # the module's runs live in a temporary place
        patch.setenv("DLP_HOME", str(tmp_path_factory.mktemp("pipeline-home")))
        yield


@pytest.fixture(scope="module", params=list(CASES))
def case(request, home, tmp_path_factory):
    """A trained run of each kind, its table and its pipeline export (written once)."""
    n_classes, loss = CASES[request.param]
    frame = _table(n_classes)
    run = dlp.train(_spec(frame, n_classes, loss), data=frame, dashboard=False)
    assert run.status == "finished", run.error
    path = run.export("onnx_pipeline", tmp_path_factory.mktemp(request.param) / "pipeline.onnx")
    return request.param, run, frame, path


def _raw_rows():
    rows = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in RAW.items()})
    return rows.astype({name: np.float64 for name in NUMERIC})


def _feeds():
    """The pipeline's inputs for ``RAW``, written out by hand: floats with NaN, text with ""."""
    feeds = {}
    for name, values in RAW.items():
        if name in NUMERIC:
            feeds[name] = np.array(values, dtype=np.float32).reshape(-1, 1)
        else:
            feeds[name] = np.array(["" if v is None else str(v) for v in values], dtype=object).reshape(-1, 1)
    return feeds


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _outputs(path, feeds):
    session = _session(path)
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds), strict=True))


def _with_features(path, tmp_path):
    """The pipeline with the network's input (the feature matrix the graph made) as an
    extra output."""
    model = onnx.load(str(path))
    features = next(n.output[0] for n in model.graph.node if n.op_type == "Concat" and n.output[0].startswith("net/"))
    model.graph.output.append(onnx.helper.make_tensor_value_info(features, onnx.TensorProto.FLOAT, None))
    out = tmp_path / "with_features.onnx"
    onnx.save(model, str(out))
    return out, features


@torch.no_grad()
def _torch_probabilities(run, rows):
    pre = Preprocessor.from_dict(run.preprocessing)
    logits = run.model.eval()(torch.from_numpy(pre.transform(rows)))
    if logits.shape[1] == 1:
        p = torch.sigmoid(logits)
        return torch.cat([1 - p, p], dim=1).numpy()
    return torch.softmax(logits, dim=1).numpy()


def test_raw_rows_give_what_predict_gives(case):
    name, run, frame, path = case
    rows = _raw_rows()
    got = _outputs(path, _feeds())
    want = run.predict(rows)
    if name == "regression":
        assert set(got) == {"value"} and got["value"].shape == (len(rows), 1) and got["value"].dtype == np.float32
        np.testing.assert_allclose(got["value"][:, 0], want, rtol=1e-4)
        return
    assert set(got) == {"label", "probabilities"}
    assert got["label"].shape == (len(rows),)
    np.testing.assert_array_equal(got["label"], want)
    classes = run.preprocessing["classes"]
    assert got["probabilities"].shape == (len(rows), len(classes))
    np.testing.assert_allclose(got["probabilities"], _torch_probabilities(run, rows), atol=1e-5)
    np.testing.assert_allclose(got["probabilities"].sum(axis=1), 1, atol=1e-5)
    # the label is the most probable class
    np.testing.assert_array_equal(got["label"], np.asarray(classes)[got["probabilities"].argmax(axis=1)])


def test_the_training_table_gives_what_predict_gives(case):
    name, run, frame, path = case
    rows = frame.drop(columns="y").iloc[:200]
    got = _outputs(path, pipeline_inputs(rows, run.preprocessing))
    if name == "regression":
        np.testing.assert_allclose(got["value"][:, 0], run.predict(rows), rtol=1e-4)
    else:
        np.testing.assert_array_equal(got["label"], run.predict(rows))
        assert len(set(got["label"])) > 1  # a model that learned something: not one class for all


def test_the_graph_prepares_rows_as_transform_does(case, tmp_path):
    _, run, frame, path = case
    extended, features = _with_features(path, tmp_path)
    session = _session(extended)
    pre = Preprocessor.from_dict(run.preprocessing)
    for rows, feeds in (
        (_raw_rows(), _feeds()),
        (frame.iloc[:100], pipeline_inputs(frame.iloc[:100], run.preprocessing)),
    ):
        (made,) = session.run([features], feeds)
        np.testing.assert_array_equal(made, pre.transform(rows))  # the same bits, column order included


def test_pipeline_inputs_are_the_documented_feeds(case):
    _, run, _, _ = case
    made = pipeline_inputs(_raw_rows(), run.preprocessing)
    expected = _feeds()
    assert list(made) == list(expected)
    for name, values in expected.items():
        np.testing.assert_array_equal(made[name], values)


def test_inputs_and_outputs_are_named_and_typed(case):
    name, run, _, path = case
    session = _session(path)
    inputs = {i.name: (i.type, i.shape) for i in session.get_inputs()}
    assert list(inputs) == list(RAW)
    for column, (kind, shape) in inputs.items():
        assert kind == ("tensor(float)" if column in NUMERIC else "tensor(string)")
        assert shape == ["N", 1]
    outputs = [(o.name, o.type) for o in session.get_outputs()]
    if name == "regression":
        assert outputs == [("value", "tensor(float)")]
    else:
        assert outputs == [("label", "tensor(string)"), ("probabilities", "tensor(float)")]


def test_metadata_names_the_classes_and_keeps_the_preprocessing(case):
    name, run, _, path = case
    model = onnx.load(str(path))
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["preprocessing"]) == json.loads(json.dumps(run.preprocessing))
    assert meta["task"] == run.preprocessing["task"] and meta["target"] == "y"
    assert "size" in meta["inputs"] and "NaN" in meta["inputs"] and '""' in meta["inputs"]
    if name == "regression":
        assert "classes" not in meta and "value" in model.doc_string
    else:
        assert json.loads(meta["classes"]) == run.preprocessing["classes"]
        assert "label" in model.doc_string and "probabilities" in model.doc_string
    assert "raw" in model.doc_string.lower()


def test_run_export_writes_the_default_file_and_records_it(home):
    frame = _table(3, n=200)
    run = dlp.train(_spec(frame, 3, None), data=frame, dashboard=False)
    path = run.export("onnx_pipeline")
    assert path == run.folder / "model_pipeline.onnx" and path.is_file()
    assert any(a["kind"] == "onnx_pipeline" and a["path"] == str(path) for a in run.store.artefacts(run.id))


def test_booleans_are_read_as_as_bool_reads_them(case, tmp_path):
    """Every spacing Python strips, any case; look-alikes that Python does not lower-case to
    the words (RE2 would fold "ſ" to "s") and anything else take the fill."""
    _, run, frame, path = case
    words = ["yes", "no", "y", "n", "true", "false", "t", "f"]
    texts = [c + w.upper() + c for c in WHITESPACE for w in ("yes", "no")]
    texts += [w.swapcase() for w in words] + ["TrUe", "fAlSe", " \t y \u3000", "yeſ", "ｙｅｓ", "y es", "yes.", "0"]
    texts += ["1", "nan", "None", "İ", "\u200byes", "yes\x00", "", "\u212a"]
    rows = frame.drop(columns="y").iloc[[0] * len(texts)].reset_index(drop=True)
    rows["answer"] = texts
    rows["member"] = [t.strip().title() if t.strip() else t for t in texts]  # "True", "False"...
    extended, features = _with_features(path, tmp_path)
    (made,) = _session(extended).run([features], pipeline_inputs(rows, run.preprocessing))
    np.testing.assert_array_equal(made, Preprocessor.from_dict(run.preprocessing).transform(rows))


def test_whitespace_is_what_python_strips():
    assert WHITESPACE == "".join(c for c in map(chr, range(0x110000)) if c.isspace())


def test_an_empty_text_is_a_missing_value(case):
    name, run, frame, path = case
    rows = frame.drop(columns="y").iloc[:3].reset_index(drop=True)
    for column in ("member", "answer", "colour", "grade"):
        rows[column] = None
    feeds = pipeline_inputs(rows, run.preprocessing)
    assert all((feeds[c] == "").all() for c in ("member", "answer", "colour", "grade"))
    got = _outputs(path, feeds)
    want = run.predict(rows)  # None: missing, filled as in training
    if name == "regression":
        np.testing.assert_allclose(got["value"][:, 0], want, rtol=1e-4)
    else:
        np.testing.assert_array_equal(got["label"], want)


def test_check_rows_are_checked_too(case, tmp_path):
    _, run, frame, _ = case
    result = export_onnx_pipeline(
        run.model,
        run.spec.model.input_shape,
        run.preprocessing,
        tmp_path / "checked.onnx",
        check_rows=frame.drop(columns="y").iloc[:50],
        spec=run.spec,
    )
    assert result["rows_checked"] == 50 + 8 and result["max_abs_diff"] < 1e-4


def test_a_wrong_pipeline_fails_its_own_check(case, tmp_path, monkeypatch):
    """The export's check compares onnxruntime with predict: a graph whose scaling is off
    (every mean moved by 3) is refused."""
    _, run, _, _ = case
    build = pipeline_module.build_pipeline

    def shifted_means(net, pre, width):
        model = build(net, pre, width)
        for tensor in model.graph.initializer:
            if tensor.name.startswith("pre/means"):
                means = onnx.numpy_helper.to_array(tensor) + np.float32(3)
                tensor.CopyFrom(onnx.numpy_helper.from_array(means.astype(np.float32), tensor.name))
        return model

    monkeypatch.setattr(pipeline_module, "build_pipeline", shifted_means)
    with pytest.raises(ExportError, match="differ|predicts"):
        export_onnx_pipeline(
            run.model, run.spec.model.input_shape, run.preprocessing, tmp_path / "wrong.onnx", spec=run.spec
        )
    assert not (tmp_path / "wrong.onnx").exists()  # not left for someone to use


def test_the_plain_onnx_export_carries_the_preprocessing(case, tmp_path):
    name, run, _, _ = case
    path = run.export("onnx", tmp_path / "plain.onnx")
    model = onnx.load(str(path))
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["preprocessing"]) == json.loads(json.dumps(run.preprocessing))
    if name == "regression":
        assert "classes" not in meta
    else:
        assert json.loads(meta["classes"]) == run.preprocessing["classes"]
    assert "after preprocessing" in model.doc_string
    assert [i.name for i in model.graph.input] == ["input"]


def _tiny(features, task="classification", classes=("a", "b")):
    pre = Preprocessor(features, "y", task, list(classes) if task == "classification" else None)
    width = 1 if task == "regression" else len(classes)
    return pre.to_dict(), torch.nn.Linear(pre.n_inputs, width)


def test_an_image_model_is_refused_with_the_plain_format_named(tmp_path):
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    image = {"kind": "image", "classes": [str(i) for i in range(10)], "transforms": {}}
    with pytest.raises(ExportError, match='for table models.*"onnx"'):
        export_onnx_pipeline(model, [1, 8, 8], image, tmp_path / "x.onnx", spec=None)

    class Spec:  # what write_export reads of a spec
        class model:
            input_shape = [1, 8, 8]

    with pytest.raises(ExportError, match="plain"):
        write_export("onnx_pipeline", tmp_path / "y.onnx", model=model, spec=Spec, preprocessing=image)
    assert not (tmp_path / "x.onnx").exists() and not (tmp_path / "y.onnx").exists()


@pytest.mark.parametrize("column", ["label", "probabilities"])
def test_a_column_named_like_an_output_is_refused(column, tmp_path):
    preprocessing, model = _tiny([FeatureEncoding(column, "numeric", fill=0.0)])
    with pytest.raises(ExportError, match=f'"{column}".*rename'):
        export_onnx_pipeline(model, [1], preprocessing, tmp_path / "x.onnx", spec=None)


def test_an_empty_text_category_beside_another_fill_is_refused(tmp_path):
    colour = FeatureEncoding("colour", "categorical", fill="red", categories=["", "red"])
    preprocessing, model = _tiny([colour])
    with pytest.raises(ExportError, match='empty text ""'):
        export_onnx_pipeline(model, [2], preprocessing, tmp_path / "x.onnx", spec=None)


def test_columns_that_look_like_the_graphs_own_names(tmp_path):
    """Inputs keep the columns' names, whatever they are; the graph's own names move aside."""
    features = [
        FeatureEncoding("net/input", "numeric", fill=1.0, mean=0.5, std=2.0),
        FeatureEncoding("pre/means_1", "numeric", fill=0.0),
        FeatureEncoding("input", "boolean", fill=1.0),
        FeatureEncoding("output", "categorical", fill="b", categories=["a", "b"]),
    ]
    preprocessing, model = _tiny(features, classes=("x", "y", "z"))
    export_onnx_pipeline(model, [5], preprocessing, tmp_path / "odd.onnx", spec=None)  # checks itself
    session = _session(tmp_path / "odd.onnx")
    assert [i.name for i in session.get_inputs()] == ["net/input", "pre/means_1", "input", "output"]


def test_look_alike_categories_fed_through_pipeline_inputs_answer_as_predict_does(case):
    from dlp_widgets.export.onnx_pipeline import pipeline_inputs

    name, run, frame, path = case
    rows = _raw_rows()
    odd = rows.copy()
    odd["colour"] = [None if v is None else v + "\u200b" for v in rows["colour"]]  # a zero-width space after each
    got = _outputs(path, pipeline_inputs(odd, run.preprocessing))
    expected = run.predict(odd)
    if name == "regression":
        np.testing.assert_allclose(expected, run.predict(rows), rtol=1e-6)
        np.testing.assert_allclose(got["value"][:, 0], expected, rtol=1e-4)
    else:
        np.testing.assert_array_equal(got["label"], expected)
        np.testing.assert_array_equal(expected, run.predict(rows))  # as without the invisible characters
