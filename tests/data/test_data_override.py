"""The data a run used is the run's own: a data override (in Python or on the command line)
is what the run records, resumes on and exports; data that changed or vanished since is
refused on resume and export, and the run is left as it was."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import dlp_widgets as dlp
from dlp_widgets.data import load_table
from run_helpers import iris_spec, stopped_after_first_epoch

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


def _csv(path: Path, rows: slice) -> Path:
    load_table("builtin:iris")[0].iloc[rows].to_csv(path, index=False)
    return path


def test_a_data_override_is_what_the_run_records_resumes_on_and_exports(tmp_path):
    a = _csv(tmp_path / "a.csv", slice(0, 150))
    b = _csv(tmp_path / "b.csv", slice(0, 150, 1))
    b.write_text(b.read_text().replace("setosa", "tiny"))  # b's classes differ from a's
    spec = {**iris_spec(epochs=300, batch_size=1), "data": {"source": f"csv:{a}", "target": "species"}}
    run = stopped_after_first_epoch(spec, data=f"csv:{b}")
    again = dlp.load_run(run.id)
    assert again.spec.data.source == f"csv:{b}"  # the run's spec names the data it used
    assert "tiny" in again.classes
    script = again.export("script", tmp_path / "train.py")
    assert "tiny" in (tmp_path / "train_data.csv").read_text()  # b's rows, not a's
    assert script.exists()
    again.spec.training.epochs = 2
    assert again.resume().status == "finished" and "tiny" in again.classes


def test_changed_or_vanished_data_is_refused_on_resume_and_export(tmp_path):
    data = _csv(tmp_path / "data.csv", slice(0, 150))
    spec = {**iris_spec(epochs=300, batch_size=1), "data": {"source": f"csv:{data}", "target": "species"}}
    run = stopped_after_first_epoch(spec)
    data.write_text(data.read_text() + "5.0,3.0,1.5,0.2,setosa\n")  # a row appended since
    with pytest.raises(dlp.DataError, match=r"has changed since run .* trained on it .* bytes"):
        dlp.load_run(run.id).resume()
    with pytest.raises(dlp.DataError, match="has changed since run"):
        dlp.load_run(run.id).export("script", tmp_path / "train.py")
    data.unlink()
    with pytest.raises(dlp.DataError, match="is gone: run .* trained on it"):
        dlp.load_run(run.id).resume()
    assert dlp.load_run(run.id).status == "stopped"  # refused: the run is as it was


def test_a_cli_data_override_survives_a_kill_and_is_exported(tmp_path):
    a = _csv(tmp_path / "a.csv", slice(0, 150))
    b = _csv(tmp_path / "b.csv", slice(0, 150))
    b.write_text(b.read_text().replace("virginica", "giant"))
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({**iris_spec(epochs=2), "data": {"source": f"csv:{a}", "target": "species"}}))
    out = subprocess.run(
        [sys.executable, "-m", "dlp_widgets.cli", "train", str(spec), "--data", f"csv:{b}", "--json"],
        capture_output=True,
        text=True,
    )
    run_id = json.loads(out.stdout)["id"]
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "dlp_widgets.cli",
            "export",
            run_id,
            "--format",
            "script",
            "--out",
            str(tmp_path / "t.py"),
        ],
        capture_output=True,
        text=True,
    )
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "giant" in (tmp_path / "t_data.csv").read_text()
