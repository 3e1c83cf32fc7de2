"""The run store's own tests, through its public API (``open_store`` and the ``RunStore`` it
returns), on a store of their own in a temporary folder: runs created, named, renamed,
finished, listed and deleted; epoch rows written and read back; the artefacts, key-value and
progress tables; the ownership lock; a store reopened from disk by a new object; writers in
many threads; a store that is read-only, locked by another connection, a folder, or another
program's database. (Through the rest of the package: the other files in this folder.)"""

from __future__ import annotations

import hashlib
import math
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from dlp_widgets.runstore import RunStore, StoreError, open_store
from dlp_widgets.runstore import connection as connection_module
from run_helpers import immutable

SPEC = {
    "model": {"input_shape": [4], "layers": [{"type": "Linear", "params": {"out_features": 3}}]},
    "data": {"source": "builtin:iris"},
    "training": {"epochs": 2},
}


@pytest.fixture
def store(tmp_path):
    return open_store(tmp_path / "runs.sqlite")


def new_run(store: RunStore, name: str | None = None, default_name: str = "run") -> str:
    return store.create_run(
        name=name, spec=SPEC, source="builtin:iris", task="classification", device="cpu", default_name=default_name
    )


def finished_run(store: RunStore, name: str) -> str:
    """A run with one epoch row, a file recorded as its artefact, and an ending."""
    run_id = new_run(store, name=name)
    store.add_epoch(run_id, 1, {"train_loss": 1.0})
    (store.run_dir(run_id) / "last.pt").write_bytes(b"weights")
    store.add_artefact(run_id, "checkpoint", store.run_dir(run_id) / "last.pt")
    store.finish_run(run_id, "finished", {"test_accuracy": 0.5})
    return run_id


def a_pid_that_has_ended() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


# ---------------------------------------------------------------- runs


def test_the_default_store_is_the_one_under_dlp_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DLP_HOME", str(tmp_path / "elsewhere"))
    assert open_store().path == tmp_path / "elsewhere" / "runs.sqlite"
    assert (tmp_path / "elsewhere" / "runs.sqlite").is_file()


def test_a_new_run_is_running_in_this_process_with_what_it_was_given(store):
    before = time.time()
    run_id = new_run(store, name="first")
    assert re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{6}", run_id), run_id
    row = store.get_run(run_id)
    assert (row["id"], row["name"], row["status"]) == (run_id, "first", "running")
    assert row["spec"] == SPEC and row["source"] == "builtin:iris"
    assert row["task"] == "classification" and row["device"] == "cpu"
    assert row["pid"] == os.getpid() and row["host"] == socket.gethostname()
    assert row["epochs_done"] == 0 and row["metrics"] == {} and row["finished"] is None and row["error"] is None
    assert before <= row["created"] <= time.time()
    assert "note" not in row
    assert store.run_dir(run_id) == store.path.parent / "runs" / run_id and store.run_dir(run_id).is_dir()


def test_an_unknown_or_empty_id_finds_no_run(store):
    new_run(store)
    assert store.get_run("20990101-000000-abcdef") is None
    assert store.get_run("") is None  # not the one run every id starts with


def test_finishing_a_run_records_its_status_metrics_error_and_time_and_resuming_clears_them(store):
    run_id = new_run(store)
    before = time.time()
    store.finish_run(run_id, "failed", {"test_accuracy": 0.25}, error="no space left on the device")
    row = store.get_run(run_id)
    assert row["status"] == "failed" and row["error"] == "no space left on the device"
    assert row["metrics"] == {"test_accuracy": 0.25}
    assert before <= row["finished"] <= time.time()
    store.resume_run(run_id)
    row = store.get_run(run_id)
    assert row["status"] == "running" and row["finished"] is None and row["error"] is None
    assert row["pid"] == os.getpid() and row["host"] == socket.gethostname()


def test_runs_are_listed_newest_first(store):
    ids = []
    for name in ("a", "b", "c"):
        ids.append(new_run(store, name=name))
        time.sleep(0.01)
    listed = store.list_runs()
    assert [r["id"] for r in listed] == ids[::-1]
    assert [r["name"] for r in listed] == ["c", "b", "a"]


def test_default_names_are_numbered_and_chosen_names_are_kept_as_given(store):
    names = [store.get_run(new_run(store, default_name="iris · MLP"))["name"] for _ in range(3)]
    assert names == ["iris · MLP", "iris · MLP #2", "iris · MLP #3"]
    chosen = new_run(store, name="iris · MLP", default_name="not used")
    assert store.get_run(chosen)["name"] == "iris · MLP"  # a name a person chose is not numbered
    assert store.free_name("iris · MLP") == "iris · MLP #4"
    assert store.free_name("iris") == "iris"  # the start of a taken name is not the name
    new_run(store, name="solo")
    new_run(store, name="solo #3")
    assert store.free_name("solo") == "solo #2"  # the first free number, not one past the last


def test_a_rename_changes_that_run_alone_and_is_on_disk(store):
    first, second = new_run(store, name="a"), new_run(store, name="b")
    store.rename(first, "my first try")
    again = open_store(store.path)
    assert again.get_run(first)["name"] == "my first try" and again.get_run(second)["name"] == "b"


def test_deleting_a_run_removes_its_row_epochs_artefacts_and_folder_and_nothing_else(store):
    kept, gone = finished_run(store, "kept"), finished_run(store, "gone")
    store.delete_run(gone)
    assert store.get_run(gone) is None and [r["id"] for r in store.list_runs()] == [kept]
    assert store.epochs(gone) == [] and store.artefacts(gone) == []
    assert not (store.path.parent / "runs" / gone).exists()
    assert store.epochs(kept) == [{"epoch": 1, "train_loss": 1.0}] and len(store.artefacts(kept)) == 1
    assert (store.path.parent / "runs" / kept / "last.pt").read_bytes() == b"weights"


# ---------------------------------------------------------------- epochs


def test_epoch_rows_come_back_in_order_and_an_epoch_written_again_replaces_its_row(store):
    run_id, other = new_run(store), new_run(store)
    store.add_epoch(run_id, 2, {"train_loss": 0.5, "test_accuracy": 0.75})
    store.add_epoch(run_id, 1, {"train_loss": 0.9, "test_accuracy": 0.5})
    store.add_epoch(run_id, 2, {"train_loss": 0.4, "test_accuracy": 0.8})
    assert store.epochs(run_id) == [
        {"epoch": 1, "train_loss": 0.9, "test_accuracy": 0.5},
        {"epoch": 2, "train_loss": 0.4, "test_accuracy": 0.8},
    ]
    assert store.get_run(run_id)["epochs_done"] == 2
    assert store.epochs(other) == [] and store.get_run(other)["epochs_done"] == 0


def test_metrics_that_are_not_finite_numbers_come_back_as_they_went_in(store):
    run_id = new_run(store)
    store.add_epoch(run_id, 1, {"test_r2": math.nan, "train_loss": math.inf})
    store.finish_run(run_id, "diverged", {"train_loss": -math.inf})
    (row,) = store.epochs(run_id)
    assert math.isnan(row["test_r2"]) and row["train_loss"] == math.inf
    assert store.get_run(run_id)["metrics"] == {"train_loss": -math.inf}


def test_set_epochs_makes_the_stored_rows_exactly_a_checkpoints_history(store):
    run_id = new_run(store)
    for epoch in (1, 2, 3, 4):
        store.add_epoch(run_id, epoch, {"train_loss": 1.0 / epoch})
    store.set_epochs(run_id, [{"epoch": 1, "train_loss": 0.9}, {"epoch": 2, "train_loss": 0.45}])
    assert store.epochs(run_id) == [{"epoch": 1, "train_loss": 0.9}, {"epoch": 2, "train_loss": 0.45}]
    assert store.get_run(run_id)["epochs_done"] == 2
    store.set_epochs(run_id, [])
    assert store.epochs(run_id) == [] and store.get_run(run_id)["epochs_done"] == 0


# ---------------------------------------------------------------- artefacts, key-value, progress


def test_an_artefact_is_recorded_with_its_digest_and_size_once_per_path(store):
    run_id = new_run(store)
    path = store.run_dir(run_id) / "model.pt"
    path.write_bytes(b"first version")
    store.add_artefact(run_id, "pt", path)
    content = b"the second, longer version"
    path.write_bytes(content)
    row = store.add_artefact(run_id, "pt", path)
    assert store.artefacts(run_id) == [row]  # the same path again replaces its record
    assert row["sha256"] == hashlib.sha256(content).hexdigest() and row["bytes"] == len(content)
    assert (row["run_id"], row["kind"], row["path"]) == (run_id, "pt", str(path))


def test_the_key_value_table_keeps_json_values_and_a_default_for_missing_keys(store):
    assert store.get("builder.last") is None and store.get("builder.last", 7) == 7
    store.put("builder.last", {"layers": [1, 2], "name": "x"})
    assert store.get("builder.last") == {"layers": [1, 2], "name": "x"}
    store.put("builder.last", {"layers": []})
    assert store.get("builder.last") == {"layers": []}


def test_progress_of_one_lesson_is_read_and_reset_apart_from_the_others(store):
    store.record_progress("question:a/1", "question", True, lesson="a", detail={"answer": 4})
    store.record_progress("question:b/1", "question", False, lesson="b")
    store.record_progress("exercise:b-90", "exercise", False, lesson="b", detail="accuracy 0.8")
    assert {r["item"] for r in store.progress("b")} == {"question:b/1", "exercise:b-90"}
    (a,) = store.progress("a")
    assert a["passed"] is True and a["attempts"] == 1 and a["detail"] == {"answer": 4}
    store.reset_progress("b")
    assert [r["item"] for r in store.progress()] == ["question:a/1"]
    store.reset_progress()
    assert store.progress() == []


def test_the_store_names_its_own_files_and_no_others(store, tmp_path):
    run_id = new_run(store)
    home, database = tmp_path.resolve(), store.path.resolve()
    assert store.protects(database) == "the run store's database"
    assert store.protects(database.with_name("runs.sqlite-wal")) == "the run store's database"
    own = store.protects(home / "runs" / run_id / "last.pt")
    assert own == f"run {run_id}'s own file last.pt (needed to load or resume it)"
    assert store.protects(home / "runs" / run_id / ".last.pt.part").startswith(f"run {run_id}'s own file")
    assert store.protects(home / "runs" / run_id / "upload" / "data.csv") == f"a file kept with run {run_id}"
    assert store.protects(home / "cache" / "downloads" / "iris.csv") == "a file of the playground's cache"
    assert store.protects(home / "runs" / run_id / "model.onnx") is None  # an export beside them is fine
    assert store.protects(home / "exports" / "model.pt") is None


# ---------------------------------------------------------------- reopening


def test_a_store_reopened_by_a_new_object_has_the_same_contents(store):
    run_id = finished_run(store, "kept")
    store.put("builder.last", {"layers": 3})
    store.record_progress("question:q1", "question", True, lesson="intro")
    again = RunStore(store.path)
    assert again is not store and again.path == store.path
    assert again.list_runs() == store.list_runs() and again.list_runs()[0]["name"] == "kept"
    assert again.epochs(run_id) == [{"epoch": 1, "train_loss": 1.0}]
    assert again.artefacts(run_id) == store.artefacts(run_id) and len(again.artefacts(run_id)) == 1
    assert again.get("builder.last") == {"layers": 3}
    assert [(p["item"], p["passed"]) for p in again.progress()] == [("question:q1", True)]


# ---------------------------------------------------------------- who trains a run


def test_a_claimed_run_cannot_be_claimed_again_or_deleted_until_released(store):
    run_id = new_run(store)
    claim = store.claim(run_id)
    try:
        with pytest.raises(StoreError, match=rf"run {run_id} is training in process {os.getpid()} on ") as caught:
            store.claim(run_id)
        assert caught.value.reason == "owned"
        assert store.is_training(run_id)
        with pytest.raises(ValueError, match="still training in process"):
            store.delete_run(run_id)
        assert open_store(store.path).get_run(run_id)["status"] == "running"  # its lock is held
    finally:
        claim.release()
    assert not store.is_training(run_id)
    row = open_store(store.path).get_run(run_id)  # the lock is free: no process trains it any more
    assert row["status"] == "interrupted" and row["error"] == "the process running it ended before the run did"
    store.claim(run_id).release()
    store.delete_run(run_id)
    assert store.get_run(run_id) is None


def test_a_run_without_a_lock_is_judged_by_its_process_on_this_host(store):
    alive, dead, elsewhere = new_run(store, name="alive"), new_run(store, name="dead"), new_run(store, name="elsewhere")
    gone = a_pid_that_has_ended()
    with sqlite3.connect(store.path) as db:  # as runs written before the lock existed
        db.execute("UPDATE runs SET pid=? WHERE id=?", (gone, dead))
        db.execute("UPDATE runs SET pid=?, host='another-machine' WHERE id=?", (gone, elsewhere))
    db.close()
    reopened = open_store(store.path)
    assert {r["name"]: r["status"] for r in reopened.list_runs()} == {
        "alive": "running",  # this process
        "dead": "interrupted",
        "elsewhere": "running",  # another machine's process cannot be asked
    }
    assert reopened.is_training(alive) and reopened.is_training(elsewhere) and not reopened.is_training(dead)


# ---------------------------------------------------------------- writers at once


def test_writers_in_many_threads_all_land_and_take_different_names(store):
    errors: list[Exception] = []
    ids: list[str] = []

    def write(k: int) -> None:
        try:
            mine = open_store(store.path)  # each as a separate session would
            run_id = new_run(mine, default_name="parallel")
            for epoch in range(1, 6):
                mine.add_epoch(run_id, epoch, {"train_loss": k + epoch / 10})
            mine.finish_run(run_id, "finished", {"k": k})
            ids.append(run_id)
        except Exception as exc:  # reported below, with the rest
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and len(ids) == 8
    assert {store.get_run(i)["name"] for i in ids} == {"parallel"} | {f"parallel #{n}" for n in range(2, 9)}
    for run_id in ids:
        row = store.get_run(run_id)
        k = row["metrics"]["k"]
        assert row["status"] == "finished" and row["epochs_done"] == 5
        assert [e["train_loss"] for e in store.epochs(run_id)] == [k + epoch / 10 for epoch in range(1, 6)]


def test_a_write_that_waits_too_long_for_another_connection_fails_in_words(store, monkeypatch):
    run_id = new_run(store)
    monkeypatch.setattr(connection_module, "LOCK_TIMEOUT", 0.2)
    holder = sqlite3.connect(store.path)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        started = time.monotonic()
        with pytest.raises(StoreError, match=r"is locked by another program \(waited 0.2 s\)") as caught:
            store.add_epoch(run_id, 1, {"train_loss": 1.0})
        assert caught.value.reason == "locked" and time.monotonic() - started < 10
        assert store.get_run(run_id)["status"] == "running"  # reading still works meanwhile
    finally:
        holder.rollback()
        holder.close()
    store.add_epoch(run_id, 1, {"train_loss": 1.0})
    assert store.epochs(run_id) == [{"epoch": 1, "train_loss": 1.0}]


# ---------------------------------------------------------------- stores that cannot be used as they are


def test_a_read_only_store_is_read_but_every_write_is_refused_in_words(tmp_path):
    home = tmp_path / "ro-home"
    writable = open_store(home / "runs.sqlite")
    run_id = finished_run(writable, "kept")
    writable.put("builder.last", 1)
    if not immutable(writable.path, True):
        pytest.skip("chattr +i is not available here: a read-only store cannot be made for root")
    immutable(home, True)
    try:
        store = open_store(home / "runs.sqlite")
        assert store.read_only
        assert [r["name"] for r in store.list_runs()] == ["kept"]
        assert store.epochs(run_id) == [{"epoch": 1, "train_loss": 1.0}] and store.get("builder.last") == 1
        writes = {
            "create": lambda: new_run(store),
            "claim": lambda: store.claim(run_id),
            "delete": lambda: store.delete_run(run_id),
            "put": lambda: store.put("builder.last", 2),
        }
        for what, write in writes.items():
            with pytest.raises(StoreError, match="is read-only: runs can be listed and shown but not saved") as caught:
                write()
            assert caught.value.reason == "read-only", what
        assert sorted(p.name for p in home.iterdir()) == ["runs", "runs.sqlite"]  # no -wal or -shm file made
    finally:
        immutable(home, False)
        immutable(writable.path, False)
    assert open_store(home / "runs.sqlite").get("builder.last") == 1  # nothing was written


def test_another_programs_database_is_refused_and_left_exactly_as_it_was(tmp_path):
    path = tmp_path / "runs.sqlite"
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, distance_km REAL)")
        db.execute("INSERT INTO runs (distance_km) VALUES (5.0)")
    db.close()
    before = path.read_bytes()
    with pytest.raises(
        StoreError, match="is not a run store: it is a SQLite database whose runs table is another program's"
    ) as caught:
        open_store(path)
    assert caught.value.path == path
    assert path.read_bytes() == before  # not switched to WAL, no table added
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.sqlite"]


def test_a_folder_where_the_store_belongs_is_refused(tmp_path):
    (tmp_path / "runs.sqlite").mkdir()
    with pytest.raises(StoreError, match="is a folder, not a run store: nothing was changed"):
        open_store(tmp_path / "runs.sqlite")
    assert list((tmp_path / "runs.sqlite").iterdir()) == []
