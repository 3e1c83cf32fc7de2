"""Where the run store lives: a relative DLP_HOME means the folder it named when the session
started, whatever folder the notebook moves to since; a file where DLP_HOME or the runs
folder belongs is named, left as it is, and no run is left behind."""

from __future__ import annotations

import json
import warnings

import dlp_widgets as dlp
from dlp_cli import IRIS_SPEC, dlp_at
from run_helpers import iris_spec

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


def test_a_relative_dlp_home_stays_where_it_was_when_a_notebook_changes_folder(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    monkeypatch.setenv("DLP_HOME", "relative-home")
    run = dlp.train(iris_spec(epochs=1), dashboard=False)
    monkeypatch.chdir(tmp_path / "b")  # the notebook's os.chdir
    assert run.id in set(dlp.runs()["id"])
    assert (tmp_path / "a" / "relative-home" / "runs.sqlite").exists()
    assert not (tmp_path / "b" / "relative-home").exists()


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
