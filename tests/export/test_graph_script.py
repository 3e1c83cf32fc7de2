"""The standalone training script of a graph model: it defines the network as a class (the
code export's), trains to the run's metrics in one process, and under torchrun with two."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

import dlp_widgets as dlp

GRAPH = {
    "version": 2,
    "model": {
        "inputs": [{"id": "x", "shape": [4]}],
        "nodes": [
            {"id": "fc1", "type": "Linear", "params": {"out_features": 16}},
            {"id": "act1", "type": "ReLU"},
            {"id": "fc2", "type": "Linear", "params": {"out_features": 16}},
            {"id": "skip", "type": "Add", "inputs": ["fc2", "fc1"]},
            {"id": "act2", "type": "ReLU"},
            {"id": "head", "type": "Linear", "params": {"out_features": 3}},
        ],
    },
    "data": {"source": "builtin:iris"},
    "training": {"epochs": 30, "lr": 0.01},
}


@pytest.fixture(scope="module")
def graph_run(tmp_path_factory):
    import os

    os.environ["DLP_HOME"] = str(tmp_path_factory.mktemp("graph-script-home"))
    return dlp.train(GRAPH, dashboard=False)


def _run(args, cwd):
    out = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_graph_runs_script_trains_to_the_runs_metrics(graph_run, tmp_path):
    assert graph_run.status == "finished" and graph_run.metrics["test_accuracy"] > 0.8
    path = graph_run.export("script", tmp_path / "train_graph.py")
    assert "class Model(nn.Module):" in path.read_text() and "fc2 + fc1" in path.read_text()
    result = _run([sys.executable, str(path)], tmp_path)
    assert result["test_accuracy"] == pytest.approx(graph_run.metrics["test_accuracy"], abs=1 / 30 + 1e-9)
    assert result["test_loss"] == pytest.approx(graph_run.metrics["test_loss"], rel=0.05)


def test_a_graph_runs_script_under_torchrun_with_two_processes(graph_run, tmp_path):
    path = graph_run.export("script", tmp_path / "train_graph_ddp.py")
    args = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(path)]
    result = _run([*args, "--epochs", "40", "--out", str(tmp_path / "ddp.pt")], tmp_path)
    assert result["world_size"] == 2 and result["test_accuracy"] >= 0.8
    state = torch.load(tmp_path / "ddp.pt", weights_only=True)
    assert set(state) == set(graph_run.model.state_dict())
