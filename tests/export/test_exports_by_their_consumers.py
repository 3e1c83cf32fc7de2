"""Exports checked by their consumers: onnxruntime, torch.load(weights_only=True), the
standalone script in a subprocess, and the script under torchrun with two processes."""

import json
import subprocess
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.data import load_table, prepare
from dlp_widgets.export import ExportError
from dlp_widgets.spec.defaults import default_model

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    import os

    os.environ["DLP_HOME"] = str(tmp_path_factory.mktemp("exports-home"))
    return dlp.train({"model": default_model([4], 3), "data": {"source": "builtin:iris"}})


def test_onnx_matches_torch_with_a_dynamic_batch(iris_run, tmp_path):
    path = iris_run.export("onnx", tmp_path / "iris.onnx")
    onnx.checker.check_model(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    data = prepare(iris_run.spec)
    for rows in (data.X_test[:1], data.X_test[:7], data.X_test):
        got = session.run(None, {session.get_inputs()[0].name: rows})[0]
        with torch.no_grad():
            want = iris_run.model(torch.from_numpy(rows)).numpy()
        np.testing.assert_allclose(got, want, atol=1e-4)
    assert any(a["kind"] == "onnx" and a["sha256"] for a in iris_run.store.artefacts(iris_run.id))


def test_onnx_of_an_image_model(tmp_path):
    spec = {
        "model": {
            "input_shape": [1, 8, 8],
            "layers": [
                {"type": "Conv2d", "params": {"out_channels": 8, "kernel_size": 3, "padding": 1}},
                {"type": "BatchNorm2d"},
                {"type": "ReLU"},
                {"type": "MaxPool2d", "params": {"kernel_size": 2}},
                {"type": "Flatten"},
                {"type": "Dropout"},
                {"type": "Linear", "params": {"out_features": 10}},
            ],
        },
        "data": {"source": "builtin:digits"},
        "training": {"epochs": 2},
    }
    run = dlp.train(spec)
    path = run.export("onnx", tmp_path / "digits.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = torch.rand(5, 1, 8, 8)
    with torch.no_grad():
        want = run.model(x).numpy()
    np.testing.assert_allclose(session.run(None, {"input": x.numpy()})[0], want, atol=1e-4)


def test_pt_loads_with_weights_only_and_predicts_raw_rows(iris_run, tmp_path):
    path = iris_run.export("pt", tmp_path / "iris.pt")
    payload = torch.load(path, weights_only=True)  # plain types only: no pickle of our classes
    assert payload["format"] == "dlp_widgets.model/1" and payload["preprocessing"]["classes"] == [
        "setosa",
        "versicolor",
        "virginica",
    ]
    model = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
    model.load_state_dict(payload["state_dict"])  # an identical model, written by hand
    saved = dlp.load_model(path)
    frame, _ = load_table("builtin:iris")
    raw = frame.drop(columns=["species"]).iloc[::10]
    np.testing.assert_array_equal(saved.predict(raw), iris_run.predict(raw))
    assert (saved.predict(raw) == frame["species"].iloc[::10].to_numpy()).mean() >= 0.8


def test_code_export_builds_the_same_model(iris_run, tmp_path):
    path = iris_run.export("code", tmp_path / "model.py")
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # our own generated file
    namespace["model"].load_state_dict(iris_run.model.state_dict())


def _run_script(args, cwd):
    out = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_standalone_script_trains_to_the_same_metrics(iris_run, tmp_path):
    path = iris_run.export("script", tmp_path / "train_iris.py")
    assert (tmp_path / "train_iris_data.csv").exists()
    result = _run_script([sys.executable, str(path)], tmp_path)
    assert result["world_size"] == 1
    assert result["test_accuracy"] == pytest.approx(iris_run.metrics["test_accuracy"], abs=1 / 30 + 1e-9)
    assert result["test_loss"] == pytest.approx(iris_run.metrics["test_loss"], rel=0.05)


def test_standalone_script_for_regression_from_a_csv(tmp_path):
    frame, _ = load_table("builtin:diabetes")
    csv = tmp_path / "diabetes.csv"
    frame.to_csv(csv, index=False)
    run = dlp.train(
        {
            "model": default_model([10], 1),
            "data": {"source": f"csv:{csv}", "target": "progression"},
            "training": {"epochs": 30},
        }
    )
    path = run.export("script", tmp_path / "train_diabetes.py")
    result = _run_script([sys.executable, str(path), "--metrics-out", str(tmp_path / "m.json")], tmp_path)
    assert result["test_r2"] == pytest.approx(run.metrics["test_r2"], abs=0.02)
    assert json.loads((tmp_path / "m.json").read_text())["test_r2"] == result["test_r2"]


def test_standalone_script_under_torchrun_with_two_processes(iris_run, tmp_path):
    path = iris_run.export("script", tmp_path / "train_ddp.py")
    result = _run_script(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            str(path),
            "--epochs",
            "40",
            "--out",
            str(tmp_path / "ddp.pt"),
        ],
        tmp_path,
    )
    assert result["world_size"] == 2 and result["test_accuracy"] >= 0.8
    state = torch.load(tmp_path / "ddp.pt", weights_only=True)
    assert set(state) == set(iris_run.model.state_dict())


def test_script_of_a_run_reloaded_after_training_on_a_dataframe(tmp_path):
    frame, _ = load_table("builtin:iris")
    spec = {"model": default_model([4], 3), "data": {"target": "species"}, "training": {"epochs": 20}}
    run = dlp.train(spec, data=frame)
    again = dlp.load_run(run.id)  # from the store: the DataFrame stayed in the other session
    with pytest.raises(ExportError, match=r"data=frame"):
        again.export("script", tmp_path / "no_table.py")
    path = again.export("script", tmp_path / "train_frame.py", data=frame)
    result = _run_script([sys.executable, str(path)], tmp_path)
    assert result["test_accuracy"] == pytest.approx(run.metrics["test_accuracy"], abs=1 / 30 + 1e-9)
    # the command line takes the same table as a CSV file, and refuses clearly without it
    csv = tmp_path / "iris.csv"
    frame.to_csv(csv, index=False)
    cli = [sys.executable, "-m", "dlp_widgets.cli", "export", run.id, "--format", "script"]
    refused = subprocess.run([*cli, "--out", str(tmp_path / "x.py")], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--data FILE.csv" in json.loads(refused.stdout)["error"]["message"]
    done = subprocess.run(
        [*cli, "--out", str(tmp_path / "cli.py"), "--data", str(csv)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _run_script([sys.executable, str(tmp_path / "cli.py")], tmp_path)["test_accuracy"] == result["test_accuracy"]


def test_script_export_of_an_image_run_is_refused_clearly(tmp_path):
    run = dlp.train(
        {
            "model": {
                "input_shape": [1, 8, 8],
                "layers": [{"type": "Flatten"}, {"type": "Linear", "params": {"out_features": 10}}],
            },
            "data": {"source": "builtin:digits"},
            "training": {"epochs": 1},
        }
    )
    with pytest.raises(ExportError, match="covers tabular runs"):
        run.export("script", tmp_path / "train_digits.py")
    with pytest.raises(ExportError, match="unknown export format 'zip'"):
        run.export("zip")
    assert not (tmp_path / "train_digits.py").exists()


def test_an_export_never_replaces_the_runs_own_files(iris_run, tmp_path):
    for name in ("last.pt", "best.pt", "spec.json", "preprocessing.json"):
        with pytest.raises(ExportError, match="'s own file"):
            iris_run.export("pt", iris_run.folder / name)
    assert dlp.load_run(iris_run.id, iris_run.store).model is not None  # still loads


@pytest.mark.parametrize(
    "fmt, path, words",
    [
        ("pt", "", "the export path is empty"),
        ("pt", "/tmp", "is a folder"),
        ("onnx", "/proc/no/x.onnx", "cannot write"),
        (["pt"], None, "unknown export format"),
    ],
)
def test_bad_export_targets_say_what_is_wrong(iris_run, fmt, path, words):
    with pytest.raises(ExportError, match=words):
        iris_run.export(fmt, path)


def test_load_model_refuses_what_is_not_a_model_file(tmp_path):
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(bytes(range(256)) * 4)
    for path in (csv, junk):
        with pytest.raises(ValueError, match="is not a dlp_widgets model file") as info:
            dlp.load_model(path)
        assert "weights_only=False" not in str(info.value)  # torch's advice would be unsafe here
    with pytest.raises(FileNotFoundError, match="no model file at"):
        dlp.load_model(tmp_path / "missing.pt")


def test_predict_reads_one_row_as_a_dict_and_refuses_what_is_not_a_table(iris_run):
    row = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
    assert list(iris_run.predict(row)) == list(iris_run.predict(pd.DataFrame([row])))
    with pytest.raises(dlp.DataError, match="must be a DataFrame, a dict or a list of row dicts, not str"):
        iris_run.predict("5.1,3.5")
    twice = pd.DataFrame(
        [[5.1, 3.5, 1.4, 0.2]], columns=["sepal_length", "sepal_length", "petal_length", "petal_width"]
    )
    with pytest.raises(dlp.DataError, match="two columns named 'sepal_length'"):
        iris_run.predict(twice)


def test_the_script_checks_the_table_it_is_given(iris_run, tmp_path):
    with pytest.raises(ExportError, match="lacks the run's column"):
        iris_run.export("script", tmp_path / "s.py", data=pd.DataFrame({"a": [1]}))
    assert not (tmp_path / "s.py").exists()
