"""Graph models (spec version 2) train, reload and export like chains: the residual example
learns the digits, a reloaded run answers as the trained one, the ONNX export agrees with
onnxruntime, the ``.pt`` loads with ``weights_only=True``, the code export builds the same
network, and the CLI prints the nodes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.runstore import open_store
from dlp_widgets.spec import SpecError

ROOT = Path(__file__).resolve().parents[2]
RESIDUAL = json.loads((ROOT / "examples" / "residual.json").read_text())


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("graph-home") / "runs.sqlite")
    return dlp.train(RESIDUAL, epochs=3, dashboard=False, store=store)


def test_the_residual_example_learns_the_digits(run):
    assert run.status == "finished", run.error
    assert run.metrics["test_accuracy"] > 0.85  # ten classes
    assert isinstance(run.model, torch.fx.GraphModule)
    assert "block1_bn2 + stem_relu" in run.model.code
    assert run.name.endswith("residual CNN 13 nodes")


def test_a_reloaded_graph_run_answers_as_the_trained_one(run):
    x = run.test_inputs(32)
    again = dlp.load_run(run.id, store=run.store)
    assert again.spec.to_dict()["version"] == 2 and again.spec.to_dict()["model"] == RESIDUAL["model"]
    with torch.no_grad():
        torch.testing.assert_close(again.model(x), run.model(x))


def test_the_onnx_export_of_a_graph_agrees_with_onnxruntime(run, tmp_path):
    import onnxruntime as ort

    path = run.export("onnx", tmp_path / "residual.onnx")
    x = run.test_inputs(7)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        want = run.model(x).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_the_pt_export_of_a_graph_reloads(run, tmp_path):
    path = run.export("pt", tmp_path / "residual.pt")
    saved = torch.load(path, weights_only=True)
    assert saved["spec"]["version"] == 2
    saved_model = dlp.load_model(path)
    assert isinstance(saved_model.model, torch.fx.GraphModule)
    x = run.test_inputs(5)
    with torch.no_grad():
        torch.testing.assert_close(saved_model.model(x), run.model(x))


def test_the_code_export_of_a_graph_builds_the_same_network(run, tmp_path):
    path = run.export("code", tmp_path / "residual_model.py")
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # our own generated code, in a test
    model = namespace["model"].eval()
    model.load_state_dict(run.model.state_dict(), strict=True)
    x = run.test_inputs(4)
    with torch.no_grad():
        torch.testing.assert_close(model(x), run.model(x))


def test_the_cli_prints_a_graphs_nodes_and_code():
    shapes = subprocess.run(
        [sys.executable, "-m", "dlp_widgets.cli", "shapes", str(ROOT / "examples" / "residual.json")],
        capture_output=True,
        text=True,
    )
    assert shapes.returncode == 0, shapes.stderr
    out = json.loads(shapes.stdout)
    assert [n["id"] for n in out["nodes"]][-3:] == ["pool", "flat", "fc"]
    assert out["nodes"][-1]["output_shape"] == [10] and out["total_params"] == sum(n["params"] for n in out["nodes"])
    code = subprocess.run(
        [sys.executable, "-m", "dlp_widgets.cli", "code", str(ROOT / "examples" / "residual.json")],
        capture_output=True,
        text=True,
    )
    assert code.returncode == 0 and "class Model(nn.Module):" in code.stdout


def test_a_graph_model_needs_version_2():
    with pytest.raises(SpecError, match='add "version": 2'):
        dlp.load_spec({**RESIDUAL, "version": 1})


def test_a_graph_that_does_not_fit_the_data_names_the_node(tmp_path, monkeypatch):
    monkeypatch.setenv("DLP_HOME", str(tmp_path))
    spec = json.loads(json.dumps(RESIDUAL))
    spec["model"]["nodes"][-1]["params"]["out_features"] = 7
    with pytest.raises(SpecError) as err:
        dlp.train(spec, epochs=1, dashboard=False)
    assert err.value.node == "fc" and 'set out_features of the Linear "fc" to 10' in err.value.message
