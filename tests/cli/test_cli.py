"""The ``dlp`` command: JSON out, exit 2 and a clear error on bad input, never a traceback."""

import json
import subprocess
import sys

import pytest

from dlp_cli import dlp, dlp_at, stored_runs
from dlp_widgets.spec import infer
from spec_examples import EXAMPLE, LENET5, ORIGINAL_IMAGE_BROKEN
from torch_oracle import run_layers


def test_shapes_of_a_model_only_spec(tmp_path):
    path = tmp_path / "lenet.json"
    path.write_text(json.dumps({"model": LENET5}))
    out = dlp("shapes", str(path))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    torch_layers, _ = run_layers(LENET5)
    assert [(tuple(layer["output_shape"]), layer["params"]) for layer in result["layers"]] == torch_layers
    assert result["total_params"] == 61_706
    assert result["layers"][0] == {"type": "Conv2d", "output_shape": [6, 28, 28], "params": 156}


def test_shapes_of_a_whole_spec_from_stdin():
    out = dlp("shapes", "-", stdin=json.dumps(EXAMPLE))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["layers"][-1]["output_shape"] == [10]


def test_shapes_error_exits_2_with_layer_and_param(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"model": ORIGINAL_IMAGE_BROKEN}))
    out = dlp("shapes", str(path))
    assert out.returncode == 2
    error = json.loads(out.stdout)["error"]
    assert error["layer"] == 3 and error["param"] == "in_features"
    assert error["message"] == infer(ORIGINAL_IMAGE_BROKEN).error.message
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", "not valid JSON"),
        ("[" * 50_000, "nested too deeply|not valid JSON"),
        (
            '{"model": {"input_shape": [4], "layers": [{"type": "Linear", "params": {"out_features": "ten"}}]}}',
            'out_features must be a whole number, not the text "ten"',
        ),
        ('{"model": {"input_shape": [4]}, "training": {"lr": -1}}', "training.lr must be between"),
        ('{"model": {"input_shape": []}}', "input_shape must list 1 to 3 sizes"),
        ("\xff\xfe", "not valid JSON|UTF-8"),
    ],
)
def test_bad_files_exit_2_with_a_message(tmp_path, content, words):
    import re

    path = tmp_path / "bad.json"
    path.write_text(content, encoding="latin-1")
    out = dlp("shapes", str(path))
    assert out.returncode == 2, out
    assert re.search(words, json.loads(out.stdout)["error"]["message"])
    assert "Traceback" not in out.stderr


def test_missing_file_and_usage_errors():
    out = dlp("shapes", "/nonexistent/spec.json")
    assert out.returncode == 2 and "no such file" in json.loads(out.stdout)["error"]["message"]
    out = dlp("frobnicate")
    assert out.returncode == 2 and "invalid choice" in out.stderr and "Traceback" not in out.stderr


def test_code_prints_runnable_source(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(EXAMPLE))
    out = dlp("code", str(path))
    assert out.returncode == 0, out.stderr
    assert "nn.Conv2d(1, 6, 5, padding=2),  # -> [6, 28, 28]" in out.stdout
    script = tmp_path / "model.py"
    script.write_text(out.stdout + "\nimport torch\nprint(tuple(model(torch.zeros(2, 1, 28, 28)).shape))\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "(2, 10)"


def test_code_writes_none_of_torchs_defaults_and_shapes_asks_for_what_torch_requires(tmp_path):
    conv = {"type": "Conv2d", "params": {"out_channels": 16, "kernel_size": 5}}  # as nn.Conv2d(6, 16, 5)
    path = tmp_path / "conv.json"
    path.write_text(json.dumps({"model": {"input_shape": [6, 14, 14], "layers": [conv]}}))
    out = dlp("code", str(path))
    assert out.returncode == 0, out.stderr
    assert "nn.Conv2d(6, 16, 5),  # -> [16, 10, 10], 2,416 params" in out.stdout
    assert "padding" not in out.stdout
    del conv["params"]["kernel_size"]
    path.write_text(json.dumps({"model": {"input_shape": [6, 14, 14], "layers": [conv]}}))
    out = dlp("shapes", str(path))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    error = json.loads(out.stdout)["error"]
    assert error["layer"] == 0 and error["param"] == "kernel_size"
    assert "Conv2d at position 1 needs kernel_size" in error["message"]


def test_installed_entry_point_works():
    import shutil

    exe = shutil.which("dlp", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe, "the dlp console script is installed with the package"
    out = subprocess.run(
        [exe, "shapes", "-"],
        input=json.dumps(
            {"model": {"input_shape": [4], "layers": [{"type": "Linear", "params": {"out_features": 10}}]}}
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and json.loads(out.stdout)["total_params"] == 50


# ---------------------------------------------------------------- training commands


def test_train_json_runs_show_and_export(tmp_path):
    spec = tmp_path / "iris.json"
    spec.write_text((__import__("pathlib").Path(__file__).parents[2] / "examples" / "iris.json").read_text())
    out = dlp("train", str(spec), "--epochs", "5", "--json", "--name", "cli run")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert (
        result["status"] == "finished"
        and result["metrics"]["epochs"] == 5
        and 0 <= result["metrics"]["test_accuracy"] <= 1
    )
    listed = json.loads(dlp("runs", "--json").stdout)
    mine = next(r for r in listed if r["id"] == result["id"])
    assert mine["name"] == "cli run" and mine["status"] == "finished" and mine["created"]
    shown = json.loads(dlp("show", result["id"][:17]).stdout)  # a unique prefix is enough
    assert len(shown["epochs"]) == 5 and shown["spec"]["training"]["epochs"] == 5
    exported = json.loads(dlp("export", result["id"], "--format", "pt", "--out", str(tmp_path / "m.pt")).stdout)
    assert exported["bytes"] > 0 and (tmp_path / "m.pt").exists()
    script = json.loads(dlp("export", result["id"], "--format", "script", "--out", str(tmp_path / "t.py")).stdout)
    assert script["also_written"] == [str(tmp_path / "t_data.csv")]  # the data file is named, not silent
    assert (tmp_path / "t_data.csv").exists()
    pipeline = dlp("export", result["id"], "--format", "onnx_pipeline", "--out", str(tmp_path / "p.onnx"))
    assert pipeline.returncode == 0 and (tmp_path / "p.onnx").exists(), pipeline.stdout


def test_train_prints_progress_and_a_table(tmp_path):
    spec = tmp_path / "iris.json"
    spec.write_text((__import__("pathlib").Path(__file__).parents[2] / "examples" / "iris.json").read_text())
    out = dlp("train", str(spec), "--epochs", "3")
    assert out.returncode == 0
    assert "epoch 3/3" in out.stderr and "training on cpu" in out.stderr
    assert "test_accuracy" in out.stdout.splitlines()[0] and "finished" in out.stdout


def test_train_and_export_bad_input_exit_2(tmp_path):
    spec = tmp_path / "bad.json"
    spec.write_text(
        json.dumps(
            {
                "model": {"input_shape": [3], "layers": [{"type": "Linear", "params": {"out_features": 3}}]},
                "data": {"source": "builtin:iris"},
            }
        )
    )
    out = dlp("train", str(spec))
    assert out.returncode == 2 and "the data gives [4]" in json.loads(out.stdout)["error"]["message"]
    out = dlp("train", str(spec), "--data", str(tmp_path / "missing.csv"))
    assert out.returncode == 2 and "no such file" in json.loads(out.stdout)["error"]["message"]
    out = dlp("show", "no-such-run")
    assert out.returncode == 2 and "no run" in json.loads(out.stdout)["error"]["message"]
    out = dlp("export", "no-such-run", "--format", "zip")
    assert out.returncode == 2 and "invalid choice" in out.stderr
    assert "Traceback" not in out.stderr


# ---------------------------------------------------------------- bad options and paths
# (a store the command cannot use, and run ids it cannot tell apart: tests/store/)


@pytest.mark.parametrize(
    "option, value",
    [("--max-mb", "nan"), ("--max-mb", "inf"), ("--max-mb", "-1"), ("--max-mb", "1e308")]
    + [("--timeout", v) for v in ("0", "-1", "nan", "inf", "soon")],
)
def test_download_limits_must_be_finite_numbers_above_0(option, value):
    out = dlp("data", "builtin:iris", option, value)
    assert out.returncode == 2 and f"argument {option}: must be a number" in out.stderr, out
    assert value in out.stderr and "Traceback" not in out.stderr


def test_export_refuses_an_out_path_it_cannot_write_before_exporting(tmp_path):
    _, (run_id,) = stored_runs(tmp_path, 1)  # no checkpoint: the path is refused before any export work
    (tmp_path / "a_file").write_text("keep me")
    cases = [
        (str(tmp_path), f"--out {tmp_path} is a folder"),
        ("", "--out is empty"),
        (str(tmp_path / "a_file" / "m.pt"), f"{tmp_path / 'a_file'} is a file, not a folder"),
    ]
    if __import__("pathlib").Path("/proc/self").is_dir():  # Linux: /proc takes no new files, even from root
        cases.append(("/proc/x.onnx", "--out /proc/x.onnx cannot be written: /proc takes no new files"))
    for out_path, words in cases:
        out = dlp_at(tmp_path, "export", run_id, "--format", "pt", "--out", out_path)
        assert out.returncode == 2, out
        assert words in json.loads(out.stdout)["error"]["message"]
        assert "Traceback" not in out.stderr
    assert (tmp_path / "a_file").read_text() == "keep me"
