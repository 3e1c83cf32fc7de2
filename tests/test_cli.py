"""The ``dlp`` command: JSON out, exit 2 and a clear error on bad input, never a traceback."""

import json
import subprocess
import sys

import pytest

from dlp_widgets.spec import infer
from test_shapes_oracle import LENET5, ORIGINAL_IMAGE_BROKEN
from test_spec_validation import EXAMPLE
from torch_oracle import run_layers

DLP = [sys.executable, "-m", "dlp_widgets.cli"]


def dlp(*args, stdin=None):
    return subprocess.run([*DLP, *args], capture_output=True, text=True, input=stdin, timeout=120)


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
    spec.write_text((__import__("pathlib").Path(__file__).parents[1] / "examples" / "iris.json").read_text())
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
    spec.write_text((__import__("pathlib").Path(__file__).parents[1] / "examples" / "iris.json").read_text())
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


# ---------------------------------------------------------------- bad options, paths and stores

IRIS_SPEC = __import__("pathlib").Path(__file__).parents[1] / "examples" / "iris.json"


def dlp_at(home, *args):
    """``dlp`` with its own DLP_HOME, for tests that need a store of a special kind."""
    import os

    env = {**os.environ, "DLP_HOME": str(home)}
    return subprocess.run([*DLP, *args], capture_output=True, text=True, timeout=120, env=env)


def stored_runs(home, count):
    """``count`` finished runs written straight into the store at ``home``: no training needed."""
    from dlp_widgets.runstore import open_store

    store = open_store(home / "runs.sqlite")
    ids = []
    for i in range(count):
        run_id = store.create_run(
            name=f"stored {i}", spec=json.loads(IRIS_SPEC.read_text()), source="builtin:iris", task=None, device="cpu"
        )
        store.finish_run(run_id, "finished", {"test_accuracy": 0.5})
        ids.append(run_id)
    return store, ids


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


def test_a_store_file_that_is_not_a_database_is_named_and_left_alone(tmp_path):
    garbage = bytes(range(256)) * 16
    store_file = tmp_path / "runs.sqlite"
    store_file.write_bytes(garbage)
    for args in (["runs"], ["runs", "--json"], ["show", "2026"], ["train", str(IRIS_SPEC), "--json"]):
        out = dlp_at(tmp_path, *args)
        assert out.returncode == 2, (args, out)
        error = json.loads(out.stdout)["error"]
        assert error["path"] == str(store_file)
        assert f"{store_file} is not a run store" in error["message"] and "Nothing was changed" in error["message"]
        assert "Traceback" not in out.stderr
    assert store_file.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.sqlite"]  # no WAL file, no runs folder


def test_a_run_with_an_unreadable_spec_is_listed_with_a_note(tmp_path):
    import sqlite3

    import dlp_widgets

    store, (broken, fine) = stored_runs(tmp_path, 2)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE runs SET spec='{\"model\": ' WHERE id=?", (broken,))
    listed = {r["id"]: r for r in store.list_runs()}
    assert listed[broken]["spec"] == {} and "spec of this run cannot be read" in listed[broken]["note"]
    assert "note" not in listed[fine] and listed[fine]["spec"]["model"]
    assert set(dlp_widgets.runs(store=store)["id"]) == {broken, fine}

    out = dlp_at(tmp_path, "runs", "--json")
    assert out.returncode == 0, out
    rows = {r["id"]: r for r in json.loads(out.stdout)}
    assert rows[broken]["name"] == "stored 0" and rows[broken]["status"] == "finished"
    assert "cannot be read" in rows[broken]["note"] and rows[fine]["note"] is None
    table = dlp_at(tmp_path, "runs")
    assert table.returncode == 0 and "cannot be read" in table.stdout and fine in table.stdout
    shown = dlp_at(tmp_path, "show", broken)
    assert shown.returncode == 0 and "cannot be read" in json.loads(shown.stdout)["note"]
    out = dlp_at(tmp_path, "export", broken, "--format", "code")
    assert out.returncode == 2 and f"run {broken} cannot be loaded" in json.loads(out.stdout)["error"]["message"]
    with sqlite3.connect(store.path) as db:  # listing it changed nothing in the store
        assert db.execute("SELECT spec FROM runs WHERE id=?", (broken,)).fetchone()[0] == '{"model": '


def test_a_file_where_a_folder_belongs_is_named_and_no_run_is_left_behind(tmp_path):
    home_file = tmp_path / "home"
    home_file.write_text("not a folder")
    for args in (["runs"], ["train", str(IRIS_SPEC), "--epochs", "1", "--json"]):
        out = dlp_at(home_file, *args)
        assert out.returncode == 2, out
        error = json.loads(out.stdout)["error"]
        assert error["path"] == str(home_file) and f"DLP_HOME {home_file} is a file" in error["message"]
        assert "Traceback" not in out.stderr
    assert home_file.read_text() == "not a folder"

    home = tmp_path / "store"
    home.mkdir()
    (home / "runs").write_text("not a folder either")
    out = dlp_at(home, "train", str(IRIS_SPEC), "--epochs", "1", "--json")
    assert out.returncode == 2, out
    error = json.loads(out.stdout)["error"]
    assert error["path"] == str(home / "runs") and "is a file, not a folder" in error["message"]
    from dlp_widgets.runstore import open_store

    assert open_store(home / "runs.sqlite").list_runs() == []  # the check came before the row
    assert (home / "runs").read_text() == "not a folder either"


def test_run_ids_of_the_wrong_type_or_shared_by_several_runs_get_clear_errors(tmp_path):
    import os

    import dlp_widgets

    store, ids = stored_runs(tmp_path, 3)
    for wrong in (None, 123):
        with pytest.raises(TypeError, match=f"a run id is text.*not {type(wrong).__name__}"):
            store.get_run(wrong)
        with pytest.raises(TypeError, match="a run id is text"):
            dlp_widgets.load_run(wrong, store=store)
    shared = os.path.commonprefix(ids)
    assert shared and shared not in ids
    with pytest.raises(KeyError, match=f"run id '{shared}' matches 3 runs") as caught:
        dlp_widgets.load_run(shared, store=store)
    assert all(run_id in str(caught.value) for run_id in ids)
    out = dlp_at(tmp_path, "show", shared)
    assert out.returncode == 2 and "matches 3 runs" in json.loads(out.stdout)["error"]["message"]
    assert store.get_run(ids[1][:-1])["id"] == ids[1]  # a prefix that one run has still finds it
    with pytest.raises(KeyError, match="no run"):
        dlp_widgets.load_run(shared[:4] + "%", store=store)  # LIKE wildcards still match only themselves
