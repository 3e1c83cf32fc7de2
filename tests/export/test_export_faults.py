"""Exports never destroy and survive odd inputs: an export aimed at the store's database or,
through a link, at a checkpoint is refused; a failed export leaves the file that was there;
odd script names, whole-number column names, a model file without its spec and a run without
epochs are handled."""

from __future__ import annotations

import errno
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.data import load_table
from dlp_widgets.export import ExportError
from dlp_widgets.runstore import open_store
from dlp_widgets.spec.defaults import default_model
from run_helpers import iris_spec

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


def test_an_export_never_overwrites_the_store_or_a_checkpoint_through_a_link(tmp_path):
    run = dlp.train(iris_spec(epochs=2), dashboard=False)
    store = open_store()
    database = store.path
    before = database.read_bytes()
    for target in (database, Path(str(database) + "-wal")):
        with pytest.raises(ExportError, match="the run store's database"):
            run.export("pt", target)
    link = tmp_path / "innocent.pt"
    link.symlink_to(run.folder / "last.pt")
    checkpoint = (run.folder / "last.pt").read_bytes()
    with pytest.raises(ExportError, match="own file last.pt"):
        run.export("pt", link)
    assert (run.folder / "last.pt").read_bytes() == checkpoint and database.read_bytes() == before
    out = subprocess.run(
        [sys.executable, "-m", "dlp_widgets.cli", "export", run.id, "--format", "pt", "--out", str(database)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "the run store's database" in out.stdout and "Nothing was changed" not in out.stdout
    assert len(dlp.runs()) >= 1


def test_a_failed_export_leaves_the_file_that_was_there(tmp_path, monkeypatch):
    from dlp_widgets.export import pt

    run = dlp.train(iris_spec(epochs=1), dashboard=False)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "model.pt"
    target.write_bytes(b"the previous export")

    def half_then_fail(model, spec, preprocessing, path, metrics=None):
        Path(path).write_bytes(b"half a model")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pt, "save_pt", half_then_fail)
    with pytest.raises(ExportError, match="no space left"):
        run.export("pt", target)
    assert target.read_bytes() == b"the previous export"
    assert [p.name for p in target.parent.iterdir()] == ["model.pt"]  # no temporary file left


def test_a_script_named_with_quotes_and_line_breaks_is_still_a_script(tmp_path):
    run = dlp.train(iris_spec(epochs=1), dashboard=False, name='a """ name\nwith\\odd" parts')
    path = tmp_path / 'train """ x\\.py'
    written = run.export("script", path)
    compile(written.read_text(), str(written), "exec")
    out = subprocess.run([sys.executable, str(written), "--epochs", "1"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr


def test_a_model_file_without_its_spec_is_refused_by_name(tmp_path):
    from dlp_widgets.export.pt import PT_FORMAT

    path = tmp_path / "odd.pt"
    torch.save({"format": PT_FORMAT, "state_dict": {}}, path)
    with pytest.raises(ValueError, match="without its spec"):
        dlp.load_model(path)


def test_a_dataframe_with_whole_number_column_names_exports_its_script(tmp_path):
    frame = load_table("builtin:iris")[0]
    frame.columns = [0, 1, 2, 3, "species"]
    run = dlp.train(
        {"model": default_model([4], 3), "data": {"target": "species"}, "training": {"epochs": 3}},
        data=frame,
        dashboard=False,
    )
    script = run.export("script", tmp_path / "train.py")
    out = subprocess.run([sys.executable, str(script), "--epochs", "1"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr


def test_the_code_of_a_run_without_epochs_is_exported(tmp_path):
    run = dlp.start(iris_spec(epochs=50, batch_size=1), dashboard=False)
    run.stop()
    run.wait(30)
    assert run.history.empty
    assert "nn.Linear(4, 32)" in run.export("code", tmp_path / "model.py").read_text()
