"""Trust under faults: runs that always end, data that is the run's own, files that are
never destroyed. Faults are injected where the store and the checkpoints write (a full
disk, a read-only store, a lock held too long) and processes are killed at random moments;
every run must end with a status and a message a person understands, ``wait()`` must
return, and the store must stay readable."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest
import torch

import dlp_widgets as dlp
from dlp_widgets.data import load_table
from dlp_widgets.export import ExportError
from dlp_widgets.runstore import open_store
from dlp_widgets.runstore import store as store_module
from dlp_widgets.spec.defaults import default_model

warnings.filterwarnings("ignore", category=UserWarning, module="dlp_widgets")


def stopped_after_first_epoch(spec: dict, data=None) -> dlp.Run:
    """A run stopped at the end of its first epoch (its spec asks for many more)."""
    holder: list = []

    def stop(event):
        if event["type"] == "epoch_end" and event["epoch"] == 1:
            while not holder:  # the training thread can get here before start() has returned
                time.sleep(0.01)
            holder[0].stop()

    holder.append(dlp.start(spec, data, dashboard=False, subscribe=stop))
    assert holder[0].wait(60) == "stopped"
    return holder[0]


def iris_spec(epochs: int = 3, **training) -> dict:
    return {
        "model": default_model([4], 3),
        "data": {"source": "builtin:iris"},
        "training": {"epochs": epochs, **training},
    }


# ---------------------------------------------------------------- faults where the store writes


def sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code
    return exc


STORE_FAULTS = {
    "disk full": (sqlite_error("database or disk is full", sqlite3.SQLITE_FULL), "no space left"),
    "read-only": (sqlite_error("attempt to write a readonly database", sqlite3.SQLITE_READONLY), "read-only"),
    "locked": (sqlite_error("database is locked", sqlite3.SQLITE_BUSY), "locked by another program"),
    "I/O error": (sqlite_error("disk I/O error", sqlite3.SQLITE_IOERR), "cannot be written"),
}
# the statements a run writes while it trains, each a place a fault can strike
STORE_WRITES = {
    "epoch row": "INSERT OR REPLACE INTO epochs",
    "the ending": "UPDATE runs SET status=?, finished=?",
}


class FaultyConnection:
    """A real SQLite connection that raises ``fault`` on statements starting with ``prefix``."""

    def __init__(self, real: sqlite3.Connection, prefix: str, fault: Exception) -> None:
        self._real, self._prefix, self._fault = real, prefix, fault

    def execute(self, sql: str, *args):
        if sql.lstrip().startswith(self._prefix):
            raise self._fault
        return self._real.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._real, name, value)

    def __enter__(self):
        return self._real.__enter__()

    def __exit__(self, *exc):
        return self._real.__exit__(*exc)


@pytest.mark.parametrize("site", list(STORE_WRITES))
@pytest.mark.parametrize("fault", list(STORE_FAULTS))
def test_a_store_write_that_fails_ends_the_run_with_a_message(monkeypatch, site, fault):
    earlier = dlp.train(iris_spec(epochs=1), dashboard=False)
    exc, words = STORE_FAULTS[fault]
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        return FaultyConnection(real_connect(*args, **kwargs), STORE_WRITES[site], exc)

    with monkeypatch.context() as patch:  # (undo() would also undo conftest's DLP_HOME)
        patch.setattr(store_module.sqlite3, "connect", connect)
        run = dlp.start(iris_spec(epochs=3), dashboard=False)
        assert run.wait(60) in ("failed", "finished"), "wait() returned before the run ended"
    assert run.done and words in run.error, run.error
    assert "Traceback" not in run.error and "OperationalError" not in run.error
    runs = dlp.runs()  # the store is intact and readable
    assert earlier.id in set(runs["id"]) and run.id in set(runs["id"])
    row = open_store().get_run(run.id)  # a reopened store never shows it as still training
    assert row["status"] != "running"


@pytest.mark.parametrize(
    ("raised", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "no space left"),
        (OSError(errno.EROFS, "Read-only file system"), "cannot be written to"),
        (RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0"), "no space left"),
    ],
    ids=["ENOSPC", "EROFS", "torch's own words"],
)
def test_a_checkpoint_that_cannot_be_written_ends_the_run_in_words(monkeypatch, raised, words):
    from dlp_widgets import home
    from dlp_widgets.engine import checkpoints

    def failing_save(obj, path):
        Path(path).write_bytes(b"half")  # a half-written temporary file
        raise raised

    with monkeypatch.context() as patch:
        patch.setattr(checkpoints.torch, "save", failing_save)
        if isinstance(raised, RuntimeError):  # torch says nothing useful: the disk's free space does
            patch.setattr(home.shutil, "disk_usage", lambda _: type("U", (), {"free": 1024})())
        run = dlp.start(iris_spec(epochs=2), dashboard=False)
        assert run.wait(60) == "failed"
    assert words in run.error and "inline_container" not in run.error, run.error
    assert not list(run.folder.glob(".*.part")), "a half-written checkpoint was left behind"
    assert open_store().get_run(run.id)["status"] == "failed"


# ---------------------------------------------------------------- a read-only store


def _immutable(path: Path, on: bool) -> bool:
    """chattr ±i: read-only even for root (tests run as root). False where not supported."""
    result = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    return result.returncode == 0


@pytest.fixture
def read_only_store(tmp_path, monkeypatch):
    home = tmp_path / "ro-home"
    monkeypatch.setenv("DLP_HOME", str(home))
    run = dlp.train(iris_spec(epochs=2), dashboard=False, name="kept")
    paths = [home / "runs.sqlite", home]
    if not _immutable(paths[0], True):
        pytest.skip("chattr +i is not available here: a read-only store cannot be made for root")
    _immutable(paths[1], True)
    try:
        yield run
    finally:
        for p in reversed(paths):
            _immutable(p, False)


def test_a_read_only_store_is_read_not_crashed(read_only_store):
    run = read_only_store
    table = dlp.runs()
    assert list(table["name"]) == ["kept"]
    assert dlp.load_run(run.id).history["epoch"].tolist() == [1, 2]
    env = dict(os.environ)
    for args in (["runs", "--json"], ["show", run.id]):
        out = subprocess.run([sys.executable, "-m", "dlp_widgets.cli", *args], capture_output=True, text=True, env=env)
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
        assert run.id in out.stdout
    with pytest.raises(Exception, match="is read-only: runs can be listed and shown but not saved"):
        dlp.train(iris_spec(epochs=1), dashboard=False)


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


# ---------------------------------------------------------------- who owns a running run

TRAIN_IN_CHILD = r"""
import sys, time, dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model
spec = {"model": default_model([4], 3), "data": {"source": "builtin:iris"},
        "training": {"epochs": 400, "batch_size": 4}}
def on_event(e):
    if e["type"] == "epoch_end" and e["epoch"] == 2:
        print(e["run_id"], flush=True)
dlp.train(spec, subscribe=on_event)
"""


def _child(code: str) -> tuple[subprocess.Popen, str]:
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    run_id = child.stdout.readline().strip()
    assert run_id, "the child printed no run id"
    return child, run_id


def test_a_run_training_in_another_process_cannot_be_resumed_or_deleted():
    child, run_id = _child(TRAIN_IN_CHILD)
    try:
        store = open_store()
        assert store.get_run(run_id)["status"] == "running"
        with pytest.raises(Exception, match=rf"run {run_id} is training in process {child.pid} on"):
            dlp.load_run(run_id).resume()
        with pytest.raises(ValueError, match="still training in process"):
            store.delete_run(run_id)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    store = open_store()
    assert store.get_run(run_id)["status"] == "interrupted"
    run = dlp.load_run(run_id)
    run.spec.training.epochs = 4  # the child's 400 epochs are not needed to see it resume
    assert run.resume().status == "finished"


def test_a_run_whose_owner_is_gone_is_interrupted_even_under_a_new_host_name():
    child, run_id = _child(TRAIN_IN_CHILD)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    with sqlite3.connect(open_store().path) as db:  # as after a restart with a new host name
        db.execute("UPDATE runs SET status='running', host='machine-before-restart' WHERE id=?", (run_id,))
    assert open_store().get_run(run_id)["status"] == "interrupted"


# ---------------------------------------------------------------- history and weights agree

DIE_BETWEEN_WRITES = r"""
import os, dlp_widgets as dlp
from dlp_widgets.runstore.store import RunStore
from dlp_widgets.spec.defaults import default_model
real = RunStore.add_epoch
def add_epoch(self, run_id, epoch, metrics):
    if epoch == 3:
        print(run_id, flush=True)
        os._exit(9)  # killed after the checkpoint of epoch 3, before its row
    real(self, run_id, epoch, metrics)
RunStore.add_epoch = add_epoch
spec = {"model": default_model([4], 3), "data": {"source": "builtin:iris"}, "training": {"epochs": 6, "batch_size": 8}}
dlp.train(spec)
"""


def _assert_history_matches_weights(run_id: str) -> None:
    run = dlp.load_run(run_id)
    ckpt = torch.load(run.folder / "last.pt", weights_only=True)
    stored = [e["epoch"] for e in open_store().epochs(run_id)]
    assert stored == [r["epoch"] for r in ckpt["history"]] == list(range(1, ckpt["epoch"] + 1))
    assert run.history["epoch"].tolist() == stored


def test_a_kill_between_the_checkpoint_and_the_row_is_put_right_on_resume():
    child, run_id = _child(DIE_BETWEEN_WRITES)
    child.wait(30)
    store = open_store()
    assert store.get_run(run_id)["status"] == "interrupted"
    assert [e["epoch"] for e in store.epochs(run_id)] == [1, 2]  # the row of epoch 3 never came
    run = dlp.load_run(run_id).resume()
    assert run.status == "finished"
    _assert_history_matches_weights(run_id)
    assert [e["epoch"] for e in store.epochs(run_id)] == list(range(1, 7))


def test_rows_beyond_the_checkpoint_are_dropped_on_resume():
    cut = stopped_after_first_epoch(iris_spec(epochs=300, batch_size=1))
    store = open_store()
    store.add_epoch(cut.id, 2, {"train_loss": 123.0, "test_loss": 456.0})  # a row the weights never saw
    run = dlp.load_run(cut.id)
    run.spec.training.epochs = 3
    run.resume()
    assert run.status == "finished"
    assert all(e["train_loss"] != 123.0 for e in store.epochs(cut.id))
    _assert_history_matches_weights(cut.id)


KILL_ME = r"""
import dlp_widgets as dlp
from dlp_widgets.spec.defaults import default_model
spec = {"model": default_model([13], 3), "data": {"source": "builtin:wine"}, "training": {"epochs": 100000, "batch_size": 4}}
dlp.train(spec, subscribe=lambda e: print(e["run_id"], flush=True) if e["type"] == "started" else None)
"""


def test_killed_at_random_moments_the_store_stays_readable_and_resumes_consistently():
    rng = random.Random(11)
    for _ in range(5):
        child, run_id = _child(KILL_ME)
        time.sleep(rng.uniform(0.0, 1.5))  # anywhere: mid-batch, mid-checkpoint, between writes
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        store = open_store()  # readable, and the run is interrupted, not running
        assert store.get_run(run_id)["status"] == "interrupted"
        run = dlp.load_run(run_id)
        if not (run.folder / "last.pt").exists():
            continue  # killed before its first epoch ended: nothing to resume
        ckpt = torch.load(run.folder / "last.pt", weights_only=True)
        stored = [e["epoch"] for e in store.epochs(run_id)]
        # the checkpoint is written first: the store is never ahead of it, at most one behind
        assert stored == list(range(1, len(stored) + 1)) and ckpt["epoch"] - len(stored) in (0, 1)
        run.spec.training.epochs = ckpt["epoch"] + 1  # one more epoch is enough to check
        assert run.resume().status == "finished"
        _assert_history_matches_weights(run_id)


# ---------------------------------------------------------------- the data a run used


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


# ---------------------------------------------------------------- exports never destroy


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


# ---------------------------------------------------------------- smaller ones


def test_a_constant_regression_target_is_refused_in_words_and_the_cli_prints_valid_json(tmp_path):
    frame = pd.DataFrame({"x": range(40), "y": [2.5] * 40})
    frame.to_csv(tmp_path / "flat.csv", index=False)
    spec = {
        "model": default_model([1], 1),
        "data": {"source": f"csv:{tmp_path / 'flat.csv'}", "target": "y", "task": "regression"},
        "training": {"epochs": 2},
    }
    (tmp_path / "flat.json").write_text(json.dumps(spec))
    out = subprocess.run(
        [sys.executable, "-m", "dlp_widgets.cli", "train", str(tmp_path / "flat.json"), "--json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    message = json.loads(out.stdout)["error"]["message"]
    assert 'target "y" has the same value (2.5) in every row' in message


def test_r2_of_a_constant_test_split_is_finite_as_scikit_learn_has_it():
    from sklearn.metrics import r2_score as oracle

    from dlp_widgets.engine.metrics import regression_scores

    y = torch.full((6,), 3.0)
    for pred in (y.clone(), y + torch.tensor([0.5, 0, 0, 0, 0, 0])):
        assert regression_scores(pred, y, 1.0)["r2"] == oracle(y.numpy(), pred.numpy())


def test_the_cli_never_prints_bare_nan():
    from dlp_widgets.cli import dumps

    text = dumps({"test_r2": float("nan"), "rows": [float("inf"), 1.5]})
    assert json.loads(text) == {"test_r2": None, "rows": [None, 1.5]}


def test_default_names_stay_apart_when_processes_start_together(tmp_path):
    code = (
        "import dlp_widgets as dlp\nfrom dlp_widgets.spec.defaults import default_model\n"
        "print(dlp.train({'model': default_model([4], 3), 'data': {'source': 'builtin:iris'},"
        " 'training': {'epochs': 1}}).name)"
    )
    children = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        for _ in range(4)
    ]
    names = [c.communicate(timeout=120)[0].strip() for c in children]
    assert len(set(names)) == 4, names


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
